"""EHR launches: bind an opaque `launch` value to a user, patient and encounter, and open the app with it."""

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from smartapp.sandbox.models import LaunchContext


def create_launch(
    user,
    *,
    app_url: str,
    patient_id: str = "",
    encounter_id: str = "",
    need_patient_banner: bool = True,
    smart_style_url: str = "",
) -> LaunchContext:
    """Store a new launch context; its `launch` value is unguessable (SMART App Launch 2.x, `launch`)."""
    return LaunchContext.objects.create(
        launch=secrets.token_urlsafe(32),
        user=user,
        patient_id=patient_id,
        encounter_id=encounter_id,
        app_url=app_url,
        need_patient_banner=need_patient_banner,
        smart_style_url=smart_style_url,
    )


def app_launch_url(app_url: str, *, iss: str, launch: str) -> str:
    """`app_url` with `iss` and `launch` added, keeping the app's own query parameters and fragment."""
    parts = urlsplit(app_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("iss", "launch")]
    query += [("iss", iss), ("launch", launch)]
    return urlunsplit(parts._replace(query=urlencode(query)))
