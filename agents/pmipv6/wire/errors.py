"""Codec exceptions."""


class DecodeError(ValueError):
    """The byte string is not a well-formed Mobility Header. The only exception decode() raises."""


class UnknownMHType(DecodeError):  # noqa: N818 - name fixed by the wire API
    """A well-formed header with an MH Type this codec does not implement (RFC 6275: Binding Error 2)."""

    def __init__(self, mh_type: int):
        super().__init__(f"unrecognized MH type {mh_type}")
        self.mh_type = mh_type


class EncodeError(ValueError):
    """A message object that cannot be put on the wire (a field out of range)."""
