"""App Home: publish the user's Home tab each time they open it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.home import HomeContent, home_view
from bot.blocks.scheduled import HOME_SCHEDULED
from bot.blocks.suggestions import HOME_SUGGESTIONS
from bot.deps import Deps
from storage import categories, featured, home
from storage import subscriptions as subscription_store
from storage.follows import list_follows

HOME_ITEMS = 5


def load_home(deps: Deps, is_admin: bool, user_id: str | None = None) -> HomeContent:
    with deps.db.reading() as session:
        subscriptions = subscription_store.list_subscriptions(session, home.HOME_LIST_LIMIT)
        listed = categories.category_list(session)
        front = featured.front_page(session, HOME_ITEMS)
        content = HomeContent(
            items=front.items,
            featured=front.featured,
            categories=listed.counted,
            subscriptions=subscriptions,
            more_subscriptions=more(session, home.count_subscriptions, len(subscriptions)),
            follows=list_follows(session, user_id) if user_id else [],
            spellings=listed.spellings,
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
