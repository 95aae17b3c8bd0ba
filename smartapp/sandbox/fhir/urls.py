from django.urls import path, re_path

from smartapp.sandbox.bulk import views as bulk
from smartapp.sandbox.fhir import views

app_name = "sandbox_fhir"

# FHIR ids: https://hl7.org/fhir/R4/datatypes.html#id
_TYPE = r"(?P<resource_type>[A-Z][A-Za-z]+)"
_ID = r"(?P<fhir_id>[A-Za-z0-9\-.]{1,64})"
_JOB = r"(?P<job_id>[A-Za-z0-9_\-]{1,64})"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(rf"^{_TYPE}$", views.search, name="search"),
    re_path(rf"^{_TYPE}/_search$", views.search_post, name="search-post"),
    re_path(rf"^{_TYPE}/{_ID}$", views.read, name="read"),
    # Bulk Data $export (smartapp/sandbox/bulk/): https://hl7.org/fhir/uv/bulkdata/export.html
    re_path(r"^Group/(?P<group_id>[A-Za-z0-9\-.]{1,64})/\$export$", bulk.kickoff, name="group-export"),
    re_path(rf"^\$export-status/{_JOB}$", bulk.status, name="export-status"),
    re_path(rf"^\$export-file/{_JOB}/(?P<index>[0-9]{{1,6}})$", bulk.output_file, name="export-file"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
