"""Personal follows: the DMs they send, and the answers to follow/follows/unfollow.

Pure builders. A follow's words are shown as `domain.words.Keywords.text`
(letters, digits, spaces, commas and quotes only), escaped all the same. Every
DM carries its items in `metadata` (`event_type` FOLLOW_EVENT,
`event_payload.item_ids`), so a DM found in the history after a killed pass is
matched to its items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.blocks.announce import DIGEST_MAX_ITEMS, retraction_message
from bot.blocks.entities import ItemLike
from bot.blocks.items import item_blocks, item_fallback
from bot.blocks.kit import context_block, divider, header, message, section
from bot.blocks.text import escape_within, pack_lines
from domain.text import shorten

FOLLOW_EVENT = "coopnews_follow"
CATEGORIES_SHOWN = 30
USAGE = (
    "Follow words privately: `/coopnews follow WORDS [in CATEGORY]`. WORDS are "
    'comma-separated words or "quoted phrases", matched like search (case, accents '
    "and plural or singular don't matter): `/coopnews follow housing, \"fair trade\" in News`. "
    "Each new matching item comes to you in a direct message, once. "
    "`/coopnews follows` lists yours; `/coopnews unfollow N` removes one."
)


class FollowLike(Protocol):
    keywords: str
    category_key: str | None


def follow_text(follow: FollowLike, spellings: Mapping[str, str] | None = None) -> str:
    """`*housing, "fair trade"* in News` (escaped mrkdwn)."""
    text = f"*{escape_within(follow.keywords, 1200)}*"
    if follow.category_key:
        name = (spellings or {}).get(follow.category_key, follow.category_key)
        text += f" in {escape_within(name, 300)}"
    return text


def _dm(text: str, blocks: list[dict], item_ids: list[int], digest: bool) -> dict:
    return {
        "text": shorten(text, 2900),
        "blocks": blocks,
        "metadata": {
            "event_type": FOLLOW_EVENT,
            "event_payload": {"item_ids": item_ids, "digest": digest},
        },
        "unfurl_links": False,
        "unfurl_media": False,
    }


def follow_item_message(item: ItemLike, follow: FollowLike | None) -> dict:
    """The DM for one new item matching one of the person's follows."""
    why = f"Matches your follow {follow_text(follow)}" if follow else "Matches one of your follows"
    blocks = [context_block(f"{why} · `/coopnews follows` to manage them"), *item_blocks(item)]
    return _dm(f"New for you: {item_fallback(item)}", blocks, [item.id], False)


def follow_digest_message(items: Sequence[ItemLike]) -> dict:
    """The morning DM listing what went over yesterday's cap (at most DIGEST_MAX_ITEMS)."""
    shown = list(items)[:DIGEST_MAX_ITEMS]
    count = len(shown)
    noun = "item" if count == 1 else "items"
    blocks = [
        section(f"*{count} more {noun} matched your follows*"),
        context_block(
            "You get at most 10 direct messages a day from your follows; "
            "the rest come together the next morning. `/coopnews follows` to manage them."
        ),
    ]
    for item in shown:
        blocks.append(divider())
        blocks.extend(item_blocks(item))
    titles = "; ".join(escape_within(i.title, 300) for i in shown)
    return _dm(f"{count} more {noun} for you: {titles}", blocks, [i.id for i in shown], True)


# -- answers to the commands ------------------------------------------------------
def usage_message() -> dict:
    return message(USAGE)


def follow_lines(follows: Sequence[FollowLike], spellings: Mapping[str, str]) -> list[str]:
    return [f"{n}. {follow_text(f, spellings)}" for n, f in enumerate(follows, 1)]


def follows_message(follows: Sequence[FollowLike], spellings: Mapping[str, str]) -> dict:
    """`/coopnews follows`: the person's own follows, numbered for `unfollow N`."""
    if not follows:
        return message(
            "You follow nothing yet. `/coopnews follow WORDS [in CATEGORY]` sends you "
            "each new matching item in a direct message."
        )
    heading = f"*Your follows ({len(follows)})*"
    blocks = [section(text) for text in pack_lines([heading, *follow_lines(follows, spellings)])]
    blocks.append(context_block("`/coopnews unfollow N` removes number N."))
    return message(f"Your follows ({len(follows)})", blocks)


def followed_message(
    follow: FollowLike, number: int, spellings: Mapping[str, str], created: bool
) -> dict:
    what = follow_text(follow, spellings)
    if not created:
        return message(f"You already follow {what} (number {number} in `/coopnews follows`).")
    return message(
        f"Following {what}. Each new matching item comes to you in a direct message "
        "(at most 10 a day; the rest the next morning). "
        f"`/coopnews unfollow {number}` stops it."
    )


def unfollowed_message(follow: FollowLike, spellings: Mapping[str, str]) -> dict:
    return message(f"You no longer follow {follow_text(follow, spellings)}.")


def no_such_follow_message(number_text: str, count: int) -> dict:
    if count == 0:
        return message("You follow nothing, so there is nothing to remove.")
    return message(
        f"You have no follow number {escape_within(number_text, 40)}: yours are 1 to {count}. "
        "`/coopnews follows` lists them."
    )


def unknown_category_message(name: str, known: Sequence[str]) -> dict:
    shown = escape_within(", ".join(known[:CATEGORIES_SHOWN]), 2000)
    more = f" and {len(known) - CATEGORIES_SHOWN} more" if len(known) > CATEGORIES_SHOWN else ""
    listing = f"Known categories: {shown}{more}." if known else "There are no categories yet."
    return message(
        f"There is no category “{escape_within(name, 200)}”. {listing} "
        'To follow words that contain "in", quote them: `/coopnews follow "made in italy"`.'
    )


def too_long_message(limit: int) -> dict:
    return message(f"That is too many words to follow: at most {limit} characters.")


def too_many_message(limit: int) -> dict:
    return message(
        f"You already have {limit} follows, the most there can be. "
        "`/coopnews unfollow N` removes one."
    )


# -- App Home -------------------------------------------------------------------------
def home_follow_blocks(follows: Sequence[FollowLike], spellings: Mapping[str, str]) -> list[dict]:
    """The "Your follows" section of App Home (only the viewer's own)."""
    blocks = [divider(), header("Your follows")]
    if follows:
        blocks.extend(section(text) for text in pack_lines(follow_lines(follows, spellings)))
        blocks.append(context_block("New matching items come to you in a direct message. "
                                    "`/coopnews unfollow N` removes one."))
    else:
        blocks.append(
            section(
                "You follow nothing yet. `/coopnews follow WORDS [in CATEGORY]` sends you "
                "each new matching item privately."
            )
        )
    return blocks



class SentDMLike(Protocol):
    digest: bool
    items: Sequence[ItemLike]
    follow: FollowLike | None


def corrected_dm(item: ItemLike, dm: SentDMLike) -> dict:
    """What a follow DM showing `item` becomes after the item changed: the item as
    it is now, a retraction note when it was retracted, a digest without it."""
    if dm.digest:
        return follow_digest_message(dm.items) if dm.items else retraction_message(item)
    return follow_item_message(dm.items[0], dm.follow) if dm.items else retraction_message(item)
