"""The worklist benchmark's harness on a few hundred rows, in the test database: the rows it writes, the
views and bulk actions it measures, and its report. Timings are printed, never asserted; the matches, the
query counts and the rows each action changed are facts, so they are."""

import pytest
from django.utils import timezone

from bench import worklist_measure as measure
from bench.worklist_report import format_report, targets
from bench.worklist_seed import FEW_ROWS, seed_worklist
from smartapp.referrals.action_forms import MAX_IDS
from smartapp.referrals.models import OutreachNote, Referral

pytestmark = pytest.mark.django_db


def test_the_seeded_worklist_is_measured_view_by_view_and_in_bulk():
    seeded = seed_worklist(400, today=timezone.localdate())
    client = measure.signed_in_client(user_id=seeded.me, launch_id=seeded.me_launch)

    views = {v["view"]: v for v in measure.measure_views(client, user_id=seeded.me, rounds=0, few=seeded.few)}
    pks = measure.bulk_pks(2 * MAX_IDS, user_id=seeded.me)
    services = measure.measure_bulk_services(user_id=seeded.me, pks=pks)
    form = measure.measure_bulk_views(client, pks=pks, per_request=MAX_IDS, owner=seeded.coordinators[1])

    assert Referral.objects.count() == 400 and OutreachNote.objects.count() == seeded.outreach_notes > 0
    assert Referral.objects.exclude(patient_mrn="").count() == 400
    assert views["before tracking"]["matches"] == seeded.by_status["before tracking"]
    assert views["closed by a person"]["matches"] == seeded.by_status["closed"]
    assert views["one coordinator's few"]["rows"] == FEW_ROWS
    # Pages of 10 to 50 rows, under every filter, cost the same queries.
    assert len({view["queries"] for view in views.values() if view["rows"]}) == 1
    assert len(pks) > MAX_IDS  # more than one POST's worth
    assert [(s["action"], s["changed"]) for s in services] == [
        ("assign", len(pks)),
        ("next action", len(pks)),
        ("snooze", len(pks)),
        ("close", len(pks)),
        ("close again", 0),
        ("reopen", len(pks)),
    ]
    assert [(s["action"], s["changed"], s["requests"]) for s in form] == [
        (action, len(pks), 2) for action in ("assign", "snooze", "close")
    ]
    report = {"rounds": 0, "bulk": len(pks), "backends": [], "skipped": [], "history": None}
    report["backends"].append(
        {
            "database": "SQLite",
            "referrals": 400,
            "seed_s": 0.1,
            "by_status": seeded.by_status,
            "outreach_notes": seeded.outreach_notes,
            "views": list(views.values()),
            "bulk_services": services,
            "bulk_form": form,
            "bulk_form_max_ids": MAX_IDS,
        }
    )
    report["targets"] = targets(report)
    assert [t["status"] for t in report["targets"]][1] == "PASS"  # the query counts
    assert "one coordinator's few" in format_report(report)
