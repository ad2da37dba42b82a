"""Where one request's time goes, stage by stage, in microseconds, in process.

    cd bench && ../.venv/bin/python stages.py [--items 10000] [--requests 300] [--postgres [URL]]

Builds the app as the tests do (bot.web.WebApp around bot.app.build_app, the real
listener pool and ack hand-off), fills a fresh archive as bench/serving.py does, and
sends signed requests through the WSGI callable one at a time: `latest`, `search`,
`categories`, and App Home as a member and as an admin (the event until
views.publish has been answered by the fake Web API). Each stage is the inclusive
time of the functions named in STAGES, summed per request; the table shows the
median per request, and how many SQL statements a request ran.

No gunicorn: its HTTP parsing and writing come on top (bench/profile.py samples that).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import statistics
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlencode

from harness import (
    SIGNING_SECRET,
    FakeSlack,
    drop_postgres,
    fresh_database,
    fresh_postgres,
    postgres_url,
)
from search import CATEGORIES, SEARCHES, Generator, fill
from serving import link_to_sources, settle_counts
from sqlalchemy import event

from storage.db import SERVING_PAGE_CACHE_KIB, Database
from tests.conftest import app_environment
from tests.slack_requests import signature

_now: dict[str, int] = defaultdict(int)
_lock = threading.Lock()


def timed(owner, attribute: str, stage: str) -> None:
    """Wrap owner.attribute so each call adds its inclusive time to `stage`."""
    original = getattr(owner, attribute)
    if isinstance(original, staticmethod):
        original = original.__func__

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter_ns()
        try:
            return original(*args, **kwargs)
        finally:
            spent = time.perf_counter_ns() - started
            with _lock:
                _now[stage] += spent

    setattr(owner, attribute, wrapper)


def instrument(*databases: Database) -> None:
    """Timers on the request path (the names are the table's rows), once per process."""
    import slack_bolt.app.app as bolt_app
    import slack_bolt.listener.thread_runner as runner
    import slack_bolt.response.response as bolt_response
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_bolt.adapter.wsgi import handler as wsgi_handler
    from slack_bolt.request import request as bolt_request
    from slack_sdk import WebClient
    from slack_sdk.signature import SignatureVerifier

    import bot.answer_cache as answer_cache
    import bot.listeners.commands.categories as cmd_categories
    import bot.listeners.events.home as events_home
    import bot.listeners.events.retries as retries
    import bot.paging as paging
    from bot.listeners.commands.router import CommandRouter

    timed(bolt_request.BoltRequest, "__init__", "bolt: parse request")
    timed(bolt_app.App, "dispatch", "bolt: dispatch (all)")
    timed(runner.ThreadListenerRunner, "run", "bolt: listener runner (submit+wait)")
    timed(CommandRouter, "__call__", "listener: router (all)")
    timed(bolt_response.BoltResponse, "__init__", "bolt: response (json.dumps)")
    timed(wsgi_handler, "WsgiHttpResponse", "wsgi: response object")
    timed(SlackRequestHandler, "__call__", "wsgi: bolt handler (all)")
    timed(SignatureVerifier, "is_valid", "signature checks (web.py)")
    timed(retries, "claim_event", "storage: claim_event (App Home)")
    timed(paging.store, "latest_page", "storage: store.latest_page")
    # On the driver cursor: not in the statement count below (sql: rows).
    timed(answer_cache, "read_current", "storage: revision.read_current (driver cursor)")
    timed(paging.featured, "current", "storage: featured.current")
    timed(paging.featured, "front_page", "storage: featured.front_page")
    timed(paging.featured, "current_id", "storage: featured.current_id")
    timed(paging.search, "search", "storage: search.search")
    timed(cmd_categories, "category_list", "storage: category_list")
    timed(events_home, "load_home", "storage: load_home (all)")
    timed(paging, "item_list_message", "blocks: item_list_message")
    timed(cmd_categories, "categories_message", "blocks: categories_message")
    timed(events_home, "home_view", "blocks: home_view")
    timed(WebClient, "views_publish", "web api: views.publish (HTTP)")
    del bolt_app

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter_ns()

    def after(conn, cursor, statement, parameters, context, executemany):
        spent = time.perf_counter_ns() - conn.info.pop("started", time.perf_counter_ns())
        with _lock:
            _now["sql: statements (count)"] += 1000  # in the table's µs: one per statement
            _now["sql: cursor.execute"] += spent

    for db in databases:
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)


def environ_for(body: str, content_type: str) -> dict:
    ts = str(int(time.time()))
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
        "HTTP_X_SLACK_SIGNATURE": signature(SIGNING_SECRET, ts, body),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
    }


def command_environ(text: str, user: str = "UMEMBER") -> dict:
    form = {
        "token": "legacy-unused", "team_id": "T0001", "team_domain": "coop",
        "channel_id": "CNEWS", "channel_name": "news", "user_id": user,
        "user_name": user.lower(), "command": "/coopnews", "text": text,
        "api_app_id": "A0001", "is_enterprise_install": "false",
        "response_url": "http://127.0.0.1:1/response", "trigger_id": "1337.42.trigger",
    }  # fmt: skip
    return environ_for(urlencode(form), "application/x-www-form-urlencoded")


def home_environ(user: str = "UMEMBER") -> dict:
    envelope = {
        "token": "legacy-unused", "team_id": "T0001", "api_app_id": "A0001",
        "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home",
                  "event_ts": f"{time.time():.6f}"},
        "type": "event_callback", "event_id": f"Ev{uuid.uuid4().hex}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
    }  # fmt: skip
    return environ_for(json.dumps(envelope), "application/json")


def one(web, environ: dict, fake: FakeSlack | None = None) -> int:
    """Send one request; for App Home wait for its views.publish. Returns ns."""
    before = len(fake.calls_to("views.publish")) if fake else 0
    status = []
    started = time.perf_counter_ns()
    body = b"".join(web(environ, lambda s, h: status.append(s)))
    if fake:
        while len(fake.calls_to("views.publish")) <= before:
            time.sleep(0.00005)
    spent = time.perf_counter_ns() - started
    if not status[0].startswith("200"):
        raise RuntimeError(f"{status[0]}: {body[:200]!r}")
    return spent


def measure(web, make, requests: int, fake=None) -> dict[str, float]:
    per_stage: dict[str, list[int]] = defaultdict(list)
    for number in range(requests + 20):
        environ = make(number)
        # Let the previous request's listener end (an App Home publishes after its ack).
        time.sleep(0.002)
        with _lock:
            _now.clear()
        total = one(web, environ, fake)
        time.sleep(0.002)
        if number < 20:
            continue  # warm-up
        with _lock:
            snapshot = dict(_now)
        per_stage["total (WSGI call)"].append(total)
        for stage, spent in snapshot.items():
            per_stage[stage].append(spent)
    return {stage: statistics.median(v + [0] * (requests - len(v))) / 1000
            for stage, v in per_stage.items()}  # fmt: skip


def build(url: str, fake: FakeSlack, **extra: str):
    from bot.app import build_app
    from bot.deps import build_deps
    from bot.settings import load_settings
    from bot.web import WebApp

    settings = load_settings(app_environment(url, fake, **extra))
    db = Database(url, page_cache_kib=SERVING_PAGE_CACHE_KIB)
    deps = build_deps(settings, db)
    app = build_app(deps, signatures_checked_before=True)  # as bot.web.build_web does
    for middleware in app._middleware_list:
        name = getattr(middleware, "name", None) or type(middleware).__name__
        timed(middleware, "process", f"bolt middleware: {name}")
    for listener in app._listeners:
        timed(listener, "matches", "bolt: listener matching (all listeners)")
        timed(listener, "run_middleware", "bolt: listener middleware")
    return WebApp(app, db, settings.signing_secret or ""), db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", nargs="?", const="", default=None)
    args = parser.parse_args()
    server = postgres_url(args.postgres or None) if args.postgres is not None else None
    url, _work = fresh_database(None)
    if server:
        url = fresh_postgres(server)
    try:
        filler = Database(url)
        fill(filler, Generator(), 0, args.items)
        link_to_sources(filler)
        settle_counts(filler)
        filler.dispose()
        fake = FakeSlack().start()
        fake.add_user("UMEMBER")
        member, db = build(url, fake)
        admin, admin_db = build(url, fake, COOPNEWS_ADMINS="UMEMBER")
        instrument(db, admin_db)
        latests = ["latest", "latest 10", "latest 20"] + [f"latest 10 {c}" for c in CATEGORIES[:4]]
        searches = [f"search {q}" for q in SEARCHES]
        rows = {
            "latest": measure(member, lambda n: command_environ(latests[n % len(latests)]),
                              args.requests),
            "search": measure(member, lambda n: command_environ(searches[n % len(searches)]),
                              args.requests),
            "categories": measure(member, lambda n: command_environ("categories"), args.requests),
            "home member": measure(member, lambda n: home_environ(), args.requests // 2, fake),
            "home admin": measure(admin, lambda n: home_environ(), args.requests // 2, fake),
        }  # fmt: skip
        fake.stop()
        db.dispose()
        admin_db.dispose()
    finally:
        if server:
            drop_postgres(server, url)
    names = list(rows)
    stages = sorted({s for r in rows.values() for s in r})
    backend = "postgresql" if server else "sqlite"
    print(f"\n{backend}, {args.items:,} items: median µs per request (stages overlap: "
          "'(all)' rows include the rows under them)\n")  # fmt: skip
    print("| stage | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for stage in ["total (WSGI call)"] + [s for s in stages if s != "total (WSGI call)"]:
        cells = []
        for name in names:
            value = rows[name].get(stage, 0)
            cells.append(f"{value:.1f}" if "(count)" in stage else f"{value:.0f}")
        print(f"| {stage} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
