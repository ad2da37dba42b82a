"""`/coopnews subscribe`, `unsubscribe` and `subscriptions` (admins only)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from bot.blocks.items import notice_message
from bot.blocks.subscriptions import (
    subscribed_message,
    subscriptions_message,
    unsubscribed_message,
)
from bot.channel_access import ensure_member
from bot.digest_schedule import (
    DigestSchedule,
    ScheduleError,
    iana_zone,
    next_run,
    parse_schedule,
)
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from storage import categories
from storage import subscriptions as subscription_store
from storage.categories import category_key
from storage.models import SubscriptionMode
from storage.types import utcnow


@dataclass(frozen=True)
class SubscribeRequest:
    categories: list[str] = field(default_factory=list)
    schedule: DigestSchedule | None = None


def parse_subscribe(args: list[str], text: str, known: Collection[str]) -> SubscribeRequest:
    """`[digest daily HH:MM | digest weekly DAY HH:MM] [categories...]`.

    Categories: commas or quotes group words; otherwise the longest run of
    words that names a known category is one category ("News COOP Champions"
    is News and COOP Champions), and unknown words run together.
    """
    words = list(args)
    schedule = None
    if words and words[0].lower() == "digest":
        schedule, words = parse_schedule(words[1:])
        text = " ".join(words)
    if "," in text:
        categories = [c.strip() for c in text.split(",") if c.strip()]
    else:
        categories = split_categories(words, known)
    return SubscribeRequest(categories, schedule)


def split_categories(words: list[str], known: Collection[str]) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            candidate = " ".join(words[i:j])
            if category_key(candidate) in known:
                if unknown:
                    found.append(" ".join(unknown))
                    unknown = []
                found.append(candidate)
                i = j
                break
        else:
            unknown.append(words[i])
            i += 1
    if unknown:
        found.append(" ".join(unknown))
    return found


def subscribe_here(call: CommandCall) -> None:
    deps = call.deps
    with deps.db.reading() as session:
        known = categories.spellings(session)
    try:
        request = parse_subscribe(call.args, call.text, known)
    except ScheduleError as exc:
        call.reply(notice_message(str(exc)))
        return
    access = ensure_member(deps.client, call.channel_id)
    if not access.ok:
        call.reply(notice_message(access.explanation or "I cannot post in this channel."))
        return
    mode, stored, timezone, next_at = SubscriptionMode.INSTANT, None, None, None
    if request.schedule is not None:
        mode, stored = request.schedule.mode, request.schedule.stored
        # Slack's users.info `tz`; none, or a name zoneinfo does not know: None, so the
        # digest follows UTC and the answer says the zone was unknown.
        timezone = iana_zone(deps.users.timezone(call.user_id))
        next_at = next_run(request.schedule, timezone, utcnow())
    with deps.db.transaction() as session:
        result = subscription_store.subscribe(
            session,
            call.channel_id,
            created_by=call.user_id,
            categories=request.categories,
            mode=mode,
            schedule=stored,
            timezone=timezone,
            next_digest_at=next_at,
        )
    chosen = categories.decode_choice(result.subscription.categories)
    message = subscribed_message(
        call.channel_id,
        categories.spelled(chosen, known),
        mode,
        stored,
        timezone,
        created=result.created,
        resumed=result.resumed,
        joined=access.joined,
        unknown_categories=[name for name in chosen if category_key(name) not in known],
    )
    # Said in the channel: its members learn where the announcements come from.
    call.ack(response_type="in_channel", **message)


def unsubscribe_here(call: CommandCall) -> None:
    with call.deps.db.transaction() as session:
        existed = subscription_store.unsubscribe(session, call.channel_id)
    message = unsubscribed_message(call.channel_id, existed)
    call.ack(response_type="in_channel" if existed else "ephemeral", **message)


def list_subscriptions(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        subscriptions = subscription_store.list_subscriptions(session)
    call.reply(subscriptions_message(subscriptions))


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "subscribe",
            "subscribe [categories] | subscribe digest daily HH:MM | weekly DAY HH:MM",
            "announce new items in this channel (all, or only these categories)",
            subscribe_here,
            admin_only=True,
        )
    )
    router.add(
        Subcommand(
            "unsubscribe",
            "unsubscribe",
            "stop announcements in this channel",
            unsubscribe_here,
            admin_only=True,
        )
    )
    router.add(
        Subcommand(
            "subscriptions",
            "subscriptions",
            "where announcements go, when each last posted, any problem",
            list_subscriptions,
            admin_only=True,
        )
    )
