"""The auditor's filters: a GET query string of ids, codes and dates (an audit event holds nothing else)."""

from django import forms
from django.core.validators import RegexValidator

_FHIR_ID = RegexValidator(r"^(Patient/)?[A-Za-z0-9\-.]{1,64}$", "A FHIR id, like 123 or Patient/123.")
_DATE = forms.DateInput(attrs={"type": "date"})
_ACTION = RegexValidator(r"^[a-z_]+(\.[a-z_]+)*$", "An action, like fhir.read, or a prefix, like fhir.")


class AuditFilterForm(forms.Form):
    """Bound to request.GET. A value that does not validate is dropped (and shown as an error)."""

    patient = forms.CharField(required=False, max_length=72, validators=[_FHIR_ID])
    user = forms.CharField(
        required=False, max_length=300, help_text="An app user id, or a fhirUser (Practitioner/123)."
    )
    action = forms.CharField(required=False, max_length=64, validators=[_ACTION])
    since = forms.DateField(required=False, label="From (UTC)", widget=_DATE)
    until = forms.DateField(required=False, label="To (UTC)", widget=_DATE)

    def chosen(self) -> dict:
        """The valid, non-empty filters."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
