"""Block Kit for the desk (bot/blocks/suggestions.py): pure builders, escaping, limits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.blocks.curation import ITEM_FORM
from bot.blocks.home import HomeContent, home_view
from bot.blocks.scheduled import PUBLISH_AT
from bot.blocks.suggestions import (
    APPROVE,
    ReviewContext,
    approved_dm,
    decided_message,
    home_suggestion_blocks,
    prefilled_form,
    read_reason,
    reading_view,
    reject_view,
    rejected_dm,
    review_message,
)
from tests.block_kit import assert_valid_modal, mrkdwn_texts


@dataclass
class FakeSuggestion:
    id: int = 7
    suggested_by: str = "UMEMBER"
    title: str = "Co-ops <!channel> & <https://evil.example|friends>"
    url: str | None = "https://coop.example/a"
    category: str | None = "News <@U999>"
    summary: str | None = "Summary with <!here>"
    site_name: str | None = "Site <!everyone>"
    state: str = "pending"
    decided_by: str | None = None
    reason: str | None = None
    published_at: datetime = datetime(2026, 11, 20, tzinfo=UTC)


@dataclass
class FakePage:
    url: str = "https://coop.example/a"
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    reason: str | None = None


def no_pings(message: dict) -> None:
    for text in mrkdwn_texts(message):
        for bad in ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<https://evil"):
            assert bad not in text, text


def test_cards_and_messages_escape_what_people_typed():
    pending = FakeSuggestion()
    card = review_message(pending)
    no_pings(card)
    assert "&lt;!channel&gt;" in json.dumps(card)
    assert any(b["type"] == "actions" for b in card["blocks"])
    decided = FakeSuggestion(state="rejected", decided_by="UADMIN", reason="No <!channel>")
    for message in (review_message(decided), rejected_dm(decided), decided_message(decided)):
        no_pings(message)
        assert "<@UADMIN>" in json.dumps(message)
    assert not any(b["type"] == "actions" for b in review_message(decided)["blocks"])
    no_pings(approved_dm(FakeSuggestion(state="approved", decided_by="UADMIN")))
    # A forged user id is shown as text, never a mention.
    assert "<@" not in json.dumps(review_message(FakeSuggestion(suggested_by="<!channel>")))


def test_modals_are_valid_and_carry_their_context():
    assert_valid_modal(reading_view("https://coop.example/" + "x" * 3000))
    reject = reject_view(FakeSuggestion(), ReviewContext(7, "CNEWS"))
    assert_valid_modal(reject)
    assert ReviewContext.decode(reject["private_metadata"]) == ReviewContext(7, "CNEWS")
    assert ReviewContext.decode('{"suggestion_id": "7; DROP"}') == ReviewContext()
    assert ReviewContext.decode("[1]") == ReviewContext()
    page = FakePage(title="T" * 250, summary="S" * 3000, site_name="Wire", reason=None)
    form = prefilled_form(
        ["News"],
        date(2026, 11, 29),
        page,
        callback_id="x",
        private_metadata="{}",
        heading="Suggest a news item",
        submit="Suggest",
    )
    assert_valid_modal(form)
    assert form["blocks"][0]["type"] == "context"
    unreadable = prefilled_form(
        [],
        date(2026, 11, 29),
        FakePage(reason="HTTP 404 <!channel>"),
        callback_id="x",
        private_metadata="{}",
        heading="Suggest a news item",
        submit="Suggest",
    )
    assert_valid_modal(unreadable)
    assert "&lt;!channel&gt;" in json.dumps(unreadable["blocks"][0])
    title = next(b for b in unreadable["blocks"] if b.get("block_id") == "title")
    assert "initial_value" not in title["element"]


def test_reason_is_one_line_and_fitted():
    values = {"reason": {"reason_input": {"value": " too\n\nlong " + "x" * 600}}}
    reason = read_reason(values)
    assert reason.startswith("too long") and len(reason) <= 500
    assert (
        read_reason({}) is None
        and read_reason({"reason": {"reason_input": {"value": " "}}}) is None
    )


def test_app_home_shows_at_most_ten_suggestions_within_slacks_limits():
    many = [
        FakeSuggestion(id=n, title="T" * 500, summary="&" * 3000, site_name="S" * 200)
        for n in range(1, 11)
    ]
    blocks = home_suggestion_blocks(many, total=25)
    assert sum(1 for b in blocks if b["type"] == "actions") == 10
    assert "15 more" in json.dumps(blocks[-1])
    view = home_view(HomeContent([], [], [], suggestions=many, pending_suggestions=25), True)
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    ids = [b.get("block_id") for b in view["blocks"] if b.get("block_id")]
    assert len(ids) == len(set(ids))
    member = home_view(HomeContent([], [], [], suggestions=many, pending_suggestions=25), False)
    assert APPROVE not in json.dumps(member)


def test_publish_at_only_where_the_item_form_handles_it():
    # A suggestion is published when approved: its forms have no Publish at, while an
    # admin's `add URL` (the item form itself) keeps it for scheduling.
    page = FakePage(title="Coops grow", summary="", site_name="Wire", reason=None)

    def blocks(callback_id: str) -> set[str]:
        form = prefilled_form(
            ["News"],
            date(2026, 11, 29),
            page,
            callback_id=callback_id,
            private_metadata="{}",
            heading="Item",
            submit="Save",
        )
        return {b.get("block_id") for b in form["blocks"]}

    assert PUBLISH_AT not in blocks("coopnews_suggest_form")
    assert PUBLISH_AT in blocks(ITEM_FORM)
