"""The preferences form: one choice per registered kind, and the weekly digest on or off."""

from django import forms

from . import kinds
from .models import Delivery


class NotificationSettingsForm(forms.Form):
    weekly_digest = forms.BooleanField(
        label="Send me the weekly digest email (Mondays)", required=False
    )

    def __init__(self, *args, deliveries: dict[str, str], weekly_digest: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekly_digest"].initial = weekly_digest
        self.keys = [kind.key for kind in kinds.preference_kinds()]
        for kind in kinds.preference_kinds():
            self.fields[kind.key] = forms.ChoiceField(
                label=kind.preference,
                choices=Delivery.choices,
                initial=deliveries[kind.key],
                widget=forms.RadioSelect,
            )

    def kind_fields(self):
        return [self[key] for key in self.keys]

    def deliveries(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in self.keys}
