"""Refuse every connection to a non-loopback address, and every name lookup but localhost.

Used in-process by tests/conftest.py (autouse) and in CLI subprocesses through
child_guard/sitecustomize.py. Self-contained (stdlib only, no package-relative import) so the
child can load it by path before anything else runs.

Each refusal is reported to `on_violation` before the OSError is raised, so a test fails even
when the code under test catches the error (a client retrying on network errors would).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

LOCAL_NAMES = {"localhost", "localhost.", "ip6-localhost"}


class NetworkBlocked(ConnectionRefusedError):
    """A test tried to leave the machine."""


def is_loopback(host: object) -> bool:
    if host is None:  # getaddrinfo(None, port): the wildcard or loopback address, local either way
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host == "" or host.lower() in LOCAL_NAMES:  # "": this host, as for bind()
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 (not loopback to 3.11's ipaddress)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


class NetworkGuard:
    def __init__(self, on_violation: Callable[[str], None]) -> None:
        self._on_violation = on_violation
        self._saved: dict[str, Any] = {}

    def _refuse(self, what: str) -> NetworkBlocked:
        message = f"test network guard: {what} refused (tests may only reach loopback addresses)"
        self._on_violation(message)
        return NetworkBlocked(message)

    def install(self) -> None:
        if self._saved:
            return
        connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
        self._saved = {"connect": connect, "connect_ex": connect_ex, "getaddrinfo": getaddrinfo}
        guard = self

        def check(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
                raise guard._refuse(f"connection to {address[0]}:{address[1]}")

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            check(sock, address)
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            check(sock, address)
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if not is_loopback(host):
                raise guard._refuse(f"name lookup of {host!r}")
            return getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = guarded_getaddrinfo

    def uninstall(self) -> None:
        if not self._saved:
            return
        socket.socket.connect = self._saved["connect"]  # type: ignore[method-assign]
        socket.socket.connect_ex = self._saved["connect_ex"]  # type: ignore[method-assign]
        socket.getaddrinfo = self._saved["getaddrinfo"]
        self._saved = {}
