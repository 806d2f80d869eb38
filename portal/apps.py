from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.db.models import Field, ForeignObject

        from portal.lookups import Any

        # `pk__any=ids`: many ids in one parameter (issue 10); a foreign key's lookups are
        # its own class's, not Field's
        Field.register_lookup(Any)
        ForeignObject.register_lookup(Any)
