"""The editorial desk over signed requests (`bolt_private_sources`: the app built in
process, allowed to read the local page server): a member suggests from a message
with a link, the form is pre-filled from the page, an admin decides in App Home or
in a review channel, the member is told, the item is announced once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from bot.admins import REFUSAL
from bot.blocks.suggestions import APPROVE, EDIT, REJECT
from storage import suggestions
from storage.curation import ItemFields
from storage.models import AuditEntry, Base, Item, Suggestion, SuggestionPost
from tests.announce_helpers import announcer, assert_exactly_once, subscribe
from tests.block_kit import assert_valid_modal
from tests.curation_payloads import form_values, submission_of, view_submission
from tests.desk_payloads import message_shortcut, suggestion_click
from tests.test_http_home import open_home, texts

DAY = "2026-11-20"
PAGE = """<!doctype html><html><head>
<title>Kenya story | Coop Wire</title>
<meta property="og:title" content="OG title, not preferred">
<meta property="og:site_name" content="Coop Wire">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Worker co-ops grow in Kenya", "description": "Membership doubled &amp; more.",
 "datePublished": "2026-11-20T08:00:00Z", "publisher": {"@type": "Organization", "name": "Coop Wire"}}
</script></head><body><p>Story</p></body></html>"""


def as_dict(value):
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def desk(bolt_private_sources, fake, db, feed_server):
    feed_server.serve("/story", PAGE, "text/html; charset=utf-8")
    bolt_private_sources.page_url = feed_server.url("/story")
    return bolt_private_sources


def suggested_form(desk, fake, user_id="UMEMBER", text=None) -> dict:
    """The member's shortcut: the reading modal, then the form it was updated to."""
    opened = len(fake.calls_to("views.open"))
    updated = len(fake.calls_to("views.update"))
    text = text or f"Look at this <{desk.page_url}|story> :tada:"
    response = desk.interaction(message_shortcut(user_id, text, trigger_id="6000.1.sc"))
    assert response.status_code == 200 and response.text == ""
    desk.settle()
    (reading,) = fake.calls_to("views.open")[opened:]
    assert reading.params["trigger_id"] == "6000.1.sc"
    assert "Reading" in json.dumps(as_dict(reading.params["view"]))
    (update,) = fake.calls_to("views.update")[updated:]
    # The modal opened with the trigger_id is updated by its id and hash.
    assert update.params["view_id"].startswith("V") and update.params["hash"].endswith(".hash")
    view = as_dict(update.params["view"])
    assert_valid_modal(view)
    return view


def blocks_of(view) -> dict:
    return {b.get("block_id"): b for b in view["blocks"]}


def suggest(desk, fake, user_id="UMEMBER", title="Worker co-ops grow in Kenya", link=None):
    view = suggested_form(desk, fake, user_id)
    values = form_values(title=title, link=link or desk.page_url, date=DAY, summary="Doubled.")
    response = desk.interaction(submission_of(view, user_id, values))
    assert response.status_code == 200 and response.text == "", response.text
    desk.settle()
    with desk.deps.db.reading() as session:
        return session.scalars(select(Suggestion).order_by(Suggestion.id.desc())).first()


def count(db, model) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def audit(db) -> list[tuple[str, str, str | None]]:
    with db.reading() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.user_id, r.action, r.details) for r in rows]


def dms_to(fake, user_id) -> list[str]:
    return [
        c.params.get("text") or ""
        for c in fake.calls_to("chat.postMessage")
        if c.params.get("channel") == user_id
    ]


# -- the journey ---------------------------------------------------------------
def test_member_suggests_admin_approves_in_app_home_announced_once(desk, fake, db, database_url):
    subscribe(db, "CNEWS")
    desk.command("review here", user_id="UADMIN", channel_id="CREVIEW")

    view = suggested_form(desk, fake)
    assert view["callback_id"] == "coopnews_suggest_form"
    fields = blocks_of(view)
    # Pre-filled from the page: JSON-LD first, entities decoded once.
    assert fields["title"]["element"]["initial_value"] == "Worker co-ops grow in Kenya"
    assert fields["link"]["element"]["initial_value"] == desk.page_url
    assert fields["summary"]["element"]["initial_value"] == "Membership doubled & more."
    assert fields["date"]["element"]["initial_date"] == DAY
    assert "Coop Wire" in json.dumps(view["blocks"])

    values = form_values(
        title="Worker co-ops grow in Kenya",
        link=desk.page_url,
        date=DAY,
        summary="Membership doubled & more.",
    )
    response = desk.interaction(submission_of(view, "UMEMBER", values))
    assert response.status_code == 200 and response.text == ""
    desk.settle()
    # A suggestion, not an item: latest and search cannot see it.
    assert count(db, Item) == 0 and count(db, Suggestion) == 1
    assert "Worker co-ops" not in desk.command("latest").text
    assert "Worker co-ops" not in desk.command("search Kenya").text
    # The member is told (ephemeral where they were), the review channel gets the card.
    (told,) = [c for c in fake.calls_to("chat.postEphemeral") if c.params["user"] == "UMEMBER"]
    assert "is with the coopnews editors" in told.params["text"]
    (card,) = fake.posted("CREVIEW")
    assert "Worker co-ops grow in Kenya" in json.dumps(card["blocks"])

    # The admin's App Home lists it with the three buttons; a member's does not.
    home = open_home(desk, fake, "UADMIN", "EvHome1")
    assert "Suggestions (1 pending)" in texts(home) and "Worker co-ops" in texts(home)
    suggestion_id = db_suggestion(db).id
    buttons = [
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] in (APPROVE, EDIT, REJECT)
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (APPROVE, str(suggestion_id)),
        (EDIT, str(suggestion_id)),
        (REJECT, str(suggestion_id)),
    ]
    assert "Suggestions" not in texts(open_home(desk, fake, "UMEMBER", "EvHome2"))

    publishes = len(fake.calls_to("views.publish"))
    response = desk.interaction(suggestion_click("UADMIN", APPROVE, str(suggestion_id)))
    assert response.status_code == 200
    desk.settle()
    with db.reading() as session:
        (item,) = session.scalars(select(Item)).all()
        decided = session.get(Suggestion, suggestion_id)
    assert (item.title, item.url, item.created_by) == (
        "Worker co-ops grow in Kenya",
        desk.page_url,
        "UADMIN",
    )
    assert item.published_at.date() == date.fromisoformat(DAY)
    assert (decided.state, decided.decided_by, decided.item_id) == ("approved", "UADMIN", item.id)
    assert [a[:2] for a in audit(db)] == [("UADMIN", "added"), ("UADMIN", "approved")]
    assert "by UMEMBER" in audit(db)[1][2]
    # The member learns it; the review message shows who decided, without buttons.
    assert any("was approved by <@UADMIN>" in t for t in dms_to(fake, "UMEMBER"))
    (card,) = fake.posted("CREVIEW")
    assert "Approved by <@UADMIN>" in json.dumps(card["blocks"])
    assert APPROVE not in json.dumps(card["blocks"])
    # The deciding admin's Home is refreshed: nothing pending any more.
    refreshed = as_dict(fake.calls_to("views.publish")[publishes].params["view"])
    assert "Suggestions (0 pending)" in texts(refreshed)
    assert "approved" in desk.command("audit", user_id="UADMIN").text

    # Announced like any new item, once.
    a = announcer(database_url, fake, db)
    a.run_pass()
    a.run_pass()
    assert_exactly_once(fake, db, {"CNEWS": [item.id]})


def db_suggestion(db) -> Suggestion:
    with db.reading() as session:
        return session.scalars(select(Suggestion).order_by(Suggestion.id.desc())).first()


def test_reject_with_a_reason_from_the_review_channel(desk, fake, db):
    desk.command("review here", user_id="UADMIN", channel_id="CREVIEW")
    suggestion = suggest(desk, fake)
    (card,) = fake.posted("CREVIEW")
    opened = len(fake.calls_to("views.open"))
    click = suggestion_click(
        "UOWNER", REJECT, str(suggestion.id), channel_id="CREVIEW", message_ts=card["ts"]
    )
    assert desk.interaction(click).status_code == 200
    desk.settle()
    modal = as_dict(fake.calls_to("views.open")[opened].params["view"])
    assert modal["callback_id"] == "coopnews_reject_form"
    assert_valid_modal(modal)
    values = {
        "reason": {
            "reason_input": {"type": "plain_text_input", "value": "Not about co-ops <!channel>"}
        }
    }
    response = desk.interaction(submission_of(modal, "UOWNER", values))
    assert response.status_code == 200 and response.text == ""
    desk.settle()
    stored = db_suggestion(db)
    assert (stored.state, stored.decided_by, stored.reason) == (
        "rejected",
        "UOWNER",
        "Not about co-ops <!channel>",
    )
    assert count(db, Item) == 0
    (dm,) = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "UMEMBER"]
    shown = json.dumps(dm.params["blocks"])
    assert "Not about co-ops &lt;!channel&gt;" in shown and "<!channel>" not in shown
    (card,) = fake.posted("CREVIEW")
    assert "Rejected by <@UOWNER>" in json.dumps(card["blocks"])
    assert ("UOWNER", "rejected") in [a[:2] for a in audit(db)]
    assert "reason: Not about co-ops" in audit(db)[-1][2]
    # A later Approve on the same card: told who decided, nothing changes.
    desk.interaction(suggestion_click("UADMIN", APPROVE, str(stored.id), channel_id="CREVIEW"))
    desk.settle()
    (lost,) = [c for c in fake.calls_to("chat.postEphemeral") if c.params["user"] == "UADMIN"]
    assert "already rejected by <@UOWNER>" in lost.params["text"]
    assert count(db, Item) == 0


def test_two_admins_approving_at_once_one_wins_the_other_is_told(desk, fake, db):
    suggestion = suggest(desk, fake)
    barrier = threading.Barrier(2)

    def click(user_id: str) -> None:
        barrier.wait()
        desk.interaction(suggestion_click(user_id, APPROVE, str(suggestion.id)))

    threads = [threading.Thread(target=click, args=(u,)) for u in ("UADMIN", "UOWNER")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    desk.settle()
    assert count(db, Item) == 1
    winner = db_suggestion(db).decided_by
    loser = "UOWNER" if winner == "UADMIN" else "UADMIN"
    assert [a[:2] for a in audit(db)] == [(winner, "added"), (winner, "approved")]
    assert any(f"already approved by <@{winner}>" in t for t in dms_to(fake, loser))
    assert len([t for t in dms_to(fake, "UMEMBER") if "approved" in t]) == 1


def test_edit_opens_the_form_filled_in_and_saving_approves(desk, fake, db):
    suggestion = suggest(desk, fake, title="Typo in teh title")
    opened = len(fake.calls_to("views.open"))
    desk.interaction(suggestion_click("UCONFADMIN", EDIT, str(suggestion.id)))
    desk.settle()
    form = as_dict(fake.calls_to("views.open")[opened].params["view"])
    assert form["callback_id"] == "coopnews_review_edit_form"
    assert_valid_modal(form)
    assert blocks_of(form)["title"]["element"]["initial_value"] == "Typo in teh title"
    values = form_values(title="Typo fixed", link=desk.page_url, date=DAY, new_category="Kenya")
    response = desk.interaction(submission_of(form, "UCONFADMIN", values))
    assert response.status_code == 200 and response.text == ""
    desk.settle()
    with db.reading() as session:
        (item,) = session.scalars(select(Item)).all()
    assert (item.title, item.category) == ("Typo fixed", "Kenya")
    assert db_suggestion(db).item_id == item.id
    # The member is told what was published, as the editor left it.
    (told,) = [t for t in dms_to(fake, "UMEMBER") if "approved" in t]
    assert "Typo fixed" in told and "teh" not in told


def test_approving_a_duplicate_tells_the_admin_and_keeps_it_pending(desk, fake, db):
    suggestion = suggest(desk, fake)
    # Meanwhile an admin added the same link.
    desk.command("add", user_id="UADMIN")
    desk.settle()
    add_view = as_dict(fake.calls_to("views.open")[-1].params["view"])
    assert add_view["callback_id"] == "coopnews_item_form"
    desk.interaction(
        submission_of(add_view, "UADMIN", form_values(title="Same story", link=desk.page_url))
    )
    desk.settle()
    assert count(db, Item) == 1
    desk.interaction(suggestion_click("UADMIN", APPROVE, str(suggestion.id), channel_id="CNEWS"))
    desk.settle()
    assert count(db, Item) == 1
    assert db_suggestion(db).state == "pending"
    told = [
        c.params["text"]
        for c in fake.calls_to("chat.postEphemeral")
        if c.params["user"] == "UADMIN"
    ]
    assert any("Not approved: Already in coopnews" in t for t in told)


def test_the_eleventh_pending_suggestion_is_refused(desk, fake, db):
    with db.transaction() as session:
        for n in range(10):
            fields = ItemFields(
                f"Story {n}", f"https://coop.example/{n}", None, date(2026, 11, 2), None
            )
            suggestions.add_suggestion(session, fields, "UMEMBER")
    # The shortcut says so at once, without reading the page.
    desk.interaction(message_shortcut("UMEMBER", f"<{desk.page_url}>"))
    desk.settle()
    (told,) = fake.calls_to("chat.postEphemeral")
    assert "already have 10 suggestions waiting" in told.params["text"]
    assert fake.calls_to("views.open") == []
    # A form opened before (or forged) is refused on submission too.
    view = view_submission("UMEMBER", "coopnews_suggest_form", "{}", form_values(title="Eleventh"))
    body = desk.interaction(view).json()
    assert body["response_action"] == "update"
    assert "already have 10 suggestions waiting" in json.dumps(body["view"])
    assert count(db, Suggestion) == 10
    # Another member is not limited by this one.
    assert suggest(desk, fake, user_id="UMEMBER2").suggested_by == "UMEMBER2"


def test_a_suggestion_sent_while_another_is_being_stored_waits_and_counts_it(desk, fake, db):
    """The tenth is being stored (transaction open) when the member's next form
    arrives: that one must wait and be refused as the eleventh, not stored beside it
    (PostgreSQL) nor fail with "database is locked" (SQLite)."""
    with db.transaction() as session:
        for n in range(9):
            fields = ItemFields(
                f"Story {n}", f"https://coop.example/{n}", None, date(2026, 11, 2), None
            )
            suggestions.add_suggestion(session, fields, "UMEMBER")
    answer: list = []
    values = form_values(title="Eleventh", link="https://coop.example/eleventh")
    view = view_submission("UMEMBER", "coopnews_suggest_form", "{}", values)
    late = threading.Thread(target=lambda: answer.append(desk.interaction(view)))
    with db.transaction() as session:
        tenth = ItemFields("Tenth", "https://coop.example/tenth", None, date(2026, 11, 2), None)
        suggestions.add_suggestion(session, tenth, "UMEMBER")
        late.start()
        late.join(timeout=1.5)
    late.join()
    desk.settle()
    assert count(db, Suggestion) == 10
    assert "already have 10 suggestions waiting" in answer[0].text, answer[0].text


@pytest.mark.parametrize(
    "shape",
    ["attachment text", "attachment pretext", "attachment blocks", "section blocks"],
)
def test_a_bot_message_whose_link_is_only_in_attachments_or_section_blocks(desk, fake, shape):
    """Apps post their links in attachments' mrkdwn text or in section blocks (no
    rich_text, no title_link); the shortcut on such a message opens the form."""
    mrkdwn = f"New post: <{desk.page_url}|read it>"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
    message = {
        "attachment text": {"attachments": [{"fallback": "New post", "text": mrkdwn}]},
        "attachment pretext": {"attachments": [{"fallback": "New post", "pretext": mrkdwn}]},
        "attachment blocks": {"attachments": [{"fallback": "New post", "blocks": [section]}]},
        "section blocks": {"blocks": [section]},
    }[shape]
    payload = message_shortcut("UMEMBER", "")
    payload["message"].update({"text": "", "subtype": "bot_message", "bot_id": "B1", **message})
    desk.interaction(payload)
    desk.settle()
    assert fake.calls_to("chat.postEphemeral") == []
    (update,) = fake.calls_to("views.update")
    fields = blocks_of(as_dict(update.params["view"]))
    assert fields["link"]["element"]["initial_value"] == desk.page_url
    assert fields["title"]["element"]["initial_value"] == "Worker co-ops grow in Kenya"


@pytest.mark.parametrize("command", ["suggest", "add"])
def test_a_typed_link_ending_in_a_parenthesis_is_kept_whole(desk, fake, feed_server, command):
    """`/coopnews suggest URL` and `add URL` as Slack sends them (links in angle
    brackets): a link ending in ")" (Wikipedia's "Mondragon_(company)") is the page
    to read, not cut before its ")"."""
    feed_server.serve("/wiki/Mondragon_(company)", PAGE, "text/html; charset=utf-8")
    url = feed_server.url("/wiki/Mondragon_(company)")
    user_id = "UADMIN" if command == "add" else "UMEMBER"
    desk.command(f"{command} <{url}>", user_id=user_id)
    desk.settle()
    (update,) = fake.calls_to("views.update")
    fields = blocks_of(as_dict(update.params["view"]))
    assert fields["link"]["element"]["initial_value"] == url
    assert fields["title"]["element"]["initial_value"] == "Worker co-ops grow in Kenya"


def test_a_page_dated_in_the_future_prefills_today_not_a_date_the_form_refuses(
    desk, fake, feed_server
):
    """An events page dated next year: the form opens dated today (the item form
    refuses dates after tomorrow), and the member can send it as it is."""
    future = PAGE.replace("2026-11-20T08:00:00Z", "2099-06-01T08:00:00Z")
    feed_server.serve("/story", future, "text/html; charset=utf-8")
    view = suggested_form(desk, fake)
    prefilled = blocks_of(view)["date"]["element"]["initial_date"]
    assert prefilled <= (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    values = form_values(title="Worker co-ops grow in Kenya", link=desk.page_url, date=prefilled)
    response = desk.interaction(submission_of(view, "UMEMBER", values))
    assert response.text == "", response.text


@pytest.mark.parametrize("quoted", ['"{}"', "`{}`", "“{}”", "*{}*", "'{}'."])
def test_a_typed_link_in_quotes_or_code_is_the_link_without_them(desk, fake, quoted):
    """`/coopnews suggest "URL"` (or in backticks, smart quotes, bold): the closing
    mark is not part of the link read and pre-filled."""
    desk.command("suggest " + quoted.format(f"<{desk.page_url}>"))
    desk.settle()
    (update,) = fake.calls_to("views.update")
    fields = blocks_of(as_dict(update.params["view"]))
    assert fields["link"]["element"]["initial_value"] == desk.page_url
    assert fields["title"]["element"]["initial_value"] == "Worker co-ops grow in Kenya"


def test_a_message_without_a_link_is_answered(desk, fake, db):
    desk.interaction(message_shortcut("UMEMBER", "no link here <@U123> <mailto:a@b.org|mail>"))
    desk.settle()
    (told,) = fake.calls_to("chat.postEphemeral")
    assert "has no web link" in told.params["text"]
    assert fake.calls_to("views.open") == []


def test_a_page_that_cannot_be_read_opens_the_form_with_the_link_and_why(desk, fake, feed_server):
    feed_server.fail("/gone", 404)
    view = suggested_form(desk, fake, text=f"<{feed_server.url('/gone')}>")
    fields = blocks_of(view)
    assert fields["link"]["element"]["initial_value"] == feed_server.url("/gone")
    assert "initial_value" not in fields["title"]["element"]
    assert "Could not read the page" in json.dumps(view["blocks"]) and "HTTP 404" in json.dumps(
        view["blocks"]
    )


def test_slash_suggest_and_admins_add_url_are_pre_filled(desk, fake, db):
    response = desk.command(f"suggest <{desk.page_url}>", user_id="UMEMBER", trigger_id="1.2.3")
    assert response.status_code == 200
    desk.settle()
    member_view = as_dict(fake.calls_to("views.update")[-1].params["view"])
    assert member_view["callback_id"] == "coopnews_suggest_form"
    # An admin's `suggest` or `add URL` is the item form itself: an item at once.
    for words in (f"suggest {desk.page_url}", f"add {desk.page_url}"):
        desk.command(words, user_id="UADMIN")
        desk.settle()
        view = as_dict(fake.calls_to("views.update")[-1].params["view"])
        assert view["callback_id"] == "coopnews_item_form"
        assert blocks_of(view)["title"]["element"]["initial_value"] == "Worker co-ops grow in Kenya"
    body = desk.command("suggest", user_id="UMEMBER").json()
    assert "/coopnews suggest URL" in body["text"]


def test_review_off_stops_posting_and_post_failures_are_recorded(desk, fake, db):
    desk.command("review here", user_id="UADMIN", channel_id="CREVIEW")
    fake.add_channel("CGONE", exists=False)
    with db.transaction() as session:
        suggestions.add_review_channel(session, "CGONE", "UADMIN")
    suggest(desk, fake)
    with db.reading() as session:
        rows = session.execute(select(SuggestionPost.channel_id, SuggestionPost.error)).all()
    assert sorted(rows) == [("CGONE", "channel_not_found"), ("CREVIEW", None)]
    listed = desk.command("review", user_id="UADMIN").json()["text"]
    assert "<#CGONE> (:warning: last post failed: channel_not_found)" in listed
    assert "<#CREVIEW>," in listed or listed.count("CREVIEW") == 1
    body = desk.command("review off", user_id="UADMIN", channel_id="CREVIEW").json()
    assert "no longer posted" in body["text"]
    suggest(desk, fake, user_id="UMEMBER2", link=desk.page_url + "?other")
    assert len(fake.posted("CREVIEW")) == 1


def test_members_cannot_decide(desk, fake, db):
    suggestion = suggest(desk, fake)
    before = (db_suggestion(db).state, count(db, Item), audit(db))
    for action in (APPROVE, EDIT, REJECT):
        desk.interaction(suggestion_click("UMEMBER2", action, str(suggestion.id)))
    desk.settle()
    refusals = [as_dict(c.params["view"]) for c in fake.calls_to("views.open")[-3:]]
    assert all(REFUSAL in json.dumps(v) for v in refusals)
    metadata = json.dumps({"suggestion_id": suggestion.id, "channel_id": "CNEWS"})
    for form in ("coopnews_reject_form", "coopnews_review_edit_form"):
        body = desk.interaction(
            view_submission("UMEMBER2", form, metadata, form_values(title="Forged"))
        ).json()
        assert body["response_action"] == "update" and REFUSAL in json.dumps(body["view"])
    desk.settle()
    assert (db_suggestion(db).state, count(db, Item), audit(db)) == before
    body = desk.command("review here", user_id="UMEMBER", channel_id="CX").json()
    assert body["text"] == REFUSAL
    with db.reading() as session:
        assert suggestions.review_channels(session) == []


def test_the_models_match_migration_0014(db):
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = ("suggestions", "suggestion_posts", "review_channels")
    assert [d for d in diffs if any(t in repr(d) for t in ours)] == []


def test_decide_is_one_conditional_update(db):
    with db.transaction() as session:
        fields = ItemFields("Story", None, None, date(2026, 11, 2), None)
        sid = suggestions.add_suggestion(session, fields, "UMEMBER").id
    with db.transaction() as session:
        suggestions.decide(session, sid, suggestions.REJECTED, "UADMIN", "no")
    with pytest.raises(suggestions.AlreadyDecided) as lost, db.transaction() as session:
        suggestions.decide(session, sid, suggestions.APPROVED, "UOWNER")
    assert (lost.value.state, lost.value.decided_by) == ("rejected", "UADMIN")
    with pytest.raises(suggestions.AlreadyDecided) as missing, db.transaction() as session:
        suggestions.decide(session, 999_999, suggestions.APPROVED, "UOWNER")
    assert missing.value.state is None
    assert datetime.now(UTC) - db_suggestion(db).decided_at < timedelta(minutes=1)


def test_the_journey_over_the_running_web_process(slack_private_sources, fake, db, feed_server):
    """The same desk through the Procfile's gunicorn: shortcut, form, approve, DM."""
    slack = slack_private_sources
    feed_server.serve("/story", PAGE, "text/html; charset=utf-8")
    url = feed_server.url("/story")
    response = slack.interaction(message_shortcut("UMEMBER", f"Read <{url}|this>"))
    assert response.status_code == 200
    view = as_dict(fake.wait_for("views.update")[-1].params["view"])
    assert blocks_of(view)["title"]["element"]["initial_value"] == "Worker co-ops grow in Kenya"
    values = form_values(title="Worker co-ops grow in Kenya", link=url, date=DAY)
    assert slack.interaction(submission_of(view, "UMEMBER", values)).text == ""
    fake.wait_for("chat.postEphemeral")
    suggestion_id = db_suggestion(db).id
    slack.interaction(suggestion_click("UADMIN", APPROVE, str(suggestion_id)))
    fake.wait_for("views.publish")  # the admin's Home refreshed: the last step of a decision
    assert any("was approved by <@UADMIN>" in t for t in dms_to(fake, "UMEMBER"))
    assert count(db, Item) == 1 and db_suggestion(db).state == "approved"
