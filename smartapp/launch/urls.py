from django.urls import path

from smartapp.launch import views

urlpatterns = [
    path("", views.home, name="home"),
    path("launch/", views.ehr_launch, name="launch-ehr"),
    path("launch/<slug:config_name>/", views.standalone_launch, name="launch-standalone"),
    path("callback/<slug:config_name>/", views.callback, name="launch-callback"),
    path("logout/", views.logout, name="logout"),
    path(".well-known/jwks.json", views.jwks, name="app-jwks"),
]
