"""Backward compatibility of v1 JSON Schemas against the released set: plain dicts in, findings out.

"Compatible" means an old consumer can still read every new event and the new schema still accepts
every event the old one accepted: no field removed, no type or constant changed, no new required
field, no enum value or range narrowed, no default changed. Added optional fields and widened enums are compatible.
"""

from dataclasses import dataclass

from services.tools.compat_keywords import accepted_types, bound_changes, default_changes, lost_types, value_changes


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
        """Compare two schema nodes at `path`, following `$ref`s and unions."""
        old, old_ref = self._resolve(old, self.old_root)
        new, new_ref = self._resolve(new, self.new_root)
        if old_ref and new_ref:
            if (old_ref, new_ref) in self._seen:  # recursive definitions: compared once
                return []
            self._seen.add((old_ref, new_ref))
        old_alternatives = old.get("anyOf") or old.get("oneOf")
        new_alternatives = new.get("anyOf") or new.get("oneOf")
        if old_alternatives or new_alternatives:
            defaults = [self._finding(path, problem, breaking) for problem, breaking in default_changes(old, new)]
            return defaults + self._union(old_alternatives or [old], new_alternatives or [new], path)
        return self._single(old, new, path)

    def _union(self, old_alternatives: list[dict], new_alternatives: list[dict], path: str) -> list[Finding]:
        findings: list[Finding] = []
        for old in old_alternatives:
            resolved_old, _ = self._resolve(old, self.old_root)
            candidates = [
                self.schema(old, new, path)
                for new in new_alternatives
                if not lost_types(resolved_old, self._resolve(new, self.new_root)[0])
            ]
            if not candidates:
                findings.append(self._finding(path, f"no longer accepts {sorted(accepted_types(resolved_old) or ['any'])}"))
                continue
            findings.extend(min(candidates, key=lambda f: sum(x.breaking for x in f)))
        return findings

    def _single(self, old: dict, new: dict, path: str) -> list[Finding]:
        if lost_types(old, new):
            was, now = sorted(accepted_types(old) or ["any"]), sorted(accepted_types(new))
            return [self._finding(path, f"type changed from {was} to {now}")]
        changes = value_changes(old, new) + bound_changes(old, new) + default_changes(old, new)
        findings = [self._finding(path, problem, breaking) for problem, breaking in changes]
        if "properties" in old or "properties" in new:
            findings += self._object(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            findings += self.schema(old["items"], new["items"], f"{path}[]")
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
