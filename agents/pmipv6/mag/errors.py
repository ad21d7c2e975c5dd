"""Errors the MAG engine raises to its callers (the control API turns them into messages)."""

from __future__ import annotations


class MagError(ValueError):
    """Base class: a request the MAG cannot carry out."""


class UnknownMobileNode(MagError):  # noqa: N818 - name fixed by the MAG interface
    """No policy profile matches the MAC address or NAI: the MN is not served here."""


class NotAttachedError(MagError, KeyError):
    """No binding update list entry for this MAC address.

    Both a ValueError (like every MAG error) and a KeyError (it is a failed lookup)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "not attached"
