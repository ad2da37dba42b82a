"""What people type, as Slack sends it, back to what they typed.

Slack escapes `&`, `<` and `>` in a slash command's text as `&amp;`, `&lt;`
and `&gt;`, and may send typed links, channels, users and groups in angle
brackets ("Formatting text for app surfaces": https://api.slack.com/reference/surfaces/formatting#escaping
and #retrieving-messages). `decode_command_text` undoes both, once, where a
command enters (bot/listeners/commands/router.py), so no subcommand ever sees
Slack's encoding.
"""

from __future__ import annotations

import re

from domain.text import remove_control_characters

# Slack's limit for a slash command's text is about 4,000 characters; anything longer
# was not typed in Slack and is refused before any work.
MAX_COMMAND_CHARS = 4000

_ANGLE = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_WEB = ("http://", "https://")


def _unescape(text: str) -> str:
    # One pass: "&amp;lt;" (someone typed "&lt;") becomes "&lt;", never "<".
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _angle(match: re.Match) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("#"):  # <#C123|general> or <#C123>
        return "#" + (label or target[1:])
    if target.startswith("@"):  # <@U123> or <@U123|mira>
        return "@" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S123|@team>, <!date^…|fallback>
        if target.startswith("!date"):
            return label
        if label:
            return label if label.startswith("@") else "@" + label
        name = target[1:]
        return "@" + (name.split("^", 1)[1] if name.startswith("subteam^") else name)
    if target.lower().startswith(_WEB):  # a link: its URL, whatever its label
        return target
    return label or target  # mailto: and other schemes: what was shown


def decode_command_text(text: str | None) -> str:
    """Slack's wire form of a command's text -> the text as typed.

    `<https://a.example/?x=1&amp;y=2|label>` -> `https://a.example/?x=1&y=2`;
    `<#C1|news>` -> `#news`; `<@U1>` -> `@U1`; `<!subteam^S1|@ops>` -> `@ops`;
    `Food &amp; Farming` -> `Food & Farming`. Control characters (NUL included)
    are removed. Entities are decoded exactly once, after the angle-bracket
    forms (a `<` typed by a person always arrives as `&lt;`).
    """
    if not text:
        return ""
    text = remove_control_characters(text)
    return _unescape(_ANGLE.sub(_angle, text))


_LINK = re.compile(r"<(https?://[^<>|]+)(?:\|[^<>]*)?>", re.IGNORECASE)
_BARE_LINK = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
# What may follow a typed link without being part of it: sentence punctuation, quotes
# (straight and typographic), code and bold marks.
_AFTER_LINK = ".,;:!?)\"'`*\u201d\u2019\u00bb"


def first_link(text: str | None) -> str | None:
    """The first http(s) link of a message's text as Slack sends it, decoded once.

    Slack sends links as `<https://a.example/?x=1&amp;y=2|label>` or `<url>`
    (mrkdwn); a bare `https://…` (text from an app) is taken too. `mailto:`,
    channels and users are not links. None when there is none.
    """
    if not text:
        return None
    found = _LINK.search(text)
    if found:
        return decode_command_text(f"<{found.group(1)}>") or None
    return typed_link(decode_command_text(text))


def typed_link(text: str | None) -> str | None:
    """The first http(s) link of text already decoded (a command's `call.text`:
    decoding it again would turn a typed `&amp;` into `&`), without the sentence's
    punctuation, closing quotes, backticks or bold marks after it; a closing parenthesis is kept when the link opened one
    (`https://en.wikipedia.org/wiki/Mondragon_(company)`)."""
    bare = _BARE_LINK.search(text or "")
    if not bare:
        return None
    url = bare.group(0)
    while url and url[-1] in _AFTER_LINK:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url or None


def message_link(message: dict | None) -> str | None:
    """The first http(s) link of a message (a message shortcut's `message`): its text
    first, then links in its blocks (rich text, mrkdwn sections) and attachments
    (title_link, then mrkdwn pretext and text, then their blocks: apps' messages)."""
    if not isinstance(message, dict):
        return None
    found = first_link(message.get("text") if isinstance(message.get("text"), str) else None)
    if found:
        return found
    for url in _block_links(message.get("blocks")):
        return url
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict):
            for key in ("title_link", "from_url", "original_url"):
                url = attachment.get(key)
                if isinstance(url, str) and url.lower().startswith(_WEB):
                    return url
            for key in ("pretext", "text"):  # an app's attachment: mrkdwn links
                value = attachment.get(key)
                found = first_link(value) if isinstance(value, str) else None
                if found:
                    return found
            for url in _block_links(attachment.get("blocks")):
                return url
    return None


def _block_links(node, depth: int = 0):
    """Links of blocks, in order: `{"type": "link", "url": …}` elements of rich_text
    blocks and links in mrkdwn text objects (section, context: apps' messages)."""
    if depth > 12:
        return
    if isinstance(node, list):
        for value in node:
            yield from _block_links(value, depth + 1)
    elif isinstance(node, dict):
        url = node.get("url")
        if node.get("type") == "link" and isinstance(url, str) and url.lower().startswith(_WEB):
            yield url
        text = node.get("text")
        if node.get("type") == "mrkdwn" and isinstance(text, str):
            found = first_link(text)
            if found:
                yield found
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _block_links(value, depth + 1)
