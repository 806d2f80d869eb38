"""Merchant pages of the claims area: dashboard, policies, refunds and claims, feedback, payouts.

Every view goes through enrollment.scoping (R100): `merchant_required` sets request.shop and
every object comes through `shop_get_or_404`, so another shop's id is a 404.
"""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from claims import dashboard, selectors
from claims.forms import (
    FeedbackFilterForm,
    FeedbackForm,
    PayoutFilterForm,
    PolicyFilterForm,
    RefundFilterForm,
    RefuseReceiptForm,
    payout_filters,
    policy_filters,
    refund_filters,
)
from claims.models import Claim, ClaimState, Policy, PolicyStatus
from claims.services import decisions, feedback
from claims.services.evidence import evidence_discard
from enrollment.scoping import merchant_required, shop_get_or_404, shop_read_or_404
from exports.views import export_or_stream
from portal import audit
from portal.formkit import user_message
from portal.jinja2 import FORM_RENDERER
from portal.pagination import capped_total, keyset_page, ordering_key


@require_GET
@merchant_required
def dashboard_view(request):
    now = timezone.now()
    board = dashboard.dashboard_for_shop(shop=request.shop, now=now)
    # Jinja2, as the hot lists (issue 10: bench/RESULTS.md, "Merchant dashboard").
    return render(request, "claims/dashboard.html", {"board": board, "now": now}, using="jinja2")


# --- policies (R24) ---


def _list_page(request, template: str, context: dict):
    """The hot lists render with Jinja2, their filter forms too (portal/jinja2.py, issue 10)."""
    if "form" in context:
        context["form"].renderer = FORM_RENDERER
    return render(request, template, context, using="jinja2")


@require_GET
@merchant_required
def policy_list(request):
    now = timezone.now()
    form, filters = policy_filters(request.GET)
    policies = selectors.policies_for_shop(shop=request.shop, now=now, **filters)
    key, descending = form.order(time_key="issued_at")
    columns = selectors.policy_list_columns(policies)
    rows = partial(selectors.policy_rows, now=now)
    page = keyset_page(columns, request.GET, key=key, descending=descending, shape=rows)
    # in coverage (R24): (shop, claim_status, coverage_end) holds exactly the rows counted;
    # in the page's order the planner reads every one of them by a bitmap scan and sorts
    in_order = filters["status"] != PolicyStatus.IN_COVERAGE
    counted = selectors.policies_to_count(policies, shop=request.shop, now=now, **filters)
    page.total, page.more = capped_total(counted, in_order=in_order)
    return _list_page(request, "claims/policy_list.html", {"form": form, "page": page})


@require_GET
@merchant_required
def policy_export(request):
    """Every matching policy (not just the visible page): streamed, or prepared in the
    background past CSV_EXPORT_BACKGROUND_ROWS rows (claims.exports, issue 10)."""
    return export_or_stream(request, "policies", PolicyFilterForm)


@require_GET
@merchant_required
def policy_detail(request, pk: int):
    policy = shop_read_or_404(request, selectors.POLICY_PAGE, pk=pk)  # issue 10
    now = timezone.now()
    time_left = (
        policy.coverage_end - now if policy.coverage_end and policy.coverage_end > now else None
    )
    feedback_form = FeedbackForm()
    feedback_form.renderer = FORM_RENDERER
    # Jinja2, as the claim detail (issue 10: bench/RESULTS.md, "Policy detail").
    return render(
        request,
        "claims/policy_detail.html",
        {
            "policy": policy,
            "status": policy.status(now),
            "lines": selectors.policy_page_lines(policy),
            "claims": selectors.policy_page_claims(policy),
            "time_left": time_left,
            "feedback_form": feedback_form,
        },
        using="jinja2",
    )


# --- refunds and claims (R43, R44) ---


def _refunds(request):
    form, filters = refund_filters(request.GET)
    return form, selectors.refunds_for_shop(shop=request.shop, **filters)


def _count_filters(form) -> dict:
    return {name: form.valid[name] for name in ("business", "state", "due", "q")}


@require_GET
@merchant_required
def refund_list(request):
    form, refunds = _refunds(request)
    key, descending = form.order(time_key=ordering_key(refunds))
    # only the columns the list shows, as tuples (issue 10: no sub-order or buyer join)
    columns = selectors.refund_list_columns(refunds)
    page = keyset_page(
        columns, request.GET, key=key, descending=descending, shape=selectors.refund_rows
    )
    page.total, page.more = capped_total(
        selectors.refunds_to_count(refunds, shop=request.shop, **_count_filters(form))
    )
    context = {"form": form, "page": page, "now": timezone.now()}
    return _list_page(request, "claims/refund_list.html", context)


@require_GET
@merchant_required
def refund_export(request):
    return export_or_stream(request, "refunds", RefundFilterForm)


def _claim(request, pk, *related: str):
    return shop_get_or_404(
        request,
        Claim.objects.select_related(
            "refund", "refund__order", "refund__line", "policy", "buyer", *related
        ),
        pk=pk,
    )


@require_GET
@merchant_required
def claim_detail(request, pk: int):
    # only the rows the page shows (the policy's id is on the claim, the buyer is not shown),
    # in a statement written once (claims.selectors.CLAIM_PAGE, issue 10)
    claim = shop_read_or_404(request, selectors.CLAIM_PAGE, pk=pk)
    buyer_photos, refusal_photos = selectors.claim_photos(claim)
    feedback_form = FeedbackForm()
    feedback_form.renderer = FORM_RENDERER
    # Jinja2, as the dashboard and the hot lists (issue 10: bench/RESULTS.md, "Claim detail").
    return render(
        request,
        "claims/claim_detail.html",
        {
            "claim": claim,
            "timeline": audit.timeline_entries(claim),
            "buyer_evidence": buyer_photos,
            "refusal_evidence": refusal_photos,
            "payout": getattr(claim, "payout", None),
            "compensation": getattr(claim, "compensation", None),
            "can_act": claim.state == ClaimState.RETURN_SHIPPED,
            "review_overdue": claim.is_review_overdue,  # R32, with the insurer's hotline
            "feedback_form": feedback_form,
        },
        using="jinja2",
    )


@require_http_methods(["GET", "POST"])
@merchant_required
def claim_confirm_receipt(request, pk: int):
    """R34/R35: confirm the return arrived; a confirmation page first."""
    claim = _claim(request, pk)
    if request.method == "POST":
        try:
            decisions.claim_confirm_receipt(claim_id=claim.pk, actor=request.user)
        except ValidationError as error:
            messages.error(request, user_message(error))
        else:
            messages.success(
                request,
                _(
                    "Receipt confirmed. The refund is complete and the "
                    "insurer has paid the claim to your Alipay account."
                ),
            )
        return redirect("claims:claim", pk=claim.pk)
    if claim.state != ClaimState.RETURN_SHIPPED:
        messages.error(request, _("This claim has no return waiting for your confirmation."))
        return redirect("claims:claim", pk=claim.pk)
    return render(request, "claims/claim_confirm_receipt.html", {"claim": claim})


def _with_evidence(form, write, **fields) -> bool:
    """Run `write`, a service that stores the form's photos as evidence; whether it did. On
    its refusal the files it had stored are deleted and the refusal shows on the form."""
    stored: list[str] = []
    try:
        write(**fields, evidence=form.cleaned_data["photos"], stored=stored)
    except ValidationError as error:
        evidence_discard(stored)
        form.add_service_error(error)
        return False
    return True


@require_http_methods(["GET", "POST"])
@merchant_required
def claim_refuse_receipt(request, pk: int):
    """R34: refuse only on the four grounds, with photos; the insurer then rules."""
    claim = _claim(request, pk)
    form = RefuseReceiptForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        refused = _with_evidence(
            form,
            decisions.claim_refuse_receipt,
            claim_id=claim.pk,
            actor=request.user,
            ground=form.cleaned_data["ground"],
            note=form.cleaned_data["note"],
        )
        if refused:
            messages.success(request, _("Refusal sent to the insurer, who will rule on it."))
            return redirect("claims:claim", pk=claim.pk)
    if claim.state != ClaimState.RETURN_SHIPPED and request.method == "GET":
        messages.error(request, _("This claim has no return waiting for your confirmation."))
        return redirect("claims:claim", pk=claim.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "claims/claim_refuse_receipt.html", {"claim": claim, "form": form}, status=status
    )


# --- buyer feedback (R60) ---


def _report(request, *, policy=None, claim=None):
    """R60: the form, on a page of its own: its errors beside their fields and what was
    typed kept (a POST with errors renders here, a URL that also answers GET: a reload or
    the language switch shows the form again, issue 11)."""
    form = FeedbackForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        reported = _with_evidence(
            form,
            feedback.feedback_create,
            shop=request.shop,
            actor=request.user,
            policy=policy,
            claim=claim,
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
        )
        if reported:
            messages.success(request, _("Thank you. The insurer will look into this buyer."))
            return redirect("claims:feedback")
    source = claim.refund.platform_refund_id if claim else policy.policy_no
    back = f"/claims/{claim.pk}/" if claim else f"/policies/{policy.pk}/"
    return render(
        request,
        "claims/report_buyer.html",
        {"form": form, "source": source, "back": back},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@merchant_required
def policy_report_buyer(request, pk: int):
    policy = shop_get_or_404(request, Policy.objects.select_related("order"), pk=pk)
    return _report(request, policy=policy)


@require_http_methods(["GET", "POST"])
@merchant_required
def claim_report_buyer(request, pk: int):
    return _report(request, claim=_claim(request, pk))


@require_GET
@merchant_required
def feedback_list(request):
    form = FeedbackFilterForm(request.GET)
    filters = form.valid
    reports = selectors.feedback_for_shop(
        shop=request.shop, state=filters["state"], category=filters["category"]
    )
    key, descending = form.order(time_key="created_at")
    page = keyset_page(reports, request.GET, key=key, descending=descending)
    page.total, page.more = capped_total(reports)
    return render(request, "claims/feedback_list.html", {"page": page, "form": form})


# --- service breaches (R38) ---


@require_GET
@merchant_required
def breach_list(request):
    """R38: each breach, its points and whether it is settled (then no longer a violation)."""
    breaches = selectors.breaches_for_shop(shop=request.shop)
    page = keyset_page(breaches, request.GET, key="recorded_at")
    counts = selectors.breach_counts(shop=request.shop)
    return render(request, "claims/breach_list.html", {"page": page, "counts": counts})


# --- payouts (R35) ---


@require_GET
@merchant_required
def payout_list(request):
    form, filters = payout_filters(request.GET)
    payouts = selectors.payouts_for_shop(shop=request.shop, **filters)
    key, descending = form.order(time_key="paid_at")
    columns = selectors.payout_list_columns(payouts)
    page = keyset_page(
        columns, request.GET, key=key, descending=descending, shape=selectors.payout_rows
    )
    page.total, page.more = capped_total(payouts)
    months = selectors.payout_months(shop=request.shop)  # from the rollups (issue 10)
    context = {"page": page, "months": months, "form": form}
    return _list_page(request, "claims/payout_list.html", context)


@require_GET
@merchant_required
def payout_export(request):
    return export_or_stream(request, "payouts", PayoutFilterForm)
