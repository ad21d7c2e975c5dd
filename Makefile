# netmobility.pmipv6 — every target installs what it needs (fresh Debian 12, as root).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := tshark tcpdump iproute2 iperf3
PYTEST_ARGS ?=

.PHONY: help test lint bench deps apt-deps lab lab-down clean

help:
	@echo "make test      run every test CI runs (installs its own dependencies)"
	@echo "make lint      ruff (Python), changelog fragments"
	@echo "make bench     measure the agents, write BENCHMARKS.md"
	@echo "make lab       bring up the one-box lab domain (comes with the inventory/roles work)"

apt-deps:
	@missing=""; for c in tshark tcpdump ip iperf3; do command -v $$c >/dev/null || missing=1; done; \
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

test: deps
	$(PY) -m pytest tests/agents tests/unit -q -p no:cacheprovider $(PYTEST_ARGS)

LINT_STAMP := $(VENV)/.installed-lint

$(LINT_STAMP): $(STAMP)
	$(PY) -m pip install -q -e 'agents[lint]'
	touch $@

lint: $(LINT_STAMP)
	$(VENV)/bin/ruff check agents plugins tests bench
	$(VENV)/bin/ruff format --check agents plugins tests bench
	$(VENV)/bin/antsibull-changelog lint

bench: deps
	$(PY) bench/run.py --output BENCHMARKS.md

lab lab-down:
	@echo "make $@: the lab domain arrives with the inventory and roles (issue 4); nothing to do yet"; exit 1

clean:
	rm -rf $(VENV) tests/output .pytest_cache build
