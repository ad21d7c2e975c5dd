#!/usr/bin/python
# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iosxe_pmipv6_lma
short_description: Manage the PMIPv6 LMA on Cisco IOS-XE (NETCONF or CLI)
version_added: 0.1.0
description:
  - >-
    Configures the router's Local Mobility Anchor (C(ipv6 mobile pmipv6-lma)) - LMA addresses, binding
    cache, heartbeat, RAT priorities, the MAGs allowed to register and the home networks.
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
      - "This router's LMA (IOS-XE allows one). A list of entries in the model of docs/iosxe-model.md."
      - "YANG C(/native/ipv6/mobile/pmipv6-lma); CLI C(ipv6 mobile pmipv6-lma <name> domain <domain>)."
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - "LMA name; key with I(domain)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/lma-name); CLI C(ipv6 mobile pmipv6-lma <name> domain
            <domain>)."
        type: str
        required: true
      domain:
        description:
          - "Domain of the LMA; must exist (see M(netmobility.pmipv6.iosxe_pmipv6_domain))."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/domain); CLI C(ipv6 mobile pmipv6-lma <name> domain
            <domain>)."
        type: str
        required: true
      address:
        description:
          - "LMA addresses (LMAA)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/address); CLI C(address {ipv4 | ipv6} <address>)."
        type: dict
        suboptions:
          ipv4:
            description:
              - "IPv4 addresses; compared as a set."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/address/ipv4/address); CLI C(address ipv4
                <A.B.C.D>)."
            type: list
            elements: str
          ipv6:
            description:
              - "IPv6 addresses; compared as a set, compressed."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/address/ipv6/address); CLI C(address ipv6 <X:X::X>)."
            type: list
            elements: str
      dynamic_mag_learning:
        description:
          - "Accept PBUs from MAGs that are not configured. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/dynamic/mag/learning); CLI C(dynamic mag learning)."
        type: bool
      bce:
        description:
          - "Binding cache settings."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/bce); CLI C(bce ...)."
        type: dict
        suboptions:
          lifetime:
            description:
              - "Maximum binding lifetime in seconds, 10..65535 (device default 3600)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bce/lifetime); CLI C(bce lifetime <n>)."
            type: int
          maximum:
            description:
              - "Maximum binding cache entries, 1..128000 (device default 128000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bce/maximum); CLI C(bce maximum <n>)."
            type: int
          create_wait_time:
            description:
              - "MaxDelayBeforeNewBCEAssign in ms, 1..65535 (device default 1500)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bce/create-wait-time); CLI C(bce create-wait-time
                <ms>)."
            type: int
          delete_wait_time:
            description:
              - "MinDelayBeforeBCEDelete in ms, 1..65535 (device default 10000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bce/delete-wait-time); CLI C(bce delete-wait-time
                <ms>)."
            type: int
      replay_window:
        description:
          - "Timestamp replay-protection window, C(0)..C(255) or C(ignore) (device default 7)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/replay-protection/timestamp/window); CLI
            C(replay-protection timestamp window {<n> | ignore})."
        type: str
      heartbeat:
        description:
          - "Heartbeat towards the peers (RFC 5847). Give all three values."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/heartbeat-default/heartbeat); CLI C(heartbeat interval
            <1-3600> retries <1-10> timeout <1-3600>)."
        type: dict
        suboptions:
          interval:
            description:
              - "Seconds between heartbeats (1..3600)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/heartbeat-default/heartbeat/interval); CLI
                C(heartbeat interval <n> ...)."
            type: int
          retries:
            description:
              - "Missed heartbeats before the peer is declared down (1..10)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/heartbeat-default/heartbeat/retries); CLI C(...
                retries <n> ...)."
            type: int
          timeout:
            description:
              - "Seconds to wait for a heartbeat response (1..3600)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/heartbeat-default/heartbeat/timeout); CLI C(...
                timeout <n>)."
            type: int
      bri:
        description:
          - "Binding revocation (RFC 5846) timers."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/bri); CLI C(bri delay min <ms> max <ms>, bri retries
            <n>)."
        type: dict
        suboptions:
          delay_min:
            description:
              - "Minimum delay in ms before a revocation is retransmitted (500..65535, device default
                1000)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bri/delay/min); CLI C(bri delay min <ms> max <ms>)."
            type: int
          delay_max:
            description:
              - "Maximum delay in ms (500..65535, device default 2000); set with I(delay_min)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bri/delay/max); CLI C(bri delay min <ms> max <ms>)."
            type: int
          retries:
            description:
              - "Revocation retransmissions (1..10, device default 1)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/bri/retries); CLI C(bri retries <n>)."
            type: int
      dscp:
        description:
          - "DSCP marking of mobility signalling."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/dscp); CLI C(dscp control-plane <1-63> [force])."
        type: dict
        suboptions:
          control_plane:
            description:
              - "DSCP value (1..63) of the control-plane packets."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/dscp/control-plane); CLI C(dscp control-plane <n>)."
            type: int
          force:
            description:
              - "Force the marking even on packets that carry one."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/dscp/force); CLI C(dscp control-plane <n> force)."
            type: bool
      generate_grekey:
        description:
          - "Generate GRE keys (device default true; false renders C(no generate grekey))."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/generate/grekey); CLI C(generate grekey)."
        type: bool
      ignore_grekey:
        description:
          - "Ignore the GRE key option. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/ignore/grekey); CLI C(ignore grekey)."
        type: bool
      ignore_home_address:
        description:
          - "Ignore the home address option. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/ignore/home-address); CLI C(ignore home-address)."
        type: bool
      ani:
        description:
          - "Access network identifier option. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/ani); CLI C(ani)."
        type: bool
      multipath:
        description:
          - "Multipath support. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/multipath); CLI C(multipath)."
        type: bool
      mobile_map:
        description:
          - "Mobile map name; needs I(multipath)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/mobile-map); CLI C(mobile-map <name>)."
        type: str
      mobile_route_admin_distance:
        description:
          - "Administrative distance of mobile routes (1..255)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/mobile-route/admin-distance); CLI C(mobile-route
            admin-distance <n>)."
        type: int
      mobile_network:
        description:
          - "Mobile network authorisation."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/mobile-network/mobile-network-type); CLI C(mobile-network
            {unauthorized | aaa-authorized})."
        type: str
        choices: ["unauthorized", "aaa-authorized"]
      default_profile:
        description:
          - "Default mobile-node profile name."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/default/profile); CLI C(default profile <name>)."
        type: str
      aaa_accounting:
        description:
          - "AAA accounting. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/enable/aaa/accounting); CLI C(enable aaa accounting)."
        type: bool
      enforce_heartbeat_to_mag:
        description:
          - "Enforce heartbeats to the MAGs. Absent or false means not configured."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/enforce/heartbeat-to-mag); CLI C(enforce
            heartbeat-to-mag)."
        type: bool
      tunnel:
        description:
          - "Tunnel settings."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/tunnel); CLI C(tunnel ...)."
        type: dict
        suboptions:
          acl:
            description:
              - "Access list applied to the tunnels."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/tunnel/acl); CLI C(tunnel acl <name>)."
            type: str
          mtu:
            description:
              - "Tunnel MTU (68..17916)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/tunnel/mtu); CLI C(tunnel mtu <n>)."
            type: int
      interfaces:
        description:
          - "Interfaces of the LMA; compared as a set."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/interface/interface-name); CLI C(interface <name>)."
        type: list
        elements: str
      rats:
        description:
          - "Radio access technology priorities, keyed by I(name)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/rat); CLI C(rat <type> priority <n>)."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "RAT type, for example C(3GPP_E_UTRAN), C(WLAN), C(ETHERNET); the key."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/rat/rat-type); CLI C(rat <type>)."
            type: str
            required: true
          priority:
            description:
              - "Priority (0..255)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/rat/priority); CLI C(rat <type> priority <n>)."
            type: int
      mags:
        description:
          - "The MAGs allowed to register, keyed by I(name) and I(domain)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag); CLI C(mag <name> <domain>), a sub-mode."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "MAG identifier; key with I(domain)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/mag-id); CLI C(mag <name> <domain>)."
            type: str
            required: true
          domain:
            description:
              - "Domain of the MAG; must exist."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/domain-name); CLI C(mag <name> <domain>)."
            type: str
            required: true
          encap:
            description:
              - "GRE encapsulation towards this MAG."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/encap); CLI C(encap {gre-ipv4 | gre-ipv6})."
            type: str
            choices: ["gre-ipv4", "gre-ipv6"]
          auth_option:
            description:
              - "Mobility message authentication option (RFC 4285): SPI and shared key."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option); CLI C(auth-option spi {<hex> |
                decimal <256-12345678>} key {ascii [<0-7>] <key> | hex <hex>})."
            type: dict
            suboptions:
              spi:
                description:
                  - "Security parameter index, decimal (256..12345678). Mutually exclusive with I(spi_hex)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option/spi/decimal); CLI C(auth-option
                    spi decimal <spi> key ...)."
                type: int
              spi_hex:
                description:
                  - "Security parameter index in hexadecimal."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option/spi/hex-val); CLI C(auth-option
                    spi <hex> key ...)."
                type: str
              key:
                description:
                  - "The shared key: ASCII (with optional encryption type) or hexadecimal."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option/key); CLI C(... key ...)."
                type: dict
                suboptions:
                  ascii:
                    description:
                      - "The key as text. Masked in every result."
                      - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option/key/key-opts/ascii); CLI
                        C(... key ascii [<enc>] <key>)."
                    type: str
                  encryption:
                    description:
                      - "Encryption type of the ASCII key (0..7; 0 = clear text)."
                      - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option/key/key-opts/enc-type); CLI
                        C(... key ascii <enc> <key>)."
                    type: int
                  hex:
                    description:
                      - "The key as 2..128 hexadecimal digits. Masked in every result."
                      - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/auth-option/key/hex); CLI C(... key hex
                        <hex>)."
                    type: str
          dscp:
            description:
              - "DSCP marking of mobility signalling."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/dscp); CLI C(dscp control-plane <1-63> [force])."
            type: dict
            suboptions:
              control_plane:
                description:
                  - "DSCP value (1..63) of the control-plane packets."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/dscp/control-plane); CLI C(dscp control-plane
                    <n>)."
                type: int
              force:
                description:
                  - "Force the marking even on packets that carry one."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/dscp/force); CLI C(dscp control-plane <n>
                    force)."
                type: bool
          ipv4_address:
            description:
              - "IPv4 transport address of this peer."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/ipv4-address); CLI C(ipv4-address <A.B.C.D>)."
            type: str
          ipv6_address:
            description:
              - "IPv6 transport address of this peer (compressed on comparison)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/mag/ipv6-address); CLI C(ipv6-address <X:X::X>)."
            type: str
      networks:
        description:
          - "Home networks (address pools), keyed by I(name)."
          - "YANG C(/native/ipv6/mobile/pmipv6-lma/network); CLI C(network <name>), a sub-mode."
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - "Network name; the key."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/nw-name); CLI C(network <name>)."
            type: str
            required: true
          pool_ipv4:
            description:
              - "IPv4 pool of the network."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/pool/ipv4); CLI C(pool ipv4 <pool> pfxlen
                <0-32>)."
            type: dict
            suboptions:
              name:
                description:
                  - "Pool name."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/pool/ipv4/name); CLI C(pool ipv4 <pool>
                    ...)."
                type: str
              pfxlen:
                description:
                  - "Prefix length handed out (0..32)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/pool/ipv4/pfxlen); CLI C(... pfxlen
                    <n>)."
                type: int
          pool_ipv6:
            description:
              - "IPv6 pool of the network (home network prefixes)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/pool/ipv6); CLI C(pool ipv6 <pool> pfxlen
                <0-128>)."
            type: dict
            suboptions:
              name:
                description:
                  - "Pool name."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/pool/ipv6/name); CLI C(pool ipv6 <pool>
                    ...)."
                type: str
              pfxlen:
                description:
                  - "Prefix length handed out (0..128)."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/pool/ipv6/pfxlen); CLI C(... pfxlen
                    <n>)."
                type: int
          dns:
            description:
              - "DNS servers given to mobile nodes (IPv4)."
              - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/dns/ip); CLI C(dns ip <primary>
                [<secondary>])."
            type: dict
            suboptions:
              primary:
                description:
                  - "Primary DNS server."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/dns/ip/pri-ip-add); CLI C(dns ip
                    <primary> ...)."
                type: str
              secondary:
                description:
                  - "Secondary DNS server."
                  - "YANG C(/native/ipv6/mobile/pmipv6-lma/network/dns/ip/sec-ip-add); CLI C(dns ip
                    <primary> <secondary>)."
                type: str
"""

EXAMPLES = r"""
# Using merged
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64

- name: Merge a second MAG, binding cache limits and a RAT priority into the LMA
  netmobility.pmipv6.iosxe_pmipv6_lma:
    config:
      - name: lma1
        domain: campus
        bce:
          lifetime: 1200
          maximum: 64000
        rats:
          - name: WLAN
            priority: 10
        mags:
          - name: mag2
            domain: campus
            ipv6_address: "2001:db8:c::12"
            encap: gre-ipv6
    state: merged

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-lma lma1 domain campus
# - bce lifetime 1200
# - bce maximum 64000
# - rat WLAN priority 10
# - mag mag2 campus
# - ipv6-address 2001:db8:c::12
# - encap gre-ipv6
# - exit
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-lma>
#           <lma-name>lma1</lma-name>
#           <domain>campus</domain>
#           <bce>
#             <lifetime>1200</lifetime>
#             <maximum>64000</maximum>
#           </bce>
#           <rat>
#             <rat-type>WLAN</rat-type>
#             <priority>10</priority>
#           </rat>
#           <mag>
#             <mag-id>mag2</mag-id>
#             <domain-name>campus</domain-name>
#             <ipv6-address>2001:db8:c::12</ipv6-address>
#             <encap>
#               <gre-ipv6/>
#             </encap>
#           </mag>
#         </pmipv6-lma>
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
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  bce lifetime 1200
#  bce maximum 64000
#  rat WLAN priority 10
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  mag mag2 campus
#   ipv6-address 2001:db8:c::12
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64


# Using replaced
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64

- name: "Replace the LMA: exactly these MAGs and networks"
  netmobility.pmipv6.iosxe_pmipv6_lma:
    config:
      - name: lma1
        domain: campus
        address:
          ipv6:
            - "2001:db8:c::1"
        mags:
          - name: mag1
            domain: campus
            ipv6_address: "2001:db8:c::11"
            encap: gre-ipv6
        networks:
          - name: net1
            pool_ipv6:
              name: hnp-pool
              pfxlen: 64
          - name: net2
            pool_ipv6:
              name: hnp-pool2
              pfxlen: 64
    state: replaced

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - ipv6 mobile pmipv6-lma lma1 domain campus
# - network net2
# - pool ipv6 hnp-pool2 pfxlen 64
# - exit
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-lma>
#           <lma-name>lma1</lma-name>
#           <domain>campus</domain>
#           <network>
#             <nw-name>net2</nw-name>
#             <pool>
#               <ipv6>
#                 <name>hnp-pool2</name>
#                 <pfxlen>64</pfxlen>
#               </ipv6>
#             </pool>
#           </network>
#         </pmipv6-lma>
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
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64
#  network net2
#   pool ipv6 hnp-pool2 pfxlen 64


# Using overridden
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64

- name: "Override: this router's only LMA is lma2"
  netmobility.pmipv6.iosxe_pmipv6_lma:
    config:
      - name: lma2
        domain: campus
        address:
          ipv6:
            - "2001:db8:c::2"
    state: overridden

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - no ipv6 mobile pmipv6-lma lma1 domain campus
# - ipv6 mobile pmipv6-lma lma2 domain campus
# - address ipv6 2001:db8:c::2
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-lma nc:operation="remove">
#           <lma-name>lma1</lma-name>
#           <domain>campus</domain>
#         </pmipv6-lma>
#         <pmipv6-lma>
#           <lma-name>lma2</lma-name>
#           <domain>campus</domain>
#           <address>
#             <ipv6>
#               <address>2001:db8:c::2</address>
#             </ipv6>
#           </address>
#         </pmipv6-lma>
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
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma2 domain campus
#  address ipv6 2001:db8:c::2


# Using deleted
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64

- name: Delete every LMA of the router (no config)
  netmobility.pmipv6.iosxe_pmipv6_lma:
    state: deleted

# Task Output (transport cli)
# ---------------------------
#
# commands:
# - no ipv6 mobile pmipv6-lma lma1 domain campus
#
# The same task over NETCONF sends this edit-config payload (result key xml):
#
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-lma nc:operation="remove">
#           <lma-name>lma1</lma-name>
#           <domain>campus</domain>
#         </pmipv6-lma>
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
# router#show running-config | section ^ipv6 mobile pmipv6-lma


# Using gathered
#
# Before state:
# -------------
#
# router#show running-config | section ^ipv6 mobile pmipv6-lma
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  mag mag1 campus
#   ipv6-address 2001:db8:c::11
#   encap gre-ipv6
#  network net1
#   pool ipv6 hnp-pool pfxlen 64

- name: Read the lma configuration into the model
  netmobility.pmipv6.iosxe_pmipv6_lma:
    state: gathered

# Task Output
# -----------
#
# gathered:
#   - name: lma1
#     domain: campus
#     address:
#       ipv6:
#         - "2001:db8:c::1"
#     mags:
#       - name: mag1
#         domain: campus
#         ipv6_address: "2001:db8:c::11"
#         encap: gre-ipv6
#     networks:
#       - name: net1
#         pool_ipv6:
#           name: hnp-pool
#           pfxlen: 64


# Using rendered (no connection)

- name: Show the running-config lines and NETCONF payload of a config
  netmobility.pmipv6.iosxe_pmipv6_lma:
    config:
      - name: lma1
        domain: campus
        address:
          ipv6:
            - "2001:db8:c::1"
        networks:
          - name: net1
            pool_ipv6:
              name: hnp-pool
              pfxlen: 64
    state: rendered

# Task Output
# -----------
#
# rendered:
# - ipv6 mobile pmipv6-lma lma1 domain campus
# - " address ipv6 2001:db8:c::1"
# - " network net1"
# - "  pool ipv6 hnp-pool pfxlen 64"
#
# xml: (the same as a NETCONF <config>, merge)
# <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
#   <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
#     <ipv6>
#       <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
#         <pmipv6-lma>
#           <lma-name>lma1</lma-name>
#           <domain>campus</domain>
#           <address>
#             <ipv6>
#               <address>2001:db8:c::1</address>
#             </ipv6>
#           </address>
#           <network>
#             <nw-name>net1</nw-name>
#             <pool>
#               <ipv6>
#                 <name>hnp-pool</name>
#                 <pfxlen>64</pfxlen>
#               </ipv6>
#             </pool>
#           </network>
#         </pmipv6-lma>
#       </mobile>
#     </ipv6>
#   </native>
# </config>


# Using parsed (no connection)

# parsed.cfg:
# ipv6 mobile pmipv6-lma lma1 domain campus
#  address ipv6 2001:db8:c::1
#  network net1
#   pool ipv6 hnp-pool pfxlen 64

- name: Turn saved running-config text into the model
  netmobility.pmipv6.iosxe_pmipv6_lma:
    running_config: "{{ lookup('ansible.builtin.file', 'parsed.cfg') }}"
    state: parsed

# Task Output
# -----------
#
# parsed:
#   - name: lma1
#     domain: campus
#     address:
#       ipv6:
#         - "2001:db8:c::1"
#     networks:
#       - name: net1
#         pool_ipv6:
#           name: hnp-pool
#           pfxlen: 64


# Drift check: check mode with --diff sends nothing to the device and shows the change as
# running-config text in the diff (the same diff the real run then applies)

- name: Would the lma change?
  netmobility.pmipv6.iosxe_pmipv6_lma:
    config: "{{ iosxe_lma_config }}"
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
    - name: Configure the lma
      netmobility.pmipv6.iosxe_pmipv6_lma:
        config: "{{ iosxe_lma_config }}"
"""

RETURN = r"""
before:
  description: The resource's entries on the device before the task, in the model (keys masked).
  returned: when O(state) is V(merged), V(replaced), V(overridden) or V(deleted)
  type: list
  elements: dict
  sample:
    - name: lma1
      domain: campus
      address:
        ipv6:
          - "2001:db8:c::1"
      mags:
        - name: mag1
          domain: campus
          ipv6_address: "2001:db8:c::11"
          encap: gre-ipv6
      networks:
        - name: net1
          pool_ipv6:
            name: hnp-pool
            pfxlen: 64
after:
  description:
    - The entries after the task, in the model (keys masked). In check mode, what they would be.
    - After a real change the module has read them back from the device and checked they are equal.
  returned: when O(state) is V(merged), V(replaced), V(overridden) or V(deleted)
  type: list
  elements: dict
  sample:
    - name: lma1
      domain: campus
      address:
        ipv6:
          - "2001:db8:c::1"
      bce:
        lifetime: 1200
        maximum: 64000
      rats:
        - name: WLAN
          priority: 10
      mags:
        - name: mag1
          domain: campus
          ipv6_address: "2001:db8:c::11"
          encap: gre-ipv6
        - name: mag2
          domain: campus
          ipv6_address: "2001:db8:c::12"
          encap: gre-ipv6
      networks:
        - name: net1
          pool_ipv6:
            name: hnp-pool
            pfxlen: 64
commands:
  description: The configuration lines sent (or, in check mode, that would be sent); empty when unchanged.
  returned: when the CLI transport was used for an action state
  type: list
  elements: str
  sample:
    - ipv6 mobile pmipv6-lma lma1 domain campus
    - bce lifetime 1200
    - bce maximum 64000
    - rat WLAN priority 10
    - mag mag2 campus
    - "ipv6-address 2001:db8:c::12"
    - encap gre-ipv6
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
    - ipv6 mobile pmipv6-lma lma1 domain campus
    - bce lifetime 1200
    - bce maximum 64000
    - rat WLAN priority 10
    - mag mag2 campus
    - "ipv6-address 2001:db8:c::12"
    - encap gre-ipv6
    - exit
gathered:
  description: The resource's entries read from the device, in the model (keys masked).
  returned: when O(state=gathered)
  type: list
  elements: dict
  sample:
    - name: lma1
      domain: campus
      address:
        ipv6:
          - "2001:db8:c::1"
      bce:
        lifetime: 1200
        maximum: 64000
      rats:
        - name: WLAN
          priority: 10
      mags:
        - name: mag1
          domain: campus
          ipv6_address: "2001:db8:c::11"
          encap: gre-ipv6
        - name: mag2
          domain: campus
          ipv6_address: "2001:db8:c::12"
          encap: gre-ipv6
      networks:
        - name: net1
          pool_ipv6:
            name: hnp-pool
            pfxlen: 64
parsed:
  description: The entries parsed from O(running_config), in the model (keys masked).
  returned: when O(state=parsed)
  type: list
  elements: dict
  sample:
    - name: lma1
      domain: campus
      address:
        ipv6:
          - "2001:db8:c::1"
      bce:
        lifetime: 1200
        maximum: 64000
      rats:
        - name: WLAN
          priority: 10
      mags:
        - name: mag1
          domain: campus
          ipv6_address: "2001:db8:c::11"
          encap: gre-ipv6
        - name: mag2
          domain: campus
          ipv6_address: "2001:db8:c::12"
          encap: gre-ipv6
      networks:
        - name: net1
          pool_ipv6:
            name: hnp-pool
            pfxlen: 64
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
        argument_spec=argspec.argument_spec("lma"),
        mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE,
        required_if=argspec.REQUIRED_IF,
        supports_check_mode=True,
    )
    module.fail_json(msg="this module runs on the controller through its action plugin (netmobility.pmipv6)")


if __name__ == "__main__":
    main()
