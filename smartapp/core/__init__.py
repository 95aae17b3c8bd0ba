"""The kernel: errors, outgoing HTTP, encryption, health. Knows nothing of FHIR or SMART."""
