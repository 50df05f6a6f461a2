"""Forms: the shape of the input. The rules (rights, manual or automated goals) live in services."""

from django import forms

from goals.models import Goal
from goals_project.people.models import User

from .goal_progress import manual_fields_refused
from .models import NOTE_MAX_LENGTH, CheckIn

CONFIDENCE_LABELS = [
    ("1", "1 · Unlikely"),
    ("2", "2 · Doubtful"),
    ("3", "3 · Even"),
    ("4", "4 · Likely"),
    ("5", "5 · Certain"),
]
LEADS_CHOICE = ""


class CheckInForm(forms.Form):
    """One goal's check-in. Prefixed with the goal id so every goal's form on the page is apart."""

    note = forms.CharField(
        label="Progress note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What moved this week, what comes next.",
    )
    confidence = forms.TypedChoiceField(
        label="Confidence of reaching the target",
        choices=CONFIDENCE_LABELS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose your confidence from 1 to 5.",
            "invalid_choice": "Confidence must be a whole number from 1 to 5.",
        },
    )
    blockers = forms.CharField(
        label="Blockers",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything in the way? Your lead sees it in their queue.",
    )
    value = forms.DecimalField(label="New value", required=False, max_digits=18, decimal_places=4)
    tasks_done = forms.IntegerField(
        label="Tasks done so far", required=False, min_value=0, max_value=100000
    )
    milestones = forms.TypedMultipleChoiceField(
        label="Milestones done", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    support_message = forms.CharField(
        label="What do you need help with?",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    support_addressee = forms.ChoiceField(label="Ask", required=False)

    def __init__(self, *args, goal: Goal, teammates: list[User], **kwargs):
        kwargs.setdefault("prefix", f"goal-{goal.pk}")
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.teammates = {str(user.pk): user for user in teammates}
        self.fields["support_addressee"].choices = [
            (LEADS_CHOICE, "My team lead(s)"),
            *[(pk, user.get_full_name()) for pk, user in self.teammates.items()],
        ]
        # Only the fields that make sense for this goal are offered; a refused one that is sent
        # anyway is an error (see clean), not silently dropped.
        self.refused = manual_fields_refused(goal)
        for name in self.refused:
            del self.fields[name]
        self.done_milestones = []
        if "milestones" in self.fields:
            milestones = getattr(goal, "milestone_list", None)
            if milestones is None:
                milestones = list(goal.milestones.all())
            self.fields["milestones"].choices = [
                (m.pk, m.name) for m in milestones if m.done_at is None
            ]
            self.done_milestones = [m for m in milestones if m.done_at is not None]

    def clean(self):
        cleaned = super().clean()
        for name, reason in self.refused.items():
            key = self.add_prefix(name)
            sent = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data.get(key)]
            if any(str(value or "").strip() for value in sent):
                self.add_error(None, reason)
        return cleaned

    def clean_support_addressee(self) -> User | None:
        chosen = self.cleaned_data.get("support_addressee") or LEADS_CHOICE
        return self.teammates.get(chosen)

    @classmethod
    def initial_from(cls, checkin: CheckIn | None) -> dict:
        if checkin is None:
            return {}
        return {
            "note": checkin.note,
            "confidence": checkin.confidence,
            "blockers": checkin.blockers,
            "value": checkin.value,
            "tasks_done": checkin.tasks_done,
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "note": data.get("note", ""),
            "confidence": data.get("confidence"),
            "blockers": data.get("blockers", ""),
            "value": data.get("value"),
            "tasks_done": data.get("tasks_done"),
            "milestone_ids": data.get("milestones") or [],
            "support_message": data.get("support_message", ""),
            "support_addressee": data.get("support_addressee"),
        }


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label="Reply",
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
