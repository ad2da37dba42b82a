"""The item modal's submission: read Slack's view state, validate on the server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from bot.blocks.curation import (
    ACTION_IDS,
    CATEGORY,
    CATEGORY_MAX,
    DATE,
    LINK,
    NEW_CATEGORY,
    SUMMARY,
    SUMMARY_MAX,
    TITLE,
    TITLE_MAX,
)
from bot.blocks.scheduled import PUBLISH_AT, PUBLISH_AT_ACTION
from domain.text import remove_control_characters
from sources.hosts import is_valid_host
from storage import limits, scheduled
from storage.curation import ItemFields

URL_MAX = limits.URL  # long tracking links are kept whole (storage/limits.py)
# Dates up to a day ahead of UTC are allowed: it is already tomorrow somewhere.
FUTURE_SLACK = timedelta(days=1)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Submission:
    """The raw values as Slack sent them (any of them may be missing or forged)."""

    title: str | None = None
    link: str | None = None
    category: str | None = None
    new_category: str | None = None
    date: str | None = None
    summary: str | None = None
    # The datetimepicker's UNIX timestamp (seconds); None: publish now.
    publish_at: int | None = None


def read_values(values: dict) -> Submission:
    """view.state.values -> Submission; input shapes per element type."""

    def element(block_id: str) -> dict:
        block = values.get(block_id) if isinstance(values, dict) else None
        found = block.get(ACTION_IDS[block_id]) if isinstance(block, dict) else None
        return found if isinstance(found, dict) else {}

    def text(block_id: str, key: str = "value") -> str | None:
        value = element(block_id).get(key)
        return value if isinstance(value, str) else None

    block = values.get(PUBLISH_AT) if isinstance(values, dict) else None
    picked = block.get(PUBLISH_AT_ACTION) if isinstance(block, dict) else None
    stamp = picked.get("selected_date_time") if isinstance(picked, dict) else None
    selected = element(CATEGORY).get("selected_option")
    category = selected.get("value") if isinstance(selected, dict) else None
    return Submission(
        title=text(TITLE),
        link=text(LINK),
        category=category if isinstance(category, str) else None,
        new_category=text(NEW_CATEGORY),
        date=text(DATE, "selected_date"),
        summary=text(SUMMARY),
        publish_at=stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else None,
    )


def one_line(text: str | None) -> str:
    return " ".join(remove_control_characters(_CONTROL.sub(" ", text or "")).split())


def validate(
    submission: Submission,
    today: date,
    title_max: int = TITLE_MAX,
    summary_max: int = SUMMARY_MAX,
) -> tuple[ItemFields | None, dict[str, str]]:
    """(fields, {}) when valid, else (None, {block_id: message}) for inline errors."""
    errors: dict[str, str] = {}

    title = one_line(submission.title)
    if not title:
        errors[TITLE] = "Please give the item a title."
    elif len(title) > title_max:
        errors[TITLE] = f"Please keep the title to {title_max} characters (it has {len(title)})."

    url = (submission.link or "").strip() or None
    if url:
        problem = link_problem(url)
        if problem:
            errors[LINK] = problem

    category = one_line(submission.new_category) or one_line(submission.category) or None
    if category and len(category) > CATEGORY_MAX:
        block = NEW_CATEGORY if one_line(submission.new_category) else CATEGORY
        errors[block] = f"Please keep the category to {CATEGORY_MAX} characters."

    published_on = None
    try:
        published_on = date.fromisoformat(submission.date or "")
    except ValueError:
        errors[DATE] = "Please pick a date."
    if published_on and published_on > today + FUTURE_SLACK:
        errors[DATE] = "That date is in the future: news can be dated at most tomorrow."

    summary = remove_control_characters(_CONTROL.sub("", submission.summary or "")).strip() or None
    if summary and len(summary) > summary_max:
        errors[SUMMARY] = f"Please keep the summary to {summary_max} characters."

    if errors:
        return None, errors
    assert published_on is not None
    return ItemFields(title, url, category, published_on, summary), {}


def validate_publish_at(
    timestamp: int | None, now: datetime
) -> tuple[datetime | None, dict[str, str]]:
    """(None, {}) for "publish now"; (UTC datetime, {}) for a time ahead, at most
    storage.scheduled.latest_publish_at (a calendar year); else (None, {PUBLISH_AT: message})."""
    if timestamp is None:
        return None, {}
    try:
        when = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None, {PUBLISH_AT: "Please pick a date and time."}
    if when <= now:
        return None, {PUBLISH_AT: "That time has passed: pick a later one, or leave it empty."}
    if when > scheduled.latest_publish_at(now):
        return None, {PUBLISH_AT: "Items can be scheduled at most a year ahead."}
    return when, {}


def link_problem(url: str) -> str | None:
    """Why a link cannot be used, or None: only http(s) links to a named host."""
    if len(url) > URL_MAX:
        return f"Links can be at most {URL_MAX} characters."
    if any(c.isspace() for c in url) or _CONTROL.search(url):
        return "A link cannot contain spaces."
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "That does not look like a web link."
    if parts.scheme.lower() not in ("http", "https"):
        return "Please use a web link starting with http:// or https://."
    if not host:
        return "That link has no site name (like https://www.ilo.org/…)."
    if not is_valid_host(host):
        return "That link's site name is not a real host name (like www.ilo.org)."
    return None
