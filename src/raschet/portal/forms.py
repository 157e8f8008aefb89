"""Forms of the resident portal: sign-up, sign-in, linking an account, the penalty calculator.

Forms parse and validate input; the writes are in `raschet.portal.services` and the penalty
rules in `raschet.core.penalties_reference`. The calculator form is the portal's own: the
back office's cannot be imported (delivery layers are independent, pyproject import-linter).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

"""The calculator refuses debts above 100 million rubles (a typo, not a flat's debt)."""
"""…and periods longer than ten years: the computation walks the days one by one."""


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
