"""The notes filter, kept in the server-side session between its POST and the chart's GET.

The filter is posted (search words may be PHI and must stay out of URLs and logs), then answered with a
303 to the chart (POST-redirect-GET), so Back and Reload never resubmit a form. The words wait in the
session under the launch's id and a short random filter id; the redirect's URL carries only that id.
The chart without a filter id is the unfiltered chart and forgets the launch's saved filters ("Clear").
"""

import secrets

from smartapp.chart.forms import NoteFilterForm

SESSION_KEY = "note_filters"
PARAM = "filter"
KEPT_PER_LAUNCH = 5  # Back through a few filterings still shows each one
_FIELD_MAX = 200  # NoteFilterForm's max_length; a longer value is invalid anyway


def filter_save(request, *, launch_id: str, data) -> str:
    """Keep the posted filter fields for this launch; the new filter's id, for the redirect's URL."""
    fields = {name: str(data.get(name, ""))[: _FIELD_MAX + 1] for name in NoteFilterForm.base_fields}
    filter_id = secrets.token_urlsafe(6)
    saved = request.session.get(SESSION_KEY, {})
    kept = list(saved.get(launch_id, {}).items())[-(KEPT_PER_LAUNCH - 1) :]
    saved[launch_id] = {**dict(kept), filter_id: fields}
    request.session[SESSION_KEY] = saved
    return filter_id


def filter_form(request, *, launch_id: str) -> NoteFilterForm:
    """The filter the URL's filter id names (bound), else an empty one, forgetting the launch's filters."""
    saved = request.session.get(SESSION_KEY, {})
    filter_id = request.GET.get(PARAM, "")
    if filter_id:
        return NoteFilterForm(saved.get(launch_id, {}).get(filter_id))
    if launch_id in saved:
        del saved[launch_id]
        request.session[SESSION_KEY] = saved
    return NoteFilterForm()
