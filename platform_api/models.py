"""R82: the ids of applied platform events, so a repeated event changes nothing."""

from django.db import models
from django.utils import timezone


class PlatformEvent(models.Model):
    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "applied platform event"
        verbose_name_plural = "applied platform events"

    def __str__(self):
        return f"{self.event_id} {self.type}"
