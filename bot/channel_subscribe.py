"""Subscribe a channel to rules: what `/coopnews subscribe …` and the rules form share.

The rules arrive parsed (bot/channel_rules.py); here they are checked
against the store (`from` IDs must be existing sources) and Slack (a
`@handle` must be a user group, via usergroups.list; the bot must be able
to post in the channel), then stored, replacing the channel's rules. A bad
rule raises RuleError and changes nothing. Rights are checked before this
runs (the router's `admin_only`, `deps.require_admin` for the form).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.subscriptions import subscribed_message
from bot.channel_access import ensure_member
from bot.channel_rules import (
    FIELD_CATEGORIES,
    FIELD_MENTION,
    FIELD_SOURCES,
    ChannelRules,
    Mention,
    RuleError,
    changed,
    rules_of,
)
from bot.deps import Deps
from bot.digest_schedule import iana_zone, next_run
from storage import categories, sources
from storage import subscriptions as subscription_store
from storage.categories import category_key
from storage.subscriptions import RuleColumns
from storage.types import utcnow

log = logging.getLogger(__name__)

# `<!subteam^S123|@ops>` as Slack sends a user group typed in a command.
_RAW_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>")


def raw_groups(raw_text: str | None) -> dict[str, str]:
    """User groups Slack already resolved in the command's wire text: handle or ID
    (lower case) -> ID."""
    found: dict[str, str] = {}
    for group_id, handle in _RAW_SUBTEAM.findall(raw_text or ""):
        found[group_id.lower()] = group_id
        if handle:
            found[handle.strip().lower()] = group_id
    return found


def resolve_mention(
    client: WebClient, mention: Mention | None, known: dict[str, str] | None = None
) -> Mention | None:
    """A `@handle` -> the user group's ID (usergroups.list), or RuleError naming it."""
    if mention is None or mention.here:
        return mention
    wanted = (mention.handle or mention.group_id or "").lower()
    group_id = mention.group_id or (known or {}).get(wanted)
    try:
        groups = client.usergroups_list().get("usergroups") or []
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("usergroups.list failed: %s", error)
        if group_id:  # Slack itself resolved it in the command: good enough
            return Mention(group_id, mention.handle)
        raise RuleError(
            f"Slack would not list the user groups ({error}), so I cannot check "
            f"`@{wanted}`. Nothing was changed.",
            FIELD_MENTION,
        ) from exc
    for group in groups:
        if group_id and group.get("id") == group_id:
            return Mention(group_id, group.get("handle") or mention.handle)
        if (group.get("handle") or "").lower() == wanted:
            return Mention(group["id"], group.get("handle"))
    raise RuleError(
        f"There is no user group `@{wanted}` in this workspace: use `here` or a group's "
        "handle (as in `@`-mentions). Nothing was changed.",
        FIELD_MENTION,
    )


@dataclass(frozen=True)
class Subscribed:
    message: dict  # said in the channel: its members learn where announcements come from
    rules: ChannelRules


def subscribe_channel(
    deps: Deps,
    client: WebClient,
    channel_id: str,
    user_id: str,
    rules: ChannelRules,
    groups: dict[str, str] | None = None,
) -> Subscribed:
    """Check, store and describe a channel's new rules; RuleError changes nothing."""
    rules = replace(rules, mention=resolve_mention(client, rules.mention, groups))
    if rules.sources:
        with deps.db.reading() as session:
            missing = [i for i in rules.sources if sources.get_source(session, i) is None]
        if missing:
            raise RuleError(
                f"No source has the ID {', '.join(map(str, missing))}: see `/coopnews sources`. "
                "Nothing was changed.",
                FIELD_SOURCES,
            )
    access = ensure_member(client, channel_id)
    if not access.ok:
        raise RuleError(access.explanation or "I cannot post in this channel.", FIELD_CATEGORIES)
    timezone, next_at = None, None
    if rules.schedule is not None or rules.thread:
        # Slack's users.info `tz`; none, or a name zoneinfo does not know: None, so the
        # digest and the thread's day follow UTC (and the answer says so).
        timezone = iana_zone(deps.users.timezone(user_id))
    if rules.schedule is not None:
        next_at = next_run(rules.schedule, timezone, utcnow())
    with deps.db.reading() as session:
        known = categories.spellings(session)
    with deps.db.transaction() as session:
        before = subscription_store.get_subscription(session, channel_id)
        old = rules_of(before) if before is not None and before.paused_at is None else None
        result = subscription_store.subscribe(
            session,
            channel_id,
            created_by=user_id,
            categories=rules.categories,
            mode=rules.mode,
            schedule=rules.schedule.stored if rules.schedule else None,
            timezone=timezone,
            next_digest_at=next_at,
            rules=columns(rules),
        )
        chosen = categories.decode_choice(result.subscription.categories)
        stored_rules = rules_of(result.subscription)
    message = subscribed_message(
        channel_id,
        categories.spelled(chosen, known),
        rules.mode,
        rules.schedule.stored if rules.schedule else None,
        timezone,
        created=result.created,
        resumed=result.resumed,
        joined=access.joined,
        unknown_categories=[name for name in chosen if category_key(name) not in known],
        rules=stored_rules,
        changes=changed(old, stored_rules),
    )
    return Subscribed(message, stored_rules)


def columns(rules: ChannelRules) -> RuleColumns:
    return RuleColumns(
        matching=rules.matching or None,
        excluding=rules.excluding or None,
        source_ids=",".join(str(i) for i in rules.sources) or None,
        format=rules.format,
        previews=rules.previews,
        mention=rules.mention.stored if rules.mention else None,
        thread=rules.thread,
    )
