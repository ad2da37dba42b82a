"""Messages about subscriptions: confirmations, the list, a paused channel's notice."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.entities import SubscriptionLike
from bot.blocks.items import notice_message
from bot.blocks.kit import section
from bot.blocks.text import SECTION_MAX, escape, escape_within, pack_lines, slack_time
from bot.channel_rules import CHANGE_LABELS, ChannelRules
from storage.models import SubscriptionMode

# Action of the Edit button beside each channel in `/coopnews subscriptions`.
EDIT_RULES_ACTION = "subscription_edit"
KEYWORDS_SHOWN_MAX = 400
# Source IDs named in a channel's rules, at most (the rest are counted).
SOURCES_SHOWN = 20
FORMAT_TEXT = {
    "full": "",
    "compact": "compact (one line each)",
    "headline": "headlines only",
}

PROBLEMS = {
    "channel_not_found": "the channel no longer exists, or I can no longer see it",
    "not_in_channel": "I am no longer a member of the channel",
    "is_archived": "the channel was archived",
    "channel_is_archived": "the channel was archived",
}


# `/coopnews subscriptions` shows this many channels with their rules and Edit button
# (a heading, these, and one section naming the rest: within Slack's 50 blocks).
LISTED_MAX = 48

# Categories named in one answer, at most this many characters (each at most 120):
# two such lists and our own words stay within a section's 3,000.
CATEGORIES_TEXT_MAX = 1200


def describe_problem(error: str | None) -> str:
    return PROBLEMS.get(error or "", error or "unknown problem")


def categories_text(
    categories: Sequence[str], quoted: bool = True, limit: int = CATEGORIES_TEXT_MAX
) -> str:
    """The categories as mrkdwn, escaped, at most about `limit` characters ("and N more")."""
    if not categories:
        return "all categories"
    shown: list[str] = []
    for category in categories:
        name = escape_within(category, 120)
        name = f"“{name}”" if quoted else name
        if shown and sum(len(n) + 2 for n in shown) + len(name) > limit:
            break
        shown.append(name)
    more = len(categories) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def mode_text(mode: str, schedule: str | None, timezone: str | None) -> str:
    if mode == SubscriptionMode.INSTANT or not schedule:
        return "as they arrive"
    at = schedule if mode == SubscriptionMode.DAILY else schedule.replace(" ", " at ", 1)
    when = f"daily at {at}" if mode == SubscriptionMode.DAILY else f"weekly, {at.capitalize()}"
    zone = escape(timezone) if timezone else "UTC, as the admin's Slack timezone was unknown"
    return f"in a digest {when} ({zone})"


def rules_text(rules: ChannelRules | None) -> str:
    """The rules beyond categories and timing, in words ("" when there are none); typed
    words are escaped, the mention is shown as text (never a ping)."""
    if rules is None:
        return ""
    parts = []
    if rules.matching:
        parts.append(f"matching {escape_within(rules.matching, KEYWORDS_SHOWN_MAX)}")
    if rules.excluding:
        parts.append(f"excluding {escape_within(rules.excluding, KEYWORDS_SHOWN_MAX)}")
    if rules.sources:
        ids = ", ".join(str(i) for i in rules.sources[:SOURCES_SHOWN])
        if len(rules.sources) > SOURCES_SHOWN:
            ids += f" and {len(rules.sources) - SOURCES_SHOWN} more"
        parts.append(f"only from source{'s' if len(rules.sources) > 1 else ''} {ids}")
    if FORMAT_TEXT.get(rules.format):
        parts.append(FORMAT_TEXT[rules.format])
    if rules.previews:
        parts.append("with link previews")
    if rules.thread:
        parts.append("in a daily thread")
    if rules.mention:
        parts.append(f"mentioning {escape_within(rules.mention.text, 100)} at most once an hour")
    return "; ".join(parts)


def changes_text(changes: Sequence[str]) -> str:
    """"Changed: format, mention." from channel_rules.changed()'s names."""
    if not changes:
        return "Nothing changed: the rules were already these."
    return "Changed: " + ", ".join(CHANGE_LABELS[name] for name in changes) + "."


def subscribed_message(
    channel_id: str,
    categories: Sequence[str],
    mode: str,
    schedule: str | None,
    timezone: str | None,
    *,
    created: bool,
    resumed: bool,
    joined: bool,
    unknown_categories: Sequence[str] = (),
    rules: ChannelRules | None = None,
    changes: Sequence[str] | None = None,
) -> dict:
    verb = "will now announce" if created or resumed else "now announces"
    extra = rules_text(rules)
    lines = [
        f"coopnews {verb} new items in <#{channel_id}>: "
        f"{categories_text(categories)}{'; ' + extra if extra else ''}, "
        f"{mode_text(mode, schedule, timezone)}."
    ]
    if changes is not None and not created and not resumed:
        lines.append(changes_text(changes))
    if joined:
        lines.append("I joined the channel to post here.")
    if resumed:
        lines.append("The subscription was paused; it starts afresh from now.")
    if unknown_categories:
        lines.append(
            f"No items have the category {categories_text(unknown_categories)} yet; "
            "I will announce them when some arrive."
        )
    lines.append(
        "Only items added from now on are announced, and changed rules apply to items "
        "arriving from now on. `/coopnews unsubscribe` stops it."
    )
    # Long rules (categories, words) can pass a section's 3,000 characters in all:
    # then the lines go in as few sections as fit.
    text = "\n".join(lines)
    return {"text": text, "blocks": [section(part) for part in pack_lines(lines)]}


def unsubscribed_message(channel_id: str, existed: bool) -> dict:
    if not existed:
        return notice_message(f"<#{channel_id}> was not subscribed: nothing to stop.")
    return notice_message(f"coopnews no longer announces new items in <#{channel_id}>.")


def edit_button(channel_id: str) -> dict:
    return {
        "type": "button",
        "action_id": EDIT_RULES_ACTION,
        "text": {"type": "plain_text", "text": "Edit"},
        "value": channel_id,
    }


def subscriptions_message(
    subscriptions: Sequence[SubscriptionLike], rules: Sequence[ChannelRules | None] = ()
) -> dict:
    """Where announcements go, each channel's rules in words, an Edit button each
    (opens the rules form). `rules`: each subscription's, in the same order."""
    if not subscriptions:
        return notice_message(
            "No channel gets announcements yet. Run `/coopnews subscribe` in a channel."
        )
    count = len(subscriptions)
    blocks = [section(f"*Announcements go to {count} channel{'s' if count != 1 else ''}*")]
    # Slack takes 50 blocks a message: past LISTED_MAX channels, the rest are named.
    listed = subscriptions if count <= LISTED_MAX + 1 else subscriptions[:LISTED_MAX]
    for n, sub in enumerate(listed):
        extra = rules_text(rules[n] if n < len(rules) else None)
        text = (
            f"<#{sub.channel_id}>: {categories_text(sub.categories)}"
            f"{'; ' + extra if extra else ''}, "
            f"{mode_text(sub.mode, sub.schedule, sub.timezone)}\n"
            f"Last posted: {slack_time(sub.last_posted_at)}"
        )
        if sub.paused_at is not None:
            text += (
                f"\n:warning: Paused since {slack_time(sub.paused_at)}: "
                f"{escape_within(describe_problem(sub.problem), 300)}. Fix it, then run "
                "`/coopnews subscribe` in the channel again."
            )
        elif sub.problem:
            text += f"\n:warning: {escape_within(describe_problem(sub.problem), 300)}"
        blocks.append(section(text, accessory=edit_button(sub.channel_id)))
    rest = subscriptions[len(listed) :]
    if rest:
        names = [f"<#{sub.channel_id}>" for sub in rest]
        text = f"And {len(rest)} more (run `/coopnews subscribe` in one to see or edit its rules): "
        shown = 0
        while shown < len(names) and len(text) + len(names[shown]) + 40 < SECTION_MAX:
            text += ("" if shown == 0 else ", ") + names[shown]
            shown += 1
        if shown < len(names):
            text += f" and {len(names) - shown} others"
        blocks.append(section(text))
    return {"text": f"Announcements go to {count} channel(s)", "blocks": blocks}


def paused_notice(channel_id: str, error: str) -> dict:
    """The DM to the admin who subscribed a channel that failed for good."""
    text = (
        f"I stopped announcing coopnews items in <#{channel_id}>: {describe_problem(error)}. "
        "Nothing more will be posted there. When the channel works again, invite me "
        "(`/invite @coopnews`) and run `/coopnews subscribe` in it."
    )
    return notice_message(text)
