"""The SMART launch context an authorization carries from the authorize endpoint to its tokens."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SmartContext:
    patient_id: str = ""
    encounter_id: str = ""
    fhir_user: str = ""  # "Practitioner/pr-1" or "Patient/p-1"
    # Only an authorization knows these; a refreshed token reports patient and encounter alone.
    need_patient_banner: bool | None = None
    smart_style_url: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> "SmartContext":
        """Rebuild a context stored with `as_dict`, ignoring anything else."""
        if not isinstance(data, dict):
            return cls()
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})

    @classmethod
    def from_token_context(cls, stored) -> "SmartContext":
        """The context of an issued token (a TokenContext row, or None)."""
        if stored is None:
            return cls()
        return cls(stored.patient_id, stored.encounter_id, stored.fhir_user)

    def token_fields(self) -> dict:
        """The launch context parameters of a token response (SMART App Launch 2.x, section 2.0.10)."""
        fields = {"patient": self.patient_id, "encounter": self.encounter_id}
        fields = {name: value for name, value in fields.items() if value}
        if self.need_patient_banner is not None:
            fields["need_patient_banner"] = self.need_patient_banner
        if self.smart_style_url:
            fields["smart_style_url"] = self.smart_style_url
        return fields
