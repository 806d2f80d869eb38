"""R82: the ids of applied platform events, so a repeated event changes nothing."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlatformEvent(models.Model):
    event_id = models.CharField(max_length=100, unique=True, verbose_name=_("event id"))
    type = models.CharField(max_length=40, verbose_name=_("event type"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    applied_at = models.DateTimeField(default=timezone.now, verbose_name=_("applied at"))

    class Meta:
        verbose_name = _("applied platform event")
        verbose_name_plural = _("applied platform events")

    def __str__(self):
        return f"{self.event_id} {self.type}"
