"""`checkin.submitted` v1 — what a client app publishes after a between-session check-in."""

import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

from schemas.instruments import REGISTRY

@lru_cache(maxsize=1024)
def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name`, cached: ZoneInfo's own cache keeps only a few zones, re-reading tz files otherwise."""
    return ZoneInfo(name)


SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Answer:
    """One item of one instrument, e.g. PHQ-9 item 9 = 1."""

    # A pydantic dataclass with slots, not a BaseModel: every consumer reads each answer's fields several times,
    # and a BaseModel field read costs about ten times a slot's on Python 3.11 (callgrind). Same JSON Schema.

    instrument: str = Field(description="Instrument name from the v1 registry (mood, brs, phq9, ...)")
    item: int = Field(ge=1, description="1-based item number within the instrument")
    value: float = Field(description="The answer; range and precision depend on the instrument")

    @model_validator(mode="after")
    def _valid_for_instrument(self) -> "Answer":
        if (self.instrument, self.item, self.value) in _VALID_ANSWERS:
            return self
        instrument = REGISTRY.get(self.instrument)
        if instrument is None:
            raise ValueError(f"unknown instrument {self.instrument!r}; known: {', '.join(sorted(REGISTRY))}")
        if self.item > instrument.items:
            raise ValueError(f"{self.instrument} has items 1..{instrument.items}, not {self.item}")
        problem = instrument.check_value(self.value)
        if problem:
            raise ValueError(problem)
        if len(_VALID_ANSWERS) < _VALID_ANSWERS_KEPT:
            _VALID_ANSWERS.add((self.instrument, self.item, self.value))
        return self


# Answers already found valid: there are few distinct ones (an item's scale has few steps), and most
# check-ins repeat them, so the registry checks run once per distinct answer.
_VALID_ANSWERS: set[tuple[str, int, float]] = set()
_VALID_ANSWERS_KEPT = 50_000


class GoalProgress(BaseModel):
    """Progress (0..10) on a goal agreed with the therapist."""

    model_config = ConfigDict(frozen=True)

    goal_id: str = Field(min_length=1, max_length=64, pattern=SLUG.pattern)
    progress: float = Field(ge=0, le=10)


class Source(BaseModel):
    """Which app produced the check-in."""

    app: str = Field(min_length=1, max_length=64)
    app_version: str = Field(min_length=1, max_length=32)


class _CheckinFields(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["checkin.submitted"] = "checkin.submitted"
    version: Literal[1] = 1
    client_id: UUID
    occurred_at: AwareDatetime = Field(description="RFC 3339 with offset; naive times are rejected")
    timezone: str = Field(description="IANA zone name of the client, e.g. Europe/Berlin")
    answers: Annotated[list[Answer], Field(min_length=1, max_length=64, repr=False)]
    goals: Annotated[list[GoalProgress], Field(default_factory=list, max_length=32, repr=False)]
    note: Annotated[str | None, Field(default=None, max_length=4000, repr=False)]
    help_requested: bool = False
    source: Source | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone_named(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not a known IANA time zone: {value!r}") from None
        return value

    @field_validator("answers")
    @classmethod
    def _no_repeated_items(cls, answers: list[Answer]) -> list[Answer]:
        seen: set[tuple[str, int]] = set()
        for answer in answers:
            pair = (answer.instrument, answer.item)
            if pair in seen:
                raise ValueError(f"{answer.instrument} item {answer.item} is answered twice")
            seen.add(pair)
        return answers

    @field_validator("goals")
    @classmethod
    def _no_repeated_goals(cls, goals: list[GoalProgress]) -> list[GoalProgress]:
        ids = [g.goal_id for g in goals]
        if len(ids) != len(set(ids)):
            raise ValueError("a goal_id appears twice")
        return goals

    def answer(self, instrument: str, item: int) -> float | None:
        """The value given for one item, or None when it was not answered."""
        for a in self.answers:
            if a.instrument == instrument and a.item == item:
                return a.value
        return None

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)

    @property
    def local_date(self):
        """The calendar day of the check-in in the client's own timezone."""
        return self.occurred_at.astimezone(self.zone).date()


class CheckinSubmitted(_CheckinFields):
    """The event on `rapport.checkins.v1`; `event_id` is the idempotency key."""

    event_id: UUID

    def to_kafka(self) -> tuple[bytes, bytes]:
        """(key, value) as published: key is the client_id as text."""
        return str(self.client_id).encode(), self.model_dump_json().encode()


# `CheckinSubmitted.model_validate_json` without its Python-level wrapper, for the consumers that validate every
# record (detector, replay): the wrapper's keyword call costs about 4,000 instructions, a tenth of validating a
# short check-in (callgrind). Same result, same ValidationError.
validate_checkin_json = CheckinSubmitted.__pydantic_validator__.validate_json


class CheckinSubmission(_CheckinFields):
    """What a client app POSTs: like the event, but the gateway fills in a missing event_id."""

    event_id: UUID | None = None

    def to_event(self) -> CheckinSubmitted:
        data = self.model_dump()
        data["event_id"] = self.event_id or uuid4()
        return CheckinSubmitted.model_validate(data)


def parse_occurred_at(value: str) -> datetime:
    """Parse an RFC 3339 timestamp that must carry an offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset")
    return parsed
