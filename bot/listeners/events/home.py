"""App Home: publish the user's Home tab each time they open it.

Its item parts (the featured item, the newest items, the categories) are the same
for everyone and come from the answer cache (bot/answer_cache.py) while the data
revision is unchanged; the rest (channels, the viewer's follows, admins' sections)
is read each time, with the revision, in one statement (storage.home.home_reads).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.home import HomeContent, home_view
from bot.blocks.scheduled import HOME_SCHEDULED
from bot.blocks.suggestions import HOME_SUGGESTIONS
from bot.deps import Deps
from storage import categories, featured, home, revision
from storage.categories import CategoryCount
from storage.subscriptions import listed

HOME_ITEMS = 5


@dataclass(frozen=True)
class ItemSnapshot:
    """An item's fields as stored (bot.blocks.entities.ItemLike), copied out of its
    session: what App Home's cache holds, shared by every thread that reads it. Not
    bot.public.news.NewsPageItem, which holds an item already formatted for /news."""

    id: int
    title: str
    url: str | None
    category: str | None
    summary: str | None
    published_at: datetime

    @classmethod
    def of(cls, item) -> ItemSnapshot:
        return cls(item.id, item.title, item.url, item.category, item.summary, item.published_at)


@dataclass(frozen=True)
class HomeItems:
    """App Home's parts that are the same for every viewer (cached per data revision)."""

    items: tuple[ItemSnapshot, ...]
    featured: ItemSnapshot | None
    categories: tuple[CategoryCount, ...]
    spellings: Mapping[str, str]

    def size(self) -> int:
        """About how many bytes it holds (for the cache's bound)."""
        shown = [*self.items, *([self.featured] if self.featured else [])]
        texts = [t for i in shown for t in (i.title, i.url, i.category, i.summary) if t]
        texts += [c.name for c in self.categories] + [*self.spellings, *self.spellings.values()]
        return sum(map(sys.getsizeof, texts)) + 200 * (len(shown) + len(self.categories))


def home_items(deps: Deps, session, at: revision.Revision | None = None) -> HomeItems:
    """The shared parts, from the cache at revision `at` or read now. `at` must have
    been read in `session` before any data it stands for (storage/revision.py: never
    data older than it); without it the revision is read first here."""
    cache = deps.answers
    if cache.enabled and at is None:
        at = revision.current(session)
    at = at if cache.enabled else None
    found = cache.get(at, ("home items",)) if at else None
    if found is not None:
        return found
    listed = categories.category_list(session)
    front = featured.front_page(session, HOME_ITEMS)  # one statement: pinned and newest
    built = HomeItems(
        items=tuple(map(ItemSnapshot.of, front.items)),
        featured=ItemSnapshot.of(front.featured) if front.featured else None,
        categories=tuple(listed.counted),
        spellings=MappingProxyType(dict(listed.spellings)),
    )
    if at:
        cache.put(at, ("home items",), built, built.size())
    return built


def load_home(deps: Deps, is_admin: bool, user_id: str | None = None) -> HomeContent:
    """What `user_id`'s Home shows (admins' sections only if `is_admin`). One statement
    reads the revision and every per-person part (storage.home.home_reads); the shared
    item parts come from the answer cache at that revision, or are read after it."""
    def read(connection) -> home.HomeReads:  # a read: run again after a dropped connection
        return home.home_reads(connection, user_id, is_admin, HOME_SUGGESTIONS, HOME_SCHEDULED)

    # No ping at checkout, as the answer cache's reads (storage/db.Database.reading_first).
    with (
        deps.db.reading_first(read) as (connection, reads),
        deps.db.sessions(bind=connection) as session,
    ):
        shared = home_items(deps, session, reads.revision)
    # Category spellings as list_subscriptions reads them (storage.categories.spellings).
    subscriptions = [listed(sub, shared.spellings) for sub in reads.subscriptions]
    content = HomeContent(
        items=shared.items,
        featured=shared.featured,
        categories=shared.categories,
        subscriptions=subscriptions,
        more_subscriptions=max(0, reads.subscription_count - len(subscriptions)),
        follows=reads.follows,
        spellings=shared.spellings,
    )
    if is_admin:
        content.sources = home.health(reads.sources)
        content.more_sources = max(0, len(reads.sources) - len(content.sources))
        content.suggestions = reads.suggestions
        content.pending_suggestions = reads.pending_suggestions
        content.scheduled = reads.scheduled
        content.more_scheduled = reads.pending_scheduled - len(reads.scheduled)
    return content


def publish_home(client: WebClient, deps: Deps, user_id: str) -> None:
    """Build and publish `user_id`'s Home tab (also after an admin changes what it lists)."""
    is_admin = deps.admins.is_admin(user_id)
    view = home_view(load_home(deps, is_admin, user_id), is_admin)
    client.views_publish(user_id=user_id, view=view)


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":  # the Messages tab opens this event too
            return
        publish_home(client, deps, event["user"])
