"""Forms of the back-office pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from raschet.organizations.models import Organization
from raschet.organizations.selectors import organizations_for_user

IMPORT_SUFFIXES = (".xlsx", ".csv")


class HousingImportForm(forms.Form):
    """Which organization, which file, and whether only to check it."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=_("Organization")
    )
    file = forms.FileField(label=_("File (XLSX or CSV)"))
    dry_run = forms.BooleanField(label=_("Only check, write nothing"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        choices = organizations_for_user(user)
        field.queryset = choices  # type: ignore[attr-defined]
        if choices.count() == 1:
            field.initial = choices.first()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in IMPORT_SUFFIXES:
            raise forms.ValidationError(
                _("%(name)s: expected an .xlsx or .csv file"), params={"name": upload.name}
            )
        limit = settings.RASCHET_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("%(name)s: the file is larger than %(limit)s MB"),
                params={"name": upload.name, "limit": limit // (1024 * 1024)},
            )
        return upload
