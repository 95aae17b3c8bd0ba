from datetime import date

from smartapp.chart.mappers import patient_banner

TODAY = date(2026, 11, 24)


def test_it_prefers_the_official_name_and_the_mrn():
    banner = patient_banner(
        {
            "resourceType": "Patient",
            "name": [
                {"use": "nickname", "given": ["Bo"]},
                {"use": "official", "given": ["Ana", "M"], "family": "Ruiz"},
            ],
            "birthDate": "1950-11-25",
            "gender": "female",
            "identifier": [
                {"system": "urn:ssn", "value": "999"},
                {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-1"},
            ],
        },
        today=TODAY,
    )
    assert (banner.name, banner.age, banner.sex, banner.mrn) == ("Ana M Ruiz", 75, "Female", "MRN-1")
    assert banner.short_name == "Ruiz, A."


def test_messy_vendor_data_still_gives_a_banner():
    banner = patient_banner(
        {
            "resourceType": "Patient",
            "name": "not a list",
            "birthDate": "19xx",
            "gender": 3,
            "identifier": [{}],
        },
        today=TODAY,
    )
    assert banner.name == "Name not recorded"
    assert (banner.age, banner.sex, banner.mrn) == (None, "", "")


def test_text_names_and_other_identifiers_are_used_when_nothing_better_exists():
    banner = patient_banner(
        {
            "name": [{"text": "  Dr. Given Family  "}],
            "identifier": [{"value": "X-7"}],
            "birthDate": "2000-02-29",
        },
        today=date(2001, 2, 28),
    )
    assert (banner.name, banner.mrn, banner.age) == ("Dr. Given Family", "X-7", 0)
