"""Relevance ranking for title/abstract screening. Pure Python (scikit-learn), no Django.

Features. TF-IDF of the title and abstract: word unigrams and bigrams, sublinear term
frequency, rows L2-normalised, fitted (unsupervised) on all of a review's records.
build_matrix() returns the vectorizer and the matrix, so the product can cache the matrix per
review and reuse it for every retrain, rebuilding it only when records are added.

Model. A linear SVM (LinearSVC, hinge loss, C = 0.1) with class balancing: the includes weigh
10 times as much as the excludes in total (include_weight = 10; scikit-learn's "balanced" is
1). Scores are the SVM's decision values; the product screens the highest first.

How it was chosen (benchmarks/results/ranking_model_selection.md, `python -m
benchmarks.bench_ranking --select`): every candidate was run through the product's protocol
(screening/simulation.py: 1 random include + 1 random exclude, retrain after every 10
labels) on all four labelled datasets (NSAIDS, ProtonPumpInhibitors, Antihistamines,
Nagtegaal_2019; label_included), seeds 1-3, with the same settings everywhere. Candidates:
LinearSVC with squared hinge (C 0.1 and 1) and hinge loss (C 0.1 and 0.3), SGD hinge
(alpha 1e-4), logistic regression (C 1), multinomial naive Bayes (alpha 3.822, ASReview's)
and complement naive Bayes (alpha 0.1 and 1), each with include weight 1 (balanced) and, for
the SVMs, SGD and logistic regression, 10 (close to ASReview ELAS u4's 9.8); each with and
without the keywords in the text. The rule: the best worst-case margin over ASReview LAB's
default model (mean WSS@95 minus its, to 2 decimals, since a 3-seed mean moves by about 0.01
with the seeds), then the best mean WSS@95 over the four datasets. Hinge loss, C = 0.1,
include weight 10, no keywords: margin -0.011 (worst on ProtonPumpInhibitors), the best mean
(0.475). Runners-up within that margin: LinearSVC squared hinge C = 0.1, include weight 10 -
practically ASReview's ELAS u4 - (-0.010, mean 0.466) and hinge C = 0.3 (-0.009, mean 0.469).
The naive Bayes models, SGD, and the include weight 1 (plain "balanced") were clearly worse on
ProtonPumpInhibitors (by 0.04 to 0.3). Dynamic resampling of the includes (ASReview's older
"double" balance) was not tried: the fixed include weight is its weighted counterpart.

Keywords. Issue 6 asks for title + abstract + keywords. In simulation the keywords (MeSH
headings in the three Cohen datasets) cost 0.04 to 0.10 WSS@95 on ProtonPumpInhibitors for
every SVM and logistic-regression candidate, and also as a separate, down-weighted feature
block (weights 0.25 and 0.5 tried by hand); on NSAIDS and Antihistamines they changed WSS@95 by
less than 0.02 either way. So USE_KEYWORDS is False: record_text() leaves them out unless
asked (use_keywords=True). Titles repeated twice (to weigh them more), english stop words,
min_df = 2, a token pattern keeping hyphenated words, presumed-irrelevant random records added
to the training set (as in Cormack and Grossman's BMI), and score blends with naive Bayes or
nearest-include similarity were tried by hand too; none did better on all four datasets.

Against the reference (benchmarks/results/ranking.md, full protocol, seeds 1-3), mean WSS@95
ours / ASReview LAB 3.0.8 ELAS u4 / ELAS u4 as re-implemented here through the same protocol:
Antihistamines 0.005 / -0.015 / -0.015, NSAIDS 0.738 / 0.725 / 0.729, Nagtegaal_2019
0.732 / 0.736 / 0.726, ProtonPumpInhibitors 0.424 / 0.435 / 0.425. So the target (at least
ASReview's figure on every dataset) is met on two datasets and missed on two, by 0.004 and
0.011; this model is at or above the re-implemented ELAS u4 everywhere (-0.001 on
ProtonPumpInhibitors). On ProtonPumpInhibitors every candidate tried stays below 0.435: the
last relevant records there are Helicobacter pylori treatment reviews, which the models rank
late. On Nagtegaal_2019 part of the gap is retraining every 10 labels instead of after every
label as ASReview does (ELAS u4-like: 0.726 with K = 10, 0.732 with K = 1).

Speed (same file): with 100,000 records, fitting on all 100,000 labelled and scoring them all
takes about 4 s on 2 cores; building the TF-IDF matrix takes about 35 s and is done once per
review and cached.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.svm import LinearSVC

# Features: TF-IDF of word unigrams and bigrams with sublinear term frequency. float32 halves
# the memory of a cached 100,000-record matrix; liblinear converts the training rows (only)
# to float64 when it fits.
TFIDF_SETTINGS = {
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "min_df": 1,
    "max_df": 1.0,
    "strip_accents": "unicode",
    "dtype": np.float32,
}

# Whether a record's keywords are part of the text it is ranked on (chosen by simulation, see
# the module docstring).
USE_KEYWORDS = False

CLASSIFIERS = ("svm", "svm_hinge", "sgd", "logistic", "nb", "cnb")


@dataclass(frozen=True)
class ModelSpec:
    """A classifier and its settings; the defaults are the ones chosen by simulation.

    classifier: "svm" (LinearSVC, squared hinge loss), "svm_hinge" (LinearSVC, hinge loss),
        "sgd" (SGDClassifier, hinge loss), "logistic" (LogisticRegression, liblinear),
        "nb" (MultinomialNB) or "cnb" (ComplementNB).
    c: regularisation. C for svm, svm_hinge and logistic (larger = weaker), alpha for sgd, nb
        and cnb (the penalty of SGD; the additive smoothing of naive Bayes).
    include_weight: class balancing as a ratio of total sample weight, includes to excludes.
        1.0 is scikit-learn's "balanced" (both classes weigh the same in total); 10.0 makes the
        includes weigh ten times the excludes in total.
    """

    classifier: str = "svm_hinge"
    c: float = 0.1
    include_weight: float = 10.0

    def __post_init__(self):
        if self.classifier not in CLASSIFIERS:
            raise ValueError(
                f"Unknown classifier {self.classifier!r}; expected one of {', '.join(CLASSIFIERS)}."
            )
        if self.c <= 0 or self.include_weight <= 0:
            raise ValueError("c and include_weight must be positive.")

    @property
    def label(self) -> str:
        name = {
            "svm": "SVM (squared hinge) C",
            "svm_hinge": "SVM (hinge) C",
            "logistic": "LR C",
            "sgd": "SGD (hinge) alpha",
            "nb": "MultinomialNB alpha",
            "cnb": "ComplementNB alpha",
        }[self.classifier]
        return f"{name}={self.c:g}, include weight {self.include_weight:g}"


# Chosen by simulation (module docstring; benchmarks/results/ranking_model_selection.md).
DEFAULT_SPEC = ModelSpec()


def record_text(
    title: str | None,
    abstract: str | None = "",
    keywords: str | None = "",
    *,
    use_keywords: bool | None = None,
) -> str:
    """The text a record is ranked on: title, abstract and (if use_keywords, by default
    USE_KEYWORDS) keywords, one per line, empty parts left out."""
    if use_keywords is None:
        use_keywords = USE_KEYWORDS
    parts = (title, abstract, keywords) if use_keywords else (title, abstract)
    return "\n".join(part.strip() for part in parts if part and part.strip())


def build_matrix(texts: Sequence[str]) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """Fit the TF-IDF vectorizer on every record of a review (labelled or not) and return it
    with the review's matrix, one row per text, in the order given.

    The vectorizer is unsupervised, so the matrix can be cached per review and reused by every
    retrain; it only needs rebuilding when records are added.
    """
    vectorizer = TfidfVectorizer(**TFIDF_SETTINGS)
    matrix = vectorizer.fit_transform(texts).tocsr()
    return vectorizer, matrix


def sample_weights(labels: np.ndarray, include_weight: float) -> np.ndarray:
    """Per-sample weights: each class weighs the same in total (scikit-learn's "balanced"),
    then the includes are multiplied by include_weight. Mean weight is 1."""
    labels = np.asarray(labels)
    n = len(labels)
    n_include = int(labels.sum())
    n_exclude = n - n_include
    weights = np.where(
        labels == 1, include_weight * n / (2 * n_include), n / (2 * n_exclude)
    ).astype(np.float64)
    return weights * (n / weights.sum())


class RelevanceModel:
    """A relevance classifier: fit on labelled records, score any records.

    fit() and score() take either a sparse TF-IDF matrix (rows from build_matrix(); the
    product's path, so the matrix is built once per review) or a list of texts (then fit()
    builds a vectorizer from the training texts alone: handy for tests and one-off use).
    Scores are real numbers, higher = more likely relevant; only their order matters.
    """

    def __init__(self, spec: ModelSpec = DEFAULT_SPEC, *, random_state: int = 0):
        self.spec = spec
        self.random_state = random_state
        self.vectorizer: TfidfVectorizer | None = None
        self.classifier = None

    def _matrix(self, data, *, fit: bool):
        if sp.issparse(data) or isinstance(data, np.ndarray):
            return data
        texts = list(data)
        if fit:
            self.vectorizer, matrix = build_matrix(texts)
            return matrix
        if self.vectorizer is None:
            raise ValueError("This model was fitted on a matrix: score a matrix too.")
        return self.vectorizer.transform(texts)

    def _new_classifier(self):
        spec = self.spec
        if spec.classifier == "svm":
            return LinearSVC(C=spec.c, random_state=self.random_state)
        if spec.classifier == "svm_hinge":
            return LinearSVC(C=spec.c, loss="hinge", random_state=self.random_state, max_iter=5000)
        if spec.classifier == "sgd":
            return SGDClassifier(
                loss="hinge", alpha=spec.c, random_state=self.random_state, tol=1e-4
            )
        if spec.classifier == "logistic":
            return LogisticRegression(C=spec.c, solver="liblinear")
        if spec.classifier == "nb":
            return MultinomialNB(alpha=spec.c)
        return ComplementNB(alpha=spec.c)

    def fit(self, data, labels) -> RelevanceModel:
        """Train on labelled records: labels are 1 (include) or 0 (exclude); both must occur."""
        matrix = self._matrix(data, fit=True)
        labels = np.asarray(labels, dtype=np.int8)
        if matrix.shape[0] != len(labels):
            raise ValueError(f"{matrix.shape[0]} records but {len(labels)} labels.")
        if not (labels == 1).any() or not (labels == 0).any():
            raise ValueError("Training needs at least one include and one exclude.")
        classifier = self._new_classifier()
        weights = sample_weights(labels, self.spec.include_weight)
        with warnings.catch_warnings():
            # liblinear may stop at max_iter on a hard early training set; the model is still
            # usable for ranking, and the next retrain starts afresh.
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(matrix, labels, sample_weight=weights)
        self.classifier = classifier
        return self

    def score(self, data) -> np.ndarray:
        """Relevance scores (float64), one per record, higher = more likely relevant."""
        if self.classifier is None:
            raise ValueError("Fit the model before scoring.")
        matrix = self._matrix(data, fit=False)
        if self.spec.classifier in ("nb", "cnb"):
            # Log odds, not probabilities: naive Bayes probabilities saturate at 0 and 1 on
            # long texts, which would turn the ranking into ties.
            joint = self.classifier.predict_joint_log_proba(matrix)
            return (joint[:, 1] - joint[:, 0]).astype(np.float64)
        return self.classifier.decision_function(matrix).astype(np.float64)
