"""``raschet manage api_token_create --organization CODE --name NAME``: issue an API token.

The plain token is printed once and is not stored; a lost token is revoked and reissued.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from raschet.api.services import api_token_create
from raschet.organizations.models import Organization


class Command(BaseCommand):
    help = "Issue an API token for an organization and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="Organization code")
        parser.add_argument("--name", required=True, help="What the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["organization"]
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            raise CommandError(
                _("--organization: no organization with code %(code)s") % {"code": code}
            )
        try:
            token, plain = api_token_create(organization=organization, name=options["name"])
        except ValidationError as exc:
            problems = "; ".join(
                f"--{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            )
            raise CommandError(problems) from exc
        self.stdout.write(plain)
        self.stderr.write(
            _("Token %(prefix)s… for %(organization)s created. It is shown only once.")
            % {"prefix": token.prefix, "organization": organization.code}
        )
