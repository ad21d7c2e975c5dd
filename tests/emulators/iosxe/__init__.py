"""Emulated Cisco IOS-XE 17.x router: a YANG-validated configuration store (store.py) served over
NETCONF (netconf.py) and an SSH CLI (cli.py), started from pytest fixtures (fixtures.py) or from the
command line (``python tests/emulators/iosxe --help``)."""
