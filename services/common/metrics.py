"""A small Prometheus-text metrics registry (counters and gauges with labels), no extra dependency."""

import threading
from collections import defaultdict


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: list[str]):
        self.name, self.help, self.labels = name, help_text, labels
        self._values: dict[tuple, float] = defaultdict(float)
        self._lock = threading.Lock()

    def _key(self, labels: dict) -> tuple:
        return tuple(str(labels.get(name, "")) for name in self.labels)

    def value(self, **labels) -> float:
        return self._values.get(self._key(labels), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        for key, value in sorted(self._values.items()):
            label_text = ",".join(f'{n}="{v}"' for n, v in zip(self.labels, key))
            lines.append(f"{self.name}{{{label_text}}} {value:g}" if label_text else f"{self.name} {value:g}")
        return lines


class Counter(_Metric):
    kind = "counter"

    def inc(self, amount: float = 1, **labels) -> None:
        with self._lock:
            self._values[self._key(labels)] += amount


class Gauge(_Metric):
    kind = "gauge"

    def set(self, value: float, **labels) -> None:
        with self._lock:
            self._values[self._key(labels)] = value


class Registry:
    """Holds a process's metrics; the same name asked twice returns the same metric."""

    def __init__(self):
        self._metrics: dict[str, _Metric] = {}

    def _get(self, cls, name: str, help_text: str, labels: list[str] | None):
        metric = self._metrics.get(name)
        if metric is None:
            metric = self._metrics[name] = cls(name, help_text, labels or [])
        return metric

    def counter(self, name: str, help_text: str, labels: list[str] | None = None) -> Counter:
        return self._get(Counter, name, help_text, labels)

    def gauge(self, name: str, help_text: str, labels: list[str] | None = None) -> Gauge:
        return self._get(Gauge, name, help_text, labels)

    def render(self) -> str:
        return "\n".join(line for m in self._metrics.values() for line in m.render()) + "\n"


REGISTRY = Registry()
