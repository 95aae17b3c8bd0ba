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
    path("", include("smartapp.audit.urls")),
]

# An error no view handled: a 503 page for a database outage, a 500 page otherwise (never a trace).
handler500 = "smartapp.core.errors.server_error"

if settings.SANDBOX_ENABLED:
    urlpatterns += [path("sandbox/", include("smartapp.sandbox.urls"))]
