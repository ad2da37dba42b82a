"""Bench: curation over HTTP at 100,000 items, against the Procfile's web process.

    .venv/bin/python bench/curation.py [--items 100000] [--requests 100] [--database-url URL]

Prints figures; asserts nothing. What matters:
- `/coopnews add` -> views.open: Slack's trigger_id lives 3 seconds;
- a modal submission's ack (validation, duplicate check, insert + audit): Slack waits 3 s;
- `latest` for an admin (with the Edit/Delete menu) beside a member's.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from harness import SIGNING_SECRET, FakeSlack, fresh_database, start_web, summary
from latest import listing
from sqlalchemy import text

from sources.importer import import_listing_text
from storage.db import Database
from storage.models import Delivery
from tests.curation_payloads import form_values, submission_of
from tests.slack_requests import SlackSender


def ms(start: float, end: float | None = None) -> float:
    return ((end if end is not None else time.perf_counter()) - start) * 1000


def line(name: str, samples: list[float]) -> None:
    p50, p99 = summary(samples)
    print(f"  {name:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(samples)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    url, workdir = fresh_database(args.database_url)
    db = Database(url)
    import_listing_text(db, listing(args.items))
    if db.engine.dialect.name == "postgresql":
        # Steady state: autovacuum analyses a freshly bulk-loaded table soon after.
        # Without statistics the planner picks seq scans (latest: 25 ms, not 1 ms).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE items"))

    fake = FakeSlack().start()
    fake.add_user("UADMIN", admin=True)
    fake.add_user("UMEMBER")
    web = start_web(url, fake, workdir)
    slack = SlackSender(web.url, SIGNING_SECRET, fake.response_url())
    n = args.requests
    try:
        # Warm up: users.info is cached after the first request of each user.
        slack.command("latest", user_id="UADMIN")
        slack.command("latest", user_id="UMEMBER")

        open_ms, views = [], []
        for i in range(n):
            before = len(fake.calls_to("views.open"))
            start = time.perf_counter()
            slack.command("add", user_id="UADMIN", trigger_id=f"{i}.bench")
            call = fake.wait_for("views.open", count=before + 1)[-1]
            open_ms.append(ms(start, _as_perf(call.at)))
            views.append(call.params["view"])

        add_ms = []
        for i, view in enumerate(views):
            values = form_values(
                title=f"Bench item {i}", link=f"https://example.org/bench/{i}", new_category="Bench"
            )
            start = time.perf_counter()
            response = slack.interaction(submission_of(view, "UADMIN", values))
            add_ms.append(ms(start))
            assert response.status_code == 200 and not response.text, response.text

        duplicate_ms = []
        for i, view in enumerate(views):
            values = form_values(title=f"Again {i}", link=f"https://example.org/bench/{i}")
            start = time.perf_counter()
            slack.interaction(submission_of(view, "UADMIN", values))
            duplicate_ms.append(ms(start))

        # One item shown in 20 channels: an edit updates 20 messages.
        item_id = _newest_admin_item(db)
        with db.transaction() as session:
            session.add_all(
                Delivery(
                    item_id=item_id,
                    channel_id=f"C{c:04d}",
                    state="posted",
                    message_ts=f"1700000000.{c:06d}",
                    posted_at=datetime.now(UTC),
                )
                for c in range(20)
            )
        slack.interaction(_menu(item_id))
        edit_view = fake.wait_for("views.open", count=n + 1)[-1].params["view"]
        edit_ms, fixed_ms = [], []
        for i in range(min(n, 20)):
            before = len(fake.calls_to("chat.update"))
            values = form_values(title=f"Corrected {i}", link=f"https://example.org/fixed/{i}")
            start = time.perf_counter()
            slack.interaction(submission_of(edit_view, "UADMIN", values))
            edit_ms.append(ms(start))
            calls = fake.wait_for("chat.update", count=before + 20, timeout=30)
            fixed_ms.append(ms(start, _as_perf(calls[-1].at)))

        latest_admin, latest_member = [], []
        for _ in range(n):
            start = time.perf_counter()
            slack.command("latest 20", user_id="UADMIN")
            latest_admin.append(ms(start))
            start = time.perf_counter()
            slack.command("latest 20", user_id="UMEMBER")
            latest_member.append(ms(start))
    finally:
        web.stop()
        fake.stop()
        db.dispose()

    print(f"curation over HTTP at {args.items:,} items:")
    line("/coopnews add -> views.open recorded", open_ms)
    line("add submission -> ack (validate, insert, audit)", add_ms)
    line("duplicate link submission -> inline error", duplicate_ms)
    line("edit submission -> ack", edit_ms)
    line("edit submission -> 20th chat.update recorded", fixed_ms)
    line("latest 20, admin (with menus)", latest_admin)
    line("latest 20, member", latest_member)


_PERF_OFFSET = time.perf_counter() - time.monotonic()


def _as_perf(monotonic_at: float) -> float:
    """The fake stamps calls with time.monotonic(); compare on one clock."""
    return monotonic_at + _PERF_OFFSET


def _newest_admin_item(db: Database) -> int:
    from sqlalchemy import select

    from storage.models import Item

    with db.reading() as session:
        return session.scalar(
            select(Item.id).where(Item.origin == "admin").order_by(Item.id.desc()).limit(1)
        )


def _menu(item_id: int) -> dict:
    from tests.curation_payloads import menu_click

    return menu_click("UADMIN", f"edit:{item_id}", trigger_id="edit.bench")


if __name__ == "__main__":
    main()
