"""Rapport's benchmark suite: every stage beside its baseline, measured in one run (`rapport bench`)."""
