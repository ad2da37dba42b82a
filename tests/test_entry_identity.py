"""Entry identity (issue 9): every entry stored once, nothing lost, announced once.

Each test is one of the ways real feeds broke the old identity, polled through
a local feed server as the worker polls, then announced to the fake Slack.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.source_polling import poll_sources_once
from sources.fetch import FetchOptions
from sources.importer import import_source
from sources.poller import poll_source, subscribe
from storage import curation
from storage import sources as source_store
from storage.models import AuditEntry, Item, ItemSource, Source
from storage.types import utcnow
from tests import feed_samples as samples
from tests.announce_helpers import announcer, make_deps, shown_in
from tests.announce_helpers import subscribe as subscribe_channel
from tests.conftest import app_environment, run_cli
from tests.feed_server import FeedServer

ALLOW = FetchOptions(allow_private=True, timeout=5)
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def server():
    server = FeedServer().start()
    yield server
    server.stop()


def items(db) -> list[Item]:
    with db.reading() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def titles(db) -> list[str]:
    return [i.title for i in items(db)]


def poll(db, server, path: str, body: str, source_id: int):
    server.serve(path, body)
    with db.transaction() as session:
        session.execute(
            update(Source)
            .where(Source.id == source_id)
            .values(next_poll_at=utcnow() - timedelta(seconds=1))
        )
    return poll_source(db, source_id, ALLOW)


def follow(db, server, path: str, body: str) -> int:
    server.serve(path, body)
    return subscribe(db, server.url(path), ALLOW, created_by="UADMIN").source.id


def announce(database_url, fake, db) -> None:
    announcer(database_url, fake, db).run_pass()


# -- the handed case: ../shared/cases/guid-reused ---------------------------
def test_guid_reused_by_a_new_entry_imports_from_the_command_line(db, database_url, fake):
    env = app_environment(database_url, fake)
    lines = [
        run_cli("import", str(FIXTURES / "guid_reused" / name), env=env).stdout.strip()
        for name in ("poll1.xml", "poll2.xml")
    ]
    assert lines == [
        "added 1, already present 0, skipped 0",
        "added 1, already present 1, skipped 0",
    ]
    assert len(items(db)) == 2


def test_guid_reused_by_a_new_entry_imports(db):
    first = import_source(db, str(FIXTURES / "guid_reused" / "poll1.xml"))
    assert first.line() == "added 1, already present 0, skipped 0"
    second = import_source(db, str(FIXTURES / "guid_reused" / "poll2.xml"))
    assert second.line() == "added 1, already present 1, skipped 0"
    assert sorted(titles(db)) == [
        "Members approve new solar roof",
        "Solar roof: installation starts next month",
    ]


def test_guid_reused_by_a_new_entry_followed_and_announced_once(db, server, fake, database_url):
    poll1 = (FIXTURES / "guid_reused" / "poll1.xml").read_text()
    poll2 = (FIXTURES / "guid_reused" / "poll2.xml").read_text()
    sid = follow(db, server, "/riverside.xml", poll1)
    subscribe_channel(db, "CNEWS")
    outcome = poll(db, server, "/riverside.xml", poll2, sid)
    assert (outcome.added, outcome.already_present) == (1, 1)
    announce(database_url, fake, db)
    (new,) = [i for i in items(db) if i.announce]
    assert new.title == "Solar roof: installation starts next month"
    assert shown_in(fake, "CNEWS") == {new.id: 1}
    # The same window again: nothing new, nothing announced again.
    assert poll(db, server, "/riverside.xml", poll2 + " ", sid).added == 0
    announce(database_url, fake, db)
    assert shown_in(fake, "CNEWS") == {new.id: 1}


# -- the five failures of the issue ----------------------------------------
def blog_day(count: int) -> str:
    """A real blog's shape: mostly title-less, guids are permalinks into one page per day."""
    entries = []
    for i in range(count):
        link = f"https://blog.example/2026/11/26.html#a{80600 + i}"
        entry = {"link": link, "guid": link, "description": f"Short note number {i} of the day."}
        if i % 5 == 0:
            entry["title"] = f"Titled note {i}"
        entries.append(entry)
    return samples.rss2(entries, "A blog", "https://blog.example/")


def test_permalinks_into_one_page_per_day_keep_every_entry(db, server, fake, database_url):
    server.serve("/blog.xml", blog_day(50))
    done = subscribe(db, server.url("/blog.xml"), ALLOW)
    assert (done.added, done.already_present) == (50, 0)
    assert len(set(titles(db))) == 50
    subscribe_channel(db, "CNEWS")
    # The same window (one entry more): one new item, announced once.
    outcome = poll(db, server, "/blog.xml", blog_day(51), done.source.id)
    assert (outcome.added, outcome.already_present) == (1, 50)
    announce(database_url, fake, db)
    assert sum(shown_in(fake, "CNEWS").values()) == 1


def numbered(site_path: str, count: int) -> str:
    return samples.rss2(
        [
            {
                "title": f"{site_path} story {i}",
                "link": f"https://site.example/{site_path}/{i}",
                "guid": str(i),
            }
            for i in range(1, count + 1)
        ],
        link="https://site.example/",
    )


def test_two_feeds_of_one_site_numbering_guids_alike_keep_both(db, server):
    first = follow(db, server, "/news.xml", numbered("news", 3))
    server.serve("/events.xml", numbered("events", 3))
    second = subscribe(db, server.url("/events.xml"), ALLOW)
    assert (second.added, second.already_present) == (3, 0)
    assert len(items(db)) == 6
    assert poll(db, server, "/news.xml", numbered("news", 3) + " ", first).added == 0
    with db.reading() as session:
        counts = {row.source.id: row.item_count for row in source_store.list_sources(session)}
    assert counts == {first: 3, second.source.id: 3}


def polls_page(entries: list[tuple[str, str]]) -> str:
    """A feed without guids whose entries all link to one "polls" page."""
    return samples.rss2(
        [
            {"title": title, "link": "https://coop.example/polls", "date": date}
            for title, date in entries
        ]
    )


def test_entries_sharing_one_link_keep_their_identity_when_others_leave(
    db, server, fake, database_url
):
    a = ("Poll: new logo?", "Mon, 02 Nov 2026 09:00:00 GMT")
    b = ("Poll: meeting day?", "Tue, 03 Nov 2026 09:00:00 GMT")
    c = ("Poll: summer party?", "Wed, 04 Nov 2026 09:00:00 GMT")
    d = ("Poll: new bylaws?", "Thu, 05 Nov 2026 09:00:00 GMT")
    sid = follow(db, server, "/polls.xml", polls_page([c, b, a]))
    subscribe_channel(db, "CNEWS")
    for window, added in (([d, c, b], 1), ([d, c], 0), ([d], 0), ([c, d], 0)):
        outcome = poll(db, server, "/polls.xml", polls_page(window), sid)
        assert outcome.added == added, window
        announce(database_url, fake, db)
    assert sorted(titles(db)) == sorted(t for t, _ in (a, b, c, d))
    (new,) = [i for i in items(db) if i.announce]
    assert new.title == d[0] and shown_in(fake, "CNEWS") == {new.id: 1}


def test_one_story_through_two_feeds_is_one_item_announced_once(db, server, fake, database_url):
    story = {
        "title": "Credit unions merge",
        "guid": "cu-merge",
        "date": "Mon, 02 Nov 2026 09:00:00 GMT",
    }
    plain = samples.rss2([{**story, "link": "https://news.example/cu-merge"}], link="https://a/")
    tracked = samples.rss2(
        [
            {
                **story,
                "guid": "https://agg.example/item/77",
                "link": "http://News.example/cu-merge/?utm_source=agg&amp;utm_medium=rss",
            }
        ],
        link="https://b/",
    )
    first = follow(db, server, "/a.xml", samples.rss2([], link="https://a/"))
    second = follow(db, server, "/b.xml", samples.rss2([], link="https://b/"))
    subscribe_channel(db, "CNEWS")
    assert poll(db, server, "/a.xml", plain, first).added == 1
    outcome = poll(db, server, "/b.xml", tracked, second)
    assert (outcome.added, outcome.already_present) == (0, 1)
    announce(database_url, fake, db)
    (item,) = items(db)
    assert shown_in(fake, "CNEWS") == {item.id: 1}
    with db.reading() as session:
        sources = set(session.scalars(select(ItemSource.source_id)))
        counts = {row.source.id: row.item_count for row in source_store.list_sources(session)}
    assert sources == {first, second}
    assert counts == {first: 1, second: 1}  # sources list and App Home count through it


def test_guids_moving_to_https_and_a_new_scheme_readd_nothing(db, server, fake, database_url):
    sid = follow(db, server, "/feed.xml", samples.simple_rss(4, scheme="http"))
    subscribe_channel(db, "CNEWS")
    https = poll(db, server, "/feed.xml", samples.simple_rss(4, scheme="https"), sid)
    assert (https.added, https.already_present) == (0, 4)
    renamed = samples.simple_rss(4).replace(
        '<guid isPermaLink="true">https://coop.example/news/',
        '<guid isPermaLink="false">tag:coop.example,2026:',
    )
    assert "tag:coop.example" in renamed
    assert poll(db, server, "/feed.xml", renamed, sid).added == 0
    announce(database_url, fake, db)
    assert len(items(db)) == 4 and fake.posted("CNEWS") == []


def test_same_title_same_day_without_links_is_one_story(db, tmp_path):
    listing = (Path(__file__).parent.parent / "data" / "ilo-coop-news-2017.txt").read_text()
    (tmp_path / "a.txt").write_text(listing)
    (tmp_path / "b.txt").write_text(listing.replace("ILO SSE Academy", "ILO SSE ACADEMY —"))
    assert import_source(db, str(tmp_path / "a.txt")).added == 10
    again = import_source(db, str(tmp_path / "b.txt"))
    assert (again.added, again.already_present) == (0, 10)


# -- feeds that correct themselves ------------------------------------------
def corrected_feed(title: str, summary: str, link: str) -> str:
    return samples.rss2(
        [
            {
                "title": title,
                "link": link,
                "guid": "entry-1",
                "date": "Mon, 02 Nov 2026 09:00:00 GMT",
                "description": summary,
            }
        ]
    )


def test_a_corrected_entry_corrects_the_item_the_audit_and_posted_messages(
    db, server, fake, database_url
):
    sid = follow(db, server, "/feed.xml", samples.rss2([]))
    subscribe_channel(db, "CNEWS")
    poll(db, server, "/feed.xml", corrected_feed("Tpyo title", "Text", "https://c.example/1"), sid)
    announce(database_url, fake, db)
    (item,) = items(db)
    assert shown_in(fake, "CNEWS") == {item.id: 1}
    server.serve("/feed.xml", corrected_feed("Typo title", "Better text", "https://c.example/1b"))
    with db.transaction() as session:
        session.execute(update(Source).values(next_poll_at=utcnow() - timedelta(seconds=1)))
    (outcome,) = poll_sources_once(make_deps(database_url, fake, db, allow_private_sources=True))
    assert (outcome.added, outcome.corrected) == (0, [item.id])
    (item,) = items(db)
    assert (item.title, item.summary, item.url) == (
        "Typo title",
        "Better text",
        "https://c.example/1b",
    )
    with db.reading() as session:
        (audit,) = session.scalars(select(AuditEntry)).all()
    assert (audit.user_id, audit.action, audit.details) == (
        f"source {sid}",
        "edited",
        "title, summary, link",
    )
    (update_call,) = fake.calls_to("chat.update")
    assert "Typo title" in update_call.params["text"]
    assert len(fake.posted("CNEWS")) == 1  # corrected in place, not announced again


def test_an_item_an_admin_edited_is_never_overwritten_by_its_feed(db, server):
    sid = follow(
        db, server, "/feed.xml", corrected_feed("Feed title", "Text", "https://c.example/1")
    )
    (item,) = items(db)
    with db.transaction() as session:
        stored = session.get(Item, item.id)
        fields = curation.ItemFields(
            "Admin's title", stored.url, None, stored.published_at.date(), "Admin's text"
        )
        curation.update_item(session, stored, fields, "UADMIN")
    outcome = poll(
        db,
        server,
        "/feed.xml",
        corrected_feed("Feed title 2", "Text 2", "https://c.example/1"),
        sid,
    )
    assert (outcome.added, outcome.corrected) == (0, [])
    (item,) = items(db)
    assert (item.title, item.summary) == ("Admin's title", "Admin's text")
    # The feed's next change is still recognised as the same entry, not a new one.
    assert (
        poll(
            db,
            server,
            "/feed.xml",
            corrected_feed("Feed title 3", "Text 3", "https://c.example/1"),
            sid,
        ).added
        == 0
    )


def test_a_new_entry_at_a_link_an_item_gave_up_is_not_lost(db, server):
    sid = follow(db, server, "/feed.xml", corrected_feed("Old", "Text", "https://c.example/1"))
    poll(db, server, "/feed.xml", corrected_feed("Old", "Text", "https://c.example/moved"), sid)
    assert [i.url for i in items(db)] == ["https://c.example/moved"]
    other = samples.rss2(
        [
            {
                "title": "A new story at the old address",
                "link": "https://c.example/1",
                "guid": "other-1",
                "date": "Fri, 20 Nov 2026 09:00:00 GMT",
            }
        ]
    )
    server.serve("/other.xml", other)
    done = subscribe(db, server.url("/other.xml"), ALLOW)
    assert (done.added, done.already_present) == (1, 0)
    assert sorted(titles(db)) == ["A new story at the old address", "Old"]


def test_an_overlong_date_is_kept_to_its_column_and_still_matches(db, server):
    long_date = "Le premier jour du mois de novembre de l'an deux mille vingt-six " * 3
    feed = samples.rss2(
        [{"title": "Dated oddly", "link": "https://d.example/1", "date": long_date}]
    )
    sid = follow(db, server, "/feed.xml", feed)
    for spaces in (1, 2):  # new bytes each time: parsed again
        outcome = poll(db, server, "/feed.xml", feed + " " * spaces, sid)
        assert (outcome.status, outcome.added, outcome.already_present) == ("new", 0, 1)
    assert titles(db) == ["Dated oddly"]
