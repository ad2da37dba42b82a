"""`/coopnews sources add` followed by several URLs (one per line): follow them all.

Admins paste a list (at most MAX_PASTED); it is acked at once, every URL is
read as if added alone (sources.following), and the answer, through the
response_url, gives the three counts (added, already followed, failed) and
each failure's reason.
"""

from __future__ import annotations

from bot.blocks.follow_report import follow_report_text
from bot.blocks.items import notice_message
from bot.listeners.commands.router import CommandCall
from sources.fetch import FetchOptions
from sources.following import FeedToFollow, follow_all

MAX_PASTED = 50
# Per feed, while the admin waits for the answer (several are read at once).
READ_TIMEOUT = 15.0


def looks_like_url(word: str) -> bool:
    return word.strip("<>").lower().startswith(("http://", "https://"))


def pasted_urls(args: list[str]) -> list[str] | None:
    """The URLs when more than one follows `add` (None: the one-source form applies)."""
    urls = [word for word in args if looks_like_url(word)]
    return urls if len(urls) > 1 else None


def add_pasted(call: CommandCall, urls: list[str]) -> None:
    """Follow every pasted URL; the caller has checked admin rights."""
    others = [word for word in call.args[1:] if not looks_like_url(word)]
    if others or len(urls) > MAX_PASTED:
        call.reply(
            notice_message(
                f"To follow several sources, paste up to {MAX_PASTED} URLs after "
                "`/coopnews sources add`, one per line and nothing else "
                f"(you pasted {len(urls)} URLs"
                + (" and other words" if others else "")
                + "). Give a category with one source at a time."
            )
        )
        return
    call.reply(notice_message(f"Reading {len(urls)} sources… I'll answer here when done."))
    options = FetchOptions(
        allow_private=call.deps.settings.allow_private_sources, timeout=READ_TIMEOUT
    )
    report = follow_all(
        call.deps.db, [FeedToFollow(url) for url in urls], options, created_by=call.user_id
    )
    call.respond(
        response_type="ephemeral",
        replace_original=False,
        **notice_message(follow_report_text(report)),
    )
