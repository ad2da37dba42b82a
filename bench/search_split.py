"""How long does migration 0024 (search documents split at punctuation) take on a
PostgreSQL store? It writes every items_search row again with the new
coopnews_search_document and rebuilds the GIN and date indexes, then the upgrade
VACUUMs the table (storage.db.VACUUM_AFTER). Baseline, interleaved: its downgrade,
which does the same work with migration 0006's function (no punctuation split).

    BENCH_DB_PREFIX=bench_me_ .venv/bin/python bench/search_split.py \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres --items 100000

The store is filled by bench/search.py's generator (its texts are mostly ASCII: the
regular expression for non-ASCII separators runs on the rows that are not); the
scratch database is dropped at the end. No asserts: figures.
"""

from __future__ import annotations

import argparse
import os
import time

from alembic import command
from harness import drop_postgres, empty_postgres
from search import Generator, fill
from sqlalchemy import text

from storage.db import Database, alembic_config, upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="a server URL")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    url = empty_postgres(args.postgres)
    try:
        config = alembic_config(url)
        command.upgrade(config, "0023")
        db = Database(url)
        fill(db, Generator(), 0, args.items)
        with db.reading() as session:
            ascii_rows = session.scalar(
                text(
                    "SELECT count(*) FROM items WHERE octet_length(title || coalesce(summary, ''))"
                    " = char_length(title || coalesce(summary, ''))"
                )  # fmt: skip
            )
        db.dispose()
        print(f"  {ascii_rows:,} of {args.items:,} items are ASCII only")
        ups, downs = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            upgrade(url)  # 0024, then VACUUM (ANALYZE) items_search
            ups.append(time.perf_counter() - started)
            started = time.perf_counter()
            command.downgrade(config, "0023")  # the baseline: 0006's function
            downs.append(time.perf_counter() - started)
        print(f"migration 0024 on {args.items:,} items, seconds (best of {args.rounds})")
        print(f"  up (split documents, with its VACUUM): {min(ups):.2f}  all: {ups}")
        print(f"  down (0006's documents, no VACUUM):    {min(downs):.2f}  all: {downs}")
    finally:
        drop_postgres(args.postgres, url)


if __name__ == "__main__":
    main()
