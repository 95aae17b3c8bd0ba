"""Deterministic synthetic patients for the sandbox EHR.

    generate(seed=..., anchor=date) -> list of FHIR R4 resources (pure)
    load_all(seed=..., anchor=date) -> counts per resource type, after loading them and their sandbox users

Scenario patients and other stable ids: smartapp.sandbox.synthetic.catalog.
"""

from .generator import generate
from .loader import load_all

__all__ = ["generate", "load_all"]
