"""The worklist's filters (a GET query string: codes and references only, never a patient's name) and the
outreach note form."""

from django import forms
from django.core.validators import RegexValidator

from .facts import DISCHARGE, REFERRAL
from .state import STATES, WORKLIST_RANK

SORTS = ("due", "-due", "authored", "-authored", "evidence", "-evidence", "specialty", "-specialty")
NOTE_MAX = 1000
_KEY = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$")


def _choices(values) -> list[tuple[str, str]]:
    return [("", "All"), *((value, value) for value in values)]


class WorklistFilterForm(forms.Form):
    """Bound to request.GET. A value that does not validate is dropped: the filter falls back to "all"."""

    state = forms.ChoiceField(required=False, choices=_choices(sorted(STATES, key=WORKLIST_RANK.get)))
    kind = forms.ChoiceField(
        required=False, choices=[("", "All"), (REFERRAL, "Referral"), (DISCHARGE, "Discharge")]
    )
    # Matched exactly against stored values: a code (max 64) and a reference ("Practitioner/<id>").
    specialty = forms.CharField(required=False, max_length=64)
    performer = forms.CharField(required=False, max_length=140)
    connection = forms.ChoiceField(required=False)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS])

    def __init__(self, data, *, connections: tuple[str, ...]):
        super().__init__(data)
        self.fields["connection"].choices = _choices(connections)

    def chosen(self) -> dict[str, str]:
        """The valid, non-empty filters."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class OutreachNoteForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        strip=True,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX}),
    )
    contacted = forms.BooleanField(required=False, label="Mark contacted (reached the patient)")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, validators=[_KEY], max_length=64)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("text") and not cleaned.get("contacted"):
            raise forms.ValidationError("Write a note or mark the patient contacted.")
        return cleaned
