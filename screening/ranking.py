"""Relevance ranking for title/abstract screening. Pure Python (scikit-learn), no Django.

DOCSTRING_PLACEHOLDER
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.svm import LinearSVC

# Features: TF-IDF of word unigrams and bigrams with sublinear term frequency. float32 halves
# the memory of a 100,000-record matrix and is what the linear models compute with anyway.
TFIDF_SETTINGS = {
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "min_df": 1,
    "max_df": 1.0,
    "strip_accents": "unicode",
    "dtype": np.float32,
}

CLASSIFIERS = ("svm", "sgd", "logistic", "nb", "cnb")


@dataclass(frozen=True)
class ModelSpec:
    """A classifier and its settings.

    classifier: "svm" (LinearSVC, squared hinge), "sgd" (SGDClassifier, hinge), "logistic"
        (LogisticRegression, liblinear), "nb" (MultinomialNB) or "cnb" (ComplementNB).
    c: regularisation. C for svm and logistic (larger = weaker), alpha for sgd, nb and cnb
        (the additive smoothing of naive Bayes; the penalty of SGD).
    include_weight: class balancing as a ratio of total sample weight, includes to excludes.
        1.0 is scikit-learn's "balanced" (both classes weigh the same in total); 10.0 makes the
        includes weigh ten times the excludes in total.
    """

    classifier: str = "svm"
    c: float = 0.1
    include_weight: float = 1.0

    def __post_init__(self):
        if self.classifier not in CLASSIFIERS:
            raise ValueError(
                f"Unknown classifier {self.classifier!r}; expected one of {', '.join(CLASSIFIERS)}."
            )
        if self.c <= 0 or self.include_weight <= 0:
            raise ValueError("c and include_weight must be positive.")

    @property
    def label(self) -> str:
        name = {"svm": "SVM C", "logistic": "LR C", "sgd": "SGD alpha"}.get(
            self.classifier, f"{self.classifier.upper()} alpha"
        )
        return f"{name}={self.c:g}, include weight {self.include_weight:g}"


DEFAULT_SPEC = ModelSpec()


def record_text(title: str | None, abstract: str | None = "", keywords: str | None = "") -> str:
    """The text a record is ranked on: title, abstract and keywords (empty parts left out)."""
    return "\n".join(part.strip() for part in (title, abstract, keywords) if part and part.strip())


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
        classifier.fit(
            matrix, labels, sample_weight=sample_weights(labels, self.spec.include_weight)
        )
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

    def with_spec(self, **changes) -> RelevanceModel:
        return RelevanceModel(replace(self.spec, **changes), random_state=self.random_state)
