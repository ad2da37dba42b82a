"""A process-wide cache of read answers, checked against the data revision each time.

What it holds: the Block Kit messages of `latest`, `search` (and their "More"
pages) and `categories` (bot/paging.py, bot/listeners/commands/categories.py), and
the item parts of App Home (the featured item, the newest items, the category
list: bot/listeners/events/home.py). Each entry is keyed by the data revision
it was built from (storage/revision.py: a version that database triggers bump
on every committed change to items and the featured row, and whether the
featured row is live at this moment) and by everything else the answer
depends on:

- the command's parsed arguments as they appear in the answer: `latest`'s count,
  category as typed (the "More" button carries it), offset; `search`'s text as
  typed (the heading and "More" carry it), offset;
- whether the reader is an admin: admins' answers carry item controls, members'
  do not, so the two are never mixed;
- time: no answer text depends on the clock (dates are days, and times go to
  Slack as `<!date^…>`, which each reader's client shows in their own zone); the
  one time-dependent rule, a featured item's end, is in the revision.

Per-person parts are never cached: App Home's follows, subscriptions and the
admin sections (suggestions, scheduled items, sources) are read each time.

A request reads the revision first (one statement on a Core connection,
storage/db.Database.reading_first: one round trip on PostgreSQL, whose reads run in
autocommit, and no ping), then looks up its key; a miss builds the answer with the
ordinary code and stores it. Reading the revision before the data means an
answer is never older than its key (storage/revision.py says why). Once a
newer revision is seen, every entry of older ones is dropped: no request can
hit them any more (a request that read an older revision just misses).

Messages are stored as JSON text: a slash command's answer is sent on as that text
(`message_json`: no decode and re-encode per hit), other callers get a fresh dict
decoded from it (`message`: `latest` may append a note to the one it gets), and an
entry's size is known. Bounded: at most `max_entries` entries and about `max_bytes` bytes (the
JSON text, or the caller's estimate), least recently used first out; an answer
over an eighth of `max_bytes` is not kept. Thread-safe (gunicorn runs 8
threads per worker): one lock around the table; building and decoding happen
outside it, so two threads missing the same key both build (the same answer).
"""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.orm import Session

from storage.db import Database
from storage.revision import Revision, read_current

# A 20-item page is ~15 KB of JSON (ASCII: json.dumps escapes the rest), a search page
# ~8 KB: 4 MiB holds several hundred answers, and a worker that was ~82 MB after 1,000
# mixed requests at 1,000,000 items stays well under 100 MB (bench/serving.py).
MAX_ENTRIES = 1_000
MAX_BYTES = 4 * 2**20


class AnswerCache:
    def __init__(
        self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, enabled: bool = True
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.enabled = enabled
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._version = 0  # the newest data_revision.version seen
        self.hits = 0
        self.misses = 0

    # -- Block Kit messages (JSON-able dicts, or None) ----------------------------------
    def message(
        self, db: Database, key: Hashable, build: Callable[[Session], dict | None]
    ) -> dict | None:
        """The answer for `key` (a tuple: what the answer depends on besides the data),
        from the cache when built at the current revision, else `build(session)` (then
        kept), read on the connection the revision came from (see `message_json`)."""
        text, built = self._answer(db, key, build)
        if built is not None or text is None:
            return built
        return json.loads(text)

    def message_json(
        self, db: Database, key: Hashable, build: Callable[[Session], dict | None]
    ) -> str | None:
        """`message`'s answer as compact JSON text (None when `build` gives None): on a
        hit, the cached text itself, never decoded, for callers that send it on as it is
        (bot/listeners/commands/router.CommandCall.reply_json).

        The revision is read on a Core connection checked out without a ping
        (storage/db.Database.reading_first: retried once on a new connection if the
        server restarted); a miss builds the answer in a Session on that same
        connection, so it checks out no second one."""
        return self._answer(db, key, build)[0]

    def _answer(
        self, db: Database, key: Hashable, build: Callable[[Session], dict | None]
    ) -> tuple[str | None, dict | None]:
        """(JSON text, the dict when built now else None); (None, None) when empty."""
        if not self.enabled:
            with db.reading() as session:
                answer = build(session)
            return (None if answer is None else _encode(answer)), answer
        with db.reading_first(read_current) as (connection, revision):
            found = self.get(revision, key)
            if found is not None:
                return found, None
            with db.sessions(bind=connection) as session:
                answer = build(session)
        if answer is None:
            return None, None
        text = _encode(answer)
        self.put(revision, key, text, sys.getsizeof(text))
        return text, answer

    # -- any value, for callers that read the revision in their own session ------------
    def get(self, revision: Revision, key: Hashable) -> Any | None:
        """The value kept for `key` at `revision`, or None."""
        with self._lock:
            entry = self._entries.get((revision, key))
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end((revision, key))
            self.hits += 1
            return entry[0]

    def put(self, revision: Revision, key: Hashable, value: Any, size: int) -> None:
        """Keep `value` (never mutated afterwards by anyone) of about `size` bytes."""
        if not self.enabled or value is None or size > self.max_bytes // 8:
            return
        with self._lock:
            if revision.version < self._version:
                return  # built from older data than others have already seen
            if revision.version > self._version:
                self._entries.clear()
                self._bytes = 0
                self._version = revision.version
            old = self._entries.pop((revision, key), None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[(revision, key)] = (value, size)
            self._bytes += size
            while self._entries and (
                len(self._entries) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    @property
    def size(self) -> tuple[int, int]:
        """(entries, approximate bytes) kept now."""
        with self._lock:
            return len(self._entries), self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def _encode(answer: dict) -> str:
    return json.dumps(answer, separators=(",", ":"))
