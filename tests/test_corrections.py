"""Corrections of posted messages are durable deliveries: recorded with the change,
applied at once where Slack takes them, otherwise retried by the worker, once.

Signed modal submissions go to the Procfile's web process; the worker's pass is
`retry_corrections` (what its scheduler job runs), given a clock to skip the wait.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import select, update

from bot.curation.posted import apply_corrections, update_posted
from storage.corrections import GIVE_UP_AFTER
from storage.models import Correction, Item
from storage.types import utcnow
from tests.conftest import BOT_TOKEN
from tests.curation_payloads import form_values, submission_of
from tests.fake_slack import Reply
from tests.test_http_curation import add_stored, item, open_from_menu, posted


def client_for(fake) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake.api_url)


def message_in(fake, channel_id: str, ts: str, text: str) -> None:
    """A message the fake's channel holds, as the announcer would have posted it."""
    with fake._post_lock:
        fake.messages.setdefault(channel_id, []).append({"type": "message", "ts": ts, "text": text})


def corrections(db) -> list[Correction]:
    with db.reading() as session:
        return list(session.scalars(select(Correction).order_by(Correction.id)))


def fail_first(fake, times: int = 1, status: int = 500, error: str = "internal_error"):
    """chat.update answers HTTP `status` `times` times, then as Slack would."""
    failures = {"left": times}

    def handler(call):
        if failures["left"] > 0:
            failures["left"] -= 1
            return Reply({"ok": False, "error": error}, status)
        return fake.default_answer(call)

    fake.handlers["chat.update"] = handler


def edit_title(slack, fake, item_id: int, title: str) -> None:
    view = open_from_menu(slack, fake, "UADMIN", f"edit:{item_id}")
    values = form_values(title=title, category="News")
    assert slack.interaction(submission_of(view, "UADMIN", values)).text == ""


def test_a_correction_slack_refuses_with_500_is_retried_by_the_worker_once(slack, fake, db):
    item_id = add_stored(db, "Teh typo")
    posted(db, item_id, "CNEWS", "1700000000.000001")
    message_in(fake, "CNEWS", "1700000000.000001", "Teh typo")
    fail_first(fake)

    before = utcnow()
    edit_title(slack, fake, item_id, "The fix")
    fake.wait_for("chat.update")
    # The admin's answer is honest: saved, but the message is not corrected yet.
    confirmation = fake.wait_for("chat.postEphemeral")[-1].params
    said = str(confirmation["blocks"])
    assert "Saved your correction" in confirmation["text"]
    assert "did not take the change to 1 message yet" in said
    assert "Also updated" not in said
    assert fake.posted("CNEWS")[0]["text"] == "Teh typo"

    # Recorded: one pending correction, first retry within a minute.
    (row,) = corrections(db)
    assert (row.state, row.attempts, row.requested_by) == ("pending", 1, "UADMIN")
    assert "HTTP 500" in row.last_error
    assert before < row.next_attempt_at <= before + timedelta(seconds=60)

    client = client_for(fake)
    # Not due yet: the worker leaves it alone.
    assert apply_corrections(client, db).updated == 0
    assert len(fake.calls_to("chat.update")) == 1
    # Due: the worker applies it, once.
    done = apply_corrections(client, db, now=row.next_attempt_at)
    assert (done.updated, done.retrying, done.failed) == (1, 0, 0)
    assert apply_corrections(client, db, now=row.next_attempt_at + timedelta(hours=2)).updated == 0
    assert len(fake.calls_to("chat.update")) == 2
    (message,) = fake.posted("CNEWS")
    assert "The fix" in message["text"] and "edited" in message
    (row,) = corrections(db)
    assert (row.state, row.attempts) == ("done", 1)
    # The admin is not bothered: it worked in the end.
    assert fake.calls_to("chat.postMessage") == []


def test_a_correction_slack_refuses_for_good_is_reported_to_the_admin_with_a_link(slack, fake, db):
    item_id = add_stored(db, "Gone message")
    posted(db, item_id, "CGONE", "1700000000.000009")
    fake.handlers["chat.update"] = lambda call: {"ok": False, "error": "message_not_found"}

    edit_title(slack, fake, item_id, "Still corrected")
    fake.wait_for("chat.update")
    assert item(db, item_id).title == "Still corrected"
    dm = fake.wait_for("chat.postMessage")[-1].params
    assert dm["channel"] == "UADMIN"
    assert "message_not_found" in dm["text"]
    assert "https://coop.slack.com/archives/CGONE/p1700000000000009" in dm["text"]
    confirmation = fake.wait_for("chat.postEphemeral")[-1].params
    assert "refused to change 1 message" in str(confirmation["blocks"])
    (row,) = corrections(db)
    assert (row.state, row.last_error) == ("failed", "message_not_found")
    # Never retried.
    apply_corrections(client_for(fake), db, now=utcnow() + timedelta(days=1))
    assert len(fake.calls_to("chat.update")) == 1


def test_a_delete_while_slack_is_down_reaches_the_channel_as_one_retraction(slack, fake, db):
    item_id = add_stored(db, "Wrong story")
    posted(db, item_id, "CNEWS", "1700000000.000003")
    message_in(fake, "CNEWS", "1700000000.000003", "Wrong story")
    fail_first(fake, times=100, status=503, error="service_unavailable")
    edit_title(slack, fake, item_id, "Wrong story, edited")
    fake.wait_for("chat.update")
    confirm = open_from_menu(slack, fake, "UADMIN", f"delete:{item_id}")
    assert slack.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    fake.wait_for("chat.update", count=2)
    assert (
        "did not take the change" in fake.wait_for("chat.postEphemeral", count=2)[-1].params["text"]
    )
    (row,) = corrections(db)
    assert row.state == "pending"
    fake.handlers.pop("chat.update")
    done = apply_corrections(client_for(fake), db, now=utcnow() + timedelta(hours=2))
    assert done.updated == 1
    (message,) = fake.posted("CNEWS")
    assert message["text"].startswith("_This item was retracted")
    assert len(fake.calls_to("chat.update")) == 3  # two refused, then the retraction
    # Not once more: the correction is done.
    assert apply_corrections(client_for(fake), db, now=utcnow() + timedelta(hours=3)).updated == 0
    assert len(fake.calls_to("chat.update")) == 3


def test_corrections_given_up_after_a_day_tell_the_admin(slack, fake, db):
    item_id = add_stored(db, "Slack down all day")
    posted(db, item_id, "CNEWS", "1700000000.000004")
    fake.handlers["chat.update"] = lambda call: Reply({"ok": False, "error": "fatal_error"}, 500)
    edit_title(slack, fake, item_id, "Slack down all day, fixed")
    fake.wait_for("chat.update")
    later = utcnow() + GIVE_UP_AFTER + timedelta(minutes=1)
    with db.transaction() as session:
        session.execute(update(Correction).values(next_attempt_at=utcnow()))
    done = apply_corrections(client_for(fake), db, now=later)
    assert done.failed == 1
    (row,) = corrections(db)
    assert row.state == "failed"
    dm = fake.wait_for("chat.postMessage")[-1].params
    assert dm["channel"] == "UADMIN" and "fatal_error" in dm["text"]


def test_update_posted_is_the_entry_point_for_other_writers_and_is_idempotent(fake, db):
    item_id = add_stored(db, "Feed title")
    posted(db, item_id, "CFEED", "1700000000.000005")
    message_in(fake, "CFEED", "1700000000.000005", "Feed title")
    # A writer that changed the item without planning (a feed correction, say).
    with db.transaction() as session:
        session.get(Item, item_id).title = "Feed title, corrected"
    client = client_for(fake)
    assert update_posted(client, db, item_id) == 1
    assert update_posted(client, db, item_id) == 0  # already applied: nothing twice
    assert len(fake.calls_to("chat.update")) == 1
    assert "corrected" in fake.posted("CFEED")[0]["text"]
    # A second change by a writer that does not even touch updated_at still goes out.
    with db.transaction() as session:
        session.execute(
            update(Item).where(Item.id == item_id).values(title="Feed title, corrected twice")
        )
    assert update_posted(client, db, item_id) == 1
    assert "corrected twice" in fake.posted("CFEED")[0]["text"]
    assert len(fake.calls_to("chat.update")) == 2


def test_the_worker_schedules_correction_retries_every_few_seconds(db, fake):
    from bot.curation.posted import RETRY_TICK_SECONDS
    from bot.deps import build_deps
    from bot.scheduler import build_scheduler
    from bot.settings import load_settings

    settings = load_settings(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url, "DATABASE_URL": db.url}
    )
    scheduler = build_scheduler(build_deps(settings, db), blocking=False)
    job = scheduler.get_job("retry-corrections")
    assert job is not None and job.trigger.interval.total_seconds() == RETRY_TICK_SECONDS
    assert RETRY_TICK_SECONDS < 60  # a first retry 30 s after the failure happens within a minute
