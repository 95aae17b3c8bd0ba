"""Validation of the simulator's inputs: an EHR launch, the fault switches and the ward's actions."""

import re
from urllib.parse import urlsplit

from django import forms

from smartapp.sandbox import faults
from smartapp.sandbox.simulator import directory
from smartapp.sandbox.simulator.launch_targets import is_registered_launch_url
from smartapp.sandbox.vendors import VENDORS, oracle, rules_for

URL_MAX_LENGTH = 500  # LaunchContext.app_url / smart_style_url
NOT_REGISTERED = (
    "The app's launch URL (app=) is not one registered with the sandbox: choose a registered client's "
    "launch URL (listed on /sandbox/), or register yours with `python manage.py sandbox_client register "
    "--client-id <id> --redirect-uri <callback> --launch-url <url>`."
)
_FALSE = {"0", "false", "no", "off"}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def http_url_error(value: str, what: str) -> str | None:
    """Why `value` cannot be used as an http(s) URL, or None when it can."""
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed IPv6 bracket
        return f"The {what} is not a valid URL."
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"The {what} must be an absolute http:// or https:// URL."
    if len(value) > URL_MAX_LENGTH:
        return f"The {what} is longer than {URL_MAX_LENGTH} characters."
    return None


class LaunchForm(forms.Form):
    """The parameters of one EHR launch, from the simulator's POST or from GET /sandbox/launch/."""

    user = forms.CharField(error_messages={"required": "Choose the EHR user (user=<Practitioner id>)."})
    patient = forms.CharField(required=False)
    encounter = forms.CharField(required=False)
    app = forms.CharField(required=False)
    need_patient_banner = forms.CharField(required=False)
    smart_style_url = forms.CharField(required=False)
    # The vendor emulation whose FHIR base becomes the launch's `iss` ("" = the plain sandbox), and the
    # tenant of a tenant-scoped one (Oracle; a default tenant when none is given).
    vendor = forms.ChoiceField(
        required=False,
        choices=[("", "plain sandbox"), *[(v, v) for v in VENDORS]],
        error_messages={"invalid_choice": f"vendor= must be one of: {', '.join(VENDORS)}."},
    )
    tenant = forms.CharField(required=False)

    def clean_user(self):
        identity = directory.find_ehr_user(self.cleaned_data["user"])
        if identity is None:
            raise forms.ValidationError("No sandbox practitioner or coordinator has that id.")
        return identity

    def clean_patient(self):
        patient_id = self.cleaned_data["patient"]
        if patient_id and not directory.patient_exists(patient_id):
            raise forms.ValidationError("No sandbox patient has that id.")
        return patient_id

    def clean_app(self):
        app_url = self.cleaned_data["app"] or directory.default_launch_url()
        if error := http_url_error(app_url, "app's launch URL (app=)"):
            raise forms.ValidationError(error)
        if not is_registered_launch_url(app_url):
            raise forms.ValidationError(NOT_REGISTERED)
        return app_url

    def clean_need_patient_banner(self):
        return self.cleaned_data["need_patient_banner"].strip().lower() not in _FALSE

    def clean_smart_style_url(self):
        style_url = self.cleaned_data["smart_style_url"]
        if style_url and (error := http_url_error(style_url, "smart_style_url")):
            raise forms.ValidationError(error)
        return style_url

    def clean_tenant(self):
        tenant = self.cleaned_data["tenant"]
        if tenant and not _UUID.fullmatch(tenant):
            raise forms.ValidationError("tenant= must be a UUID.")
        return tenant

    def clean(self):
        data = super().clean()
        _tenant_for_vendor(self, data)
        encounter_id = data.get("encounter")
        if not encounter_id or "patient" not in data:
            return data
        if not data["patient"]:
            self.add_error("encounter", "An encounter needs its patient: choose the patient too.")
        elif directory.encounter_patient(encounter_id) != data["patient"]:
            self.add_error("encounter", "That encounter is not one of the chosen patient's encounters.")
        return data


class FaultOnForm(forms.Form):
    """POST /sandbox/faults/: switch one fault on."""

    kind = forms.ChoiceField(
        choices=[(kind, kind) for kind in sorted(faults.KINDS)],
        error_messages={"invalid_choice": "Unknown fault kind; see `kinds` in GET /sandbox/faults/."},
    )
    value = forms.CharField(required=False, max_length=255)
    client_id = forms.CharField(required=False, max_length=255)
    remaining = forms.IntegerField(required=False, min_value=1)


class FaultOffForm(forms.Form):
    """POST /sandbox/faults/clear/: switch faults off, all of them or of one kind and/or one client."""

    kind = forms.ChoiceField(
        required=False,
        choices=[("", "every kind"), *[(kind, kind) for kind in sorted(faults.KINDS)]],
        error_messages={"invalid_choice": "Unknown fault kind; see `kinds` in GET /sandbox/faults/."},
    )
    client_id = forms.CharField(required=False, max_length=255)

    def clean_client_id(self):
        # Absent means every row; "" names the rows that apply to every client.
        present = self.data.get("client_id") is not None
        return self.cleaned_data["client_id"] if present else None


class AdmitForm(forms.Form):
    """POST /sandbox/ward/admit/: the patient to admit."""

    patient = forms.CharField(max_length=64, error_messages={"required": "Choose the patient to admit."})

    def clean_patient(self):
        patient_id = self.cleaned_data["patient"]
        if not directory.patient_exists(patient_id):
            raise forms.ValidationError("No sandbox patient has that id.")
        return patient_id


class DischargeForm(forms.Form):
    """POST /sandbox/ward/discharge/: the in-progress inpatient Encounter to end."""

    encounter = forms.CharField(max_length=64, error_messages={"required": "Choose the stay to end."})


def _tenant_for_vendor(form: LaunchForm, data: dict) -> None:
    """A tenant-scoped vendor gets the default tenant when none is given; the others take none."""
    vendor = data.get("vendor", "")
    if vendor and rules_for(vendor).tenant_scoped:
        data["tenant"] = data.get("tenant") or oracle.DEFAULT_TENANT
    elif data.get("tenant"):
        form.add_error("tenant", "Only a tenant-scoped vendor (oracle) takes tenant=.")
