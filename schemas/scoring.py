"""Scoring of every v1 instrument: pure functions from answers to scores.

A total needs all of its items: a partial questionnaire is reported as incomplete,
never guessed. Sub-scores that need fewer items (PHQ-2, GAD-2, PHQ-9 item 9) are
reported whenever their own items are present.
"""

from collections.abc import Sequence
from typing import NamedTuple

from schemas.checkin import Answer
from schemas.instruments import REGISTRY


class Score(NamedTuple):
    """The score of one instrument in one check-in; `value` is None when items are missing.

    A named tuple: built for every instrument of every check-in the detector and the timeline see, and a
    tuple is built several times faster than a frozen dataclass.
    """

    instrument: str
    value: float | None
    items_answered: int
    detail: dict[str, float]  # sub-scores (PHQ-2, item 9, ...); empty when the instrument has none

    @property
    def complete(self) -> bool:
        return self.value is not None


_new_score = tuple.__new__  # Score(...) runs the named tuple's Python-level __new__; this is the same tuple, built in C
SHORT_FORM_ITEMS = 2  # PHQ-2 and GAD-2: the first two items of PHQ-9 and GAD-7
_UP_TO = {n: frozenset(range(1, n + 1)) for n in {SHORT_FORM_ITEMS, *(i.items for i in REGISTRY.values())}}
BRS_REVERSED_ITEMS = (2, 4, 6)
CSSRS_HIGHEST_RISK_ITEMS = (3, 4, 5, 6)


def _all(items: dict[int, float], count: int) -> bool:
    """Items 1..count all answered: a set comparison in C (a generator expression costs a frame step per item)."""
    return items.keys() >= (_UP_TO.get(count) or frozenset(range(1, count + 1)))


def _subtotal(items: dict[int, float], count: int) -> float | None:
    """The sum of items 1..count, or None when one of them is missing."""
    return sum(map(items.__getitem__, range(1, count + 1))) if _all(items, count) else None


def score_brs(items: dict[int, float]) -> float | None:
    """Brief Resilience Scale (Smith 2008): mean of 6 items, items 2, 4 and 6 reversed (6 - x)."""
    if not _all(items, 6):
        return None
    adjusted = [6 - v if i in BRS_REVERSED_ITEMS else v for i, v in items.items()]
    return round(sum(adjusted) / 6, 4)


def score_instrument(instrument: str, items: dict[int, float]) -> Score:
    """The score of one instrument from its answered items (item number -> value, in answer order)."""
    count = REGISTRY[instrument].items
    detail: dict[str, float] = {}
    if instrument == "brs":
        value = score_brs(items)
    elif instrument in ("phq9", "gad7"):
        value = float(sum(items.values())) if _all(items, count) else None
        short = _subtotal(items, SHORT_FORM_ITEMS)
        if short is not None:
            detail["phq2" if instrument == "phq9" else "gad2"] = short
        if instrument == "phq9" and 9 in items:
            detail["item9"] = items[9]
    elif instrument == "cssrs":
        yes = [i for i, v in sorted(items.items()) if v >= 1]
        detail["yes_items"] = float(len(yes))
        detail["highest_risk"] = float(any(i in CSSRS_HIGHEST_RISK_ITEMS for i in yes))
        value = float(len(yes)) if items else None
    elif instrument in ("srs", "ors"):
        value = round(sum(items.values()), 1) if _all(items, count) else None
    else:  # single-item instruments: mood, sleep
        value = float(items[1]) if 1 in items else None
    return _new_score(Score, (instrument, value, len(items), detail))


_SINGLE_ITEM = frozenset(name for name, instrument in REGISTRY.items() if instrument.items == 1)


def score_answers(answers: Sequence[Answer]) -> dict[str, Score]:
    """Score every instrument present in a check-in's answers (in name order); read twice, so a sequence."""
    single: dict[str, Score] = {}
    for a in answers:  # most check-ins answer only single-item instruments (mood, sleep): score them directly
        name = a.instrument
        if name not in _SINGLE_ITEM or name in single:
            break
        single[name] = _new_score(Score, (name, float(a.value), 1, {}))
    else:
        if len(single) == 2:  # mood and sleep: put in name order without sorted() and a comprehension
            (first, first_score), (second, second_score) = single.items()
            return single if first < second else {second: second_score, first: first_score}
        return single if len(single) < 2 else {name: single[name] for name in sorted(single)}
    grouped: dict[str, dict[int, float]] = {}
    for a in answers:
        items = grouped.get(a.instrument)
        if items is None:
            grouped[a.instrument] = {a.item: a.value}
        else:
            items[a.item] = a.value
    return {name: score_instrument(name, grouped[name]) for name in sorted(grouped)}
