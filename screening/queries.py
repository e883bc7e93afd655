"""Reads for screening. Blindness is decided here, never in templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from reviews.models import Record, Review, ReviewMember
from screening.models import Decision, Stage


def screenable_records(review: Review) -> QuerySet[Record]:
    """Records that enter screening: the review's records that are not duplicates."""
    return Record.objects.filter(review=review, duplicate_of__isnull=True)


def records_to_screen(
    review: Review, reviewer, *, stage: str = Stage.TITLE_ABSTRACT
) -> QuerySet[Record]:
    """The reviewer's queue: not a duplicate, not decided by them, and with fewer
    decisions than the review requires; in import order."""
    mine = Decision.objects.filter(record=OuterRef("pk"), reviewer=reviewer, stage=stage)
    return (
        screenable_records(review)
        .filter(decision_count__lt=review.required_decisions)
        .exclude(Exists(mine))
        .order_by("id")
    )


def next_record(review: Review, reviewer, *, after_id: int | None = None) -> Record | None:
    """The next record in the reviewer's queue after `after_id`, wrapping to the start.

    Starting after the record just decided keeps the index scan short however far into
    the review the reviewer is.
    """
    queue = records_to_screen(review, reviewer).select_related("batch")
    if after_id is not None:
        record = queue.filter(id__gt=after_id).first()
        if record is not None:
            return record
    return queue.first()


def decision_of(record: Record, reviewer) -> Decision | None:
    return (
        Decision.objects.filter(record=record, reviewer=reviewer, stage=Stage.TITLE_ABSTRACT)
        .prefetch_related("reasons")
        .first()
    )


def can_see_others(review: Review, membership: ReviewMember) -> bool:
    """Owners see every decision; reviewers see others' only when screening is not blind."""
    return membership.is_owner or not review.blind_screening


def visible_decisions(review: Review, membership: ReviewMember) -> QuerySet[Decision]:
    """The decisions `membership` may see in this review."""
    decisions = Decision.objects.filter(review=review)
    if not can_see_others(review, membership):
        decisions = decisions.filter(reviewer_id=membership.user_id)
    return decisions


def others_decisions_on(record: Record, review: Review, membership: ReviewMember):
    """Other reviewers' decisions on a record, or an empty list when screening is blind."""
    if not can_see_others(review, membership):
        return []
    return list(
        Decision.objects.filter(record=record, stage=Stage.TITLE_ABSTRACT)
        .exclude(reviewer_id=membership.user_id)
        .select_related("reviewer")
        .prefetch_related("reasons")
        .order_by("decided_at")
    )


@dataclass(frozen=True)
class Progress:
    mine_done: int
    mine_remaining: int
    review_complete: int
    review_total: int

    @property
    def mine_percent(self) -> int:
        total = self.mine_done + self.mine_remaining
        return round(100 * self.mine_done / total) if total else 100

    @property
    def review_percent(self) -> int:
        return round(100 * self.review_complete / self.review_total) if self.review_total else 100


def screening_progress(review: Review, reviewer) -> Progress:
    """This reviewer's done and remaining counts and the review's overall progress, in one
    query. Counts of records only: nothing here tells who decided what."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT count(*) FROM screening_decision d
                 JOIN reviews_record r ON r.id = d.record_id
                WHERE d.review_id = %(review)s AND d.reviewer_id = %(user)s
                  AND d.stage = %(stage)s AND r.duplicate_of_id IS NULL),
              count(*) FILTER (WHERE r.decision_count < %(n)s AND NOT EXISTS (
                  SELECT 1 FROM screening_decision d WHERE d.record_id = r.id
                     AND d.reviewer_id = %(user)s AND d.stage = %(stage)s)),
              count(*) FILTER (WHERE r.decision_count >= %(n)s),
              count(*)
            FROM reviews_record r
            WHERE r.review_id = %(review)s AND r.duplicate_of_id IS NULL
            """,
            {
                "review": review.id,
                "user": reviewer.id,
                "stage": Stage.TITLE_ABSTRACT,
                "n": review.required_decisions,
            },
        )
        done, remaining, complete, total = cursor.fetchone()
    return Progress(done, remaining, complete, total)


def record_for_screening(review: Review, record_id: int) -> Record:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Record.objects.select_related("batch"), review=review, id=record_id)


def my_decisions_prefetch(reviewer):
    return Prefetch(
        "decisions",
        queryset=Decision.objects.filter(reviewer=reviewer).prefetch_related("reasons"),
        to_attr="my_decisions",
    )
