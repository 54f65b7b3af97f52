"""Stock of listings: an explainable ledger of movements, and reservations for checkouts.

Every change of ``Listing.on_hand`` / ``Listing.reserved`` goes through :func:`movement_apply`
with the listing row locked, and writes the ``StockMovement`` that explains it in the same
transaction. Operations touching several listings lock their rows in id order (a stable
order, so two checkouts over the same listings queue instead of deadlocking) and decide
for all the lines before writing any: all or nothing. Reservations are released, committed
and expired with the reservation row locked first, then its listings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn
from uuid import UUID

import structlog
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from bazaar_platform.api.errors import ApplicationError, ConflictError, NotFoundError
from bazaar_platform.events import publish
from contexts.vendors.events import StockReservationExpired
from contexts.vendors.models import (
    Listing,
    ListingStatus,
    MovementKind,
    OpeningState,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockMovement,
    Store,
    Vendor,
    VendorStatus,
)
from contexts.vendors.services.listing_events import (
    listing_is_purchasable,
    listings_publish,
    purchasable_variants,
    stock_low_check,
)

log = structlog.get_logger("bazaar.vendors.stock")

MAX_QUANTITY = 1_000_000
MAX_REFERENCE = 120


class OutOfStockError(ConflictError):
    """Some lines ask for more than is available; ``extra["lines"]`` says which."""

    code = "out_of_stock"

    def __init__(self, lines: list[dict[str, object]]) -> None:
        super().__init__(
            "Not enough stock for some lines; nothing was reserved.", extra={"lines": lines}
        )

    @property
    def details(self) -> dict[str, object]:
        return self.extra


@dataclass(frozen=True)
class Line:
    listing_id: UUID
    quantity: int


def _quantity(value: object, *, field: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ApplicationError(
            f"{field} must be a whole number above 0.",
            code="invalid_quantity",
            fields={field: ["A whole number above 0."]},
        )
    if value > MAX_QUANTITY:
        raise ApplicationError(
            f"{field} must be at most {MAX_QUANTITY}.",
            code="invalid_quantity",
            fields={field: [f"At most {MAX_QUANTITY}."]},
        )
    return value


def _reference(reference: str) -> str:
    if not isinstance(reference, str) or not reference.strip() or len(reference) > MAX_REFERENCE:
        raise ApplicationError(
            f"reference must be 1-{MAX_REFERENCE} characters.", code="invalid_reference"
        )
    return reference


def lines_merge(lines: Iterable[Line]) -> dict[UUID, int]:
    """Quantities by listing (a listing named twice is asked for once, summed)."""
    merged: dict[UUID, int] = {}
    for line in lines:
        merged[line.listing_id] = merged.get(line.listing_id, 0) + _quantity(line.quantity)
    if not merged:
        raise ApplicationError("At least one line is needed.", code="no_lines")
    return merged


def listings_lock(listing_ids: Iterable[UUID]) -> list[Listing]:
    """The listings, locked (their rows only, not the store's or vendor's), in id order."""
    return list(
        Listing.objects.select_for_update(of=("self",))
        .select_related("store", "vendor")
        .filter(pk__in=set(listing_ids))
        .order_by("id")
    )


def movement_apply(
    listing: Listing,
    *,
    kind: str,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: str = "",
    reference: str = "",
    actor_user_id: UUID | None = None,
    low_stock_alert: bool = True,
) -> StockMovement:
    """Change a locked listing's stock and record why. Refuses (409) a change that would
    leave negative stock or more reserved than on hand; callers check first.
    ``low_stock_alert=False`` for a listing being retired (no ``vendors.stock_low``)."""
    before = listing.available
    on_hand = listing.on_hand + on_hand_delta
    reserved = listing.reserved + reserved_delta
    if on_hand < 0 or reserved < 0 or reserved > on_hand:
        raise ConflictError(
            "This change would leave less stock on hand than is reserved.",
            code="stock_below_reserved",
            extra={
                "listing_id": str(listing.pk),
                "on_hand": listing.on_hand,
                "reserved": listing.reserved,
            },
        )
    listing.on_hand, listing.reserved = on_hand, reserved
    listing.save(update_fields=["on_hand", "reserved", "updated_at"])
    movement = StockMovement.objects.create(
        listing=listing,
        kind=kind,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=on_hand,
        reserved_after=reserved,
        reason=reason[:200],
        reference=reference[:MAX_REFERENCE],
        actor_user_id=actor_user_id,
    )
    if low_stock_alert:
        stock_low_check(listing, available_before=before)
    return movement


def _shortages(listings: Sequence[Listing], wanted: dict[UUID, int]) -> list[dict[str, object]]:
    return [
        {"listing_id": str(row.pk), "requested": wanted[row.pk], "available": row.available}
        for row in listings
        if row.available < wanted[row.pk]
    ]


# --- vendor operations ---------------------------------------------------------------------------
def _vendor_listing(vendor_id: UUID, listing_id: UUID) -> Listing:
    rows = listings_lock([listing_id])
    if not rows or rows[0].vendor_id != vendor_id:
        raise NotFoundError("No such listing.")
    return rows[0]


def stock_receive(
    *,
    vendor_id: UUID,
    listing_id: UUID,
    quantity: int,
    reason: str = "",
    actor_user_id: UUID | None = None,
) -> StockMovement:
    """Goods arrived: on hand grows by ``quantity``."""
    quantity = _quantity(quantity)
    with transaction.atomic():
        listing = _vendor_listing(vendor_id, listing_id)
        movement = movement_apply(
            listing,
            kind=MovementKind.RECEIVED,
            on_hand_delta=quantity,
            reason=reason or "received",
            actor_user_id=actor_user_id,
        )
        listings_publish([listing])
    return movement


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ApplicationError(
            "A reason is required for a stock adjustment.",
            code="reason_required",
            fields={"reason": ["Say why the stock changes (count, damage, loss...)."]},
        )
    return reason.strip()


def stock_adjust(
    *,
    vendor_id: UUID,
    listing_id: UUID,
    delta: int,
    reason: str,
    actor_user_id: UUID | None = None,
) -> StockMovement:
    """A correction of on hand (inventory count, damage, loss), with its reason. Refused
    (409 ``stock_below_reserved``) when it would leave less than is reserved."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ApplicationError(
            "delta must be a whole number other than 0.",
            code="invalid_quantity",
            fields={"delta": ["A whole number other than 0."]},
        )
    reason = _reason(reason)
    with transaction.atomic():
        listing = _vendor_listing(vendor_id, listing_id)
        movement = movement_apply(
            listing,
            kind=MovementKind.ADJUSTED,
            on_hand_delta=delta,
            reason=reason,
            actor_user_id=actor_user_id,
        )
        listings_publish([listing])
    return movement


# --- reservations (the checkout's side, through the facade) ---------------------------------------
def stock_reserve(
    *, reference: str, lines: Iterable[Line], ttl_seconds: int | None = None
) -> Reservation:
    """Hold stock for every line or none. Same ``reference`` again returns the existing
    reservation, whatever its state.

    Cheap on purpose (it runs inside every checkout's transaction): the reservation row
    first (``ON CONFLICT DO NOTHING`` on its unique reference: a twin with the same
    reference waits for the first one's commit and then returns it), then one
    conditional ``UPDATE ... RETURNING`` per listing, in id order, that takes the stock
    only if the listing is active, its store open, its vendor active and enough is
    available. The row lock the update takes is held to the end of the caller's
    transaction, so a losing twin re-evaluates the condition on the committed row (no
    oversell; the check constraint ``reserved <= on_hand`` backs it). A line that cannot
    be served rolls everything back (the block is atomic), then a plain read says why
    (unknown, not purchasable, or short: ``OutOfStockError`` with every short line).
    The movements and reservation lines are one insert each.
    """
    reference = _reference(reference)
    wanted = lines_merge(lines)
    ttl = settings.VENDORS_RESERVATION_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ApplicationError("ttl_seconds must be above 0.", code="invalid_ttl")
    now = timezone.now()
    # A refusal below rolls back this block only (a savepoint inside the caller's
    # transaction), so a caller may handle it and go on.
    with transaction.atomic():
        reservation = Reservation(
            reference=reference,
            status=ReservationStatus.ACTIVE,
            expires_at=now + timedelta(seconds=ttl),
            created_at=now,
            updated_at=now,
        )
        if not _reservation_insert(reservation):
            return Reservation.objects.get(reference=reference)
        taken: list[Listing] = []
        for listing_id in sorted(wanted):
            row = _reserve_listing(listing_id, wanted[listing_id], now)
            if row is None:
                _refuse(wanted)
            taken.append(row)
        purchasable = purchasable_variants(row.variant_id for row in taken)
        closed = [str(row.pk) for row in taken if row.variant_id not in purchasable]
        if closed:
            raise ApplicationError(
                "Some listings cannot be bought now.",
                code="listing_not_purchasable",
                extra={"listing_ids": closed},
            )
        StockMovement.objects.bulk_create(
            StockMovement(
                listing_id=row.pk,
                kind=MovementKind.RESERVED,
                reserved_delta=wanted[row.pk],
                on_hand_after=row.on_hand,
                reserved_after=row.reserved,
                reference=reference,
                created_at=now,
            )
            for row in taken
        )
        reserved_lines = ReservationLine.objects.bulk_create(
            ReservationLine(reservation=reservation, listing_id=row.pk, quantity=wanted[row.pk])
            for row in taken
        )
        for row in taken:
            stock_low_check(row, available_before=row.available + wanted[row.pk])
        listings_publish(taken, purchasable=purchasable)
    # What the facade reports back, without reading the lines again.
    reservation._prefetched_objects_cache = {"lines": reserved_lines}  # type: ignore[attr-defined]
    return reservation


_LISTING_FIELDS = list(Listing._meta.concrete_fields)


def _reserve_sql() -> tuple[str, str]:
    """The two statements of a reservation, built once from the models' tables (no input
    is ever formatted into them: every value is a parameter)."""
    q = connection.ops.quote_name
    reservation = q(Reservation._meta.db_table)
    listing, store, vendor = (
        q(Listing._meta.db_table),
        q(Store._meta.db_table),
        q(Vendor._meta.db_table),
    )
    columns = ", ".join(f"{listing}.{q(str(f.column))}" for f in _LISTING_FIELDS)
    insert = (
        f"INSERT INTO {reservation} (id, reference, status, expires_at, created_at, "  # noqa: S608
        "updated_at) VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (reference) DO NOTHING RETURNING id"
    )
    update = (
        f"UPDATE {listing} SET reserved = {listing}.reserved + %s, updated_at = %s "  # noqa: S608
        f"FROM {store}, {vendor} "
        f"WHERE {listing}.id = %s AND {store}.id = {listing}.store_id "
        f"AND {vendor}.id = {listing}.vendor_id AND {listing}.status = %s "
        f"AND {store}.opening_state = %s AND {vendor}.status = %s "
        f"AND {listing}.on_hand - {listing}.reserved >= %s "
        f"RETURNING {columns}, {store}.name, {store}.slug, {store}.opening_state, "
        f"{vendor}.status"
    )
    return insert, update


_RESERVATION_INSERT, _LISTING_RESERVE = _reserve_sql()


def _reservation_insert(reservation: Reservation) -> bool:
    """Insert the reservation unless its reference exists (then False)."""
    if connection.vendor != "postgresql":  # the embedded profile (SQLite: one writer)
        try:
            with transaction.atomic():
                reservation.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            _RESERVATION_INSERT,
            [
                reservation.pk,
                reservation.reference,
                reservation.status,
                reservation.expires_at,
                reservation.created_at,
                reservation.updated_at,
            ],
        )
        return cursor.fetchone() is not None


def _reserve_listing(listing_id: UUID, quantity: int, now: datetime) -> Listing | None:
    """Take ``quantity`` of a purchasable listing if available (one statement, the row
    stays locked); the listing after the change, with its store and vendor, or None."""
    if connection.vendor != "postgresql":
        return _reserve_listing_portable(listing_id, quantity, now)
    with connection.cursor() as cursor:
        cursor.execute(
            _LISTING_RESERVE,
            [
                quantity,
                now,
                listing_id,
                ListingStatus.ACTIVE,
                OpeningState.OPEN,
                VendorStatus.ACTIVE,
                quantity,
            ],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    width = len(_LISTING_FIELDS)
    row = Listing.from_db(
        connection.alias, [f.attname for f in _LISTING_FIELDS], list(found[:width])
    )
    name, slug, opening_state, vendor_status = found[width:]
    row.store = Store.from_db(
        connection.alias,
        ["id", "vendor_id", "name", "slug", "opening_state"],
        [row.store_id, row.vendor_id, name, slug, opening_state],
    )
    row.vendor = Vendor.from_db(connection.alias, ["id", "status"], [row.vendor_id, vendor_status])
    return row


def _reserve_listing_portable(listing_id: UUID, quantity: int, now: datetime) -> Listing | None:
    """The same conditional update through the ORM, for databases that serialise writers
    (SQLite, the embedded profile: its UPDATE cannot return the joined rows). Not used on
    PostgreSQL: there the condition must sit on the updated row itself, not in a
    subquery, to be re-checked on the row a concurrent checkout committed."""
    taken = Listing.objects.filter(
        pk=listing_id,
        status=ListingStatus.ACTIVE,
        store__opening_state=OpeningState.OPEN,
        vendor__status=VendorStatus.ACTIVE,
        on_hand__gte=F("reserved") + quantity,
    ).update(reserved=F("reserved") + quantity, updated_at=now)
    if not taken:
        return None
    return Listing.objects.select_related("store", "vendor").get(pk=listing_id)


def _refuse(wanted: dict[UUID, int]) -> NoReturn:
    """Why a line could not be reserved (a plain read; the caller's block rolls back)."""
    listings = list(
        Listing.objects.select_related("store", "vendor").filter(pk__in=wanted).order_by("id")
    )
    missing = sorted(str(i) for i in set(wanted) - {row.pk for row in listings})
    if missing:
        raise ApplicationError(
            "Unknown listings.", code="unknown_listing", extra={"listing_ids": missing}
        )
    purchasable = purchasable_variants(row.variant_id for row in listings)
    closed = [str(row.pk) for row in listings if not listing_is_purchasable(row, purchasable)]
    if closed:
        raise ApplicationError(
            "Some listings cannot be bought now.",
            code="listing_not_purchasable",
            extra={"listing_ids": closed},
        )
    # Short now, or short when the update ran (stock freed since): report every line
    # that is short, or all of them if none is any more.
    short = _shortages(listings, wanted) or [
        {"listing_id": str(row.pk), "requested": wanted[row.pk], "available": row.available}
        for row in listings
    ]
    raise OutOfStockError(short)


def _reservation_lock(reference: str) -> Reservation | None:
    return Reservation.objects.select_for_update().filter(reference=reference).first()


def _lines(reservation: Reservation) -> dict[UUID, int]:
    return dict(reservation.lines.values_list("listing_id", "quantity"))


def _release(reservation: Reservation, *, status: str, reason: str) -> list[Listing]:
    lines = _lines(reservation)
    listings = listings_lock(lines)
    for row in listings:
        movement_apply(
            row,
            kind=MovementKind.RELEASED,
            reserved_delta=-lines[row.pk],
            reason=reason,
            reference=reservation.reference,
        )
    reservation.status = status
    reservation.save(update_fields=["status", "updated_at"])
    listings_publish(listings)
    return listings


def stock_release(*, reference: str) -> bool:
    """Give an active reservation's stock back. False when there was nothing to release."""
    with transaction.atomic():
        reservation = _reservation_lock(reference)
        if reservation is None or reservation.status != ReservationStatus.ACTIVE:
            return False
        _release(reservation, status=ReservationStatus.RELEASED, reason="released")
    return True


def stock_commit(*, reference: str) -> bool:
    """Reserved stock is sold. Idempotent. A reservation that expired or was released
    takes its stock again if it can (409 ``out_of_stock`` if not). False for an unknown
    reference."""
    with transaction.atomic():
        reservation = _reservation_lock(reference)
        if reservation is None:
            return False
        if reservation.status == ReservationStatus.COMMITTED:
            return True
        lines = _lines(reservation)
        listings = listings_lock(lines)
        held = reservation.status == ReservationStatus.ACTIVE
        if not held:
            short = _shortages(listings, lines)
            if short:
                raise OutOfStockError(short)
        for row in listings:
            movement_apply(
                row,
                kind=MovementKind.SOLD,
                on_hand_delta=-lines[row.pk],
                reserved_delta=-lines[row.pk] if held else 0,
                reference=reference,
            )
        reservation.status = ReservationStatus.COMMITTED
        reservation.save(update_fields=["status", "updated_at"])
        listings_publish(listings)
    return True


def stock_return(*, listing_id: UUID, quantity: int, reference: str) -> None:
    """Sold goods came back: on hand grows. Once per ``reference`` and listing."""
    quantity = _quantity(quantity)
    reference = _reference(reference)
    with transaction.atomic():
        rows = listings_lock([listing_id])
        if not rows:
            raise NotFoundError("No such listing.", code="unknown_listing")
        listing = rows[0]
        if StockMovement.objects.filter(
            listing=listing, kind=MovementKind.RETURNED, reference=reference
        ).exists():
            return
        movement_apply(
            listing,
            kind=MovementKind.RETURNED,
            on_hand_delta=quantity,
            reason="returned",
            reference=reference,
        )
        listings_publish([listing])


def reservations_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Release reservations past their expiry and publish ``vendors.stock_reservation_expired``.
    One transaction per reservation (its lock order is its own); a reservation being
    committed or released right now is skipped and looked at on the next run."""
    now = now or timezone.now()
    due = list(
        Reservation.objects.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for reservation_id in due:
        with transaction.atomic():
            reservation = (
                Reservation.objects.select_for_update(skip_locked=True)
                .filter(pk=reservation_id, status=ReservationStatus.ACTIVE, expires_at__lte=now)
                .first()
            )
            if reservation is None:
                continue
            lines = _lines(reservation)
            _release(reservation, status=ReservationStatus.EXPIRED, reason="reservation expired")
            publish(
                StockReservationExpired(
                    reference=reservation.reference,
                    lines=[
                        {"listing_id": str(listing_id), "quantity": quantity}
                        for listing_id, quantity in sorted(lines.items(), key=lambda i: str(i[0]))
                    ],
                )
            )
            expired += 1
    if expired:
        log.info("reservations_expired", count=expired)
    return expired
