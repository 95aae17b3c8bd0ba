"""`date` and `_lastUpdated`: prefixes, precision and repeated parameters."""


def test_a_bare_date_means_that_whole_day(record, search_ids):
    assert search_ids("MedicationRequest", date="2024-02-10") == ["mr-2"]


def test_a_partial_date_means_that_month_or_year(record, search_ids):
    assert search_ids("MedicationRequest", date="2024-03") == ["mr-3", "mr-4"]
    assert search_ids("MedicationRequest", date="2024") == ["mr-1", "mr-2", "mr-3", "mr-4"]
    assert search_ids("MedicationRequest", date="2023") == []


def test_date_prefixes_compare_with_the_range_of_the_value(record, search_ids):
    assert search_ids("MedicationRequest", date="gt2024-02-10") == ["mr-3", "mr-4"]
    assert search_ids("MedicationRequest", date="ge2024-02-10") == ["mr-2", "mr-3", "mr-4"]
    assert search_ids("MedicationRequest", date="lt2024-02-10") == ["mr-1"]
    assert search_ids("MedicationRequest", date="le2024-02-10") == ["mr-1", "mr-2"]
    assert search_ids("MedicationRequest", date="eq2024-01-15") == ["mr-1"]


def test_date_takes_a_date_time_with_an_offset(record, search_ids):
    # 08:30Z is 09:30+01:00; requests encodes the "+".
    assert search_ids("MedicationRequest", date="2024-02-10T09:30:00+01:00") == ["mr-2"]
    assert search_ids("MedicationRequest", date="gt2024-02-10T09:30:00+01:00") == ["mr-3", "mr-4"]


def test_date_searches_each_types_own_date(record, search_ids):
    assert search_ids("DocumentReference", date="ge2024-03-15") == ["dr-2"]
    assert search_ids("ServiceRequest", date="2024-03-02") == ["sr-1", "sr-2"]


def test_last_updated_ranges_repeat_as_an_and(record, fhir_get, user_token):
    params = [("_lastUpdated", "ge2024-01-15"), ("_lastUpdated", "lt2024-03-05")]

    response = fhir_get("MedicationRequest", user_token, params=params)

    assert sorted(e["resource"]["id"] for e in response.json()["entry"]) == ["mr-1", "mr-2"]


def test_last_updated_prefixes(record, search_ids):
    assert search_ids("MedicationRequest", _lastUpdated="gt2024-03-05") == ["mr-4"]
    assert search_ids("MedicationRequest", _lastUpdated="le2024-01-15") == ["mr-1"]
    assert search_ids("Patient", _lastUpdated="eq2024-01-01") == ["pt-1", "pt-2"]
    assert search_ids("Patient", _lastUpdated="gt2024-01-01T00:00:00Z") == []
