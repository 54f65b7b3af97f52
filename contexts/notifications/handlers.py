"""Reactions: other contexts' events (and our own send command) turned into messages.

A reaction is a small mapping: *event → kind (templates), category, channels, and
recipients resolved through facades*. Adding one is adding a :class:`Reaction` to
:data:`REACTIONS` and a template folder ``templates/notifications/<kind>/``.

Each reaction becomes its own handler function (the event platform keys inbox
records by handler name, so one function per (event, kind)). The platform's inbox
runs a handler once per event; on top of that a message is stored once per (event,
kind, recipient) and a delivery once per (event, kind, channel, address).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

import structlog
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from bazaar_platform.events import IntegrationEvent
from contexts.auth import events as auth_events
from contexts.auth import facade as auth
from contexts.catalog import events as catalog_events
from contexts.catalog import facade as catalog
from contexts.notifications import selectors
from contexts.notifications.events import SendRequested
from contexts.notifications.models import Category, Channel
from contexts.notifications.services import (
    Bodies,
    Recipient,
    message_accept,
    message_reject,
    message_validate,
    render_kind,
    text_from_html,
)
from contexts.notifications.services.push import MSG_REVOKED, push_quietly
from contexts.notifications.services.rendering import (
    Money,
    sanitize_email_html,
    sanitize_in_app_html,
)
from contexts.orders import events as orders_events
from contexts.payments import events as payments_events
from contexts.payments import facade as payments
from contexts.reviews import events as reviews_events
from contexts.subscriptions import events as subscriptions_events
from contexts.vendors import events as vendors_events
from contexts.vendors import facade as vendors

log = structlog.get_logger("bazaar.notifications.handlers")

E = TypeVar("E", bound=IntegrationEvent)


# --- recipients, resolved through facades -------------------------------------------------
def user_recipient(user_id: UUID) -> Recipient | None:
    """A user as a recipient: e-mail and name from the auth facade; SMS number and
    language from this context's own settings (auth keeps neither). A ``locale`` on the
    auth profile, should it gain one, is used when the user chose none here."""
    profile = auth.user_profile(user_id=user_id)
    if profile is None:
        log.warning("notification_recipient_unknown", user_id=str(user_id))
        return None
    own = selectors.recipient_settings_get(user_id=user_id)
    locale = (own.locale if own else "") or str(getattr(profile, "locale", "") or "")
    return Recipient(
        user_id=user_id,
        email=profile.email,
        phone=own.phone if own else "",
        locale=locale or str(settings.LANGUAGE_CODE),
        name=profile.full_name,
    )


def the_user(user_id: UUID) -> list[Recipient]:
    recipient = user_recipient(user_id)
    return [recipient] if recipient is not None else []


def vendor_owner(vendor_id: UUID) -> list[Recipient]:
    """The owner of a vendor (vendors facade), as a user recipient."""
    vendor = vendors.vendor_get(vendor_id=vendor_id)
    if vendor is None:
        log.warning("notification_vendor_unknown", vendor_id=str(vendor_id))
        return []
    return the_user(vendor.owner_user_id)


def payer(payment_id: UUID) -> list[Recipient]:
    """Who paid (payments facade): their account if they had one, else the address
    they paid with (e-mail only: no inbox without an account)."""
    payment = payments.payment_get(payment_id=payment_id)
    if payment is None:
        log.warning("notification_payment_unknown", payment_id=str(payment_id))
        return []
    if payment.payer_user_id is not None:
        recipient = user_recipient(payment.payer_user_id)
        if recipient is not None:
            return [recipient]
    if payment.payer_email:
        return [Recipient(email=payment.payer_email, locale=str(settings.LANGUAGE_CODE))]
    return []


def absolute(link: str) -> str:
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


# --- what orders, stock and reviews messages say ---------------------------------------------
def order_ref(order_id: UUID) -> str:
    """The short order reference customers and vendors see (the id's first block)."""
    return str(order_id).split("-")[0].upper()


def line_titles(lines: Iterable[Mapping[str, Any]], shown: int = 2) -> str:
    """Line titles for a message, "2 x Acme Phone X, 1 x Case"; longer lists are cut
    short with "and N more" (an SMS must stay one part)."""
    parts = [f"{line['quantity']} x {line['title']}" for line in lines]
    if len(parts) <= shown:
        return ", ".join(parts)
    more = gettext("and %(count)s more") % {"count": len(parts) - shown}
    return f"{', '.join(parts[:shown])} {more}"


CANCEL_REASONS: Mapping[str, Any] = {
    "customer": gettext_lazy("you cancelled it."),
    "payment_failed": gettext_lazy("the payment did not go through."),
    "expired": gettext_lazy("it was not paid in time and the items went back on sale."),
    "out_of_stock": gettext_lazy("an item sold out before your payment arrived."),
    "staff": gettext_lazy("our staff cancelled it."),
}


def _cancelled_context(e: orders_events.OrderCancelled, r: Recipient) -> Mapping[str, Any]:
    reason = str(CANCEL_REASONS.get(e.reason, CANCEL_REASONS["staff"]))
    if e.refunded:
        reason = f"{reason} {gettext('Any money taken is being refunded.')}"
    return {**order_facts(e), "reason_text": reason}


def vendor_owners_of(vendor_ids: Iterable[str | UUID]) -> list[Recipient]:
    seen: set[UUID] = set()
    recipients: list[Recipient] = []
    for raw in vendor_ids:
        vendor_id = UUID(str(raw))
        if vendor_id not in seen:
            seen.add(vendor_id)
            recipients.extend(vendor_owner(vendor_id))
    return recipients


def _vendor_new_order_context(e: orders_events.OrderPaid, r: Recipient) -> Mapping[str, Any]:
    """The recipient's own part of the order: the vendor orders of vendors they own."""
    mine = {
        str(vo["vendor_order_id"])
        for vo in e.vendor_orders
        if (vendor := vendors.vendor_get(vendor_id=UUID(str(vo["vendor_id"])))) is not None
        and vendor.owner_user_id == r.user_id
    }
    lines = [line for line in e.lines if str(line["vendor_order_id"]) in mine]
    subtotal = sum(int(line["unit_price_minor"]) * int(line["quantity"]) for line in lines)
    return {
        "order_ref": order_ref(e.order_id),
        "item_count": sum(int(line["quantity"]) for line in lines),
        "subtotal": Money(subtotal, e.currency),
    }


def product_name(product_id: UUID) -> str:
    summary = catalog.product_summaries([product_id]).get(product_id)
    return summary.name if summary is not None else ""


def review_subject_name(subject_type: str, subject_id: UUID) -> str:
    if subject_type == "product":
        return product_name(subject_id)
    if subject_type == "store":
        store = vendors.store_get(store_id=subject_id)
        return store.name if store is not None else ""
    vendor = vendors.vendor_get(vendor_id=subject_id)
    return vendor.legal_name if vendor is not None else ""


def _order_link(e: Any) -> str:
    return f"/api/v1/orders/mine/{e.order_id}"


def _vendor_order_link(e: Any) -> str:
    return f"/api/v1/orders/vendor/orders/{e.vendor_order_id}"


# --- the mapping ---------------------------------------------------------------------------
def _no_context(event: Any, recipient: Recipient) -> Mapping[str, Any]:
    return {}


def _no_link(event: Any) -> str:
    return ""


def _always(event: Any) -> bool:
    return True


@dataclass(frozen=True)
class Reaction(Generic[E]):
    event: type[E]
    kind: str
    # A category, or a function of the event choosing one (a refund is about an order
    # or about a vendor's subscription).
    category: str | Callable[[E], str]
    recipients: Callable[[E], Iterable[Recipient]]
    channels: tuple[str, ...] = (Channel.IN_APP, Channel.EMAIL)
    context: Callable[[E, Recipient], Mapping[str, Any]] = field(default=_no_context)
    link: Callable[[E], str] = field(default=_no_link)
    when: Callable[[E], bool] = field(default=_always)

    @property
    def handler_name(self) -> str:
        return f"on_{self.event.event_type.replace('.', '__')}__{self.kind}"


def _email_verified(user_id: UUID) -> bool:
    profile = auth.user_profile(user_id=user_id)
    return bool(profile and profile.email_verified)


def order_facts(e: Any) -> dict[str, Any]:
    """What every order message may show: the reference, the lines, the total (the
    order's on order events, the vendor order's on vendor-order events)."""
    return {
        "order_ref": order_ref(e.order_id),
        "items": line_titles(e.lines),
        "total": Money(e.total_minor, e.currency),
    }


def _to_customer(
    event: type[Any],
    kind: str,
    *,
    channels: tuple[str, ...] = (Channel.IN_APP, Channel.EMAIL),
    extra: Callable[[Any], Mapping[str, Any]] = lambda e: {},
) -> Reaction[Any]:
    """An order message to the customer: category orders, a link to the order, the
    order's facts plus ``extra(event)``."""
    return Reaction(
        event=event,
        kind=kind,
        category=Category.ORDERS,
        channels=channels,
        recipients=lambda e: the_user(e.customer_user_id),
        context=lambda e, r: {**order_facts(e), **extra(e)},
        link=_order_link,
    )


REACTIONS: list[Reaction[Any]] = [
    # auth: a new account gets a welcome, and (unless a provider vouched for the
    # address) a reminder to confirm it; auth itself mails the confirmation link.
    Reaction(
        event=auth_events.UserRegistered,
        kind="welcome",
        category=Category.ACCOUNT,
        recipients=lambda e: the_user(e.user_id),
        context=lambda e, r: {
            "name": e.full_name,
            "email": e.email,
            "needs_verification": not _email_verified(e.user_id),
        },
        link=lambda e: "/notifications/",
    ),
    Reaction(
        event=auth_events.UserUpdated,
        kind="email_verified",
        category=Category.ACCOUNT,
        channels=(Channel.IN_APP,),
        recipients=lambda e: the_user(e.user_id),
        when=lambda e: "email_verified" in e.changed and e.email_verified,
    ),
    Reaction(
        event=auth_events.RoleGranted,
        kind="vendor_role_granted",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: the_user(e.user_id),
        when=lambda e: e.role == "vendor",
        link=lambda e: "/vendor-admin/",
    ),
    Reaction(
        event=auth_events.RoleGranted,
        kind="admin_role_granted",
        category=Category.SECURITY,
        recipients=lambda e: the_user(e.user_id),
        when=lambda e: e.role == "admin",
        link=lambda e: "/admin/",
    ),
    Reaction(
        event=auth_events.UserDeactivated,
        kind="account_deactivated",
        category=Category.SECURITY,
        channels=(Channel.EMAIL,),
        recipients=lambda e: the_user(e.user_id),
    ),
    # auth: security notices (category SECURITY: preferences cannot switch them off).
    Reaction(
        event=auth_events.PasswordChanged,
        kind="password_changed",
        category=Category.SECURITY,
        recipients=lambda e: the_user(e.user_id),
    ),
    Reaction(
        event=auth_events.NewDeviceLogin,
        kind="new_device_login",
        category=Category.SECURITY,
        recipients=lambda e: the_user(e.user_id),
        context=lambda e, r: {"device": e.user_agent[:120], "ip": e.ip},
    ),
    # subscriptions: the vendor's owner hears about activation and dunning.
    Reaction(
        event=subscriptions_events.SubscriptionActivated,
        kind="subscription_activated",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: vendor_owner(e.vendor_id),
        context=lambda e, r: {
            "plan": e.plan_code,
            "period_end": e.current_period_end,
            "reactivated": e.reactivated,
        },
        link=lambda e: "/vendor-admin/",
    ),
    Reaction(
        event=subscriptions_events.SubscriptionPastDue,
        kind="subscription_past_due",
        category=Category.VENDOR_OPERATIONS,
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.SMS),
        recipients=lambda e: vendor_owner(e.vendor_id),
        context=lambda e, r: {"plan": e.plan_code, "grace_until": e.grace_until},
        link=lambda e: "/vendor-admin/",
    ),
    # payments: the payer hears that a refund went out.
    Reaction(
        event=payments_events.RefundSucceeded,
        kind="refund_succeeded",
        category=lambda e: {
            "order": Category.ORDERS,
            "subscription": Category.VENDOR_OPERATIONS,
        }.get(e.purpose, Category.ACCOUNT),
        recipients=lambda e: payer(e.payment_id),
        context=lambda e, r: {
            "amount": Money(e.amount_minor, e.currency),
            "fully_refunded": e.payment_status == "refunded",
        },
    ),
    # catalog: a vendor's product proposal went live.
    Reaction(
        event=catalog_events.ProductPublished,
        kind="product_proposal_published",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: vendor_owner(e.proposed_by_vendor_id),
        when=lambda e: e.proposed_by_vendor_id is not None,
        context=lambda e, r: {"product": e.name},
        link=lambda e: f"/api/v1/catalog/products/{e.slug}/",
    ),
    # orders: the customer follows the order; each vendor hears of its part to fulfil.
    _to_customer(orders_events.OrderPlaced, "order_placed"),
    _to_customer(orders_events.OrderPaid, "order_confirmed"),
    Reaction(
        event=orders_events.OrderPaid,
        kind="vendor_new_order",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: vendor_owners_of(vo["vendor_id"] for vo in e.vendor_orders),
        context=_vendor_new_order_context,
        link=lambda e: "/vendor-admin/",
    ),
    _to_customer(
        orders_events.VendorOrderShipped,
        "order_shipped",
        channels=(Channel.IN_APP, Channel.EMAIL, Channel.SMS),
        extra=lambda e: {"carrier": e.carrier, "tracking_number": e.tracking_number},
    ),
    _to_customer(orders_events.VendorOrderDelivered, "order_delivered"),
    Reaction(
        event=orders_events.OrderCancelled,
        kind="order_cancelled",
        category=Category.ORDERS,
        recipients=lambda e: the_user(e.customer_user_id),
        context=_cancelled_context,
        link=_order_link,
    ),
    Reaction(
        event=orders_events.ReturnRequested,
        kind="vendor_return_requested",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: vendor_owner(e.vendor_id),
        context=lambda e, r: {**order_facts(e), "reason": e.reason},
        link=_vendor_order_link,
    ),
    _to_customer(
        orders_events.ReturnApproved,
        "return_approved",
        extra=lambda e: {"amount": Money(e.refund_amount_minor, e.currency)},
    ),
    _to_customer(
        orders_events.ReturnRejected,
        "return_rejected",
        extra=lambda e: {"rejection_reason": e.rejection_reason},
    ),
    # vendors: the owner hears when a listing runs low.
    Reaction(
        event=vendors_events.StockLow,
        kind="stock_low",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: vendor_owner(e.vendor_id),
        context=lambda e, r: {
            "product": product_name(e.product_id),
            "available": e.available,
            "threshold": e.threshold,
        },
        link=lambda e: "/vendor-admin/",
    ),
    # reviews: the vendor hears of a new review; the author of a reply or a rejection.
    Reaction(
        event=reviews_events.ReviewPublished,
        kind="vendor_new_review",
        category=Category.VENDOR_OPERATIONS,
        recipients=lambda e: vendor_owner(e.owner_vendor_id),
        when=lambda e: e.owner_vendor_id is not None,
        context=lambda e, r: {
            "rating": e.rating,
            "subject": review_subject_name(e.subject_type, e.subject_id),
        },
        link=lambda e: "/vendor-admin/",
    ),
    Reaction(
        event=reviews_events.ReviewReplied,
        kind="review_replied",
        category=Category.ACCOUNT,
        recipients=lambda e: the_user(e.author_user_id),
    ),
    Reaction(
        event=reviews_events.ReviewRejected,
        kind="review_rejected",
        category=Category.ACCOUNT,
        recipients=lambda e: the_user(e.author_user_id),
        context=lambda e, r: {"reason": e.reason},
    ),
]


def react(reaction: Reaction[Any], event: IntegrationEvent) -> int:
    """Apply ``reaction`` to ``event``; returns how many messages were accepted."""
    if not reaction.when(event):
        return 0
    category = reaction.category(event) if callable(reaction.category) else reaction.category
    accepted = 0
    link = reaction.link(event)
    for recipient in reaction.recipients(event):
        context = {
            "recipient_name": recipient.name,
            "link": absolute(link),
            **reaction.context(event, recipient),
        }
        rendered = render_kind(
            kind=reaction.kind,
            channels=reaction.channels,
            context=context,
            locale=recipient.locale,
        )
        message_accept(
            source_event_id=event.event_id,
            source=event.event_type,
            kind=reaction.kind,
            category=category,
            recipient=recipient,
            channels=reaction.channels,
            bodies=rendered.bodies,
            link=link,
            render_errors=rendered.errors,
        )
        accepted += 1
    return accepted


def handler_for(reaction: Reaction[Any]) -> Callable[[Any], None]:
    def handle(event: IntegrationEvent) -> None:
        react(reaction, event)

    handle.__name__ = handle.__qualname__ = reaction.handler_name
    handle.__doc__ = f"{reaction.event.event_type} -> {reaction.kind}"
    return handle


# --- the command ---------------------------------------------------------------------------
def on_send_requested(event: SendRequested) -> None:
    """Deliver a message another context (or the facade) wrote; bad input is recorded
    as a rejected notification, never retried."""
    locale = event.locale
    if not locale and event.recipient_user_id is not None:
        own = selectors.recipient_settings_get(user_id=event.recipient_user_id)
        locale = own.locale if own else ""
    recipient = Recipient(
        user_id=event.recipient_user_id,
        email=event.email.strip(),
        phone=event.phone.strip(),
        locale=locale or str(settings.LANGUAGE_CODE),
    )
    email_html = sanitize_email_html(event.email_body) if event.email_body else ""
    bodies = Bodies(
        subject=" ".join(event.email_subject.split()),
        email_html=email_html,
        email_text=event.email_text.strip() or text_from_html(email_html),
        sms_text=event.sms_body.strip(),
        in_app_html=sanitize_in_app_html(event.in_app_body) if event.in_app_body else "",
    )
    errors = message_validate(
        recipient=recipient,
        channels=event.channels,
        bodies=bodies,
        kind=event.kind,
        category=event.category,
        link=event.link,
    )
    if (
        not errors
        and event.recipient_user_id is not None
        and auth.user_profile(user_id=event.recipient_user_id) is None
    ):
        errors = {"recipient_user_id": ["No such user."]}
    if errors:
        message_reject(
            source_event_id=event.message_id,
            source=event.event_type,
            kind=event.kind,
            category=event.category,
            recipient=recipient,
            errors=errors,
        )
        return
    message_accept(
        source_event_id=event.message_id,
        source=event.event_type,
        kind=event.kind,
        category=event.category,
        recipient=recipient,
        channels=event.channels,
        bodies=bodies,
        link=event.link,
    )


# --- sessions -------------------------------------------------------------------------------
def on_user_deactivated_close_sockets(event: auth_events.UserDeactivated) -> None:
    """A deactivated user's open websockets are closed at once (every process), without
    waiting for their access tokens to expire."""
    push_quietly(event.user_id, {"type": MSG_REVOKED, "reason": "account_deactivated"})


def _build() -> dict[type[IntegrationEvent], list[Callable[[Any], None]]]:
    handlers: dict[type[IntegrationEvent], list[Callable[[Any], None]]] = {
        SendRequested: [on_send_requested],
        auth_events.UserDeactivated: [on_user_deactivated_close_sockets],
    }
    names: set[str] = set()
    for reaction in REACTIONS:
        if reaction.handler_name in names:
            raise ValueError(f"two reactions named {reaction.handler_name}")
        names.add(reaction.handler_name)
        handlers.setdefault(reaction.event, []).append(handler_for(reaction))
    return handlers


HANDLERS = _build()
