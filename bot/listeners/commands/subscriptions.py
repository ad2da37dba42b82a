"""`/coopnews subscribe`, `unsubscribe` and `subscriptions` (admins only)."""

from __future__ import annotations

from bot.blocks.items import notice_message
from bot.blocks.subscriptions import subscriptions_message, unsubscribed_message
from bot.channel_rules import RuleError, parse_rules, rules_from
from bot.channel_subscribe import raw_groups, subscribe_channel
from bot.digest_schedule import ScheduleError
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.rules_form import open_rules_form
from storage import categories
from storage import subscriptions as subscription_store

# Typed alone, subscribes to everything with no other rule (no words open the form).
EVERYTHING = {"all", "everything"}


def subscribe_here(call: CommandCall) -> None:
    """`subscribe RULES…` (bot/channel_rules.py); no words: the rules form."""
    deps = call.deps
    if not call.text.strip():
        call.ack()
        open_rules_form(call.client, deps, call.trigger_id or "", call.channel_id)
        return
    with deps.db.reading() as session:
        known = categories.spellings(session)
    text = "" if call.text.strip().lower() in EVERYTHING else call.text
    try:
        rules = parse_rules(text, known)
        done = subscribe_channel(
            deps, deps.client, call.channel_id, call.user_id, rules, raw_groups(call.body.get("text"))
        )
    except (RuleError, ScheduleError) as exc:
        call.reply(notice_message(str(exc)))
        return
    # Said in the channel: its members learn where the announcements come from.
    call.ack(response_type="in_channel", **done.message)


def unsubscribe_here(call: CommandCall) -> None:
    with call.deps.db.transaction() as session:
        existed = subscription_store.unsubscribe(session, call.channel_id)
    message = unsubscribed_message(call.channel_id, existed)
    call.ack(response_type="in_channel" if existed else "ephemeral", **message)


def list_subscriptions(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        subscriptions = subscription_store.list_subscriptions(session)
    rules = [rules_from(s.categories, s.mode, s.schedule, s.rules) for s in subscriptions]
    call.reply(subscriptions_message(subscriptions, rules))


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "subscribe",
            "subscribe [categories…] [matching WORDS] [excluding WORDS] [from SOURCE-ID…] "
            "[format full|compact|headline] [previews on] [mention here|@handle] [thread daily] "
            "[digest daily HH:MM | weekly DAY HH:MM] | subscribe all | subscribe (a form)",
            "announce new items in this channel, by these rules (again: replaces them)",
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
            "where announcements go, each channel's rules (Edit), when each last posted",
            list_subscriptions,
            admin_only=True,
        )
    )
