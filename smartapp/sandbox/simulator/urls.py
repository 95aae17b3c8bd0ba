from django.urls import path

from smartapp.sandbox.simulator import fault_switches, views, ward

urlpatterns = [
    path("", views.simulator, name="sandbox-simulator"),
    path("launch/", views.launch, name="sandbox-launch"),
    path("faults/", fault_switches.fault_list, name="sandbox-faults"),
    path("faults/clear/", fault_switches.fault_clear, name="sandbox-faults-clear"),
    path("ward/admit/", ward.admit, name="sandbox-ward-admit"),
    path("ward/discharge/", ward.discharge, name="sandbox-ward-discharge"),
]
