"""Vendor onboarding: one request, a chain of blocking calls across four contexts.

    auth (user, vendor role) -> vendors (vendor + first store + owner) ->
    subscriptions (subscription on the plan) -> payments (via subscriptions: a link)

Each step hands the next its ids. The contexts share a database today, but the saga
is written as if they did not: every step commits on its own, and the
:class:`~contexts.vendors.models.Onboarding` record (keyed by the request's
``Idempotency-Key``) stores the ids created so far and the last step done.

* A repeat of a finished request (same key, same body) returns the stored response;
  the same key with another body is refused (422 ``idempotency_key_reused``); a
  repeat while the first is running gets 409 ``request_in_progress``.
* Everything that can be refused is checked before the first write (plan, currency,
  slug, e-mail, password): bad input writes nothing and frees the key.
* A transient failure (the payment gateway unreachable: 503, a database error)
  leaves the record ``interrupted`` at the failed step: the same request with the
  same key resumes there. Every step is idempotent (the user by e-mail, the role
  grant, the vendor by the record, the subscription and the payment link by keys
  derived from the record), so a crash between a step and its record is repaired by
  the retry too.
* A permanent failure after the first write (the slug taken by a concurrent request,
  the gateway rejecting the amount) is compensated: the subscription is abandoned
  and the vendor deleted; the account stays (its owner chose its password and can
  log in and register again), and the response says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from bazaar_platform.api.errors import ApplicationError, ConflictError
from contexts.auth import facade as auth
from contexts.subscriptions import facade as subscriptions
from contexts.vendors.models import (
    Onboarding,
    OnboardingStatus,
    OnboardingStep,
    Store,
    Vendor,
    VendorMember,
)
from contexts.vendors.services.vendors import (
    SlugTakenError,
    StoreInput,
    vendor_create,
    vendor_discard,
)

log = structlog.get_logger("bazaar.vendors.onboarding")

STEPS: tuple[str, ...] = tuple(OnboardingStep.values)
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class RegistrationRequest:
    """What ``POST /api/v1/vendors/register`` carries, validated by its serializer."""

    legal_name: str
    plan_code: str
    store: StoreInput
    email: str = ""
    full_name: str = ""
    password: str | None = None
    contact_email: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class OnboardingOutcome:
    onboarding_id: UUID
    status_code: int
    body: dict[str, Any]  # the response data, or {"error": {...}} for a stored failure
    replayed: bool


class OnboardingError(ApplicationError):
    """A registration that did not complete; ``extra`` carries the onboarding id and a
    ``retry`` hint (whether to repeat with the same key, from which step, after how long)."""


class IdempotencyKeyReusedError(OnboardingError):
    status_code = 422
    code = "idempotency_key_reused"


class RequestInProgressError(OnboardingError):
    status_code = 409
    code = "request_in_progress"


def request_hash(request: RegistrationRequest, principal_user_id: UUID | None) -> str:
    """A keyed hash of the request (the password included, never stored in clear)."""
    canonical = json.dumps(
        {"request": asdict(request), "principal": str(principal_user_id or "")},
        sort_keys=True,
        separators=(",", ":"),
    )
    return salted_hmac("bazaar.vendors.onboarding", canonical, algorithm="sha256").hexdigest()


def _retry(
    *, same_key: bool, after: int | None = None, resume_from: str = "", action: str = ""
) -> dict[str, Any]:
    hint: dict[str, Any] = {"same_idempotency_key": same_key}
    if after is not None:
        hint["after_seconds"] = after
    if resume_from:
        hint["resume_from"] = resume_from
    if action:
        hint["action"] = action
    return hint


# --- claiming the key ------------------------------------------------------------------------
def _stored_outcome(rec: Onboarding) -> OnboardingOutcome:
    assert rec.response_status is not None
    assert rec.response_body is not None
    return OnboardingOutcome(rec.pk, rec.response_status, rec.response_body, replayed=True)


def _claim(
    *, key: str, digest: str, principal_user_id: UUID | None, request: RegistrationRequest
) -> tuple[Onboarding, OnboardingOutcome | None]:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.VENDORS_ONBOARDING_LEASE_SECONDS)
    with transaction.atomic():
        rec = Onboarding.objects.select_for_update().filter(idempotency_key=key).first()
        if rec is None:
            try:
                with transaction.atomic():
                    rec = Onboarding.objects.create(
                        idempotency_key=key,
                        request_hash=digest,
                        principal_user_id=principal_user_id,
                        email=request.email.strip().lower(),
                        plan_code=request.plan_code,
                        lease_until=lease,
                        attempts=1,
                    )
            except IntegrityError:
                raise RequestInProgressError(
                    "A request with this Idempotency-Key is being processed.",
                    extra={"retry": _retry(same_key=True, after=2)},
                ) from None
            return rec, None
        if rec.request_hash != digest:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was used for a different request.",
                extra={
                    "retry": _retry(
                        same_key=False, action="Use a new Idempotency-Key for a new request."
                    )
                },
            )
        if rec.status in (OnboardingStatus.COMPLETED, OnboardingStatus.FAILED):
            return rec, _stored_outcome(rec)
        if rec.status == OnboardingStatus.IN_PROGRESS and rec.lease_until and rec.lease_until > now:
            wait = max(1, int((rec.lease_until - now).total_seconds()))
            raise RequestInProgressError(
                "A request with this Idempotency-Key is being processed.",
                extra={
                    "onboarding_id": str(rec.pk),
                    "retry": _retry(same_key=True, after=min(wait, 5)),
                },
            )
        rec.status = OnboardingStatus.IN_PROGRESS
        rec.lease_until = lease
        rec.attempts += 1
        rec.save(update_fields=["status", "lease_until", "attempts", "updated_at"])
    log.info("onboarding_resumed", onboarding_id=str(rec.pk), step=rec.step, attempt=rec.attempts)
    return rec, None


# --- steps -----------------------------------------------------------------------------------
def _done(rec: Onboarding, step: str) -> bool:
    return STEPS.index(rec.step) >= STEPS.index(step)


def _advance(rec: Onboarding, step: str, **ids: Any) -> None:
    for name, value in ids.items():
        setattr(rec, name, value)
    rec.step = step
    rec.save(update_fields=[*ids, "step", "updated_at"])


def _validate_before_writes(rec: Onboarding, request: RegistrationRequest) -> None:
    """Everything that can refuse the request, checked before anything is written."""
    subscriptions.plan_quote(plan_code=request.plan_code, currency=request.store.currency)
    if Store.objects.filter(slug=request.store.slug).exists():
        raise SlugTakenError(request.store.slug)
    if rec.principal_user_id is not None:
        if VendorMember.objects.filter(user_id=rec.principal_user_id).exists():
            raise ConflictError("Your account already belongs to a vendor.", code="already_vendor")
        return
    missing = {
        name: ["This field is required when registering without being logged in."]
        for name in ("email", "full_name", "password")
        if not getattr(request, name)
    }
    if missing:
        raise ApplicationError(
            "email, full_name and password are required to create an account.",
            code="validation_error",
            fields=missing,
        )
    if auth.user_id_for_email(email=request.email) is not None:
        raise ConflictError(
            "An account with this e-mail address exists. Log in and register the vendor "
            "with your access token.",
            code="account_exists",
            fields={"email": ["An account with this address exists; log in first."]},
        )


def _step_user(rec: Onboarding, request: RegistrationRequest) -> None:
    if rec.principal_user_id is not None:
        profile = auth.user_profile(user_id=rec.principal_user_id)
        if profile is None:
            raise ApplicationError(
                "Your account no longer exists.", code="account_missing", status_code=409
            )
        _advance(rec, OnboardingStep.USER, user_id=rec.principal_user_id, email=profile.email)
        return
    if not rec.user_step_started:
        rec.user_step_started = True
        rec.save(update_fields=["user_step_started", "updated_at"])
    user_id = auth.user_create_or_get(
        email=request.email, full_name=request.full_name, password=request.password
    )
    _advance(rec, OnboardingStep.USER, user_id=user_id)


def _step_vendor(rec: Onboarding, request: RegistrationRequest) -> None:
    assert rec.user_id is not None
    with transaction.atomic():
        vendor, store = vendor_create(
            owner_user_id=rec.user_id,
            owner_email=rec.email,
            legal_name=request.legal_name,
            contact_email=request.contact_email or rec.email,
            contact_phone=request.contact_phone,
            store=request.store,
        )
        _advance(rec, OnboardingStep.VENDOR, vendor_id=vendor.pk, store_id=store.pk)


def _step_subscription(rec: Onboarding, request: RegistrationRequest) -> None:
    assert rec.vendor_id is not None
    info = subscriptions.subscription_create(
        vendor_id=rec.vendor_id,
        plan_code=request.plan_code,
        currency=request.store.currency,
        billing_email=rec.email,
        billing_user_id=rec.user_id,
        idempotency_key=f"onboarding:{rec.pk}",
    )
    _advance(rec, OnboardingStep.SUBSCRIPTION, subscription_id=info.subscription_id)


def _step_payment(rec: Onboarding) -> None:
    assert rec.subscription_id is not None
    checkout = subscriptions.subscription_checkout(subscription_id=rec.subscription_id)
    if checkout is None:
        _advance(rec, OnboardingStep.PAYMENT)
    else:
        _advance(
            rec, OnboardingStep.PAYMENT, payment_id=checkout.payment_id, payment_url=checkout.url
        )


# --- outcomes --------------------------------------------------------------------------------
def _success_body(rec: Onboarding) -> dict[str, Any]:
    assert rec.vendor_id is not None
    assert rec.store_id is not None
    vendor = Vendor.objects.get(pk=rec.vendor_id)
    store = Store.objects.get(pk=rec.store_id)
    sub = (
        subscriptions.subscription_get(subscription_id=rec.subscription_id)
        if rec.subscription_id
        else None
    )
    payment = None
    if rec.payment_id is not None and sub is not None:
        payment = {
            "payment_id": str(rec.payment_id),
            "url": rec.payment_url,
            "amount_minor": sub.amount_minor,
            "currency": sub.currency,
        }
    return {
        "onboarding_id": str(rec.pk),
        "user_id": str(rec.user_id),
        "vendor": {"id": str(vendor.pk), "legal_name": vendor.legal_name, "status": vendor.status},
        "store": {
            "id": str(store.pk),
            "name": store.name,
            "slug": store.slug,
            "currency": store.currency,
        },
        "subscription": None
        if sub is None
        else {
            "id": str(sub.subscription_id),
            "plan": sub.plan_code,
            "status": sub.status,
            "amount_minor": sub.amount_minor,
            "currency": sub.currency,
            "current_period_end": sub.current_period_end.isoformat()
            if sub.current_period_end
            else None,
        },
        "payment": payment,
        "next_action": "pay" if payment is not None else "none",
    }


def _complete(rec: Onboarding) -> OnboardingOutcome:
    body = _success_body(rec)
    rec.status = OnboardingStatus.COMPLETED
    rec.response_status = 201
    rec.response_body = body
    rec.lease_until = None
    rec.completed_at = timezone.now()
    rec.error_code = rec.error_step = ""
    rec.save()
    log.info("onboarding_completed", onboarding_id=str(rec.pk), vendor_id=str(rec.vendor_id))
    return OnboardingOutcome(rec.pk, 201, body, replayed=False)


def _failed_step(rec: Onboarding) -> str:
    index = STEPS.index(rec.step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else rec.step


def _interrupt(rec: Onboarding, *, code: str, status_code: int, message: str) -> OnboardingError:
    step = _failed_step(rec)
    Onboarding.objects.filter(pk=rec.pk).update(
        status=OnboardingStatus.INTERRUPTED,
        lease_until=None,
        error_code=code[:64],
        error_step=step,
        updated_at=timezone.now(),
    )
    log.warning("onboarding_interrupted", onboarding_id=str(rec.pk), step=step, code=code)
    return OnboardingError(
        message,
        code=code,
        status_code=status_code,
        extra={
            "onboarding_id": str(rec.pk),
            "retry": _retry(same_key=True, after=RETRY_AFTER_SECONDS, resume_from=step),
        },
    )


def _compensate(rec: Onboarding) -> None:
    if rec.subscription_id is not None:
        subscriptions.subscription_abandon(subscription_id=rec.subscription_id)
    if rec.vendor_id is not None:
        vendor_discard(vendor_id=rec.vendor_id)


def _fail(rec: Onboarding, exc: ApplicationError) -> OnboardingError:
    """A permanent refusal after the first write: undo our side, store the answer."""
    step = _failed_step(rec)
    action = "Correct the request and send it with a new Idempotency-Key."
    if rec.principal_user_id is None and rec.user_id is not None:
        action = (
            f"Your account ({rec.email}) was created: log in with the password you chose, "
            "correct the request and send it with your access token and a new Idempotency-Key."
        )
    error = OnboardingError(
        exc.message,
        code=exc.code,
        status_code=exc.status_code,
        fields=exc.fields,
        extra={
            **exc.extra,
            "onboarding_id": str(rec.pk),
            "retry": _retry(same_key=False, action=action),
        },
    )
    rec.status = OnboardingStatus.FAILED
    rec.error_code = exc.code[:64]
    rec.error_step = step
    rec.lease_until = None
    rec.response_status = exc.status_code
    rec.response_body = {
        "error": {
            "code": error.code,
            "message": error.message,
            "fields": error.fields,
            **error.extra,
        }
    }
    rec.save()
    log.warning("onboarding_failed", onboarding_id=str(rec.pk), step=step, code=exc.code)
    return error


def _forget(rec: Onboarding) -> None:
    """Nothing was written: free the key so the corrected request may use it."""
    Onboarding.objects.filter(pk=rec.pk, step=OnboardingStep.STARTED).delete()


def vendor_register(
    *, idempotency_key: str, request: RegistrationRequest, principal_user_id: UUID | None
) -> OnboardingOutcome:
    """Run (or resume, or replay) the onboarding saga for one registration request."""
    digest = request_hash(request, principal_user_id)
    rec, stored = _claim(
        key=idempotency_key, digest=digest, principal_user_id=principal_user_id, request=request
    )
    if stored is not None:
        return stored
    try:
        if not _done(rec, OnboardingStep.USER):
            if not rec.user_step_started:
                _validate_before_writes(rec, request)
            _step_user(rec, request)
        if not _done(rec, OnboardingStep.ROLE):
            assert rec.user_id is not None
            auth.role_grant(user_id=rec.user_id, role="vendor")
            _advance(rec, OnboardingStep.ROLE)
        if not _done(rec, OnboardingStep.VENDOR):
            _step_vendor(rec, request)
        if not _done(rec, OnboardingStep.SUBSCRIPTION):
            _step_subscription(rec, request)
        if not _done(rec, OnboardingStep.PAYMENT):
            _step_payment(rec)
        return _complete(rec)
    except ApplicationError as exc:
        if exc.status_code >= 500:
            raise _interrupt(
                rec, code=exc.code, status_code=exc.status_code, message=exc.message
            ) from exc
        if rec.step == OnboardingStep.STARTED:
            _forget(rec)
            raise
        try:
            _compensate(rec)
        except Exception as comp_exc:
            log.exception("onboarding_compensation_failed", onboarding_id=str(rec.pk))
            raise _interrupt(
                rec,
                code="compensation_pending",
                status_code=503,
                message="The registration failed and is being rolled back; retry shortly.",
            ) from comp_exc
        raise _fail(rec, exc) from exc
    except Exception as exc:
        log.exception("onboarding_step_crashed", onboarding_id=str(rec.pk), step=rec.step)
        raise _interrupt(
            rec,
            code="temporarily_unavailable",
            status_code=503,
            message="The registration could not finish; repeat the request with the same "
            "Idempotency-Key to resume it.",
        ) from exc


def onboarding_stale_leases_release() -> int:
    """Mark ``in_progress`` onboardings whose lease ran out as ``interrupted``."""
    return Onboarding.objects.filter(
        status=OnboardingStatus.IN_PROGRESS, lease_until__lt=timezone.now()
    ).update(
        status=OnboardingStatus.INTERRUPTED,
        lease_until=None,
        error_code="lease_expired",
        updated_at=timezone.now(),
    )
