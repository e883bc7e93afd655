"""When to stop prioritised screening: the statistical stopping criterion of Callaghan and
Müller-Hansen (2020), "Statistical stopping criteria for automated screening in systematic
reviews", Systematic Reviews 9:273, doi:10.1186/s13643-020-01521-4. Pure Python, no Django.

The test (prisma-spec.md section 5; the formula of the authors' buscarpy ``calculate_h0``,
unbiased urns) rejects the hypothesis "recall < τ" at confidence 1 − α. With the screening
order ``labels[0..n_seen-1]`` (1 = relevant), ``r`` relevant records found and ``N`` records in
all, each urn is the last ``n`` screened records (n = 1..n_seen), taken as a random sample
from themselves plus the unscreened records:

* ``k_n`` = relevant records among the last n;
* ``K̂_n = ⌊r/τ − (r − k_n) + 1⌋``, the fewest relevant records that population would hold
  if recall were below τ;
* ``N_n = N − (n_seen − n)``, the population's size;
* ``p_n = P(X ≤ k_n)`` for X ~ Hypergeometric(N_n, K̂_n, n).

``p = min_n p_n``; recall ≥ τ is claimed when ``p < α``. When ``K̂_n > N_n`` the hypothesis is
impossible for that urn (the population cannot hold that many relevant records; this happens
once everything is screened) and ``p_n = 0``. With nothing screened, p = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import hypergeom

RECALL_TARGET = 0.95
ALPHA = 0.05


def screened_since_last_include(labels) -> int:
    """Records screened after the most recent relevant one (all of them if none was found)."""
    labels = np.asarray(labels, dtype=np.int64)
    found = np.flatnonzero(labels == 1)
    return int(len(labels) - (found[-1] + 1)) if len(found) else len(labels)


def urn_p_values(labels, n_total: int, recall_target: float = RECALL_TARGET) -> np.ndarray:
    """p_n for every urn: element n - 1 is the p-value of the urn of the last n records."""
    labels = np.asarray(labels, dtype=np.int64)
    n_seen = len(labels)
    if n_seen > n_total:
        raise ValueError(f"{n_seen} records screened but only {n_total} in all.")
    if not 0 < recall_target <= 1:
        raise ValueError("The recall target must be in (0, 1].")
    if n_seen == 0:
        return np.ones(0)
    r_seen = int(labels.sum())
    in_urn = np.cumsum(labels[::-1])  # k_n, n = 1..n_seen
    urn_sizes = np.arange(1, n_seen + 1)
    k_hat = np.floor(r_seen / recall_target - (r_seen - in_urn) + 1).astype(np.int64)
    population = n_total - (n_seen - urn_sizes)
    impossible = k_hat > population
    p = np.zeros(n_seen)
    ok = ~impossible
    p[ok] = hypergeom.cdf(in_urn[ok], population[ok], k_hat[ok], urn_sizes[ok])
    return np.clip(p, 0.0, 1.0)


@dataclass(frozen=True)
class StoppingTest:
    """The stopping test's verdict for a screening order so far."""

    n_screened: int
    n_total: int
    n_relevant: int
    screened_since_last_include: int
    recall_target: float
    alpha: float
    p_value: float

    @property
    def can_stop(self) -> bool:
        """Whether recall >= the target can be claimed at confidence 1 - alpha."""
        return self.p_value < self.alpha

    @property
    def confidence(self) -> float:
        return 1 - self.alpha

    def p_text(self) -> str:
        return "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"

    def sentence(self) -> str:
        """A ready sentence for the methods section of a review."""
        share = 100 * self.n_screened / self.n_total if self.n_total else 0.0
        criterion = "the stopping criterion of Callaghan and Müller-Hansen (2020)"
        claim = (
            f"recall of at least {_percent(self.recall_target)} was achieved with "
            f"{_percent(self.confidence)} confidence ({self.p_text()})"
        )
        if self.can_stop:
            return (
                f"Screening stopped after {self.n_screened:,} of {self.n_total:,} records "
                f"({share:.1f}%), when {criterion} indicated that {claim}."
            )
        return (
            f"After {self.n_screened:,} of {self.n_total:,} records ({share:.1f}%) had been "
            f"screened, {criterion} did not yet indicate that {claim}."
        )


def _percent(value: float) -> str:
    return f"{100 * value:.10g}%"


def stopping_test(
    labels, n_total: int, *, recall_target: float = RECALL_TARGET, alpha: float = ALPHA
) -> StoppingTest:
    """Run the stopping test on the labels (1 relevant, 0 not) in the order screened so far,
    out of n_total records in all (screened or not)."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1).")
    labels = np.asarray(labels, dtype=np.int64)
    p_values = urn_p_values(labels, n_total, recall_target)
    return StoppingTest(
        n_screened=len(labels),
        n_total=n_total,
        n_relevant=int(labels.sum()),
        screened_since_last_include=screened_since_last_include(labels),
        recall_target=recall_target,
        alpha=alpha,
        p_value=float(p_values.min()) if len(p_values) else 1.0,
    )
