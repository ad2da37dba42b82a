"""Turning item text (data) into safe mrkdwn."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit

from sources.text import shorten as cut_text

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def escape(text: str | None) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn.

    With `&`, `<` and `>` escaped, text can never form `<!channel>`,
    `<@U123>`, `<#C123>` or `<http://evil|innocent>`.
    """
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL made safe to sit inside `<url|label>`, or None."""
    if not url:
        return None
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    # `|` and `>` would end the URL part early; spaces and `<` break it too.
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def link(url: str | None, label: str) -> str:
    """`<url|label>` when the URL is usable, else just the escaped label."""
    href = safe_url(url)
    label = escape(label)
    return f"<{href}|{label}>" if href else label


def shorten(text: str | None, limit: int = 280) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis; whitespace normalised."""
    if not text:
        return ""
    return cut_text(" ".join(text.split()), limit)


def format_date(moment: datetime) -> str:
    return f"{moment.day:02d} {MONTHS[moment.month - 1]} {moment.year}"


def slack_time(moment: datetime | None) -> str:
    """A moment each reader sees in their own timezone (UTC as the fallback); "never" for None."""
    if moment is None:
        return "never"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
