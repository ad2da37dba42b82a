"""Which controls a user sees on listed items: admins get Edit/Delete/Feature, members
nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot.admins import AdminPolicy
from bot.blocks.curation import item_menu
from bot.blocks.items import Accessory


def admin_item_controls(admins: AdminPolicy) -> Callable[..., Accessory | None]:
    """controls(user_id, featured_id=None): the featured item's menu says Unfeature."""

    def controls(user_id: str, featured_id: int | None = None) -> Accessory | None:
        return partial(item_menu, featured_id=featured_id) if admins.is_admin(user_id) else None

    return controls
