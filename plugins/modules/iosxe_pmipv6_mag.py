#!/usr/bin/python
# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iosxe_pmipv6_mag
short_description: Manage the PMIPv6 MAG on Cisco IOS-XE (NETCONF or CLI)
version_added: 0.1.0
description:
  - >-
    Configures the router's Mobile Access Gateway (C(ipv6 mobile pmipv6-mag)) - Proxy-CoA, access
    interfaces, binding timers, heartbeat, and the LMAs it registers with.
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
      - "This router's MAG (IOS-XE allows one). A list of entries in the model of docs/iosxe-model.md."
      - "YANG C(/native/ipv6/mobile/pmipv6-mag); CLI C(ipv6 mobile pmipv6-mag <name> domain <domain>)."
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - "MAG name (1..128 characters); key with I(domain)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/mag-name); CLI C(ipv6 mobile pmipv6-mag <name> domain
            <domain>)."
        type: str
        required: true
      domain:
        description:
          - "Domain of the MAG; must exist (see M(netmobility.pmipv6.iosxe_pmipv6_domain))."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/domain); CLI C(ipv6 mobile pmipv6-mag <name> domain
            <domain>)."
        type: str
        required: true
      address:
        description:
          - "Static Proxy-CoA of the MAG."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/address/static); CLI C(address {ipv4 | ipv6} <address>)."
        type: dict
        suboptions:
          ipv4:
            description:
              - "IPv4 Proxy-CoA."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/address/static/ipv4); CLI C(address ipv4 <A.B.C.D>)."
            type: str
          ipv6:
            description:
              - "IPv6 Proxy-CoA (compressed on comparison)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/address/static/ipv6); CLI C(address ipv6 <X:X::X>)."
            type: str
      interfaces:
        description:
          - "Access interfaces, for example C(GigabitEthernet0/0/1); compared as a set."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/interface/interface-name); CLI C(interface <name>)."
        type: list
        elements: str
      role:
        description:
          - "Access technology role (device default WLAN)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/role); CLI C(role {3GPP | LTE | WIMAX | WLAN})."
        type: str
        choices: ["3GPP", "LTE", "WIMAX", "WLAN"]
      binding:
        description:
          - "Binding update list timers."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/binding); CLI C(binding ...)."
        type: dict
        suboptions:
          lifetime:
            description:
              - "Binding lifetime in seconds, 8..65532, a multiple of 4 (device default 3600)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/binding/lifetime); CLI C(binding lifetime <n>)."
            type: int
          refresh_time:
            description:
              - "Refresh interval in seconds, 4..65532, a multiple of 4 (device default 300)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/binding/refresh-time); CLI C(binding refresh-time
                <n>)."
            type: int
          init_retx_time:
            description:
              - "Initial PBU retransmission time in ms (device default 1000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/binding/init-retx-time); CLI C(binding init-retx-time
                <ms>)."
            type: int
          max_retx_time:
            description:
              - "Maximum PBU retransmission time in ms (device default 32000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/binding/max-retx-time); CLI C(binding max-retx-time
                <ms>)."
            type: int
          maximum:
            description:
              - "Maximum number of bindings, 1..128000 (device default 10000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/binding/maximum); CLI C(binding maximum <n>)."
            type: int
      replay_window:
        description:
          - "Timestamp replay-protection window (3..255, device default 7)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/replay-protection/timestamp/window); CLI
            C(replay-protection timestamp window <n>)."
        type: int
      heartbeat:
        description:
          - "Heartbeat towards the peers (RFC 5847). Give all three values."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/heartbeat-default/heartbeat); CLI C(heartbeat interval
            <1-3600> retries <1-10> timeout <1-3600>)."
        type: dict
        suboptions:
          interval:
            description:
              - "Seconds between heartbeats (1..3600)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/heartbeat-default/heartbeat/interval); CLI
                C(heartbeat interval <n> ...)."
            type: int
          retries:
            description:
              - "Missed heartbeats before the peer is declared down (1..10)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/heartbeat-default/heartbeat/retries); CLI C(...
                retries <n> ...)."
            type: int
          timeout:
            description:
              - "Seconds to wait for a heartbeat response (1..3600)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/heartbeat-default/heartbeat/timeout); CLI C(...
                timeout <n>)."
            type: int
      discover_mn_detach:
        description:
          - "Mobile-node detach polling; give all three values."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/discover-mn-detach/poll); CLI C(discover-mn-detach poll
            interval <n> timeout <n> retries <n>)."
        type: dict
        suboptions:
          interval:
            description:
              - "Poll interval in seconds (10..36000, device default 10)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/discover-mn-detach/poll/interval); CLI
                C(discover-mn-detach poll interval <n> ...)."
            type: int
          timeout:
            description:
              - "Poll timeout in seconds (1..10, device default 2)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/discover-mn-detach/poll/timeout); CLI C(... timeout
                <n> ...)."
            type: int
          retries:
            description:
              - "Poll retries (1..10, device default 2)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/discover-mn-detach/poll/retries); CLI C(... retries
                <n>)."
            type: int
      bri:
        description:
          - "Binding revocation (RFC 5846) timers."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/bri); CLI C(bri delay min <ms> max <ms>, bri retries
            <n>)."
        type: dict
        suboptions:
          delay_min:
            description:
              - "Minimum delay in ms before a revocation is retransmitted (500..65535, device default
                1000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/bri/delay/min); CLI C(bri delay min <ms> max <ms>)."
            type: int
          delay_max:
            description:
              - "Maximum delay in ms (500..65535, device default 2000); set with I(delay_min)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/bri/delay/max); CLI C(bri delay min <ms> max <ms>)."
            type: int
          retries:
            description:
              - "Revocation retransmissions (1..10, device default 1)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/bri/retries); CLI C(bri retries <n>)."
            type: int
      dscp:
        description:
          - "DSCP marking of mobility signalling."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/dscp); CLI C(dscp control-plane <1-63> [force])."
        type: dict
        suboptions:
          control_plane:
            description:
              - "DSCP value (1..63) of the control-plane packets."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/dscp/control-plane); CLI C(dscp control-plane <n>)."
            type: int
          force:
            description:
              - "Force the marking even on packets that carry one."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/dscp/force); CLI C(dscp control-plane <n> force)."
            type: bool
      generate_grekey:
        description:
          - "Generate GRE keys (device default true; false renders C(no generate grekey))."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/generate/grekey); CLI C(generate grekey)."
        type: bool
      ignore_grekey:
        description:
          - "Ignore the GRE key option. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/ignore/grekey); CLI C(ignore grekey)."
        type: bool
      ignore_home_address:
        description:
          - "Ignore the home address option. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/ignore/home-address); CLI C(ignore home-address)."
        type: bool
      ani:
        description:
          - "Send the access network identifier option. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/ani); CLI C(ani)."
        type: bool
      apn:
        description:
          - "Access point name."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/apn); CLI C(apn <name>)."
        type: str
      sessionmgr:
        description:
          - "Session manager (device default false)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/sessionmgr); CLI C(sessionmgr)."
        type: bool
      local_routing_mag:
        description:
          - "Local routing between mobile nodes of this MAG (only without I(sessionmgr))."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/local-routing-mag); CLI C(local-routing-mag [acl
            <name>])."
        type: dict
        suboptions:
          enabled:
            description:
              - "Local routing on (the presence container)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/local-routing-mag); CLI C(local-routing-mag)."
            type: bool
          acl:
            description:
              - "Access list limiting local routing."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/local-routing-mag/acl-name); CLI C(local-routing-mag
                acl <name>)."
            type: str
      tunnel:
        description:
          - "Tunnel settings."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/tunnel); CLI C(tunnel ...)."
        type: dict
        suboptions:
          mtu:
            description:
              - "Tunnel MTU (68..17916)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/tunnel/mtu); CLI C(tunnel mtu <n>)."
            type: int
          nat:
            description:
              - "NAT side of the tunnel."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/tunnel/nat); CLI C(tunnel nat {inside | outside})."
            type: str
            choices: ["inside", "outside"]
      tunnel_template:
        description:
          - "Tunnel template interface, for example C(Tunnel10)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/tunnel-template-only/tunnel-template/Tunnel); CLI
            C(tunnel-template Tunnel<n>)."
        type: str
      multipath:
        description:
          - "Multipath support. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/multipath); CLI C(multipath)."
        type: bool
      mobile_map:
        description:
          - "Mobile map name; needs I(multipath)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/mobile-map); CLI C(mobile-map <name>)."
        type: str
      lmas:
        description:
          - "The LMAs this MAG registers with, keyed by I(name) and I(domain)."
          - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma); CLI C(lma <name> <domain>), a sub-mode."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "LMA identifier; key with I(domain)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/lma-id); CLI C(lma <name> <domain>)."
            type: str
            required: true
          domain:
            description:
              - "Domain of the LMA; must exist."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/domain); CLI C(lma <name> <domain>)."
            type: str
            required: true
          ipv4_addresses:
            description:
              - "IPv4 addresses of the LMA; compared as a set."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/ipv4-address); CLI C(ipv4-address <A.B.C.D>)."
            type: list
            elements: str
          ipv6_addresses:
            description:
              - "IPv6 addresses of the LMA (LMAA); compared as a set, compressed."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/ipv6-address); CLI C(ipv6-address <X:X::X>)."
            type: list
            elements: str
          encap:
            description:
              - "GRE encapsulation towards this LMA (gre-ipv4 needs an IPv4 address)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/encap); CLI C(encap {gre-ipv4 | gre-ipv6})."
            type: str
            choices: ["gre-ipv4", "gre-ipv6"]
          auth_option:
            description:
              - "Mobility message authentication option (RFC 4285): SPI and shared key."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option); CLI C(auth-option spi {<hex> |
                decimal <256-12345678>} key {ascii [<0-7>] <key> | hex <hex>})."
            type: dict
            suboptions:
              spi:
                description:
                  - "Security parameter index, decimal (256..12345678). Mutually exclusive with I(spi_hex)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option/spi/decimal); CLI C(auth-option
                    spi decimal <spi> key ...)."
                type: int
              spi_hex:
                description:
                  - "Security parameter index in hexadecimal."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option/spi/hex-val); CLI C(auth-option
                    spi <hex> key ...)."
                type: str
              key:
                description:
                  - "The shared key: ASCII (with optional encryption type) or hexadecimal."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option/key); CLI C(... key ...)."
                type: dict
                suboptions:
                  ascii:
                    description:
                      - "The key as text. Masked in every result."
                      - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option/key/key-opts/ascii); CLI
                        C(... key ascii [<enc>] <key>)."
                    type: str
                  encryption:
                    description:
                      - "Encryption type of the ASCII key (0..7; 0 = clear text)."
                      - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option/key/key-opts/enc-type); CLI
                        C(... key ascii <enc> <key>)."
                    type: int
                  hex:
                    description:
                      - "The key as 2..128 hexadecimal digits. Masked in every result."
                      - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/auth-option/key/hex); CLI C(... key hex
                        <hex>)."
                    type: str
          dscp:
            description:
              - "DSCP marking of mobility signalling."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/dscp); CLI C(dscp control-plane <1-63> [force])."
            type: dict
            suboptions:
              control_plane:
                description:
                  - "DSCP value (1..63) of the control-plane packets."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/dscp/control-plane); CLI C(dscp control-plane
                    <n>)."
                type: int
              force:
                description:
                  - "Force the marking even on packets that carry one."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/dscp/force); CLI C(dscp control-plane <n>
                    force)."
                type: bool
          heartbeat:
            description:
              - "Heartbeat towards the peers (RFC 5847). Give all three values."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/heartbeat-default/heartbeat); CLI C(heartbeat
                interval <1-3600> retries <1-10> timeout <1-3600>)."
            type: dict
            suboptions:
              interval:
                description:
                  - "Seconds between heartbeats (1..3600)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/heartbeat-default/heartbeat/interval); CLI
                    C(heartbeat interval <n> ...)."
                type: int
              retries:
                description:
                  - "Missed heartbeats before the peer is declared down (1..10)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/heartbeat-default/heartbeat/retries); CLI
                    C(... retries <n> ...)."
                type: int
              timeout:
                description:
                  - "Seconds to wait for a heartbeat response (1..3600)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/heartbeat-default/heartbeat/timeout); CLI
                    C(... timeout <n>)."
                type: int
          vrfid:
            description:
              - "VRF of the tunnel to this LMA; the VRF definition must exist."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/vrfid); CLI C(vrfid <vrf>)."
            type: str
          tunnel_template:
            description:
              - "Tunnel template interface for this LMA, for example C(Tunnel10)."
              - "YANG C(/native/ipv6/mobile/pmipv6-mag/lma/tunnel-template-only/tunnel-template/Tunnel); CLI
                C(tunnel-template Tunnel<n>)."
            type: str
"""

EXAMPLES = r"""
# Using merged
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6

- name: Merge binding timers, heartbeat and a second access interface into the MAG
  netmobility.pmipv6.iosxe_pmipv6_mag:
    config:
      - name: mag1
        domain: campus
        interfaces:
          - GigabitEthernet0/0/2
        binding:
          lifetime: 1200
          refresh_time: 300
        heartbeat:
          interval: 30
          retries: 3
          timeout: 5
    state: merged

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-mag mag1 domain campus
# - binding lifetime 1200
# - heartbeat interval 30 retries 3 timeout 5
# - interface GigabitEthernet0/0/2
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-mag>
#           <mag-name>mag1</mag-name>
#           <domain>campus</domain>
#           <binding>
#             <lifetime>1200</lifetime>
#           </binding>
#           <heartbeat-default>
#             <heartbeat>
#               <interval>30</interval>
#               <retries>3</retries>
#               <timeout>5</timeout>
#             </heartbeat>
#           </heartbeat-default>
#           <interface>
#             <interface-name>GigabitEthernet0/0/2</interface-name>
#           </interface>
#         </pmipv6-mag>
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
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  binding lifetime 1200
#  heartbeat interval 30 retries 3 timeout 5
#  interface GigabitEthernet0/0/1
#  interface GigabitEthernet0/0/2
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6


# Using replaced
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6

- name: "Replace the MAG: exactly these settings (other options go back to the device defaults)"
  netmobility.pmipv6.iosxe_pmipv6_mag:
    config:
      - name: mag1
        domain: campus
        address:
          ipv6: "2001:db8:c::11"
        interfaces:
          - GigabitEthernet0/0/3
        role: LTE
        lmas:
          - name: lma1
            domain: campus
            ipv6_addresses:
              - "2001:db8:c::1"
            encap: gre-ipv6
    state: replaced

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-mag mag1 domain campus
# - role LTE
# - interface GigabitEthernet0/0/3
# - no interface GigabitEthernet0/0/1
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-mag>
#           <mag-name>mag1</mag-name>
#           <domain>campus</domain>
#           <role>LTE</role>
#           <interface nc:operation="remove">
#             <interface-name>GigabitEthernet0/0/1</interface-name>
#           </interface>
#           <interface>
#             <interface-name>GigabitEthernet0/0/3</interface-name>
#           </interface>
#         </pmipv6-mag>
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
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  role LTE
#  interface GigabitEthernet0/0/3
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6


# Using overridden
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6

- name: "Override: this router's only MAG is mag1b (mag1 is removed)"
  netmobility.pmipv6.iosxe_pmipv6_mag:
    config:
      - name: mag1b
        domain: campus
        address:
          ipv6: "2001:db8:c::11"
        interfaces:
          - GigabitEthernet0/0/1
        lmas:
          - name: lma1
            domain: campus
            ipv6_addresses:
              - "2001:db8:c::1"
            encap: gre-ipv6
    state: overridden

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - no ipv6 mobile pmipv6-mag mag1 domain campus
# - ipv6 mobile pmipv6-mag mag1b domain campus
# - address ipv6 2001:db8:c::11
# - interface GigabitEthernet0/0/1
# - lma lma1 campus
# - ipv6-address 2001:db8:c::1
# - encap gre-ipv6
# - exit
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-mag nc:operation="remove">
#           <mag-name>mag1</mag-name>
#           <domain>campus</domain>
#         </pmipv6-mag>
#         <pmipv6-mag>
#           <mag-name>mag1b</mag-name>
#           <domain>campus</domain>
#           <address>
#             <static>
#               <ipv6>2001:db8:c::11</ipv6>
#             </static>
#           </address>
#           <interface>
#             <interface-name>GigabitEthernet0/0/1</interface-name>
#           </interface>
#           <lma>
#             <lma-id>lma1</lma-id>
#             <domain>campus</domain>
#             <ipv6-address>2001:db8:c::1</ipv6-address>
#             <encap>
#               <gre-ipv6/>
#             </encap>
#           </lma>
#         </pmipv6-mag>
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
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1b domain campus
#  address ipv6 2001:db8:c::11
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6


# Using deleted
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6

- name: Delete the MAG
  netmobility.pmipv6.iosxe_pmipv6_mag:
    config:
      - name: mag1
        domain: campus
    state: deleted

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - no ipv6 mobile pmipv6-mag mag1 domain campus
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-mag nc:operation="remove">
#           <mag-name>mag1</mag-name>
#           <domain>campus</domain>
#         </pmipv6-mag>
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
# router#show running-config | section ^ipv6 mobile pmipv6-mag


# Using gathered
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-mag
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6

- name: Read the mag configuration into the model
  netmobility.pmipv6.iosxe_pmipv6_mag:
    state: gathered

# Task Output
# -----------
#
# gathered:
#   - name: mag1
#     domain: campus
#     address:
#       ipv6: "2001:db8:c::11"
#     interfaces:
#       - GigabitEthernet0/0/1
#     lmas:
#       - name: lma1
#         domain: campus
#         ipv6_addresses:
#           - "2001:db8:c::1"
#         encap: gre-ipv6


# Using rendered (no connection)

- name: Show the running-config lines and NETCONF payload of a config
  netmobility.pmipv6.iosxe_pmipv6_mag:
    config:
      - name: mag1
        domain: campus
        address:
          ipv6: "2001:db8:c::11"
        interfaces:
          - GigabitEthernet0/0/1
        binding:
          lifetime: 1200
        lmas:
          - name: lma1
            domain: campus
            ipv6_addresses:
              - "2001:db8:c::1"
            encap: gre-ipv6
    state: rendered

# Task Output
# -----------
#
# rendered:
# - ipv6 mobile pmipv6-mag mag1 domain campus
# - " address ipv6 2001:db8:c::11"
# - " binding lifetime 1200"
# - " interface GigabitEthernet0/0/1"
# - " lma lma1 campus"
# - "  ipv6-address 2001:db8:c::1"
# - "  encap gre-ipv6"
#
# xml: (the same as a NETCONF <config>, merge)
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-mag>
#           <mag-name>mag1</mag-name>
#           <domain>campus</domain>
#           <address>
#             <static>
#               <ipv6>2001:db8:c::11</ipv6>
#             </static>
#           </address>
#           <binding>
#             <lifetime>1200</lifetime>
#           </binding>
#           <interface>
#             <interface-name>GigabitEthernet0/0/1</interface-name>
#           </interface>
#           <lma>
#             <lma-id>lma1</lma-id>
#             <domain>campus</domain>
#             <ipv6-address>2001:db8:c::1</ipv6-address>
#             <encap>
#               <gre-ipv6/>
#             </encap>
#           </lma>
#         </pmipv6-mag>
#       </mobile>
#     </ipv6>
#   </native>
# </config>


# Using parsed (no connection)

# parsed.cfg:
# ipv6 mobile pmipv6-mag mag1 domain campus
#  address ipv6 2001:db8:c::11
#  binding lifetime 1200
#  interface GigabitEthernet0/0/1
#  lma lma1 campus
#   ipv6-address 2001:db8:c::1
#   encap gre-ipv6

- name: Turn saved running-config text into the model
  netmobility.pmipv6.iosxe_pmipv6_mag:
    running_config: "{{ lookup('ansible.builtin.file', 'parsed.cfg') }}"
    state: parsed

# Task Output
# -----------
#
# parsed:
#   - name: mag1
#     domain: campus
#     address:
#       ipv6: "2001:db8:c::11"
#     binding:
#       lifetime: 1200
#     interfaces:
#       - GigabitEthernet0/0/1
#     lmas:
#       - name: lma1
#         domain: campus
#         ipv6_addresses:
#           - "2001:db8:c::1"
#         encap: gre-ipv6


# Drift check: check mode with --diff sends nothing to the device and shows the change as
# running-config text in the diff (the same diff the real run then applies)

- name: Would the mag change?
  netmobility.pmipv6.iosxe_pmipv6_mag:
    config: "{{ iosxe_mag_config }}"
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
    - name: Configure the mag
      netmobility.pmipv6.iosxe_pmipv6_mag:
        config: "{{ iosxe_mag_config }}"
"""

RETURN = r"""
before:
  description: The resource's entries on the device before the task, in the model (keys masked).
  returned: when O(state) is V(merged), V(replaced), V(overridden) or V(deleted)
  type: list
  elements: dict
  sample:
    - name: mag1
      domain: campus
      address:
        ipv6: "2001:db8:c::11"
      interfaces:
        - GigabitEthernet0/0/1
      lmas:
        - name: lma1
          domain: campus
          ipv6_addresses:
            - "2001:db8:c::1"
          encap: gre-ipv6
after:
  description:
    - The entries after the task, in the model (keys masked). In check mode, what they would be.
    - After a real change the module has read them back from the device and checked they are equal.
  returned: when O(state) is V(merged), V(replaced), V(overridden) or V(deleted)
  type: list
  elements: dict
  sample:
    - name: mag1
      domain: campus
      address:
        ipv6: "2001:db8:c::11"
      binding:
        lifetime: 1200
      heartbeat:
        interval: 30
        retries: 3
        timeout: 5
      interfaces:
        - GigabitEthernet0/0/1
        - GigabitEthernet0/0/2
      lmas:
        - name: lma1
          domain: campus
          ipv6_addresses:
            - "2001:db8:c::1"
          encap: gre-ipv6
commands:
  description: The configuration lines sent (or, in check mode, that would be sent); empty when unchanged.
  returned: when the CLI transport was used for an action state
  type: list
  elements: str
  sample:
    - ipv6 mobile pmipv6-mag mag1 domain campus
    - binding lifetime 1200
    - heartbeat interval 30 retries 3 timeout 5
    - interface GigabitEthernet0/0/2
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
    - ipv6 mobile pmipv6-mag mag1 domain campus
    - binding lifetime 1200
    - heartbeat interval 30 retries 3 timeout 5
    - interface GigabitEthernet0/0/2
gathered:
  description: The resource's entries read from the device, in the model (keys masked).
  returned: when O(state=gathered)
  type: list
  elements: dict
  sample:
    - name: mag1
      domain: campus
      address:
        ipv6: "2001:db8:c::11"
      binding:
        lifetime: 1200
      heartbeat:
        interval: 30
        retries: 3
        timeout: 5
      interfaces:
        - GigabitEthernet0/0/1
        - GigabitEthernet0/0/2
      lmas:
        - name: lma1
          domain: campus
          ipv6_addresses:
            - "2001:db8:c::1"
          encap: gre-ipv6
parsed:
  description: The entries parsed from O(running_config), in the model (keys masked).
  returned: when O(state=parsed)
  type: list
  elements: dict
  sample:
    - name: mag1
      domain: campus
      address:
        ipv6: "2001:db8:c::11"
      binding:
        lifetime: 1200
      heartbeat:
        interval: 30
        retries: 3
        timeout: 5
      interfaces:
        - GigabitEthernet0/0/1
        - GigabitEthernet0/0/2
      lmas:
        - name: lma1
          domain: campus
          ipv6_addresses:
            - "2001:db8:c::1"
          encap: gre-ipv6
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
        argument_spec=argspec.argument_spec("mag"),
        mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE,
        required_if=argspec.REQUIRED_IF,
        supports_check_mode=True,
    )
    module.fail_json(msg="this module runs on the controller through its action plugin (netmobility.pmipv6)")


if __name__ == "__main__":
    main()
