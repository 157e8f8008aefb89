from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapitalRepairConfig(AppConfig):
    name = "raschet.capitalrepair"
    label = "capitalrepair"
    verbose_name = _("Capital repair fund")
