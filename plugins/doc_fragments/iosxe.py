# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options, attributes and notes shared by the iosxe_pmipv6_* resource modules."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  running_config:
    description:
      - With O(state=parsed), the device configuration to parse, without connecting to anything.
      - Either running-config text (C(show running-config) or its C(| section) output; defaults shown or
        hidden, C(!) lines, any line order) or NETCONF XML (a get-config reply, C(<data>) or C(<config>)),
        recognised by a leading C(<).
    type: str
  state:
    description:
      - V(merged) deep-merges O(config) into the device configuration (keyed lists merged by key, leaf-lists
        unioned).
      - V(replaced) makes each listed entry exactly what the task says, including its sub-lists; other entries
        are untouched.
      - V(overridden) makes the resource exactly the task's list; entries the task does not list are removed.
      - V(deleted) removes the listed entries (only their keys matter), or every entry when O(config) is
        empty or absent.
      - V(gathered) reads the device and returns the model in RV(gathered).
      - V(rendered) returns the running-config lines (RV(rendered)) and NETCONF payload (RV(xml)) of
        O(config) without connecting.
      - V(parsed) turns O(running_config) into the model (RV(parsed)) without connecting.
      - Options the model does not cover (mobile maps, logical MNs, mobility services, ...) are never read,
        written or removed; deleting a whole entry removes it with everything under it.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  transport:
    description:
      - How to talk to the router.
      - V(netconf) uses NETCONF over SSH (ncclient, C(iosxe) device handler); the device must offer the
        C(Cisco-IOS-XE-mobileip) YANG module.
      - V(cli) uses the SSH CLI (netmiko, C(cisco_xe)); enable mode is entered with the C(become) password.
      - V(auto) uses NETCONF when the device answers on the NETCONF port and offers C(Cisco-IOS-XE-mobileip)
        (in its hello or its YANG library), otherwise the CLI. RV(transport) and RV(transport_reason) say
        which was used and why. A failed login is reported, never hidden behind the fallback.
    type: str
    choices: [auto, netconf, cli]
    default: auto
  netconf_port:
    description:
      - NETCONF port. Defaults to C(ansible_port) when O(transport=netconf), else 830.
    type: int
  cli_port:
    description:
      - SSH CLI port. Defaults to C(ansible_port) when O(transport) is V(cli) or V(auto), else 22.
    type: int
  connect_timeout:
    description:
      - Seconds to wait for the TCP connection, the SSH handshake and the login.
    type: int
    default: 30
  command_timeout:
    description:
      - Seconds to wait for each RPC reply or CLI command.
    type: int
    default: 60
  save_when:
    description:
      - When to copy the running configuration to startup (C(cisco-ia:save-config) over NETCONF, C(write
        memory) over the CLI).
      - V(modified) saves only when the task changed the device; V(always) saves on every run (RV(saved) is
        true, C(changed) still reflects the configuration only); V(never) does not save.
      - Nothing is saved in check mode.
    type: str
    choices: [never, modified, always]
    default: never
notes:
  - Tested against the collection's IOS-XE 17.x emulator (real NETCONF over SSH and a real SSH CLI on a
    store validated with Cisco's published Cisco-IOS-XE-mobileip YANG), not against hardware.
  - The module runs on the controller through its action plugin and opens its own session to the router;
    the host needs no Python and Ansible opens no connection to it. Set C(ansible_connection=local) if
    anything else in the play would connect to IOS-XE hosts.
  - "Inventory variables used: C(ansible_host) (default the inventory name), C(ansible_port),
    C(ansible_user), C(ansible_password) (or C(ansible_ssh_pass)), C(ansible_ssh_private_key_file) (or
    C(ansible_private_key_file)), C(ansible_become_password) (or C(ansible_become_pass)) as the enable
    secret, and C(ansible_host_key_checking) (default Ansible's C(host_key_checking) setting, true).
    Credentials are never module options and never appear in results."
  - "Safe apply: over NETCONF with a candidate datastore the change is edited, validated and committed
    (discarded on any error); without one it is applied to running with rollback-on-error. Over the CLI
    only the computed lines are sent; when the device rejects a line, the module restores the resource to
    its previous configuration and reports RV(restored)."
  - After a change the module reads the configuration back and fails, naming the options, if the device
    does not hold what was planned.
  - See docs/iosxe-modules.md in the collection for transports, errors and normalisation.
"""
