"""The in-app inbox: marking items read (one, or all), and telling the user's other
open sockets so their unread badges follow."""

from __future__ import annotations

from functools import partial
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from bazaar_platform.api.errors import NotFoundError
from contexts.notifications import selectors
from contexts.notifications.models import InboxItem
from contexts.notifications.services.push import MSG_READ, push_quietly


def _announce(user_id: UUID, ids: list[str], *, everything: bool) -> None:
    push_quietly(
        user_id,
        {
            "type": MSG_READ,
            "ids": ids,
            "all": everything,
            "unread_count": selectors.unread_count(user_id=user_id),
        },
    )


def inbox_item_mark_read(*, user_id: UUID, item_id: UUID) -> InboxItem:
    """Mark one of ``user_id``'s items read (idempotent). Someone else's item is "not found"."""
    with transaction.atomic():
        item = InboxItem.objects.select_for_update().filter(user_id=user_id, pk=item_id).first()
        if item is None:
            raise NotFoundError("No such notification.")
        if item.read_at is None:
            item.read_at = timezone.now()
            item.save(update_fields=["read_at"])
            transaction.on_commit(partial(_announce, user_id, [str(item.pk)], everything=False))
    return item


def inbox_mark_all_read(*, user_id: UUID) -> int:
    """Mark every unread item of ``user_id`` read; returns how many changed."""
    with transaction.atomic():
        changed = InboxItem.objects.filter(user_id=user_id, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            transaction.on_commit(partial(_announce, user_id, [], everything=True))
    return changed
