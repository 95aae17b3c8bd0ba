"""Names and patient facts from the resources a page included (Patients, Practitioners, roles,
organizations), given to every stored row of this connection that names them, whichever page stored it.

A name from an included resource is the EHR's current one: it replaces what rows hold. A row that still
has no name for a performer takes one a row of the same connection already holds (the Practitioner was
included with another search), so that a visit is named although its own search included nobody.
Patient facts are stamped with the moment they describe (Referral.patient_facts_at): here the time of the
read, which the ADT feed compares its MSH-7 with before writing (adt/visits.py).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import F, Q
from django.utils import timezone

from .elements import Unparseable, own_ref
from .models import Evidence, Referral
from .patient_facts import PatientFacts, patient_facts
from .people import people_names

REFERRAL_PATIENT_FIELDS = {
    "patient_display": "name",
    "patient_mrn": "mrn",
    "patient_birth_date": "birth_date",
    "patient_phone": "phone",
}
STAMPED_FIELDS = [*REFERRAL_PATIENT_FIELDS, "patient_facts_at"]  # the facts and the moment they describe
# Where a name of a person may already be stored: (model, reference column, name column).
NAMED_COLUMNS = (
    (Referral, "requester_ref", "requester_display"),
    (Referral, "performer_ref", "performer_display"),
    (Evidence, "performer_ref", "performer_display"),
)


@dataclass(frozen=True)
class Directory:
    """The included resources of one page: "Patient/<id>" -> facts, "Practitioner/<id>" (and roles,
    organizations, care teams) -> name."""

    patients: dict[str, PatientFacts] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    patient_names: dict[str, str] = field(default_factory=dict)


def page_directory(resources: list[dict], *, today: date) -> Directory:
    """The patients and people among `resources` (anything unreadable is left out)."""
    patients = {}
    for resource in resources:
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            try:
                patients[own_ref(resource, "Patient")] = patient_facts(resource, today=today)
            except Unparseable:
                continue
    names = {ref: facts.name for ref, facts in patients.items()}
    return Directory(patients=patients, people=people_names(resources), patient_names=names)


def patients_update(
    connection: str, patients: dict[str, PatientFacts], *, read_at: datetime | None = None
) -> int:
    """Give the stored expectations of these patients their facts: the MRN, birth date and phone as the
    Patient has them now (cleared when it no longer has one), the name when it has one. Every row written
    is stamped with the moment the facts describe, changed or not, so that no ADT message older than them
    writes over them later. A live read (`read_at` None) is the EHR's state now: it always applies. A page
    describing an earlier moment (an export's transactionTime) leaves the rows whose facts are newer."""
    if not patients:
        return 0
    rows = Referral.objects.filter(connection=connection, patient_ref__in=list(patients))
    if read_at is not None:
        rows = rows.filter(Q(patient_facts_at__isnull=True) | Q(patient_facts_at__lte=read_at))
    read_at = read_at or timezone.now()
    changed = []
    for row in rows:
        facts = patients[row.patient_ref]
        values = {column: getattr(facts, name) for column, name in REFERRAL_PATIENT_FIELDS.items()}
        if not values["patient_display"]:
            values["patient_display"] = row.patient_display  # a name from the resource itself stays
        if _assign(row, values):
            changed.append(row)
    Referral.objects.bulk_update(changed, list(REFERRAL_PATIENT_FIELDS))
    rows.update(patient_facts_at=read_at)  # one UPDATE: the unchanged rows were read at `read_at` too
    return len(changed)


def patients_fill_known(connection: str, patient_refs: set[str]) -> int:
    """Rows of these patients stored without the Patient's facts take those another row of the same patient
    holds: a page that did not include the Patient (an incremental Bulk Data export sends only the Patients
    that changed since) still shows a known patient's name, MRN, birth date and phone. Only the rows without
    facts are read, and one row with facts per such patient: the newest (by patient_facts_at), whose stamp
    is copied with its facts."""
    if not patient_refs:
        return 0
    of_patients = Referral.objects.filter(connection=connection, patient_ref__in=sorted(patient_refs))
    known = set(of_patients.exclude(_NO_FACTS).order_by().values_list("patient_ref", flat=True).distinct())
    bare = list(of_patients.filter(_NO_FACTS, patient_ref__in=sorted(known))) if known else []
    changed = []
    for patient_ref in {row.patient_ref for row in bare}:
        with_facts = of_patients.filter(patient_ref=patient_ref).exclude(_NO_FACTS)
        source = with_facts.order_by(F("patient_facts_at").desc(nulls_last=True), "pk").first()
        for row in (row for row in bare if row.patient_ref == patient_ref):
            values = {column: getattr(source, column) for column in STAMPED_FIELDS}
            values["patient_display"] = row.patient_display or source.patient_display
            if _assign(row, values):
                changed.append(row)
    Referral.objects.bulk_update(changed, STAMPED_FIELDS)
    return len(changed)


_NO_FACTS = Q(patient_mrn="", patient_birth_date=None, patient_phone="")


def people_update(connection: str, people: dict[str, str], *, unnamed: set[str]) -> int:
    """Name the requesters and performers of stored rows from `people` (included now); rows without a
    name for one of `unnamed` (the page's people it could not name) take a name other rows hold.

    One UPDATE per person and column, touching only the rows whose name changes, found through the
    (connection, ref, name) indexes: a panel's few clinicians are named on most of its rows, which a page
    must neither load nor scan (the first sync of 100,000 referrals slowed page after page).
    """
    names = {**_known_names(connection, unnamed - set(people)), **people}
    changed = 0
    for model, ref_field, display_field in NAMED_COLUMNS:
        rows = model.objects.filter(connection=connection)
        for ref, name in names.items():
            if ref in people:  # the EHR's current name replaces any other (`<` or `>`: two index ranges)
                other = Q(**{f"{display_field}__lt": name}) | Q(**{f"{display_field}__gt": name})
            else:
                other = Q(**{display_field: ""})
            changed += rows.filter(other, **{ref_field: ref}).update(**{display_field: name})
    return changed


def _known_names(connection: str, unnamed: set[str]) -> dict[str, str]:
    """A name rows of this connection hold for each of the people `unnamed`: the greatest name stored
    for them, one index probe per person and column ("" when no row names them)."""
    known: dict[str, str] = {}
    for model, ref_field, display_field in NAMED_COLUMNS:
        for ref in sorted(unnamed - set(known)):
            rows = model.objects.filter(connection=connection, **{ref_field: ref})
            greatest = rows.order_by(f"-{display_field}").values_list(display_field, flat=True)[:1]
            if greatest and greatest[0]:
                known[ref] = greatest[0]
    return known


def _assign(row, values: dict) -> bool:
    if all(getattr(row, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(row, name, value)
    return True
