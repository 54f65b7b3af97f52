"""Bulk stock import from CSV: every row is checked first, then all are applied in one
transaction, or none (a bad row, or a count that no longer fits what is reserved, leaves
every listing as it was, and the answer lists each bad row with its errors).

Columns (header row required; order free)::

    listing_id | sku   one of the two names the listing (a SKU must name one listing)
    quantity          a whole number
    mode              optional: "set" (default: the counted quantity on hand),
                      "receive" (add), "adjust" (add a signed correction)
    reason            optional; recorded on the movement
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from uuid import UUID

from django.conf import settings
from django.db import transaction

from bazaar_platform.api.errors import ApplicationError
from contexts.vendors.models import Listing, MovementKind
from contexts.vendors.services.listing_events import listings_publish
from contexts.vendors.services.stock import MAX_QUANTITY, listings_lock, movement_apply

MODES = ("set", "receive", "adjust")


class ImportTooLargeError(ApplicationError):
    status_code = 413
    code = "import_too_large"


class MalformedCsvError(ApplicationError):
    code = "malformed_csv"


@dataclass
class _Row:
    number: int
    listing_id: UUID | None = None
    quantity: int = 0
    mode: str = "set"
    reason: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    rows: int
    changed: int
    unchanged: int


def _parse(data: bytes) -> tuple[list[str], list[list[str]]]:
    if len(data) > settings.VENDORS_STOCK_IMPORT_MAX_BYTES:
        raise ImportTooLargeError(
            f"The file is larger than {settings.VENDORS_STOCK_IMPORT_MAX_BYTES} bytes; split it.",
            extra={"max_bytes": settings.VENDORS_STOCK_IMPORT_MAX_BYTES},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedCsvError("The file is not UTF-8 text.") from None
    if "\x00" in text:
        raise MalformedCsvError("The file is not CSV text (it holds NUL bytes).")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise MalformedCsvError(f"The CSV cannot be read: {exc}.") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise MalformedCsvError("The file is empty; the first row must name the columns.")
    header = [cell.strip().lower() for cell in rows[0]]
    if len(set(header)) != len(header):
        raise MalformedCsvError("A column is named twice in the header.")
    unknown = set(header) - {"listing_id", "sku", "quantity", "mode", "reason"}
    if unknown:
        raise MalformedCsvError(f"Unknown columns: {', '.join(sorted(unknown))}.")
    if "quantity" not in header or not ({"listing_id", "sku"} & set(header)):
        raise MalformedCsvError("The header needs a quantity column and listing_id or sku.")
    body = rows[1:]
    if not body:
        raise MalformedCsvError("The file has a header but no rows.")
    if len(body) > settings.VENDORS_STOCK_IMPORT_MAX_ROWS:
        raise ApplicationError(
            f"At most {settings.VENDORS_STOCK_IMPORT_MAX_ROWS} rows per import; split the file.",
            code="import_too_many_rows",
        )
    return header, body


def _read_rows(vendor_id: UUID, header: list[str], body: list[list[str]]) -> list[_Row]:
    listings = list(Listing.objects.filter(vendor_id=vendor_id).values_list("id", "sku"))
    ids = {listing_id for listing_id, _ in listings}
    by_sku: dict[str, list[UUID]] = {}
    for listing_id, sku in listings:
        by_sku.setdefault(sku, []).append(listing_id)
    seen: dict[UUID, int] = {}
    out: list[_Row] = []
    for number, cells in enumerate(body, start=2):
        row = _Row(number=number)
        out.append(row)
        if len(cells) != len(header):
            row.errors.append(f"{len(cells)} cells where the header has {len(header)}.")
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        if values.get("listing_id"):
            try:
                candidate = UUID(values["listing_id"])
            except ValueError:
                candidate = None
            if candidate in ids:
                row.listing_id = candidate
            else:
                row.errors.append("listing_id: not one of your listings.")
        elif values.get("sku"):
            matches = by_sku.get(values["sku"], [])
            if len(matches) == 1:
                row.listing_id = matches[0]
            elif matches:
                row.errors.append("sku: several of your listings have it; use listing_id.")
            else:
                row.errors.append("sku: none of your listings has it.")
        else:
            row.errors.append("listing_id or sku is required.")
        row.mode = values.get("mode", "").lower() or "set"
        if row.mode not in MODES:
            row.errors.append(f"mode: one of {', '.join(MODES)}.")
        try:
            row.quantity = int(values.get("quantity", ""))
        except ValueError:
            row.errors.append("quantity: a whole number.")
        else:
            low = -MAX_QUANTITY if row.mode == "adjust" else (1 if row.mode == "receive" else 0)
            if not low <= row.quantity <= MAX_QUANTITY or (
                row.mode == "adjust" and row.quantity == 0
            ):
                row.errors.append(f"quantity: out of range for mode {row.mode}.")
        row.reason = values.get("reason", "")[:200]
        if row.listing_id is not None:
            if row.listing_id in seen:
                row.errors.append(f"The same listing is on row {seen[row.listing_id]} already.")
            else:
                seen[row.listing_id] = number
    return out


def _bad(rows: list[_Row]) -> ApplicationError:
    bad = [{"row": r.number, "errors": r.errors} for r in rows if r.errors]
    return ApplicationError(
        f"{len(bad)} row(s) have errors; nothing was imported.",
        code="import_rows_invalid",
        extra={"rows": bad},
    )


def stock_import(
    *, vendor_id: UUID, data: bytes, actor_user_id: UUID | None = None
) -> ImportResult:
    header, body = _parse(data)
    rows = _read_rows(vendor_id, header, body)
    if any(r.errors for r in rows):
        raise _bad(rows)
    with transaction.atomic():
        locked = {row.pk: row for row in listings_lock(r.listing_id for r in rows if r.listing_id)}
        plan: list[tuple[_Row, Listing, int]] = []
        for row in rows:
            listing = locked.get(row.listing_id) if row.listing_id else None
            if listing is None or listing.vendor_id != vendor_id:
                row.errors.append("The listing was deleted meanwhile.")
                continue
            delta = row.quantity - listing.on_hand if row.mode == "set" else row.quantity
            if listing.on_hand + delta < listing.reserved:
                row.errors.append(
                    f"{listing.reserved} units are reserved by checkouts; on hand cannot go "
                    f"to {listing.on_hand + delta}."
                )
            plan.append((row, listing, delta))
        if any(r.errors for r in rows):
            raise _bad(rows)
        changed = []
        for row, listing, delta in plan:
            if delta == 0:
                continue
            movement_apply(
                listing,
                kind=MovementKind.RECEIVED if row.mode == "receive" else MovementKind.ADJUSTED,
                on_hand_delta=delta,
                reason=row.reason or f"CSV import ({row.mode}), row {row.number}",
                actor_user_id=actor_user_id,
            )
            changed.append(listing)
        listings_publish(changed)
    return ImportResult(rows=len(rows), changed=len(changed), unchanged=len(rows) - len(changed))
