"""Benchmark figures, their baselines, ratios and targets, rendered as markdown and JSON (pure, no I/O)."""

from dataclasses import asdict, dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Target:
    """A goal from issue 7: `value` or `ratio` compared with `threshold`."""

    on: Literal["value", "ratio"]
    op: Literal[">=", "<="]
    threshold: float
    text: str

    def met_by(self, value: float | None, ratio: float | None) -> bool | None:
        measured = value if self.on == "value" else ratio
        if measured is None:
            return None
        return measured >= self.threshold if self.op == ">=" else measured <= self.threshold


@dataclass
class Figure:
    """One measured number beside its baseline; `skipped` explains a figure that could not be measured."""

    stage: str
    name: str
    unit: str
    value: float | None = None
    baseline_name: str | None = None
    baseline: float | None = None
    target: Target | None = None
    skipped: str | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.skipped:
            return "skipped"
        if self.target is None:
            return "-"
        met = self.target.met_by(self.value, self.ratio)
        return "n/a" if met is None else ("pass" if met else "MISS")

    def as_dict(self) -> dict:
        data = asdict(self)
        data["target"] = self.target.text if self.target else None
        data["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        data["verdict"] = self.verdict
        return data


@dataclass
class Report:
    """Everything one `rapport bench` run measured, with the machine it ran on."""

    machine: dict
    settings: dict
    figures: list[Figure] = field(default_factory=list)
    started_at: str = ""
    duration_s: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def skip(self, stage: str, name: str, unit: str, why: str, target: Target | None = None) -> Figure:
        return self.add(Figure(stage, name, unit, target=target, skipped=why))

    @property
    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.verdict == "MISS"]

    def as_dict(self) -> dict:
        return {
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 1),
            "machine": self.machine,
            "settings": self.settings,
            "figures": [f.as_dict() for f in self.figures],
            "missed": [f"{f.stage}: {f.name}" for f in self.missed],
        }


def format_number(value: float | None, unit: str = "") -> str:
    """Readable figures: thousands separators for rates, two significant decimals for small numbers."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else (f"{ratio:.2f}x" if ratio < 100 else f"{ratio:,.0f}x")


def render_markdown(report: Report) -> str:
    """The run as a markdown table plus the machine and settings it ran with."""
    lines = [
        f"Run {report.started_at} ({report.duration_s:.0f} s): {machine_line(report.machine)}",
        "",
        f"Settings: {', '.join(f'{k}={v}' for k, v in report.settings.items())}",
        "",
        "| stage | figure | value | baseline | baseline value | ratio | target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in report.figures:
        if f.skipped:
            lines.append(f"| {f.stage} | {f.name} | skipped: {cell(f.skipped)} | | | | {f.target.text if f.target else ''} | skipped |")
            continue
        lines.append(
            f"| {f.stage} | {f.name} | {format_number(f.value, f.unit)} | {f.baseline_name or '-'} | "
            f"{format_number(f.baseline, f.unit) if f.baseline is not None else '-'} | {format_ratio(f.ratio)} | "
            f"{f.target.text if f.target else '-'} | {f.verdict} |"
        )
    notes = [f"- {f.stage} / {f.name}: {f.note}" for f in report.figures if f.note]
    if notes:
        lines += ["", "Notes:", *notes]
    return "\n".join(lines) + "\n"


def cell(text: str, limit: int = 160) -> str:
    """Text that fits one markdown table cell: one line, no pipes, not too long."""
    flat = " ".join(text.split()).replace("|", "/")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def machine_line(machine: dict) -> str:
    cpu = machine.get("cpu_model") or "unknown CPU"
    return (f"{machine.get('cores', '?')} cores ({cpu}), {machine.get('memory_gib', '?')} GiB RAM, "
            f"Python {machine.get('python', '?')}"
            + (f" (detection core {machine['detection_core']})" if "detection_core" in machine else "")
            + f", {machine.get('platform', '?')}, "
            f"broker {machine.get('broker', '?')}, PostgreSQL {machine.get('postgres', '?')}"
            + (f", load average {_load(machine['load_average_at_start'])} at start" if "load_average_at_start" in machine else "")
            + (f" and {_load(machine['load_average_at_end'])} at end" if "load_average_at_end" in machine else ""))


def _load(values) -> str:
    return "/".join(f"{v:.1f}" for v in values)
