"""The sandbox's admin: SMART profiles inline on applications, launches read-only."""

from smartapp.sandbox.auth import clients
from smartapp.sandbox.models import LaunchContext
from tests.sandbox.auth import flow


def test_an_application_page_shows_its_smart_profile_inline(admin_client):
    app = clients.register("admin-app", redirect_uris=[flow.REDIRECT_URI], scopes="patient/*.rs").application
    page = admin_client.get(f"/admin/oauth2_provider/application/{app.pk}/change/")
    assert page.status_code == 200
    assert 'name="smart-0-allowed_scopes"' in page.text and "patient/*.rs" in page.text


def test_launch_contexts_are_read_only_in_the_admin(admin_client, practitioner):
    launch = flow.new_launch(practitioner)
    assert admin_client.get("/admin/sandbox/launchcontext/add/").status_code == 403
    page = admin_client.get(f"/admin/sandbox/launchcontext/{launch.pk}/change/")
    assert page.status_code == 200 and 'name="patient_id"' not in page.text
    assert LaunchContext.objects.filter(pk=launch.pk).exists()
