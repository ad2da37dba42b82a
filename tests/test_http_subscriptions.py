"""`/coopnews subscribe | unsubscribe | subscriptions`: signed requests to the app in process
(`bolt`); subscribe-then-announce once through the Procfile's web process (`slack`)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.admins import REFUSAL
from storage import subscriptions
from storage.categories import choice_keys
from storage.types import utcnow
from tests.announce_helpers import add_news, announcer, assert_exactly_once
from tests.conftest import CONFIGURED_ADMIN
from tests.test_http_home import home_opened


def subscription(db, channel: str):
    with db.reading() as session:
        return subscriptions.get_subscription(session, channel)


def test_admin_subscribes_and_new_items_follow(slack, db, fake, database_url):
    old = add_news(db, 2)
    body = slack.command("subscribe all", user_id="UADMIN", channel_id="CNEWS").json()
    assert body["response_type"] == "in_channel"
    assert "will now announce new items in <#CNEWS>: all categories, as they arrive" in body["text"]
    again = slack.command("subscribe News", user_id="UADMIN", channel_id="CNEWS").json()
    assert "coopnews now announces new items in <#CNEWS>: “News”" in again["text"]
    slack.command("subscribe all", user_id="UADMIN", channel_id="CNEWS")  # back to everything
    sub = subscription(db, "CNEWS")
    assert sub.created_by == "UADMIN" and sub.mode == "instant" and sub.categories is None
    assert sub.after_item_id == max(old)
    new = add_news(db, 1)
    announcer(database_url, fake, db).run_pass()
    assert_exactly_once(fake, db, {"CNEWS": new})


def test_members_are_refused_politely_and_nothing_changes(bolt, db, fake):
    bolt.command("subscribe all", user_id="UADMIN", channel_id="CKEEP")
    for text in ("subscribe", "unsubscribe", "subscriptions"):
        body = bolt.command(text, user_id="UMEMBER", channel_id="CKEEP").json()
        assert body["response_type"] == "ephemeral"
        assert body["text"] == REFUSAL
    assert subscription(db, "CKEEP") is not None
    assert subscription(db, "CNEWS") is None


def test_categories_are_read_as_the_store_names_them(bolt, db):
    add_news(db, 1, category="News")
    add_news(db, 1, category="COOP Champions")
    body = bolt.command(
        "subscribe News COOP Champions", user_id=CONFIGURED_ADMIN, channel_id="CCATS"
    ).json()
    assert "“COOP Champions”, “News”" in body["text"]  # as items spell them
    assert choice_keys(subscription(db, "CCATS").categories) == {"coop champions", "news"}
    listed = bolt.command("subscriptions", user_id="UADMIN").json()
    assert "<#CCATS>: “COOP Champions”, “News”" in listed["blocks"][1]["text"]["text"]
    # Typed "<!channel>" arrives as "&lt;!channel&gt;" (Slack's escaping), decoded once.
    body = bolt.command('subscribe "Social &lt;!channel&gt; Economy"', user_id="UADMIN").json()
    assert "<!channel>" not in body["text"] and "&lt;!channel&gt;" in body["text"]
    assert "No items have the category" in body["text"]


def test_every_answer_spells_a_category_the_same_way(bolt, db, fake):
    add_news(db, 1, category="COOP Champions")
    body = bolt.command(
        "subscribe coop champions, Foo Bar", user_id="UADMIN", channel_id="CSPELL"
    ).json()
    # Known: as items spell it; unknown: as typed (not as its lower-case key).
    assert "“COOP Champions”, “Foo Bar”" in body["text"]
    assert "No items have the category “Foo Bar” yet" in body["text"]
    listed = bolt.command("subscriptions", user_id="UADMIN").json()
    assert "<#CSPELL>: “COOP Champions”, “Foo Bar”" in listed["blocks"][1]["text"]["text"]
    bolt.event(home_opened("UADMIN"), event_id="EvSpell1")
    home = json.dumps(fake.wait_for("views.publish", 1)[-1].params["view"])
    assert "COOP Champions, Foo Bar, instant" in home and "coop champions" not in home
    add_news(db, 1, category="foo bar")  # items come to have it: shown as they spell it
    listed = bolt.command("subscriptions", user_id="UADMIN").json()
    assert "<#CSPELL>: “COOP Champions”, “foo bar”" in listed["blocks"][1]["text"]["text"]


def test_weekly_digest_in_the_admins_timezone(bolt, db, fake):
    fake.add_user("UNYADMIN", admin=True, tz="America/New_York")
    body = bolt.command(
        "subscribe digest weekly mon 09:00", user_id="UNYADMIN", channel_id="CWEEK"
    ).json()
    assert "weekly, Mon at 09:00 (America/New_York)" in body["text"]
    sub = subscription(db, "CWEEK")
    assert (sub.mode, sub.schedule, sub.timezone) == ("weekly", "mon 09:00", "America/New_York")
    local = sub.next_digest_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert 0 < (sub.next_digest_at - utcnow()).total_seconds() <= 7 * 86400


def test_digest_says_so_when_the_admins_timezone_is_unknown(bolt, db, fake):
    # users.info without a usable tz: the digest follows UTC, and the answer says why.
    fake.add_user("UNOZONE", admin=True, tz=None)
    fake.add_user("UMARS", admin=True, tz="Mars/Olympus")
    for user, channel in (("UNOZONE", "CNOZONE"), ("UMARS", "CMARS")):
        body = bolt.command("subscribe digest daily 09:00", user_id=user, channel_id=channel).json()
        assert "daily at 09:00 (UTC, as the admin's Slack timezone was unknown)" in body["text"]
        sub = subscription(db, channel)
        assert sub.timezone is None
        assert (sub.next_digest_at.hour, sub.next_digest_at.minute) == (9, 0)
    fake.add_user("UUTC", admin=True, tz="UTC")
    body = bolt.command("subscribe digest daily 09:00", user_id="UUTC", channel_id="CUTC").json()
    assert "daily at 09:00 (UTC)." in body["text"]


def test_bad_schedule_gets_a_clear_message_and_no_subscription(bolt, db):
    for text, says in (
        ("subscribe digest daily 25:00", "not a time of day"),
        ("subscribe digest hourly 09:00", "`daily` or `weekly`"),
        ("subscribe digest weekly someday 09:00", "Which day?"),
    ):
        body = bolt.command(text, user_id="UADMIN", channel_id="CBAD").json()
        assert body["response_type"] == "ephemeral"
        assert says in body["text"]
    assert subscription(db, "CBAD") is None


def test_public_channel_is_joined_private_one_explained(bolt, db, fake):
    fake.add_channel("CPUBLIC", member=False)
    fake.add_channel("CPRIVATE", private=True, member=False)
    body = bolt.command("subscribe all", user_id="UADMIN", channel_id="CPUBLIC").json()
    assert "I joined the channel" in body["text"]
    assert [c.params["channel"] for c in fake.calls_to("conversations.join")] == ["CPUBLIC"]
    assert subscription(db, "CPUBLIC") is not None
    body = bolt.command("subscribe all", user_id="UADMIN", channel_id="CPRIVATE").json()
    assert body["response_type"] == "ephemeral"
    assert "/invite @coopnews" in body["text"]
    assert subscription(db, "CPRIVATE") is None
    assert len(fake.calls_to("conversations.join")) == 1


def test_unsubscribe_and_the_list(bolt, db, fake, database_url):
    bolt.command("subscribe all", user_id="UADMIN", channel_id="CONE")
    bolt.command("subscribe digest daily 07:30", user_id="UADMIN", channel_id="CTWO")
    fake.add_channel("CTHREE", archived=True)
    with db.transaction() as session:
        subscriptions.subscribe(session, "CTHREE", created_by="UADMIN")
    add_news(db, 1)
    announcer(database_url, fake, db).run_pass()  # CTHREE is archived: paused
    body = bolt.command("subscriptions", user_id="UADMIN").json()
    assert body["response_type"] == "ephemeral"
    text = "\n".join(b["text"]["text"] for b in body["blocks"])
    assert "Announcements go to 3 channels" in text
    assert "<#CONE>: all categories, as they arrive" in text
    assert "<#CTWO>: all categories, in a digest daily at 07:30" in text
    assert "Paused since" in text and "archived" in text
    assert "Last posted: <!date^" in text  # CONE posted

    body = bolt.command("unsubscribe", user_id="UADMIN", channel_id="CONE").json()
    assert body["response_type"] == "in_channel"
    assert "no longer announces" in body["text"]
    assert subscription(db, "CONE") is None
    body = bolt.command("unsubscribe", user_id="UADMIN", channel_id="CONE").json()
    assert "was not subscribed" in body["text"]


def test_resubscribing_a_paused_channel_starts_afresh(bolt, db, fake, database_url):
    fake.add_channel("CARCH", archived=True)
    bolt.command("subscribe all", user_id="UADMIN", channel_id="CARCH")  # refused: archived
    assert subscription(db, "CARCH") is None
    with db.transaction() as session:
        subscriptions.subscribe(session, "CARCH", created_by="UADMIN")
    add_news(db, 2)
    announcer(database_url, fake, db).run_pass()
    assert subscription(db, "CARCH").paused_at is not None
    fake.add_channel("CARCH")  # unarchived
    body = bolt.command("subscribe all", user_id="UADMIN", channel_id="CARCH").json()
    assert "starts afresh" in body["text"]
    later = add_news(db, 1)
    announcer(database_url, fake, db).run_pass()
    assert_exactly_once(fake, db, {"CARCH": later})
    assert isinstance(subscription(db, "CARCH").created_at, datetime)
