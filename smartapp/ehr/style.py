"""The EHR's look for an embedded app: SMART's `smart_style_url` (a JSON of colours and sizes).

Only plain hex colours are taken, so nothing from the EHR can inject CSS; anything else is ignored,
and an EHR whose style cannot be read simply leaves smartapp's own look.
"""

import re

from django.core.cache import cache

from smartapp.ehr.discovery import check_endpoint
from smartapp.ehr.errors import EhrError, LaunchRejected
from smartapp.ehr.session import ehr_session, launch_transport_errors, read_json

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?")
COLOURS = ("color_background", "color_error", "color_highlight", "color_success", "color_text")
_MAX_BYTES = 64 * 1024
_SECONDS = 3600


def smart_style(url: str) -> dict[str, str]:
    """{SMART style key: hex colour} from `url`, cached for an hour; {} when it cannot be used."""
    if not url:
        return {}
    key = f"smart-style:{url}"
    if (cached := cache.get(key)) is not None:
        return cached
    try:
        style = _fetch(url)
    except (EhrError, LaunchRejected):
        return {}
    cache.set(key, style, _SECONDS)
    return style


def _fetch(url: str) -> dict[str, str]:
    check_endpoint(url)
    with (
        launch_transport_errors(),
        ehr_session(timeout=(2, 3)) as session,
        session.get(
            url, headers={"Accept": "application/json"}, stream=True, allow_redirects=False
        ) as answer,
    ):
        if answer.status_code != 200:
            return {}
        document = read_json(answer, _MAX_BYTES)
    return {k: v for k in COLOURS if isinstance(v := document.get(k), str) and _HEX_COLOUR.fullmatch(v)}
