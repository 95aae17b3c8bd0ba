"""The app's URLconf plus views that fail on purpose, for tests/core/test_error_pages.py."""

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404
from django.urls import path

from smartapp.urls import handler400, handler403, handler404, handler500  # noqa: F401  the app's handlers
from smartapp.urls import urlpatterns as app_urlpatterns

# A made-up person, as a local variable of the failing views: Django's DEBUG page would show it.
LOCAL_NAME = "Zephyrine Quackenbush"


def crash(request):
    patient_name = LOCAL_NAME  # noqa: F841  a local variable a technical 500 page lists
    raise RuntimeError("the view failed")


def database_down(request):
    patient_name = LOCAL_NAME  # noqa: F841
    raise OperationalError("database is gone")


def suspicious(request):
    patient_name = LOCAL_NAME  # noqa: F841
    raise SuspiciousOperation("a suspicious request")


def bad(request):
    raise BadRequest("a bad request")


def denied(request):
    raise PermissionDenied("not for you")


def missing(request):
    patient_name = LOCAL_NAME  # noqa: F841
    raise Http404(f"no record of {LOCAL_NAME}")


urlpatterns = [
    *app_urlpatterns,
    path("failing/crash/", crash),
    path("failing/database/", database_down),
    path("failing/suspicious/", suspicious),
    path("failing/bad/", bad),
    path("failing/denied/", denied),
    path("failing/missing/", missing),
]
