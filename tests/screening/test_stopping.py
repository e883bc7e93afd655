"""The Callaghan & Müller-Hansen (2020) stopping test, against prisma-spec.md section 5."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from screening.stopping import screened_since_last_include, stopping_test, urn_p_values

N = 10_000


def worked_example(trailing: int, *, arrangement: str = "seed1") -> np.ndarray:
    """200 relevant records, the last one the 2,996th screened, then `trailing` irrelevant
    ones. The other 199 relevant records are placed at random (seed 1) among the first 2,995,
    or all at the start."""
    labels = np.zeros(2_996 + trailing, dtype=np.int8)
    labels[2_995] = 1
    if arrangement == "seed1":
        others = np.random.default_rng(1).choice(2_995, 199, replace=False)
    else:
        others = np.arange(199)
    labels[others] = 1
    assert labels.sum() == 200
    return labels


def test_urn_p_value_worked_example_is_0_0245():
    labels = worked_example(2_004)
    p = urn_p_values(labels, N, 0.95)
    # Urn n = 2,004: k = 0, N_n = 7,004, K = floor(200 / 0.95 - 200 + 1) = 11.
    exact = Fraction(comb(6_993, 2_004), comb(7_004, 2_004))
    assert p[2_004 - 1] == pytest.approx(float(exact), rel=1e-9)
    assert round(p[2_004 - 1], 4) == 0.0245


@pytest.mark.parametrize("arrangement", ["seed1", "front"])
def test_stopping_test_worked_example_stops(arrangement):
    result = stopping_test(worked_example(2_004, arrangement=arrangement), N)
    assert result.p_value <= 0.02447
    assert result.can_stop is True
    assert result.n_screened == 5_000
    assert result.n_relevant == 200
    assert result.screened_since_last_include == 2_004


def test_stopping_test_worked_example_seed1_minimum_is_the_2004_urn():
    result = stopping_test(worked_example(2_004), N)
    assert round(result.p_value, 4) == 0.0245


def test_stopping_test_after_1004_trailing_irrelevant_continues():
    labels = worked_example(1_004)
    p = urn_p_values(labels, N, 0.95)
    assert round(p[1_004 - 1], 3) == 0.182
    result = stopping_test(labels, N)
    assert round(result.p_value, 3) == 0.182
    assert result.can_stop is False
    assert result.screened_since_last_include == 1_004


def test_stopping_test_sentence_when_stopped():
    result = stopping_test(worked_example(2_004), N)
    assert result.sentence() == (
        "Screening stopped after 5,000 of 10,000 records (50.0%), when the stopping criterion "
        "of Callaghan and Müller-Hansen (2020) indicated that recall of at least 95% was "
        "achieved with 95% confidence (p = 0.024)."
    )


def test_stopping_test_sentence_when_not_yet():
    result = stopping_test(worked_example(1_004), N)
    assert result.sentence() == (
        "After 4,000 of 10,000 records (40.0%) had been screened, the stopping criterion of "
        "Callaghan and Müller-Hansen (2020) did not yet indicate that recall of at least 95% "
        "was achieved with 95% confidence (p = 0.182)."
    )


def test_stopping_test_other_target_and_alpha_in_sentence():
    result = stopping_test(worked_example(2_004), N, recall_target=0.9, alpha=0.01)
    assert "recall of at least 90% was achieved with 99% confidence" in result.sentence()


def test_stopping_test_nothing_screened_cannot_stop():
    result = stopping_test([], 100)
    assert result.p_value == 1.0
    assert result.can_stop is False
    assert result.screened_since_last_include == 0


def test_stopping_test_everything_screened_can_stop():
    result = stopping_test([0, 1, 0, 0], 4)
    assert result.p_value == 0.0
    assert result.can_stop is True


def test_stopping_test_small_example_by_hand():
    # N = 20, screened 1, 1, 0, 0, 0: r = 2, K = floor(2 / 0.95 - 2 + k + 1) = 1 + k.
    # Urn n = 3 (k = 0, N_n = 18, K = 1): P(X = 0) = 15 / 18.
    p = urn_p_values([1, 1, 0, 0, 0], 20, 0.95)
    assert p[2] == pytest.approx(15 / 18)
    assert p[0] == pytest.approx(15 / 16)  # urn n = 1: N_n = 16, K = 1, P(X = 0) = 15/16


def test_screened_since_last_include():
    assert screened_since_last_include([0, 1, 0, 0]) == 2
    assert screened_since_last_include([0, 1]) == 0
    assert screened_since_last_include([0, 0, 0]) == 3


def test_stopping_test_rejects_more_screened_than_total():
    with pytest.raises(ValueError, match="only 2 in all"):
        stopping_test([0, 0, 1], 2)
