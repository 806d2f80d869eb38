from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformApiConfig(AppConfig):
    name = "platform_api"
    verbose_name = _("Platform event API")
