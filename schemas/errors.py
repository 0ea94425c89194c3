"""Readable validation errors that name the offending field."""

from pydantic import ValidationError


def field_path(loc: tuple) -> str:
    """Render a pydantic error location as a dotted path, e.g. `answers.0.value`."""
    return ".".join(str(part) for part in loc) or "(body)"


def describe_validation_error(error: ValidationError) -> list[dict[str, str]]:
    """List every problem as {"field": dotted path, "message": plain words}, never echoing values."""
    return [{"field": field_path(e["loc"]), "message": e["msg"]} for e in error.errors(include_input=False)]


def summarize_validation_error(error: ValidationError) -> str:
    """One line naming each bad field, suitable for a DLQ reason header or a log line."""
    return "; ".join(f"{p['field']}: {p['message']}" for p in describe_validation_error(error))
