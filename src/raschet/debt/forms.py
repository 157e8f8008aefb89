"""The penalty calculator's form, shared by the back office and the resident portal:
one debt, its due date, the day to count to and the payments, checked and bounded (the
portal's page is public), and the calculation by the scalar reference with the rate tables
an administrator keeps (rules.md §3)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.core.money import MoneyError, parse_rubles
from raschet.core.penalties import PenaltySettings, RateStrategy, Regime
from raschet.core.penalties_reference import Calculation, Payment, Tranche, calculate
from raschet.debt.penalties import penalty_tables

MAX_DEBT_KOPECKS = 100_000_000_00
"""A bound against abuse of the public page: 100 million rubles."""
MAX_DAYS = 3653
"""Ten years between the due date and the day counted to."""
MAX_PAYMENTS = 60


class PenaltyCalculatorForm(forms.Form):
    """The calculator: one debt, its due date, the date to count to and the payments."""

    amount = forms.CharField(
        label=gettext_lazy("Debt, ₽"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    due = forms.DateField(
        label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Up to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    payments = forms.CharField(
        label=gettext_lazy("Payments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: YYYY-MM-DD amount, e.g. 2025-04-25 1000,00"),
    )
    capital_repair = forms.BooleanField(label=gettext_lazy("Capital repair"), required=False)
    payment_day_excluded = forms.BooleanField(
        label=gettext_lazy("The payment day is not a day of delay"), required=False
    )

    def clean_amount(self) -> int:
        try:
            amount = parse_rubles(self.cleaned_data["amount"])
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if amount <= 0:
            raise forms.ValidationError(_("The debt must be greater than zero"))
        if amount > MAX_DEBT_KOPECKS:
            raise forms.ValidationError(_("The amount is too large"))
        return amount

    def clean_payments(self) -> list[Payment]:
        out = []
        lines = self.cleaned_data["payments"].splitlines()
        if sum(1 for line in lines if line.strip()) > MAX_PAYMENTS:
            raise forms.ValidationError(_("At most %(count)s payments") % {"count": MAX_PAYMENTS})
        for no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                day, amount = line.split(maxsplit=1)
                payment = Payment(date.fromisoformat(day), parse_rubles(amount))
            except (ValueError, MoneyError) as exc:
                raise forms.ValidationError(
                    _("Line %(no)s: expected «YYYY-MM-DD amount»") % {"no": no}
                ) from exc
            if payment.amount <= 0:
                raise forms.ValidationError(
                    _("Line %(no)s: expected «YYYY-MM-DD amount»") % {"no": no}
                )
            out.append(payment)
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        due, until = data.get("due"), data.get("until")
        if due and until:
            if until < due:
                self.add_error("until", _("The date must not be before the due date"))
            elif (until - due).days > MAX_DAYS:
                self.add_error("until", _("The period must not be longer than ten years"))
        return data

    def calculation(self) -> Calculation | None:
        """The calculation of a valid form; an input the rules refuse (a rate needed before
        the first one in the table, payments above the debt) becomes a form error."""
        if not self.is_valid():
            return None
        data: dict[str, Any] = self.cleaned_data
        try:
            return calculate(
                Tranche(
                    data["amount"],
                    data["due"],
                    Regime.CAPITAL_REPAIR if data["capital_repair"] else Regime.HOUSING,
                ),
                data["payments"],
                until=data["until"],
                tables=penalty_tables(),
                settings=PenaltySettings(
                    payment_day_counted=not data["payment_day_excluded"],
                    rate_strategy=RateStrategy.PAYMENT_DAY,
                ),
            )
        except ValueError as exc:
            self.add_error(None, str(exc))
            return None
