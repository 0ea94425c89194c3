"""What a check-in's answers put into its rows, memoised: the answers as JSON and one score per instrument.

Most check-ins repeat a few short answer sets (a daily mood item has eleven values), so the writer looks
them up instead of scoring again with `schemas.scoring` and serialising again. A hit returns exactly what a
miss computes: the key holds every field of every answer in order, and a zero keeps its sign (`-0.0 == 0.0`).
"""

import json

from pydantic import TypeAdapter

from schemas.checkin import Answer
from schemas.scoring import Score, score_instrument

ScoreFields = tuple[str, float | None, int, str]  # instrument, value, items_answered, detail as JSON
ANSWER_FIELDS = ("instrument", "item", "value")  # the key below; a test keeps it equal to Answer's fields
CACHE_LIMIT = 16_384  # answer sets remembered; short ones repeat, long ones rarely do

_ANSWER = TypeAdapter(Answer)  # serialising through pydantic-core: several times faster than model_dump + json.dumps
_cache: dict[tuple, tuple[str, tuple[ScoreFields, ...]]] = {}  # whole answer sets
_answer_json: dict[tuple, str] = {}  # one answer's key -> its JSON
_instrument_scores: dict[tuple, ScoreFields] = {}  # one instrument's answer keys, in order -> its score fields
_compact_json = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps would build this encoder on every call


def answers_key(answers: list[Answer]) -> tuple:
    return tuple([(a.instrument, a.item, a.value or repr(a.value)) for a in answers])


def _fields(score: Score) -> ScoreFields:
    """(instrument, value, items_answered, detail JSON) of one instrument's score."""
    return score.instrument, score.value, score.items_answered, _compact_json(score.detail) if score.detail else "{}"


def answers_and_scores(answers: list[Answer]) -> tuple[str, tuple[ScoreFields, ...]]:
    """(the answers as JSON, their score fields), from the cache when this answer set was seen before."""
    key = answers_key(answers)
    found = _cache.get(key)
    return found if found is not None else _remember(_cache, key, _compose(answers, key))


def _compose(answers: list[Answer], key: tuple) -> tuple[str, tuple[ScoreFields, ...]]:
    """A new answer set from known parts: each answer's JSON, and each instrument's items scored before.

    A set is new when any answer differs (an SRS has four items of a tenth each), but its answers and most of
    its instruments were seen in other sets: only the parts never seen are serialised or scored. The known parts
    are found by the answers' keys, without reading the answers again (a field read is a Python-level call).
    """
    fragments, groups = [], {}
    for answer, answer_key in zip(answers, key):
        fragment = _answer_json.get(answer_key)
        fragments.append(fragment if fragment is not None
                         else _remember(_answer_json, answer_key, _ANSWER.dump_json(answer).decode()))
        group = groups.get(answer_key[0])
        if group is None:
            groups[answer_key[0]] = [answer_key]
        else:
            group.append(answer_key)
    scores = []
    for instrument in sorted(groups):
        group = tuple(groups[instrument])
        fields = _instrument_scores.get(group)
        if fields is None:
            items = {a.item: a.value for a in answers if a.instrument == instrument}
            fields = _remember(_instrument_scores, group, _fields(score_instrument(instrument, items)))
        scores.append(fields)
    return "[" + ",".join(fragments) + "]", tuple(scores)


def _remember(cache: dict, key, value):
    """Store and return `value`; a full cache starts again empty (the sets in use come back at once)."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def forget() -> None:
    """Empty the cache, as in a freshly started writer (the benchmark starts every contender this way)."""
    _cache.clear()
    _answer_json.clear()
    _instrument_scores.clear()
