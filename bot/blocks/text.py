"""Turning item text (data) into safe mrkdwn."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from domain.text import shorten

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


# Slack refuses a section over 3,000 characters ("Reference: blocks", section
# text). An item's section is built within: a link's URL part at most
# LINK_URL_MAX (a longer link is shown as its plain label), its label at most
# LABEL_MAX escaped, the summary at most SUMMARY_MAX escaped.
SECTION_MAX = 3000
LINK_URL_MAX = 1000
LABEL_MAX = 600
_ESCAPED_WIDTH = {"&": 5, "<": 4, ">": 4}


def escape_within(text: str | None, limit: int) -> str:
    """`escape(text)` in at most `limit` characters: the text is cut first (at a word,
    with an ellipsis), so the cut never falls inside an entity like `&amp;`."""
    text = " ".join(text.split()) if text else ""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    used = kept = 0
    for char in text:
        width = _ESCAPED_WIDTH.get(char, 1)
        if used + width > limit - 1:  # room for the ellipsis
            break
        used += width
        kept += 1
    return escape(shorten(text, kept + 1))


def link(url: str | None, label: str, label_limit: int = LABEL_MAX) -> str:
    """`<url|label>` when the URL is usable and short enough to show, else the escaped label.

    The label is escaped within `label_limit` characters; the result is at most
    LINK_URL_MAX + label_limit + 3 characters.
    """
    href = safe_url(url)
    label = escape_within(label, label_limit)
    return f"<{href}|{label}>" if href and len(href) <= LINK_URL_MAX else label


def pack_lines(lines: list[str], limit: int = SECTION_MAX) -> list[str]:
    """Lines joined into as few texts as possible, each at most `limit` characters
    (one section each); a line longer than `limit` is cut."""
    texts: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= limit else shorten(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


# The one way dates and times are written: format_date for a day (an item's date
# is a day, whatever zone), utc_text where no reader's zone is known (terminals),
# slack_time in Slack, which shows each reader the moment in their own zone.
def format_date(moment: datetime) -> str:
    """"01 June 2026"."""
    return f"{moment.day:02d} {MONTHS[moment.month - 1]} {moment.year}"


def utc_text(moment: datetime | None) -> str:
    """"01 June 2026 09:05 UTC"; "never" for None."""
    if moment is None:
        return "never"
    moment = moment.astimezone(UTC)
    return f"{format_date(moment)} {moment:%H:%M} UTC"


def slack_time(moment: datetime | None) -> str:
    """mrkdwn that each reader sees in their own timezone, `<!date^UNIX^{date_short_pretty}
    {time}|fallback>` (Slack's "Formatting text for app surfaces", date formatting); the
    fallback, for clients that cannot, is utc_text. "never" for None."""
    if moment is None:
        return "never"
    fallback = utc_text(moment)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
