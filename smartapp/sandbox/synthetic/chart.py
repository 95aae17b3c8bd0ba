"""The per-patient context every builder receives: who, which random stream, which clock."""

import random
from dataclasses import dataclass, field

from .elements import Clock, ref


def seeded(seed: int, scope: str) -> random.Random:
    """A random stream of its own for one scope (a patient, the staff), so that scopes do not disturb
    each other. String seeds are hashed with SHA-512 by `random`, independent of PYTHONHASHSEED."""
    return random.Random(f"{seed}:{scope}")  # noqa: S311 - synthetic data, not security


@dataclass
class Chart:
    """One patient's record being generated."""

    patient_id: str
    rng: random.Random
    clock: Clock
    pcp_id: str
    _counters: dict = field(default_factory=dict)

    @property
    def subject(self) -> dict:
        """The Reference to this patient."""
        return ref("Patient", self.patient_id)

    def next_id(self, prefix: str) -> str:
        """A new id such as "mr-pat-001-007", numbered per prefix within this patient."""
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return f"{prefix}-{self.patient_id}-{number:03d}"
