"""Offline replay placeholder (filled in next)."""


def run_replay(*args) -> int:
    raise NotImplementedError
