"""Agreement statistics: the worked examples of prisma-spec.md 4.3, and scikit-learn parity.

Pure tests: no database (run with ``-p no:django`` too).
"""

import random

import pytest
from sklearn.metrics import cohen_kappa_score

from screening.agreement import (
    BINARY,
    EXCLUDE,
    FORWARD,
    INCLUDE,
    MAYBE,
    VERDICTS,
    FleissAgreement,
    cohen_kappa,
    confusion,
    fleiss_for,
    fleiss_kappa,
    fleiss_kappa_binary,
    fleiss_rows,
    forward,
    pabak,
    pairwise_agreement,
    percent_agreement,
)

I, M, E = INCLUDE, MAYBE, EXCLUDE  # noqa: E741 (the spec's own letters)


def _pairs_from_table(table, categories):
    """Expand a contingency table (rows = A, columns = B) into a list of (a, b) pairs."""
    pairs = []
    for i, a in enumerate(categories):
        for j, b in enumerate(categories):
            pairs.extend([(a, b)] * table[i][j])
    return pairs


# prisma-spec.md 4.3: 20 records, reviewer A (rows) and B (columns) in I/M/E order.
SPEC_TABLE = [[3, 1, 1], [1, 0, 1], [1, 1, 11]]
SPEC_PAIRS = _pairs_from_table(SPEC_TABLE, VERDICTS)
SPEC_BINARY = [(forward(a), forward(b)) for a, b in SPEC_PAIRS]


def _spec_votes():
    return {record: {"A": a, "B": b} for record, (a, b) in enumerate(SPEC_PAIRS, start=1)}


def test_confusion_spec_table_three_and_binary():
    assert confusion(SPEC_PAIRS, VERDICTS) == SPEC_TABLE
    assert confusion(SPEC_BINARY, BINARY) == [[5, 2], [2, 11]]


def test_confusion_unknown_label_raises():
    with pytest.raises(ValueError, match="'yes' is not one of the categories"):
        confusion([(I, "yes")], VERDICTS)


def test_cohen_kappa_spec_binary_is_51_over_91():
    kappa = cohen_kappa(SPEC_BINARY, BINARY)
    assert kappa == 51 / 91
    assert round(kappa, 6) == 0.560440


def test_cohen_kappa_spec_three_categories_is_41_over_101():
    kappa = cohen_kappa(SPEC_PAIRS, VERDICTS)
    assert kappa == 41 / 101
    assert round(kappa, 6) == 0.405941


def test_cohen_kappa_categories_default_to_labels_present():
    assert cohen_kappa(SPEC_PAIRS) == 41 / 101


def test_percent_agreement_and_pabak_spec():
    assert percent_agreement(SPEC_BINARY) == 0.80
    assert percent_agreement(SPEC_PAIRS) == 0.70
    assert pabak(SPEC_BINARY, 2) == pytest.approx(0.60, abs=1e-15)
    assert pabak(SPEC_PAIRS, 3) == pytest.approx(0.55, abs=1e-15)


def test_fleiss_kappa_spec_three_raters_is_11_over_20():
    include_votes = [3, 2, 0, 0, 0, 0, 1, 3, 0, 1]
    rows = [[k, 3 - k] for k in include_votes]
    assert fleiss_kappa(rows) == 11 / 20 == 0.55


def test_fleiss_kappa_binary_from_aggregated_counts():
    # Include-votes per record 3, 2, 0, 0, 0, 0, 1, 3, 0, 1 as {votes: records}.
    assert fleiss_kappa_binary({3: 2, 2: 1, 1: 2, 0: 5}, 3) == 11 / 20
    assert fleiss_kappa_binary({0: 4}, 3) is None
    assert fleiss_kappa_binary({}, 3) is None
    with pytest.raises(ValueError, match="2 records with 4 forward votes out of 3"):
        fleiss_kappa_binary({4: 2}, 3)


def test_fleiss_kappa_two_raters_equal_marginals_equals_cohen():
    rows = fleiss_rows(([a, b] for a, b in SPEC_BINARY), BINARY)
    assert fleiss_kappa(rows) == pytest.approx(51 / 91, abs=1e-15)


def test_fleiss_rows_from_label_lists():
    assert fleiss_rows([[I, E, E], [E, E, E]], [I, E]) == [[1, 2], [0, 3]]
    with pytest.raises(ValueError, match="'maybe' is not one of the categories"):
        fleiss_rows([[I, M]], [I, E])


def test_fleiss_kappa_rejects_uneven_rows():
    with pytest.raises(
        ValueError,
        match=r"Every item needs 3 ratings in 2 categories, like the first; not \(1, 1\)",
    ):
        fleiss_kappa([[1, 2], [1, 1]])


def test_prevalence_paradox_kappa_zero_pabak_090():
    pairs = [(E, E)] * 19 + [(FORWARD, E)]
    assert cohen_kappa(pairs, BINARY) == 0.0
    assert percent_agreement(pairs) == 0.95
    assert pabak(pairs, 2) == pytest.approx(0.90, abs=1e-15)


def test_undefined_kappa_is_none_not_nan():
    assert cohen_kappa([(E, E)] * 5, BINARY) is None
    assert cohen_kappa([], BINARY) is None
    assert percent_agreement([]) is None
    assert pabak([], 2) is None
    assert fleiss_kappa([[0, 3], [0, 3]]) is None
    assert fleiss_kappa([]) is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_cohen_kappa_matches_sklearn_on_random_data(seed):
    rng = random.Random(seed)
    n = rng.randint(5, 400)
    # Skewed towards exclude, like real screening, with some seeds close to agreement.
    weights = [rng.random(), rng.random(), 3 * rng.random()]
    a = rng.choices(VERDICTS, weights=weights, k=n)
    b = [x if rng.random() < 0.6 else rng.choices(VERDICTS, weights=weights)[0] for x in a]
    pairs = list(zip(a, b, strict=True))
    ours = cohen_kappa(pairs, VERDICTS)
    theirs = cohen_kappa_score(a, b, labels=list(VERDICTS))
    assert abs(ours - theirs) < 1e-12
    binary = [(forward(x), forward(y)) for x, y in pairs]
    ours_binary = cohen_kappa(binary, BINARY)
    theirs_binary = cohen_kappa_score([x for x, _ in binary], [y for _, y in binary])
    assert abs(ours_binary - theirs_binary) < 1e-12


def test_forward_maps_maybe_to_include():
    assert [forward(v) for v in VERDICTS] == [FORWARD, FORWARD, EXCLUDE]
    with pytest.raises(ValueError, match="Unknown verdict 'yes'"):
        forward("yes")


def test_pairwise_agreement_spec_example():
    (pair,) = pairwise_agreement(_spec_votes())
    assert (pair.reviewer_a, pair.reviewer_b, pair.n) == ("A", "B", 20)
    assert pair.table_2x2 == [[5, 2], [2, 11]]
    assert pair.table_3x3 == SPEC_TABLE
    assert round(pair.kappa_binary, 6) == 0.560440
    assert round(pair.kappa_three, 6) == 0.405941
    assert pair.percent_binary == 0.80
    assert pair.percent_three == 0.70
    assert pair.pabak_binary == pytest.approx(0.60, abs=1e-15)
    assert pair.pabak_three == pytest.approx(0.55, abs=1e-15)
    assert pair.prevalence_index == (5 - 11) / 20
    assert pair.bias_index == 0.0
    assert pair.conflicts == 4


def test_pairwise_agreement_prevalence_case():
    votes = {r: {"A": E, "B": E} for r in range(19)}
    votes[19] = {"A": I, "B": E}
    (pair,) = pairwise_agreement(votes)
    assert pair.table_2x2 == [[0, 1], [0, 19]]
    assert pair.kappa_binary == 0.0
    assert pair.pabak_binary == pytest.approx(0.90, abs=1e-15)
    assert pair.prevalence_index == -19 / 20
    assert pair.bias_index == 1 / 20


def test_pairwise_agreement_uses_only_records_both_screened():
    votes = {
        1: {"ann": I, "bob": I, "cy": E},
        2: {"ann": E, "bob": E},
        3: {"bob": M, "cy": M},
        4: {"ann": I},  # a single vote pairs with nobody
        5: {"cy": E, "ann": I},
    }
    result = {(p.reviewer_a, p.reviewer_b): p for p in pairwise_agreement(votes)}
    assert list(result) == [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]
    assert result[("ann", "bob")].n == 2
    assert result[("ann", "bob")].table_2x2 == [[1, 0], [0, 1]]
    assert result[("ann", "cy")].n == 2
    assert result[("ann", "cy")].table_2x2 == [[0, 2], [0, 0]]
    assert result[("bob", "cy")].n == 2
    assert result[("bob", "cy")].table_3x3 == [[0, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert result[("bob", "cy")].table_2x2 == [[1, 1], [0, 0]]


def test_pairwise_agreement_orders_numeric_reviewers_numerically():
    votes = {1: {10: I, 2: E}}
    (pair,) = pairwise_agreement(votes)
    assert (pair.reviewer_a, pair.reviewer_b) == (2, 10)
    assert pair.table_2x2 == [[0, 0], [1, 0]]


def test_pairwise_agreement_rejects_unknown_verdict():
    with pytest.raises(ValueError, match="Unknown verdict 'yes'"):
        pairwise_agreement({1: {"A": "yes", "B": I}})


def test_pairwise_agreement_empty():
    assert pairwise_agreement({}) == []


def test_fleiss_for_spec_three_raters():
    include_votes = [3, 2, 0, 0, 0, 0, 1, 3, 0, 1]
    votes = {}
    for record, k in enumerate(include_votes):
        verdicts = [I] * k + [E] * (3 - k)
        votes[record] = dict(zip(("r1", "r2", "r3"), verdicts, strict=True))
    # A maybe counts as include, an extra reviewer's vote is ignored, and a record that not
    # all three rated is left out.
    votes[0]["r1"] = M
    votes[1]["r4"] = E
    votes[99] = {"r1": I, "r2": E}
    result = fleiss_for(votes, ["r3", "r2", "r1"])
    assert result == FleissAgreement(reviewers=("r1", "r2", "r3"), n=10, kappa=11 / 20)


def test_fleiss_for_needs_three_reviewers():
    with pytest.raises(ValueError, match="needs 3 or more reviewers, not 2"):
        fleiss_for({}, ["a", "b"])


def test_fleiss_for_no_common_records():
    assert fleiss_for({1: {"a": I}}, ["a", "b", "c"]) == FleissAgreement(("a", "b", "c"), 0, None)


def test_fleiss_for_rejects_unknown_verdict():
    with pytest.raises(ValueError, match="Unknown verdict 'yes'"):
        fleiss_for({1: {"a": I, "b": "yes", "c": E}}, ["a", "b", "c"])
