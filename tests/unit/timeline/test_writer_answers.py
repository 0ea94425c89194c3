"""The memoised answers of the writer: a cache hit is exactly what `schemas.scoring` and a fresh dump give."""

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from schemas.checkin import Answer
from schemas.instruments import REGISTRY
from schemas.scoring import score_answers
from services.timeline import answers
from services.timeline.answers import ANSWER_FIELDS, answers_and_scores


@st.composite
def answer_sets(draw) -> list[Answer]:
    """Distinct (instrument, item) pairs with in-range values, zeros of either sign included."""
    chosen = []
    for name in draw(st.lists(st.sampled_from(sorted(REGISTRY)), min_size=1, max_size=3, unique=True)):
        instrument = REGISTRY[name]
        for item in draw(st.lists(st.integers(1, instrument.items), min_size=1, max_size=instrument.items, unique=True)):
            value = draw(st.integers(int(instrument.min_value), int(instrument.max_value)).map(float)
                         | st.sampled_from([0.0, -0.0]).filter(lambda v: instrument.min_value == 0))
            chosen.append(Answer(instrument=name, item=item, value=value))
    return chosen


def fresh(given_answers: list[Answer]) -> tuple:
    """What the writer stores for these answers, computed afresh: the list dumped whole, every score by scoring."""
    scores = tuple((s.instrument, s.value, s.items_answered, json.dumps(s.detail, separators=(",", ":")) if s.detail
                    else "{}") for s in score_answers(given_answers).values())
    return TypeAdapter(list[Answer]).dump_json(given_answers).decode(), scores


@settings(max_examples=300, deadline=None)
@given(first=answer_sets(), second=answer_sets())
def test_a_cached_answer_set_gives_what_scoring_it_afresh_gives(first, second):
    for given_answers in (first, second, first, second):  # the repeats are cache hits
        assert answers_and_scores(given_answers) == fresh(given_answers)


def test_negative_zero_keeps_its_own_entry():
    positive, negative = [Answer(instrument="mood", item=1, value=0.0)], [Answer(instrument="mood", item=1, value=-0.0)]
    assert answers_and_scores(positive) == fresh(positive)
    assert answers_and_scores(negative) == fresh(negative) and "-0.0" in answers_and_scores(negative)[0]


def test_the_cache_key_covers_every_field_of_an_answer():
    fields = tuple(f.name for f in dataclasses.fields(Answer))
    assert fields == ANSWER_FIELDS, "a new Answer field must become part of the cache key"


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(answers, "CACHE_LIMIT", 5)
    answers._cache.clear()
    for value in range(11):
        answers_and_scores([Answer(instrument="mood", item=1, value=value)])
    assert len(answers._cache) <= 5
