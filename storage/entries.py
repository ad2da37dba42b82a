"""A document's entries -> items: each stored once, matched by its key, its link or its title.

For each entry of one document (a poll of a source, or an import), first rule that applies:

1. Its key (guid as written, else link, else title and date) is stored in this
   scope: it is that key's item. Several entries sharing a key, or several items
   stored under it, are paired by content (title and date as written, then the
   canonical link; best agreement first); a pairing needs the title or the date
   to agree, so a guid reused by a new entry is a new entry. A
   changed title, summary or link is the feed correcting itself: the item follows
   (unless an admin wrote or edited it) and the audit log says so.
2. Its canonical link (storage/identity.py) is the link of one stored item and
   of no other entry of the document, and the title or the day agrees: it is
   that item. A shared link (by entries of the document, by several stored
   items, or by an item that rule 1 showed to be another entry under the same
   key) identifies none of them and never merges: the entry counts as linkless.
3. No link: the item with the same normalised title on the same day (the ILO listing).
4. Otherwise it is a new item.

Under 2 and 3 the entry's key is remembered for the item (so later polls match
by rule 1), nothing is announced again, and the item gains the source. No item
is given to two entries of one document. Lookups go by chunks of keys (one
query per chunk and rule), never one query per entry.

A document given as a list is matched whole. One given as an iterator (a listing
file read as a stream) is stored STREAM_CHUNK entries at a time, so memory stays
that of one chunk: the rules then see the store as it was before the document
(rows its earlier chunks wrote are not "stored" for its later ones), and ids
(runs of them for its new items) and 8-byte digests carry "no item given to two
entries" and "the very same entry twice" across chunks. Entries sharing a key are paired within a
chunk (a listing's key is its title and date, so a listing has no such pairs).
New items come in bulk (storage/bulk.py: their search rows and count deltas in
one statement per chunk on PostgreSQL instead of a trigger per row).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, String, any_, bindparam, exists, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from domain import identity
from domain.identity import normalise_text
from domain.items import ItemDraft
from storage import bulk, categories, corrections, curation
from storage.db import upsert_insert
from storage.models import AuditEntry, EntryKey, Item, ItemSource
from storage.store import AddResult, batches, item_row
from storage.types import utcnow

CHUNK = 2000
STREAM_CHUNK = 1000  # entries of an iterator stored at a time
ANALYZE_AFTER = 10_000  # rows added in one go
_KEY_COLUMNS = ("id", "key_hash", "item_id", "link", "title", "date", "summary_hash")


@dataclass(eq=False)
class _Entry:
    draft: ItemDraft
    position: int
    key_hash: str
    link_key: str | None
    title_key: str | None
    summary_hash: str
    # As entry_keys keeps them (column sizes), so that comparing with a stored key is exact.
    link: str | None
    title: str
    date: str | None
    item_id: int | None = None
    row: Row | None = None  # the entry_keys row it matched by its key (rule 1)
    # Items stored under the same key in this scope that content showed are other entries.
    others: frozenset[int] = frozenset()
    link_shared: bool = False  # set by rule 2
    link_unknown: bool = False  # set by rule 2: no stored item and no other entry has the link
    repeat: bool = False  # set by rule 3: a linkless entry an earlier chunk stored


@dataclass(eq=False)
class _Document:
    """What a document's chunks stored so far (see the module docstring)."""

    link_counts: Mapping[str, int] | None  # None: counted from the one chunk
    seen: Digests = field(default_factory=lambda: Digests())  # the very same entry twice
    claimed: set[int] = field(default_factory=set)  # items given to an entry
    own_items: IdRanges = field(default_factory=lambda: IdRanges())  # items it created
    # entry_keys rows it wrote for stored items (its new items' keys: by own_items)
    own_keys: set[int] = field(default_factory=set)


class Digests:
    """A set of 64-bit digests at 8 bytes each (a Python set takes ~75): a sorted
    array, and the newest ones in a small set merged into it now and then."""

    RECENT = 16_384

    def __init__(self) -> None:
        self.sorted = array("Q")
        self.recent: set[int] = set()

    def add(self, digest: int) -> None:
        self.recent.add(digest)
        if len(self.recent) >= self.RECENT:
            self.sorted = array("Q", heapq.merge(self.sorted, sorted(self.recent)))
            self.recent = set()

    def __contains__(self, digest: object) -> bool:
        if digest in self.recent:
            return True
        at = bisect.bisect_left(self.sorted, digest)
        return at < len(self.sorted) and self.sorted[at] == digest


class IdRanges:
    """A set of ids kept as sorted runs of consecutive ids: the items one import
    created take a few bytes, not a set entry each (ids come from one sequence)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []  # inclusive

    def update(self, ids: Iterable[int]) -> None:
        for item_id in sorted(ids):
            if self.ends and item_id == self.ends[-1] + 1:
                self.ends[-1] = item_id
            elif not self.ends or item_id > self.ends[-1]:
                self.starts.append(item_id)
                self.ends.append(item_id)
            elif item_id not in self:  # an id below the last run: rare, kept exact
                at = bisect.bisect(self.starts, item_id)
                self.starts.insert(at, item_id)
                self.ends.insert(at, item_id)

    def __contains__(self, item_id: object) -> bool:
        at = bisect.bisect(self.starts, item_id) - 1
        return at >= 0 and item_id <= self.ends[at]


def _digest(*parts: str | None) -> int:
    joined = "\x1f".join("\x00" if p is None else p for p in parts)
    # 64 bits: a false "same entry" among 100,000 entries has odds of about 1 in 10**9.
    digest = hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest())


def _entry(draft: ItemDraft, position: int) -> _Entry:
    key = draft.key if draft.key is not None else draft.fingerprint or ""
    return _Entry(
        draft,
        position,
        identity.key_hash(key.strip()),
        identity.link_key(draft.url),
        identity.title_key(draft.title, draft.published_at),
        identity.sha256(draft.summary or ""),
        draft.url.strip()[:2000] if draft.url and draft.url.strip() else None,
        draft.title[:500],
        (draft.entry_date or "")[:100] or None,
    )


def add_items(
    session: Session,
    drafts: Iterable[ItemDraft],
    source_id: int | None = None,
    announce: bool = True,
    scope: str | None = None,
    actor: str | None = None,
    link_counts: Mapping[str, int] | None = None,
) -> AddResult:
    """Store a document's entries: each becomes a new item only if no stored item is it.

    `source_id` records them as that source's (item_sources, and the source_id
    of new items); `announce=False` marks new ones as backfill, never announced.
    `scope` is whose keys they are (identity.source_scope / import_scope; default:
    the source's, else one shared scope); `actor` names who corrects an item in the
    audit log (default: "source N" for a source's entries, else "import"). The rules are in storage/entries.py and the README ("How an
    entry's identity works"): no entry is added twice, no two entries of one
    document are merged.

    `drafts` as a list is matched whole; as an iterator it is stored a chunk at a
    time (module docstring), and `link_counts` must then say how many of its entries
    have each canonical link (identity.link_key): {} for a document without links.
    ValueError when an entry's link is not counted there.

    Safe against a concurrent import of the same page: the unique fingerprint
    and ON CONFLICT DO NOTHING settle races in the database.
    """
    if scope is None:
        scope = identity.source_scope(source_id) if source_id is not None else "global"
    if actor is None:
        actor = f"{curation.SOURCE_ACTOR} {source_id}" if source_id is not None else curation.IMPORT_ACTOR
    if isinstance(drafts, Sequence):
        document = _Document(link_counts=None)
        result = store_drafts(session, list(drafts), scope, source_id, announce, actor, document)
        categories.fold(session)  # the count deltas its items wrote (bounded, see categories)
    else:
        if link_counts is None:
            raise ValueError("an iterator of drafts needs its link_counts")
        document, result = _Document(link_counts=link_counts), AddResult()
        analyzed, sqlite = 0, session.get_bind().dialect.name == "sqlite"
        with bulk.streaming(session):
            for chunk in batches(drafts, STREAM_CHUNK):
                analyzed = bulk.analyze_as_it_grows(session, len(result.added), analyzed)
                part = store_drafts(session, chunk, scope, source_id, announce, actor, document)
                result.added.extend(part.added)
                result.already_present += part.already_present
                result.corrected.extend(part.corrected)
                if sqlite:  # a delta per row (triggers): folded as they pass FOLD_AFTER
                    categories.fold(session)
                bulk.release()  # the chunk's drafts and rows are gone
            # One row per group left behind, whatever the size of the document
            # (PostgreSQL's bulk way writes a few rows per chunk, never FOLD_AFTER).
            categories.fold(session, force=True)
    if len(result.added) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Without fresh statistics the planner scans the whole table for `latest`
        # until autovacuum gets round to it (25 ms instead of 1 ms at 100,000 items).
        session.execute(sql("ANALYZE items"))
    return result


def store_drafts(
    session: Session,
    drafts: list[ItemDraft],
    scope: str,
    source_id: int | None,
    announce: bool,
    actor: str,
    document: _Document | None = None,
) -> AddResult:
    """See the module docstring; `actor` is who corrects items in the audit log;
    `document` what earlier chunks of the same document stored (None: no chunks)."""
    document = document or _Document(link_counts=None)
    result = AddResult()
    entries: list[_Entry] = []
    for position, draft in enumerate(drafts):
        entry = _entry(draft, position)
        same = _digest(entry.key_hash, entry.link_key, draft.title, draft.entry_date)
        if same in document.seen:  # the very same entry twice in one document
            result.already_present += 1
            continue
        document.seen.add(same)
        entries.append(entry)
    link_counts = document.link_counts
    if link_counts is None:
        link_counts = Counter(e.link_key for e in entries if e.link_key)
    elif any(e.link_key and not link_counts.get(e.link_key) for e in entries):
        raise ValueError("an entry's link is not in the document's link_counts")
    claimed = document.claimed
    _match_keys(session, scope, entries, claimed, document.own_keys, document.own_items)
    _match_links(
        session,
        [e for e in entries if e.item_id is None and e.link_key],
        link_counts,
        claimed,
        document.own_items,
    )
    by_title = [e for e in entries if e.item_id is None and (e.link_shared or not e.link_key)]
    _match_titles(session, by_title, claimed, document.own_items)
    new = [e for e in entries if e.item_id is None and not e.repeat]
    result.already_present += sum(e.repeat for e in entries)
    known = [e for e in entries if e.item_id is not None]
    merged = [e for e in known if e.row is None]  # rules 2 and 3: remember the new key
    result.already_present += len(known)
    for entry in known:
        if entry.row is not None and _correct(session, entry, actor):
            # Owed in this transaction, so a crash before chat.update loses nothing.
            corrections.plan_corrections(session, entry.item_id)
            result.corrected.append(entry.item_id)
    added = _insert_items(session, scope, new, source_id, announce, document)
    result.already_present += len(new) - len(added)
    result.added.extend(added)
    document.own_items.update(added)
    document.own_keys.update(_insert_keys(session, scope, merged))
    if source_id is not None:
        _insert_sources(session, source_id, merged)
    return result


# -- rule 1: the entry's key in this scope ---------------------------------
def _match_keys(
    session: Session,
    scope: str,
    entries: list[_Entry],
    claimed: set[int],
    own: set[int],
    own_items: IdRanges,
) -> None:
    groups: dict[str, list[_Entry]] = defaultdict(list)
    for entry in entries:
        groups[entry.key_hash].append(entry)
    rows: dict[str, list[Row]] = defaultdict(list)
    # Plain rows, not ORM objects: a re-read listing compares thousands; few change.
    columns = [EntryKey.__table__.c[name] for name in _KEY_COLUMNS]
    for chunk in batches(list(groups), CHUNK):
        stmt = select(*columns).where(EntryKey.scope == scope, _among(session, EntryKey.key_hash, chunk))
        for row in session.execute(stmt.order_by(EntryKey.id)):
            # Written by this document's earlier chunks: for its new items or merged entries.
            if row.item_id not in own_items and row.id not in own:
                rows[row.key_hash].append(row)
    for key_hash, group in groups.items():
        candidates = rows.get(key_hash)
        if not candidates:
            continue
        pairs = [
            (score, entry.position, row.id, entry, row)
            for entry in group
            for row in candidates
            if (score := _agreement(entry, row)) > 0
        ]
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        for _score, _pos, _id, entry, row in pairs:
            if entry.item_id is None and row.item_id not in claimed:
                entry.item_id, entry.row = row.item_id, row
                claimed.add(row.item_id)
        for entry in group:
            if entry.item_id is None:
                entry.others = frozenset(row.item_id for row in candidates)


def _agreement(entry: _Entry, row: Row) -> int:
    """How well an entry and a stored key's entry agree: title and date (as written)
    weigh 2 each, the canonical link 1. Pairing needs title or date: a link alone may
    be a page several entries share, and a key's own parts prove nothing."""
    draft = entry.draft
    same_link = entry.link_key is not None and entry.link_key == identity.link_key(row.link)
    if draft.key_kind == "content":  # the key is the title and date: they agree
        return 2 + same_link
    score = 2 * (row.title == entry.title) + 2 * bool(entry.date and row.date == entry.date)
    return score + same_link if score else 0


def _among(session: Session, column, values: list[str]):
    """`column IN values`; on PostgreSQL `= ANY(array)`: one parameter, so every chunk
    runs the same statement (no thousand placeholders to render and parse each time)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("among", values, type_=ARRAY(String)))
    return column.in_(values)


# -- rules 2 and 3: the same story under another key or from another source ------
def _match_links(
    session: Session,
    entries: list[_Entry],
    link_counts: Mapping[str, int],
    claimed: set[int],
    own: IdRanges,
) -> None:
    stored: dict[str, list[tuple[int, str, date]]] = defaultdict(list)
    for chunk in batches(sorted({e.link_key for e in entries}), CHUNK):
        stmt = select(Item.link_key, Item.id, Item.title, Item.published_at)
        stmt = stmt.where(_among(session, Item.link_key, chunk)).order_by(Item.id)
        for link_key, item_id, title, published_at in session.execute(stmt):
            if item_id in own:
                continue
            stored[link_key].append((item_id, normalise_text(title), published_at.date()))
    for entry in entries:
        items = stored.get(entry.link_key, [])
        # Shared by entries of this document, by several items, or by an item this
        # source showed to be another entry under the same key (a "polls" page):
        # the link identifies none of them, the entry is known by its title and day.
        entry.link_shared = (
            link_counts[entry.link_key] > 1
            or len(items) > 1
            or any(item[0] in entry.others for item in items)
        )
        entry.link_unknown = not items and not entry.link_shared
        if entry.link_shared or not items or items[0][0] in claimed:
            continue
        item_id, item_title, item_day = items[0]
        # The link names the page; the title or the day confirms it is the same story.
        if item_title == normalise_text(entry.draft.title) or (
            item_day == entry.draft.published_at.date()
        ):
            entry.item_id = item_id
            claimed.add(item_id)


def _match_titles(
    session: Session, entries: list[_Entry], claimed: set[int], own: IdRanges
) -> None:
    """Rule 3; a linkless entry with the title and day of an item this document
    created before (an earlier chunk) is that entry again (`repeat`), as
    _insert_items finds it within a chunk."""
    own_titles: set[str] = set()
    stored: dict[str, list[int]] = defaultdict(list)
    wanted = sorted({e.title_key for e in entries if e.title_key})
    for chunk in batches(wanted, CHUNK):
        stmt = select(Item.title_key, Item.id).where(_among(session, Item.title_key, chunk))
        for title_key, item_id in session.execute(stmt.order_by(Item.id)):
            if item_id not in own:
                stored[title_key].append(item_id)
            else:
                own_titles.add(title_key)
    for entry in entries:
        for item_id in stored.get(entry.title_key, []):
            if item_id not in claimed and item_id not in entry.others:
                entry.item_id = item_id
                claimed.add(item_id)
                break
        else:
            entry.repeat = not entry.link_key and entry.title_key in own_titles


# -- corrections -------------------------------------------------------------
def _correct(session: Session, entry: _Entry, actor: str) -> bool:
    """Follow the feed's change of a stored entry; True when the item changed."""
    row, draft = entry.row, entry.draft
    changed = []
    if row.title != entry.title:
        changed.append(("title", "title", draft.title))
    if row.summary_hash != entry.summary_hash:
        changed.append(("summary", "summary", draft.summary))
    if (row.link or None) != entry.link:
        changed.append(("url", "link", draft.url))
    if not changed and row.date == entry.date:
        return False
    # The key keeps what the source shows now (a re-dated entry: the item keeps its date).
    session.execute(
        update(EntryKey)
        .where(EntryKey.id == row.id)
        .values(
            title=entry.title, link=entry.link, date=entry.date, summary_hash=entry.summary_hash
        )
    )
    if not changed:
        return False
    item = session.get(Item, entry.item_id)
    if item is None or _written_by_admin(session, item):
        return False
    changed = [
        (name, label, value) for name, label, value in changed if getattr(item, name) != value
    ]
    if not changed:
        return False
    for name, _label, value in changed:
        setattr(item, name, value)
    curation.record(session, actor, curation.EDITED, item, ", ".join(c[1] for c in changed))
    session.flush()
    return True


def _written_by_admin(session: Session, item: Item) -> bool:
    """An admin's item, or one an admin edited: its text is theirs, never a feed's."""
    if item.origin == "admin":
        return True
    by_admin = exists().where(
        AuditEntry.item_id == item.id,
        AuditEntry.action == curation.EDITED,
        ~AuditEntry.user_id.like(f"{curation.SOURCE_ACTOR} %"),
        AuditEntry.user_id != curation.IMPORT_ACTOR,
    )
    return bool(session.scalar(select(by_admin)))


# -- writing -----------------------------------------------------------------
def _new_fingerprint(scope: str, entry: _Entry) -> str:
    """The unique fingerprint of a new item: the draft's (the ILO listing's content), else
    its link when no item has it yet, so that two sources polled at once that both bring
    a story store it once (ON CONFLICT DO NOTHING), else its scope, key and content."""
    if entry.draft.fingerprint:
        return entry.draft.fingerprint
    if entry.link_unknown:
        return identity.sha256(f"link\x1f{entry.link_key}")
    draft = entry.draft
    parts = (scope, entry.key_hash, entry.link_key or "", draft.title, draft.entry_date or "")
    return identity.sha256("\x1f".join(parts))


def _insert_items(
    session: Session,
    scope: str,
    entries: list[_Entry],
    source_id: int | None,
    announce: bool,
    document: _Document,
) -> list[int]:
    """Insert new items (several entries of one story without links: one item)."""
    by_title: set[str] = set()
    now = utcnow()  # one transaction, one creation time
    added: list[int] = []
    for chunk in batches(entries, CHUNK):
        rows, owners = [], {}
        for entry in chunk:
            if not entry.link_key and entry.title_key:
                if entry.title_key in by_title:  # the listing repeats an entry
                    continue
                by_title.add(entry.title_key)
            fingerprint = _new_fingerprint(scope, entry)
            if fingerprint not in owners:
                rows.append(_new_row(entry, fingerprint, now, source_id, announce))
                owners[fingerprint] = entry
        created, keyed = _insert_rows(session, rows, owners, scope)
        unkeyed = [] if keyed else list(created)  # the bulk way wrote the others' keys
        added.extend(e.item_id for e in created)
        # A link fingerprint already taken: the same story, stored at this moment by a
        # source polled in parallel (remember the key), or an item whose link has
        # changed since (then this is a new item after all).
        taken = {fp: e for fp, e in owners.items() if e.item_id is None and e.link_unknown}
        twins = []
        if taken:
            stmt = select(Item.fingerprint, Item.id, Item.link_key)
            for fingerprint, item_id, link_key in session.execute(
                stmt.where(Item.fingerprint.in_(list(taken)))
            ):
                entry = taken.pop(fingerprint)
                if link_key == entry.link_key:
                    entry.item_id = item_id
                    twins.append(entry)
                else:
                    taken[fingerprint] = entry
            again = {}
            for entry in taken.values():
                entry.link_unknown = False
                again[_new_fingerprint(scope, entry)] = entry
            rows = [_new_row(e, fp, now, source_id, announce) for fp, e in again.items()]
            more, keyed = _insert_rows(session, rows, again, scope)
            added.extend(e.item_id for e in more)
            created += more
            unkeyed += [] if keyed else more
        _insert_keys(session, scope, unkeyed, new=True)
        # Keys of items this document did not create: its later chunks must not match them.
        document.own_keys.update(_insert_keys(session, scope, twins))
        if source_id is not None:
            _insert_sources(session, source_id, created + twins)
    return sorted(added)


def _new_row(
    entry: _Entry, fingerprint: str, now: datetime, source_id: int | None, announce: bool
) -> dict:
    row = item_row(entry.draft, fingerprint, now, entry.link_key, entry.title_key)
    if source_id is not None or not announce:  # else the columns' defaults hold
        row.update(source_id=source_id, announce=announce)
    return row


def _insert_rows(
    session: Session, rows: list[dict], owners: dict[str, _Entry], scope: str
) -> tuple[list[_Entry], bool]:
    """INSERT … ON CONFLICT (fingerprint) DO NOTHING: the entries whose row went in, and
    whether their keys were written too (the bulk way writes them in the same
    statement)."""
    if not rows:
        return [], True
    table = Item.__table__
    stmt = upsert_insert(session, table).on_conflict_do_nothing(index_elements=["fingerprint"])
    bulky = bulk.enabled(session, len(rows))
    if bulky:
        keys = [_key_row(scope, owners[row["fingerprint"]]) for row in rows]
        returned = bulk.insert_items(session, rows, keys)
    else:
        # Core executemany (insertmanyvalues): the ORM's per-row bookkeeping is not needed.
        stmt = stmt.returning(table.c.id, table.c.fingerprint)
        returned = session.connection().execute(stmt, rows)
    created = []
    for item_id, fingerprint in returned:
        entry = owners[fingerprint]
        entry.item_id = item_id
        created.append(entry)
    return created, bulky


def _key_row(scope: str, entry: _Entry) -> dict:
    """The entry_keys row of an entry (without its item_id)."""
    return {
        "scope": scope,
        "key_hash": entry.key_hash,
        "link": entry.link,
        "title": entry.title,
        "date": entry.date,
        "summary_hash": entry.summary_hash,
    }


def _insert_keys(
    session: Session, scope: str, entries: list[_Entry], new: bool = False
) -> list[int]:
    """The entries' keys (ON CONFLICT DO NOTHING); the ids of the rows written (none
    listed for `new`: keys of items just created, which cannot conflict)."""
    rows = [_key_row(scope, e) | {"item_id": e.item_id} for e in entries]
    if new and bulk.enabled(session, len(rows)):
        bulk.copy_rows(session, EntryKey.__table__, rows)
        return []
    written: list[int] = []
    for chunk in batches(rows, CHUNK):
        stmt = upsert_insert(session, EntryKey).on_conflict_do_nothing(
            index_elements=["scope", "key_hash", "item_id"]
        )
        written += session.connection().execute(stmt.returning(EntryKey.id), chunk).scalars()
    return written


def _insert_sources(session: Session, source_id: int, entries: list[_Entry]) -> None:
    rows = [{"item_id": e.item_id, "source_id": source_id} for e in entries]
    for chunk in batches(rows, CHUNK):
        stmt = upsert_insert(session, ItemSource).on_conflict_do_nothing(
            index_elements=["item_id", "source_id"]
        )
        session.connection().execute(stmt, chunk)
