"""Append-only, hash-chained audit events of every launch, token and PHI access (no clinical content)."""
