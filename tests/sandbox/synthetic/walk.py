"""Walking generated FHIR JSON in tests."""


def references_in(value):
    """Every `reference` string anywhere inside a resource (nested dicts and lists)."""
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from references_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from references_in(item)
