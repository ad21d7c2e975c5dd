# netmobility.pmipv6 — every target installs what it needs (fresh Debian 12, as root).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := tshark tcpdump iproute2 iperf3 ethtool nftables openssh-server libyang2-dev gcc
PYTEST_ARGS ?=
WHEELHOUSE := build/wheelhouse

.PHONY: help test lint sanity ansible-lint collection-path bench deps apt-deps lab lab-down clean

help:
	@echo "make test      run every test CI runs (installs its own dependencies)"
	@echo "make lint      ruff (Python), changelog fragments"
	@echo "make bench     measure the agents, write BENCHMARKS.md"
	@echo "make lab       bring up the one-box lab domain, roll it out with ansible-playbook, show a handover"
	@echo "make lab-down  remove the lab"

apt-deps:
	@missing=""; for c in tshark tcpdump ip iperf3 ethtool nft /usr/sbin/sshd gcc; do command -v $$c >/dev/null || missing=1; done; \
	[ -f /usr/include/libyang/libyang.h ] || missing=1; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install $(APT_PACKAGES)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

$(STAMP): agents/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e 'agents[test]'
	touch $@

deps: apt-deps $(STAMP)

ANSIBLE_STAMP := $(VENV)/.installed-ansible
$(ANSIBLE_STAMP): $(STAMP) tests/requirements-ansible.txt tests/requirements-emulator.txt
	$(PY) -m pip install -q -r tests/requirements-ansible.txt -r tests/requirements-emulator.txt
	touch $@

test: deps $(ANSIBLE_STAMP) $(WHEELHOUSE)/.done collection-path
	$(PY) -m pytest tests/agents tests/unit tests/emulators tests/iosxe tests/integration -q -p no:cacheprovider $(PYTEST_ARGS)
	$(MAKE) --no-print-directory sanity ansible-lint

# ansible-test wants the collection at ansible_collections/<ns>/<name>, outside this git tree (it
# would only see tracked files there): the Ansible content (not
# the agents' Python project, which ruff covers) is copied there. Its pip bootstrap download is
# unreachable offline: tests/sanity/get_pip_offline.py stands in (see the file).
SANITY_BASE := /tmp/netmobility-pmipv6-sanity
SANITY_ROOT := $(SANITY_BASE)/ansible_collections/netmobility/pmipv6
SANITY_CONTENT := galaxy.yml meta plugins roles playbooks docs changelogs README.md LICENSE CHANGELOG.rst \
	tests/unit tests/sanity
PIP_CACHE := $(HOME)/.ansible/test/cache

sanity: $(ANSIBLE_STAMP)
	rm -rf $(SANITY_BASE) && mkdir -p $(SANITY_ROOT) $(PIP_CACHE)
	cp -r --parents $(SANITY_CONTENT) $(SANITY_ROOT)/
	find $(SANITY_ROOT) -name __pycache__ -prune -exec rm -rf {} +
	for v in 24_2 25_0 25_1 25_2; do cp tests/sanity/get_pip_offline.py $(PIP_CACHE)/get_pip_$$v.py; done
	cd $(SANITY_ROOT) && PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-test sanity --venv --python 3.11 --color no

ansible-lint: $(ANSIBLE_STAMP) collection-path
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/collections $(VENV)/bin/ansible-lint --nocolor

LINT_STAMP := $(VENV)/.installed-lint

$(LINT_STAMP): $(STAMP)
	$(PY) -m pip install -q -e 'agents[lint]'
	touch $@

lint: $(LINT_STAMP)
	$(VENV)/bin/ruff check agents plugins tests bench inventories
	$(VENV)/bin/ruff format --check agents plugins tests bench inventories
	$(VENV)/bin/antsibull-changelog lint

bench: deps $(ANSIBLE_STAMP) $(WHEELHOUSE)/.done collection-path
	$(PY) bench/run.py --output BENCHMARKS.md

# The agents' dependencies for hosts without internet: wheels fetched here, on the controller.
$(WHEELHOUSE)/.done: agents/pyproject.toml
	mkdir -p $(WHEELHOUSE)
	$(PY) -m pip download -q --only-binary=:all: -d $(WHEELHOUSE) 'pyroute2>=0.7' 'PyYAML>=6'
	touch $@

# Ansible against this checkout: the collection is found through build/collections.
ANSIBLE_ENV := ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/collections ANSIBLE_PIPELINING=True \
	ANSIBLE_FORKS=20 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 PATH=$(CURDIR)/$(VENV)/bin:$$PATH
collection-path:
	mkdir -p build/collections/ansible_collections/netmobility
	ln -sfn $(CURDIR) build/collections/ansible_collections/netmobility/pmipv6

lab: deps $(ANSIBLE_STAMP) $(WHEELHOUSE)/.done collection-path
	$(PY) inventories/lab/nslab.py up
	$(ANSIBLE_ENV) ansible-playbook -i inventories/lab playbooks/site.yml
	$(PY) inventories/lab/nslab.py demo

lab-down:
	$(PY) inventories/lab/nslab.py down

clean:
	rm -rf $(VENV) tests/output .pytest_cache build
