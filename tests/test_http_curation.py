"""Curation: signed requests (`bolt` in process; `slack`, the Procfile's gunicorn, for the
journey to posted messages), Web API calls recorded by the fake. Admins: UADMIN (workspace admin), UOWNER, UCONFADMIN (COOPNEWS_ADMINS)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from bot.admins import REFUSAL
from bot.blocks.announce import announcement_message, digest_message, retraction_message
from domain.items import ItemDraft, fingerprint
from storage.entries import add_items
from storage.models import AuditEntry, Delivery, Item
from tests.block_kit import assert_valid_modal
from tests.curation_payloads import (
    form_values,
    home_button,
    menu_click,
    submission_of,
    view_submission,
)
from tests.fake_slack import Reply
from tests.test_http_latest import titles_in

TODAY = datetime.now(UTC).date()


def add_stored(db, title, days_ago=3, category="News", url=None, summary=None) -> int:
    draft = ItemDraft(
        title=title,
        published_at=datetime.now(UTC) - timedelta(days=days_ago),
        origin="ilo",
        fingerprint=fingerprint("test", title),
        url=url,
        category=category,
        summary=summary,
    )
    with db.transaction() as session:
        return add_items(session, [draft]).added[0]


def posted(db, item_id, channel_id, ts, digest=False) -> None:
    """What the announcer records once a message is posted."""
    with db.transaction() as session:
        session.add(
            Delivery(
                item_id=item_id,
                channel_id=channel_id,
                state="posted",
                message_ts=ts,
                digest=digest,
                posted_at=datetime.now(UTC),
            )
        )


def item(db, item_id) -> Item:
    with db.reading() as session:
        return session.get(Item, item_id)


def item_count(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Item))


def audit_rows(db) -> list[tuple[str, str, int | None, str | None]]:
    with db.reading() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.user_id, r.action, r.item_id, r.details) for r in rows]


def open_add_modal(slack, fake, user_id="UADMIN") -> dict:
    response = slack.command("add", user_id=user_id, trigger_id="5555.1.add")
    assert response.status_code == 200
    call = fake.wait_for("views.open")[-1]
    assert call.params["trigger_id"] == "5555.1.add"
    return call.params["view"]


def open_from_menu(slack, fake, user_id, value) -> dict:
    before = len(fake.calls_to("views.open"))
    response = slack.interaction(menu_click(user_id, value, trigger_id="7777.1.menu"))
    assert response.status_code == 200
    call = fake.wait_for("views.open", count=before + 1)[-1]
    assert call.params["trigger_id"] == "7777.1.menu"
    return call.params["view"]


# -- adding ---------------------------------------------------------------
def test_admin_adds_an_item_and_it_is_first_in_latest(bolt, fake, db):
    add_stored(db, "Older news", days_ago=2, category="Research")
    # UTC+14: the admin's today is a day ahead of UTC for most of the UTC day.
    fake.add_user("UKIRITIMATI", admin=True, tz="Pacific/Kiritimati")
    view = open_add_modal(bolt, fake, user_id="UKIRITIMATI")
    assert_valid_modal(view)
    assert view["callback_id"] == "coopnews_item_form"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    # Today where the admin is (users.info tz), not in UTC.
    their_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert blocks["date"]["element"]["initial_date"] == their_today.isoformat()
    options = blocks["category"]["element"]["options"]
    assert [o["value"] for o in options] == ["Research"]

    values = form_values(
        title="Cooperatives <!channel> & friends",
        link="https://www.ilo.org/coops/new",
        new_category="Housing",
        date=their_today.isoformat(),  # may be tomorrow in UTC: allowed
        summary="Line one\nline two",
    )
    response = bolt.interaction(submission_of(view, "UKIRITIMATI", values))
    assert response.status_code == 200
    assert response.text == ""  # closes the modal

    latest = bolt.command("latest", user_id="UMEMBER").json()
    assert (
        titles_in(latest)[0]
        == "<https://www.ilo.org/coops/new|Cooperatives &lt;!channel&gt; &amp; friends>"
    )
    assert titles_in(latest)[1] == "Older news"

    confirmation = fake.wait_for("chat.postEphemeral")[-1].params
    assert confirmation["channel"] == "CNEWS" and confirmation["user"] == "UKIRITIMATI"
    assert "Cooperatives &lt;!channel&gt; &amp; friends" in confirmation["text"]

    with db.reading() as session:
        stored = session.scalars(select(Item).where(Item.origin == "admin")).one()
        assert (stored.created_by, stored.category, stored.summary) == (
            "UKIRITIMATI",
            "Housing",
            "Line one\nline two",
        )
        assert stored.published_at.date() == their_today
        stored_id = stored.id
    assert audit_rows(db) == [("UKIRITIMATI", "added", stored_id, None)]


def test_existing_category_from_the_select(bolt, fake, db):
    add_stored(db, "Seed", category="COOP Champions")
    view = open_add_modal(bolt, fake, user_id="UCONFADMIN")
    values = form_values(title="Chosen", category="COOP Champions")
    assert bolt.interaction(submission_of(view, "UCONFADMIN", values)).text == ""
    body = bolt.command("latest coop champions").json()
    assert "Chosen" in titles_in(body)


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "ftp://files.example.org/news", "www.ilo.org/coops"]
)
def test_a_link_that_is_not_http_is_an_inline_error_and_nothing_is_stored(bolt, fake, db, link):
    view = open_add_modal(bolt, fake)
    response = bolt.interaction(submission_of(view, "UADMIN", form_values(link=link)))
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"link"}
    assert "http://" in body["errors"]["link"]
    assert item_count(db) == 0
    assert audit_rows(db) == []


def test_far_future_date_and_missing_title_are_inline_errors(bolt, fake, db):
    view = open_add_modal(bolt, fake)
    values = form_values(title="   ", date=(TODAY + timedelta(days=3)).isoformat())
    body = bolt.interaction(submission_of(view, "UADMIN", values)).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"title", "date"}
    assert item_count(db) == 0


def test_duplicates_same_link_or_same_title_and_date_are_inline_errors(bolt, fake, db):
    add_stored(db, "Kenya's co-ops", days_ago=0, url="https://example.org/kenya")
    view = open_add_modal(bolt, fake)
    same_link = form_values(title="Other title", link="https://example.org/kenya")
    body = bolt.interaction(submission_of(view, "UADMIN", same_link)).json()
    assert body == {
        "response_action": "errors",
        "errors": {"link": body["errors"]["link"]},
    }
    assert "Already in coopnews" in body["errors"]["link"]
    same_title = form_values(title="KENYA’S  CO-OPS", date=TODAY.isoformat())
    body = bolt.interaction(submission_of(view, "UADMIN", same_title)).json()
    assert set(body["errors"]) == {"title"}
    assert item_count(db) == 1


def test_a_member_gets_a_polite_refusal_and_no_modal(bolt, fake, db):
    response = bolt.command("add", user_id="UMEMBER")
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"] == REFUSAL
    bolt.settle()
    assert fake.calls_to("views.open") == []


def test_a_members_forged_add_submission_stores_nothing(bolt, fake, db):
    payload = view_submission("UMEMBER", "coopnews_item_form", "{}", form_values(title="Forged"))
    body = bolt.interaction(payload).json()
    assert body["response_action"] == "update"
    assert body["view"]["blocks"][0]["text"]["text"] == REFUSAL
    assert item_count(db) == 0 and audit_rows(db) == []
    bolt.settle()
    assert fake.calls_to("chat.postEphemeral") == []


def test_the_app_home_add_button_opens_the_modal_for_admins_only(bolt, fake, db):
    assert bolt.interaction(home_button("UOWNER", trigger_id="4242.1.home")).status_code == 200
    call = fake.wait_for("views.open")[-1]
    assert call.params["trigger_id"] == "4242.1.home"
    assert call.params["view"]["callback_id"] == "coopnews_item_form"
    assert_valid_modal(call.params["view"])

    bolt.interaction(home_button("UMEMBER", trigger_id="4242.2.home"))
    refusal = fake.wait_for("views.open", count=2)[-1]
    assert refusal.params["trigger_id"] == "4242.2.home"
    assert refusal.params["view"]["callback_id"] == "coopnews_notice"
    assert "submit" not in refusal.params["view"]


def test_confirmation_falls_back_to_a_dm_when_the_bot_is_not_in_the_channel(bolt, fake, db):
    fake.handlers["chat.postEphemeral"] = lambda call: {"ok": False, "error": "channel_not_found"}
    view = open_add_modal(bolt, fake)
    assert bolt.interaction(submission_of(view, "UADMIN", form_values(title="By DM"))).text == ""
    dm = fake.wait_for("chat.postMessage")[-1].params
    assert dm["channel"] == "UADMIN"
    assert "By DM" in dm["text"]
    assert item_count(db) == 1


# -- admin controls on listed items -----------------------------------------------
def menu_of(body: dict) -> list:
    return [b.get("accessory") for b in body["blocks"] if b.get("block_id", "").startswith("item-")]


def test_admins_see_edit_and_delete_in_latest_members_do_not(bolt, fake, db):
    item_id = add_stored(db, "Listed")
    for admin in ("UADMIN", "UOWNER", "UCONFADMIN"):
        (menu,) = menu_of(bolt.command("latest", user_id=admin).json())
        assert menu["type"] == "overflow" and menu["action_id"] == "coopnews_item_menu"
        values = [o["value"] for o in menu["options"]]
        assert values == [f"edit:{item_id}", f"delete:{item_id}", f"feature:{item_id}"]
        assert [o["text"]["text"] for o in menu["options"]] == ["Edit", "Delete", "Feature"]
    assert menu_of(bolt.command("latest", user_id="UMEMBER").json()) == [None]


# -- editing ----------------------------------------------------------------
def test_edit_prefills_the_modal_and_updates_every_posted_message(bolt, fake, db):
    item_id = add_stored(db, "Teh typo", summary="Old summary", url="https://example.org/a")
    other_id = add_stored(db, "Neighbour in the digest", days_ago=4)
    posted(db, item_id, "CSINGLE", "1700000000.000001")
    posted(db, item_id, "CDIGEST", "1700000000.000002", digest=True)
    posted(db, other_id, "CDIGEST", "1700000000.000002", digest=True)

    view = open_from_menu(bolt, fake, "UADMIN", f"edit:{item_id}")
    assert_valid_modal(view)
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["title"]["initial_value"] == "Teh typo"
    assert blocks["link"]["initial_value"] == "https://example.org/a"
    assert blocks["summary"]["initial_value"] == "Old summary"
    assert blocks["category"]["initial_option"]["value"] == "News"

    published = item(db, item_id).published_at
    values = form_values(
        title="The fix",
        link="https://example.org/a",
        category="News",
        date=published.date().isoformat(),
        summary="Old summary",
    )
    response = bolt.interaction(submission_of(view, "UADMIN", values))
    assert response.text == ""
    assert item(db, item_id).title == "The fix"
    assert item(db, item_id).published_at == published  # same day: time kept

    updates = {c.params["channel"]: c.params for c in fake.wait_for("chat.update", count=2)}
    fixed = item(db, item_id)
    single = announcement_message(fixed)
    assert updates["CSINGLE"]["ts"] == "1700000000.000001"
    assert updates["CSINGLE"]["blocks"] == single["blocks"]
    assert updates["CSINGLE"]["text"] == single["text"]
    digest = digest_message([fixed, item(db, other_id)])
    assert updates["CDIGEST"]["ts"] == "1700000000.000002"
    assert updates["CDIGEST"]["blocks"] == digest["blocks"]
    assert "The fix" in updates["CDIGEST"]["blocks"][2]["text"]["text"]

    confirmation = fake.wait_for("chat.postEphemeral")[-1].params
    assert "Saved your correction" in confirmation["text"]
    assert "2 messages" in str(confirmation["blocks"])
    assert audit_rows(db) == [("UADMIN", "edited", item_id, "title")]


def test_a_failed_chat_update_does_not_undo_the_edit(bolt, fake, db):
    item_id = add_stored(db, "Gone message")
    posted(db, item_id, "CGONE", "1700000000.000009")
    fake.handlers["chat.update"] = lambda call: {"ok": False, "error": "message_not_found"}
    view = open_from_menu(bolt, fake, "UADMIN", f"edit:{item_id}")
    values = form_values(title="Still corrected", category="News")
    assert bolt.interaction(submission_of(view, "UADMIN", values)).text == ""
    fake.wait_for("chat.update")
    assert item(db, item_id).title == "Still corrected"
    confirmation = fake.wait_for("chat.postEphemeral")[-1].params
    assert "messages" not in str(confirmation["blocks"])  # none were updated


def test_edit_into_a_duplicate_is_an_inline_error(bolt, fake, db):
    add_stored(db, "First", url="https://example.org/one")
    second = add_stored(db, "Second", url="https://example.org/two")
    view = open_from_menu(bolt, fake, "UADMIN", f"edit:{second}")
    values = form_values(title="Second", link="https://example.org/one")
    body = bolt.interaction(submission_of(view, "UADMIN", values)).json()
    assert set(body["errors"]) == {"link"}
    assert item(db, second).url == "https://example.org/two"
    assert audit_rows(db) == []


def test_a_members_forged_edit_changes_nothing(bolt, fake, db):
    item_id = add_stored(db, "Untouchable")
    posted(db, item_id, "CSINGLE", "1700000000.000001")
    # The click: no edit modal, only a notice.
    bolt.interaction(menu_click("UMEMBER", f"edit:{item_id}", trigger_id="6666.1.x"))
    notice = fake.wait_for("views.open")[-1].params["view"]
    assert notice["callback_id"] == "coopnews_notice"
    # The submission, forged with the item id in private_metadata.
    payload = view_submission(
        "UMEMBER",
        "coopnews_item_form",
        f'{{"item_id": {item_id}, "channel_id": "CNEWS"}}',
        form_values(title="Defaced"),
    )
    assert bolt.interaction(payload).json()["response_action"] == "update"
    bolt.settle()
    assert item(db, item_id).title == "Untouchable"
    assert fake.calls_to("chat.update") == []
    assert audit_rows(db) == []


# -- deleting ---------------------------------------------------------------
def test_delete_asks_to_confirm_then_retracts_and_fixes_posted_messages(bolt, fake, db):
    gone = add_stored(db, "Wrong story", days_ago=1)
    stays = add_stored(db, "Right story", days_ago=2)
    alone = add_stored(db, "Lonely", days_ago=5)
    posted(db, gone, "CSINGLE", "1700000000.000001")
    posted(db, gone, "CDIGEST", "1700000000.000002", digest=True)
    posted(db, stays, "CDIGEST", "1700000000.000002", digest=True)
    posted(db, gone, "CSOLO", "1700000000.000003", digest=True)  # a digest of one

    confirm = open_from_menu(bolt, fake, "UADMIN", f"delete:{gone}")
    assert_valid_modal(confirm)
    assert confirm["callback_id"] == "coopnews_delete_item"
    assert confirm["submit"]["text"] == "Delete"
    assert "Wrong story" in confirm["blocks"][0]["text"]["text"]
    assert item(db, gone).retracted_at is None  # nothing happens before confirming

    assert bolt.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    assert item(db, gone).retracted_at is not None
    assert titles_in(bolt.command("latest").json()) == ["Right story", "Lonely"]

    updates = {c.params["channel"]: c.params for c in fake.wait_for("chat.update", count=3)}
    retracted = item(db, gone)
    assert updates["CSINGLE"]["blocks"] == retraction_message(retracted)["blocks"]
    assert updates["CDIGEST"]["blocks"] == digest_message([item(db, stays)])["blocks"]
    assert updates["CSOLO"]["blocks"] == retraction_message(retracted)["blocks"]
    assert "Deleted" in fake.wait_for("chat.postEphemeral")[-1].params["text"]
    assert audit_rows(db) == [("UADMIN", "retracted", gone, None)]
    assert alone  # listed above


def test_a_members_forged_delete_changes_nothing(bolt, fake, db):
    item_id = add_stored(db, "Keep me")
    posted(db, item_id, "CSINGLE", "1700000000.000001")
    payload = view_submission("UMEMBER", "coopnews_delete_item", f'{{"item_id": {item_id}}}')
    body = bolt.interaction(payload).json()
    assert body["response_action"] == "update"
    bolt.interaction(menu_click("UMEMBER2", f"delete:{item_id}"))
    notice = fake.wait_for("views.open")[-1].params["view"]
    assert notice["callback_id"] == "coopnews_notice"
    bolt.settle()
    assert item(db, item_id).retracted_at is None
    assert fake.calls_to("chat.update") == []
    assert titles_in(bolt.command("latest").json()) == ["Keep me"]


def test_editing_a_deleted_item_is_refused(bolt, fake, db):
    item_id = add_stored(db, "Soon gone")
    view = open_from_menu(bolt, fake, "UADMIN", f"edit:{item_id}")
    confirm = open_from_menu(bolt, fake, "UADMIN", f"delete:{item_id}")
    assert bolt.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    body = bolt.interaction(submission_of(view, "UADMIN", form_values(title="Late"))).json()
    assert body["response_action"] == "update"
    assert "deleted" in body["view"]["blocks"][0]["text"]["text"]
    assert item(db, item_id).title == "Soon gone"


# -- audit ------------------------------------------------------------------
def test_audit_lists_the_last_changes_for_admins_only(bolt, fake, db):
    item_id = add_stored(db, "Audited")
    view = open_add_modal(bolt, fake)
    bolt.interaction(submission_of(view, "UADMIN", form_values(title="Added <@U999>")))
    edit = open_from_menu(bolt, fake, "UOWNER", f"edit:{item_id}")
    bolt.interaction(submission_of(edit, "UOWNER", form_values(title="Audited, fixed")))
    delete = open_from_menu(bolt, fake, "UCONFADMIN", f"delete:{item_id}")
    bolt.interaction(submission_of(delete, "UCONFADMIN", {}))

    body = bolt.command("audit", user_id="UADMIN").json()
    assert body["response_type"] == "ephemeral"
    lines = [b["text"]["text"] for b in body["blocks"][1:]]
    assert len(lines) == 3
    assert f"<@UCONFADMIN> retracted *Audited, fixed* (#{item_id})" in lines[0]
    # The edit form left category empty and kept the default date: both changed too.
    assert f"<@UOWNER> edited *Audited, fixed* (#{item_id}): title, category, date" in lines[1]
    assert "<@UADMIN> added *Added &lt;@U999&gt;*" in lines[2]
    assert all(line.startswith("<!date^") for line in lines)

    refused = bolt.command("audit", user_id="UMEMBER").json()
    assert refused["text"] == REFUSAL
    assert "Audited" not in str(refused)


def test_help_lists_the_admin_commands_to_admins_only(bolt, db):
    def help_text(user_id: str) -> str:
        body = bolt.command("help", user_id=user_id).json()
        return " ".join(b["text"]["text"] for b in body["blocks"])

    admin = help_text("UADMIN")
    assert "*For admins*" in admin
    assert "`/coopnews add [URL]`" in admin and "`/coopnews audit [N]`" in admin
    member = help_text("UMEMBER")
    assert "`/coopnews latest [N] [category]`" in member
    assert "For admins" not in member and "/coopnews add" not in member
    assert "audit" not in member and "subscribe" not in member


def test_views_open_failure_gets_an_apology(bolt, fake, db):
    def expired(call):
        # As slow as Slack is: Bolt's runner can lose an ack when the listener
        # fails within ~10 ms after acking (thread_runner polls every 10 ms).
        time.sleep(0.2)
        return Reply({"ok": False, "error": "expired_trigger_id"})

    fake.handlers["views.open"] = expired
    assert bolt.command("add", user_id="UADMIN").status_code == 200
    apology = fake.wait_for("response_url")[-1].params
    assert "nothing was changed" in apology["text"]


@contextmanager
def audit_table_missing(db):
    """The database fails mid-save: the item insert works, the audit insert cannot."""
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log_away RENAME TO audit_log"))


def test_a_database_failure_mid_save_keeps_the_modal_open_and_stores_nothing(bolt, fake, db):
    item_id = add_stored(db, "Stable")
    view = open_add_modal(bolt, fake)
    edit = open_from_menu(bolt, fake, "UADMIN", f"edit:{item_id}")
    delete = open_from_menu(bolt, fake, "UADMIN", f"delete:{item_id}")
    with audit_table_missing(db):
        body = bolt.interaction(submission_of(view, "UADMIN", form_values(title="Half"))).json()
        assert body["response_action"] == "errors"
        assert "Nothing was changed" in body["errors"]["title"]
        edited = bolt.interaction(submission_of(edit, "UADMIN", form_values(title="Half")))
        assert edited.json()["response_action"] == "errors"
        deleted = bolt.interaction(submission_of(delete, "UADMIN", {})).json()
        assert deleted["response_action"] == "update"
    # All or nothing: no item without its audit entry.
    assert item_count(db) == 1
    assert item(db, item_id).title == "Stable" and item(db, item_id).retracted_at is None
    assert fake.calls_to("chat.postEphemeral") == []


# -- with the real announcer ---------------------------------------------------
def test_corrections_reach_what_the_announcer_really_posted(slack, fake, db, database_url):
    from tests.announce_helpers import announcer, subscribe

    subscribe(db, "CRARE", categories=["Rare"])
    subscribe(db, "CFLOOD")
    first = add_stored(db, "Frist story", category="Rare", days_ago=1)
    second = add_stored(db, "Second story", category="News", days_ago=2)
    # More than one item for a channel in a pass: one digest. CRARE gets one message.
    announcer(database_url, fake, db, digest_threshold=1).run_pass()
    (digest,) = fake.posted("CFLOOD")
    (single,) = fake.posted("CRARE")
    assert digest["metadata"]["event_type"] == "coopnews_digest"
    assert single["metadata"]["event_type"] == "coopnews_item"

    edit = open_from_menu(slack, fake, "UADMIN", f"edit:{first}")
    values = form_values(title="First story", category="Rare", date=_day(db, first))
    assert slack.interaction(submission_of(edit, "UADMIN", values)).text == ""
    fake.wait_for("chat.update", count=2)
    (single,) = fake.posted("CRARE")
    (digest,) = fake.posted("CFLOOD")
    assert "First story" in single["blocks"][0]["text"]["text"]
    assert "First story" in str(digest["blocks"]) and "Second story" in str(digest["blocks"])
    assert "Frist" not in str(single) + str(digest)

    delete = open_from_menu(slack, fake, "UADMIN", f"delete:{first}")
    assert slack.interaction(submission_of(delete, "UADMIN", {})).text == ""
    fake.wait_for("chat.update", count=4)
    (single,) = fake.posted("CRARE")
    (digest,) = fake.posted("CFLOOD")
    assert single["metadata"]["event_type"] == "coopnews_retracted"
    assert "retracted" in single["text"] and "First story" in single["text"]
    assert digest["metadata"]["event_payload"] == {"item_ids": [second]}
    assert "First story" not in str(digest["blocks"])


def _day(db, item_id) -> str:
    return item(db, item_id).published_at.date().isoformat()
