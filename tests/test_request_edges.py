"""Hostile and odd requests, signed (or not) as Slack sends them, to the Procfile's
web process: signatures, sizes, numbers, Slack Connect users, modal links, logs."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from bot.cli.common import OneLineMessages
from tests.conftest import SIGNING_SECRET
from tests.curation_payloads import form_values, submission_of
from tests.slack_requests import signature
from tests.test_http_curation import item_count, open_add_modal
from tests.test_http_latest import make_items, seven_items
from tests.test_http_search import click_more

FORGED_LINE = "2026-11-29 18:00:00,000 ERROR bot.web: forged"


def command_form(text: str, user_id: str = "UMEMBER") -> str:
    return urlencode(
        {"team_id": "T0001", "channel_id": "CNEWS", "user_id": user_id, "command": "/coopnews",
         "text": text, "response_url": "http://127.0.0.1:9/none", "trigger_id": "1.2.3"}
    )  # fmt: skip


def test_bad_signature_is_401_and_logged_in_one_line_without_the_body(slack, web_process, fake):
    marker = "hostile-body-marker"
    body = command_form(f"search {marker}\n{FORGED_LINE}\n" + "x" * 50_000)
    response = slack.post(body, "application/x-www-form-urlencoded", secret="wrong-secret")
    assert response.status_code == 401
    time.sleep(0.3)
    log = web_process.log()
    assert marker not in log and "forged" not in log
    refused = [line for line in log.splitlines() if "refused a" in line and "signature" in line]
    assert refused and str(len(body.encode())) in refused[-1]
    assert fake.calls == []


def test_non_numeric_timestamp_is_401_and_no_listener_runs(slack, fake, db):
    seven_items(db)
    body = command_form("latest")
    for stamp in ("soon", "1e9", "", "-5", str(int(time.time())) + "x"):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
        }
        response = slack.http.post(slack.events_url, data=body, headers=headers, timeout=10)
        assert response.status_code == 401, stamp
        assert "blocks" not in response.text
    assert fake.calls == []


def test_a_body_over_one_megabyte_is_413_before_any_work(slack, fake, db):
    seven_items(db)
    response = slack.post(
        command_form("search " + "co-op " * 200_000), "application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert fake.calls == []
    # Just under the limit is still read (and then refused as a command, see below).
    fits = command_form("search " + "a" * 900_000)
    assert slack.post(fits, "application/x-www-form-urlencoded").status_code == 200


def test_command_text_over_4000_characters_is_refused_at_once(slack, db):
    seven_items(db)
    started = time.monotonic()
    body = slack.command("search " + "cooperative " * 80_000).json()
    assert time.monotonic() - started < 3
    assert "coopnews reads at most 4,000" in body["text"]
    assert "Story" not in json.dumps(body)
    # 4,000 exactly is a command like any other.
    body = slack.command("latest 2 " + "x" * 3991).json()
    assert "No news in the category" in body["text"]


@pytest.mark.parametrize("count", ["0", "-3", "+0", "-99999999999999999999999"])
def test_latest_below_one_gets_the_range(slack, db, count):
    seven_items(db)
    body = slack.command(f"latest {count}").json()
    assert body["text"].startswith("`latest` shows 1 to 20 items")
    assert not any(b.get("block_id", "").startswith("item-") for b in body["blocks"])


def test_latest_far_above_twenty_is_capped_and_says_so(slack, db):
    make_items(db, [(f"S{i}", i, None, None, None) for i in range(25)])
    body = slack.command("latest 99999999999999999999999999").json()
    assert sum(b.get("block_id", "").startswith("item-") for b in body["blocks"]) == 20
    assert "Showing at most 20 at a time." in json.dumps(body)


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"k": "latest", "o": 2**63, "n": 5}),
        json.dumps({"k": "latest", "o": 5, "n": 2**63}),
        json.dumps({"k": "latest", "o": -1, "n": 5}),
        json.dumps({"k": "search", "o": 10**30, "q": "story"}),
    ],
)
def test_more_with_forged_numbers_is_a_clear_answer(slack, fake, db, value):
    seven_items(db)
    posted = click_more(slack, fake, value)
    assert posted["text"] == "There is nothing more to show."
    assert posted.get("replace_original") is False


def test_source_ids_and_intervals_out_of_range(slack, db):
    huge = "9" * 30
    for text in (f"sources pause {huge}", "sources remove 2147483648", "sources resume 0"):
        body = slack.command(text, user_id="UADMIN").json()
        assert "There is no source" in body["text"] or "Usage" in body["text"], text
    body = slack.command(f"sources interval 1 {huge}", user_id="UADMIN").json()
    assert "at most 10,080" in body["text"]


def test_slack_connect_admins_of_another_org_are_not_coopnews_admins(slack, fake, db):
    fake.add_user("UEXTADMIN", admin=True, owner=True, team_id="TOTHERORG")
    seven_items(db)
    refused = slack.command("add", user_id="UEXTADMIN").json()
    assert refused["text"].startswith("Sorry, only coopnews admins can")
    assert fake.calls_to("views.open") == []
    # They may still read, and see no admin controls.
    body = slack.command("latest 2", user_id="UEXTADMIN").json()
    assert sum(b.get("block_id", "").startswith("item-") for b in body["blocks"]) == 2
    assert "overflow" not in json.dumps(body)
    # A home workspace admin still is one.
    assert slack.command("add", user_id="UADMIN").status_code == 200
    assert len(fake.wait_for("views.open")) == 1


@pytest.mark.parametrize("link", ["http://<!channel>", "https://<@U123>/x", "http://a..b/"])
def test_a_modal_link_needs_a_real_host(slack, fake, db, link):
    view = open_add_modal(slack, fake)
    body = slack.interaction(submission_of(view, "UADMIN", form_values(link=link))).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"link"}
    assert item_count(db) == 0


def test_log_messages_never_carry_newlines(caplog):
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "title %s", (f"a\n{FORGED_LINE}",), None
    )
    assert OneLineMessages().filter(record)
    assert record.getMessage() == f"title a\\n{FORGED_LINE}"


def test_control_characters_in_command_text_are_removed(slack, db):
    make_items(db, [("Story", 1, "News", None, None)])
    body = slack.command("latest 1 Ne\x00ws\x07").json()
    assert [b["block_id"] for b in body["blocks"] if b.get("block_id", "").startswith("item-")]
    body = slack.command("search x\x00y").json()
    assert body["text"].startswith("No news matches “xy”")


def test_decoded_text_echoed_back_is_escaped_again(slack, fake, db):
    make_items(db, [("Story", 1, "News", None, None)])
    # Typed "<!channel>" arrives as "&lt;!channel&gt;"; decoded, it must never ping.
    for text in (
        "subscribe digest daily &lt;!channel&gt;",
        "sources &lt;!channel&gt;",
        "&lt;!here&gt;",
        "search &lt;!channel&gt;",
        "latest 2 &lt;@U024BE7LH&gt;",
    ):
        body = slack.command(text, user_id="UADMIN", channel_id="CECHO").json()
        raw = json.dumps(body)
        assert "<!channel>" not in raw and "<!here>" not in raw and "<@U024BE7LH>" not in raw, text
        assert "&lt;" in raw, text
