"""The completion manifest of a finished export (https://hl7.org/fhir/uv/bulkdata/export.html, "Response -
Complete Status")."""

from datetime import UTC

from smartapp.sandbox.models import ExportJob


def manifest(job: ExportJob) -> dict:
    """transactionTime, request, requiresAccessToken and one output entry per file (no error files)."""
    base = job.params["base"]
    return {
        "transactionTime": _instant(job.transaction_time),
        "request": job.params["request"],
        # The files are served under the FHIR base and need the same client's bearer token.
        "requiresAccessToken": True,
        "output": [
            {
                "type": entry["type"],
                "url": f"{base}/$export-file/{job.job_id}/{index}",
                "count": entry["count"],
            }
            for index, entry in enumerate(job.output)
        ],
        "error": [],
    }


def _instant(value) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
