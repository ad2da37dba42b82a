"""The curation Block Kit builders and the modal's server-side validation, as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from bot.blocks.curation import (
    FormContext,
    audit_message,
    category_option,
    delete_confirm_view,
    deleted_message,
    item_form_view,
    item_menu,
    mention,
    notice_view,
    parse_menu_value,
    saved_message,
)
from bot.curation.form import Submission, link_problem, read_values, validate
from tests.block_kit import assert_valid_modal
from tests.curation_payloads import form_values

TODAY = date(2026, 11, 29)


@dataclass
class FakeItem:
    id: int = 7
    title: str = "Co-ops in Kenya"
    url: str | None = "https://example.org/kenya"
    category: str | None = "News"
    summary: str | None = "A summary"
    published_at: datetime = datetime(2026, 11, 3, 10, 30, tzinfo=UTC)


@dataclass
class FakeEntry:
    at: datetime = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    user_id: str = "UADMIN"
    action: str = "added"
    item_id: int | None = 7
    item_title: str = "Co-ops in Kenya"
    details: str | None = None


def by_block(view: dict) -> dict:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}


# -- the item modal -----------------------------------------------------------
def test_add_form_has_named_inputs_defaults_and_limits():
    view = item_form_view(["News", "Housing"], TODAY, FormContext(channel_id="CNEWS"))
    assert_valid_modal(view)
    assert view["callback_id"] == "coopnews_item_form"
    assert (view["title"]["text"], view["submit"]["text"]) == ("Add a news item", "Add item")
    blocks = by_block(view)
    assert list(blocks) == [
        "title",
        "link",
        "category",
        "new_category",
        "date",
        "summary",
        "publish_at",
    ]
    assert blocks["title"]["optional"] is False and blocks["date"]["optional"] is False
    optional = ("link", "category", "new_category", "summary", "publish_at")
    assert all(blocks[b]["optional"] for b in optional)
    # Empty means "publish now": no initial time for a new item.
    assert blocks["publish_at"]["element"] == {
        "type": "datetimepicker",
        "action_id": "publish_at_picker",
    }
    assert blocks["title"]["element"]["max_length"] == 250
    assert blocks["link"]["element"]["type"] == "url_text_input"
    assert (
        blocks["summary"]["element"] | {"max_length": 3000, "multiline": True}
        == blocks["summary"]["element"]
    )
    assert blocks["date"]["element"]["initial_date"] == "2026-11-29"
    assert [o["value"] for o in blocks["category"]["element"]["options"]] == ["News", "Housing"]
    assert "initial_value" not in blocks["title"]["element"]
    assert json.loads(view["private_metadata"]) == {"item_id": None, "channel_id": "CNEWS"}


def test_without_known_categories_only_the_free_text_category_is_offered():
    blocks = by_block(item_form_view([], TODAY, FormContext()))
    assert "category" not in blocks
    assert blocks["new_category"]["label"]["text"] == "Category"


def test_long_categories_are_shortened_in_options_and_unusable_ones_left_out():
    long = "x" * 120
    view = item_form_view([long, "y" * 151], TODAY, FormContext())
    assert_valid_modal(view)
    (option,) = by_block(view)["category"]["element"]["options"]
    assert option["value"] == long and len(option["text"]["text"]) <= 75


def test_edit_form_is_prefilled_with_the_item():
    item = FakeItem()
    view = item_form_view(["Housing", "News"], TODAY, FormContext(item_id=7), item)
    assert_valid_modal(view)
    assert (view["title"]["text"], view["submit"]["text"]) == ("Edit news item", "Save")
    blocks = by_block(view)
    assert "publish_at" not in blocks  # a published item is not scheduled again
    assert blocks["title"]["element"]["initial_value"] == "Co-ops in Kenya"
    assert blocks["link"]["element"]["initial_value"] == "https://example.org/kenya"
    assert blocks["category"]["element"]["initial_option"] == category_option("News")
    assert "initial_value" not in blocks["new_category"]["element"]
    assert blocks["date"]["element"]["initial_date"] == "2026-11-03"
    assert blocks["summary"]["element"]["initial_value"] == "A summary"
    assert json.loads(view["private_metadata"])["item_id"] == 7


def test_edit_form_puts_an_unlisted_category_in_the_free_text_input_and_fits_long_text():
    item = FakeItem(category="Rare", title="t" * 400, summary="s" * 5000, url="javascript:x")
    view = item_form_view(["News"], TODAY, FormContext(item_id=7), item)
    assert_valid_modal(view)
    blocks = by_block(view)
    assert "initial_option" not in blocks["category"]["element"]
    assert blocks["new_category"]["element"]["initial_value"] == "Rare"
    assert blocks["title"]["element"]["max_length"] == 400
    assert len(blocks["summary"]["element"]["initial_value"]) == 3000
    assert "initial_value" not in blocks["link"]["element"]


@pytest.mark.parametrize(
    "raw", [None, "", "not json", "[1]", '{"item_id": "7"}', '{"item_id": true}']
)
def test_forged_private_metadata_decodes_to_an_empty_context(raw):
    assert FormContext.decode(raw).item_id is None


def test_context_round_trips():
    context = FormContext(item_id=3, channel_id="C1")
    assert FormContext.decode(context.encode()) == context


def test_delete_confirmation_and_notice_are_valid_modals():
    view = delete_confirm_view(FakeItem(), FormContext(item_id=7))
    assert_valid_modal(view)
    assert view["callback_id"] == "coopnews_delete_item"
    assert "Co-ops in Kenya" in view["blocks"][0]["text"]["text"]
    notice = notice_view("A title far longer than Slack allows", "text")
    assert_valid_modal(notice)
    assert "submit" not in notice


def test_item_menu_and_its_values():
    menu = item_menu(FakeItem(id=12))
    assert menu["action_id"] == "coopnews_item_menu"
    assert [o["value"] for o in menu["options"]] == ["edit:12", "delete:12", "feature:12"]
    featured = item_menu(FakeItem(id=12), featured_id=12)
    assert [o["value"] for o in featured["options"]][-1] == "unfeature:12"
    assert [o["text"]["text"] for o in featured["options"]][-1] == "Unfeature"
    assert parse_menu_value("edit:12") == ("edit", 12)
    assert parse_menu_value("delete:3") == ("delete", 3)
    assert parse_menu_value("feature:3") == ("feature", 3)
    assert parse_menu_value("unfeature:3") == ("unfeature", 3)
    for forged in (None, "", "drop:1", "edit:", "edit:x", "edit:-1", "delete:1;2"):
        assert parse_menu_value(forged) is None


def test_confirmations_show_the_item():
    added = saved_message(FakeItem(), added=True)
    assert added["blocks"][0]["text"]["text"] == "*Added to coopnews:*"
    assert added["blocks"][1]["block_id"] == "item-7"
    fixed = saved_message(FakeItem(), added=False, messages_updated=1)
    assert fixed["blocks"][-1]["elements"][0]["text"] == "Also updated 1 message already posted."
    gone = deleted_message(FakeItem(), messages_updated=2)
    assert "Replaced 2 messages" in gone["text"]


def test_audit_message_lines():
    entries = [
        FakeEntry(action="edited", details="title, link"),
        FakeEntry(user_id="not an id", item_id=None),
    ]
    message = audit_message(entries)
    lines = [b["text"]["text"] for b in message["blocks"]]
    assert lines[0] == "*The last 2 changes*"
    stamp = int(entries[0].at.timestamp())
    assert lines[1] == (
        f"<!date^{stamp}^{{date_short_pretty}} {{time}}|29 November 2026 06:00 UTC> · "
        "<@UADMIN> edited *Co-ops in Kenya* (#7): title, link"
    )
    assert "· not an id added *Co-ops in Kenya*" in lines[2]
    assert "No changes yet" in audit_message([])["text"]
    assert mention("U123ABC") == "<@U123ABC>" and mention("<!channel>") == "&lt;!channel&gt;"


# -- reading and validating the submission -------------------------------------------
def test_read_values_takes_each_element_types_shape():
    values = form_values(
        title=" T ", link="https://a.org", category="News", new_category=None, summary="S"
    )
    assert read_values(values) == Submission(
        title=" T ", link="https://a.org", category="News", date="2026-11-20", summary="S"
    )


@pytest.mark.parametrize("values", [{}, {"title": "x"}, {"title": {"title_input": []}}, []])
def test_read_values_survives_forged_shapes(values):
    fields, errors = validate(read_values(values), TODAY)
    assert fields is None and "title" in errors and "date" in errors


def test_valid_submission_is_cleaned_up():
    submission = Submission(
        title="  Two\n lines\t", link=" https://ilo.org/x ", category="News", date="2026-11-30"
    )
    fields, errors = validate(submission, TODAY)
    assert errors == {}
    assert (fields.title, fields.url, fields.category) == ("Two lines", "https://ilo.org/x", "News")
    assert fields.published_on == date(2026, 11, 30)  # tomorrow is allowed
    assert fields.summary is None


def test_a_new_category_wins_over_the_list():
    fields, _ = validate(
        Submission(title="T", category="News", new_category="Housing ", date="2026-11-01"), TODAY
    )
    assert fields.category == "Housing"


@pytest.mark.parametrize(
    "submission, block",
    [
        (Submission(title="", date="2026-11-01"), "title"),
        (Submission(title="x" * 251, date="2026-11-01"), "title"),
        (Submission(title="T", date="2026-12-01"), "date"),
        (Submission(title="T", date="someday"), "date"),
        (Submission(title="T", date=None), "date"),
        (Submission(title="T", date="2026-11-01", summary="s" * 3001), "summary"),
        (Submission(title="T", date="2026-11-01", new_category="c" * 101), "new_category"),
        (Submission(title="T", date="2026-11-01", link="javascript:alert(1)"), "link"),
    ],
)
def test_invalid_submissions_name_the_block(submission, block):
    fields, errors = validate(submission, TODAY)
    assert fields is None and list(errors) == [block]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "ftp://example.org",
        "example.org/page",
        "mailto:a@b.org",
        "https://",
        "http:///path",
        "https://exa mple.org",
        "data:text/html,<b>x</b>",
        "https://[::1",
        "https://e.org/" + "a" * 10_000,
        "http://<!channel>",
        "https://<@U123>/x",
        "http://exa_mple..org/",
    ],
)
def test_links_that_are_refused(url):
    assert link_problem(url)


@pytest.mark.parametrize(
    "url", ["https://www.ilo.org/coops?a=1|b", "http://example.org", "HTTPS://E.ORG/x#frag"]
)
def test_links_that_are_accepted(url):
    assert link_problem(url) is None
