"""Operations tools for the `rapport` command line (compatibility check, DLQ replay, configuration reference)."""

from services.tools.cli import register

__all__ = ["register"]
