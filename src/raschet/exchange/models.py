"""Layouts of the files exchanged with social protection offices, and the log of exchanges.

The file formats themselves (and the built-in layouts) are in `raschet.exchange.layouts`;
docs/social-protection.md describes them column by column.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from raschet.exchange import layouts
from raschet.organizations.models import TenantModel


class Direction(models.TextChoices):
    EXPORT = "export", _("Export to the office")
    IMPORT = "import", _("Answer from the office")


class LayoutDirection(models.TextChoices):
    EXPORT = layouts.EXPORT, _("Export file")
    RESPONSE = layouts.RESPONSE, _("Answer file")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    DBF = "dbf", _("DBF (dBase III)")


class Encoding(models.TextChoices):
    CP866 = "cp866", "cp866 (DOS)"
    CP1251 = "cp1251", "cp1251 (Windows)"
    UTF8 = "utf-8", "UTF-8"
    UTF8_BOM = "utf-8-sig", _("UTF-8 with BOM")


class ExchangeLayout(TenantModel):
    """An organization's own layout of an export or answer file.

    ``columns`` is the ordered list ``[{field, header, type, width, decimals}, …]``: a field
    of the catalogue (`layouts.EXPORT_FIELDS` / `layouts.RESPONSE_FIELDS`), the header or
    DBF field name the office expects, the dBase type (C, N, D), the width and the decimals.
    A layout of the same name as a built-in one (`layouts.BUILTIN`) replaces it for the
    organization.
    """

    name = models.SlugField(_("name"), max_length=40)
    title = models.CharField(_("title"), max_length=200, blank=True)
    direction = models.CharField(
        _("direction"),
        max_length=16,
        choices=LayoutDirection.choices,
        default=LayoutDirection.EXPORT,
    )
    format = models.CharField(
        _("format"), max_length=8, choices=FileFormat.choices, default=FileFormat.DBF
    )
    encoding = models.CharField(
        _("encoding"), max_length=16, choices=Encoding.choices, default=Encoding.CP866
    )
    delimiter = models.CharField(_("CSV delimiter"), max_length=1, default=";")
    columns = models.JSONField(_("columns"), default=list)
    file_name = models.CharField(
        _("file name pattern"),
        max_length=100,
        blank=True,
        help_text=_(
            "Export only; empty: the default name. Fields in braces: {DD}, {MM}, {Y} (last "
            "digit of the year), {YYYY}, {PERIOD}, {ORG}, {OFFICE}, {EXT}; Order 243: "
            "{DD}{MM}{Y}046.{OFFICE} with the region's PFR code in place of 046"
        ),
    )

    class Meta:
        verbose_name = _("exchange file layout")
        verbose_name_plural = _("exchange file layouts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="exchange_layout_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.name

    def clean(self) -> None:
        super().clean()
        problems = layouts.layout_problems(
            direction=self.direction,
            format=self.format,
            encoding=self.encoding,
            delimiter=self.delimiter,
            columns=self.columns,
        )
        errors = {"columns": problems} if problems else {}
        name_problems = layouts.file_name_problems(self.file_name)
        if self.file_name and self.direction != LayoutDirection.EXPORT:
            name_problems.insert(0, "имя файла задаётся только в макете выгрузки")
        if name_problems:
            errors["file_name"] = name_problems
        if errors:
            raise ValidationError(errors)

    def as_layout(self) -> layouts.Layout:
        return layouts.build_layout(
            name=self.name,
            title=self.title or self.name,
            direction=self.direction,
            format=self.format,
            encoding=self.encoding,
            delimiter=self.delimiter,
            columns=self.columns,
            file_name=self.file_name,
        )


class RunState(models.TextChoices):
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class ExchangeRun(TenantModel):
    """One exchange with a social protection office: a file written or an answer read.

    A refused answer (errors in the file, or a file already imported) is logged too, with
    its errors, and changes nothing. An answer file is applied at most once: the database
    allows one applied import per organization and SHA-256.
    """

    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    state = models.CharField(_("state"), max_length=8, choices=RunState.choices)
    period = models.DateField(_("billing month"), null=True, blank=True)
    office = models.CharField(_("social protection office"), max_length=40, blank=True)
    layout = models.CharField(_("layout"), max_length=40)
    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    error_list = models.JSONField(_("error list"), default=list, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("exchange run")
        verbose_name_plural = _("exchange runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sha256"],
                condition=Q(direction="import", state="done"),
                name="exchange_run_import_once",
            ),
            models.CheckConstraint(
                condition=Q(period__isnull=True) | Q(period__day=1),
                name="exchange_run_period_first_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.file_name}"
