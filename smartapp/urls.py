from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

# Local accounts only for admins, with MFA (DEVELOPERS.md): the admin wants a verified TOTP device.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("smartapp.core.urls")),
    path("", include("smartapp.launch.urls")),
    path("", include("smartapp.chart.urls")),
    path("", include("smartapp.referrals.urls")),
    path("", include("smartapp.adt.urls")),
    path("", include("smartapp.audit.urls")),
]

# An error no view handled: the app's pages with a correlation id, never a trace (core/errors.py). While
# DEBUG is on they still show: core.middleware.StyledNotFoundMiddleware, core.errors.ErrorPageReporter.
handler400 = "smartapp.core.errors.bad_request"
handler403 = "smartapp.core.errors.permission_denied"
handler404 = "smartapp.core.errors.page_not_found"
handler500 = "smartapp.core.errors.server_error"  # 503 for a database outage

if settings.SANDBOX_ENABLED:
    urlpatterns += [path("sandbox/", include("smartapp.sandbox.urls"))]
