import pytest
from django.db import IntegrityError, transaction

from reviews.imports import records_import
from reviews.models import Record
from screening import queries, services
from screening.models import Decision, DecisionChange

pytestmark = pytest.mark.django_db


def ris(count: int, *, doi_prefix: str = "10.1000/t") -> bytes:
    entries = []
    for i in range(1, count + 1):
        entries.append(
            f"TY  - JOUR\nTI  - Trial number {i} of exercise {doi_prefix}\nPY  - 2020\n"
            f"DO  - {doi_prefix}{i}\nER  - \n"
        )
    return "\n".join(entries).encode()


def import_records(review, count=3, **kwargs):
    records_import(
        review=review, data=ris(count, **kwargs), file_name=f"r{count}.ris", source_name="PubMed"
    )
    return list(Record.objects.filter(review=review).order_by("id"))


def reason_ids(review, *labels):
    return [review.reasons.get(label=label).id for label in labels]


def decide(review, record, user, verdict, reasons=(), note=""):
    return services.decision_record(
        review=review,
        record=record,
        reviewer=user,
        verdict=verdict,
        reason_ids=reason_ids(review, *reasons),
        note=note,
    )


def history(record):
    return list(
        DecisionChange.objects.filter(record=record)
        .order_by("id")
        .values_list("kind", "old_verdict", "new_verdict", "old_reasons", "new_reasons")
    )


def test_decision_records_everything(review, reviewer):
    record = import_records(review, 1)[0]
    decision = decide(review, record, reviewer, "exclude", ["Wrong outcome"], note=" animal ")
    assert (decision.stage, decision.verdict, decision.note) == (
        "title_abstract",
        "exclude",
        "animal",
    )
    assert [r.label for r in decision.reasons.all()] == ["Wrong outcome"]
    assert decision.decided_at is not None
    record.refresh_from_db()
    assert record.decision_count == 1
    assert history(record) == [("created", "", "exclude", [], ["Wrong outcome"])]


def test_changing_a_decision_keeps_history(review, reviewer):
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    decide(review, record, reviewer, "exclude", ["Wrong population", "Other"])
    decide(review, record, reviewer, "maybe", note="unsure")
    assert Decision.objects.get().verdict == "maybe"
    assert history(record) == [
        ("created", "", "include", [], []),
        ("changed", "include", "exclude", [], ["Wrong population", "Other"]),
        ("changed", "exclude", "maybe", ["Wrong population", "Other"], []),
    ]
    record.refresh_from_db()
    assert record.decision_count == 1


def test_double_submit_is_idempotent(review, reviewer):
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "exclude", ["Other"], note="n")
    decide(review, record, reviewer, "exclude", ["Other"], note="n")
    assert Decision.objects.count() == 1
    assert DecisionChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_submits_make_one_decision(review, reviewer):
    """Two requests (two tabs, a double click) racing to save the first decision: the unique
    constraint lets one create it; the other waits for it, then finds it and changes it."""
    import threading

    from django.db import connection

    record = import_records(review, 1)[0]
    ids = reason_ids(review, "Other")
    barrier = threading.Barrier(2)
    errors = []

    def submit(verdict):
        try:
            barrier.wait(timeout=10)
            services.decision_record(
                review=review,
                record=record,
                reviewer=reviewer,
                verdict=verdict,
                reason_ids=ids if verdict == "exclude" else (),
            )
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(v,)) for v in ("include", "exclude")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Decision.objects.filter(record=record).count() == 1
    kinds = sorted(DecisionChange.objects.filter(record=record).values_list("kind", flat=True))
    assert kinds == ["changed", "created"]
    record.refresh_from_db()
    assert record.decision_count == 1


def test_database_allows_one_current_decision(review, reviewer):
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(review=review, record=record, reviewer=reviewer, verdict="maybe")


def test_history_rows_cannot_be_rewritten(review, reviewer):
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        DecisionChange.objects.update(new_verdict="exclude")


@pytest.mark.parametrize(
    ("verdict", "reasons", "error", "message"),
    [
        (
            "yes",
            [],
            services.InvalidDecision,
            "Unknown verdict 'yes': use include, exclude or maybe.",
        ),
        (
            "exclude",
            [],
            services.ReasonRequired,
            "Choose at least one exclusion reason (keys 1–9).",
        ),
    ],
)
def test_bad_decisions_change_nothing(review, reviewer, verdict, reasons, error, message):
    record = import_records(review, 1)[0]
    with pytest.raises(error) as raised:
        decide(review, record, reviewer, verdict, reasons)
    assert raised.value.messages == [message]
    assert Decision.objects.count() == 0


def test_reason_of_another_review_is_refused(review, reviewer, owner):
    from reviews import services as review_services

    other = review_services.review_create(title="Other", owner=owner)
    record = import_records(review, 1)[0]
    foreign = other.reasons.first().id
    with pytest.raises(services.InvalidDecision) as raised:
        services.decision_record(
            review=review, record=record, reviewer=reviewer, verdict="exclude", reason_ids=[foreign]
        )
    assert raised.value.messages == [
        f"Exclusion reason {foreign} is not one of this review's reasons."
    ]


def test_undo_removes_then_reverts(review, reviewer):
    first, second = import_records(review, 2)
    decide(review, first, reviewer, "include")
    decide(review, second, reviewer, "include")
    decide(review, second, reviewer, "exclude", ["Other"])
    assert services.decision_undo(review=review, reviewer=reviewer) == second
    assert Decision.objects.get(record=second).verdict == "include"
    assert services.decision_undo(review=review, reviewer=reviewer) == second
    assert not Decision.objects.filter(record=second).exists()
    assert services.decision_undo(review=review, reviewer=reviewer) == first
    assert Decision.objects.count() == 0
    assert services.decision_undo(review=review, reviewer=reviewer) is None
    assert history(second) == [
        ("created", "", "include", [], []),
        ("changed", "include", "exclude", [], ["Other"]),
        ("undone", "exclude", "include", ["Other"], []),
        ("undone", "include", "", [], []),
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.decision_count, second.decision_count) == (0, 0)


def queue_ids(review, user):
    return list(queries.records_to_screen(review, user).values_list("id", flat=True))


@pytest.mark.parametrize("required", [1, 2, 3])
def test_queue_rules(review, owner, reviewer, second_reviewer, required):
    review.required_decisions = required
    review.save()
    records = import_records(review, 4)
    ids = [r.id for r in records]
    # Record 4 is a duplicate of record 1: never screened.
    Record.objects.filter(id=ids[3]).update(duplicate_of=ids[0])
    assert queue_ids(review, reviewer) == ids[:3]

    decide(review, records[0], owner, "include")
    decide(review, records[1], owner, "exclude", ["Other"])
    decide(review, records[1], second_reviewer, "exclude", ["Other"])
    # Reviewer's queue: records with fewer than `required` decisions, none decided by them.
    expected = {1: [ids[2]], 2: [ids[0], ids[2]], 3: ids[:3]}[required]
    assert queue_ids(review, reviewer) == expected
    assert queue_ids(review, owner) == [ids[2]]
    assert queries.next_record(review, reviewer) == Record.objects.get(id=expected[0])


def test_completed_record_can_still_be_decided(review, owner, reviewer, second_reviewer):
    review.required_decisions = 2
    review.save()
    record = import_records(review, 1)[0]
    decide(review, record, owner, "include")
    decide(review, record, second_reviewer, "include")
    assert queue_ids(review, reviewer) == []
    decide(review, record, reviewer, "exclude", ["Other"])
    record.refresh_from_db()
    assert record.decision_count == 3
    assert Decision.objects.filter(record=record).count() == 3


def test_next_record_continues_after_the_last_one(review, reviewer):
    records = import_records(review, 3)
    assert queries.next_record(review, reviewer, after_id=records[0].id) == records[1]
    assert queries.next_record(review, reviewer, after_id=records[2].id) == records[0]


def test_progress_counts(review, owner, reviewer):
    review.required_decisions = 1
    review.save()
    records = import_records(review, 3)
    decide(review, records[0], owner, "include")
    decide(review, records[1], reviewer, "maybe")
    progress = queries.screening_progress(review, reviewer)
    assert (progress.mine_done, progress.mine_remaining) == (1, 1)
    assert (progress.review_complete, progress.review_total) == (2, 3)


def test_visible_decisions_respect_blindness(review, owner, reviewer, second_reviewer):
    from reviews.models import ReviewMember

    record = import_records(review, 1)[0]
    decide(review, record, owner, "include")
    decide(review, record, second_reviewer, "exclude", ["Other"])
    membership = ReviewMember.objects.get(review=review, user=reviewer)
    decide(review, record, reviewer, "maybe")
    seen = {d.reviewer.username for d in queries.visible_decisions(review, membership)}
    assert seen == {"reviewer"}
    assert queries.others_decisions_on(record, review, membership) == []
    owner_membership = ReviewMember.objects.get(review=review, user=owner)
    seen = {d.reviewer.username for d in queries.visible_decisions(review, owner_membership)}
    assert seen == {"owner", "reviewer", "second_reviewer"}
    review.blind_screening = False
    review.save()
    others = queries.others_decisions_on(record, review, membership)
    assert [d.reviewer.username for d in others] == ["owner", "second_reviewer"]
