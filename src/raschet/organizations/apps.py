from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "raschet.organizations"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="raschet.roles_sync")


def _sync_roles(sender: AppConfig, **kwargs: object) -> None:
    """Keep the role groups' permissions in step with the models after every migrate.

    ``post_migrate`` is sent once per app, in ``INSTALLED_APPS`` order, after auth has
    created that app's permissions; syncing at the last Raschet app sees them all.
    """
    from django.apps import apps

    ours = [config for config in apps.get_app_configs() if config.name.startswith("raschet.")]
    if sender is not ours[-1]:
        return
    from raschet.organizations.services import roles_sync

    roles_sync()
