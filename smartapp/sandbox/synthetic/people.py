"""Patients, practitioners, their roles and organizations, with synthetic but realistic-looking names."""

import copy
import random

from . import catalog
from .elements import Clock, coding, concept, ref, resource
from .terminology import IDENTIFIER_TYPE, MRN_SYSTEM, NPI, NUCC, PRACTITIONER_ROLE, SNOMED, SPECIALTIES

FEMALE_NAMES = (
    "Avery",
    "Beatrice",
    "Camila",
    "Dolores",
    "Eleanor",
    "Farah",
    "Gwendolyn",
    "Harriet",
    "Imani",
    "Josephine",
    "Keiko",
    "Lucia",
    "Marisol",
    "Nadia",
    "Odette",
    "Priya",
    "Rosalind",
    "Talia",
)
MALE_NAMES = (
    "Abel",
    "Bernard",
    "Cyrus",
    "Desmond",
    "Emeka",
    "Felix",
    "Gideon",
    "Hector",
    "Ignatius",
    "Jasper",
    "Kenji",
    "Leopold",
    "Mateo",
    "Nikhil",
    "Otis",
    "Percival",
    "Rafael",
    "Thaddeus",
)
# Invented surnames: plausible on a banner, but found in no real phone book.
SURNAMES = (
    "Ashgrove",
    "Birchfield",
    "Cobbleworth",
    "Dunmorrow",
    "Elmsworth",
    "Fenwicke",
    "Glenhollow",
    "Hartwellby",
    "Ironvale",
    "Juniperson",
    "Kestrelby",
    "Larkmoor",
    "Mossbanke",
    "Northcote-Vale",
    "Oakenshawe",
    "Pemberfield",
    "Quillfeather",
    "Rookmere",
    "Stonebridge",
    "Thistlewood",
    "Underbrook",
    "Vantreeck",
    "Willowmere",
    "Yarrowby",
)
CITIES = ("Riverbend", "Maple Hollow", "Eastbrook", "Port Alder", "Granite Falls")
STREETS = ("Elm", "Harbor", "Orchard", "Quarry", "Sycamore", "Lantern", "Meadow")

# Accents (one decomposed, with a combining mark), an apostrophe, Arabic script, a right-to-left mark and a
# right-to-left override: all valid FHIR strings that a careless display would mangle.
UNICODE_NAMES = [
    {"use": "official", "family": "Ñúñez-O’Brien", "given": ["Zoë", "Jose\u0301"]},
    {"use": "usual", "text": "ليلى حداد\u200f", "family": "حداد", "given": ["ليلى"]},
    {"use": "nickname", "given": ["\u202eeoZ\u202c"]},
]


def patient(patient_id: str, rng: random.Random, clock: Clock, pcp_id: str) -> dict:
    """A Patient with name, gender, birthDate, an MRN, an address and a phone number."""
    number = int(patient_id.rsplit("-", 1)[1])
    gender = rng.choice(("female", "male"))
    names = (
        copy.deepcopy(UNICODE_NAMES)
        if patient_id == catalog.UNICODE_PATIENT_ID
        else [_person_name(rng, gender)]
    )
    age_days = rng.randint(25 * 365, 92 * 365)
    return resource(
        "Patient",
        patient_id,
        identifier=[_mrn(number)],
        active=True,
        name=names,
        telecom=[{"system": "phone", "value": f"(555) 555-01{number % 100:02d}", "use": "home"}],
        gender=gender,
        birthDate=clock.date(-age_days),
        address=[_address(rng)],
        generalPractitioner=[ref("Practitioner", pcp_id)],
        managingOrganization=ref("Organization", catalog.ORGANIZATION_IDS["clinics"]),
    )


def staff(rng: random.Random) -> list[dict]:
    """Organizations, every Practitioner (the care coordinator included) and their PractitionerRoles."""
    everyone = {**catalog.PRACTITIONER_SPECIALTIES, catalog.COORDINATOR_ID: "care-coordination"}
    out = _organizations()
    for number, (practitioner_id, specialty) in enumerate(everyone.items(), start=1):
        coordinator = practitioner_id == catalog.COORDINATOR_ID
        out.append(_practitioner(practitioner_id, number, rng, "RN" if coordinator else "MD"))
        out.append(_role(practitioner_id, specialty, "nurse" if coordinator else "doctor"))
    return out


def _practitioner(practitioner_id: str, number: int, rng: random.Random, suffix: str) -> dict:
    gender = rng.choice(("female", "male"))
    name = {**_person_name(rng, gender), "suffix": [suffix]}
    if suffix == "MD":
        name["prefix"] = ["Dr."]
    return resource(
        "Practitioner",
        practitioner_id,
        identifier=[{"system": NPI, "value": npi(number)}],
        active=True,
        name=[name],
        telecom=[{"system": "phone", "value": f"(555) 555-02{number:02d}", "use": "work"}],
        gender=gender,
    )


def _role(practitioner_id: str, specialty_key: str, role_code: str) -> dict:
    specialty = SPECIALTIES[specialty_key]
    setting_code, setting_display = specialty.practice_setting
    taxonomy_code, taxonomy_display = specialty.taxonomy
    return resource(
        "PractitionerRole",
        catalog.role_id(practitioner_id),
        active=True,
        practitioner=ref("Practitioner", practitioner_id),
        organization=ref("Organization", catalog.ORGANIZATION_IDS["clinics"]),
        code=[concept(PRACTITIONER_ROLE, role_code, role_code.capitalize())],
        specialty=[
            {
                "coding": [
                    coding(SNOMED, setting_code, setting_display),
                    coding(NUCC, taxonomy_code, taxonomy_display),
                ],
                "text": specialty.name,
            }
        ],
    )


def _organizations() -> list[dict]:
    names = {"hospital": "Riverbend Sandbox Medical Center", "clinics": "Riverbend Sandbox Specialty Clinics"}
    kind = concept("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")
    return [
        resource(
            "Organization",
            catalog.ORGANIZATION_IDS[key],
            identifier=[{"system": NPI, "value": npi(90 + number)}],
            active=True,
            type=[kind],
            name=name,
        )
        for number, (key, name) in enumerate(names.items())
    ]


def npi(number: int) -> str:
    """A well-formed NPI: 9 digits and a Luhn check digit computed over the "80840" prefix (CMS)."""
    body = f"{199_000_000 + number:09d}"
    digits = [int(d) for d in "80840" + body]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return body + str((10 - total % 10) % 10)


def _person_name(rng: random.Random, gender: str) -> dict:
    given = rng.sample(FEMALE_NAMES if gender == "female" else MALE_NAMES, 2)
    return {"use": "official", "family": rng.choice(SURNAMES), "given": given}


def _mrn(number: int) -> dict:
    return {
        "use": "usual",
        "type": concept(IDENTIFIER_TYPE, "MR", "Medical record number"),
        "system": MRN_SYSTEM,
        "value": f"SBX{number:06d}",
    }


def _address(rng: random.Random) -> dict:
    return {
        "use": "home",
        "line": [f"{rng.randint(10, 9899)} {rng.choice(STREETS)} Street"],
        "city": rng.choice(CITIES),
        "state": "MA",
        "postalCode": f"0{rng.randint(1001, 2791):04d}",
        "country": "US",
    }
