"""SQLAlchemy models. The schema itself is owned by the Alembic migrations."""

from datetime import UTC, date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    desc,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain import identity
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
    # TEXT since 0008: long links are stored whole (limits in storage/limits.py).
    url: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200))
    # storage.categories.category_key(category) (NFKC, case-folded, spaces folded:
    # migration 0020): filtering is caseless and index-backed.
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
    # False for a source's first poll (backfill): stored and searchable, never announced.
    announce: Mapped[bool] = mapped_column(Boolean, default=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    # Slack user ID of the admin who added it (None for imports).
    created_by: Mapped[str | None] = mapped_column(String(40))
    # 0007: what makes another entry the same story (storage/identity.py): a hash of
    # the canonical link, and of the normalised title and day. Kept in step with
    # url/title/published_at by `_identity_keys` (ORM writes) and by add_items (Core).
    link_key: Mapped[str | None] = mapped_column(String(64), index=True)
    title_key: Mapped[str | None] = mapped_column(String(64), index=True)

    __table_args__ = (
        Index("ix_items_published", desc("published_at"), desc("id")),
        Index("ix_items_category_published", "category_key", desc("published_at"), desc("id")),
        # Added by 0003 (curation): duplicate links are refused.
        Index("ix_items_url", "url", postgresql_using="hash"),
        # 0010: the public feeds' validators (max(updated_at)) in one seek.
        Index("ix_items_updated", "updated_at"),
    )


@event.listens_for(Item, "before_insert")
@event.listens_for(Item, "before_update")
def _identity_keys(_mapper, _connection, item: Item) -> None:
    item.link_key = identity.link_key(item.url)
    item.title_key = identity.title_key(item.title, item.published_at)


class CategoryDelta(Base):
    """A change of one category's item count (0011), written by triggers on items.

    Read and folded only by storage/categories.py: a category's count is the sum
    of its rows; `category_key` '' stands for "no category".
    """

    __tablename__ = "category_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200))
    delta: Mapped[int] = mapped_column(Integer)


class SourceItemDelta(Base):
    """A change of how many visible items a source has (0011), written by triggers on
    items and item_sources; read through storage/sources.py (`list_sources`)."""

    __tablename__ = "source_item_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer)
    delta: Mapped[int] = mapped_column(Integer)


class EntryKey(Base):
    """An entry's key within one source, and the item it is (0007).

    The key is the entry's guid as written, else its link, else its title and
    date (see storage/identity.py); entries sharing a key in one source are told
    apart by the content kept here (link, title, date as written), which is also
    what a later poll compares to notice that the feed corrected an entry.
    """

    __tablename__ = "entry_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "source:ID" for a followed source, "import:HASH" for a one-off import's URL or file.
    scope: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # The entry as the source last showed it.
    link: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(500))
    date: Mapped[str | None] = mapped_column(String(100))
    summary_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("scope", "key_hash", "item_id"),)


class ItemSource(Base):
    """A source an item came from (an item reached through several feeds has several)."""

    __tablename__ = "item_sources"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Source(Base):
    """A feed or listing page polled by the worker."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    # The URL actually polled (a page's discovered feed); None until known.
    feed_url: Mapped[str | None] = mapped_column(String(2000))
    kind: Mapped[str | None] = mapped_column(String(20))  # "rss", "atom", "ilo"
    title: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=1800)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # 0005: the first fetch that stored entries (before it, a poll is backfill) and
    # when the admin was told about repeated failures (cleared by a success).
    first_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # SHA-256 of the last body read: an unchanged 200 is not parsed again.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # 0009: a Retry-After (429/503) keeps every request off the feed until then, and
    # a permanent redirect seen on consecutive polls (at 3 the feed_url moves).
    retry_after_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redirect_url: Mapped[str | None] = mapped_column(String(2000))
    redirect_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SourceEvent(Base):
    """A line in a source's history: an entry skipped, an address moved, a failure."""

    __tablename__ = "source_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    level: Mapped[str] = mapped_column(String(20))  # info, warning, error
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_source_events_recent", "source_id", "at", "id"),)


class SubscriptionMode(StrEnum):
    """How a subscription announces: each item at once, or a digest per schedule."""

    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"


class DeliveryState(StrEnum):
    """pending -> claimed -> posted; or failed (Slack refused for good) / skipped."""

    PENDING = "pending"
    CLAIMED = "claimed"
    POSTED = "posted"
    FAILED = "failed"
    SKIPPED = "skipped"
    # 0012: judged against the channel's rules and not wanted (never posted).
    FILTERED = "filtered"


class CorrectionState(StrEnum):
    """pending -> done; or failed (given up and reported)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Subscription(Base):
    """A channel that gets new items announced."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(40), unique=True)
    # Category names as chosen (storage.categories.encode_choice: one per key),
    # newline-separated; older rows hold keys. None means every category.
    categories: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Items with a larger id are new to this subscription; older ones are never announced.
    after_item_id: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[str] = mapped_column(String(20), default=SubscriptionMode.INSTANT)
    schedule: Mapped[str | None] = mapped_column(String(40))  # e.g. "mon 09:00"
    timezone: Mapped[str | None] = mapped_column(String(64))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    problem: Mapped[str | None] = mapped_column(Text)
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Daily/weekly digests: when the next one is due (UTC); None for instant mode.
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 0012, channel rules (bot/channel_rules.py): keyword rules as `Keywords.text`,
    # source IDs comma-separated, how items are shown, who is mentioned (at most
    # once an hour: last_mention_at) and the daily thread ("daily" or None).
    matching: Mapped[str | None] = mapped_column(Text)
    excluding: Mapped[str | None] = mapped_column(Text)
    source_ids: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20), default="full", server_default="full")
    previews: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    mention: Mapped[str | None] = mapped_column(String(120))
    last_mention_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    thread: Mapped[str | None] = mapped_column(String(20))


class Delivery(Base):
    """One (item, channel) announcement: the record that makes it exactly-once.

    Also tells which message shows which item, so corrections and
    retractions can update what was already posted.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_ts: Mapped[str | None] = mapped_column(String(40))
    # Set when one digest message shows several items (they share message_ts).
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # 0012: the daily thread's parent this reply went to (None: a top-level message).
    thread_ts: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint("item_id", "channel_id"),
        Index("ix_deliveries_state_channel", "state", "channel_id"),
        Index("ix_deliveries_channel_ts", "channel_id", "message_ts"),
        Index("ix_deliveries_channel_state", "channel_id", "state", "id"),
    )


class DailyThread(Base):
    """A channel's parent message for one day (0012): posted once, replies go under it.

    `day` is the date in the subscription's time zone ("2026-11-29"). Claimed like
    a delivery (token, expiry, attempts): a claim taken over after it expired
    looks for the parent in the channel's history before posting it again.
    """

    __tablename__ = "daily_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(40))
    day: Mapped[str] = mapped_column(String(10))
    parent_ts: Mapped[str | None] = mapped_column(String(40))
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("channel_id", "day", name="uq_daily_threads_channel_day"),
    )


class Correction(Base):
    """A chat.update owed to one posted message after its item changed (0009).

    Durable like a delivery: planned in the transaction that changes the item,
    applied at once where possible, else retried by the worker until Slack
    accepts or refuses it for good. One row per message: a later change of the
    item makes it pending again, and the message is rendered when applied.
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(40))
    message_ts: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    requested_by: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default=CorrectionState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # SHA-256 of the message last applied: the same content is never sent twice.
    applied_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("channel_id", "message_ts", name="uq_corrections_message"),
        Index("ix_corrections_due", "state", "next_attempt_at"),
        Index("ix_corrections_item", "item_id"),
    )


class AuditEntry(Base):
    """One curation change by an admin: kept even when the item is retracted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))  # added, edited, retracted
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), index=True
    )
    # The title when the change was made: readable even if the item changes later.
    item_title: Mapped[str] = mapped_column(String(500))
    # A short note of what changed (e.g. "title, link").
    details: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_log_recent", desc("at"), desc("id")),)


class ProcessedEvent(Base):
    """A Slack event already handled: Slack's retries of it (same event_id) are skipped.

    The search indexes of migration 0006 (items_fts on SQLite, items_search on
    PostgreSQL) are derived from items by triggers and have no model: only
    storage/search.py reads them.
    """

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Follow(Base):
    """A person's own follow (0013): new items matching `keywords` (a
    domain.words rule), optionally only in one category, come to them by DM."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    keywords: Mapped[str] = mapped_column(Text)
    category_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    after_item_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (Index("ix_follows_user", "user_id", "id"),)


class FollowPerson(Base):
    """Someone who follows (0013): cached time zone, DM channel, the cap's lock row."""

    __tablename__ = "follow_people"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    timezone_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dm_channel: Mapped[str | None] = mapped_column(String(40))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowScan(Base):
    """An item already matched against every follow (0013)."""

    __tablename__ = "follow_scans"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowDelivery(Base):
    """One (item, person) DM of a follow (0013): exactly-once like `Delivery`.

    `day` is the person's local date the DM counted against (the daily cap);
    rows over the cap wait with `hold_until` set (the next morning) and go in one
    digest DM (`digest` True, several rows share its ts).
    """

    __tablename__ = "follow_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(40))
    follow_id: Mapped[int | None] = mapped_column(ForeignKey("follows.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[str | None] = mapped_column(String(40))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    day: Mapped[str | None] = mapped_column(String(10))
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        Index("ix_follow_deliveries_user_state", "user_id", "state"),
        Index("ix_follow_deliveries_channel_ts", "channel_id", "message_ts"),
        Index("ix_follow_deliveries_state", "state", "user_id"),
    )
class SuggestionState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Suggestion(Base):
    """A member's suggested item, waiting for an admin (storage/suggestions.py).

    Never a row of items: latest, search, announcements and feeds cannot see it.
    """

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggested_by: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200))
    # The day the member chose (midnight UTC).
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    site_name: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(
        String(20), default=SuggestionState.PENDING, server_default="pending"
    )
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_suggestions_state", "state", "created_at", "id"),
        Index("ix_suggestions_member", "suggested_by", "state"),
    )


class SuggestionPost(Base):
    """A suggestion posted in a review channel (message_ts), or why it could not be (error)."""

    __tablename__ = "suggestion_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(String(40))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewChannel(Base):
    """A channel where new suggestions are posted with Approve/Edit/Reject (`review here`)."""

    __tablename__ = "review_channels"

    channel_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScheduledState(StrEnum):
    """pending -> published (item_id set); or cancelled, or failed (e.g. a duplicate)."""

    PENDING = "pending"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ScheduledItem(Base):
    """An admin's item waiting for its time (0015): not an item until published.

    Nothing that reads `items` (latest, search, feeds, counts, announcements)
    can see it; storage/scheduled.py publishes it through the item form's path.
    """

    __tablename__ = "scheduled_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    # The item's date as the admin chose it ("when the news happened").
    published_on: Mapped[date] = mapped_column(Date)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    state: Mapped[str] = mapped_column(
        String(20), default=ScheduledState.PENDING, server_default="pending"
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    # Who cancelled it, or who scheduled it once published; and when.
    finished_by: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_scheduled_items_due", "state", "publish_at"),)

    @property
    def published_at(self) -> datetime:
        """The chosen day (at midnight UTC): what item forms and blocks read as its date."""
        return datetime.combine(self.published_on, time.min, tzinfo=UTC)


class Featured(Base):
    """The one featured item (0015): a single row, id 1, so featuring another item
    replaces it in one statement. Read through storage/featured.py only."""

    __tablename__ = "featured"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    featured_until: Mapped[datetime] = mapped_column(UTCDateTime())
    featured_by: Mapped[str] = mapped_column(String(40))
    featured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
