"""`/coopnews latest` and `help`: signed requests to the app in process (`bolt`); the first
test and the signature/malformed checks go to the Procfile's web process (`slack`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from domain.items import ItemDraft, fingerprint
from storage.entries import add_items
from tests.conftest import SIGNING_SECRET


def make_items(db, specs):
    """specs: (title, days_ago, category, summary, url)"""
    base = datetime(2026, 11, 1, tzinfo=UTC)
    drafts = [
        ItemDraft(
            title=title,
            published_at=base - timedelta(days=days_ago),
            origin="test",
            fingerprint=fingerprint(title, str(days_ago)),
            category=category,
            summary=summary,
            url=url,
        )
        for title, days_ago, category, summary, url in specs
    ]
    with db.transaction() as session:
        return add_items(session, drafts).added


def titles_in(body: dict) -> list[str]:
    """Item titles as the user sees them, in order (from the item sections)."""
    out = []
    for block in body["blocks"]:
        if block.get("block_id", "").startswith("item-"):
            first_line = block["text"]["text"].split("\n")[0]
            out.append(first_line.strip("*"))
    return out


def seven_items(db):
    make_items(
        db,
        [
            (f"Story {i}", i, "News" if i % 2 else "COOP Champions", f"Summary {i}", None)
            for i in range(7)
        ],
    )


def test_latest_shows_five_newest_first_ephemeral(slack, db, fake):
    seven_items(db)
    response = slack.command("latest")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert titles_in(body) == [f"Story {i}" for i in range(5)]
    assert "The 5 newest items" in body["blocks"][0]["text"]["text"]
    # date and category are shown with each item
    contexts = [b for b in body["blocks"] if b["type"] == "context"]
    assert contexts[0]["elements"][0]["text"] == "01 November 2026 · COOP Champions"


def test_latest_n_and_category_case_insensitive(bolt, db):
    seven_items(db)
    assert titles_in(bolt.command("latest 2").json()) == ["Story 0", "Story 1"]
    assert titles_in(bolt.command("latest news").json()) == ["Story 1", "Story 3", "Story 5"]
    champions = bolt.command("latest 2 coop champions").json()
    assert titles_in(champions) == ["Story 0", "Story 2"]
    # the heading names the category as the items spell it, not as typed
    assert "in COOP Champions" in champions["blocks"][0]["text"]["text"]
    assert titles_in(bolt.command("latest COOP Champions 1").json()) == ["Story 0"]


def test_latest_is_capped_at_twenty(bolt, db):
    make_items(db, [(f"T{i}", i, "News", None, None) for i in range(25)])
    body = bolt.command("latest 50").json()
    assert len(titles_in(body)) == 20
    assert "at most 20" in body["blocks"][-1]["elements"][0]["text"]


def test_title_links_when_item_has_url_and_summary_is_shortened(bolt, db):
    long_summary = "word " * 200
    make_items(db, [("Linked", 0, "News", long_summary, "https://www.ilo.org/coop?a=1|b")])
    body = bolt.command("latest").json()
    section = next(b for b in body["blocks"] if b.get("block_id", "").startswith("item-"))
    text = section["text"]["text"]
    assert text.startswith("*<https://www.ilo.org/coop?a=1%7Cb|Linked>*")
    summary = text.split("\n", 1)[1]
    assert summary.endswith("…") and len(summary) <= 281


def test_empty_store_gets_a_helpful_answer(bolt, db):
    body = bolt.command("latest").json()
    assert body["response_type"] == "ephemeral"
    assert "No news yet" in body["text"]


def test_unknown_category_says_so(bolt, db):
    seven_items(db)
    body = bolt.command("latest Gardening").json()
    assert "No news in the category “Gardening”" in body["text"]


def test_help_empty_and_unknown_subcommands(bolt, db):
    for text in ("help", "", "frobnicate"):
        body = bolt.command(text).json()
        assert body["response_type"] == "ephemeral"
        joined = " ".join(b["text"]["text"] for b in body["blocks"])
        assert "/coopnews latest [N] [category]" in joined
    assert (
        "I don't know `frobnicate`"
        in bolt.command("frobnicate").json()["blocks"][0]["text"]["text"]
    )


def test_forged_signature_and_stale_timestamp_are_refused(slack, db, fake):
    seven_items(db)
    before = len(fake.calls)
    forged = slack.command("latest", secret="not-the-secret")
    stale = slack.command("latest", timestamp=int(time.time()) - 600)
    assert forged.status_code == 401
    assert stale.status_code == 401
    assert "Story" not in forged.text + stale.text
    time.sleep(0.2)
    assert len(fake.calls) == before
    assert slack.secret == SIGNING_SECRET


def test_healthz(web_process):
    import requests

    response = requests.get(web_process.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "up"}


def test_malformed_requests_get_400_and_forged_ones_401(slack, db, fake):
    before = len(fake.calls)
    for body, content_type in [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ('payload={"type": "block_actions", "actions": []}', "application/x-www-form-urlencoded"),
    ]:
        signed = slack.post(body, content_type)
        assert signed.status_code == 400, signed.text
        assert signed.json() == {"error": "malformed request"}
        forged = slack.post(body, content_type, secret="not-the-secret")
        assert forged.status_code == 401
    assert len(fake.calls) == before
    assert slack.command("latest").status_code == 200  # and the app still answers
