from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "raschet.backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.site_header = _("Raschet — back office")
        admin.site.site_title = _("Raschet — back office")
        admin.site.index_title = _("Reference data")
        # The app template loader finds django.contrib.admin's index first (it is installed
        # earlier), so the index with the back-office links is set explicitly.
        admin.site.index_template = "backoffice/admin_index.html"
