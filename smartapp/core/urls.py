from django.urls import path

from smartapp.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("session/keep-alive", views.keep_alive, name="keep-alive"),
    path("favicon.ico", views.favicon, name="favicon"),
]
