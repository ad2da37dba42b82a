"""title bits: a 256-bit signature of each title's words in the date index (PostgreSQL)

A search's title group (storage/search_tsvector.py) expected to hold a few hundred
matches or more at 1,000,000 items was either sorted (every match fetched from
items_search's heap through the GIN index, for its date) or walked along
ix_items_search_newest (every row walked fetched from the heap for its documents).
Either way thousands of random heap pages a search: 15-35 ms warm, and on a store
bigger than the server's cache most of a miss's time (a page read from disk each).

items_search.title_bits is a signature of the title document: bit `b` is set when
some lexeme of the title hashes to `b` (the first byte of its md5), 256 bits. It is
a generated column (computed by PostgreSQL from title_document on every insert and
update: the triggers of migrations 0006/0021 and storage/bulk.py's insert write it
without naming it). ix_items_search_newest now carries it (INCLUDE), so a walk
newest first can sieve the rows in the index alone (index-only): a row whose bits
miss one of the query's words cannot match, and only the rows left (the matches and
about one in 200 others for two words) are read from the heap and matched.

coopnews_lexeme_bits(text[]) computes a signature; coopnews_term_bits(text) the bits
of one query word's forms (all ones when they have no lexeme: no constraint);
coopnews_bits_meet(a, b) whether two signatures share a bit.

Existing rows: the ADD COLUMN rewrites items_search (a generated column is stored);
the date index is dropped first and built again after with the bits. A rewritten
table has no page marked all-visible until a VACUUM (README "Deploy"). New rows are
on pages not all-visible either, and they are the newest, where every walk starts:
on PostgreSQL 13 and later autovacuum visits items_search after every 10,000 inserts
(by default after a fifth of the table: 200,000 at 1,000,000 items). SQLite: nothing.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

BITS = "bit(256)"
ZERO = "repeat('0', 256)::bit(256)"

POSTGRES_UP = [
    # Writers wait until the migration commits (the app's own processes upgrade first).
    "LOCK TABLE items IN SHARE MODE",
    "SET LOCAL maintenance_work_mem = '256MB'",
    f"""CREATE OR REPLACE FUNCTION coopnews_lexeme_bits(lexemes text[]) RETURNS {BITS}
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT coalesce(bit_or(set_bit({ZERO}, get_byte(decode(md5(lexeme), 'hex'), 0), 1)),
                              {ZERO})
              FROM unnest(lexemes) AS lexeme $$""",
    f"""CREATE OR REPLACE FUNCTION coopnews_term_bits(forms text) RETURNS {BITS}
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT CASE WHEN bits IS NULL OR bits = {ZERO} THEN ~{ZERO} ELSE bits END
              FROM (SELECT coopnews_lexeme_bits(tsvector_to_array(
                        coopnews_search_document(forms))) AS bits) AS term $$""",
    f"""CREATE OR REPLACE FUNCTION coopnews_bits_meet(a {BITS}, b {BITS}) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT (a & b) <> {ZERO} $$""",
    "DROP INDEX ix_items_search_newest",
    f"""ALTER TABLE items_search ADD COLUMN title_bits {BITS}
        GENERATED ALWAYS AS (coopnews_lexeme_bits(tsvector_to_array(title_document))) STORED""",
    """CREATE INDEX ix_items_search_newest ON items_search (published_at DESC, item_id DESC)
        INCLUDE (title_bits) WHERE published_at IS NOT NULL""",
    "ANALYZE items_search",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_items_search_newest",
    "ALTER TABLE items_search DROP COLUMN title_bits",
    """CREATE INDEX ix_items_search_newest ON items_search (published_at DESC, item_id DESC)
        WHERE published_at IS NOT NULL""",
    "DROP FUNCTION IF EXISTS coopnews_bits_meet(bit, bit)",
    "DROP FUNCTION IF EXISTS coopnews_term_bits(text)",
    "DROP FUNCTION IF EXISTS coopnews_lexeme_bits(text[])",
]


# Autovacuum after every VACUUM_INSERTS new rows (PostgreSQL 13's insert thresholds).
VACUUM_INSERTS = 10_000
INSERT_VACUUM = ("autovacuum_vacuum_insert_threshold", "autovacuum_vacuum_insert_scale_factor")


def _insert_vacuum_known() -> bool:
    return op.get_bind().dialect.server_version_info >= (13,)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POSTGRES_UP:
        op.execute(statement)
    if _insert_vacuum_known():
        op.execute(
            f"ALTER TABLE items_search SET ({INSERT_VACUUM[0]} = {VACUUM_INSERTS},"
            f" {INSERT_VACUUM[1]} = 0)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    if _insert_vacuum_known():
        op.execute(f"ALTER TABLE items_search RESET ({', '.join(INSERT_VACUUM)})")
    for statement in POSTGRES_DOWN:
        op.execute(statement)
