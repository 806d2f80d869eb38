"""A CSV export prepared in the background (issue 10): too big to stream in one request.

The file is written through Django's storage API under a private path that names neither
the shop nor the export, and is served only to the merchants of its shop (R100, R102).
It expires after CSV_EXPORT_KEEP_HOURS: the file is deleted, the row stays as the record of
who exported what.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from enrollment.models import Shop
from portal.fields import actor_field
from portal.fsm import SYSTEM_ONLY, state_field


class CsvExportState(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


def export_path(instance, filename):
    # Private storage, never served by URL: a random name, nothing about the shop (R102).
    return f"exports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.csv"


class CsvExport(FSMModelMixin, models.Model):
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="csv_exports", verbose_name=_("shop")
    )
    kind = models.CharField(_("export"), max_length=20)  # exports.registry name
    params = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(
        max_length=10, verbose_name=_("language")
    )  # R3: headers and labels as the merchant read
    filename = models.CharField(max_length=50, verbose_name=_("file name"))
    requested_by = actor_field(_("requested by"))
    # Also the "now" of time-dependent cells (R24's in coverage / expired).
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    state = state_field(CsvExportState.PREPARING, max_length=10)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(
        upload_to=export_path, max_length=200, blank=True, verbose_name=_("file")
    )
    size = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("size (bytes)"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("CSV export")
        verbose_name_plural = _("CSV exports")
        indexes = [
            models.Index(fields=["shop", "-requested_at"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_written * 100 // self.rows_total)

    def is_downloadable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.state == CsvExportState.READY and self.expires_at > now

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CsvExportState.PREPARING,
        target=CsvExportState.READY,
        permission=SYSTEM_ONLY,
    )
    def finish(self, *, by=None, at, rows, size, description=""):
        self.rows_written = rows
        self.rows_total = rows
        self.size = size
        self.finished_at = at
        self.expires_at = at + settings.CSV_EXPORT_KEEP

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CsvExportState.PREPARING,
        target=CsvExportState.FAILED,
        permission=SYSTEM_ONLY,
    )
    def fail(self, *, by=None, at, description):
        self.finished_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CsvExportState.READY,
        target=CsvExportState.EXPIRED,
        permission=SYSTEM_ONLY,
    )
    def expire(self, *, by=None, at, description=""):
        """The file is deleted after commit (exports.services)."""
        self.expires_at = min(self.expires_at, at)
