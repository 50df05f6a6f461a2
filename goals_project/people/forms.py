from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from .models import ApiToken
from .throttle import normalize_login


class NormalizedLoginMixin:
    """The login is normalised once, before the throttle (django-axes) and the backend see it:
    every spelling of an email is the same account with the same count of failures."""

    def clean_username(self) -> str:
        return normalize_login(self.cleaned_data.get("username"))


class EmailLoginForm(NormalizedLoginMixin, AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": (
            "That email and password do not match an account. Check both and try again."
        ),
        "inactive": "This account is inactive.",
    }


class AdminLoginForm(NormalizedLoginMixin, AdminAuthenticationForm):
    """Django admin's login form with the same normalised login."""


class EmailPasswordResetForm(PasswordResetForm):
    def clean_email(self) -> str:
        return normalize_login(self.cleaned_data.get("email"))


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. “CRM sync” or “reporting script”."
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
        error_messages={"required": "Choose at least one scope."},
    )
