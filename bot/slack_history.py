"""Reading back what coopnews posted: a conversation's messages, page by page.

After a pass dies between Slack taking a message and the store recording it,
the next pass looks for the message before posting again (exactly once).
Announcements, daily-thread parents and follow DMs all carry `metadata`, so
they are found by reading `conversations.history` (or `conversations.replies`
for a thread) with `include_all_metadata`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

# Slack: conversations.history returns at most 1,000 messages a page (200 advised).
HISTORY_PAGE = 200
# 25 pages of 200: far more than a pass can have posted since the claim began.
HISTORY_MAX_PAGES = 25


def messages_since(
    method: Callable[..., dict], oldest: datetime, **params: str
) -> Iterator[dict]:
    """Messages from `method` (a WebClient's conversations_history or
    conversations_replies) newer than `oldest`, newest first, following
    `response_metadata.next_cursor` for at most HISTORY_MAX_PAGES pages.

    Stop iterating as soon as you have found what you need: no further page is
    fetched. Raises SlackApiError (and network errors) as the client does.
    """
    cursor = None
    for _ in range(HISTORY_MAX_PAGES):
        response = method(
            **params,
            include_all_metadata=True,
            oldest=f"{oldest.timestamp():.6f}",
            limit=HISTORY_PAGE,
            cursor=cursor,
        )
        yield from response.get("messages") or []
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return
