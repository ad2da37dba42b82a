"""A local HTTP server (a thread on 127.0.0.1) that serves test feeds and records requests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.local_server import LocalServer


@dataclass
class Served:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    # No Content-Length: the body ends when the connection closes (streamed).
    streamed: bool = False
    delay: float = 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]


Route = Callable[[Request], Served]


class FeedServer(LocalServer):
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        # Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.most_in_flight = 0
        self._listen()

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, path: str, body: bytes | str, content_type: str = "application/rss+xml", **kw):
        data = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        self.routes[path] = lambda request: Served(body=data, headers=headers, **kw)

    # -- faults a test can inject ---------------------------------------
    def fail(self, path: str, status: int = 500, body: bytes = b"broken", **headers: str):
        self.routes[path] = lambda request: Served(status, body, dict(headers))

    def redirect(self, path: str, to: str, status: int = 301):
        self.routes[path] = lambda request: Served(status, b"", {"Location": to})

    def rate_limit(self, path: str, retry_after: str = "120", status: int = 429):
        self.routes[path] = lambda request: Served(
            status, b"slow down", {"Retry-After": retry_after}
        )

    def challenge(self, path: str, status: int = 403, header: bool = False):
        """An anti-bot wall: a "Just a moment…" page, or a `cf-mitigated` header."""
        body = "<html><title>Just a moment…</title>checking your browser</html>".encode()
        headers = {"Content-Type": "text/html"}
        if header:
            headers["cf-mitigated"] = "challenge"
            body = b"<html>blocked</html>"
        self.routes[path] = lambda request: Served(status, body, headers)

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.requests.append(request)
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                try:
                    route = server.routes.get(self.path)
                    served = route(request) if route else Served(404, b"not found")
                    if served.delay:
                        time.sleep(served.delay)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                self.send_response(served.status)
                for name, value in served.headers.items():
                    self.send_header(name, value)
                body = served.body
                if served.streamed:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunks = [body] if isinstance(body, bytes) else body
                    try:
                        for chunk in chunks:
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
                data = body if isinstance(body, bytes) else b"".join(body)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

        return Handler
