"""The only code that talks to an EHR: launch configs, discovery, tokens, id_tokens, FHIR access."""
