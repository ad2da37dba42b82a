"""An outgoing HTTP proxy on 127.0.0.1 for tests: absolute-form GETs are forwarded
(RFC 9112 §3.2.2) and CONNECT opens a tunnel (RFC 9110 §9.3.6); both are recorded,
so a test can tell a feed was read through it."""

from __future__ import annotations

import http.client
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.local_server import LocalServer


class HttpProxy(LocalServer):
    def __init__(self) -> None:
        self.seen: list[str] = []  # the absolute URLs asked for
        self.auth: list[str | None] = []
        self._lock = threading.Lock()
        self._listen()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                with proxy._lock:
                    proxy.seen.append(self.path)
                    proxy.auth.append(self.headers.get("Proxy-Authorization"))
                target = urlsplit(self.path)
                if target.scheme != "http" or not target.hostname:
                    self.send_error(400, "absolute http URL expected")
                    return
                upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=5)
                path = (target.path or "/") + (f"?{target.query}" if target.query else "")
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("proxy-authorization", "proxy-connection", "connection")
                }
                upstream.request("GET", path, headers=headers)
                response = upstream.getresponse()
                body = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                upstream.close()

            def do_CONNECT(self):  # noqa: N802 - http.server's naming
                with proxy._lock:
                    proxy.seen.append(f"CONNECT {self.path}")
                    proxy.auth.append(self.headers.get("Proxy-Authorization"))
                host, _, port = self.path.rpartition(":")
                try:
                    upstream = socket.create_connection((host, int(port)), timeout=5)
                except OSError:
                    self.send_error(502)
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                sockets = [self.connection, upstream]
                try:
                    while True:
                        ready, _, _ = select.select(sockets, [], [], 5)
                        if not ready:
                            break
                        for sock in ready:
                            data = sock.recv(65536)
                            if not data:
                                return
                            (upstream if sock is self.connection else self.connection).sendall(data)
                except OSError:
                    pass
                finally:
                    upstream.close()
                    self.close_connection = True

            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

        return Handler
