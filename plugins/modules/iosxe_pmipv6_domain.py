#!/usr/bin/python
# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iosxe_pmipv6_domain
short_description: Manage the PMIPv6 domain on Cisco IOS-XE (NETCONF or CLI)
version_added: 0.1.0
description:
  - >-
    Configures the PMIPv6 domain (C(ipv6 mobile pmipv6-domain)) - encapsulation, replay protection,
    authentication, the domain's LMAs and MAGs, and mobile-node profiles (NAIs).
  - One canonical model in the shape of the Cisco-IOS-XE-mobileip YANG tree, compared after normalisation
    (compressed lower-case IPv6, device case of enumerations, sorted keyed lists and leaf-lists, device
    defaults), so a second run reports no change whatever the device shows.
  - Over NETCONF (ncclient) or the SSH CLI (netmiko), chosen by O(transport).
  - Check mode sends nothing to the device; with C(--diff) the task shows the configuration before and
    after as running-config text.
author: netmobility engineering (@netmobility)
extends_documentation_fragment:
  - netmobility.pmipv6.iosxe
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  action:
    support: full
  action_group:
    support: full
    membership: [netmobility.pmipv6.iosxe]
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: [cisco_iosxe]
options:
  config:
    description:
      - "The PMIPv6 domain (IOS-XE allows one). A list of entries in the model of docs/iosxe-model.md."
      - "YANG C(/native/ipv6/mobile/pmipv6-domain); CLI C(ipv6 mobile pmipv6-domain <name>)."
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - "Domain name; the key."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain); CLI C(ipv6 mobile pmipv6-domain <name>)."
        type: str
        required: true
      encap:
        description:
          - "Tunnel encapsulation of the domain."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/encap/encap_type); CLI C(encap
            {gre-ipv4 | gre-ipv6 | udptunnel})."
        type: str
        choices: ["gre-ipv4", "gre-ipv6", "udptunnel"]
      replay_window:
        description:
          - "Timestamp replay-protection window (3..255, device default 7)."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/replay-protection/timestamp/window);
            CLI C(replay-protection timestamp window <n>)."
        type: int
      local_routing_mag:
        description:
          - "Local routing on the MAG for the domain. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/local-routing-mag); CLI
            C(local-routing-mag)."
        type: bool
      mn_profile_load_aaa:
        description:
          - "Load mobile-node profiles from AAA. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/mn-profile-load-aaa); CLI
            C(mn-profile-load-aaa)."
        type: bool
      auth_option:
        description:
          - "Mobility message authentication option (RFC 4285): SPI and shared key."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option); CLI C(auth-option spi
            {<hex> | decimal <256-12345678>} key {ascii [<0-7>] <key> | hex <hex>})."
        type: dict
        suboptions:
          spi:
            description:
              - "Security parameter index, decimal (256..12345678). Mutually exclusive with I(spi_hex)."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option/spi/decimal); CLI
                C(auth-option spi decimal <spi> key ...)."
            type: int
          spi_hex:
            description:
              - "Security parameter index in hexadecimal."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option/spi/hex-val); CLI
                C(auth-option spi <hex> key ...)."
            type: str
          key:
            description:
              - "The shared key: ASCII (with optional encryption type) or hexadecimal."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option/key); CLI C(... key
                ...)."
            type: dict
            suboptions:
              ascii:
                description:
                  - "The key as text. Masked in every result."
                  - "YANG
                    C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option/key/key-opts/ascii); CLI
                    C(... key ascii [<enc>] <key>)."
                type: str
              encryption:
                description:
                  - "Encryption type of the ASCII key (0..7; 0 = clear text)."
                  - "YANG
                    C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option/key/key-opts/enc-type);
                    CLI C(... key ascii <enc> <key>)."
                type: int
              hex:
                description:
                  - "The key as 2..128 hexadecimal digits. Masked in every result."
                  - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/auth-option/key/hex); CLI C(...
                    key hex <hex>)."
                type: str
      lmas:
        description:
          - "The LMAs of the domain, keyed by I(name)."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/lma); CLI C(lma <name>), a sub-mode."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "LMA identifier; the key."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/lma/identifier); CLI C(lma
                <name>)."
            type: str
            required: true
          ipv4_address:
            description:
              - "IPv4 transport address of this peer."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/lma/ipv4-address); CLI
                C(ipv4-address <A.B.C.D>)."
            type: str
          ipv6_address:
            description:
              - "IPv6 transport address of this peer (compressed on comparison)."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/lma/ipv6-address); CLI
                C(ipv6-address <X:X::X>)."
            type: str
      mags:
        description:
          - "The MAGs of the domain, keyed by I(name)."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/mag); CLI C(mag <name>), a sub-mode."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "MAG identifier; the key."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/mag/identifier); CLI C(mag
                <name>)."
            type: str
            required: true
          ipv4_address:
            description:
              - "IPv4 transport address of this peer."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/mag/ipv4-address); CLI
                C(ipv4-address <A.B.C.D>)."
            type: str
          ipv6_address:
            description:
              - "IPv6 transport address of this peer (compressed on comparison)."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/mag/ipv6-address); CLI
                C(ipv6-address <X:X::X>)."
            type: str
      nais:
        description:
          - "Mobile-node profiles, keyed by I(name) (C(user@realm) or C(@realm))."
          - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai); CLI C(nai <name>), a sub-mode."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "Network access identifier C(user@realm) or C(@realm); the key."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/realm); CLI C(nai <name>)."
            type: str
            required: true
          lma:
            description:
              - "The LMA serving this mobile node."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/lma); CLI C(lma <name>)."
            type: str
          network:
            description:
              - "The LMA network (address pool) of the mobile node."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/network); CLI C(network
                <name>)."
            type: str
          service:
            description:
              - "Address families offered (device default ipv4)."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/service/service-type); CLI
                C(service {ipv4 | ipv6 | dual})."
            type: str
            choices: ["ipv4", "ipv6", "dual"]
          apn:
            description:
              - "Access point name."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/apn); CLI C(apn <name>)."
            type: str
          customer:
            description:
              - "Customer name (mobile local loop)."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/customer); CLI C(customer
                <name>)."
            type: str
          gre_encap_key:
            description:
              - "GRE keys of the mobile node's tunnel; give both."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/gre-encap-key); CLI
                C(gre-encap-key up <n> down <n>)."
            type: dict
            suboptions:
              up:
                description:
                  - "Upstream GRE key (1..4294967295)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/gre-encap-key/up); CLI
                    C(gre-encap-key up <n> ...)."
                type: int
              down:
                description:
                  - "Downstream GRE key (1..4294967295)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/gre-encap-key/down); CLI
                    C(... down <n>)."
                type: int
          mobile_local_loop:
            description:
              - "Mobile local loop service. Absent or false means not configured."
              - "YANG
                C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/mobility-service/mobile-local-loop);
                CLI C(mobility-service mobile-local-loop)."
            type: bool
          auth_option:
            description:
              - "Mobility message authentication option (RFC 4285): SPI and shared key."
              - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option); CLI C(auth-option
                spi {<hex> | decimal <256-12345678>} key {ascii [<0-7>] <key> | hex <hex>})."
            type: dict
            suboptions:
              spi:
                description:
                  - "Security parameter index, decimal (256..12345678). Mutually exclusive with I(spi_hex)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option/spi/decimal);
                    CLI C(auth-option spi decimal <spi> key ...)."
                type: int
              spi_hex:
                description:
                  - "Security parameter index in hexadecimal."
                  - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option/spi/hex-val);
                    CLI C(auth-option spi <hex> key ...)."
                type: str
              key:
                description:
                  - "The shared key: ASCII (with optional encryption type) or hexadecimal."
                  - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option/key); CLI C(...
                    key ...)."
                type: dict
                suboptions:
                  ascii:
                    description:
                      - "The key as text. Masked in every result."
                      - "YANG
                        C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option/key/key-opts/ascii);
                        CLI C(... key ascii [<enc>] <key>)."
                    type: str
                  encryption:
                    description:
                      - "Encryption type of the ASCII key (0..7; 0 = clear text)."
                      - "YANG
                        C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option/key/key-opts/enc-type);
                        CLI C(... key ascii <enc> <key>)."
                    type: int
                  hex:
                    description:
                      - "The key as 2..128 hexadecimal digits. Masked in every result."
                      - "YANG C(/native/ipv6/mobile/pmipv6-domain/domain-options/nai/auth-option/key/hex);
                        CLI C(... key hex <hex>)."
                    type: str
"""

EXAMPLES = r"""
# Using merged
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11

- name: Merge a second MAG, replay protection and a mobile-node profile into the domain
  netmobility.pmipv6.iosxe_pmipv6_domain:
    config:
      - name: campus
        replay_window: 10
        mags:
          - name: mag2
            ipv6_address: "2001:db8:c::12"
        nais:
          - name: '@campus.example'
            lma: lma1
            network: net1
            service: ipv6
    state: merged

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-domain campus
# - replay-protection timestamp window 10
# - mag mag2
# - ipv6-address 2001:db8:c::12
# - exit
# - nai @campus.example
# - lma lma1
# - network net1
# - service ipv6
# - exit
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-domain>
#           <domain>campus</domain>
#           <domain-options>
#             <replay-protection>
#               <timestamp>
#                 <window>10</window>
#               </timestamp>
#             </replay-protection>
#             <mag>
#               <identifier>mag2</identifier>
#               <ipv6-address>2001:db8:c::12</ipv6-address>
#             </mag>
#             <nai>
#               <realm>@campus.example</realm>
#               <lma>lma1</lma>
#               <network>net1</network>
#               <service>
#                 <service-type>ipv6</service-type>
#               </service>
#             </nai>
#           </domain-options>
#         </pmipv6-domain>
#       </mobile>
#     </ipv6>
#   </native>
# </config>
#
# before / after: the entries as in the config option (see RETURN)
#
# After state:
# ------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  replay-protection timestamp window 10
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11
#  mag mag2
#   ipv6-address 2001:db8:c::12
#  nai @campus.example
#   lma lma1
#   network net1
#   service ipv6


# Using replaced
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11

- name: "Replace the domain: only these LMAs and MAGs, authentication on"
  netmobility.pmipv6.iosxe_pmipv6_domain:
    config:
      - name: campus
        encap: gre-ipv6
        auth_option:
          spi: 256
          key:
            ascii: change-me
        lmas:
          - name: lma1
            ipv6_address: "2001:db8:c::1"
        mags:
          - name: mag1
            ipv6_address: "2001:db8:c::11"
    state: replaced

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-domain campus
# - auth-option spi decimal 256 key ascii ********
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-domain>
#           <domain>campus</domain>
#           <domain-options>
#             <auth-option>
#               <spi>
#                 <decimal>256</decimal>
#                 <key>
#                   <key-opts>
#                     <ascii>********</ascii>
#                   </key-opts>
#                 </key>
#               </spi>
#             </auth-option>
#           </domain-options>
#         </pmipv6-domain>
#       </mobile>
#     </ipv6>
#   </native>
# </config>
#
# before / after: the entries as in the config option (see RETURN)
#
# After state:
# ------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  auth-option spi decimal 256 key ascii change-me
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11


# Using overridden
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11

- name: "Override: the router's PMIPv6 domain is exactly this one"
  netmobility.pmipv6.iosxe_pmipv6_domain:
    config:
      - name: campus
        encap: gre-ipv6
        lmas:
          - name: lma1
            ipv6_address: "2001:db8:c::1"
    state: overridden

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-domain campus
# - no mag mag1
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-domain>
#           <domain>campus</domain>
#           <domain-options>
#             <mag nc:operation="remove">
#               <identifier>mag1</identifier>
#             </mag>
#           </domain-options>
#         </pmipv6-domain>
#       </mobile>
#     </ipv6>
#   </native>
# </config>
#
# before / after: the entries as in the config option (see RETURN)
#
# After state:
# ------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1


# Using deleted
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11

- name: Delete the domain
  netmobility.pmipv6.iosxe_pmipv6_domain:
    config:
      - name: campus
    state: deleted

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - no ipv6 mobile pmipv6-domain campus
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-domain nc:operation="remove">
#           <domain>campus</domain>
#         </pmipv6-domain>
#       </mobile>
#     </ipv6>
#   </native>
# </config>
#
# before / after: the entries as in the config option (see RETURN)
#
# After state:
# ------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain


# Using gathered
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-domain
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1
#  mag mag1
#   ipv6-address 2001:db8:c::11

- name: Read the domain configuration into the model
  netmobility.pmipv6.iosxe_pmipv6_domain:
    state: gathered

# Task Output
# -----------
#
# gathered:
#   - name: campus
#     encap: gre-ipv6
#     lmas:
#       - name: lma1
#         ipv6_address: "2001:db8:c::1"
#     mags:
#       - name: mag1
#         ipv6_address: "2001:db8:c::11"


# Using rendered (no connection)

- name: Show the running-config lines and NETCONF payload of a config
  netmobility.pmipv6.iosxe_pmipv6_domain:
    config:
      - name: campus
        encap: gre-ipv6
        lmas:
          - name: lma1
            ipv6_address: "2001:db8:c::1"
    state: rendered

# Task Output
# -----------
#
# rendered:
# - ipv6 mobile pmipv6-domain campus
# - " encap gre-ipv6"
# - " lma lma1"
# - "  ipv6-address 2001:db8:c::1"
#
# xml: (the same as a NETCONF <config>, merge)
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-domain>
#           <domain>campus</domain>
#           <domain-options>
#             <encap>
#               <encap_type>gre-ipv6</encap_type>
#             </encap>
#             <lma>
#               <identifier>lma1</identifier>
#               <ipv6-address>2001:db8:c::1</ipv6-address>
#             </lma>
#           </domain-options>
#         </pmipv6-domain>
#       </mobile>
#     </ipv6>
#   </native>
# </config>


# Using parsed (no connection)

# parsed.cfg:
# ipv6 mobile pmipv6-domain campus
#  encap gre-ipv6
#  lma lma1
#   ipv6-address 2001:db8:c::1

- name: Turn saved running-config text into the model
  netmobility.pmipv6.iosxe_pmipv6_domain:
    running_config: "{{ lookup('ansible.builtin.file', 'parsed.cfg') }}"
    state: parsed

# Task Output
# -----------
#
# parsed:
#   - name: campus
#     encap: gre-ipv6
#     lmas:
#       - name: lma1
#         ipv6_address: "2001:db8:c::1"


# Drift check: check mode with --diff sends nothing to the device and shows the change as
# running-config text in the diff (the same diff the real run then applies)

- name: Would the domain change?
  netmobility.pmipv6.iosxe_pmipv6_domain:
    config: "{{ iosxe_domain_config }}"
    state: replaced
  check_mode: true
  diff: true

# Over the CLI only, saving the configuration when it changed, with every module of the
# collection's iosxe action group sharing the settings

- name: IOS-XE PMIPv6 over the CLI
  module_defaults:
    group/netmobility.pmipv6.iosxe:
      transport: cli
      save_when: modified
      command_timeout: 30
  block:
    - name: Configure the domain
      netmobility.pmipv6.iosxe_pmipv6_domain:
        config: "{{ iosxe_domain_config }}"
"""

RETURN = r"""
before:
  description: The resource's entries on the device before the task, in the model (keys masked).
  returned: when O(state) is V(merged), V(replaced), V(overridden) or V(deleted)
  type: list
  elements: dict
  sample:
    - name: campus
      encap: gre-ipv6
      lmas:
        - name: lma1
          ipv6_address: "2001:db8:c::1"
      mags:
        - name: mag1
          ipv6_address: "2001:db8:c::11"
after:
  description:
    - The entries after the task, in the model (keys masked). In check mode, what they would be.
    - After a real change the module has read them back from the device and checked they are equal.
  returned: when O(state) is V(merged), V(replaced), V(overridden) or V(deleted)
  type: list
  elements: dict
  sample:
    - name: campus
      encap: gre-ipv6
      replay_window: 10
      lmas:
        - name: lma1
          ipv6_address: "2001:db8:c::1"
      mags:
        - name: mag1
          ipv6_address: "2001:db8:c::11"
        - name: mag2
          ipv6_address: "2001:db8:c::12"
      nais:
        - name: '@campus.example'
          lma: lma1
          network: net1
          service: ipv6
commands:
  description: The configuration lines sent (or, in check mode, that would be sent); empty when unchanged.
  returned: when the CLI transport was used for an action state
  type: list
  elements: str
  sample:
    - ipv6 mobile pmipv6-domain campus
    - replay-protection timestamp window 10
    - mag mag2
    - "ipv6-address 2001:db8:c::12"
    - exit
    - nai @campus.example
    - lma lma1
    - network net1
    - service ipv6
    - exit
xml:
  description:
    - With an action state over NETCONF, the C(<config>) payload of the edit-config sent (or that would be
      sent), with C(nc:operation) attributes; null when unchanged.
    - With O(state=rendered), the NETCONF payload (merge) of O(config).
  returned: when the NETCONF transport was used for an action state, and with O(state=rendered)
  type: str
rendered:
  description: The running-config lines of O(config) (sub-mode lines indented one space per level).
  returned: when O(state=rendered)
  type: list
  elements: str
  sample:
    - ipv6 mobile pmipv6-domain campus
    - replay-protection timestamp window 10
    - mag mag2
    - "ipv6-address 2001:db8:c::12"
    - exit
    - nai @campus.example
    - lma lma1
    - network net1
    - service ipv6
    - exit
gathered:
  description: The resource's entries read from the device, in the model (keys masked).
  returned: when O(state=gathered)
  type: list
  elements: dict
  sample:
    - name: campus
      encap: gre-ipv6
      replay_window: 10
      lmas:
        - name: lma1
          ipv6_address: "2001:db8:c::1"
      mags:
        - name: mag1
          ipv6_address: "2001:db8:c::11"
        - name: mag2
          ipv6_address: "2001:db8:c::12"
      nais:
        - name: '@campus.example'
          lma: lma1
          network: net1
          service: ipv6
parsed:
  description: The entries parsed from O(running_config), in the model (keys masked).
  returned: when O(state=parsed)
  type: list
  elements: dict
  sample:
    - name: campus
      encap: gre-ipv6
      replay_window: 10
      lmas:
        - name: lma1
          ipv6_address: "2001:db8:c::1"
      mags:
        - name: mag1
          ipv6_address: "2001:db8:c::11"
        - name: mag2
          ipv6_address: "2001:db8:c::12"
      nais:
        - name: '@campus.example'
          lma: lma1
          network: net1
          service: ipv6
diff:
  description:
    - With C(--diff), the resource's configuration before and after as running-config text (keys masked).
  returned: when diff mode is on and O(state) is an action state
  type: dict
  contains:
    before:
      description: Running-config text of the entries before the task.
      type: str
    after:
      description: Running-config text of the entries after the task (planned, in check mode).
      type: str
transport:
  description: The transport used, V(netconf) or V(cli).
  returned: when the module connected to the device
  type: str
  sample: netconf
transport_reason:
  description: Why that transport was used (the O(transport=auto) decision).
  returned: when the module connected to the device
  type: str
  sample: "auto: NETCONF, Cisco-IOS-XE-mobileip in the YANG library"
saved:
  description: Whether the running configuration was copied to startup (see O(save_when)).
  returned: when O(state) is an action state and the task did not fail
  type: bool
  sample: false
restored:
  description:
    - After the device rejected a CLI line, whether the resource was put back to its configuration before
      the task. The lines accepted before the rejected one are in RV(applied).
  returned: when a CLI change was rejected
  type: bool
  sample: true
save_result:
  description: The device's answer to the save (C(cisco-ia:save-config) result or C(write memory) output).
  returned: when RV(saved) is true
  type: str
  sample: "Save running-config successful"
restore_commands:
  description: The CLI lines sent to put the resource back after a rejected line.
  returned: when a CLI change was rejected
  type: list
  elements: str
restore_error:
  description: Why the restore failed, or what still differs from the configuration before the task.
  returned: when RV(restored) is false
  type: str
applied:
  description: The CLI lines the device accepted before it rejected one (undone when RV(restored) is true).
  returned: when a CLI change was rejected after some lines were accepted
  type: list
  elements: str
kind:
  description: >-
    The kind of failure, one of V(unreachable), V(authentication), V(timeout), V(rejected), V(unsupported),
    V(protocol).
  returned: when the task failed talking to the device
  type: str
  sample: rejected
device_message:
  description: The device's own error text (for a rejection), or what went wrong.
  returned: when the task failed talking to the device
  type: str
  sample: "Maximum binding lifetime (should be multiple of 4)"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import argspec


def main():
    module = AnsibleModule(
        argument_spec=argspec.argument_spec("domain"),
        mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE,
        required_if=argspec.REQUIRED_IF,
        supports_check_mode=True,
    )
    module.fail_json(msg="this module runs on the controller through its action plugin (netmobility.pmipv6)")


if __name__ == "__main__":
    main()
