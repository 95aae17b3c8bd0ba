"""Epic on FHIR. Its `fhirUser` is an absolute URL under the FHIR base, which the base profile reads.

Backend Services need a separate Epic app using private_key_jwt with RS384, the default assertion algorithm.
"""

from smartapp.ehr.profiles.base import VendorProfile


class EpicProfile(VendorProfile):
    pass
