"""Who may write: workspace admins/owners (users.info) and COOPNEWS_ADMINS.

Slack Connect: people from other organisations reach coopnews in shared
channels, and users.info tells their own workspace's rights (`is_admin` there,
with their `team_id`). Only admins and owners of the workspace coopnews is
installed in (auth.test's `team_id`) are coopnews admins; others may read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_bolt import Ack, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.curation import notice_view

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
        self._home_team: str | None = None

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

    def home_team(self) -> str | None:
        """The installed workspace's team id (auth.test), cached once known; None if unknown."""
        if self._home_team is None:
            try:
                self._home_team = self._client.auth_test().get("team_id") or None
            except SlackApiError as exc:
                log.warning("auth.test failed: %s", exc.response.get("error"))
        return self._home_team

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
        if not user or not (user.get("is_admin") or user.get("is_owner")):
            return False
        return self._is_home_member(user)

    def _is_home_member(self, user: dict) -> bool:
        """True when `user` belongs to the installed workspace (or its Enterprise Grid team)."""
        home = self._users.home_team()
        if home is None:
            return False
        teams = (user.get("enterprise_user") or {}).get("teams") or []
        return user.get("team_id") == home or home in teams


# The one answer to a member who asks for an admin's command, button or form.
REFUSAL = (
    "Sorry, only coopnews admins can do that. Ask a workspace admin if you think you should be one."
)
REFUSAL_TITLE = "Admins only"


def require_admin(admins: AdminPolicy) -> Callable[..., BoltResponse | None]:
    """Bolt listener middleware: the listener runs only for an admin.

    Give it to every action and view listener that writes or opens an admin's
    form (`app.action(ID, middleware=[deps.require_admin])`): clicks and view
    submissions can be forged by anyone, so rights are checked on the server
    (https://api.slack.com/interactivity/handling#payloads). A member gets
    REFUSAL: in the modal itself for a view_submission (`response_action:
    update`), else in a notice modal opened with the click's trigger_id.
    Nothing else runs, so nothing is written.
    """

    def require_admin(body: dict, ack: Ack, client: WebClient, next: Callable[[], None]):
        if admins.is_admin((body.get("user") or {}).get("id")):
            return next()
        refusal = notice_view(REFUSAL_TITLE, REFUSAL)
        if body.get("type") == "view_submission":
            return ack(response_action="update", view=refusal)
        response = ack()
        if body.get("trigger_id"):
            try:
                client.views_open(trigger_id=body["trigger_id"], view=refusal)
            except SlackApiError as exc:  # the refusal still stands: nothing ran
                log.warning("could not show the refusal: %s", exc.response.get("error"))
        return response

    return require_admin
