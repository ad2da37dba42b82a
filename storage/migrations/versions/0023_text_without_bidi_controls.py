"""stored text without bidi embedding, override and isolate controls

Text from outside (feeds, listings, pages, commands, forms) now loses the
explicit bidirectional formatting characters of UAX #9 where it enters
(domain.text.remove_control_characters): one left open in a title or a category
reverses the text shown after it ("Trojan Source", CVE-2021-42574). Rows stored
before kept them, and would go on showing them in Slack and on the public pages;
this migration cleans them once, with the rule as it stands at this revision
(BIDI_CONTROLS below, frozen here: the live rule may grow).

- One-line fields (titles, category spellings, a site's name) lose the
  characters and have their whitespace folded again, as when they are stored;
  texts (summaries, a rejection's reason, typed rules) only lose the characters.
  A value left empty is NULL (a category of controls only had no key already),
  except a title, which is required: it keeps its controls' place as "untitled".
- Only rows holding one of them are read and written (one LIKE per character
  and column), so a clean store costs one scan per table.
- items' UPDATEs fire the usual triggers: the search documents are written
  again, category counts get their deltas (a category's key already ignored
  these characters, so it is the spelling that changes, not the key), and the
  data revision moves, so no cached answer shows the old text.

Downgrade does nothing: the characters removed cannot be told back.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# LRE RLE PDF LRO RLO (U+202A–U+202E) and LRI RLI FSI PDI (U+2066–U+2069).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BATCH = 500

# table -> (one-line columns, text columns); every table has an integer `id`.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "items": (("title", "category"), ("summary",)),
    "sources": (("title", "category"), ()),
    "suggestions": (("title", "category", "site_name"), ("summary", "reason")),
    "scheduled_items": (("title", "category"), ("summary",)),
    "audit_log": (("item_title",), ("details",)),
    "follows": ((), ("keywords",)),
    "subscriptions": ((), ("categories", "matching", "excluding")),
}

_REMOVE = str.maketrans(dict.fromkeys(BIDI_CONTROLS))


REQUIRED = frozenset(["title", "item_title"])


def cleaned(value: str | None, column: str, one_line: bool) -> str | None:
    """`value` without BIDI_CONTROLS; a one-line value's whitespace folded too; an
    emptied value NULL, or "untitled" for a required title."""
    if value is None or not any(char in value for char in BIDI_CONTROLS):
        return value
    value = value.translate(_REMOVE)
    if one_line:
        value = " ".join(value.split())
    if value.strip():
        return value
    return "untitled" if column in REQUIRED else None


def upgrade() -> None:
    connection = op.get_bind()
    for table, (lines, texts) in COLUMNS.items():
        _clean_table(connection, table, lines, texts)


def downgrade() -> None:
    pass


def _clean_table(
    connection: sa.Connection, table: str, lines: tuple[str, ...], texts: tuple[str, ...]
) -> None:
    columns = lines + texts
    patterns = {f"p{n}": f"%{char}%" for n, char in enumerate(BIDI_CONTROLS)}
    holding = " OR ".join(f"{column} LIKE :{name}" for column in columns for name in patterns)
    rows = connection.execute(
        sa.text(f"SELECT id, {', '.join(columns)} FROM {table} WHERE {holding}"), patterns
    ).all()
    updates = []
    for row in rows:
        values = dict(zip(columns, row[1:], strict=True))
        new = {c: cleaned(values[c], c, one_line=c in lines) for c in columns}
        if new != values:
            updates.append({"id": row[0], **new})
    assignments = ", ".join(f"{column} = :{column}" for column in columns)
    statement = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id")
    for start in range(0, len(updates), BATCH):
        connection.execute(statement, updates[start : start + BATCH])
