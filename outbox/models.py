"""R110-R113: the transactional outbox: one row per message to the marketplace.

A message is written in the transaction of the change it reports (outbox.services), with
its body frozen then: every attempt sends the same bytes, under the same stable `message_id`
(the marketplace deduplicates by it). Messages about one refund (or one order, one buyer)
share a `key` and go out in the order they were written (`seq`): a later one waits until the
earlier ones are delivered.

`status` is delivery bookkeeping, not a state of the program (no audit row per attempt): the
worker (outbox.delivery) sets it with the attempt's outcome, under the row's lock.
"""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from outbox.types import MessageType

RETRY_FOR = dt.timedelta(days=3)  # R113


class MessageStatus(models.TextChoices):
    PENDING = (
        "pending",
        pgettext_lazy("outbox", "Pending"),
    )  # not yet delivered: first try, or retrying (R113)
    DELIVERED = "delivered", pgettext_lazy("outbox", "Delivered")  # a 2xx answer
    DEAD = (
        "dead",
        pgettext_lazy("outbox", "Dead"),
    )  # undelivered after 3 days of retries: staff may resend


class Message(models.Model):
    seq = models.BigAutoField(primary_key=True)  # the order messages were written in
    message_id = models.UUIDField(_("message id"), unique=True, editable=False)  # stable
    type = models.CharField(
        pgettext_lazy("outbox", "type"), max_length=40, choices=MessageType.choices
    )
    key = models.CharField(
        pgettext_lazy("outbox", "about"),
        max_length=80,
        help_text=_("refund:<id>, order:<id> or buyer:<id>"),
    )
    refund_id = models.CharField(_("refund id"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(pgettext_lazy("outbox", "occurred at"))
    created_at = models.DateTimeField(_("written at"))
    body = models.TextField(
        pgettext_lazy("outbox", "body"), editable=False
    )  # the exact JSON sent, every time
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(pgettext_lazy("outbox", "attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"))
    retry_until = models.DateTimeField(_("retried until"))  # R113: 3 days, then dead
    last_attempt_at = models.DateTimeField(_("last try"), null=True, blank=True)
    delivered_at = models.DateTimeField(
        pgettext_lazy("outbox", "delivered at"), null=True, blank=True
    )
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True)
    last_answer = models.CharField(_("last answer"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message to the marketplace")
        verbose_name_plural = _("messages to the marketplace")
        ordering = ["-seq"]
        indexes = [
            # the worker's due query: undelivered, by next try
            models.Index(
                fields=["next_attempt_at", "seq"],
                condition=Q(status="pending"),
                name="outbox_due",
            ),
            # R112: "an earlier message about this refund is still undelivered"; staff's
            # filter by refund (one index less to write on the hot path than two)
            models.Index(fields=["key", "seq"], name="outbox_about"),
        ]
        permissions = [("resend_message", _("Can resend messages to the marketplace"))]

    def __str__(self):
        return f"{self.type} {self.message_id}"
