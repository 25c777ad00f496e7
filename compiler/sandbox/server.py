"""One server on 127.0.0.1 (HTTPS, or plain HTTP without a TLS context), served from a thread,
that hands each request to an app.

The fakes (graph.py here, the tests' authority...) are plain objects with
`handle(Request) -> Response`; this module is the only place that knows sockets, TLS and threads. Everything is bounded: a
connection idles at most IDLE_SECONDS, and `stop()` closes open connections and joins the
serving thread with a timeout, so a test never hangs on a fake.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

IDLE_SECONDS = 10
STOP_JOIN_SECONDS = 5
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON, or None when absent or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    status: int  # 0 = reset the connection without answering
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Any = None  # a faults.Streamed: sent chunked instead of `body`

    @classmethod
    def json(cls, status: int, document: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(document).encode(), {"Content-Type": "application/json", **(headers or {})})


RESET = Response(0)


class App(Protocol):
    latency: float

    def handle(self, request: Request) -> Response: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    timeout = IDLE_SECONDS
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_error(413)
            return
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        app = self.server.app
        if app.latency:
            time.sleep(app.latency)
        try:
            response = app.handle(request)
        except Exception as error:  # a bug in a fake: answer, and let the fixture fail the test
            self.server.errors.append(f"{request.method} {request.path}: {error!r}")
            response = Response(500, b"fake crashed", {"Content-Type": "text/plain"})
        if response.status == 0:
            self._reset()
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is not None:
            self._send_chunked(response.stream)
            return
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _send_chunked(self, stream: Any) -> None:
        """A body in chunks, `stream.pause` apart, until the client hangs up, `stream.limit`
        bytes went out, or the server stops."""
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        sent = 0
        try:
            for chunk in stream.chunks():
                if sent >= stream.limit or self.server.stopping.wait(stream.pause):
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading: what a capped or impatient client does

    def _reset(self) -> None:
        """Close with an RST (SO_LINGER 0), as a dropped connection looks to the client."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.resets.add(self.connection)  # closed without the usual FIN first

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, Nagle and the client's delayed ACK
        # add ~40 ms to many replies, which real Graph does not (and which would skew bench/).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the apps keep journals; stderr noise helps nobody


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, app: App, context: ssl.SSLContext | None, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        if context is not None:
            # The handshake happens in the connection's own thread (first read), not in accept().
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.app = app
        self._open: set[socket.socket] = set()
        self.resets: set[socket.socket] = set()
        self.errors: list[str] = []
        self.stopping = threading.Event()  # ends a streamed answer's pauses
        self._lock = threading.Lock()

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's fully qualified name: not needed, and slow.
        if self.server_address[1]:
            # A chosen port is free again at once after a restart (its old connections in
            # TIME_WAIT do not hold it); a port another process listens on is still refused.
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        socket.socket.bind(self.socket, self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._open.add if add else self._open.discard)(connection)

    def shutdown_request(self, request: Any) -> None:
        if request in self.resets:
            self.resets.discard(request)
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is normal in fault tests

    def close_open_connections(self) -> None:
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RDWR)


class LoopbackServer:
    """Serves `app` on 127.0.0.1:`port` (0: a free one) until `stop()`: over HTTPS with a TLS
    context, else plain HTTP. A port in use raises OSError (EADDRINUSE) here, before any thread."""

    def __init__(self, app: App, context: ssl.SSLContext | None, port: int = 0) -> None:
        self._server = _Server(app, context, port)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if context else 'http'}://127.0.0.1:{self.port}"
        self.errors = self._server.errors  # exceptions raised by the app (a bug in the fake)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake:{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join(STOP_JOIN_SECONDS)
