"""The built-in sandbox EHR follows SMART 2.x strictly (docs/sandbox.md).

Its search takes `_lastUpdated` and ServiceRequest `category` but not `_sort` (a 400, like any parameter
it does not know): the base profile's defaults. It lists in its CapabilityStatement (`searchInclude`) the
`_include`s that bring a referral's or an encounter's Patient along, a referral's requester and performer,
and a note's author.
"""

from smartapp.ehr.profiles.base import VendorProfile


class SandboxProfile(VendorProfile):
    patient_includes = {"ServiceRequest": "ServiceRequest:patient", "Encounter": "Encounter:patient"}
    people_includes = {
        "ServiceRequest": ("ServiceRequest:requester", "ServiceRequest:performer"),
        "DocumentReference": ("DocumentReference:author",),
    }
