"""search documents split at punctuation, as SQLite's do (PostgreSQL)

SQLite's FTS5 tokenizer (unicode61, migration 0006) splits text at every character
that is not a letter or a digit. PostgreSQL's text-search parser builds compound
tokens instead: "COVID-19" was stored as `covid` and `-19`, "1.5" as `1.5`, "co-op"
as `co-op`, `co`, `op`, and host names, URLs, e-mail addresses and file paths as one
token each. Typed words are split at punctuation (domain/words.py), so a search for
"COVID-19" or "1.5" found nothing on PostgreSQL, nor any word inside a URL.

coopnews_search_document(body) now hands the parser text in which every
punctuation, symbol, separator and control character (Unicode categories P*, S*,
Z*, Cc, Cf; SEPARATORS below, frozen from Unicode 14.0 as Python 3.11 reads it;
unicode61 separates them all too, as it keeps only L*, N* and Co) is a space, so the parser sees only words of letters and
digits, and its tokens are SQLite's:

- non-ASCII ones first, by code point ranges (locale-independent: under a C locale
  PostgreSQL's regular expressions and parser take every non-ASCII character for a
  letter), before unaccent, which writes "©" as "(C)" and "«" as "<<";
- ASCII ones after unaccent, which writes some letters and numbers with them ("ŉ"
  as "'n", "½" as " 1/2", "⒈" as "1.").

Existing rows: every title_document and document is written again, as 0021 did
(the GIN indexes and the date index dropped first and built again after; the
generated title_bits of 0022 follows its title_document). Queries need nothing
new: their words are letters and digits already (domain/words.py), and
coopnews_term_bits reads them through this function. SQLite: nothing.

Downgrade restores 0006's function and writes every row again with it.

Revision ID: 0024
Revises: 0023
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# Non-ASCII code points of Unicode 14.0's categories P*, S*, Z*, Cc and Cf, as ranges
# of a regular expression's bracket (ARE escapes: no invisible characters in this file).
SEPARATORS = (
    r"\u0080-\u00A9\u00AB-\u00B1\u00B4\u00B6-\u00B8\u00BB\u00BF\u00D7\u00F7"
    r"\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02EB\u02ED\u02EF-\u02FF\u0375\u037E"
    r"\u0384-\u0385\u0387\u03F6\u0482\u055A-\u055F\u0589-\u058A\u058D-\u058F\u05BE"
    r"\u05C0\u05C3\u05C6\u05F3-\u05F4\u0600-\u060F\u061B-\u061F\u066A-\u066D\u06D4"
    r"\u06DD-\u06DE\u06E9\u06FD-\u06FE\u0700-\u070D\u070F\u07F6-\u07F9\u07FE-\u07FF"
    r"\u0830-\u083E\u085E\u0888\u0890-\u0891\u08E2\u0964-\u0965\u0970\u09F2-\u09F3"
    r"\u09FA-\u09FB\u09FD\u0A76\u0AF0-\u0AF1\u0B70\u0BF3-\u0BFA\u0C77\u0C7F\u0C84"
    r"\u0D4F\u0D79\u0DF4\u0E3F\u0E4F\u0E5A-\u0E5B\u0F01-\u0F17\u0F1A-\u0F1F\u0F34"
    r"\u0F36\u0F38\u0F3A-\u0F3D\u0F85\u0FBE-\u0FC5\u0FC7-\u0FCC\u0FCE-\u0FDA"
    r"\u104A-\u104F\u109E-\u109F\u10FB\u1360-\u1368\u1390-\u1399\u1400\u166D-\u166E"
    r"\u1680\u169B-\u169C\u16EB-\u16ED\u1735-\u1736\u17D4-\u17D6\u17D8-\u17DB"
    r"\u1800-\u180A\u180E\u1940\u1944-\u1945\u19DE-\u19FF\u1A1E-\u1A1F\u1AA0-\u1AA6"
    r"\u1AA8-\u1AAD\u1B5A-\u1B6A\u1B74-\u1B7E\u1BFC-\u1BFF\u1C3B-\u1C3F\u1C7E-\u1C7F"
    r"\u1CC0-\u1CC7\u1CD3\u1FBD\u1FBF-\u1FC1\u1FCD-\u1FCF\u1FDD-\u1FDF\u1FED-\u1FEF"
    r"\u1FFD-\u1FFE\u2000-\u2064\u2066-\u206F\u207A-\u207E\u208A-\u208E\u20A0-\u20C0"
    r"\u2100-\u2101\u2103-\u2106\u2108-\u2109\u2114\u2116-\u2118\u211E-\u2123\u2125"
    r"\u2127\u2129\u212E\u213A-\u213B\u2140-\u2144\u214A-\u214D\u214F\u218A-\u218B"
    r"\u2190-\u2426\u2440-\u244A\u249C-\u24E9\u2500-\u2775\u2794-\u2B73\u2B76-\u2B95"
    r"\u2B97-\u2BFF\u2CE5-\u2CEA\u2CF9-\u2CFC\u2CFE-\u2CFF\u2D70\u2E00-\u2E2E"
    r"\u2E30-\u2E5D\u2E80-\u2E99\u2E9B-\u2EF3\u2F00-\u2FD5\u2FF0-\u2FFB\u3000-\u3004"
    r"\u3008-\u3020\u3030\u3036-\u3037\u303D-\u303F\u309B-\u309C\u30A0\u30FB"
    r"\u3190-\u3191\u3196-\u319F\u31C0-\u31E3\u3200-\u321E\u322A-\u3247\u3250"
    r"\u3260-\u327F\u328A-\u32B0\u32C0-\u33FF\u4DC0-\u4DFF\uA490-\uA4C6\uA4FE-\uA4FF"
    r"\uA60D-\uA60F\uA673\uA67E\uA6F2-\uA6F7\uA700-\uA716\uA720-\uA721\uA789-\uA78A"
    r"\uA828-\uA82B\uA836-\uA839\uA874-\uA877\uA8CE-\uA8CF\uA8F8-\uA8FA\uA8FC"
    r"\uA92E-\uA92F\uA95F\uA9C1-\uA9CD\uA9DE-\uA9DF\uAA5C-\uAA5F\uAA77-\uAA79"
    r"\uAADE-\uAADF\uAAF0-\uAAF1\uAB5B\uAB6A-\uAB6B\uABEB\uFB29\uFBB2-\uFBC2"
    r"\uFD3E-\uFD4F\uFDCF\uFDFC-\uFDFF\uFE10-\uFE19\uFE30-\uFE52\uFE54-\uFE66"
    r"\uFE68-\uFE6B\uFEFF\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65"
    r"\uFFE0-\uFFE6\uFFE8-\uFFEE\uFFF9-\uFFFD\U00010100-\U00010102"
    r"\U00010137-\U0001013F\U00010179-\U00010189\U0001018C-\U0001018E"
    r"\U00010190-\U0001019C\U000101A0\U000101D0-\U000101FC\U0001039F\U000103D0"
    r"\U0001056F\U00010857\U00010877-\U00010878\U0001091F\U0001093F"
    r"\U00010A50-\U00010A58\U00010A7F\U00010AC8\U00010AF0-\U00010AF6"
    r"\U00010B39-\U00010B3F\U00010B99-\U00010B9C\U00010EAD\U00010F55-\U00010F59"
    r"\U00010F86-\U00010F89\U00011047-\U0001104D\U000110BB-\U000110C1\U000110CD"
    r"\U00011140-\U00011143\U00011174-\U00011175\U000111C5-\U000111C8\U000111CD"
    r"\U000111DB\U000111DD-\U000111DF\U00011238-\U0001123D\U000112A9"
    r"\U0001144B-\U0001144F\U0001145A-\U0001145B\U0001145D\U000114C6"
    r"\U000115C1-\U000115D7\U00011641-\U00011643\U00011660-\U0001166C\U000116B9"
    r"\U0001173C-\U0001173F\U0001183B\U00011944-\U00011946\U000119E2"
    r"\U00011A3F-\U00011A46\U00011A9A-\U00011A9C\U00011A9E-\U00011AA2"
    r"\U00011C41-\U00011C45\U00011C70-\U00011C71\U00011EF7-\U00011EF8"
    r"\U00011FD5-\U00011FF1\U00011FFF\U00012470-\U00012474\U00012FF1-\U00012FF2"
    r"\U00013430-\U00013438\U00016A6E-\U00016A6F\U00016AF5\U00016B37-\U00016B3F"
    r"\U00016B44-\U00016B45\U00016E97-\U00016E9A\U00016FE2\U0001BC9C"
    r"\U0001BC9F-\U0001BCA3\U0001CF50-\U0001CFC3\U0001D000-\U0001D0F5"
    r"\U0001D100-\U0001D126\U0001D129-\U0001D164\U0001D16A-\U0001D16C"
    r"\U0001D173-\U0001D17A\U0001D183-\U0001D184\U0001D18C-\U0001D1A9"
    r"\U0001D1AE-\U0001D1EA\U0001D200-\U0001D241\U0001D245\U0001D300-\U0001D356"
    r"\U0001D6C1\U0001D6DB\U0001D6FB\U0001D715\U0001D735\U0001D74F\U0001D76F\U0001D789"
    r"\U0001D7A9\U0001D7C3\U0001D800-\U0001D9FF\U0001DA37-\U0001DA3A"
    r"\U0001DA6D-\U0001DA74\U0001DA76-\U0001DA83\U0001DA85-\U0001DA8B\U0001E14F"
    r"\U0001E2FF\U0001E95E-\U0001E95F\U0001ECAC\U0001ECB0\U0001ED2E"
    r"\U0001EEF0-\U0001EEF1\U0001F000-\U0001F02B\U0001F030-\U0001F093"
    r"\U0001F0A0-\U0001F0AE\U0001F0B1-\U0001F0BF\U0001F0C1-\U0001F0CF"
    r"\U0001F0D1-\U0001F0F5\U0001F10D-\U0001F1AD\U0001F1E6-\U0001F202"
    r"\U0001F210-\U0001F23B\U0001F240-\U0001F248\U0001F250-\U0001F251"
    r"\U0001F260-\U0001F265\U0001F300-\U0001F6D7\U0001F6DD-\U0001F6EC"
    r"\U0001F6F0-\U0001F6FC\U0001F700-\U0001F773\U0001F780-\U0001F7D8"
    r"\U0001F7E0-\U0001F7EB\U0001F7F0\U0001F800-\U0001F80B\U0001F810-\U0001F847"
    r"\U0001F850-\U0001F859\U0001F860-\U0001F887\U0001F890-\U0001F8AD"
    r"\U0001F8B0-\U0001F8B1\U0001F900-\U0001FA53\U0001FA60-\U0001FA6D"
    r"\U0001FA70-\U0001FA74\U0001FA78-\U0001FA7C\U0001FA80-\U0001FA86"
    r"\U0001FA90-\U0001FAAC\U0001FAB0-\U0001FABA\U0001FAC0-\U0001FAC5"
    r"\U0001FAD0-\U0001FAD9\U0001FAE0-\U0001FAE7\U0001FAF0-\U0001FAF6"
    r"\U0001FB00-\U0001FB92\U0001FB94-\U0001FBCA\U000E0001\U000E0020-\U000E007F"
)
# ASCII's punctuation and symbols (all of it but letters, digits, spaces and controls).
ASCII_SEPARATORS = r"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E"

# One SELECT of one expression naming `body` once, so PostgreSQL inlines it into the
# statement that calls it (two regexp_replace cost about nothing beside the parser;
# a translate() of the 32 ASCII characters tripled the function's time).
SPLIT_DOCUMENT = f"""CREATE OR REPLACE FUNCTION coopnews_search_document(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', regexp_replace(
        coopnews_unaccent(regexp_replace(coalesce(body, ''), '[{"".join(SEPARATORS)}]', ' ', 'g')),
        '[{ASCII_SEPARATORS}]', ' ', 'g')) $$"""
# As in migration 0006.
OLD_DOCUMENT = """CREATE OR REPLACE FUNCTION coopnews_search_document(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', coopnews_unaccent(coalesce(body, ''))) $$"""


def _rewrite(function: str) -> list[str]:
    """`function` defined, then every row's documents written again with it (as 0021)."""
    return [
        # Writers wait until the migration commits (the app's own processes upgrade first).
        "LOCK TABLE items IN SHARE MODE",
        "SET LOCAL maintenance_work_mem = '256MB'",
        function,
        "DROP INDEX ix_items_search_title_document",
        "DROP INDEX ix_items_search_document",
        "DROP INDEX ix_items_search_newest",
        """UPDATE items_search SET title_document = coopnews_search_document(items.title),
            document = coopnews_search_document(items.title || ' ' || coalesce(items.summary, ''))
            FROM items WHERE items.id = items_search.item_id""",
        "CREATE INDEX ix_items_search_title_document ON items_search USING gin (title_document)",
        "CREATE INDEX ix_items_search_document ON items_search USING gin (document)",
        """CREATE INDEX ix_items_search_newest ON items_search (published_at DESC, item_id DESC)
            INCLUDE (title_bits) WHERE published_at IS NOT NULL""",
        "ANALYZE items_search",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _rewrite(SPLIT_DOCUMENT):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _rewrite(OLD_DOCUMENT):
        op.execute(statement)
