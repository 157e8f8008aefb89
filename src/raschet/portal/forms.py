"""Forms of the resident portal: sign-up, sign-in, linking an account, the penalty calculator.

Forms parse and validate input; the writes are in `raschet.portal.services` and the penalty
rules in `raschet.core.penalties_reference`. The calculator form is the portal's own: the
back office's cannot be imported (delivery layers are independent, pyproject import-linter).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raschet.core.money import MoneyError, parse_rubles
from raschet.core.penalties_reference import Payment

MAX_DEBT_KOPECKS = 100_000_000_00
"""The calculator refuses debts above 100 million rubles (a typo, not a flat's debt)."""
MAX_DAYS = 3653
"""…and periods longer than ten years: the computation walks the days one by one."""
MAX_PAYMENTS = 60


class SignUpForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=150)
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username__iexact=email).exists():
            raise forms.ValidationError(_("A resident with this e-mail is already registered."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two password fields didn’t match."))
        elif second:
            probe = get_user_model()(username=data.get("email", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(second, probe)
            except forms.ValidationError as exc:
                self.add_error("password2", exc)
        return data


class SignInForm(AuthenticationForm):
    """Django's sign-in with the e-mail as the user name; staff accounts are turned away
    (they work in the back office, and the portal shows them nothing)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail")

    def clean_username(self) -> str:
        return str(self.cleaned_data.get("username", "")).strip().lower()

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.is_staff:
            raise forms.ValidationError(
                _("This is a staff account: sign in to the back office."), code="staff"
            )


class LinkForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Account number"), max_length=30)
    code = forms.CharField(
        label=gettext_lazy("Access code"),
        max_length=20,
        help_text=gettext_lazy("Printed on the payment document next to the account number"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class PenaltyForm(forms.Form):
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
