"""R114/R115: finance's payout batches in the admin: create a batch of the pending payouts,
download the provider's bulk-transfer file, import its result file, and reconcile."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from claims.models import PAYOUT_PERMISSION, Payout
from payouts import selectors, services
from payouts.files import transfer_file
from payouts.forms import ReconciliationForm, ResultFileForm
from payouts.models import PayoutBatch, PayoutItem
from portal.admin_kit import NoAddOrDelete, ReadOnlyAdmin
from portal.admin_transitions import TimelineInline

BATCH_CREATED = _("Batch %(number)s created: %(count)s payouts, %(total)s CNY.")
SKIPPED = _(
    "%(count)s payouts stay pending: their shop has no complete Alipay account on file (an "
    "underwriter corrects it in the enrollment)."
)
RESUBMITTED = _("%(count)s payouts back in the queue for the next batch.")
IMPORTED = _(
    "Results recorded: %(settled)s settled, %(failed)s failed, %(unchanged)s already recorded."
)


def created_message(request, admin_, created: services.BatchCreated) -> None:
    batch = created.batch
    admin_.message_user(
        request,
        BATCH_CREATED % {"number": batch.number, "count": batch.payouts, "total": batch.total},
        messages.SUCCESS,
    )
    if created.skipped:
        admin_.message_user(request, SKIPPED % {"count": len(created.skipped)}, messages.WARNING)


class PayoutItemInline(admin.TabularInline):
    model = PayoutItem
    extra = 0
    can_delete = False
    fields = [
        "reference",
        "payout",
        "payee_account",
        "payee_name",
        "amount",
        "result",
        "provider_reference",
        "reason",
        "result_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payout__claim__refund")


@admin.register(PayoutBatch)
class PayoutBatchAdmin(NoAddOrDelete, admin.ModelAdmin):
    # No add: a batch is made of the pending payouts (create_view), not typed in; no
    # delete: the provider's files refer to it.
    list_display = ["number", "created_at", "created_by", "state", "payouts", "total", "closed_at"]
    list_filter = ["state"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by"]
    fields = ["state", "created_at", "created_by", "payouts", "total", "closed_at"]
    readonly_fields = fields
    inlines = [PayoutItemInline, TimelineInline]
    change_form_template = "admin/payouts/payoutbatch/change_form.html"
    change_list_template = "admin/payouts/payoutbatch/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(require_POST(self.create_view)), name="payouts_batch_create"),
            path("<int:pk>/file/", view(self.file_view), name="payouts_batch_file"),
            path("<int:pk>/results/", view(self.results_view), name="payouts_batch_results"),
            path(
                "reconciliation/",
                view(self.reconciliation_view),
                name="payouts_reconciliation",
            ),
            *super().get_urls(),
        ]

    def _may_run(self, request) -> None:
        if not request.user.has_perm(PAYOUT_PERMISSION):
            raise PermissionDenied

    def _batch(self, request, pk) -> PayoutBatch:
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = PayoutBatch.objects.filter(pk=pk).first()
        if batch is None:
            raise Http404
        return batch

    def create_view(self, request):
        """Every pending payout with a payee on file, in one new batch."""
        self._may_run(request)
        try:
            created = services.payout_batch_create(actor=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:payouts_payoutbatch_changelist"))
        created_message(request, self, created)
        return HttpResponseRedirect(
            reverse("admin:payouts_payoutbatch_change", args=[created.batch.pk])
        )

    def file_view(self, request, pk):
        """The provider's bulk-transfer file of the batch (the same bytes every time)."""
        batch = self._batch(request, pk)
        items = batch.items.select_related("payout__claim__refund").order_by("id")
        response = HttpResponse(transfer_file(items), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
        return response

    def results_view(self, request, pk):
        batch = self._batch(request, pk)
        self._may_run(request)
        form = ResultFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                summary = services.payout_batch_import_results(
                    batch_id=batch.pk, actor=request.user, content=form.cleaned_data["file"].read()
                )
            except ValidationError as error:
                form.add_error("file", error.messages)  # every bad row, beside the field
            else:
                self.message_user(request, IMPORTED % vars(summary), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:payouts_payoutbatch_change", args=[batch.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": batch,
            "form": form,
            "title": _("Import the provider's results: %(batch)s") % {"batch": batch},
        }
        return TemplateResponse(request, "admin/payouts/payoutbatch/results.html", context)

    def reconciliation_view(self, request):
        """R115: per shop and in total, pending + submitted + settled + failed = owed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReconciliationForm(request.GET or ReconciliationForm.this_month())
        lines, total = [], None
        if form.is_valid():
            shop = form.cleaned_data["shop"]
            lines, total = selectors.payout_reconciliation(
                first=form.cleaned_data["first"],
                last=form.cleaned_data["last"],
                shop_id=shop.pk if shop else None,
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "lines": lines,
            "total": total,
            "states": selectors.STATES,
            "title": _("Payout reconciliation"),
        }
        return TemplateResponse(request, "admin/payouts/reconciliation.html", context)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """R101: finance sees the payouts to shops' Alipay accounts and runs them (R114).

    Read-only (ReadOnlyAdmin): a payout is made by its claim (R35) and its state changes only
    by the actions below, through the services."""

    list_display = ["claim", "shop", "amount", "alipay_account", "paid_at", "state"]
    list_filter = ["state"]
    search_fields = ["=claim__refund__platform_refund_id", "shop__name"]
    list_select_related = ["claim__refund", "shop"]
    date_hierarchy = "paid_at"
    inlines = [TimelineInline]
    actions = ["batch", "resubmit"]

    def has_run_permission(self, request):
        return request.user.has_perm(PAYOUT_PERMISSION)

    @admin.action(
        description=_("Put the selected pending payouts in a new batch"), permissions=["run"]
    )
    def batch(self, request, queryset):
        try:
            created = services.payout_batch_create(
                actor=request.user, payout_ids=list(queryset.values_list("pk", flat=True))
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        created_message(request, self, created)
        return HttpResponseRedirect(
            reverse("admin:payouts_payoutbatch_change", args=[created.batch.pk])
        )

    @admin.action(description=_("Resubmit the selected failed payouts"), permissions=["run"])
    def resubmit(self, request, queryset):
        done = 0
        for payout in queryset.order_by("pk"):
            try:
                services.payout_resubmit(payout_id=payout.pk, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{payout}: {' '.join(error.messages)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, RESUBMITTED % {"count": done}, messages.SUCCESS)
