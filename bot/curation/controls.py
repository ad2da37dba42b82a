"""Which controls a user sees on listed items: admins get Edit/Delete, members nothing."""

from __future__ import annotations

from collections.abc import Callable

from bot.admins import AdminPolicy
from bot.blocks.curation import item_menu
from bot.blocks.items import Accessory


def admin_item_controls(admins: AdminPolicy) -> Callable[[str], Accessory | None]:
    def controls(user_id: str) -> Accessory | None:
        return item_menu if admins.is_admin(user_id) else None

    return controls
