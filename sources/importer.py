"""Import a source (file or URL) into the store, idempotently."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sources import ilo
from storage.db import Database
from storage.store import ItemDraft, add_items, fingerprint

log = logging.getLogger(__name__)


class ImportFailed(Exception):
    """The source could not be imported; nothing was written."""


@dataclass
class ImportSummary:
    added: int = 0
    already_present: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)

    def line(self) -> str:
        return f"added {self.added}, already present {self.already_present}, skipped {self.skipped}"


def listing_drafts(parsed: ilo.ParsedListing) -> list[ItemDraft]:
    return [
        ItemDraft(
            title=entry.title,
            published_at=ilo.published_datetime(entry.published),
            origin="ilo",
            # The listing has no IDs and positions shift: identity is the content.
            fingerprint=fingerprint("ilo", entry.title, entry.published.isoformat()),
            category=entry.category,
            summary=entry.summary,
        )
        for entry in parsed.entries
    ]


def import_listing_text(db: Database, text: str) -> ImportSummary:
    try:
        parsed = ilo.parse_listing(text)
    except ilo.NotAListing as exc:
        raise ImportFailed(str(exc)) from exc
    with db.transaction() as session:
        result = add_items(session, listing_drafts(parsed))
    for warning in parsed.warnings:
        log.warning("%s", warning)
    return ImportSummary(
        added=len(result.added),
        already_present=result.already_present,
        skipped=parsed.skipped,
        warnings=parsed.warnings,
        added_ids=result.added,
    )


def read_text_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path} is not UTF-8 text, so it is not an ILO news listing") from exc


def import_source(db: Database, source: str) -> ImportSummary:
    """Import a file path (ILO listing text). Raises ImportFailed with a clear message."""
    return import_listing_text(db, read_text_file(Path(source)))
