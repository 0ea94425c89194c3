"""Keyword-level rules of the compatibility check: types, constants and enums, ranges, defaults.

Each rule compares one old and one new schema node and returns `(problem, breaking)` pairs.
"""

BOUNDS_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
BOUNDS_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
EXACT_KEYWORDS = ("pattern", "format", "multipleOf")

Change = tuple[str, bool]


def accepted_types(node: dict) -> set[str] | None:
    """The JSON types a node accepts, or None for "anything"."""
    if "type" in node:
        declared = node["type"]
        return set(declared if isinstance(declared, list) else [declared])
    if "const" in node or "enum" in node:
        values = [node["const"]] if "const" in node else node["enum"]
        return {json_type(v) for v in values}
    return None


def json_type(value) -> str:
    """The JSON Schema type name of a Python value from a schema (const, enum)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def lost_types(old: dict, new: dict) -> set[str]:
    """Types the old node accepted that the new one no longer does (an integer is also a number)."""
    old_types, new_types = accepted_types(old), accepted_types(new)
    if new_types is None:
        return set()
    if old_types is None:
        return {"any"}
    return old_types - new_types - ({"integer"} if "number" in new_types else set())


def value_changes(old: dict, new: dict) -> list[Change]:
    """Constants and enums: a removed value breaks old events, an added one only needs tolerant consumers."""
    old_values = [old["const"]] if "const" in old else old.get("enum")
    new_values = [new["const"]] if "const" in new else new.get("enum")
    if new_values is None:
        return []
    if old_values is None:
        return [(f"now restricted to {new_values}", True)]
    removed = [v for v in old_values if v not in new_values]
    added = [v for v in new_values if v not in old_values]
    changes = [(f"values removed: {removed}", True)] if removed else []
    if added:
        changes.append((f"values added: {added} (consumers must tolerate unknown values)", False))
    return changes


def bound_changes(old: dict, new: dict) -> list[Change]:
    """Ranges, lengths and sizes may only widen; a pattern, format or step may not change at all."""
    changes = []
    for key in BOUNDS_LOWER + BOUNDS_UPPER:
        if key not in new or old.get(key) == new[key]:
            continue
        narrower = key not in old or (new[key] > old[key] if key in BOUNDS_LOWER else new[key] < old[key])
        changes.append((f"{key} {old.get(key, 'unset')} -> {new[key]}", narrower))
    for key in EXACT_KEYWORDS:
        if key in new and old.get(key) != new[key]:
            changes.append((f"{key} {old.get(key, 'unset')!r} -> {new[key]!r}", True))
    return changes


def default_changes(old: dict, new: dict) -> list[Change]:
    """A changed default silently changes the meaning of every old event that left the field out."""
    if "default" in old and old["default"] != new.get("default"):
        return [(f"default {old['default']!r} -> {new.get('default', 'unset')!r}", True)]
    return []
