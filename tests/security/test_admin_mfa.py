"""The admin wants a password and a TOTP token (SECURITY.md 0.13, 4 (d); docs/security.md "Admin accounts"),
and every admin addition, change and deletion is an audit event (issue 6 point 1)."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from smartapp.audit.models import AuditEvent
from tests.conftest import otp_verified

PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(username="ada", password=PASSWORD)


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="admin", confirmed=True)


def _sign_in(client: Client, username: str, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD, **extra})


def _with_token(device: TOTPDevice, token: str) -> dict:
    # The login page lists the user's devices once the password is right; a browser sends the chosen one.
    return {"otp_device": device.persistent_id, "otp_token": token}


def _token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_the_admin_asks_for_a_token_after_a_correct_password(client, device):
    response = _sign_in(client, "ada")
    assert response.status_code == 200 and b'name="otp_token"' in response.content
    assert device.persistent_id.encode() in response.content  # the device to choose
    assert client.get("/admin/").status_code == 302  # back to the login page


def test_a_wrong_token_does_not_open_the_admin(client, device):
    wrong = "000000" if _token(device) != "000000" else "111111"
    assert _sign_in(client, "ada", **_with_token(device, wrong)).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_staff_user_without_a_device_cannot_get_in(client, staff):
    assert _sign_in(client, "ada", otp_token="123456").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_password_alone_signed_in_elsewhere_does_not_open_the_admin(client, staff):
    client.force_login(staff)  # authenticated, but no verified device in the session
    assert client.get("/admin/").status_code == 302


def test_a_valid_token_opens_the_admin_index(client, device):
    response = _sign_in(client, "ada", **_with_token(device, _token(device)))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200 and b"Site administration" in index.content


def test_a_non_staff_user_never_gets_in_even_with_a_valid_token(client, django_user_model):
    user = django_user_model.objects.create_user(username="bob", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="admin", confirmed=True)
    assert _sign_in(client, "bob", **_with_token(device, _token(device))).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_the_command_creates_a_device_and_prints_its_url_once(staff):
    out = StringIO()
    call_command("admin_totp_device", "ada", stdout=out)
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed
    urls = [line for line in out.getvalue().splitlines() if line.startswith("otpauth://totp/")]
    assert len(urls) == 1 and f"secret={device.config_url.split('secret=')[1].split('&')[0]}" in urls[0]


def test_the_command_replaces_the_old_device(staff, device):
    call_command("admin_totp_device", "ada", stdout=StringIO())
    assert list(TOTPDevice.objects.filter(user=staff).values_list("pk", flat=True)) != [device.pk]
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_the_command_refuses_a_user_who_is_not_staff(django_user_model):
    django_user_model.objects.create_user(username="bob", password=PASSWORD)
    with pytest.raises(CommandError):
        call_command("admin_totp_device", "bob", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("admin_totp_device", "nobody", stdout=StringIO())
    assert not TOTPDevice.objects.exists()


@pytest.fixture
def admin_client_verified(client, staff, device):
    return otp_verified(client, staff)


def _admin_events():
    return list(AuditEvent.objects.filter(action="admin.change").order_by("seq"))


def test_admin_add_change_and_delete_are_audited_without_field_values(admin_client_verified, staff):
    client = admin_client_verified
    assert client.post("/admin/auth/group/add/", {"name": "Ward 7 secret"}).status_code == 302
    group = Group.objects.get(name="Ward 7 secret")
    assert client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "Ward 8"}).status_code == 302
    assert client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code == 302
    events = _admin_events()
    assert [e.outcome for e in events] == ["added", "changed", "deleted"]
    for event in events:
        assert event.user_id == staff.pk
        assert event.detail == {"model": "auth.group", "object_id": str(group.pk)}
    assert "Ward" not in str([e.detail for e in events])


def test_a_bulk_delete_of_three_objects_is_three_audit_events(admin_client_verified):
    groups = [Group.objects.create(name=f"g{n}") for n in range(3)]
    response = admin_client_verified.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes"},
    )
    assert response.status_code == 302 and not Group.objects.filter(pk__in=[g.pk for g in groups]).exists()
    events = _admin_events()
    assert [e.outcome for e in events] == ["deleted"] * 3
    assert sorted(e.detail["object_id"] for e in events) == sorted(str(g.pk) for g in groups)
