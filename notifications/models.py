"""What the portal tells a shop's merchants in the portal itself (issue 11, point 6).

A notification is written in the same transaction as the change it reports (a claim's
decision, a return shipped or not shipped in time, a payout, a breach, an invoice issued),
or not at all; one that announces a coming deadline is written once per deadline (a unique
constraint holds it).
The text is composed when it is shown, in the reader's language, from the kind and the
claim or invoice it is about. A shop's merchants share one list (as they share its
after-sales work): reading a notification marks it read for the shop.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Shop


class NotificationKind(models.TextChoices):
    APPROVED_PAID = "approved_paid", _("Claim approved and paid")
    APPROVED_RETURN = "approved_return", _("Claim approved: return on its way")
    REJECTED = "rejected", _("Claim rejected")
    RETURN_SHIPPED = "return_shipped", _("Return shipped")
    PAID = "paid", _("Claim paid")
    BREACH = "breach", _("Service breach recorded")
    CLOSED_REFUSED = "closed_refused", _("Refusal upheld")
    CLOSED_TIMEOUT = "closed_timeout", _("Closed: no return shipped in time")
    RECEIPT_DUE_SOON = "receipt_due_soon", _("Receipt confirmation due soon")
    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
    INVOICE_SHIPPED = "invoice_shipped", _("Invoice shipped")
    INVOICE_REJECTED = "invoice_rejected", _("Invoice request rejected")


# Kinds that announce a deadline: at most one per (claim, kind, deadline).
DEADLINE_KINDS = (NotificationKind.RECEIPT_DUE_SOON,)


class Notification(models.Model):
    # No index of its own: notification_shop_list_idx (shop, -created_at, -id) leads with it,
    # and the sweep inserts thousands of notifications at a time (issue 10).
    shop = models.ForeignKey(
        Shop,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("shop"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    claim = models.ForeignKey(
        "claims.Claim",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claim"),
    )
    invoice = models.ForeignKey(
        "invoicing.InvoiceRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice request"),
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # one "deadline coming" notification per deadline, however many sweeps run
            models.UniqueConstraint(
                fields=["claim", "kind", "due_at"],
                condition=Q(kind__in=DEADLINE_KINDS),
                name="notification_once_per_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=DEADLINE_KINDS) | Q(due_at__isnull=False),
                name="notification_deadline_has_due",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="notification_shop_list_idx"),
            # the navigation's unread count: one index-only count per page
            models.Index(
                fields=["shop"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self):
        return f"{self.shop_id}: {self.kind}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
