"""Writes for screening. Each function owns its transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from reviews.models import ExclusionReason, Record, Review
from screening.models import (
    Decision,
    DecisionChange,
    Resolution,
    ResolutionChange,
    Stage,
    Verdict,
)


class InvalidDecision(ValidationError):
    """Input that no form could produce (an unknown verdict or reason): answered with 400."""


class ReasonRequired(ValidationError):
    """An exclusion without a reason: the form is shown again, saying why."""


def _reasons_for(review: Review, reason_ids, active_reasons=None) -> list[ExclusionReason]:
    """The review's active reasons with these ids; `active_reasons`, when the caller has read
    them already, saves reading them again."""
    ids = []
    for value in reason_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise InvalidDecision(f"Unknown exclusion reason {value!r}.") from None
    if not ids:
        return []
    if active_reasons is None:
        active_reasons = ExclusionReason.objects.filter(review=review, is_active=True, id__in=ids)
    wanted = set(ids)
    reasons = [
        reason
        for reason in active_reasons
        if reason.id in wanted and reason.is_active and reason.review_id == review.id
    ]
    if len(reasons) != len(set(ids)):
        known = {r.id for r in reasons}
        unknown = ", ".join(str(i) for i in sorted(set(ids) - known))
        raise InvalidDecision(f"Exclusion reason {unknown} is not one of this review's reasons.")
    return sorted(reasons, key=lambda r: (r.position, r.id))


def _maybe_retrain(review: Review) -> None:
    from screening.ranking_service import ranking_maybe_retrain

    ranking_maybe_retrain(review)


def _labels(reasons) -> list[str]:
    return [r.label for r in reasons]


# A first decision, its reasons, the record's decision count and the history entry, in one
# statement (this runs on every keystroke decision). The unique constraint decides whether it
# is a first decision: when the reviewer has one already, nothing is written and no id comes
# back, so two concurrent first submits cannot both create one.
_DECISION_CREATE_SQL = """
WITH decision AS (
    INSERT INTO screening_decision
        (review_id, record_id, reviewer_id, stage, verdict, note, decided_at, updated_at)
    VALUES
        (%(review)s, %(record)s, %(reviewer)s, %(stage)s, %(verdict)s, %(note)s, %(now)s, %(now)s)
    ON CONFLICT (record_id, reviewer_id, stage) DO NOTHING
    RETURNING id
), reasons AS (
    INSERT INTO screening_decision_reasons (decision_id, exclusionreason_id)
    SELECT decision.id, reason FROM decision, unnest(%(reasons)s::bigint[]) AS reason
), counted AS (
    UPDATE reviews_record SET decision_count = decision_count + 1
    WHERE id = %(record)s AND EXISTS (SELECT 1 FROM decision)
), history AS (
    INSERT INTO screening_decisionchange
        (review_id, record_id, reviewer_id, stage, kind, old_verdict, new_verdict,
         old_reasons, new_reasons, old_note, new_note, changed_at)
    SELECT %(review)s, %(record)s, %(reviewer)s, %(stage)s, %(kind)s, '', %(verdict)s,
           '{}', %(labels)s::varchar(200)[], '', %(note)s, %(now)s
    FROM decision
)
SELECT id FROM decision
"""


def _decision_create(review, record, reviewer, stage, verdict, reasons, note) -> Decision | None:
    """Create the reviewer's first decision on the record (see _DECISION_CREATE_SQL), or
    return None when they have one already."""
    now = timezone.now()
    params = {
        "review": review.id,
        "record": record.id,
        "reviewer": reviewer.id,
        "stage": stage,
        "verdict": verdict,
        "note": note,
        "now": now,
        "reasons": [reason.id for reason in reasons],
        "labels": _labels(reasons),
        "kind": DecisionChange.Kind.CREATED.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DECISION_CREATE_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    decision = Decision(
        id=row[0],
        review=review,
        record=record,
        reviewer=reviewer,
        stage=stage,
        verdict=verdict,
        note=note,
        decided_at=now,
        updated_at=now,
    )
    decision._state.adding = False
    decision._state.db = connection.alias
    return decision


def decision_record(
    *,
    review: Review,
    record: Record,
    reviewer,
    verdict: str,
    reason_ids=(),
    note: str = "",
    stage: str = Stage.TITLE_ABSTRACT,
    active_reasons=None,
) -> Decision:
    """Save `reviewer`'s decision on `record`, or change it, keeping the old one in history.

    Submitting the same decision twice (two tabs, a double click) changes nothing.
    A record that others completed meanwhile can still be decided: the extra decision is kept.
    `active_reasons`: the review's active exclusion reasons, when the caller has them.
    """
    if verdict not in Verdict.values:
        raise InvalidDecision(f"Unknown verdict {verdict!r}: use include, exclude or maybe.")
    if record.review_id != review.id:
        raise InvalidDecision("That record belongs to another review.")
    if record.duplicate_of_id is not None:
        # Duplicates are not screened: a decision here would count nowhere.
        raise InvalidDecision(
            f"Record {record.id} is a duplicate of record {record.duplicate_of_id}: "
            "decide that one."
        )
    reasons = _reasons_for(review, reason_ids, active_reasons)
    if verdict == Verdict.EXCLUDE and not reasons:
        raise ReasonRequired("Choose at least one exclusion reason (keys 1–9).")
    note = note.strip()

    # A first decision is one statement, atomic on its own: no BEGIN and COMMIT round trips
    # on the path every keystroke takes.
    decision = _decision_create(review, record, reviewer, stage, verdict, reasons, note)
    if decision is not None:
        if review.relevance_order:
            transaction.on_commit(lambda: _maybe_retrain(review))
        return decision
    with transaction.atomic():
        return _decision_change(review, record, reviewer, stage, verdict, reasons, note)


def _decision_change(review, record, reviewer, stage, verdict, reasons, note) -> Decision:
    # The reviewer has a decision on this record already (perhaps saved a moment ago by a
    # double click or a second tab): this one changes it.
    decision = Decision.objects.select_for_update().get(
        record=record, reviewer=reviewer, stage=stage
    )
    old_reasons = list(decision.reasons.order_by("position", "id"))
    if decision.verdict == verdict and old_reasons == reasons and decision.note == note:
        return decision  # the same decision again: nothing to change
    DecisionChange.objects.create(
        review=review,
        record=record,
        reviewer=reviewer,
        stage=stage,
        kind=DecisionChange.Kind.CHANGED,
        old_verdict=decision.verdict,
        new_verdict=verdict,
        old_reasons=_labels(old_reasons),
        new_reasons=_labels(reasons),
        old_note=decision.note,
        new_note=note,
    )
    decision.verdict = verdict
    decision.note = note
    decision.save(update_fields=["verdict", "note", "updated_at"])
    decision.reasons.set(reasons)
    return decision


@transaction.atomic
def decision_undo(*, review: Review, reviewer, stage: str = Stage.TITLE_ABSTRACT) -> Record | None:
    """Undo the reviewer's latest decision or change that is not undone yet.

    A new decision is removed (the record is undecided again); a change is reverted to the
    verdict, reasons and note it replaced. History keeps both the original and the undo.
    Returns the record concerned, or None when there is nothing to undo.
    """
    history = DecisionChange.objects.filter(review=review, reviewer=reviewer, stage=stage)
    target = None
    pending_undos = 0
    # Walk back: each undo cancels the entry before it that is not cancelled already.
    for entry in history.select_for_update().order_by("-id")[:500]:
        if entry.kind == DecisionChange.Kind.UNDONE:
            pending_undos += 1
        elif pending_undos:
            pending_undos -= 1
        else:
            target = entry
            break
    if target is None:
        return None
    decision = (
        Decision.objects.select_for_update()
        .filter(record_id=target.record_id, reviewer=reviewer, stage=stage)
        .first()
    )
    if decision is None:
        return None
    current_reasons = _labels(decision.reasons.order_by("position", "id"))
    if target.kind == DecisionChange.Kind.CREATED:
        DecisionChange.objects.create(
            review=review,
            record_id=target.record_id,
            reviewer=reviewer,
            stage=stage,
            kind=DecisionChange.Kind.UNDONE,
            old_verdict=decision.verdict,
            old_reasons=current_reasons,
            old_note=decision.note,
        )
        decision.delete()
        Record.objects.filter(pk=target.record_id).update(decision_count=F("decision_count") - 1)
    else:
        restored = list(ExclusionReason.objects.filter(review=review, label__in=target.old_reasons))
        DecisionChange.objects.create(
            review=review,
            record_id=target.record_id,
            reviewer=reviewer,
            stage=stage,
            kind=DecisionChange.Kind.UNDONE,
            old_verdict=decision.verdict,
            new_verdict=target.old_verdict,
            old_reasons=current_reasons,
            new_reasons=target.old_reasons,
            old_note=decision.note,
            new_note=target.old_note,
        )
        decision.verdict = target.old_verdict
        decision.note = target.old_note
        decision.save(update_fields=["verdict", "note", "updated_at"])
        decision.reasons.set(restored)
    return Record.objects.get(pk=target.record_id)


@transaction.atomic
def conflict_resolve(
    *,
    review: Review,
    record: Record,
    resolver,
    verdict: str,
    reason_ids=(),
    note: str = "",
    stage: str = Stage.TITLE_ABSTRACT,
) -> Resolution:
    """Record (or change) the final verdict on a record, keeping history.

    The caller checks that `resolver` may resolve (owners and members marked as resolvers).
    """
    if verdict not in Resolution.FinalVerdict.values:
        raise InvalidDecision(f"Unknown final verdict {verdict!r}: use include or exclude.")
    if record.review_id != review.id:
        raise InvalidDecision("That record belongs to another review.")
    reasons = _reasons_for(review, reason_ids)
    if verdict == Verdict.EXCLUDE and not reasons:
        raise ReasonRequired("Choose at least one exclusion reason (keys 1–9).")
    note = note.strip()
    resolution = Resolution.objects.select_for_update().filter(record=record, stage=stage).first()
    old_verdict, old_reasons, old_note = "", [], ""
    if resolution is not None:
        old_reasons = list(resolution.reasons.order_by("position", "id"))
        if resolution.verdict == verdict and old_reasons == reasons and resolution.note == note:
            return resolution
        old_verdict, old_note = resolution.verdict, resolution.note
        resolution.verdict = verdict
        resolution.note = note
        resolution.resolved_by = resolver
        resolution.save(update_fields=["verdict", "note", "resolved_by", "updated_at"])
    else:
        resolution = Resolution.objects.create(
            review=review,
            record=record,
            stage=stage,
            verdict=verdict,
            note=note,
            resolved_by=resolver,
        )
    resolution.reasons.set(reasons)
    ResolutionChange.objects.create(
        review=review,
        record=record,
        stage=stage,
        resolver=resolver,
        old_verdict=old_verdict,
        new_verdict=verdict,
        old_reasons=_labels(old_reasons),
        new_reasons=_labels(reasons),
        old_note=old_note,
        new_note=note,
    )
    return resolution


# --- Stopping rule ----------------------------------------------------------------------

STOPPING_RULE = "excluded by automation tool (stopping rule)"


@transaction.atomic
def screening_stop(*, review: Review, user, rule: str = STOPPING_RULE):
    """Stop screening: every record nobody has screened is excluded by the stopping rule.

    Records with at least one decision stay in the queue until they are complete. PRISMA
    shows the automation exclusions apart from the human ones; screening_resume undoes it.
    """
    from django.db.models import Exists, OuterRef

    from screening.models import AutomationExclusion, StoppingEvent

    if (
        StoppingEvent.objects.select_for_update()
        .filter(review=review, undone_at__isnull=True)
        .exists()
    ):
        raise ValidationError("Screening is already stopped; resume it first.")
    unscreened = (
        Record.objects.filter(review=review, duplicate_of__isnull=True, decision_count=0)
        .exclude(Exists(Resolution.objects.filter(record=OuterRef("pk"))))
        .values_list("id", flat=True)
    )
    event = StoppingEvent.objects.create(review=review, rule=rule, stopped_by=user)
    AutomationExclusion.objects.bulk_create(
        (AutomationExclusion(event=event, review=review, record_id=rid) for rid in unscreened),
        batch_size=5000,
    )
    event.records_excluded = event.exclusions.count()
    event.save(update_fields=["records_excluded"])
    return event


@transaction.atomic
def screening_resume(*, event, user):
    """Undo a stop: the records it excluded return to the queue. The event stays, marked
    undone, for the audit log."""
    from django.utils import timezone

    if event.undone_at is not None:
        return event
    event.exclusions.all().delete()
    event.undone_by = user
    event.undone_at = timezone.now()
    event.save(update_fields=["undone_by", "undone_at"])
    return event
