"""`/coopnews follow WORDS [in CATEGORY]`, `follows`, `unfollow N`: for everyone.

A follow is the person's own: each subcommand reads and writes only the
follows of the user who typed it (`call.user_id`, from Slack's signed
request), so no one can see or remove another's. Members may use all three.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.blocks.follows import (
    followed_message,
    follows_message,
    no_such_follow_message,
    too_long_message,
    too_many_message,
    unfollowed_message,
    unknown_category_message,
    usage_message,
)
from bot.blocks.kit import section
from bot.listeners.commands.router import CommandCall, CommandRouter, Subcommand
from bot.numbers import whole_number
from domain.words import MAX_QUERY_CHARS, Keywords, parse_keywords
from storage import categories
from storage import follows as follow_store
from storage.categories import category_key

# As long as a search: a follow is read like one.
MAX_FOLLOW_CHARS = MAX_QUERY_CHARS
# " in " between words, outside double quotes (where `in CATEGORY` may begin).
_IN = re.compile(r"(?:^|\s+)in\s+", re.IGNORECASE)


class FollowParseError(ValueError):
    def __init__(self, message: dict) -> None:
        super().__init__("cannot follow that")
        self.message = message


def _outside_quotes(text: str, position: int) -> bool:
    return text[:position].translate({0x201C: '"', 0x201D: '"'}).count('"') % 2 == 0


def parse_follow(text: str, known: Mapping[str, str]) -> tuple[Keywords, str | None]:
    """WORDS and the category key of `WORDS [in CATEGORY]`.

    `in CATEGORY` is read only where CATEGORY names a known category (by key, any
    case); the first such " in " wins ("coop in Cooperatives in Africa").
    Otherwise an unquoted " in " followed by something is refused with the known
    categories listed (quote words containing "in"). WORDS may be MAX_FOLLOW_CHARS
    characters long (as a search); CATEGORY does not count in that (it is bounded by
    the command's own length, bot.slack_text.MAX_COMMAND_CHARS). Raises FollowParseError.
    """
    text = text.strip()
    splits = [m for m in _IN.finditer(text) if _outside_quotes(text, m.start())]
    words, key = text, None
    for match in splits:
        candidate = category_key(text[match.end() :])
        if candidate in known:
            words, key = text[: match.start()], candidate
            break
    else:
        if splits:
            last = splits[-1]
            names = sorted(known.values(), key=str.casefold)
            raise FollowParseError(unknown_category_message(text[last.end() :].strip(), names))
    if len(words.strip()) > MAX_FOLLOW_CHARS:  # the words only: not " in CATEGORY"
        raise FollowParseError(too_long_message(MAX_FOLLOW_CHARS))
    keywords = parse_keywords(words)
    if not keywords:
        raise FollowParseError(usage_message())
    return keywords, key


def follow(call: CommandCall) -> None:
    deps = call.deps
    if not call.text.strip():
        call.reply(usage_message())
        return
    with deps.db.reading() as session:
        known = categories.spellings(session)
    try:
        keywords, key = parse_follow(call.text, known)
    except FollowParseError as exc:
        call.reply(exc.message)
        return
    try:
        with deps.db.transaction() as session:
            added = follow_store.add_follow(session, call.user_id, keywords, key)
            follow_row = added.follow
            session.expunge(follow_row)
    except follow_store.TooManyFollows:
        call.reply(too_many_message(follow_store.MAX_FOLLOWS))
        return
    call.reply(followed_message(follow_row, added.number, known, added.created))


def list_follows(call: CommandCall) -> None:
    with call.deps.db.reading() as session:
        mine = follow_store.list_follows(session, call.user_id)
        known = categories.spellings(session) if any(f.category_key for f in mine) else {}
    call.reply(follows_message(mine, known))


def unfollow(call: CommandCall) -> None:
    raw = call.args[0] if call.args else ""
    # One at a time: numbers shift after each removal, so `unfollow 1 2` is ambiguous.
    number = whole_number(raw) if len(call.args) == 1 else None
    if number is None:
        with call.deps.db.reading() as session:
            mine = follow_store.list_follows(session, call.user_id)
            known = categories.spellings(session) if mine else {}
        usage = (
            "Say which one, one at a time: `/coopnews unfollow N`, N from `/coopnews follows`."
        )
        listing = follows_message(mine, known)
        call.reply({"text": usage, "blocks": [section(usage), *listing["blocks"]]})
        return
    with call.deps.db.reading() as session:
        known = categories.spellings(session)
    with call.deps.db.transaction() as session:
        removed = follow_store.remove_follow(session, call.user_id, number) if number > 0 else None
        count = len(follow_store.list_follows(session, call.user_id))
    if removed is None:
        call.reply(no_such_follow_message(raw, count))
        return
    call.reply(unfollowed_message(removed, known))


def register(router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "follow",
            "follow WORDS [in CATEGORY]",
            "get each new item matching WORDS in a direct message (only you see your follows)",
            follow,
        )
    )
    router.add(Subcommand("follows", "follows", "your follows, numbered", list_follows))
    router.add(Subcommand("unfollow", "unfollow N", "stop following number N", unfollow))
