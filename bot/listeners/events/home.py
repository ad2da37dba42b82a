"""App Home: publish the user's Home tab each time they open it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.home import HomeContent, home_view
from bot.deps import Deps
from storage import categories, home, store
from storage import subscriptions as subscription_store

HOME_ITEMS = 5


def load_home(deps: Deps, is_admin: bool) -> HomeContent:
    with deps.db.reading() as session:
        subscriptions = subscription_store.list_subscriptions(session, home.HOME_LIST_LIMIT)
        content = HomeContent(
            items=store.latest(session, HOME_ITEMS),
            categories=categories.category_list(session).counted,
            subscriptions=subscriptions,
            more_subscriptions=more(session, home.count_subscriptions, len(subscriptions)),
        )
        if is_admin:
            content.sources = home.sources_health(session)
            content.more_sources = more(session, home.count_sources, len(content.sources))
    return content


def more(session, count, listed: int) -> int:
    """How many were left out: counted only when the list is full (one query fewer)."""
    return max(0, count(session) - listed) if listed >= home.HOME_LIST_LIMIT else 0


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def publish_home(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":  # the Messages tab opens this event too
            return
        user_id = event["user"]
        is_admin = deps.admins.is_admin(user_id)
        view = home_view(load_home(deps, is_admin), is_admin)
        client.views_publish(user_id=user_id, view=view)
