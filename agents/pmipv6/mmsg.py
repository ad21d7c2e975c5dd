"""The C structures and libc calls behind recvmmsg(2)/sendmmsg(2), through ctypes.

Shared by the agent's signalling transport (``batchio``) and the userspace tunnel relays
(``dataplane/relay.py``).  Stdlib only and cheap to import: the relays import it at start-up.
"""

from __future__ import annotations

import ctypes
import ctypes.util

MSG_DONTWAIT = 0x40


class IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.c_void_p),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", MsgHdr), ("msg_len", ctypes.c_uint)]


MMSGHDR_SIZE = ctypes.sizeof(MMsgHdr)
IOVEC_SIZE = ctypes.sizeof(IoVec)


def load_libc():
    """libc with recvmmsg/sendmmsg typed; None where it lacks them (non-glibc)."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        lib.recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
        lib.recvmmsg.restype = ctypes.c_int
        lib.sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
        lib.sendmmsg.restype = ctypes.c_int
        return lib
    except (OSError, AttributeError):
        return None
