"""Export the JSON Schema of every v1 contract to `schemas/json/` (committed; a test keeps it fresh)."""

import json
import sys
from pathlib import Path

from schemas.alert import AlertEvent
from schemas.checkin import CheckinSubmission, CheckinSubmitted
from schemas.signal import SignalDetected

JSON_DIR = Path(__file__).parent / "json"

CONTRACTS = {
    "checkin.submitted.v1.json": CheckinSubmitted,
    "checkin.submission.v1.json": CheckinSubmission,
    "signal.detected.v1.json": SignalDetected,
    "alert.lifecycle.v1.json": AlertEvent,
}


def render() -> dict[str, str]:
    """File name -> JSON Schema text, deterministic."""
    return {
        name: json.dumps(model.model_json_schema(mode="validation"), indent=2, sort_keys=True) + "\n"
        for name, model in CONTRACTS.items()
    }


def main() -> None:
    JSON_DIR.mkdir(exist_ok=True)
    for name, text in render().items():
        (JSON_DIR / name).write_text(text)
        print(f"wrote {JSON_DIR / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
