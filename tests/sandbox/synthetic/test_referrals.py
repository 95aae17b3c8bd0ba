from smartapp.sandbox.synthetic import catalog

from .conftest import ANCHOR


def _follow_up(referral, tasks, appointments, encounters) -> str:
    """The follow-up situation, judged from the resources the way a care coordinator would."""
    ref = f"ServiceRequest/{referral['id']}"
    task = next(t for t in tasks if t["focus"]["reference"] == ref)
    assert task["basedOn"] == [{"reference": ref}]
    booked = [a for a in appointments if {"reference": ref} in a.get("basedOn", [])]
    seen = [e for e in encounters if {"reference": ref} in e.get("basedOn", []) and e["status"] == "finished"]
    if referral["status"] == "revoked" or task["status"] == "cancelled":
        return "cancelled"
    if task["status"] == "rejected":
        return "declined"
    if referral["status"] == "completed" or task["status"] == "completed" or seen:
        return "completed"
    if any(a["status"] == "booked" and a["start"][:10] > ANCHOR.isoformat() for a in booked):
        return "scheduled"
    if any(a["status"] == "noshow" for a in booked):
        return "no-show"
    due = referral.get("occurrenceDateTime") or referral["occurrencePeriod"]["end"]
    return "overdue" if due[:10] < ANCHOR.isoformat() else "pending"


def _states(by_type, referrals):
    return {
        r["id"]: _follow_up(r, by_type["Task"], by_type["Appointment"], by_type["Encounter"])
        for r in referrals
    }


def test_the_referral_patient_has_one_referral_in_each_follow_up_situation(by_type, by_key):
    referrals = [by_key[f"ServiceRequest/{sr}"] for sr in catalog.FOLLOW_UP_REFERRAL_IDS.values()]
    states = _states(by_type, referrals)
    assert states == {sr: state for state, sr in catalog.FOLLOW_UP_REFERRAL_IDS.items()}


def test_every_follow_up_situation_also_occurs_among_other_patients(by_type):
    others = [
        r
        for r in by_type["ServiceRequest"]
        if r["subject"]["reference"] != f"Patient/{catalog.REFERRAL_PATIENT_ID}"
    ]
    assert len(set(_states(by_type, others).values()) - {"pending"}) >= 4


def test_referrals_are_coded_snomed_orders_with_requester_performer_and_due_date(by_type, by_key):
    for referral in by_type["ServiceRequest"]:
        assert referral["intent"] == "order"
        assert referral["category"][0]["coding"][0]["code"] == "3457005"
        assert referral["code"]["coding"][0]["system"] == "http://snomed.info/sct"
        assert by_key[referral["performer"][0]["reference"]]["resourceType"] == "Practitioner"
        assert referral["requester"]["reference"].startswith("Practitioner/")
        assert "occurrenceDateTime" in referral or "end" in referral["occurrencePeriod"]
    forms = {"occurrenceDateTime" in r for r in by_type["ServiceRequest"]}
    assert forms == {True, False}


def test_statuses_cover_the_request_task_and_appointment_lifecycles(by_type):
    assert {"active", "completed", "revoked"} <= {r["status"] for r in by_type["ServiceRequest"]}
    assert {"requested", "accepted", "completed", "rejected", "cancelled"} <= {
        t["status"] for t in by_type["Task"]
    }
    assert all(t["businessStatus"]["text"] for t in by_type["Task"])
    assert {"booked", "noshow", "fulfilled"} <= {a["status"] for a in by_type["Appointment"]}


def test_a_completed_referral_has_the_performers_consult_note(by_type, by_key):
    referral = by_key[f"ServiceRequest/{catalog.FOLLOW_UP_REFERRAL_IDS['completed']}"]
    notes = [
        d
        for d in by_type["DocumentReference"]
        if {"reference": f"ServiceRequest/{referral['id']}"} in d["context"].get("related", [])
    ]
    assert notes and notes[0]["author"] == referral["performer"]
    assert notes[0]["type"]["coding"][0]["code"] == "11488-4"
