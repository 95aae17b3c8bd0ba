"""What a bearer token may read: SMART scopes and the patient compartment, as filters and checks.

A grant comes from one scope that covers the type: patient-level scopes limit it to the token's patient
(except for types outside the Patient compartment), user/ and system/ scopes do not. A v2 scope with a
`?category=` query limits it to those categories; a scope with any other query is ignored (fail closed),
https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#finer-grained-resource-constraints-using-search-parameters
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from smartapp.sandbox.bearer import Bearer
from smartapp.sandbox.fhir.catalog import COMPARTMENTLESS
from smartapp.sandbox.fhir.outcomes import FhirError
from smartapp.sandbox.models import Resource
from smartapp.sandbox.smart_scopes import ClinicalScope

_INSUFFICIENT_SCOPE = {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}
# A Binary is the content of a DocumentReference: a scope for either reads it.
_SCOPE_TYPES = {"Binary": ("Binary", "DocumentReference")}
_VERBS = {"r": "reading", "s": "searching"}


@dataclass(frozen=True)
class Grant:
    patient_id: str | None  # None: any patient
    categories: tuple[tuple[str, ...], ...] = ()  # every group must match one of its tokens

    def as_filter(self) -> Q:
        q = Q() if self.patient_id is None else Q(patient_id=self.patient_id)
        for group in self.categories:
            q &= reduce(or_, (Q(category__contains=f" {token} ") for token in group))
        return q

    def allows(self, resource: Resource) -> bool:
        if self.patient_id is not None and resource.patient_id != self.patient_id:
            return False
        return all(any(f" {t} " in resource.category for t in group) for group in self.categories)


@dataclass(frozen=True)
class Access:
    grants: tuple[Grant, ...]

    def as_filter(self) -> Q:
        """The filter keeping only resources some grant allows."""
        filters = [g.as_filter() for g in self.grants]
        # An empty Q is dropped from an OR rather than matching everything, so it must win outright.
        return Q() if not all(filters) else reduce(or_, filters)

    def require(self, resource: Resource) -> None:
        """Raise 403 unless some grant allows reading `resource`."""
        if not any(g.allows(resource) for g in self.grants):
            raise FhirError(
                403, "The token's scopes do not permit reading this resource", headers=_INSUFFICIENT_SCOPE
            )

    def require_patients(self, named: set[str]) -> None:
        """Raise 403 if a search names a patient outside the token's compartment."""
        if any(g.patient_id is None for g in self.grants):
            return
        if named - {g.patient_id for g in self.grants}:
            raise FhirError(
                403, "The token may read only its own patient's records", headers=_INSUFFICIENT_SCOPE
            )


def access_for(bearer: Bearer, resource_type: str, permission: str) -> Access:
    """The grants `bearer` holds for `permission` ("r" read, "s" search) on `resource_type`, or 403."""
    types = _SCOPE_TYPES.get(resource_type, (resource_type,))
    grants = tuple(
        grant
        for scope in bearer.scopes
        if any(scope.covers(t, permission) for t in types)
        and (grant := _grant(scope, resource_type, bearer.patient_id)) is not None
    )
    if not grants:
        raise FhirError(
            403, f"No scope permits {_VERBS[permission]} {resource_type}", headers=_INSUFFICIENT_SCOPE
        )
    return Access(grants)


def _grant(scope: ClinicalScope, resource_type: str, token_patient: str) -> Grant | None:
    if any(name != "category" for name, _ in scope.query):
        return None
    categories = tuple(tuple(v for v in value.split(",") if v) for _, value in scope.query)
    if not all(categories):
        return None  # "?category=" names no category: nothing to allow
    if scope.level != "patient" or resource_type in COMPARTMENTLESS:
        return Grant(None, categories)
    # A patient-level token with no patient bound to it reads nothing.
    return Grant(token_patient, categories) if token_patient else None
