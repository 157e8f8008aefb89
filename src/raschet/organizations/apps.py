from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "raschet.organizations"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="raschet.roles_sync")


def _sync_roles(sender: AppConfig, **kwargs: object) -> None:
    """Keep the role groups' permissions in step with the models after every migrate."""
    if not sender.name.startswith("raschet."):
        return
    from raschet.organizations.services import roles_sync

    roles_sync()
