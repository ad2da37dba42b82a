"""Issue 11: every way a poll can fail is recorded, backs off and is shown; feeds that
ask us to slow down, move or challenge us are honoured. Faults are injected into a
local feed server and into the database (a trigger that refuses one entry)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from sources import documents
from sources.fetch import FetchOptions, fetch
from sources.poller import poll_due, poll_now, poll_source, subscribe
from storage import sources as source_store
from storage.models import Item, Source, SourceEvent
from storage.types import utcnow
from tests import feed_samples as samples
from tests.feed_server import FeedServer, Served
from tests.http_proxy import HttpProxy

ALLOW = FetchOptions(allow_private=True, timeout=5)


@pytest.fixture
def server():
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def poison(db):
    """The database refuses any item whose title starts with "Poison" (both backends)."""
    with db.transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "CREATE TRIGGER IF NOT EXISTS refuse_poison BEFORE INSERT ON items "
                    "WHEN NEW.title LIKE 'Poison%' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.title LIKE 'Poison%' THEN RAISE EXCEPTION 'poison refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            session.execute(
                text(
                    "CREATE OR REPLACE TRIGGER refuse_poison BEFORE INSERT ON items "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            )
    yield
    with db.transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("DROP TRIGGER IF EXISTS refuse_poison"))
        else:
            session.execute(text("DROP TRIGGER IF EXISTS refuse_poison ON items"))
            session.execute(text("DROP FUNCTION IF EXISTS refuse_poison()"))


def state(db, source_id) -> Source:
    with db.reading() as session:
        return session.get(Source, source_id)


def titles(db, source_id) -> list[str]:
    with db.reading() as session:
        stmt = select(Item.title).where(Item.source_id == source_id).order_by(Item.id)
        return list(session.scalars(stmt))


def history(db, source_id) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [(e.level, e.text) for e in source_store.recent_events(session, source_id)]


def entries(*names: str) -> str:
    return samples.rss2(
        [{"title": n, "link": f"https://coop.example/{n.replace(' ', '-')}"} for n in names]
    )


def follow(db, server, body: str, path: str = "/feed") -> int:
    server.serve(path, body)
    return subscribe(db, server.url(path), ALLOW, created_by="UADMIN").source.id


# -- store failures ------------------------------------------------------------
def test_one_entry_the_database_refuses_is_skipped_with_a_warning(db, server, poison):
    sid = follow(db, server, entries("First"))
    server.serve("/feed", entries("First", "Second", "Poison pill", "Third"))
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert (outcome.status, outcome.added, outcome.skipped) == ("new", 2, 1)
    assert titles(db, sid) == ["First", "Second", "Third"]
    assert "skipped 1 the database refused" in outcome.line()
    ((level, note),) = history(db, sid)
    assert level == "warning" and "'Poison pill' skipped" in note and "poison refused" in note
    with db.reading() as session:  # what `sources list` shows as the latest note
        assert source_store.latest_notes(session, [sid]) == {sid: note}
    # The poll itself worked: the source is healthy and polled again at its interval.
    source = state(db, sid)
    assert (source.failures, source.last_error) == (0, None)
    # The next poll tries the refused entry again (nothing is lost for good).
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert (outcome.added, outcome.already_present, outcome.skipped) == (0, 3, 1)


def test_a_store_that_refuses_everything_is_a_recorded_failure_that_backs_off(db, server, poison):
    sid = follow(db, server, entries("First"))
    server.serve("/feed", entries("Poison one", "Poison two"))
    before = utcnow()
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert outcome.status == "failed"
    assert outcome.error.startswith("could not store any entry: ") and "poison" in outcome.error
    source = state(db, sid)
    assert source.failures == 1 and source.last_error == outcome.error
    assert "\n" not in source.last_error
    # Backoff: twice the interval after a first failure.
    assert source.next_poll_at >= before + timedelta(seconds=2 * source.interval_seconds)
    assert ("error", outcome.error) in history(db, sid)


def test_store_failures_count_toward_the_admins_alert(db, server, poison):
    sid = follow(db, server, entries("First"))
    server.serve("/feed", entries("Poison"))
    with db.transaction() as session:
        session.execute(update(Source).values(failures=source_store.ALERT_AFTER_FAILURES - 1))
    told = []
    outcome = poll_now(db, [sid], ALLOW, notify=told.append)[0]
    assert outcome.alert and [s.id for s in told] == [sid]
    assert "could not store" in told[0].last_error
    assert state(db, sid).failure_notified_at is not None


def test_a_bug_while_reading_is_recorded_with_its_reason(db, server, monkeypatch):
    sid = follow(db, server, entries("First"))

    def broken(*args, **kwargs):
        raise KeyError("published_parsed")

    monkeypatch.setattr("sources.poller.load_url", broken)
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert outcome.status == "failed"
    assert state(db, sid).last_error == "internal error while reading: 'published_parsed'"
    assert state(db, sid).failures == 1


# -- sites that ask us to slow down --------------------------------------------
@pytest.mark.parametrize(("status", "header"), [(429, "120"), (503, None)])
def test_retry_after_pushes_the_next_poll_and_a_forced_poll_respects_it(db, server, status, header):
    sid = follow(db, server, entries("First"))
    if header is None:  # the HTTP-date form (RFC 9110 §10.2.3)
        from email.utils import format_datetime

        header = format_datetime(utcnow() + timedelta(hours=3), usegmt=True)
    server.rate_limit("/feed", header, status=status)
    before = utcnow()
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert outcome.status == "failed" and f"HTTP {status}" in outcome.error
    source = state(db, sid)
    wait = timedelta(seconds=120) if status == 429 else timedelta(hours=3)
    assert source.retry_after_until >= before + wait - timedelta(seconds=2)
    assert source.next_poll_at >= source.retry_after_until
    # A forced poll sends no request and says until when.
    asked = len(server.requests_to("/feed"))
    forced = poll_now(db, [sid], ALLOW)[0]
    assert forced.status == "waiting" and forced.until == source.retry_after_until
    assert f"wait until {source.retry_after_until:%Y-%m-%d %H:%M} UTC" in forced.line()
    assert len(server.requests_to("/feed")) == asked
    # Once it has passed, the feed is read again and the wait is forgotten.
    server.serve("/feed", entries("First", "Second"))
    with db.transaction() as session:
        session.execute(update(Source).values(retry_after_until=utcnow() - timedelta(seconds=1)))
    assert poll_now(db, [sid], ALLOW)[0].added == 1
    assert state(db, sid).retry_after_until is None


def test_cache_control_max_age_is_a_floor_on_the_interval(db, server):
    sid = follow(db, server, entries("First"))
    server.serve("/feed", entries("First"), headers={"Cache-Control": "public, max-age=7200"})
    before = utcnow()
    poll_now(db, [sid], ALLOW)
    assert state(db, sid).next_poll_at >= before + timedelta(hours=2)
    # A max-age shorter than the interval changes nothing.
    server.serve("/feed", entries("First", "x"), headers={"Cache-Control": "max-age=60"})
    before = utcnow()
    poll_now(db, [sid], ALLOW)
    next_poll = state(db, sid).next_poll_at
    assert before + timedelta(minutes=29) < next_poll < before + timedelta(minutes=31)


def test_at_most_two_requests_at_once_to_one_host(server):
    server.routes["/slow"] = lambda request: Served(
        200, entries("x").encode(), {"Content-Type": "application/rss+xml"}, delay=0.3
    )
    threads = [threading.Thread(target=fetch, args=(server.url("/slow"), ALLOW)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.requests_to("/slow")) == 6
    assert server.most_in_flight == 2


# -- sites that move -----------------------------------------------------------
def test_a_permanent_redirect_on_three_polls_moves_the_feed_and_says_so(db, server):
    sid = follow(db, server, entries("First"))
    server.serve("/new", entries("First", "Second"))
    server.redirect("/feed", server.url("/new"), status=308)
    for poll in (1, 2):
        outcome = poll_now(db, [sid], ALLOW)[0]
        assert outcome.moved_to is None
        assert state(db, sid).feed_url == server.url("/feed")
        assert state(db, sid).redirect_count == poll
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert outcome.moved_to == server.url("/new")
    source = state(db, sid)
    assert (source.url, source.feed_url) == (server.url("/new"), server.url("/new"))
    ((level, note),) = history(db, sid)
    assert level == "info" and note.startswith(f"moved from {server.url('/feed')} to ")
    old_requests = len(server.requests_to("/feed"))
    poll_now(db, [sid], ALLOW)
    assert len(server.requests_to("/feed")) == old_requests  # polled at its new address
    assert titles(db, sid) == ["First", "Second"]


def test_a_temporary_redirect_never_moves_the_feed(db, server):
    sid = follow(db, server, entries("First"))
    server.serve("/elsewhere", entries("First"))
    server.redirect("/feed", server.url("/elsewhere"), status=302)
    for _ in range(4):
        assert poll_now(db, [sid], ALLOW)[0].status in ("new", "unchanged")
    source = state(db, sid)
    assert source.feed_url == server.url("/feed") and source.redirect_count == 0
    assert history(db, sid) == []


def test_a_permanent_redirect_interrupted_starts_counting_again(db, server):
    sid = follow(db, server, entries("First"))
    server.serve("/new", entries("First"))
    server.redirect("/feed", server.url("/new"))
    poll_now(db, [sid], ALLOW)
    poll_now(db, [sid], ALLOW)
    server.serve("/feed", entries("First"))  # back where it was, once
    poll_now(db, [sid], ALLOW)
    server.redirect("/feed", server.url("/new"))
    poll_now(db, [sid], ALLOW)
    poll_now(db, [sid], ALLOW)
    assert state(db, sid).feed_url == server.url("/feed")
    poll_now(db, [sid], ALLOW)
    assert state(db, sid).feed_url == server.url("/new")


# -- anti-bot walls ------------------------------------------------------------
@pytest.mark.parametrize(("status", "header"), [(403, False), (503, False), (403, True)])
def test_an_anti_bot_challenge_is_named_as_such(db, server, status, header):
    sid = follow(db, server, entries("First"))
    server.challenge("/feed", status=status, header=header)
    outcome = poll_now(db, [sid], ALLOW)[0]
    assert outcome.error == "the site answered with an anti-bot challenge"
    assert state(db, sid).last_error == "the site answered with an anti-bot challenge"


def test_a_gzipped_challenge_page_is_recognised(db, server):
    import gzip

    sid = follow(db, server, entries("First"))
    page = gzip.compress("<html><title>Just a moment…</title></html>".encode())
    server.fail("/feed", 503, page, **{"Content-Encoding": "gzip", "Content-Type": "text/html"})
    assert poll_now(db, [sid], ALLOW)[0].error == "the site answered with an anti-bot challenge"


def test_a_plain_403_is_not_called_a_challenge(db, server):
    sid = follow(db, server, entries("First"))
    server.fail("/feed", 403, b"<html>Forbidden</html>")
    assert poll_now(db, [sid], ALLOW)[0].error.startswith("HTTP 403 from ")


# -- proxies -------------------------------------------------------------------
@pytest.fixture
def proxy():
    proxy = HttpProxy().start()
    yield proxy
    proxy.stop()


def test_feeds_go_through_http_proxy(server, proxy, monkeypatch):
    server.serve("/feed", entries("Via proxy"))
    monkeypatch.setenv("HTTP_PROXY", f"http://user:secret@127.0.0.1:{proxy._server.server_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    loaded = documents.load_url(server.url("/feed"), ALLOW)
    assert [d.title for d in loaded.document.drafts] == ["Via proxy"]
    assert proxy.seen == [server.url("/feed")]
    assert proxy.auth[0].startswith("Basic ")


def test_no_proxy_bypasses_it(server, proxy, monkeypatch):
    server.serve("/feed", entries("Direct"))
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy._server.server_port}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert fetch(server.url("/feed"), ALLOW).status == 200
    assert proxy.seen == []
    assert len(server.requests_to("/feed")) == 1


def test_the_ssrf_rule_still_applies_to_the_feed_behind_a_proxy(server, proxy, monkeypatch):
    from sources.fetch import RefusedAddress

    server.serve("/feed", entries("Internal"))
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy._server.server_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(RefusedAddress):
        fetch(server.url("/feed"), FetchOptions(allow_private=False, timeout=5))
    assert proxy.seen == [] and server.requests_to("/feed") == []


def test_poll_due_still_polls_only_due_sources(db, server):
    sid = follow(db, server, entries("First"))
    assert poll_due(db, ALLOW) == []
    assert poll_source(db, sid, ALLOW) is None  # not due, not forced
    with db.reading() as session:
        assert session.scalars(select(SourceEvent)).all() == []


def test_a_store_failure_shows_in_the_admins_app_home_and_sources_list(
    slack, fake, db, server, poison
):
    from tests.test_http_home import open_home, texts
    from tests.test_http_sources import text_of

    sid = follow(db, server, entries("First"))
    server.serve("/feed", entries("Poison only"))
    error = poll_now(db, [sid], ALLOW)[0].error
    assert error.startswith("could not store any entry")
    home = texts(open_home(slack, fake, "UADMIN", "EvStoreFailure"))
    assert ":warning: 1 failed polls" in home and "could not store any entry" in home
    listed = text_of(slack.command("sources", user_id="UMEMBER").json())
    assert "Last error: could not store any entry" in listed


@pytest.fixture
def https_server(tmp_path, monkeypatch):
    """The feed server behind TLS for `localhost`, its certificate trusted by this process."""
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = FeedServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    server.start()
    server.https_url = lambda path: f"https://localhost:{server._server.server_port}{path}"
    yield server
    server.stop()


def test_https_feeds_go_through_the_proxy_in_a_connect_tunnel(https_server, proxy, monkeypatch):
    https_server.serve("/feed", entries("Tunnelled"))
    monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{proxy._server.server_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = fetch(https_server.https_url("/feed"), ALLOW)
    assert result.status == 200 and b"Tunnelled" in result.body
    assert proxy.seen == [f"CONNECT localhost:{https_server._server.server_port}"]
    # NO_PROXY: the same feed directly, over the pinned, checked connection.
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert b"Tunnelled" in fetch(https_server.https_url("/feed"), ALLOW).body
    assert len(proxy.seen) == 1 and len(https_server.requests_to("/feed")) == 2
