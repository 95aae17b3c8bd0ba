from django.urls import path

from smartapp.chart import views

urlpatterns = [
    path("chart/<uuid:launch_id>/", views.clinician_chart, name="chart"),
    path("me/<uuid:launch_id>/", views.patient_view, name="me"),
]
