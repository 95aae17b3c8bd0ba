from django.urls import path

from smartapp.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
