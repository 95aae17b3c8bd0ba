from django.urls import path

from smartapp.audit import views

urlpatterns = [
    path("audit/", views.events, name="audit-events"),
    path("audit/export.csv", views.export_csv, name="audit-export-csv"),
    path("audit/export.json", views.export_json, name="audit-export-json"),
]
