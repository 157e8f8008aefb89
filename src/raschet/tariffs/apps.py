from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TariffsConfig(AppConfig):
    name = "raschet.tariffs"
    verbose_name = _("Services and tariffs")
