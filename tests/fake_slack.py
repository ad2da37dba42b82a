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
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl

from tests.local_server import LocalServer


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
# Reply(..., status=DROP_CONNECTION): close the connection without answering.
DROP_CONNECTION = 0


class FakeSlack(LocalServer):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict] = {}
        # usergroups.list's answer (add_usergroup).
        self.usergroups: list[dict] = []
        self.handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        # Channels the test described (others answer as public channels the bot is in).
        self.channels: dict[str, dict] = {}
        # Messages chat.postMessage accepted, per channel, oldest first (with metadata).
        self.messages: dict[str, list[dict]] = {}
        # Opt-in: at most one accepted post per channel per this many seconds, else 429.
        self.channel_interval: float | None = None
        self.rate_limited = 0
        self._last_post: dict[str, float] = {}
        self._post_lock = threading.Lock()
        self._ts = itertools.count(1)
        self._listen()

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}/response/{name}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.users.clear()
            self.usergroups.clear()
            self.handlers.clear()
        with self._post_lock:
            self.channels.clear()
            self.messages.clear()
            self.channel_interval = None
            self.rate_limited = 0
            self._last_post.clear()

    # -- test helpers ----------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        admin: bool = False,
        owner: bool = False,
        tz: str = "UTC",
        team_id: str = "T0001",
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": user_id.lower(),
            "is_admin": admin,
            "is_owner": owner,
            "tz": tz,
        }

    def add_usergroup(self, group_id: str, handle: str, name: str | None = None) -> None:
        self.usergroups.append(
            {"id": group_id, "team_id": "T0001", "handle": handle, "name": name or handle}
        )

    def add_channel(
        self,
        channel_id: str,
        *,
        private: bool = False,
        member: bool = True,
        archived: bool = False,
        exists: bool = True,
    ) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": channel_id.lower(),
            "is_channel": not private,
            "is_private": private,
            "is_member": member,
            "is_archived": archived,
            "exists": exists,
        }

    def limit_channels(self, interval: float = 1.0) -> None:
        """Answer 429 (Retry-After: 1) to posts closer than `interval` in one channel."""
        self.channel_interval = interval

    def posted(self, channel_id: str) -> list[dict]:
        """The messages accepted in a channel, oldest first."""
        with self._post_lock:
            return list(self.messages.get(channel_id, []))

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The app's DM channel with a user, as Slack names it (`D…`)."""
        return "D" + user_id[1:]

    def default_answer(self, call: Call) -> dict | Reply:
        """What the fake answers when no test handler is set (for wrapping handlers)."""
        handler = getattr(self, "_default_" + call.method.replace(".", "_"), None)
        return handler(call) if handler else {"ok": True}

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

    def _default_chat_postMessage(self, call: Call) -> dict | Reply:
        channel_id = call.params.get("channel")
        if channel_id and channel_id[0] in "UW":  # to a user: the app's DM with them
            channel_id = self.dm_channel(channel_id)
        known = self.channels.get(channel_id)
        if known is not None:
            if not known["exists"]:
                return {"ok": False, "error": "channel_not_found"}
            if known["is_archived"]:
                return {"ok": False, "error": "is_archived"}
            if not known["is_member"]:
                return {"ok": False, "error": "not_in_channel"}
        with self._post_lock:
            now = time.monotonic()
            last = self._last_post.get(channel_id)
            if self.channel_interval and last is not None and now - last < self.channel_interval:
                self.rate_limited += 1
                return Reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
            self._last_post[channel_id] = now
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            message = {
                "type": "message",
                "ts": ts,
                "text": call.params.get("text"),
                "bot_id": "BBOT",
            }
            if call.params.get("blocks"):
                message["blocks"] = call.params["blocks"]
            if call.params.get("metadata"):
                message["metadata"] = call.params["metadata"]
            if call.params.get("thread_ts"):
                message["thread_ts"] = call.params["thread_ts"]
            self.messages.setdefault(channel_id, []).append(message)
        return {
            "ok": True,
            "channel": channel_id,
            "ts": ts,
            "message": {"text": call.params.get("text"), "ts": ts},
        }

    def _default_conversations_info(self, call: Call) -> dict:
        channel_id = call.params.get("channel", "")
        known = self.channels.get(channel_id)
        if known is None:
            return {
                "ok": True,
                "channel": {"id": channel_id, "is_channel": True, "is_member": True},
            }
        # A private channel the bot is not in is invisible to it.
        if not known["exists"] or (known["is_private"] and not known["is_member"]):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {k: v for k, v in known.items() if k != "exists"}}

    def _default_conversations_open(self, call: Call) -> dict:
        user_id = call.params.get("users", "")
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_channel(user_id)}}

    def _default_conversations_join(self, call: Call) -> dict:
        channel_id = call.params.get("channel", "")
        known = self.channels.get(channel_id)
        if known is not None:
            if not known["exists"] or known["is_private"]:
                return {"ok": False, "error": "channel_not_found"}
            if known["is_archived"]:
                return {"ok": False, "error": "is_archived"}
            known["is_member"] = True
        return {"ok": True, "channel": {"id": channel_id, "is_member": True}}

    def _default_conversations_history(self, call: Call) -> dict:
        """Newest first; `oldest`, `limit`, `cursor`; metadata only with include_all_metadata."""
        params = call.params
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        # As Slack: replies in threads are not in the history (conversations.replies).
        messages = [
            m
            for m in reversed(self.posted(params.get("channel", "")))
            if float(m["ts"]) > oldest and m.get("thread_ts", m["ts"]) == m["ts"]
        ]
        return self._page(messages, params, with_metadata)

    def _default_conversations_replies(self, call: Call) -> dict:
        """A thread, parent first then replies oldest first; `oldest`, `limit`, `cursor`."""
        params = call.params
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        parent = params.get("ts")
        messages = [
            m
            for m in self.posted(params.get("channel", ""))
            if m["ts"] == parent or (m.get("thread_ts") == parent and float(m["ts"]) > oldest)
        ]
        if not any(m["ts"] == parent for m in messages):
            return {"ok": False, "error": "thread_not_found"}
        return self._page(messages, params, with_metadata)

    def _page(self, messages: list[dict], params: dict, with_metadata: bool) -> dict:
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = messages[start : start + limit]
        if not with_metadata:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(messages)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _default_chat_update(self, call: Call) -> dict:
        """Replaces a message chat.postMessage accepted (text, blocks, metadata).

        A message the fake never saw is answered ok, as before this default existed.
        """
        channel_id, ts = call.params.get("channel"), call.params.get("ts")
        with self._post_lock:
            for message in self.messages.get(channel_id, []):
                if message["ts"] == ts:
                    message["text"] = call.params.get("text")
                    for key in ("blocks", "metadata"):
                        if call.params.get(key):
                            message[key] = call.params[key]
                        else:
                            message.pop(key, None)
                    message["edited"] = {"user": "UBOT", "ts": f"{time.time():.6f}"}
        return {"ok": True, "channel": channel_id, "ts": ts, "text": call.params.get("text")}

    def _default_usergroups_list(self, call: Call) -> dict:
        return {"ok": True, "usergroups": list(self.usergroups)}

    def _default_chat_getPermalink(self, call: Call) -> dict:
        channel_id, ts = call.params.get("channel"), call.params.get("message_ts")
        return {
            "ok": True,
            "channel": channel_id,
            "permalink": f"https://coop.slack.com/archives/{channel_id}/p{ts.replace('.', '')}",
        }

    def _default_views_open(self, call: Call) -> dict:
        n = next(self._ts)
        return {"ok": True, "view": {"id": f"V{n:08d}", "hash": f"{n}.hash"}}

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
                if reply.status == DROP_CONNECTION:
                    # A connection lost mid-call: no status line, no body.
                    self.close_connection = True
                    return
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
