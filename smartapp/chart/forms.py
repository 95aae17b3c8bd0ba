from django import forms


class NoteFilterForm(forms.Form):
    """Filters of the notes section. Sent by POST: search words may be PHI and must not sit in URLs."""

    note_type = forms.CharField(required=False, max_length=200)
    specialty = forms.CharField(required=False, max_length=200)
    author = forms.CharField(required=False, max_length=200)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)
    text = forms.CharField(required=False, max_length=200)

    def criteria(self) -> dict:
        """The valid, non-empty criteria as keyword arguments of notes.filter_notes."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}
