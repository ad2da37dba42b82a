"""A local fake of the Slack Web API, over real HTTP, that records every call.

Point SLACK_API_URL at `fake.api_url`. Each call is recorded as a `Call`
(method, params, headers). Answers come from `handlers` (per method; tests
may replace them) and default to `{"ok": true}`. `response_url`s handed to
the app point here too (`fake.response_url(name)`), and what the app posts
to them is recorded under the method name `response_url`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Call:
    method: str
    params: dict
    headers: dict
    at: float = field(default_factory=time.monotonic)


@dataclass
class Reply:
    body: dict
    status: int = 200
    headers: dict = field(default_factory=dict)


Handler = Callable[[Call], "dict | Reply"]


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict] = {}
        self.handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}/response/{name}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.users.clear()
            self.handlers.clear()

    # -- test helpers ----------------------------------------------------
    def add_user(
        self, user_id: str, *, admin: bool = False, owner: bool = False, tz: str = "UTC"
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": user_id.lower(),
            "is_admin": admin,
            "is_owner": owner,
            "tz": tz,
        }

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(
            f"expected {count} call(s) to {method}, got {len(self.calls_to(method))}"
        )

    # -- answers ---------------------------------------------------------
    def _answer(self, call: Call) -> Reply:
        handler = self.handlers.get(call.method) or getattr(
            self, "_default_" + call.method.replace(".", "_"), None
        )
        result = handler(call) if handler else {"ok": True}
        return result if isinstance(result, Reply) else Reply(result)

    def _default_auth_test(self, call: Call) -> dict:
        return {
            "ok": True,
            "url": "https://coop.slack.com/",
            "team": "Coop",
            "user": "coopnews",
            "team_id": "T0001",
            "user_id": "UBOT",
            "bot_id": "BBOT",
        }

    def _default_users_info(self, call: Call) -> dict:
        user = self.users.get(call.params.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _default_chat_postMessage(self, call: Call) -> dict:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        return {
            "ok": True,
            "channel": call.params.get("channel"),
            "ts": ts,
            "message": {"text": call.params.get("text"), "ts": ts},
        }

    def _default_views_open(self, call: Call) -> dict:
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}"}}

    def _default_views_publish(self, call: Call) -> dict:
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}"}}

    def _handler_class(self):
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.path.startswith("/api/"):
                    method = self.path[len("/api/") :].split("?")[0]
                elif self.path.startswith("/response/"):
                    method = "response_url"
                else:
                    self._send(Reply({"ok": False, "error": "unknown_path"}, 404))
                    return
                call = Call(
                    method, _decode(raw, self.headers.get("Content-Type", "")), dict(self.headers)
                )
                if method == "response_url":
                    call.params["_path"] = self.path
                with fake._lock:
                    fake.calls.append(call)
                try:
                    reply = fake._answer(call)
                except Exception as exc:  # a broken test handler: make it visible
                    reply = Reply({"ok": False, "error": f"fake_handler_failed: {exc}"}, 500)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                body = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, str(value))
                self.end_headers()
                self.wfile.write(body)

        return RequestHandler


def _decode(raw: str, content_type: str) -> dict:
    if "json" in content_type:
        return json.loads(raw or "{}")
    params = dict(parse_qsl(raw, keep_blank_values=True))
    # slack_sdk sends blocks/view/metadata as JSON strings in form posts.
    for key in ("blocks", "view", "metadata", "attachments"):
        if isinstance(params.get(key), str) and params[key][:1] in "[{":
            params[key] = json.loads(params[key])
    return params
