"""smartapp's own users by name (coordinators, outreach authors, owners): the EHR's name of their identity
(launch.Identity.display_name), else their FHIR reference, labelled as a
reference, never passed off as a name. (people.py names the EHR's people in FHIR resources.)"""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from smartapp.launch.models import Identity


@dataclass(frozen=True)
class Person:
    name: str  # as the EHR names them; "" when smartapp does not know it
    fhir_user: str  # "Practitioner/pr-010"; "" when unknown

    @property
    def label(self) -> str:
        """The name; else the reference, saying what it is; else "unknown"."""
        if self.name:
            return self.name
        return f"EHR user {self.fhir_user}" if self.fhir_user else "unknown"


def person_named(*, name: str | None, fhir_user: str | None) -> Person:
    return Person(name=(name or "").strip(), fhir_user=fhir_user or "")


def signed_in_person(launch) -> Person:
    """The person of a launch: the name the launch recorded for its identity, else its fhirUser."""
    return person_named(name=launch.display_name, fhir_user=launch.fhir_user)


def identity_annotations(user_field: str, prefix: str) -> dict[str, Subquery]:
    """Subqueries naming the user in `user_field` of each row, from their first EHR identity:
    `<prefix>_name` and `<prefix>_fhir_user`. For `.annotate(**...)`, so that no row needs a query of its
    own."""
    identity = Identity.objects.filter(user_id=OuterRef(user_field)).order_by("pk")
    return {
        f"{prefix}_fhir_user": Subquery(identity.values("fhir_user")[:1]),
        f"{prefix}_name": Subquery(identity.values("display_name")[:1]),
    }
