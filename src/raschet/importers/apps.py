from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportersConfig(AppConfig):
    name = "raschet.importers"
    verbose_name = _("Imports")
    default_auto_field = "django.db.models.BigAutoField"
