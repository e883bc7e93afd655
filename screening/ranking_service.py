"""The relevance model in the product: training in the background, scores in the database.

The model itself (TF-IDF + linear classifier, chosen by simulation) is screening/ranking.py;
this module gives it the review's records and labels, caches the TF-IDF matrix per review
(rebuilt when the set of records changes) and writes the scores to RelevanceScore, which
the reviewers' queues follow when the review uses relevance order.
"""

from __future__ import annotations

import time
from pathlib import Path

import joblib
import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reviews.models import Review
from screening.models import Decision, RankingRun, RelevanceScore, Stage
from screening.queries import screenable_records, training_labels
from screening.ranking import DEFAULT_FEATURES, RelevanceModel, build_matrix, record_text


def _cache_path(review: Review) -> Path:
    folder = Path(settings.RANKING_CACHE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"review-{review.id}.joblib"


def review_matrix(review: Review):
    """(record ids, TF-IDF matrix) of the review's screenable records, cached on disk.

    The cache is used while the set of records and the model's features are unchanged; an
    import, a change to the duplicates or new features (a new model) rebuild it.
    """
    ids = np.fromiter(
        screenable_records(review).order_by("id").values_list("id", flat=True), dtype=np.int64
    )
    path = _cache_path(review)
    if path.exists():
        try:
            cached = joblib.load(path)
            same_features = cached.get("features") == repr(DEFAULT_FEATURES)
            if same_features and np.array_equal(cached["ids"], ids):
                return ids, cached["matrix"]
        except Exception:  # a damaged or old cache is rebuilt, never trusted
            pass
    rows = screenable_records(review).order_by("id").values_list("title", "abstract", "keywords")
    texts = [record_text(t, a, " ".join(k)) for t, a, k in rows.iterator(chunk_size=5000)]
    _vectorizer, matrix = build_matrix(texts)
    joblib.dump({"ids": ids, "matrix": matrix, "features": repr(DEFAULT_FEATURES)}, path)
    return ids, matrix


def ranking_request(*, review: Review, user=None) -> RankingRun:
    """Queue a training run unless one is already waiting or running."""
    from screening.tasks import train_ranking

    pending = RankingRun.objects.filter(
        review=review, status__in=[RankingRun.Status.QUEUED, RankingRun.Status.RUNNING]
    ).first()
    if pending is not None:
        return pending
    run = RankingRun.objects.create(
        review=review,
        requested_by=user,
        decisions_seen=Decision.objects.filter(review=review, stage=Stage.TITLE_ABSTRACT).count(),
    )
    transaction.on_commit(lambda: train_ranking.enqueue(run.pk))
    return run


def ranking_maybe_retrain(review: Review) -> RankingRun | None:
    """After a decision: queue a run once `retrain_every` decisions came in since the last
    one (at once when there has been none, or the last one failed), provided there is an
    include (or maybe) and an exclude to learn from."""
    if not review.relevance_order:
        return None
    last = RankingRun.objects.filter(review=review).first()
    decisions = Decision.objects.filter(review=review, stage=Stage.TITLE_ABSTRACT)
    due = (
        last is None
        or last.status == RankingRun.Status.FAILED
        or decisions.count() - last.decisions_seen >= review.retrain_every
    )
    if not due:
        return None
    learnable = (
        decisions.filter(verdict__in=["include", "maybe"]).exists()
        and decisions.filter(verdict="exclude").exists()
    )
    return ranking_request(review=review) if learnable else None


def ranking_train(*, run_id: int) -> RankingRun:
    """Train on the review's decisions and score every screenable record."""
    run = RankingRun.objects.select_related("review").get(pk=run_id)
    if run.status not in (RankingRun.Status.QUEUED, RankingRun.Status.RUNNING):
        return run
    review = run.review
    RankingRun.objects.filter(pk=run.pk).update(status=RankingRun.Status.RUNNING)
    started = time.perf_counter()
    try:
        ids, matrix = review_matrix(review)
        labels = training_labels(review)
        rows = {record_id: row for row, record_id in enumerate(ids.tolist())}
        train_rows = [rows[r] for r in labels if r in rows]
        train_labels = np.array([labels[r] for r in labels if r in rows], dtype=np.int8)
        includes = int(train_labels.sum())
        excludes = len(train_labels) - includes
        if includes == 0 or excludes == 0:
            raise ValueError(
                "The model needs at least one include (or maybe) and one exclude to learn from."
            )
        model = RelevanceModel().fit(matrix[train_rows], train_labels)
        scores = model.score(matrix)
        # The review's scores replaced at once, in a narrow table of their own: the queue
        # reads the old ones until this commits, and no record row is touched or locked.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM screening_relevancescore WHERE review_id = %s", [review.id])
            cursor.execute(
                "INSERT INTO screening_relevancescore (record_id, review_id, score) "
                "SELECT v.id, %s, v.score FROM unnest(%s::bigint[], %s::float8[]) AS v(id, score)",
                [review.id, ids.tolist(), scores.tolist()],
            )
        RankingRun.objects.filter(pk=run.pk).update(
            status=RankingRun.Status.DONE,
            trained_includes=includes,
            trained_excludes=excludes,
            records_scored=len(ids),
            seconds=time.perf_counter() - started,
            finished_at=timezone.now(),
        )
    except Exception as error:
        RankingRun.objects.filter(pk=run.pk).update(
            status=RankingRun.Status.FAILED,
            error=str(error),
            seconds=time.perf_counter() - started,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def relevance_order_set(*, review: Review, enabled: bool, retrain_every: int, user) -> Review:
    if not 1 <= retrain_every <= 1000:
        from django.core.exceptions import ValidationError

        raise ValidationError("Retrain after 1 to 1,000 new decisions.")
    review.relevance_order = enabled
    review.retrain_every = retrain_every
    review.save(update_fields=["relevance_order", "retrain_every"])
    if enabled and not RelevanceScore.objects.filter(review=review).exists():
        ranking_request(review=review, user=user)
    return review
