from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Premium invoices")

    def ready(self):
        from invoicing.tasks import email_merchant_of_changes
        from portal import changes

        # R73/R74: the merchant's e-mail of every invoice request issued, shipped or rejected
        changes.listen(email_merchant_of_changes)
