"""Instrument scores against worked numbers; partial questionnaires are never guessed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.checkin import Answer
from schemas.scoring import Score, score_answers, score_instrument


def answers(instrument: str, values: list[float], start: int = 1) -> list[Answer]:
    return [Answer(instrument=instrument, item=i, value=v) for i, v in enumerate(values, start)]


def test_brs_reverses_items_2_4_6():
    assert score_answers(answers("brs", [4, 2, 4, 2, 4, 2]))["brs"].value == 4.0
    assert score_answers(answers("brs", [1, 5, 1, 5, 1, 5]))["brs"].value == 1.0
    assert score_answers(answers("brs", [5, 1, 5, 1, 5, 1]))["brs"].value == 5.0


def test_partial_brs_has_no_score():
    score = score_answers(answers("brs", [4, 2, 4, 2, 4]))["brs"]
    assert score.value is None and not score.complete and score.items_answered == 5


def test_phq9_total_phq2_and_item9():
    score = score_answers(answers("phq9", [2, 1, 0, 0, 1, 0, 0, 0, 2]))["phq9"]
    assert score.value == 6 and score.detail == {"phq2": 3, "item9": 2}


def test_phq9_item9_alone_is_reported_without_a_total():
    score = score_answers(answers("phq9", [1], start=9))["phq9"]
    assert score.value is None and score.detail["item9"] == 1


def test_phq2_and_gad2_need_both_of_their_items():
    assert score_answers(answers("phq9", [2, 3]))["phq9"].detail == {"phq2": 5}
    assert score_answers(answers("phq9", [2]))["phq9"].detail == {}
    assert score_answers(answers("gad7", [1], start=2))["gad7"].detail == {}


def test_gad7_total_and_gad2():
    score = score_answers(answers("gad7", [3, 2, 1, 0, 0, 0, 1]))["gad7"]
    assert score.value == 7 and score.detail["gad2"] == 5


@pytest.mark.parametrize("values, highest", [([1, 1, 0, 0, 0, 0], 0.0), ([1, 1, 1, 0, 0, 0], 1.0), ([0, 0, 0, 0, 0, 1], 1.0)])
def test_cssrs_highest_risk_items(values, highest):
    assert score_answers(answers("cssrs", values))["cssrs"].detail["highest_risk"] == highest


def test_srs_ors_totals_and_single_items():
    scored = score_answers(answers("srs", [9.1, 8.5, 9.0, 7.2]) + answers("ors", [5, 5, 5]) + answers("mood", [3]))
    assert scored["srs"].value == pytest.approx(33.8)
    assert scored["ors"].value is None
    assert scored["mood"].value == 3


single_item_answers = st.lists(
    st.sampled_from([("mood", st.integers(0, 10)), ("sleep", st.integers(0, 2400).map(lambda v: v / 100))]).flatmap(
        lambda pick: pick[1].map(lambda value: Answer(instrument=pick[0], item=1, value=value))),
    min_size=1, max_size=3)


@given(single_item_answers, st.booleans())
def test_single_item_check_ins_score_as_each_instrument_alone(answered, with_brs):
    """The shortcut for check-ins of mood and sleep only gives what scoring each instrument gives, in name order.

    A repeated instrument (invalid in a check-in, possible in a bare list) and a multi-item instrument take the
    general path; the result is the same either way.
    """
    if with_brs:
        answered = answered + answers("brs", [4, 2, 4, 2, 4, 2])
    grouped: dict[str, dict[int, float]] = {}
    for a in answered:
        grouped.setdefault(a.instrument, {})[a.item] = a.value
    scored = score_answers(answered)
    assert list(scored) == sorted(grouped)
    assert scored == {name: score_instrument(name, items) for name, items in grouped.items()}
    assert all(type(score) is Score for score in scored.values())
