"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

# SQLAlchemy's own SQLite DATETIME text format, so values sort and compare as text.
_SQLITE_FORMAT_SEP = " "


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, stored as UTC.

    PostgreSQL stores `timestamptz`. SQLite has no datetime type: values are
    stored as UTC text in SQLAlchemy's usual format ("2017-07-10 00:00:00.000000"),
    formatted here directly because the generic path is a measurable share of
    a bulk import.
    """

    impl = DateTime(timezone=True)
    cache_ok = True
    # Bulk imports bind the same few instants over and over (one creation time
    # per batch, a few publication days): remember recent SQLite texts.
    _sqlite_texts: dict[datetime, str] = {}

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | str | None:
        if value is None:
            return None
        if dialect.name == "sqlite" and (known := self._sqlite_texts.get(value)) is not None:
            return known
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        offset = value.utcoffset()
        if offset is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        if offset:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            text = value.replace(tzinfo=None).isoformat(_SQLITE_FORMAT_SEP, "microseconds")
            if len(self._sqlite_texts) > 4096:
                self._sqlite_texts.clear()
            self._sqlite_texts[value] = text
            return text
        return value

    def process_result_value(self, value, dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
