"""Making sure the bot can post in a channel before it is subscribed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

INVITE_HINT = "Invite me with `/invite @coopnews`, then run `/coopnews subscribe` here again."


@dataclass(frozen=True)
class Access:
    ok: bool
    joined: bool = False
    # Why the bot cannot post here, and what to do (shown to the admin).
    explanation: str | None = None


def ensure_member(client: WebClient, channel_id: str) -> Access:
    """Join a public channel the bot is not in; explain how to invite it to a private one."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "channel_not_found":
            # A private channel the bot was never invited to is invisible to it.
            return Access(
                False, explanation=f"I can't see this channel: it is private. {INVITE_HINT}"
            )
        log.warning("conversations.info for %s failed: %s", channel_id, error)
        return Access(False, explanation=f"Slack would not tell me about this channel ({error}).")
    if channel.get("is_im") or channel.get("is_mpim"):
        return Access(False, explanation="Announcements go to channels: run this in a channel.")
    if channel.get("is_archived"):
        return Access(False, explanation="This channel is archived: nothing can be posted here.")
    if channel.get("is_member", True):
        return Access(True)
    if channel.get("is_private"):
        return Access(
            False, explanation=f"I am not a member of this private channel. {INVITE_HINT}"
        )
    try:
        client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("conversations.join %s failed: %s", channel_id, error)
        return Access(False, explanation=f"I could not join this channel ({error}). {INVITE_HINT}")
    return Access(True, joined=True)
