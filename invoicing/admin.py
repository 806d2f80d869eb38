"""Finance's workbench: the invoice queue under the 6-working-day clock (R72-R75) and the
working-calendar overrides. Only the finance group has these permissions (R101)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from invoicing import calendar, selectors, services
from invoicing.forms import IssueForm, RejectForm, ShipForm
from invoicing.models import (
    PENDING,
    PROCESS_PERMISSION,
    CalendarOverride,
    InvoiceRequest,
    InvoiceState,
)
from portal.admin_kit import NoWrites
from portal.admin_transitions import AdminTransition, TimelineInline, TransitionAdminMixin
from portal.clock import today

LINES_SHOWN = 200

SCHEDULE_MISSING = _(
    "The working calendar has no official schedule for %(year)d yet: the holidays package "
    "knows no make-up working days (调休) for it and no override is entered. Deadlines that "
    "fall in %(year)d count weekends and estimated holidays only. When the State Council "
    "publishes the schedule (usually in November), enter its holidays and make-up working "
    "days as working calendar overrides."
)


def warn_if_schedule_missing(model_admin, request) -> None:
    """R72: warn staff when this or the coming year has no published schedule."""
    this_year = today().year
    for year in (this_year, this_year + 1):
        if calendar.schedule_missing_for(year):
            model_admin.message_user(request, SCHEDULE_MISSING % {"year": year}, messages.WARNING)


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("pending", _("Waiting for finance")),
            ("processed", _("Processed")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(PENDING, deadline_at__lt=now)
        if self.value() == "pending":
            return queryset.filter(PENDING)
        if self.value() == "processed":
            return queryset.filter(state__in=[InvoiceState.ISSUED, InvoiceState.SHIPPED]).exclude(
                PENDING
            )
        return queryset


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(NoWrites, TransitionAdminMixin, admin.ModelAdmin):
    """R75: sorted by deadline, overdue first and flagged; buttons for the transitions.

    No add: requests come from merchants (R70); no change form: every change is a
    transition (R73)."""

    list_display = [
        "reference_display",
        "shop",
        "period_display",
        "invoice_type",
        "amount",
        "state",
        "deadline_display",
        "invoice_number",
        "tracking_number",
    ]
    list_filter = [
        OverdueFilter,
        "state",
        "invoice_type",
        ("shop", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "shop__name",
        "=shop__platform_shop_id",
        "=invoice_number",
        "=tracking_number",
        "title",
        "=taxpayer_id",
    ]
    search_help_text = _(
        "Shop name, or exact platform shop id, invoice number, tracking number or taxpayer id."
    )
    list_select_related = ["shop"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [TimelineInline]
    service_id = "invoice_id"
    fieldsets = [
        (
            _("Request"),
            {
                "fields": [
                    "shop",
                    "state",
                    "period_display",
                    "amount",
                    "policy_count",
                    "submitted_at",
                    "submitted_by",
                    "deadline_display",
                ]
            },
        ),
        (
            _("Invoice"),
            {"fields": ["invoice_type", "title", "taxpayer_id", "email"]},
        ),
        (
            _("Mailing (paper invoices)"),
            {"fields": ["recipient", "phone", "mailing_address"]},
        ),
        (
            _("Processing"),
            {
                "fields": [
                    "invoice_number",
                    "invoice_date",
                    "pdf_link",
                    "issued_at",
                    "carrier",
                    "tracking_number",
                    "shipped_at",
                    "processed_at",
                    "rejection_reason",
                    "closed_at",
                ]
            },
        ),
        (_("Premiums"), {"fields": ["lines_display"]}),
    ]
    transitions = (
        AdminTransition(
            name="issue",
            label=_("Issue"),
            permission=PROCESS_PERMISSION,
            form=IssueForm,
            service=services.invoice_issue,
            help_text=_(
                "Enter the invoice number and date. For an electronic invoice, upload its PDF: "
                "the merchant downloads it from the invoice records and gets it by e-mail."
            ),
        ),
        AdminTransition(
            name="ship",
            label=_("Ship"),
            permission=PROCESS_PERMISSION,
            form=ShipForm,
            service=services.invoice_ship,
            help_text=_("Paper invoices: the merchant sees the carrier and tracking number."),
        ),
        AdminTransition(
            name="reject",
            label=_("Reject"),
            permission=PROCESS_PERMISSION,
            form=RejectForm,
            danger=True,
            service=services.invoice_reject,
            help_text=_("The request's premiums are released: the merchant may request again."),
        ),
    )

    def get_queryset(self, request):
        # Annotate before ordering (as the claims queue): overdue, then pending by deadline.
        queue = selectors.invoice_queue(self.model._default_manager.get_queryset())
        return queue.select_related("shop").order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["queue_rank", "deadline_at", "id"]

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.fieldsets)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warn_if_schedule_missing(self, request)
            overdue = selectors.overdue_count()
            if overdue:
                self.message_user(
                    request,
                    _("%(count)d invoice request(s) past the 6-working-day deadline.")
                    % {"count": overdue},
                    messages.ERROR,
                )
        return super().changelist_view(request, extra_context)

    # --- columns and fields ---

    @admin.display(description=_("request"), ordering="id")
    def reference_display(self, obj):
        return obj.reference

    @admin.display(description=_("period"), ordering="period_start")
    def period_display(self, obj):
        return obj.period_label

    @admin.display(description=_("deadline"), ordering="deadline_at")
    def deadline_display(self, obj):
        due = timezone.localtime(obj.deadline_at).strftime("%Y-%m-%d %H:%M")
        if obj.is_overdue:
            return format_html('<strong style="color:#b91c1c">⚠ {} {}</strong>', _("OVERDUE"), due)
        if obj.processed_late:
            return format_html("{} ({})", due, _("processed late"))
        return due

    @admin.display(description=_("invoice PDF"))
    def pdf_link(self, obj):
        if not obj.invoice_pdf:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("invoicing:pdf", args=[obj.pk]), _("Download")
        )

    @admin.display(description=_("policies and premiums"))
    def lines_display(self, obj):
        lines = list(
            obj.lines.select_related("policy").order_by("policy__issued_at", "pk")[
                : LINES_SHOWN + 1
            ]
        )
        if not lines:
            return "—"
        shown = format_html_join(
            ", ",
            "{} ¥{}{}",
            (
                (
                    line.policy.policy_no,
                    line.premium,
                    "" if line.live else " " + str(_("(released)")),
                )
                for line in lines[:LINES_SHOWN]
            ),
        )
        more = obj.policy_count - LINES_SHOWN
        if more > 0:
            return format_html("{} … {}", shown, _("and %(count)d more") % {"count": more})
        return shown


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """R72: finance corrects the working calendar without a release."""

    list_display = ["date", "weekday", "is_working_day", "official", "note", "updated_by"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["note"]
    fields = ["date", "is_working_day", "note"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.display(description=_("holidays package says"))
    def official(self, obj):
        working = calendar.official_is_working_day(obj.date)
        return _("working day") if working else _("day off")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warn_if_schedule_missing(self, request)
        return super().changelist_view(request, extra_context)
