"""The v1 instrument registry: item counts and value ranges, as versioned data.

Scoring lives in the detector core; this module only says what a valid answer is,
so rewording a question in an app never changes what the backend accepts.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: how many items it has and what each item's value may be."""

    name: str
    title: str
    items: int
    min_value: float
    max_value: float
    decimals: int = 0
    version: int = 1

    def check_value(self, value: float) -> str | None:
        """Return why `value` is not a valid answer to this instrument, or None."""
        if not self.min_value <= value <= self.max_value:
            return f"{self.name} values must be between {self.min_value:g} and {self.max_value:g}"
        scaled = value * 10**self.decimals
        if abs(scaled - round(scaled)) > 1e-9:
            if self.decimals == 0:
                return f"{self.name} values must be whole numbers"
            return f"{self.name} values allow at most {self.decimals} decimal place(s)"
        return None


REGISTRY: dict[str, Instrument] = {
    i.name: i
    for i in (
        Instrument("mood", "Mood today", items=1, min_value=0, max_value=10),
        Instrument("brs", "Brief Resilience Scale", items=6, min_value=1, max_value=5),
        Instrument("phq9", "Patient Health Questionnaire-9", items=9, min_value=0, max_value=3),
        Instrument("gad7", "Generalized Anxiety Disorder-7", items=7, min_value=0, max_value=3),
        Instrument("cssrs", "C-SSRS screener", items=6, min_value=0, max_value=1),
        Instrument("srs", "Session Rating Scale", items=4, min_value=0, max_value=10, decimals=1),
        Instrument("ors", "Outcome Rating Scale", items=4, min_value=0, max_value=10, decimals=1),
        Instrument("sleep", "Hours slept", items=1, min_value=0, max_value=24, decimals=2),
    )
}
