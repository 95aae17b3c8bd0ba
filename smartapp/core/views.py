from functools import cache

from django.contrib.staticfiles import finders
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from smartapp.core.roles import public


@public
@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@public  # it shows nothing: a signed-in browser's request counts as activity for its own session only
@never_cache
@require_POST
def keep_alive(request):
    """ "Stay signed in" on the idle warning (static/js/idle-warning.js): 204 while signed in, else 401.

    The request itself is the activity: the session timeout middleware (launch/session_policy.py) has
    already counted it, or signed an expired session out and answered 401 before this view runs. The
    browser asks only when the person presses the button; nothing polls it.
    """
    return HttpResponse(status=204 if request.user.is_authenticated else 401)


@cache
def _favicon() -> bytes:
    with open(finders.find("favicon.ico"), "rb") as icon:
        return icon.read()


@public
@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page's <link rel=icon> says. 169 bytes: it takes
    the app's no-store like every other response (core/middleware.py) rather than an exception to it."""
    return HttpResponse(_favicon(), content_type="image/vnd.microsoft.icon")
