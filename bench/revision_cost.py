"""What the data revision's triggers (migration 0019) cost an import.

`coopnews import` of the same ILO listing (bench/ingest.py's import_run, a process
of its own) into two fresh stores, one as migrated and one with the revision
triggers dropped, alternating which goes first; best of each. bench/table.py's
import ratio cannot show this cost: its raw load keeps every trigger but the
search one, so it pays the revision triggers too.

    .venv/bin/python bench/revision_cost.py --entries 10000 100000 --rounds 3
    .venv/bin/python bench/revision_cost.py --postgres        # PostgreSQL too
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
from pathlib import Path

from harness import drop_postgres, fresh_database, fresh_postgres, postgres_url
from ingest import import_run, write_listing
from sqlalchemy import text

from storage.db import Database

SQLITE_TRIGGERS = [
    "items_revision_insert",
    "items_revision_update",
    "items_revision_delete",
    "featured_revision_insert",
    "featured_revision_update",
    "featured_revision_delete",
]
POSTGRES_TRIGGERS = ["items_revision ON items", "featured_revision ON featured"]


def without_triggers(url: str) -> None:
    db = Database(url)
    try:
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as connection:
            for name in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
                connection.execute(text(f"DROP TRIGGER {name}"))
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[10_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", nargs="?", const="", default=None)
    args = parser.parse_args()
    server = postgres_url(args.postgres or None) if args.postgres is not None else None
    work = Path(tempfile.mkdtemp(prefix="coopnews-revision-"))
    atexit.register(shutil.rmtree, work, True)
    for backend in ["sqlite"] + (["postgresql"] if server else []):
        for entries in args.entries:
            listing = write_listing(work / f"listing-{entries}.txt", entries)
            rates: dict[str, list[float]] = {"with": [], "without": []}
            for number in range(args.rounds):
                order = ["with", "without"] if number % 2 == 0 else ["without", "with"]
                for kind in order:
                    url = fresh_postgres(server) if backend == "postgresql" else None
                    url, _ = fresh_database(url)
                    if kind == "without":
                        without_triggers(url)
                    seconds, _peak, line = import_run(url, listing)
                    rates[kind].append(entries / seconds)
                    if backend == "postgresql":
                        drop_postgres(server, url)
            best = {kind: max(values) for kind, values in rates.items()}
            load = os.getloadavg()
            print(
                f"{backend} {entries:,} entries: import items/s with revision triggers "
                f"{best['with']:,.0f}, without {best['without']:,.0f} "
                f"(ratio {best['with'] / best['without']:.2f}; best of {args.rounds}); "
                f"load {load[0]:.1f} / {load[1]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
