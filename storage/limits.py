"""The longest text the store keeps in each item field, whatever the source.

Enforced where rows are written (entries.add_items, curation), so no feed,
listing or form can make the database refuse a write. Entry points may use
tighter limits of their own (feeds cut titles at 300, the modal at 250).
"""

from __future__ import annotations

TITLE = 500  # items.title VARCHAR(500)
CATEGORY = 200  # items.category / category_key VARCHAR(200)
# items.url is TEXT (migration 0008): long tracking links are kept whole up to this;
# a longer one is not a link anyone can use, so the item is kept without it.
URL = 10_000
SUMMARY = 20_000  # items.summary TEXT; feeds cut at 1,000, the modal at 3,000


def usable_url(url: str | None) -> str | None:
    """The link if it fits (storage/limits.URL), else None: the item is kept without it."""
    return url if url is not None and len(url) <= URL else None
