"""Personal follows: `/coopnews follow|follows|unfollow` as signed requests to the app
(`bolt`), the follow pass against the fake Web API, and what each person's DM shows."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.admins import REFUSAL
from bot.blocks.announce import retraction_message
from bot.blocks.follows import FOLLOW_EVENT
from storage.models import DeliveryState, Follow, FollowDelivery, Item
from tests.curation_payloads import submission_of
from tests.follow_helpers import add_item, assert_sent_once, dm_items, dms, drain, sender
from tests.test_http_curation import open_from_menu
from tests.test_http_home import headers, open_home, texts


def follow(bolt, text: str, user: str = "UMEMBER") -> str:
    response = bolt.command(f"follow {text}".strip(), user_id=user)
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return body["text"]


def answer(bolt, text: str, user: str = "UMEMBER") -> str:
    body = bolt.command(text, user_id=user).json()
    assert body["response_type"] == "ephemeral"
    return json.dumps(body, ensure_ascii=False)


def follows_of(db, user: str) -> list[tuple[str, str | None]]:
    with db.reading() as session:
        rows = session.scalars(select(Follow).where(Follow.user_id == user).order_by(Follow.id))
        return [(f.keywords, f.category_key) for f in rows]


# -- the commands ---------------------------------------------------------------------
def test_follow_list_and_unfollow_for_a_member(bolt, fake, db):
    add_item(db, "Seed", category="COOP Champions")
    said = follow(bolt, 'Housing, "Fair Trade" in coop champions')
    assert 'Following *housing, "fair trade"* in COOP Champions' in said
    assert "unfollow 1" in said
    assert follows_of(db, "UMEMBER") == [('housing, "fair trade"', "coop champions")]
    follow(bolt, "agtaş")
    # Two numbers at once would shift under each other: refused, nothing removed.
    assert "one at a time" in answer(bolt, "unfollow 1 2")
    assert len(follows_of(db, "UMEMBER")) == 2
    listing = answer(bolt, "follows")
    assert '1. *housing, \\"fair trade\\"* in COOP Champions' in listing
    assert "2. *agtas*" in listing
    assert "You no longer follow *housing" in answer(bolt, "unfollow 1")
    assert follows_of(db, "UMEMBER") == [("agtas", None)]
    assert "1. *agtas*" in answer(bolt, "follows")
    # Followed again: the same follow, not a second one.
    assert "You already follow *agtas* (number 1" in follow(bolt, "Agtas")
    assert len(follows_of(db, "UMEMBER")) == 1
    assert fake.calls_to("chat.postMessage") == []


def test_usage_unknown_category_too_long_and_too_many(bolt, fake, db):
    add_item(db, "Seed", category="News")
    assert "/coopnews follow WORDS [in CATEGORY]" in follow(bolt, "")
    assert "/coopnews follow WORDS [in CATEGORY]" in follow(bolt, ",, !!")
    refused = follow(bolt, "women in coops")
    assert "There is no category “coops”. Known categories: News." in refused
    assert '"made in italy"' in refused
    assert follows_of(db, "UMEMBER") == []
    # Quoted, "in" is part of the words.
    assert 'Following *"women in coops"*' in follow(bolt, '"women in coops"')
    assert "at most 300 characters" in follow(bolt, "word " * 70)
    for n in range(24):
        follow(bolt, f"topic{n}")
    assert len(follows_of(db, "UMEMBER")) == 25
    assert "You already have 25 follows" in follow(bolt, "one more")
    assert len(follows_of(db, "UMEMBER")) == 25
    assert "You have no follow number 26: yours are 1 to 25" in answer(bolt, "unfollow 26")
    assert "Say which one" in answer(bolt, "unfollow")
    assert "You have no follow number 0" in answer(bolt, "unfollow 0")
    assert len(follows_of(db, "UMEMBER")) == 25


def test_the_300_characters_are_for_the_words_not_the_category(bolt, fake, db):
    category = "Worker Cooperatives and Social Economy in East Africa"
    add_item(db, "Seed", category=category)
    words = ("housing " * 38).strip()[:299] + "x"  # 300 characters exactly
    assert len(words) == 300
    said = follow(bolt, f"{words} in {category}")
    assert "Following *housing" in said and f"in {category}" in said, said
    assert follows_of(db, "UMEMBER")[0][1] == category.casefold()
    # One character more in the words is too many, with or without a category.
    for text in (f"{words}y in {category}", f"{words}y"):
        assert "at most 300 characters" in follow(bolt, text), text
    assert len(follows_of(db, "UMEMBER")) == 1


def test_one_person_can_neither_see_nor_remove_anothers_follows(bolt, fake, db):
    follow(bolt, "secret plan", user="UMEMBER")
    follow(bolt, "housing", user="UMEMBER2")
    theirs = answer(bolt, "follows", user="UMEMBER2")
    assert "housing" in theirs and "secret" not in theirs
    assert "You no longer follow *housing*" in answer(bolt, "unfollow 1", user="UMEMBER2")
    assert "You follow nothing, so there is nothing to remove." in answer(
        bolt, "unfollow 1", user="UMEMBER2"
    )
    assert follows_of(db, "UMEMBER") == [("secret plan", None)]
    # Admins are no exception: a follow is its person's own.
    assert "You follow nothing" in answer(bolt, "unfollow 1", user="UADMIN")
    assert follows_of(db, "UMEMBER") == [("secret plan", None)]
    assert REFUSAL not in answer(bolt, "follows", user="UMEMBER2")


def test_help_lists_the_follow_commands_for_members(bolt, db):
    text = answer(bolt, "help", user="UMEMBER")
    assert "follow WORDS [in CATEGORY]" in text and "unfollow N" in text


# -- matching -------------------------------------------------------------------------
def test_matching_like_search_accents_plurals_phrases_and_category(bolt, fake, db):
    add_item(db, "Seed", category="Events")
    add_item(db, "Seed", category="News")
    follow(bolt, 'agtas, "fair trade"')
    assert "Following *cooperative* in News" in follow(bolt, "cooperative in news")
    agtas = add_item(db, "Agtaş opens a bakery")
    phrase = add_item(db, "Coffee", summary="Fair trade coffee from Peru")
    add_item(db, "Trade fair in Lyon")  # both words, not the phrase
    plural = add_item(db, "New cooperatives in Kenya", category="NEWS")
    add_item(db, "New cooperatives in Peru", category="Events")  # another category
    add_item(db, "Coop news")  # "coop" is not "cooperative"
    report = sender(bolt).run_pass()
    assert report.messages == 3
    assert_sent_once(fake, db, {"UMEMBER": [agtas, phrase, plural]})
    dm = dms(fake, "UMEMBER")[0]
    assert dm["metadata"]["event_type"] == FOLLOW_EVENT
    assert 'Matches your follow *agtas, "fair trade"*' in dm["blocks"][0]["elements"][0]["text"]
    assert fake.calls_to("chat.postMessage")[0].params["channel"] == "UMEMBER"


def test_only_new_announceable_items_are_sent_and_each_once(bolt, fake, db):
    before = add_item(db, "Housing before the follow")
    follow(bolt, "housing")
    follow(bolt, "housing, rent", user="UMEMBER2")
    backfill = add_item(db, "Housing backfill", announce=False)
    retracted = add_item(db, "Housing retracted")
    with db.transaction() as session:
        session.execute(
            update(Item).where(Item.id == retracted).values(retracted_at=datetime.now(UTC))
        )
    both = add_item(db, "Housing and rent")
    run = sender(bolt)
    drain(run)
    drain(run)
    assert_sent_once(fake, db, {"UMEMBER": [both], "UMEMBER2": [both]})
    later = add_item(db, "Rent strike")
    drain(run)
    assert_sent_once(fake, db, {"UMEMBER": [both], "UMEMBER2": [both, later]})
    assert before and backfill


def test_an_item_retracted_before_its_dm_is_never_sent(bolt, fake, db):
    follow(bolt, "housing")
    item_id = add_item(db, "Housing news")
    run = sender(bolt)
    with db.transaction() as session:
        from storage import follows

        follows.plan_follow_deliveries(session)
        session.execute(
            update(Item).where(Item.id == item_id).values(retracted_at=datetime.now(UTC))
        )
    report = run.run_pass()
    assert report.messages == 0 and report.skipped == 1
    assert dms(fake, "UMEMBER") == []


def test_unfollowed_words_send_nothing_more(bolt, fake, db):
    follow(bolt, "housing")
    answer(bolt, "unfollow 1")
    add_item(db, "Housing news")
    assert sender(bolt).run_pass().messages == 0
    assert dms(fake, "UMEMBER") == []


# -- exactly once -----------------------------------------------------------------------
def test_racing_passes_send_each_item_once_to_each_person(bolt, fake, db):
    people = ["UMEMBER", "UMEMBER2", "UADMIN", "UOWNER"]
    for user in people:
        follow(bolt, "housing", user=user)
    ids = [add_item(db, f"Housing story {n}") for n in range(6)]
    senders = [sender(bolt) for _ in range(3)]
    barrier = threading.Barrier(len(senders))
    errors = []

    def race(run):
        try:
            barrier.wait()
            drain(run)
        except Exception as exc:  # pragma: no cover - shown below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert_sent_once(fake, db, {user: ids for user in people})


def test_a_dm_slack_took_but_whose_answer_was_lost_is_found_not_resent(bolt, fake, db):
    from tests.announce_helpers import failing_posts

    follow(bolt, "housing")
    ids = [add_item(db, f"Housing {n}") for n in range(3)]
    # The first DM ever: Slack has it but answers 503, so its DM channel is not known yet.
    fake.handlers["chat.postMessage"] = failing_posts(fake, "a")
    run = sender(bolt)
    first = run.run_pass()
    assert (first.messages, first.released) == (0, 3)
    second = run.run_pass()
    assert second.recovered == 1 and second.messages == 2
    assert fake.calls_to("conversations.open")[0].params["users"] == "UMEMBER"
    history = fake.calls_to("conversations.history")
    assert history and history[0].params["channel"] == "DMEMBER"
    assert_sent_once(fake, db, {"UMEMBER": ids})


def test_a_person_slack_cannot_reach_is_given_up_not_retried(bolt, fake, db):
    from tests.fake_slack import Reply

    follow(bolt, "housing")
    add_item(db, "Housing")
    fake.handlers["chat.postMessage"] = lambda call: Reply(
        {"ok": False, "error": "user_disabled"}
    )
    assert sender(bolt).run_pass().failed == 1
    del fake.handlers["chat.postMessage"]
    assert sender(bolt).run_pass().messages == 0
    with db.reading() as session:
        assert session.scalar(select(FollowDelivery.state)) == DeliveryState.FAILED


# -- the daily cap and the morning digest ------------------------------------------------
class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_ten_dms_a_day_then_one_digest_the_next_morning_in_their_zone(bolt, fake, db):
    fake.add_user("UFAR", tz="America/New_York")
    follow(bolt, "housing", user="UFAR")
    clock = Clock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 10:00 in New York
    ids = [add_item(db, f"Housing {n}") for n in range(13)]
    run = sender(bolt, clock=clock)
    report = run.run_pass()
    assert (report.messages, report.held) == (10, 3)
    assert [dm_items(m) for m in dms(fake, "UFAR")] == [[i] for i in ids[:10]]
    late = add_item(db, "Housing late")
    clock.now = datetime(2026, 12, 2, 4, 59, tzinfo=UTC)  # 23:59 in New York
    assert run.run_pass().messages == 0
    # A new local day: the cap is fresh, the held ones wait for 08:00.
    clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # 07:00
    fresh = add_item(db, "Housing next day")
    assert run.run_pass().messages == 1
    assert dm_items(dms(fake, "UFAR")[-1]) == [fresh]
    clock.now = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 08:00
    report = run.run_pass()
    assert (report.messages, report.digests, report.items) == (1, 1, 4)
    digest = dms(fake, "UFAR")[-1]
    assert dm_items(digest) == ids[10:] + [late]
    assert digest["metadata"]["event_payload"]["digest"] is True
    assert "4 more items matched your follows" in json.dumps(digest["blocks"])
    # The digest counted against nothing: nine more singles fit in this day.
    more = [add_item(db, f"Housing again {n}") for n in range(10)]
    report = run.run_pass()
    assert (report.messages, report.held) == (9, 1)
    assert_sent_once(fake, db, {"UFAR": ids + [late, fresh] + more[:9]})


def test_racing_passes_never_exceed_the_cap(bolt, fake, db):
    follow(bolt, "housing")
    ids = [add_item(db, f"Housing {n}") for n in range(15)]
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    senders = [sender(bolt, clock=clock) for _ in range(3)]
    barrier = threading.Barrier(3)

    def race(run):
        barrier.wait()
        run.run_pass()

    threads = [threading.Thread(target=race, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [dm_items(m) for m in dms(fake, "UMEMBER")] == [[i] for i in ids[:10]]
    clock.now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # UMEMBER is on UTC
    drain(*senders)
    assert dm_items(dms(fake, "UMEMBER")[-1]) == ids[10:]
    assert_sent_once(fake, db, {"UMEMBER": ids})


# -- corrections --------------------------------------------------------------------------
def delete_item(bolt, fake, item_id: int) -> None:
    confirm = open_from_menu(bolt, fake, "UADMIN", f"delete:{item_id}")
    assert bolt.interaction(submission_of(confirm, "UADMIN", {})).text == ""
    bolt.settle()


def test_a_retracted_item_already_sent_is_corrected_in_the_dm(bolt, fake, db):
    follow(bolt, "housing")
    item_id = add_item(db, "Housing scandal")
    sender(bolt).run_pass()
    (dm,) = dms(fake, "UMEMBER")
    delete_item(bolt, fake, item_id)
    update_call = fake.wait_for("chat.update")[-1].params
    assert (update_call["channel"], update_call["ts"]) == ("DMEMBER", dm["ts"])
    with db.reading() as session:
        retracted = session.get(Item, item_id)
        assert update_call["blocks"] == retraction_message(retracted)["blocks"]
    assert "retracted" in dms(fake, "UMEMBER")[0]["text"]


def test_a_retracted_item_in_a_morning_digest_is_taken_out_of_it(bolt, fake, db):
    follow(bolt, "housing")
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    ids = [add_item(db, f"Housing {n}") for n in range(12)]
    run = sender(bolt, clock=clock)
    run.run_pass()
    clock.now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    run.run_pass()
    digest = dms(fake, "UMEMBER")[-1]
    assert dm_items(digest) == ids[10:]
    delete_item(bolt, fake, ids[11])
    update_call = fake.wait_for("chat.update")[-1].params
    assert update_call["ts"] == digest["ts"]
    assert dm_items(dms(fake, "UMEMBER")[-1]) == [ids[10]]
    assert "1 more item matched your follows" in json.dumps(update_call["blocks"])


# -- App Home ---------------------------------------------------------------------------------
def test_app_home_shows_each_person_their_own_follows(bolt, fake, db):
    add_item(db, "Seed", category="News")
    follow(bolt, 'housing, "fair trade" in news')
    follow(bolt, "elsewhere", user="UMEMBER2")
    view = open_home(bolt, fake, "UMEMBER", "EvFollow1")
    assert "Your follows" in headers(view)
    body = texts(view)
    assert '1. *housing, \\"fair trade\\"* in News' in body
    assert "elsewhere" not in body
    other = texts(open_home(bolt, fake, "UMEMBER3", "EvFollow2"))
    assert "You follow nothing yet" in other and "housing" not in other


@pytest.mark.parametrize("text", ["<!channel> housing", "<@U123|x> rent"])
def test_follow_words_cannot_ping_anyone(bolt, fake, db, text):
    said = follow(bolt, text)
    assert "<!" not in said and "<@" not in said
    add_item(db, "Housing and rent")
    sender(bolt).run_pass()
    assert "<!channel>" not in json.dumps(dms(fake, "UMEMBER"))


def test_one_pass_with_the_clock_of_a_day_later_is_not_a_second_send(bolt, fake, db):
    follow(bolt, "housing")
    item_id = add_item(db, "Housing")
    run = sender(bolt)
    run.run_pass()
    run.clock = lambda: datetime.now(UTC) + timedelta(days=1)
    run.run_pass()
    assert_sent_once(fake, db, {"UMEMBER": [item_id]})


def test_the_follow_models_match_their_migration(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = ("follows", "follow_people", "follow_scans", "follow_deliveries")
    mine = [d for d in diffs if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in ours)]
    assert mine == []


def test_a_corrected_item_is_corrected_in_the_dm_and_a_refusal_tells_no_admin(bolt, fake, db):
    from bot.curation.posted import update_posted
    from tests.fake_slack import Reply

    follow(bolt, "housing")
    item_id = add_item(db, "Housing teh typo")
    sender(bolt).run_pass()
    with db.transaction() as session:
        session.execute(update(Item).where(Item.id == item_id).values(title="Housing the fix"))
    assert update_posted(bolt.deps.client, db, item_id) == 1
    (dm,) = dms(fake, "UMEMBER")
    assert "Housing the fix" in json.dumps(dm["blocks"])
    assert dm["metadata"]["event_type"] == FOLLOW_EVENT
    # Slack refuses the next update for good: the admin is not told of a private DM.
    fake.handlers["chat.update"] = lambda call: Reply({"ok": False, "error": "message_not_found"})
    posts_before = len(fake.calls_to("chat.postMessage"))
    delete_item(bolt, fake, item_id)
    assert fake.calls_to("chat.update")
    assert [
        c for c in fake.calls_to("chat.postMessage")[posts_before:] if c.params["channel"] == "UADMIN"
    ] == []
