"""Backward compatibility of v1 JSON Schemas against the released set: plain dicts in, findings out.

"Compatible" means an old consumer can still read every new event and the new schema still accepts
every event the old one accepted: no field removed, no type or constant changed, no new required
field, no enum value or range narrowed. Added optional fields and widened enums are compatible.
"""

from dataclasses import dataclass

BOUNDS_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
BOUNDS_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
EXACT_KEYWORDS = ("pattern", "format", "multipleOf")


@dataclass(frozen=True)
class Finding:
    """One difference between the released and the current schema of a contract."""

    contract: str
    path: str
    problem: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'ok      '} {self.contract} {self.path or '(root)'}: {self.problem}"


def compare_sets(released: dict[str, dict], current: dict[str, dict]) -> list[Finding]:
    """Compare every released contract (file name -> schema) with its current version."""
    findings: list[Finding] = []
    for name, old in sorted(released.items()):
        if name not in current:
            findings.append(Finding(name, "", "contract removed", True))
        else:
            findings.extend(compare_contract(name, old, current[name]))
    findings.extend(Finding(name, "", "new contract", False) for name in sorted(set(current) - set(released)))
    return findings


def compare_contract(name: str, old: dict, new: dict) -> list[Finding]:
    """Every finding for one contract; `breaking` ones must fail the release."""
    return _Comparison(name, old, new).schema(old, new, "")


def _types(node: dict) -> set[str] | None:
    """The JSON types a node accepts, or None for "anything"."""
    if "type" in node:
        declared = node["type"]
        return set(declared if isinstance(declared, list) else [declared])
    if "const" in node or "enum" in node:
        values = [node["const"]] if "const" in node else node["enum"]
        return {_json_type(v) for v in values}
    return None


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _accepts(old_types: set[str] | None, new_types: set[str] | None) -> set[str]:
    """Types the old schema accepted that the new one no longer does."""
    if new_types is None:
        return set()
    if old_types is None:
        return {"any"}
    widened = new_types | ({"integer"} if "number" in new_types else set())
    return old_types - widened


class _Comparison:
    def __init__(self, contract: str, old_root: dict, new_root: dict):
        self.contract, self.old_root, self.new_root = contract, old_root, new_root
        self._seen: set[tuple[str, str]] = set()

    def _finding(self, path: str, problem: str, breaking: bool = True) -> Finding:
        return Finding(self.contract, path, problem, breaking)

    def _resolve(self, node: dict, root: dict) -> tuple[dict, str | None]:
        ref = node.get("$ref")
        if not ref:
            return node, None
        target = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return merged, ref

    def schema(self, old: dict, new: dict, path: str) -> list[Finding]:
        old, old_ref = self._resolve(old, self.old_root)
        new, new_ref = self._resolve(new, self.new_root)
        if old_ref and new_ref:
            if (old_ref, new_ref) in self._seen:  # recursive definitions: compared once
                return []
            self._seen.add((old_ref, new_ref))
        old_alternatives = old.get("anyOf") or old.get("oneOf")
        new_alternatives = new.get("anyOf") or new.get("oneOf")
        if old_alternatives or new_alternatives:
            return self._union(old_alternatives or [old], new_alternatives or [new], path)
        return self._single(old, new, path)

    def _union(self, old_alternatives: list[dict], new_alternatives: list[dict], path: str) -> list[Finding]:
        findings: list[Finding] = []
        for old in old_alternatives:
            resolved_old, _ = self._resolve(old, self.old_root)
            candidates = [
                self.schema(old, new, path)
                for new in new_alternatives
                if not _accepts(_types(resolved_old), _types(self._resolve(new, self.new_root)[0]))
            ]
            if not candidates:
                findings.append(self._finding(path, f"no longer accepts {sorted(_types(resolved_old) or ['any'])}"))
                continue
            findings.extend(min(candidates, key=lambda f: sum(x.breaking for x in f)))
        return findings

    def _single(self, old: dict, new: dict, path: str) -> list[Finding]:
        findings: list[Finding] = []
        lost = _accepts(_types(old), _types(new))
        if lost:
            return [self._finding(path, f"type changed from {sorted(_types(old) or ['any'])} to {sorted(_types(new))}")]
        findings += self._values(old, new, path)
        findings += self._bounds(old, new, path)
        if "properties" in old or "properties" in new:
            findings += self._object(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            findings += self.schema(old["items"], new["items"], f"{path}[]")
        return findings

    def _values(self, old: dict, new: dict, path: str) -> list[Finding]:
        old_values = [old["const"]] if "const" in old else old.get("enum")
        new_values = [new["const"]] if "const" in new else new.get("enum")
        if new_values is None:
            return []
        if old_values is None:
            return [self._finding(path, f"now restricted to {new_values}")]
        removed = [v for v in old_values if v not in new_values]
        added = [v for v in new_values if v not in old_values]
        findings = [self._finding(path, f"values removed: {removed}")] if removed else []
        if added:
            findings.append(self._finding(path, f"values added: {added} (consumers must tolerate unknown values)", False))
        return findings

    def _bounds(self, old: dict, new: dict, path: str) -> list[Finding]:
        findings = []
        for key in BOUNDS_LOWER + BOUNDS_UPPER:
            if key not in new or old.get(key) == new[key]:
                continue
            narrower = key not in old or (new[key] > old[key] if key in BOUNDS_LOWER else new[key] < old[key])
            findings.append(self._finding(path, f"{key} {old.get(key, 'unset')} -> {new[key]}", narrower))
        for key in EXACT_KEYWORDS:
            if key in new and old.get(key) != new[key]:
                findings.append(self._finding(path, f"{key} {old.get(key, 'unset')!r} -> {new[key]!r}"))
        return findings

    def _object(self, old: dict, new: dict, path: str) -> list[Finding]:
        findings: list[Finding] = []
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for field, old_field in old_props.items():
            where = f"{path}.{field}" if path else field
            if field not in new_props:
                findings.append(self._finding(where, "field removed"))
                continue
            findings += self.schema(old_field, new_props[field], where)
            if field in new_required and field not in old_required:
                findings.append(self._finding(where, "optional field became required"))
        for field in new_props.keys() - old_props.keys():
            where = f"{path}.{field}" if path else field
            required = field in new_required
            findings.append(self._finding(where, "new required field" if required else "optional field added", required))
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            findings.append(self._finding(path, "additional properties no longer allowed"))
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            findings += self.schema(old_extra, new_extra, f"{path}{{*}}")
        return findings
