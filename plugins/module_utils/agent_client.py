# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of a pmipv6-agent's control socket (JSON lines over a Unix socket), for modules
running on the agent's host.  Mirrors ``pmipv6.control.server.request`` without importing the
agent, so it works whatever Python the agent's virtualenv uses."""

import hashlib
import json
import socket


class AgentError(Exception):
    """The agent answered with an error (``refused``) or could not be reached."""

    def __init__(self, message, refused=False):
        super().__init__(message)
        self.refused = refused


def request(path, command, timeout=5.0, **args):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall((json.dumps(dict(args, command=command)) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
    except OSError as exc:
        raise AgentError(f"agent not answering on {path}: {exc.strerror or exc}") from None
    try:
        reply = json.loads(buf)
    except ValueError:
        raise AgentError(f"agent on {path} sent an unreadable reply") from None
    if not reply.get("ok"):
        raise AgentError(reply.get("error", "unknown error"), refused=True)
    return reply["result"]


def file_digest(path):
    """sha256 of a file's bytes: what the agent reports as ``config_digest`` for its loaded file."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
