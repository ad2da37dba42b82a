"""Journeys across features, as people use them: curation feeds search, App Home opens curation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage.models import ScheduledItem
from tests.announce_helpers import shown_in, subscribe
from tests.conftest import app_environment, run_cli
from tests.curation_payloads import form_values, submission_of
from tests.test_http_curation import open_add_modal, open_from_menu
from tests.test_http_home import open_home
from tests.test_http_latest import titles_in


def search_titles(slack, words: str, user_id: str = "UMEMBER") -> list[str]:
    return titles_in(slack.command(f"search {words}", user_id=user_id).json())


def categories_text(slack) -> str:
    body = slack.command("categories").json()
    return json.dumps(body["blocks"], ensure_ascii=False)


def test_an_item_added_edited_and_deleted_by_an_admin_is_found_then_gone(slack, fake, db):
    today = datetime.now(UTC).date().isoformat()
    view = open_add_modal(slack, fake)
    values = form_values(
        title="Housing cooperatives in Genève",
        new_category="Housing",
        date=today,
        summary="Tenants own their homes together.",
    )
    assert slack.interaction(submission_of(view, "UADMIN", values)).text == ""

    # Everyone finds it at once, accents and case aside; only admins get its menu.
    assert search_titles(slack, "GENEVE tenants") == ["Housing cooperatives in Genève"]
    admin_hit = slack.command("search housing", user_id="UADMIN").json()
    section = next(b for b in admin_hit["blocks"] if b.get("block_id", "").startswith("item-"))
    assert section["accessory"]["action_id"] == "coopnews_item_menu"
    member_hit = slack.command("search housing").json()
    assert all("accessory" not in b for b in member_hit["blocks"])
    assert "Housing" in categories_text(slack)

    # A correction is searchable under its new words, no longer under the old ones.
    item_id = int(section["block_id"].removeprefix("item-"))
    edit = open_from_menu(slack, fake, "UADMIN", f"edit:{item_id}")
    corrected = form_values(
        title="Housing cooperatives in Lausanne",
        category="Housing",
        date=today,
        summary="Tenants own their homes together.",
    )
    assert slack.interaction(submission_of(edit, "UADMIN", corrected)).text == ""
    assert search_titles(slack, "lausanne") == ["Housing cooperatives in Lausanne"]
    assert search_titles(slack, "geneve") == []

    # Retracted: gone from search, latest and the category counts; kept in the audit.
    confirm = open_from_menu(slack, fake, "UADMIN", f"delete:{item_id}")
    assert slack.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    assert search_titles(slack, "lausanne") == []
    assert "Housing cooperatives" not in json.dumps(slack.command("latest").json())
    assert "Housing" not in categories_text(slack)
    audit = json.dumps(slack.command("audit", user_id="UADMIN").json())
    assert audit.count("Housing cooperatives in") == 3


def test_the_app_home_add_button_opens_the_curation_modal(slack, fake, db):
    home = open_home(slack, fake, "UADMIN", event_id="EvJourney1")
    button = next(
        element
        for block in home["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == "open_add_item"
    )
    click = {
        "type": "block_actions",
        "user": {"id": "UADMIN", "username": "uadmin", "team_id": "T0001"},
        "api_app_id": "A0001",
        "team": {"id": "T0001", "domain": "coop"},
        "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": "9999.1.home",
        "view": {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": ""},
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "home-admin",
                "value": button.get("value", ""),
                "action_ts": "1700000000.000001",
            }
        ],
    }
    assert slack.interaction(click).status_code == 200
    opened = fake.wait_for("views.open")[-1].params
    assert opened["trigger_id"] == "9999.1.home"
    assert opened["view"]["callback_id"] == "coopnews_item_form"
    # A member's home has no such button.
    member_home = open_home(slack, fake, "UMEMBER", event_id="EvJourney2")
    assert "open_add_item" not in json.dumps(member_home)


def test_a_scheduled_item_is_announced_by_the_pass_after_its_time_then_featured(
    slack, fake, db, database_url
):
    """Across processes: the Procfile's web process takes the form and the menu,
    `coopnews announce` (the worker's pass, cron-safe) publishes and announces."""
    subscribe(db, "CNEWS")
    env = app_environment(database_url, fake)
    view = open_add_modal(slack, fake)
    soon = datetime.now(UTC) + timedelta(hours=1)
    values = form_values(
        title="Scheduled co-op story",
        date=soon.date().isoformat(),
        publish_at=int(soon.timestamp()),
    )
    assert slack.interaction(submission_of(view, "UADMIN", values)).text == ""
    assert run_cli("announce", env=env).returncode == 0
    assert fake.posted("CNEWS") == []
    assert "Scheduled co-op story" not in json.dumps(slack.command("latest").json())

    with db.transaction() as session:  # its time comes
        session.execute(update(ScheduledItem).values(publish_at=datetime.now(UTC)))
    assert run_cli("announce", env=env).returncode == 0
    assert run_cli("announce", env=env).returncode == 0
    (message,) = fake.posted("CNEWS")
    assert "Scheduled co-op story" in message["text"]
    assert sum(shown_in(fake, "CNEWS").values()) == 1

    # Featured by an admin: marked in latest and in everyone's App Home.
    item_id = next(iter(shown_in(fake, "CNEWS")))
    notice = open_from_menu(slack, fake, "UADMIN", f"feature:{item_id}")
    assert notice["title"]["text"] == "Featured"
    latest = slack.command("latest").json()
    assert titles_in(latest)[0] == "Scheduled co-op story"
    assert ":star: *Featured*" in json.dumps(latest["blocks"])
    home = open_home(slack, fake, "UMEMBER", "EvJourneyFeat")
    assert ":star: *Featured*" in json.dumps(home["blocks"])
