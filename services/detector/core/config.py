"""Detection thresholds: defaults from ARCHITECTURE.md, overridable per deployment (TOML) and per client plan."""

import tomllib
from functools import cached_property
from math import sqrt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskRules(_Section):
    """risk.acute: PHQ-9 item 9 (Simon 2013), C-SSRS screener triage, the "I need support now" button."""

    phq9_item9_min: int = Field(1, ge=1, le=3, description="item 9 at or above this is a risk signal")
    phq9_item9_critical: int = Field(2, ge=1, le=3, description="item 9 at or above this is critical on its own")
    cssrs_critical_items: tuple[int, ...] = Field((3, 4, 5, 6), description="a yes on any of these is critical")
    cssrs_high_items: tuple[int, ...] = Field((1, 2), description="a yes only on these is high")
    help_requested: bool = Field(True, description="the help button raises a critical signal")


class LanguageRules(_Section):
    """risk.language: crisis language in the free-text note, negation-aware."""

    enabled: bool = True
    extra_phrases: tuple[str, ...] = Field((), description="deployment-specific phrases (lower case, plain words)")


class ResilienceRules(_Section):
    """BRS reliable change (Jacobson & Truax 1991) with the BRS norms of Smith 2008, and the low band (Smith 2013)."""

    baseline_days: float = Field(28, gt=0, description="baseline = median BRS of this many previous days")
    baseline_min_scores: int = Field(3, ge=1, description="fewer BRS scores than this: no baseline yet")
    sd: float = Field(0.68, gt=0, description="population SD of the BRS")
    reliability: float = Field(0.85, gt=0, lt=1, description="test-retest reliability r of the BRS")
    rc_threshold: float = Field(1.96, gt=0, description="|RC| at or beyond this is reliable change")
    low_cutoff: float = Field(3.0, description="BRS below this is the low-resilience band")
    improvement_every_days: float = Field(28, ge=0, description="at most one improvement signal in this many days")

    @cached_property
    def s_diff(self) -> float:
        """Standard error of the difference: sqrt(2) * SD * sqrt(1 - r) (about 0.37 with the defaults)."""
        return sqrt(2) * self.sd * sqrt(1 - self.reliability)


class MoodRules(_Section):
    """mood.sustained_decline: one-sided EWMA chart on daily mean mood (Schat 2021; Smit & Snippe 2022)."""

    ewma_lambda: float = Field(0.2, gt=0, le=1, description="EWMA smoothing weight of the newest day")
    control_l: float = Field(2.6, gt=0, description="control-limit width L (one-sided in-control ARL about a year)")
    baseline_from_days: int = Field(8, ge=1, description="baseline window starts this many days before the day")
    baseline_to_days: int = Field(35, ge=2, description="... and reaches back this many days")
    baseline_min_days: int = Field(14, ge=2, description="days with data needed in the baseline window")
    sd_floor: float = Field(0.75, gt=0, description="baseline SD never below this (very stable clients)")
    min_drop_points: float = Field(1.5, ge=0, description="the limit is at least this far below the baseline mean")

    @cached_property
    def limit_factor(self) -> float:
        """L * sqrt(lambda / (2 - lambda)): the asymptotic EWMA control-limit width in baseline SDs."""
        return self.control_l * sqrt(self.ewma_lambda / (2 - self.ewma_lambda))


class AllianceRules(_Section):
    """alliance.rupture on the Session Rating Scale (PCOMS cutoff 36; Stiles 2004)."""

    cutoff: float = Field(36.0, ge=0, le=40, description="SRS total below this is a possible rupture")
    min_prior: int = Field(4, ge=2, description="SRS scores needed before the personal-mean rule applies")
    sd_multiplier: float = Field(2.0, gt=0, description="a fall of this many SDs below the personal mean ...")
    min_drop_points: float = Field(3.0, ge=0, description="... and at least this many points")


class EngagementRules(_Section):
    """engagement.missed_checkins on the event-time watermark (RADAR-Questionnaire #1888)."""

    min_gap_days: float = Field(3.0, gt=0, description="never expect a check-in sooner than this")
    gap_multiplier: float = Field(3.0, gt=0, description="... or this many times the client's median gap")
    gap_window: int = Field(14, ge=2, description="median gap of this many latest check-ins")
    min_prior: int = Field(3, ge=1, description="check-ins needed before a gap counts")


class DetectorConfig(_Section):
    """Every threshold of every rule; `clients` holds per-client care-plan overrides by client_id."""

    risk: RiskRules = RiskRules()
    language: LanguageRules = LanguageRules()
    resilience: ResilienceRules = ResilienceRules()
    mood: MoodRules = MoodRules()
    alliance: AllianceRules = AllianceRules()
    engagement: EngagementRules = EngagementRules()
    history_days: int = Field(70, ge=40, description="state kept per client; older check-ins only get risk rules")
    clients: dict[str, dict[str, Any]] = Field(default_factory=dict, description="client_id -> {section: {field: v}}")
    _per_client: dict[str, "DetectorConfig"] = PrivateAttr(default_factory=dict)

    def for_client(self, client_id: str) -> "DetectorConfig":
        """This config with the client's care-plan overrides applied (cached per client)."""
        plan = self.clients.get(client_id)
        if not plan:
            return self
        cache = self._per_client
        if client_id not in cache:
            merged = self.model_dump(exclude={"clients"})
            for section, values in plan.items():
                merged[section] = {**merged.get(section, {}), **values} if isinstance(values, dict) else values
            cache[client_id] = DetectorConfig.model_validate(merged)
        return cache[client_id]


def load_config(path: Path | str | None) -> DetectorConfig:
    """Read a TOML file of overrides (missing sections keep their defaults); None gives the defaults."""
    if path is None:
        return DetectorConfig()
    with open(path, "rb") as handle:
        return DetectorConfig.model_validate(tomllib.load(handle))
