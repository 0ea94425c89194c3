"""The pure cohort generator: seeded, deterministic, no I/O and no clock (the end instant is a parameter)."""
