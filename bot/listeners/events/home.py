"""App Home: publish the user's Home tab each time they open it.

Its item parts (the featured item, the newest items, the categories) are the same
for everyone and come from the answer cache (bot/answer_cache.py) while the data
revision is unchanged; the rest (channels, the viewer's follows, admins' sections)
is read each time.
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
from storage import subscriptions as subscription_store
from storage.categories import CategoryCount
from storage.follows import list_follows

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


def home_items(deps: Deps, session) -> HomeItems:
    """The shared parts, from the cache at the current revision or read now. The
    revision is read first in `session` (storage/revision.py: never data older than it)."""
    cache = deps.answers
    at = revision.current(session) if cache.enabled else None
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
    with deps.db.reading() as session:
        shared = home_items(deps, session)  # first: its revision precedes every read
        subscriptions = subscription_store.list_subscriptions(session, home.HOME_LIST_LIMIT)
        content = HomeContent(
            items=shared.items,
            featured=shared.featured,
            categories=shared.categories,
            subscriptions=subscriptions,
            more_subscriptions=more(session, home.count_subscriptions, len(subscriptions)),
            follows=list_follows(session, user_id) if user_id else [],
            spellings=shared.spellings,
        )
        if is_admin:
            # Each list with its count in one read (storage/home.py): 3 statements fewer.
            content.sources, sources = home.sources_health_and_count(session)
            content.more_sources = max(0, sources - len(content.sources))
            content.suggestions, content.pending_suggestions = home.pending_suggestions(
                session, HOME_SUGGESTIONS
            )
            content.scheduled, waiting = home.upcoming_scheduled(session, HOME_SCHEDULED)
            content.more_scheduled = waiting - len(content.scheduled)
    return content


def more(session, count, listed: int) -> int:
    """How many were left out: counted only when the list is full (one query fewer)."""
    return max(0, count(session) - listed) if listed >= home.HOME_LIST_LIMIT else 0


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
