"""The resident's appeal form: category, subject, text, files; for a report of a poor or
missing service also the service, what was wrong and when (issue 8, item 5).

The form parses; the rules (which services, dates, file types and sizes) are checked by
`raschet.appeals.services`, which words the refusals.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.appeals.models import AppealCategory
from raschet.appeals.services import QUALITY_SERVICES
from raschet.billing.models import RESIDENT_QUALITY_KINDS, QualityKind
from raschet.housing.models import Account
from raschet.tariffs.models import Service

_LOCAL = "%Y-%m-%dT%H:%M"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern): each is cleaned alone."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


class AppealForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=AppealCategory.choices)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = MultipleFileField(
        label=gettext_lazy("Files"),
        required=False,
        allow_empty_file=True,  # the service refuses an empty file and names it
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.heic,.heif"}),
        help_text=gettext_lazy("PDF documents and JPEG, PNG or HEIC photos"),
    )
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False
    )
    quality_kind = forms.ChoiceField(
        label=gettext_lazy("What was wrong"),
        choices=[("", "—"), *RESIDENT_QUALITY_KINDS],
        required=False,
    )
    started_at = forms.DateTimeField(
        label=gettext_lazy("From"),
        required=False,
        input_formats=[_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL),
    )
    ended_at = forms.DateTimeField(
        label=gettext_lazy("Until"),
        required=False,
        input_formats=[_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL),
        help_text=gettext_lazy("Leave empty if the problem goes on"),
    )
    degrees = forms.IntegerField(
        label=gettext_lazy("Degrees below the norm"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=gettext_lazy("For a temperature deviation"),
    )

    QUALITY_FIELDS = ("service", "quality_kind", "started_at", "ended_at", "degrees")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = cast(forms.ModelChoiceField, self.fields["service"])
        service.queryset = Service.objects.filter(
            organization_id=account.organization_id, code__in=QUALITY_SERVICES
        ).order_by("name")

    @property
    def is_quality(self) -> bool:
        value = self.data.get("category") if self.is_bound else self.initial.get("category")
        return value == AppealCategory.QUALITY

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("category", "subject", "text", "attachments")]

    def quality_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.QUALITY_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("category") == AppealCategory.QUALITY:
            for name in ("service", "quality_kind", "started_at"):
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
            if data.get("quality_kind") == QualityKind.TEMPERATURE and not data.get("degrees"):
                self.add_error("degrees", _("This field is required."))
        return data
