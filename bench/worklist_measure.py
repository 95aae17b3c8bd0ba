"""The worklist's measurements, through the views as a signed-in coordinator uses them (Django's test
client): each view's median render time and its query count, and the bulk actions' time on many rows, both
through the action services (smartapp.referrals.actions) and through the bulk form's POST.

Needs Django set up against a migrated database holding the rows; never asserts a time.
"""

import statistics
import time
from datetime import timedelta

# (label, query string). "{few}" is the user id of a coordinator who owns only a few open items: the
# short page that must cost as many queries as the full ones.
VIEWS = (
    ("open (default)", ""),
    ("open, page 2", "page=2"),
    ("open, last page", "page=last"),
    ("mine", "owner=mine"),
    ("unassigned", "owner=unassigned"),
    ("overdue", "state=overdue"),
    ("mine, overdue", "owner=mine&state=overdue"),
    ("snoozed", "show=snoozed"),
    ("closed by a person", "show=closed"),
    ("before tracking", "show=before_tracking"),
    ("sort by due", "sort=due"),
    ("sort by due, latest first", "sort=-due"),
    ("sort by next action", "sort=action"),
    ("one coordinator's few", "owner={few}"),
)
CONNECTION = "sandbox"  # the coordinator launch and every row: one connection
WORKLIST = "/referrals/"
BULK_URL = "/referrals/actions/"


def signed_in_client(*, user_id: int, launch_id: str):
    """A test client with the coordinator's session (the launch stands for a completed coordinator launch)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from smartapp.launch.complete import SESSION_LAUNCHES

    client = Client(SERVER_NAME="127.0.0.1")  # CSRF checks are off in the test client: POSTs need no token
    client.force_login(get_user_model().objects.get(pk=user_id))
    session = client.session
    session[SESSION_LAUNCHES] = [str(launch_id)]
    session.save()
    return client


def measure_views(client, *, user_id: int, rounds: int, views=VIEWS, few: int | None = None) -> list[dict]:
    """Every view: a warm-up (template compilation is not what is measured), `rounds` timed GETs, two more
    with their queries captured (the count and time of the one with fewer), and how many rows its page
    holds. With `rounds` 0 (the tests), only one GET whose queries are captured, and its time."""
    out = []
    for label, query in views:
        if "{few}" in query and few is None:
            continue
        query = query.format(few=few)
        median_ms, queries, sql_ms = _view(client, f"{WORKLIST}?{query}" if query else WORKLIST, rounds)
        matches, rows = _page_rows(query, user_id=user_id)
        out.append(
            {
                "view": label,
                "query": query,
                "median_ms": median_ms,
                "queries": queries,
                "sql_ms": sql_ms,
                "matches": matches,
                "rows": rows,
            }
        )
    return out


def _view(client, url: str, rounds: int) -> tuple[float, int, float]:
    """The median time of `rounds` GETs of `url` after a warm-up, and the queries of one more (count, ms)."""
    if rounds:
        _get(client, url)
    times = [_timed(lambda: _get(client, url)) for _ in range(rounds)]
    started = time.perf_counter()
    queries, sql_ms = _queries(lambda: _get(client, url))
    times = times or [(time.perf_counter() - started) * 1000]
    if rounds:
        # The session's activity stamp is written at most every 30 s (launch/session_policy.py): a few
        # queries more on whichever request falls on it. Of two requests in a row, one is without it.
        queries, sql_ms = min((queries, sql_ms), _queries(lambda: _get(client, url)))
    return round(statistics.median(times), 1), queries, sql_ms


def measure_bulk_services(*, user_id: int, pks: list[int]) -> list[dict]:
    """Each action service once on `pks`, in an order where each changes every row, and the close twice
    (the second changes nothing: idempotent). The rows end open again, owned by `user_id`. The audit event
    is written as the views write it."""
    from django.utils import timezone

    from smartapp.audit.services import audit_record
    from smartapp.referrals import actions

    def audit(**event):
        audit_record(user_id=user_id, issuer="bench", **event)

    today, now = timezone.localdate(), timezone.now()
    scope = {"connections": [CONNECTION], "pks": pks, "audit": audit}
    steps = (
        ("assign", lambda: actions.referrals_assign(**scope, owner_id=user_id)),
        # Past the seeded next-action dates (up to 30 days ahead): the step changes every row.
        ("next action", lambda: actions.referrals_schedule(**scope, on=today + timedelta(days=45))),
        ("snooze", lambda: actions.referrals_snooze(**scope, until=today + timedelta(days=14), today=today)),
        ("close", lambda: _close(actions, scope, user_id, now)),
        ("close again", lambda: _close(actions, scope, user_id, now)),
        ("reopen", lambda: actions.referrals_reopen(**scope, now=now, today=today)),
    )
    out = []
    for name, step in steps:
        started = time.perf_counter()
        result = step()
        out.append(_bulk_row(name, len(pks), started, changed=result.changed, requests=1))
    return out


def measure_bulk_views(client, *, pks: list[int], per_request: int, owner: int) -> list[dict]:
    """The bulk form's POSTs (each answered with a 303 back to the list) on `pks`, `per_request` ids each
    (the form's limit, action_forms.MAX_IDS): assign to `owner`, snooze, close."""
    from django.utils import timezone

    from smartapp.referrals.models import Referral

    until = (timezone.localdate() + timedelta(days=21)).isoformat()
    steps = (
        ("assign", {"action": "assign", "owner": str(owner)}, {"owner_id": owner}),
        ("snooze", {"action": "snooze", "snooze_until": until}, {"snoozed_until": until}),
        ("close", {"action": "close", "reason": "reached"}, {"closed_reason": "reached"}),
    )
    chunks = [pks[i : i + per_request] for i in range(0, len(pks), per_request)]
    out = []
    for name, fields, done in steps:
        started = time.perf_counter()
        for chunk in chunks:
            response = client.post(BULK_URL, {**fields, "ids": [str(pk) for pk in chunk]})
            if response.status_code != 303:
                raise RuntimeError(f"the bulk form answered {response.status_code}, not 303")
        row = _bulk_row(name, len(pks), started, changed=0, requests=len(chunks))
        row["changed"] = Referral.objects.filter(pk__in=pks, **done).count()
        out.append(row)
    return out


def bulk_pks(count: int, *, user_id: int) -> list[int]:
    """`count` open referrals not owned by `user_id` and not snoozed: rows every bulk action changes."""
    from django.db.models import Q

    from smartapp.referrals.models import Referral

    rows = Referral.objects.filter(Q(owner__isnull=True) | ~Q(owner_id=user_id), connection=CONNECTION)
    rows = rows.filter(closed_reason="", snoozed_until__isnull=True)
    return list(rows.order_by("pk").values_list("pk", flat=True)[:count])


def _close(actions, scope: dict, user_id: int, now):
    return actions.referrals_close(**scope, reason="reached", note="", by_user_id=user_id, now=now)


def _bulk_row(name: str, rows: int, started: float, *, changed: int, requests: int) -> dict:
    ms = (time.perf_counter() - started) * 1000
    return {"action": name, "rows": rows, "changed": changed, "requests": requests, "ms": round(ms, 1)}


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"the worklist answered {response.status_code}, not 200")
    return response


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def _queries(run) -> tuple[int, float]:
    """How many queries `run` makes, and their time in the database driver (ms; the rest of a page's time
    is Python: the view, the rows, the template)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured), round(sum(float(query["time"]) for query in captured) * 1000, 1)


def _page_rows(query: str, *, user_id: int) -> tuple[int, int]:
    """How many referrals the view's filters match, and how many of them its page shows."""
    from django.http import QueryDict

    from smartapp.referrals.forms import WorklistFilterForm
    from smartapp.referrals.views import PAGE_SIZE
    from smartapp.referrals.worklist import worklist_referrals

    params = QueryDict(query)
    chosen = WorklistFilterForm(params, connections=(CONNECTION,)).chosen()
    matches = worklist_referrals(connections=(CONNECTION,), chosen=chosen, user_id=user_id).count()
    pages = max(1, -(-matches // PAGE_SIZE))
    page = params.get("page", "1")
    number = pages if page == "last" else min(int(page), pages)
    return matches, max(0, min(PAGE_SIZE, matches - (number - 1) * PAGE_SIZE))
