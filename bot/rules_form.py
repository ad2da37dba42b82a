"""Opening the channel rules form (bot/blocks/rules_form.py) with a channel's rules.

Opened by `/coopnews subscribe` with no words and by the Edit button of
`/coopnews subscriptions`; both are admins' (the router's `admin_only`,
`deps.require_admin`). A channel without a subscription gets the defaults.
"""

from __future__ import annotations

from dataclasses import replace

from slack_sdk import WebClient

from bot.blocks.rules_form import MAX_OPTIONS, rules_form_view
from bot.channel_rules import ChannelRules, rules_of
from bot.deps import Deps
from storage import categories, sources
from storage import subscriptions as subscription_store


def open_rules_form(client: WebClient, deps: Deps, trigger_id: str, channel_id: str) -> None:
    with deps.db.reading() as session:
        sub = subscription_store.get_subscription(session, channel_id)
        rules = rules_of(sub) if sub is not None else ChannelRules()
        if rules.categories:
            known = categories.spellings(session)
            spelled = categories.spelled(list(rules.categories), known)
            rules = replace(rules, categories=tuple(spelled))
        names = categories.names(session, MAX_OPTIONS)
        listed = [
            (row.source.id, row.source.title or row.source.url)
            for row in sources.list_sources(session)
        ]
    view = rules_form_view(channel_id, rules, names, listed)
    client.views_open(trigger_id=trigger_id, view=view)
