"""FHIR Bulk Data `$export` on a Group, served by the sandbox (https://hl7.org/fhir/uv/bulkdata/export.html).

views.py     kick-off, status (GET, DELETE) and output-file routes, under every FHIR base
params.py    the kick-off's headers and parameters (_type, _since, _typeFilter, _outputFormat)
jobs.py      export jobs: one running per client and tenant, ready after a simulated time
plan.py      what a finished job's files hold (row ids, fixed once), within the token's scopes
manifest.py  the completion manifest
ndjson.py    a file's lines, streamed
"""
