"""The signed-in user's name for "Signed in as Dr Jane Smith", when the id_token named nobody.

The id_token's OpenID profile claims name the user when the EHR sends them (complete.py). Otherwise, each
time a user still unnamed launches, the fhirUser's own resource (a Practitioner, Patient, RelatedPerson or
Person) is read once through the launch's audited client, if the granted scopes reach it; its HumanName
becomes the Identity's and the launch's display name. A name is a courtesy: any failure leaves it "" (pages
then show the fhirUser reference) and never fails the launch. Names are shown on pages only, never logged
or put in an audit event.
"""

from smartapp.ehr.errors import EhrError
from smartapp.ehr.names import human_name
from smartapp.ehr.scopes import can_read
from smartapp.launch.access import audited_client
from smartapp.launch.identity import shown_name
from smartapp.launch.models import Identity, Launch

# Which scope levels reach the fhirUser's own resource (SMART App Launch, "Scopes for requesting clinical
# data"): `patient/` scopes cover the patient in context (a patient, or their RelatedPerson, signing in),
# never a practitioner's own record; `user/` scopes cover what the user may see.
READABLE_AT = {
    "Practitioner": ("user/",),
    "Person": ("user/",),
    "Patient": ("user/", "patient/"),
    "RelatedPerson": ("user/", "patient/"),
}


def may_read_name(*, fhir_user: str, granted_scope: str) -> bool:
    """Whether the granted scopes let the app read the fhirUser's resource."""
    kind = fhir_user.partition("/")[0]
    levels = READABLE_AT.get(kind)
    if not levels:
        return False
    return can_read(" ".join(s for s in granted_scope.split() if s.startswith(levels)), kind)


def name_read(client, *, fhir_user: str) -> str:
    """The name on the fhirUser's resource, made safe to show; "" when it cannot be read or names no one."""
    kind, _, own_id = fhir_user.partition("/")
    try:
        resource = client.read(kind, own_id)
    except EhrError:
        return ""
    return shown_name(human_name(resource.get("name")))


def display_name_fill(request, launch: Launch) -> None:
    """Name an unnamed launch (and its user's Identity) from the fhirUser's resource, when allowed."""
    if launch.display_name or not may_read_name(fhir_user=launch.fhir_user, granted_scope=launch.scope):
        return
    try:
        with audited_client(request, launch) as client:
            name = name_read(client, fhir_user=launch.fhir_user)
    except EhrError:  # no usable token: the chart will say so; the name just stays unknown
        return
    if name:
        Launch.objects.filter(pk=launch.pk).update(display_name=name)
        Identity.objects.filter(user_id=launch.user_id).update(display_name=name)
        launch.display_name = name
