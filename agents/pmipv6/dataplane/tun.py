"""TUN devices through /dev/net/tun (stdlib only: the relay processes import this too).

A TUN device lives in the network namespace of the thread that opens /dev/net/tun, and it is
not persistent: it disappears with the last file descriptor attached to it.
"""

from __future__ import annotations

import fcntl
import os
import struct

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
TUNSETVNETHDRSZ = 0x400454D8
IFF_TUN = 0x0001
IFF_MULTI_QUEUE = 0x0100
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000

VNET_HDR_LEN = 10  # struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
IFNAMSIZ = 16


def open_tun(name: str, *, vnet: bool = False, multi_queue: bool = False, nonblocking: bool = True) -> int:
    """Create (or attach another queue to) TUN device ``name``; returns the file descriptor.

    ``vnet``: every packet read or written carries a virtio-net header, so whole TCP super-packets
    (GSO) can be written.  The device offers no offloads of its own (TUNSETOFFLOAD 0): packets read
    from it are always complete, segmented and checksummed by the kernel.
    """
    if not name or len(name.encode()) >= IFNAMSIZ:
        raise ValueError(f"bad interface name {name!r}")
    flags = IFF_TUN | IFF_NO_PI
    if vnet:
        flags |= IFF_VNET_HDR
    if multi_queue:
        flags |= IFF_MULTI_QUEUE
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC | (os.O_NONBLOCK if nonblocking else 0))
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), flags))
        if vnet:
            fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", VNET_HDR_LEN))
            fcntl.ioctl(fd, TUNSETOFFLOAD, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd
