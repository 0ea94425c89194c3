"""Request and response bodies of the gateway's HTTP API (documented in its OpenAPI)."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from services.gateway.config import CrisisLine


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path of the offending field, e.g. answers.0.value")
    message: str


class Problem(BaseModel):
    """Every 4xx/5xx body: what went wrong and, for invalid input, which fields."""

    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class SafetyResources(BaseModel):
    """Crisis lines the app shows at once after a risk answer, without waiting for a therapist."""

    region: str = Field(description="ISO 3166 country code inferred from the client's timezone, or '*'")
    reasons: list[str] = Field(description="which answers made this a risk check-in")
    message: str
    lines: list[CrisisLine]


class Accepted(BaseModel):
    """The check-in was written to Kafka (acks=all); resubmitting the same event_id returns this again."""

    event_id: str
    status: Literal["accepted"] = "accepted"
    safety_resources: SafetyResources | None = None


class BatchRequest(BaseModel):
    """Check-ins synced together, e.g. an offline phone's backlog; each item is judged on its own."""

    checkins: list[dict[str, Any]] = Field(
        min_length=1, description="check-in submissions (the CheckinSubmission schema), at most the configured limit"
    )


class BatchItemResult(BaseModel):
    index: int = Field(description="position of the item in the request")
    status: Literal["accepted", "rejected", "unavailable"]
    code: int = Field(description="the HTTP status this item would have had alone (202, 403, 409, 422, 503)")
    event_id: str | None = None
    safety_resources: SafetyResources | None = None
    errors: list[FieldProblem] = Field(default_factory=list)


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    unavailable: int = Field(description="items Kafka did not acknowledge: resubmit them after Retry-After")
    results: list[BatchItemResult]


class Plan(BaseModel):
    """The client's check-in plan agreed with the therapist."""

    client_id: str
    timezone: str
    plan: dict[str, Any] = Field(description="instruments, cadence and agreed goals")
