from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebtConfig(AppConfig):
    name = "raschet.debt"
    verbose_name = _("Debt")
