from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("smartapp.core.urls")),
    path("", include("smartapp.launch.urls")),
    path("", include("smartapp.chart.urls")),
    path("", include("smartapp.referrals.urls")),
    path("", include("smartapp.audit.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns += [path("sandbox/", include("smartapp.sandbox.urls"))]
