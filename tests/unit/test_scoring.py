"""Instrument scores against worked numbers; partial questionnaires are never guessed."""

import pytest

from schemas.checkin import Answer
from schemas.scoring import score_answers


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
