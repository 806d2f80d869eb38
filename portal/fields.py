"""Field declarations every app makes the same way, written once."""

from django.conf import settings
from django.db import models


def actor_field(verbose_name, *, blank: bool = False) -> models.ForeignKey:
    """Who did something to a record (applied, reviewed, revoked, requested, ...): a link to
    the user that outlives the user (deleting one blanks it, the record stays) and adds no
    reverse accessor to the user model. `blank`: a form may leave it empty."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=blank,
        related_name="+",
        verbose_name=verbose_name,
    )
