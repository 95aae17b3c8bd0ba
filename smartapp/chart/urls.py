from django.urls import path

from smartapp.chart import note_views, views

urlpatterns = [
    path("chart/<uuid:launch_id>/", views.clinician_chart, name="chart"),
    path("chart/<uuid:launch_id>/print/", views.print_chart, name="chart-print"),
    path("me/<uuid:launch_id>/", views.patient_view, name="me"),
    path("notes/<uuid:launch_id>/<str:document_id>/", note_views.note_page, name="note"),
    path("notes/<uuid:launch_id>/<str:document_id>/content", note_views.note_content, name="note-content"),
]
