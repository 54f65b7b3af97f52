"""The ledger context's published language.

Ordering key: the vendor (``aggregate = "vendor_id"``), so a consumer sees one vendor's
postings in the order they were made (a refund after its sale).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from bazaar_platform.events import IntegrationEvent


class EntriesPosted(IntegrationEvent):
    """A posting was recorded for a vendor order: its sale (``posting_kind="sale"``,
    positive amounts) or a refund (``"refund"``, negative amounts). ``entries`` maps each
    entry kind (``gross_sale``, ``commission``, ``vendor_earnings``) to its signed amount
    in minor units; ``gross_sale == commission + vendor_earnings`` always."""

    event_type: ClassVar[str] = "ledger.entries_posted"
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = "vendor_id"

    posting_id: UUID
    posting_kind: str
    vendor_id: UUID
    store_id: UUID | None
    order_id: UUID | None
    vendor_order_id: UUID
    refund_id: UUID | None
    currency: str
    commission_rate_bp: int
    entries: dict[str, int]
    effective_at: datetime  # when the sale was paid / the refund issued
