"""The form of the care team's actions (actions.py), for one referral or the rows selected on the list.

One form, with the action chosen by name: the list's bulk bar and the referral page's small forms post the
same fields. Only what the chosen action needs is required; the rest is ignored.
"""

from datetime import date, timedelta

from django import forms

from smartapp.core.moments import moment_of

from .actions import OTHER, PERSON_REASONS, SNOOZE_MAX
from .selectors import TeamMember

# Selected rows per request: a page of the list (views.PAGE_SIZE). A request body holds at most
# DATA_UPLOAD_MAX_NUMBER_FIELDS (100, docs/security.md) fields, so a page of ids and this form's other
# fields fit, and a list of ids as long as the limit is refused here with a message, not by Django's 400.
MAX_IDS = 50
ACTIONS = {
    "assign_me": "Assign to me",
    "assign": "Assign to",
    "unassign": "Unassign",
    "next_action": "Set the next action date",
    "clear_next_action": "Clear the next action date",
    "snooze": "Snooze until",
    "close": "Close with a reason",
    "reopen": "Reopen",
}
NEXT_ACTION_MAX = timedelta(days=365)
_CLOSED_NOTE_MAX = 500  # Referral.closed_note


class PkListField(forms.Field):
    """The selected rows' pks: `ids` repeated, each a positive integer; at most MAX_IDS."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = [str(v).strip() for v in (value or [])]
        if len(values) > MAX_IDS:
            raise forms.ValidationError(
                f"Select at most {MAX_IDS} referrals at a time ({len(values)} were selected).",
                code="too_many",
            )
        if not all(v.isascii() and v.isdigit() and 0 < len(v) <= 18 for v in values):
            raise forms.ValidationError("The selection was not understood. Select the rows again.")
        return sorted({int(v) for v in values})


class ReferralActionForm(forms.Form):
    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    ids = PkListField(required=False)
    owner = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Coordinator",
        error_messages={"invalid_choice": "Choose a coordinator who signs in on this EHR."},
    )
    next_action_on = forms.DateField(required=False, label="Next action on")
    snooze_until = forms.DateField(required=False, label="Snooze until")
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "Choose a reason"), *PERSON_REASONS.items()],
        error_messages={"invalid_choice": "Choose one of the reasons listed."},
    )
    note = forms.CharField(required=False, strip=True, max_length=_CLOSED_NOTE_MAX, label="Why (for other)")

    def __init__(self, data, *, team: list[TeamMember], today: date):
        super().__init__(data)
        self.today = today
        self.fields["owner"].choices = [("", "Choose a coordinator"), *((m.user_id, m.label) for m in team)]

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "assign" and cleaned.get("owner") is None and "owner" not in self.errors:
            self.add_error("owner", "Choose the coordinator to assign to.")
        elif action == "next_action":
            self._check_day("next_action_on", self.today, self.today + NEXT_ACTION_MAX, "next action")
        elif action == "snooze":
            self._check_day("snooze_until", self.today + timedelta(days=1), self.today + SNOOZE_MAX, "snooze")
        elif action == "close" and "reason" not in self.errors:
            if not cleaned.get("reason"):
                self.add_error("reason", "Choose why the referral is closed.")
            elif cleaned["reason"] == OTHER and not cleaned.get("note"):
                self.add_error("note", "Say why when the reason is Other.")
        return cleaned

    def _check_day(self, field: str, earliest: date, latest: date, what: str) -> None:
        day = self.cleaned_data.get(field)
        if field in self.errors:
            return
        if day is None:
            self.add_error(field, f"Choose the {what} date.")
        elif not earliest <= day <= latest:
            self.add_error(field, f"Choose a {what} date from {spelled(earliest)} to {spelled(latest)}.")

    def problems(self) -> str:
        """Every error as one sentence list, for a message on the page the browser returns to."""
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


def spelled(day: date) -> str:
    """ "4 Jan 2027", whatever the server's locale."""
    return moment_of(day).day


def action_context(*, team: list[TeamMember], today: date) -> dict:
    """What the action forms of a page need: whom to assign to, the reasons, and the dates allowed."""
    return {
        "team": team,
        "actions": ACTIONS,
        "reasons": list(PERSON_REASONS.items()),
        "bounds": {
            "next_min": today.isoformat(),
            "next_max": (today + NEXT_ACTION_MAX).isoformat(),
            "snooze_min": (today + timedelta(days=1)).isoformat(),
            "snooze_max": (today + SNOOZE_MAX).isoformat(),
        },
    }
