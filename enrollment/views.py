"""Merchant pages of the enrollment app: thin views over selectors and services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment import selectors, services
from enrollment.forms import ApplicationForm, ExitRequestForm
from enrollment.models import Enrollment
from enrollment.scoping import merchant_required, shop_get_or_404
from portal import audit
from portal.formkit import user_message


def _overview_context(shop, *, application_form=None, exit_form=None) -> dict:
    now = timezone.now()
    open_enrollment = selectors.enrollment_open(shop=shop)
    context = {
        "enrollment": open_enrollment,
        "latest": selectors.enrollment_latest(shop=shop),
        "history": selectors.enrollments_for_shop(shop=shop),
        "invitation": selectors.invitation_live(shop=shop, at=now),
        "last_exit": selectors.enrollment_last_exited(shop=shop),
        "rate": selectors.rate_in_force(shop_id=shop.pk, at=now),
        "rates": selectors.rates_for_shop(shop_id=shop.pk)[:12],
        "cannot_apply": None,
    }
    if open_enrollment is None:
        try:
            services.enrollment_can_apply(shop=shop, at=now)
        except ValidationError as error:
            context["cannot_apply"] = user_message(error)
        else:
            context["application_form"] = application_form or ApplicationForm()
    elif open_enrollment.is_in_force:
        context["exit_form"] = exit_form or ExitRequestForm()
    return context


@require_GET
@merchant_required
def overview(request):
    """The shop's enrollment, by state: invitation and form, review, service, exit (R10-R15)."""
    return render(request, "enrollment/overview.html", _overview_context(request.shop))


@require_http_methods(["GET", "POST"])
@merchant_required
def apply(request):
    """A POST with errors renders the overview here, with the form as typed; this URL also
    answers GET (a reload, the language switch): back to the overview (issue 11)."""
    if request.method == "GET":
        return redirect("enrollment:overview")
    form = ApplicationForm(request.POST)
    if form.is_valid():
        try:
            services.enrollment_apply(shop=request.shop, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # the shop may not apply (R10, R11, R15)
                messages.error(request, user_message(error))
                return redirect("enrollment:overview")
            form.add_service_error(error)
        else:
            messages.success(request, _("Application submitted. The insurer will review it."))
            return redirect("enrollment:overview")
    context = _overview_context(request.shop, application_form=form)
    if "application_form" not in context:  # e.g. R15: the shop may not apply after all
        messages.error(request, context["cannot_apply"] or _("Applying is not possible now."))
        return redirect("enrollment:overview")
    return render(request, "enrollment/overview.html", context, status=400)


@require_http_methods(["GET", "POST"])
@merchant_required
def request_exit(request):
    """As `apply`: errors beside the field here, GET back to the overview (issue 11)."""
    if request.method == "GET":
        return redirect("enrollment:overview")
    form = ExitRequestForm(request.POST)
    if form.is_valid():
        try:
            services.enrollment_request_exit(
                shop=request.shop, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, user_message(error))
            return redirect("enrollment:overview")
        messages.success(request, _("Exit requested. Your service specialist will carry it out."))
        return redirect("enrollment:overview")
    return render(
        request,
        "enrollment/overview.html",
        _overview_context(request.shop, exit_form=form),
        status=400,
    )


@require_POST
@merchant_required
def withdraw_exit(request):
    try:
        services.enrollment_withdraw_exit_request(shop=request.shop, actor=request.user)
    except ValidationError as error:
        messages.error(request, user_message(error))
    else:
        messages.success(request, _("Exit request withdrawn. Your service keeps running."))
    return redirect("enrollment:overview")


@require_GET
@merchant_required
def period_detail(request, pk: int):
    """One application or enrollment period with its timeline (R16, R40)."""
    enrollment = shop_get_or_404(request, Enrollment.objects.select_related("invitation"), pk=pk)
    return render(
        request,
        "enrollment/period_detail.html",
        {"enrollment": enrollment, "timeline": audit.timeline(enrollment)},
    )


@require_GET
@merchant_required
def rate_explained(request):
    """R50-R52: why the shop's premium rate is what it is: the model's inputs, translated,
    and an underwriter's override with its reason."""
    explained = selectors.rate_explained(shop_id=request.shop.pk)
    return render(request, "enrollment/rate_explained.html", {"explained": explained})
