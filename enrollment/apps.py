import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

REPRICE_AT = dt.time(2, 15)  # R51: every day, Asia/Shanghai


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment and pricing")

    def ready(self):
        from enrollment.tasks import reprice_shops_task
        from portal import periodic

        periodic.register(
            periodic.Job(
                "reprice", reprice_shops_task, daily_at=REPRICE_AT, what="R51 risk repricing"
            )
        )
