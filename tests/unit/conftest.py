"""Make ``ansible_collections.netmobility.pmipv6`` importable for plain pytest runs (``make test``).

``ansible-test units`` runs from an ``ansible_collections/netmobility/pmipv6`` tree and needs
nothing; a checkout anywhere else gets a symlinked collection root under ``build/``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _collection_root() -> None:
    try:
        if importlib.util.find_spec("ansible_collections.netmobility.pmipv6") is not None:
            return
    except ModuleNotFoundError:
        pass
    root = REPO / "build" / "collections"
    link = root / "ansible_collections" / "netmobility" / "pmipv6"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    sys.path.insert(0, str(root))


_collection_root()
