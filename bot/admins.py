"""Who may write: workspace admins/owners (users.info) and COOPNEWS_ADMINS."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# users.info answers change rarely; a few minutes keeps modals within
# Slack's 3-second trigger_id window without a Web API call per click.
USER_CACHE_SECONDS = 300


class UserDirectory:
    """users.info, cached per user for a few minutes, thread-safe."""

    def __init__(
        self,
        client: WebClient,
        ttl: float = USER_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def info(self, user_id: str) -> dict | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        try:
            user = self._client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            return None
        with self._lock:
            self._cache[user_id] = (now, user)
        return user

    def timezone(self, user_id: str) -> str | None:
        user = self.info(user_id)
        return user.get("tz") if user else None


class AdminPolicy:
    def __init__(self, users: UserDirectory, configured: frozenset[str]) -> None:
        self._users = users
        self._configured = configured

    def is_admin(self, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self._configured:
            return True
        user = self._users.info(user_id)
        # Fail closed: no answer from Slack means no write rights.
        return bool(user and (user.get("is_admin") or user.get("is_owner")))
