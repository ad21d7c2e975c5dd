#!/usr/bin/python
# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: validate_domain
short_description: Validate a PMIPv6 domain description and its inventory mapping
version_added: 0.1.0
description:
  - "Checks the desired-state domain (C(pmipv6_domain)) completely on the controller and fails with
    every problem, each naming its exact path, for example
    C(pmipv6_domain.mags.mag2.lma: unknown LMA 'lma9')."
  - Checks unknown references, overlapping HNP pools, static prefixes outside every pool or used twice,
    duplicate mobile-node MACs or NAIs, an AP behind two MAGs, addresses that are not IPv6, lifetimes out
    of range, hosts whose C(pmipv6_node) is not in the domain, and domain nodes no host realises.
  - Runs entirely on the controller (an action plugin), so no host is contacted and a play that starts
    with it stops before anything is changed.
author: netmobility engineering (@netmobility)
options:
  domain:
    description:
      - The domain description. Defaults to the variable C(pmipv6_domain).
    type: dict
  hosts:
    description:
      - Inventory hosts whose C(pmipv6_node) must realise the domain's nodes. Defaults to every host of the
        inventory; hosts without C(pmipv6_node) are not domain nodes and are ignored.
    type: list
    elements: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - The schema is documented in the collection's docs/domain.md.
"""

EXAMPLES = r"""
- name: Validate the PMIPv6 domain before touching any host
  netmobility.pmipv6.validate_domain:

- name: Validate a domain given inline, for the hosts of one group only
  netmobility.pmipv6.validate_domain:
    domain: "{{ lab_domain }}"
    hosts: "{{ groups['pmipv6'] }}"
"""

RETURN = r"""
problems:
  description: "Every problem, as C(path: problem); empty when the domain is valid."
  returned: always
  type: list
  elements: str
  sample: ["pmipv6_domain.mags.mag2.lma: unknown LMA 'lma9'"]
nodes:
  description: Each LMA and MAG with its role, platform and the inventory host that realises it.
  returned: success
  type: dict
  sample: {"lma1": {"role": "lma", "platform": "linux", "host": "lma1"}}
"""
