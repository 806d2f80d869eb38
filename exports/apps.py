from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("CSV exports")

    def ready(self):
        # Each app's `exports.py` registers the kinds of export it offers (exports.registry),
        # as the admin finds each app's admin.py: the background task finds them by name.
        autodiscover_modules("exports")
