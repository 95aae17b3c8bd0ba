"""The worklist's filters (a GET query string: codes and references only, never a patient's name) and the
outreach note form."""

from django import forms
from django.core.validators import RegexValidator

from .facts import DISCHARGE, REFERRAL
from .state import STATES, WORKLIST_RANK
from .worklist import SHOW

SORTS = (
    *("due", "-due", "authored", "-authored", "evidence", "-evidence"),
    *("specialty", "-specialty", "action", "-action"),
)
NOTE_MAX = 2000  # characters; the column is a TextField
_KEY = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$")
_OWNER = RegexValidator(r"^(mine|unassigned|[1-9][0-9]{0,9})$")  # or a coordinator's user id


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
    show = forms.ChoiceField(required=False, choices=list(SHOW.items()))  # the work status; "" is open
    owner = forms.CharField(required=False, max_length=16, validators=[_OWNER])

    def __init__(self, data, *, connections: tuple[str, ...]):
        super().__init__(data)
        self.fields["connection"].choices = _choices(connections)

    def chosen(self) -> dict[str, str]:
        """The valid, non-empty filters."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class OutreachNoteForm(forms.Form):
    """A note and/or "contacted". The note's limit is said up front and checked here only: no maxlength on
    the textarea, which would let a browser cut a pasted note silently; a longer note comes back with the
    text kept and an error saying by how much it is over."""

    text = forms.CharField(
        required=False,
        strip=True,
        label=f"Note (up to {NOTE_MAX:,} characters)",
        widget=forms.Textarea(
            attrs={"rows": 4, "data-max-chars": NOTE_MAX, "aria-describedby": "note-limit"}
        ),
    )
    contacted = forms.BooleanField(required=False, label="Mark contacted (reached the patient)")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, validators=[_KEY], max_length=64)

    def clean_text(self) -> str:
        # Browsers send a line break as CR LF but count it as one character: count it as the writer does.
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        if len(text) > NOTE_MAX:
            self.fields["text"].widget.attrs["aria-describedby"] = "note-error note-limit"
            raise forms.ValidationError(
                f"This note is {len(text):,} characters long; a note may be up to {NOTE_MAX:,}. Shorten it "
                f"by {len(text) - NOTE_MAX:,} characters and send it again: your text is still here.",
                code="max_length",
            )
        return text

    def clean(self):
        cleaned = super().clean()
        if "text" in cleaned and not cleaned["text"] and not cleaned.get("contacted"):
            raise forms.ValidationError("Write a note or mark the patient contacted.")
        return cleaned
