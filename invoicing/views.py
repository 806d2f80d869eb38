"""Merchant pages of the invoicing app: thin views over selectors and services (R70-R74)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment.scoping import (
    merchant_required,
    private_file_owner_or_404,
    private_file_response,
    shop_get_or_404,
)
from invoicing import selectors, services
from invoicing.forms import InvoiceFilterForm, InvoiceRequestForm
from invoicing.models import InvoiceRequest
from portal.clock import today
from portal.formkit import user_message
from portal.jinja2 import FORM_RENDERER

VIEW_PERMISSION = "invoicing.view_invoicerequest"


@require_GET
@merchant_required
def records(request):
    """R74: every request with amount, deadline, status, invoice and tracking numbers."""
    form = InvoiceFilterForm(request.GET)
    invoices = list(
        selectors.invoices_for_shop(
            shop=request.shop,
            state=form.valid["state"],
            order=form.order(time_key="submitted_at"),
        )
    )
    # a shop asks for a few invoices a year: the whole list, its total is its length
    page = {"total": len(invoices), "more": False}
    form.renderer = FORM_RENDERER
    # Jinja2, as the hot lists (issue 10: bench/RESULTS.md, "Policy detail and invoice records").
    return render(
        request,
        "invoicing/records.html",
        {"invoices": invoices, "form": form, "page": page},
        using="jinja2",
    )


def _initial(shop, user) -> dict:
    """Last month, and the title, taxpayer id and addresses of the shop's latest request."""
    last_month = (today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    initial = {"first_month": last_month, "last_month": last_month, "email": user.email}
    latest = selectors.invoice_latest(shop=shop)
    if latest is not None:
        for name in ("invoice_type", "title", "taxpayer_id", "email"):
            initial[name] = getattr(latest, name)
        if latest.is_paper:
            for name in ("mailing_address", "recipient", "phone"):
                initial[name] = getattr(latest, name)
    return initial


def _expected_amount(request) -> Decimal | None:
    try:
        return Decimal(request.POST.get("expected_amount", ""))
    except (InvalidOperation, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@merchant_required
def request_new(request):
    """R70: the request form. A first POST ("preview") shows the amount (R71) and a confirm
    button; the second ("confirm") submits, unless the amount changed meanwhile."""
    if request.method == "GET":
        form = InvoiceRequestForm(initial=_initial(request.shop, request.user))
        return render(request, "invoicing/request_form.html", {"form": form})
    form = InvoiceRequestForm(request.POST)
    quote = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            quote = services.invoice_quote(
                shop=request.shop, first_month=data["first_month"], last_month=data["last_month"]
            )
        except ValidationError as error:
            form.add_service_error(error)
    expected = _expected_amount(request)
    if quote is not None and "confirm" in request.POST and expected is not None:
        try:
            invoice = services.invoice_request_create(
                shop=request.shop, actor=request.user, expected_amount=expected, **form.cleaned_data
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "amount_changed":
                messages.warning(request, user_message(error))
            else:
                quote = None
                form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Invoice request submitted: %(amount)s CNY. The insurer processes it by %(due)s.")
                % {"amount": invoice.amount, "due": f"{invoice.due_date:%Y-%m-%d}"},
            )
            return redirect("invoicing:records")
    status = 200 if quote is not None else 400
    return render(
        request, "invoicing/request_form.html", {"form": form, "quote": quote}, status=status
    )


@require_POST
@merchant_required
def cancel(request, pk: int):
    """R73: the merchant withdraws a request finance has not acted on yet."""
    invoice = shop_get_or_404(request, InvoiceRequest, pk=pk)
    try:
        services.invoice_request_cancel(
            invoice_id=invoice.pk, shop=request.shop, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, user_message(error))
    else:
        messages.success(
            request, _("Invoice request cancelled. Its premiums can be requested again.")
        )
    return redirect("invoicing:records")


@require_GET
def invoice_pdf(request, pk: int):
    """The electronic invoice's PDF, from private storage, never from a public URL.

    Like evidence files (R102), anyone else, signed in or not, gets a 404."""
    invoice = private_file_owner_or_404(
        request, InvoiceRequest, staff_permission=VIEW_PERMISSION, pk=pk
    )
    if not invoice.invoice_pdf:
        raise Http404
    response = FileResponse(
        invoice.invoice_pdf.open("rb"),
        as_attachment=True,
        filename=f"invoice-{invoice.invoice_number}.pdf",
        content_type="application/pdf",
    )
    return private_file_response(response)
