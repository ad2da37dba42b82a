"""What Unicode-normalised category keys (storage.categories, migration 0020) cost.

    cd bench && ../.venv/bin/python category_keys.py [--items 100000] [--postgres URL]

1. Per name: the old key (trimmed, case-folded) beside category_key + category_spelling,
   uncached (every name new) and cached (an import repeats a few categories), on
   ASCII, precomposed and decomposed names; and storage.store.item_row per draft,
   which calls both, for scale. Interleaved rounds, best of each.
2. Migration 0020 on a store at 0019 of N items in 20 categories: with nothing to
   re-key (ASCII names: the baseline, one SELECT DISTINCT and the recount) and with
   a third of the items decomposed (NFD) and a third with a no-break space.
Figures, no asserts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import timeit
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from harness import drop_postgres, empty_postgres  # (harness puts the project on sys.path)
from sqlalchemy import create_engine, text

from domain.items import ItemDraft
from storage.categories import category_key, category_spelling
from storage.db import alembic_config, upgrade
from storage.store import item_row

NAMES = {
    "ascii": [f"Cooperative news {n}" for n in range(20)],
    "nfc": [unicodedata.normalize("NFC", f"Économie sociale {n}") for n in range(20)],
    "nfd": [unicodedata.normalize("NFD", f"Économie sociale {n}") for n in range(20)],
}


def old_key(category: str | None) -> str | None:
    return category.strip().casefold() if category and category.strip() else None


def new_uncached(category: str | None) -> tuple:
    key = category_key.__wrapped__(category)
    spelled = " ".join(unicodedata.normalize("NFC", category).split()) if key else None
    return key, spelled


def new_cached(category: str | None) -> tuple:
    return category_key(category), category_spelling(category)


def per_call(rounds: int = 7, number: int = 20_000) -> None:
    print("1. per name, µs (best of", rounds, "interleaved rounds)")
    print(f"{'names':8} {'old key':>9} {'new, uncached':>14} {'new, cached':>12}")
    for kind, names in NAMES.items():
        best = {"old": 1e9, "uncached": 1e9, "cached": 1e9}
        for _ in range(rounds):
            for label, fn in (("old", old_key), ("uncached", new_uncached), ("cached", new_cached)):
                t = timeit.timeit(
                    lambda fn=fn, names=names: [fn(n) for n in names], number=number // 20
                )
                best[label] = min(best[label], t / number * 1e6)
        print(f"{kind:8} {best['old']:9.3f} {best['uncached']:14.3f} {best['cached']:12.3f}")
    drafts = [
        ItemDraft(title=f"Title {i}", published_at=datetime(2026, 11, 1, tzinfo=UTC),
                  origin="feed", url=f"https://x.example/{i}", category=NAMES["nfd"][i % 20])
        for i in range(2000)
    ]  # fmt: skip
    now = datetime.now(UTC)
    best = min(
        timeit.timeit(lambda: [item_row(d, "f" * 64, now) for d in drafts], number=1)
        for _ in range(rounds)
    )
    print(f"storage.store.item_row (it calls both): {best / len(drafts) * 1e6:.2f} µs per draft")


def fill(url: str, items: int, hostile: bool) -> None:
    engine = create_engine(url)
    day = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(items):
        n = i % 20
        if hostile and i % 3 == 1:
            name = NAMES["nfd"][n]
        elif hostile and i % 3 == 2:
            name = f"Économie\u00a0sociale {n}"
        else:
            name = NAMES["nfc"][n] if hostile else NAMES["ascii"][n]
        rows.append({"t": f"t{i}", "c": name, "k": old_key(name),
                     "p": day + timedelta(minutes=i), "f": f"f{i}", "a": True})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (title, category, category_key, published_at, origin,"
                " fingerprint, created_at, updated_at, announce)"
                " VALUES (:t, :c, :k, :p, 'feed', :f, :p, :p, :a)"
            ),
            rows,
        )
    engine.dispose()


def migrate(url: str, items: int, hostile: bool) -> float:
    command.upgrade(alembic_config(url), "0019")
    fill(url, items, hostile)
    started = time.perf_counter()
    upgrade(url)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--postgres", help="a server URL; scratch databases are made and dropped")
    args = parser.parse_args()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    per_call()
    print(f"\n2. migration 0020 on {args.items:,} items, seconds (baseline: nothing to re-key)")
    with tempfile.TemporaryDirectory() as folder:
        for database in ["sqlite"] + (["postgresql"] if args.postgres else []):
            times = {}
            for run, hostile in enumerate((False, True, False, True)):  # interleaved, best of 2
                if database == "sqlite":
                    url = f"sqlite:///{Path(folder) / f'run_{run}.db'}"
                else:
                    url = empty_postgres(args.postgres)
                try:
                    spent = migrate(url, args.items, hostile)
                finally:
                    if database == "postgresql":
                        drop_postgres(args.postgres, url)
                    else:
                        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                label = "2/3 to re-key" if hostile else "nothing to re-key"
                times[label] = min(times.get(label, 1e9), spent)
            print(f"{database:10}", "  ".join(f"{k}: {v:.2f}" for k, v in times.items()))
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
