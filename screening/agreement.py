"""Inter-rater agreement for title/abstract screening. Pure Python, no Django.

Definitions follow prisma-spec.md section 4:

* Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` with each rater's own marginals;
* PABAK ``(k * p_o - 1) / (k - 1)`` (Byrt, Bishop & Carlin 1993);
* Fleiss' kappa for m raters per item (Fleiss 1971);
* prevalence index ``(a - d) / N`` and bias index ``(b - c) / N`` of the 2x2 table
  ``[[a, b], [c, d]]`` (rows: reviewer A, columns: reviewer B, first row/column "forward").

Verdicts are ``"include"``, ``"maybe"`` and ``"exclude"``. For the binary statistics a maybe
counts as include, as in Covidence: both move a record forward.

Statistics are computed with exact integer arithmetic and one final division, so worked
examples come out exactly (51/91, 41/101, 11/20). A statistic that is undefined (no items, or
``p_e = 1`` because both raters used one and the same category) is ``None``, never ``nan``.
"""

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

INCLUDE = "include"
MAYBE = "maybe"
EXCLUDE = "exclude"
VERDICTS = (INCLUDE, MAYBE, EXCLUDE)

FORWARD = "forward"
BINARY = (FORWARD, EXCLUDE)


def forward(verdict: str) -> str:
    """Map a three-way verdict to the binary scale: include and maybe move a record forward."""
    if verdict == EXCLUDE:
        return EXCLUDE
    if verdict in (INCLUDE, MAYBE):
        return FORWARD
    raise ValueError(f"Unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}.")


# --- statistics on a k x k contingency table -------------------------------------------------


def _table_n(table: Sequence[Sequence[int]]) -> int:
    return sum(sum(row) for row in table)


def _kappa_from_table(table: Sequence[Sequence[int]]) -> float | None:
    # kappa = (N * agree - sum_i r_i c_i) / (N^2 - sum_i r_i c_i), all integers.
    n = _table_n(table)
    k = len(table)
    agree = sum(table[i][i] for i in range(k))
    rows = [sum(table[i]) for i in range(k)]
    cols = [sum(table[i][j] for i in range(k)) for j in range(k)]
    chance = sum(r * c for r, c in zip(rows, cols, strict=True))
    denominator = n * n - chance
    if n == 0 or denominator == 0:
        return None
    return (n * agree - chance) / denominator


def _agreement_from_table(table: Sequence[Sequence[int]]) -> float | None:
    n = _table_n(table)
    if n == 0:
        return None
    return sum(table[i][i] for i in range(len(table))) / n


def _pabak_from_table(table: Sequence[Sequence[int]]) -> float | None:
    n = _table_n(table)
    k = len(table)
    if n == 0 or k < 2:
        return None
    agree = sum(table[i][i] for i in range(k))
    return (k * agree - n) / (n * (k - 1))


# --- public functions on (a, b) label pairs ---------------------------------------------------


def confusion(pairs: Iterable[tuple[Hashable, Hashable]], categories: Sequence) -> list[list[int]]:
    """The k x k table of counts: row = first rater's label, column = second rater's label."""
    index = {category: i for i, category in enumerate(categories)}
    if len(index) != len(categories):
        raise ValueError("Categories must be distinct.")
    table = [[0] * len(categories) for _ in categories]
    for a, b in pairs:
        try:
            table[index[a]][index[b]] += 1
        except KeyError:
            unknown = a if a not in index else b
            raise ValueError(
                f"Label {unknown!r} is not one of the categories {list(categories)!r}."
            ) from None
    return table


def _categories_of(pairs: Sequence[tuple[Hashable, Hashable]]) -> list:
    seen = dict.fromkeys(label for pair in pairs for label in pair)
    try:
        return sorted(seen)
    except TypeError:
        return list(seen)


def cohen_kappa(
    pairs: Iterable[tuple[Hashable, Hashable]], categories: Sequence | None = None
) -> float | None:
    """Cohen's kappa for two raters; ``None`` when undefined (no pairs, or p_e = 1).

    ``categories`` defaults to the labels that occur; passing them only matters for the error
    raised on an unexpected label (unused categories do not change kappa).
    """
    pairs = list(pairs)
    if categories is None:
        categories = _categories_of(pairs)
    return _kappa_from_table(confusion(pairs, categories))


def percent_agreement(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Observed agreement p_o as a proportion from 0 to 1 (x 100 to show a percentage)."""
    pairs = list(pairs)
    if not pairs:
        return None
    return sum(1 for a, b in pairs if a == b) / len(pairs)


def pabak(pairs: Iterable[tuple[Hashable, Hashable]], k: int) -> float | None:
    """Prevalence- and bias-adjusted kappa for k categories: ``(k * p_o - 1) / (k - 1)``."""
    if k < 2:
        raise ValueError(f"PABAK needs at least 2 categories, not {k}.")
    pairs = list(pairs)
    if not pairs:
        return None
    agree = sum(1 for a, b in pairs if a == b)
    return (k * agree - len(pairs)) / (len(pairs) * (k - 1))


def fleiss_kappa(rows: Iterable[Sequence[int]]) -> float | None:
    """Fleiss' kappa from per-item category counts (each row sums to the same m >= 2).

    ``rows[i][j]`` is the number of raters who put item i in category j. Returns ``None`` when
    undefined (no items, or every rating in one category).
    """
    distinct = Counter(tuple(row) for row in rows)
    if not distinct:
        return None
    first = next(iter(distinct))
    width, m = len(first), sum(first)
    if m < 2:
        raise ValueError(f"Fleiss' kappa needs at least 2 ratings per item, not {m}.")
    for row in distinct:
        if len(row) != width or sum(row) != m or min(row) < 0:
            raise ValueError(
                f"Every item needs {m} ratings in {width} categories, like the first; not {row}."
            )
    return _fleiss(distinct, m)


def _fleiss(distinct: Counter, m: int) -> float | None:
    # distinct: row (category counts) -> number of items with that row.
    n = sum(distinct.values())
    total = n * m
    squares = sum(times * sum(c * c for c in row) for row, times in distinct.items())
    width = len(next(iter(distinct)))
    columns = [sum(times * row[j] for row, times in distinct.items()) for j in range(width)]
    column_squares = sum(c * c for c in columns)
    # kappa = (P - Pe) / (1 - Pe) with P = (squares - N m) / (N m (m - 1)) and
    # Pe = column_squares / (N m)^2; multiplied out by (N m)^2 (m - 1) to stay in integers.
    numerator = (squares - total) * total - (m - 1) * column_squares
    denominator = (m - 1) * (total * total - column_squares)
    if denominator == 0:
        return None
    return numerator / denominator


def fleiss_rows(items: Iterable[Sequence[Hashable]], categories: Sequence) -> list[list[int]]:
    """Turn per-item label lists (``[["include", "exclude", "exclude"], ...]``) into count rows."""
    index = {category: i for i, category in enumerate(categories)}
    rows = []
    for labels in items:
        row = [0] * len(categories)
        for label in labels:
            if label not in index:
                raise ValueError(
                    f"Label {label!r} is not one of the categories {list(categories)!r}."
                )
            row[index[label]] += 1
        rows.append(row)
    return rows


# --- reviewers and their verdicts --------------------------------------------------------------


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two reviewers over the records both screened.

    ``table_2x2`` is ``[[a, b], [c, d]]``: rows are reviewer A, columns reviewer B, first
    row/column include-or-maybe, second exclude. ``table_3x3`` is in VERDICTS order.
    Proportions are from 0 to 1; any statistic is ``None`` when undefined.
    """

    reviewer_a: Hashable
    reviewer_b: Hashable
    n: int
    table_2x2: list[list[int]]
    table_3x3: list[list[int]]
    kappa_binary: float | None
    kappa_three: float | None
    percent_binary: float | None
    percent_three: float | None
    pabak_binary: float | None
    pabak_three: float | None
    prevalence_index: float | None
    bias_index: float | None

    @property
    def conflicts(self) -> int:
        """Records where one reviewer moved the record forward and the other excluded it."""
        return self.table_2x2[0][1] + self.table_2x2[1][0]


@dataclass(frozen=True)
class FleissAgreement:
    """Fleiss' kappa (forward vs exclude) over the n records every one of ``reviewers`` rated."""

    reviewers: tuple
    n: int
    kappa: float | None


def _ordered(reviewers: Iterable[Hashable]) -> list:
    reviewers = list(dict.fromkeys(reviewers))
    try:
        return sorted(reviewers)
    except TypeError:
        return sorted(reviewers, key=repr)


def _verdict_index(verdict: str) -> int:
    try:
        return VERDICTS.index(verdict)
    except ValueError:
        raise ValueError(
            f"Unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}."
        ) from None


def _collapse(table3: list[list[int]]) -> list[list[int]]:
    # include and maybe (indices 0, 1) -> forward (0); exclude (2) -> exclude (1).
    groups = ((0, 1), (2,))
    return [[sum(table3[i][j] for i in rows for j in cols) for cols in groups] for rows in groups]


def pair_agreement(
    reviewer_a: Hashable, reviewer_b: Hashable, table_3x3: list[list[int]]
) -> PairAgreement:
    """All statistics for one pair from their 3x3 verdict table (rows A, columns B, VERDICTS
    order), e.g. counted in SQL."""
    table2 = _collapse(table_3x3)
    n = _table_n(table_3x3)
    (a, b), (c, d) = table2
    return PairAgreement(
        reviewer_a=reviewer_a,
        reviewer_b=reviewer_b,
        n=n,
        table_2x2=table2,
        table_3x3=[list(row) for row in table_3x3],
        kappa_binary=_kappa_from_table(table2),
        kappa_three=_kappa_from_table(table_3x3),
        percent_binary=_agreement_from_table(table2),
        percent_three=_agreement_from_table(table_3x3),
        pabak_binary=_pabak_from_table(table2),
        pabak_three=_pabak_from_table(table_3x3),
        prevalence_index=(a - d) / n if n else None,
        bias_index=(b - c) / n if n else None,
    )


def pairwise_agreement(
    votes: Mapping[Hashable, Mapping[Hashable, str]],
) -> list[PairAgreement]:
    """Agreement for every pair of reviewers who screened at least one record in common.

    ``votes`` maps record id -> {reviewer: verdict}. Each pair is compared over the records
    both screened. Pairs are ordered by reviewer (sorted), and reviewer_a < reviewer_b.
    """
    # Count (reviewer, verdict) pairs as they come, then orient and tabulate the few distinct
    # keys: fast for 100,000 records.
    seen: Counter = Counter()
    for record_votes in votes.values():
        if len(record_votes) == 2:
            seen[tuple(record_votes.items())] += 1
        elif len(record_votes) > 2:
            seen.update(combinations(record_votes.items(), 2))
    order = {r: i for i, r in enumerate(_ordered(r for pair in seen for r, _ in pair))}
    tables: dict[tuple, list[list[int]]] = {}
    for ((first, v1), (second, v2)), times in seen.items():
        if order[first] > order[second]:
            first, v1, second, v2 = second, v2, first, v1
        table = tables.setdefault((first, second), [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
        table[_verdict_index(v1)][_verdict_index(v2)] += times
    pairs = sorted(tables, key=lambda pair: (order[pair[0]], order[pair[1]]))
    return [pair_agreement(a, b, tables[(a, b)]) for a, b in pairs]


_FORWARDS = {INCLUDE: 1, MAYBE: 1, EXCLUDE: 0}


def fleiss_for(
    votes: Mapping[Hashable, Mapping[Hashable, str]], reviewers: Iterable[Hashable]
) -> FleissAgreement:
    """Fleiss' kappa, forward vs exclude, over the records rated by every one of ``reviewers``.

    Votes by other reviewers on those records are ignored, so every item has the same raters.
    """
    reviewers = tuple(_ordered(reviewers))
    m = len(reviewers)
    if m < 3:
        raise ValueError(f"Fleiss' kappa here needs 3 or more reviewers, not {m}.")
    forwarded: Counter = Counter()  # number of forward votes -> number of records
    for record_votes in votes.values():
        try:
            verdicts = [record_votes[r] for r in reviewers]
        except KeyError:
            continue
        try:
            forwarded[sum(_FORWARDS[v] for v in verdicts)] += 1
        except KeyError:
            for verdict in verdicts:
                forward(verdict)  # raises with the message
    return FleissAgreement(
        reviewers=reviewers,
        n=sum(forwarded.values()),
        kappa=fleiss_kappa_binary(forwarded, m),
    )


def fleiss_kappa_binary(forwarded: Mapping[int, int], raters: int) -> float | None:
    """Fleiss' kappa, forward vs exclude, from ``{number of forward votes: number of records}``.

    For counts aggregated in SQL: each record was rated by the same ``raters`` reviewers.
    """
    if raters < 2:
        raise ValueError(f"Fleiss' kappa needs at least 2 ratings per item, not {raters}.")
    distinct = Counter()
    for k, times in forwarded.items():
        if not 0 <= k <= raters or times < 0:
            raise ValueError(f"{times} records with {k} forward votes out of {raters}?")
        if times:
            distinct[(k, raters - k)] += times
    return _fleiss(distinct, raters) if distinct else None
