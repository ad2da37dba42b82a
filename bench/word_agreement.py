"""Do typed words find the same items on SQLite and PostgreSQL? A check, not a timing.

Every compatibility character that domain.words.fold_compatibility changes
(superscripts and subscripts, fractions, circled, parenthesised and full-width
forms, ligatures, number forms, mathematical letters: about 2,800), typed after a
word (`coop²`) and inside a phrase (`"coop² x"`), is searched for among a few
plain items in FTS5 (unicode61, diacritics removed, as migration 0006) and in a
PostgreSQL tsvector of unaccented text (as 0006), the query built as
storage/search.py builds it on each. Prints how many typed queries the two
databases answer differently, with the words cut as before (no fold) and as now,
from the same run, and the characters that still differ.

`DATABASE_URL=postgresql://… python bench/word_agreement.py` (a PostgreSQL
database where `CREATE EXTENSION unaccent` is allowed; only a temporary table is
made).
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

import domain.words as words  # noqa: E402
from storage.db import normalise_url  # noqa: E402

DOCS = ["coop", "coop2", "coopa", "coop1", "coop12", "coop 2", "finance", "coopx", "coopxii"]
WORD = re.compile(r"[^\W_]+")


def characters() -> list[str]:
    found = []
    for code in range(0xA0, 0x30000):
        char = chr(code)
        if unicodedata.category(char) in ("Cn", "Cs", "Co"):
            continue
        if words.fold_compatibility(char) != char:
            found.append(char)
    return found


def main() -> None:
    url = normalise_url(os.environ["DATABASE_URL"]).replace(
        "postgresql+psycopg://", "postgresql://"
    )
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
    lite.executemany("INSERT INTO t VALUES (?)", [(d,) for d in DOCS])
    pg = psycopg.connect(url, autocommit=True)
    pg.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    pg.execute("CREATE TEMP TABLE t (id int, v tsvector)")
    for n, doc in enumerate(DOCS, 1):
        pg.execute(
            "INSERT INTO t VALUES (%s, to_tsvector('simple', unaccent('unaccent', %s)))", (n, doc)
        )

    def answers(query: words.SearchQuery) -> tuple[list[int], list[int]]:
        texts = list(query.words) + [" ".join(p) for p in query.phrases]
        expression = " AND ".join(f'"{t}"' for t in texts)
        on_sqlite = sorted(
            r[0] for r in lite.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))
        )
        lexemes = []
        for text in texts:  # storage/search.py: unaccent, cut again, to_tsquery
            folded = pg.execute("SELECT unaccent('unaccent', %s)", (text,)).fetchone()[0]
            lexemes += [w.casefold() for w in WORD.findall(folded)]
        tsquery = " & ".join(f"'{w}'" for w in lexemes)
        on_pg = []
        if tsquery:
            on_pg = sorted(
                r[0]
                for r in pg.execute(
                    "SELECT id FROM t WHERE v @@ to_tsquery('simple', unaccent('unaccent', %s))",
                    (tsquery,),
                )
            )
        return on_sqlite, on_pg

    chars = characters()
    fold = words.fold_compatibility
    counts = {}
    still = []
    for label, folding in (("before (no fold)", lambda text: text), ("now", fold)):
        words.fold_compatibility = folding
        differ = 0
        for char in chars:
            for typed in (f"coop{char}", f'"coop{char} x"'):
                query = words.parse_query(typed)
                if query and (pair := answers(query))[0] != pair[1]:
                    differ += 1
                    if label == "now":
                        still.append(f"U+{ord(char):04X} {unicodedata.name(char, '?')}")
        counts[label] = differ
    words.fold_compatibility = fold
    print(f"{len(chars)} characters, {2 * len(chars)} typed queries")
    for label, differ in counts.items():
        print(f"  answered differently, {label}: {differ}")
    for line in sorted(set(still)):
        print(f"  still differs: {line}")


if __name__ == "__main__":
    main()
