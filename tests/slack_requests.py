"""Signed requests in Slack's wire format: sent to the running app over HTTP
(SlackSender), or dispatched to a Bolt app built in this process
(InProcessSender, the tier Bolt's own scenario tests use). Both give back a
response with `status_code`, `text`, `headers` and `json()`."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from urllib.parse import urlencode

import requests
from slack_bolt import App, BoltRequest, BoltResponse


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    def __init__(self, app_url: str, signing_secret: str, response_url: str) -> None:
        self.events_url = app_url.rstrip("/") + "/slack/events"
        self.secret = signing_secret
        self.response_url = response_url
        self.http = requests.Session()

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict | None = None,
    ) -> requests.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret or self.secret, ts, body),
            **(headers or {}),
        }
        return self.send(body, all_headers)

    def send(self, body: str, headers: dict) -> requests.Response:
        return self.http.post(self.events_url, data=body.encode(), headers=headers, timeout=10)

    def command(
        self,
        text: str,
        *,
        user_id: str = "UMEMBER",
        channel_id: str = "CNEWS",
        trigger_id: str = "1337.42.trigger",
        **kwargs,
    ) -> requests.Response:
        form = {
            "token": "legacy-unused",
            "team_id": "T0001",
            "team_domain": "coop",
            "channel_id": channel_id,
            "channel_name": "news",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/coopnews",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.response_url,
            "trigger_id": trigger_id,
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs)

    def interaction(self, payload: dict, **kwargs) -> requests.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def event(
        self, event: dict, *, event_id: str = "Ev0001", retry_num: int | None = None, **kwargs
    ) -> requests.Response:
        envelope = {
            "token": "legacy-unused",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
        }
        headers = kwargs.pop("headers", {}) or {}
        if retry_num is not None:
            headers.update(
                {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
            )
        return self.post(json.dumps(envelope), "application/json", headers=headers, **kwargs)


class DispatchedResponse:
    """A BoltResponse seen as the HTTP response Slack would get."""

    def __init__(self, response: BoltResponse) -> None:
        self.status_code = response.status
        self.text = response.body or ""
        self.headers = {k: v[0] if isinstance(v, list) else v for k, v in response.headers.items()}

    def json(self):
        return json.loads(self.text)


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener threads, remembering what they were given, so a test can wait
    until everything a request started is done (instead of sleeping)."""

    def __init__(self) -> None:
        super().__init__(max_workers=5, thread_name_prefix="bolt-listener")
        self._futures = set()
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.add(future)
        return future

    def wait_idle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = {f for f in self._futures if not f.done()}
                self._futures = pending
            if not pending:
                return
            remaining = deadline - time.monotonic()
            assert remaining > 0, "listeners still running"
            wait(pending, timeout=remaining)


class InProcessSender(SlackSender):
    """The same signed requests, dispatched to an App in this process: no server,
    no process start, yet signature checks, middleware and listeners all run."""

    def __init__(self, app: App, signing_secret: str, response_url: str, pool: ListenerPool):
        super().__init__("http://in-process", signing_secret, response_url)
        self.app = app
        self.pool = pool

    def send(self, body: str, headers: dict) -> DispatchedResponse:
        return DispatchedResponse(self.app.dispatch(BoltRequest(body=body, headers=headers)))

    def settle(self) -> None:
        """Wait until every listener the requests so far started has finished: then
        the Web API calls the app made are all in the fake's record."""
        self.pool.wait_idle()
