"""Tokens at rest under a rotatable key set (SECURITY.md 4.3): old keys decrypt, the newest encrypts, and
`manage.py reencrypt_secrets` moves every stored secret to the newest key."""

import io

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command

from smartapp.core import crypto
from smartapp.core.rotation import ColumnReport, _reencrypt_one, encrypted_columns
from smartapp.ehr.token_endpoint import TokenResponse
from smartapp.launch.grants import grant_store
from smartapp.launch.models import Grant, Launch, PendingAuthorization

K1, K2, K3 = (Fernet.generate_key().decode() for _ in range(3))
ACCESS, REFRESH, VERIFIER = "access-token-plaintext", "refresh-token-plaintext", "verifier-plaintext"


def _tokens() -> TokenResponse:
    return TokenResponse(
        access_token=ACCESS, expires_in=3600, scope="openid", refresh_token=REFRESH, id_token="",
        patient="p1", encounter="", need_patient_banner=True, smart_style_url="",
    )  # fmt: skip


def _grant() -> Grant:
    user = get_user_model().objects.create_user(username=f"u{Launch.objects.count()}")
    launch = Launch.objects.create(user=user, config_name="sandbox", issuer="http://127.0.0.1:9/fhir")
    return grant_store(launch, _tokens(), token_endpoint="http://127.0.0.1:9/token", revocation_endpoint="")


def _pending() -> PendingAuthorization:
    return PendingAuthorization.objects.create(
        state_hash="h" * 64, session_key="s", config_name="sandbox", persona="patient",
        issuer="http://127.0.0.1:9/fhir", token_endpoint="http://127.0.0.1:9/token",
        redirect_uri="http://127.0.0.1:9/callback/sandbox/",
        code_verifier=crypto.encrypt(VERIFIER, bound_to=f"pending:{'h' * 64}"), nonce="n", scope="openid",
    )  # fmt: skip


def _reencrypt(**options) -> str:
    out = io.StringIO()
    call_command("reencrypt_secrets", stdout=out, stderr=out, **options)
    return out.getvalue()


def _read(grant: Grant, pending: PendingAuthorization) -> tuple[str, str, str]:
    grant.refresh_from_db()
    pending.refresh_from_db()
    bound = f"grant:{grant.launch_id}"
    return (
        crypto.decrypt(grant.access_token, bound_to=bound),
        crypto.decrypt(grant.refresh_token, bound_to=bound),
        crypto.decrypt(pending.code_verifier, bound_to=f"pending:{pending.state_hash}"),
    )


def test_every_encrypted_column_is_known_to_the_command():
    assert {(model.__name__, field) for model, field in encrypted_columns()} >= {
        ("Grant", "access_token"),
        ("Grant", "refresh_token"),
        ("PendingAuthorization", "code_verifier"),
    }


@pytest.mark.django_db
def test_rotation_moves_every_secret_to_the_new_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    grants, pending = [_grant() for _ in range(3)], _pending()

    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]  # the new key first; the old one still decrypts
    assert _read(grants[0], pending) == (ACCESS, REFRESH, VERIFIER)
    output = _reencrypt(batch_size=2)  # several batches

    assert "launch.Grant.access_token: 3 re-encrypted, 0 already current" in output
    assert "launch.Grant.refresh_token: 3 re-encrypted" in output
    assert "launch.PendingAuthorization.code_verifier: 1 re-encrypted" in output
    settings.FIELD_ENCRYPTION_KEYS = [K2]  # the old key is gone
    for grant in grants:
        assert _read(grant, pending) == (ACCESS, REFRESH, VERIFIER)
    settings.FIELD_ENCRYPTION_KEYS = [K1]  # and it no longer decrypts anything
    with pytest.raises(crypto.DecryptionFailed):
        _read(grants[0], pending)


@pytest.mark.django_db
def test_running_it_again_changes_nothing(settings):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    grant = _grant()
    _pending()
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    _reencrypt()
    grant.refresh_from_db()
    before = grant.access_token

    output = _reencrypt()

    assert "launch.Grant.access_token: 0 re-encrypted, 1 already current" in output
    grant.refresh_from_db()
    assert grant.access_token == before


@pytest.mark.django_db
def test_it_never_prints_a_secret(settings):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    grant, pending = _grant(), _pending()
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    output = _reencrypt()
    grant.refresh_from_db()
    for secret in (ACCESS, REFRESH, VERIFIER, K1, K2, grant.access_token, pending.code_verifier):
        assert secret not in output


@pytest.mark.django_db
def test_a_secret_under_an_unknown_key_is_counted_and_left_alone(settings):
    settings.FIELD_ENCRYPTION_KEYS = [K3]
    grant = _grant()
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    before = Grant.objects.get(pk=grant.pk).access_token

    output = _reencrypt()

    assert "access_token: 0 re-encrypted, 0 already current, 0 changed meanwhile, 1 unreadable" in output
    assert "need a new sign-in" in output
    assert Grant.objects.get(pk=grant.pk).access_token == before


@pytest.mark.django_db
def test_a_token_refreshed_meanwhile_is_not_overwritten(settings):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    grant = _grant()
    stale = grant.access_token
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    fresh = crypto.encrypt("refreshed", bound_to=f"grant:{grant.launch_id}")
    Grant.objects.filter(pk=grant.pk).update(access_token=fresh)  # a refresh between read and write
    report = ColumnReport(column="launch.Grant.access_token")

    _reencrypt_one(Grant, "access_token", grant.pk, stale, report)

    assert (report.reencrypted, report.changed) == (0, 1)
    assert Grant.objects.get(pk=grant.pk).access_token == fresh


@pytest.mark.django_db
def test_a_ciphertext_copied_into_another_row_still_does_not_decrypt_after_rotation(settings):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    first, second = _grant(), _grant()
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    _reencrypt()
    first.refresh_from_db()
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(first.access_token, bound_to=f"grant:{second.launch_id}")
