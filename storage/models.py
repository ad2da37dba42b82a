"""SQLAlchemy models. The schema itself is owned by the Alembic migrations."""

from datetime import datetime

from sqlalchemy import Index, MetaData, String, Text, desc
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime, utcnow

# Alembic naming.rst: deterministic constraint names, so migrations can
# drop and alter them on every backend (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(Base):
    """One piece of news, from a listing, a feed or an admin."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    category: Mapped[str | None] = mapped_column(String(200))
    # Lower-cased category: filtering is case-insensitive and index-backed.
    category_key: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Where the item came from: "ilo", "feed", "admin".
    origin: Mapped[str] = mapped_column(String(40))
    # Content identity: the same news imported twice has the same fingerprint.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Retracted items are hidden everywhere but kept for the audit trail.
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_items_published", desc("published_at"), desc("id")),
        Index("ix_items_category_published", "category_key", desc("published_at"), desc("id")),
    )
