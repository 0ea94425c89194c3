"""What a check-in's answers put into its rows, memoised: the answers as JSON and one score per instrument.

Most check-ins repeat a few short answer sets (a daily mood item has eleven values), so the writer looks
them up instead of scoring again with `schemas.scoring` and serialising again. A hit returns exactly what a
miss computes: the key holds every field of every answer in order, and a zero keeps its sign (`-0.0 == 0.0`).
"""

import json

from pydantic import TypeAdapter

from schemas.checkin import Answer
from schemas.scoring import score_answers

ScoreFields = tuple[str, float | None, int, str]  # instrument, value, items_answered, detail as JSON
ANSWER_FIELDS = ("instrument", "item", "value")  # the key below; a test keeps it equal to Answer's fields
CACHE_LIMIT = 16_384  # answer sets remembered; short ones repeat, long ones rarely do

# Serialising through pydantic-core is several times faster than model_dump + json.dumps.
_ANSWERS = TypeAdapter(list[Answer])
_cache: dict[tuple, tuple[str, tuple[ScoreFields, ...]]] = {}
_compact_json = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps would build this encoder on every call


def answers_key(answers: list[Answer]) -> tuple:
    return tuple([(a.instrument, a.item, a.value or repr(a.value)) for a in answers])


def score_fields(answers: list[Answer]) -> tuple[ScoreFields, ...]:
    """One (instrument, value, items_answered, detail JSON) per instrument answered, by `schemas.scoring`."""
    return tuple((s.instrument, s.value, s.items_answered, _compact_json(s.detail) if s.detail else "{}")
                 for s in score_answers(answers).values())


def answers_and_scores(answers: list[Answer]) -> tuple[str, tuple[ScoreFields, ...]]:
    """(the answers as JSON, their score fields), from the cache when this answer set was seen before."""
    key = answers_key(answers)
    found = _cache.get(key)
    if found is None:
        found = (_ANSWERS.dump_json(answers).decode(), score_fields(answers))
        if len(_cache) >= CACHE_LIMIT:
            _cache.clear()
        _cache[key] = found
    return found


def forget() -> None:
    """Empty the cache, as in a freshly started writer (the benchmark starts every contender this way)."""
    _cache.clear()
