"""python manage.py sync_referrals: progress, what changed, and a clear exit on what cannot work."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from smartapp.ehr.errors import EhrUnavailable
from smartapp.referrals import claims
from smartapp.referrals.management.commands import sync_referrals
from smartapp.sandbox.synthetic import catalog
from tests.referrals.sync_support import ehr_fixture  # noqa: F401 (the `ehr` fixture)


def run(*args) -> str:
    out = StringIO()
    call_command("sync_referrals", *args, stdout=out)
    return out.getvalue()


def test_it_shows_progress_and_prints_what_changed(ehr):
    output = run("--connection", "sandbox")

    assert "Syncing sandbox..." in output
    assert "DocumentReference  page   2" in output  # progress, page by page
    rows = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line.startswith("  ")}
    assert rows["type"] == ["pages", "created", "updated", "unchanged", "skipped", "ignored"]
    assert int(rows["ServiceRequest"][1]) > 0  # created
    assert "referrals by state:" in output and "overdue" in output
    assert output.rstrip().endswith("sandbox: done.")

    again = run("--connection", "sandbox", "--patient", catalog.REFERRAL_PATIENT_ID)
    assert "Syncing sandbox (one patient)..." in again
    assert "states changed by the refresh" not in again


@pytest.mark.django_db
def test_a_second_run_says_another_sync_is_running():
    claims.claim_take(connection="sandbox")

    assert "another sync of this connection is running; nothing done." in run("--connection", "sandbox")


@pytest.mark.django_db
def test_an_unknown_connection_is_a_clear_error():
    with pytest.raises(CommandError, match="No enabled EHR registration has this name."):
        run("--connection", "nowhere")


@pytest.mark.django_db
def test_a_registration_without_credentials_is_a_clear_error(settings, tmp_path):
    config = (Path(settings.BASE_DIR) / "launch_configs" / "sandbox.toml").read_text()
    (tmp_path / "sandbox.toml").write_text(config.split("[backend]")[0])
    settings.LAUNCH_CONFIGS_DIR = tmp_path

    with pytest.raises(CommandError, match="no Backend Services client and no coordinator"):
        run("--connection", "sandbox")
    with pytest.raises(CommandError, match="No EHR registration can be synced"):
        run()


@pytest.mark.django_db
def test_an_ehr_outage_says_to_run_again(monkeypatch):
    def unavailable(**kwargs):
        raise EhrUnavailable(retry_after=30)

    monkeypatch.setattr(sync_referrals, "referral_sync", unavailable)

    with pytest.raises(CommandError, match="resumes where it stopped"):
        run("--connection", "sandbox")


@pytest.mark.django_db
def test_a_patient_must_be_a_fhir_id():
    with pytest.raises(CommandError, match="FHIR id"):
        run("--connection", "sandbox", "--patient", "pat-009&_id=x")


def test_the_command_exits_non_zero_on_a_permanent_error():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "manage.py", "sync_referrals", "--connection", "nowhere"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:"},
        check=False,
    )

    assert done.returncode == 1
    assert "No enabled EHR registration has this name." in done.stderr
