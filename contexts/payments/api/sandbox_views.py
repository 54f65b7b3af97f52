"""The sandbox gateway's hosted payment page (HTML, not part of the JSON API).

It stands in for a third party's page, so it speaks HTML forms and redirects, with
Django's CSRF protection; it exists only while the sandbox gateway is enabled.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bazaar_platform.api.errors import ConflictError
from contexts.payments.models import SandboxCheckout, SandboxCheckoutStatus
from contexts.payments.services import sandbox
from contexts.payments.services.money import money_format


def _checkout_or_404(checkout_id: str) -> SandboxCheckout:
    if not (settings.PAYMENTS_SANDBOX_ENABLED or settings.PAYMENTS_GATEWAY == "sandbox"):
        raise Http404("The sandbox gateway is not enabled.")
    checkout = sandbox.sandbox_checkout_get(checkout_id=checkout_id)
    if checkout is None:
        raise Http404("There is no such sandbox checkout.")
    return checkout


def _page(request: HttpRequest, checkout: SandboxCheckout, status: int = 200) -> HttpResponse:
    return render(
        request,
        "payments/sandbox_checkout.html",
        {
            "checkout": checkout,
            "amount": money_format(checkout.amount_minor, checkout.currency),
            "decision_url": reverse(
                "payments:sandbox-decision", kwargs={"checkout_id": checkout.id}
            ),
        },
        status=status,
    )


@require_GET
def sandbox_checkout_page(request: HttpRequest, checkout_id: str) -> HttpResponse:
    return _page(request, _checkout_or_404(checkout_id))


@require_POST
def sandbox_checkout_decide(request: HttpRequest, checkout_id: str) -> HttpResponse:
    checkout = _checkout_or_404(checkout_id)
    decision = request.POST.get("decision", "")
    if decision not in {"approve", "decline"}:
        return HttpResponse("decision must be approve or decline", status=400)
    try:
        checkout = sandbox.sandbox_checkout_decide(
            checkout_id=checkout.id, approve=decision == "approve"
        )
    except ConflictError:
        return _page(request, _checkout_or_404(checkout_id), status=409)
    sandbox.sandbox_webhook_schedule(checkout_id=checkout.id)
    target = (
        checkout.success_url
        if checkout.status == SandboxCheckoutStatus.APPROVED
        else checkout.cancel_url
    )
    if target:
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(
        reverse("payments:sandbox-checkout", kwargs={"checkout_id": checkout.id})
    )
