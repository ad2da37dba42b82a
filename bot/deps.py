"""What listeners need, built once per process from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.admins import AdminPolicy, UserDirectory, require_admin
from bot.answer_cache import AnswerCache
from bot.blocks.items import Accessory
from bot.curation.controls import admin_item_controls
from bot.settings import Settings
from storage.db import Database


def make_client(settings: Settings) -> WebClient:
    """A Web API client honouring SLACK_API_URL, retrying 429s after Retry-After."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=10,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)],
    )


@dataclass
class Deps:
    settings: Settings
    db: Database
    client: WebClient
    users: UserDirectory
    admins: AdminPolicy
    # Controls added to each listed item for a given user (admins' Edit/Delete/Feature):
    # item_controls(user_id, featured_id=None).
    item_controls: Callable[..., Accessory | None]
    # Listener middleware for every admin action and view (bot.admins.require_admin).
    require_admin: Callable[..., Any]
    # Read answers kept while the data is unchanged (bot/answer_cache.py), per process.
    answers: AnswerCache = field(default_factory=AnswerCache)


def build_deps(settings: Settings, db: Database | None = None) -> Deps:
    client = make_client(settings)
    users = UserDirectory(client)
    admins = AdminPolicy(users, settings.admins)
    return Deps(
        settings=settings,
        db=db or Database(settings.database_url),
        client=client,
        users=users,
        admins=admins,
        item_controls=admin_item_controls(admins),
        require_admin=require_admin(admins),
    )
