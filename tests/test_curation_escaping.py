"""Whatever an admin types (title, summary, category, link), what we build for Slack
never carries live mrkdwn: no `<!channel>`, no `<@U…>`, no disguised link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.blocks.announce import announcement_message, digest_message, retraction_message
from bot.blocks.curation import (
    FormContext,
    audit_message,
    delete_confirm_view,
    deleted_message,
    item_form_view,
    item_menu,
    saved_message,
)
from bot.blocks.items import item_list_message
from bot.curation.form import Submission, read_values, validate
from tests.block_kit import mrkdwn_texts

TODAY = date(2026, 11, 29)
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<#C123|general>",
    "<https://evil.example|ilo.org>",
    "&lt;!channel&gt;",
    "&amp;",
    "&",
    "<",
    ">",
    "|",
    "*",
    "`",
    "\n",
    "<!date^1^{date}|x>",
    "<!subteam^S1>",
]
typed = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(min_size=0, max_size=12)), max_size=8
).map("".join)
# Trusted markup the app itself writes: a link it built from a checked URL,
# the audit's actor mention and its date token.
LINK = re.compile(r"<(https?://[^\s|<>]+)\|([^<>]*)>")
TRUSTED = re.compile(r"<@UADMIN>|<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>|]*>")
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


@dataclass
class TypedItem:
    title: str
    url: str | None
    category: str | None
    summary: str | None
    id: int = 42
    published_at: datetime = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class Entry:
    item_title: str
    details: str | None
    at: datetime = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    user_id: str = "UADMIN"
    action: str = "edited"
    item_id: int | None = 42


def assert_inert(text: str) -> None:
    assert "<!channel>" not in text and "<!here>" not in text
    plain = TRUSTED.sub("", LINK.sub(r"\2", text))
    assert "<" not in plain and ">" not in plain, text
    assert not ENTITY.search(plain), text
    assert "<@U" not in plain


def everything_built(item: TypedItem) -> list[dict]:
    entry = Entry(item_title=item.title, details=item.category)
    return [
        item_list_message([item], "*Latest*", accessory=item_menu),
        saved_message(item, added=True),
        saved_message(item, added=False, messages_updated=2),
        deleted_message(item, 1),
        delete_confirm_view(item, FormContext(item_id=item.id)),
        announcement_message(item),
        digest_message([item, item]),
        retraction_message(item),
        audit_message([entry]),
    ]


@settings(max_examples=300, deadline=None)
@given(title=typed, summary=typed, category=typed, new_category=typed, path=typed)
def test_admin_text_never_reaches_mrkdwn_unescaped(title, summary, category, new_category, path):
    submission = Submission(
        title=title,
        link="https://example.org/" + path if path else None,
        category=category,
        new_category=new_category,
        date="2026-11-20",
        summary=summary,
    )
    fields, errors = validate(submission, TODAY)
    assume(fields is not None)
    item = TypedItem(fields.title, fields.url, fields.category, fields.summary)
    for message in everything_built(item):
        for text in mrkdwn_texts(message):
            assert_inert(text)


@settings(max_examples=200, deadline=None)
@given(title=typed, path=typed)
def test_a_link_is_one_link_to_the_typed_url(title, path):
    fields, _ = validate(
        Submission(title=title or "T", link="https://example.org/" + path, date="2026-11-20"),
        TODAY,
    )
    assume(fields is not None)
    text = mrkdwn_texts(announcement_message(TypedItem(fields.title, fields.url, None, None)))[1]
    links = LINK.findall(text)
    assert len(links) == 1
    assert links[0][0].startswith("https://example.org/")


@settings(max_examples=200, deadline=None)
@given(title=typed, summary=typed, new_category=typed)
def test_the_edit_modal_shows_exactly_what_was_typed(title, summary, new_category):
    """Inputs are plain text, not mrkdwn: shown raw, so a correction round-trips unchanged."""
    fields, _ = validate(
        Submission(title=title, new_category=new_category, date="2026-11-20", summary=summary),
        TODAY,
    )
    assume(fields is not None)
    item = TypedItem(fields.title, None, fields.category, fields.summary)
    view = item_form_view([], TODAY, FormContext(item_id=item.id), item)
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    again = read_values(
        {
            block_id: {element["action_id"]: {"value": element.get("initial_value")}}
            for block_id, element in elements.items()
        }
        | {"date": {"date_picker": {"selected_date": elements["date"]["initial_date"]}}}
    )
    refields, errors = validate(again, TODAY)
    assert errors == {}
    assert (refields.title, refields.category, refields.summary) == (
        fields.title,
        fields.category,
        fields.summary,
    )
