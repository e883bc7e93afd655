import pytest

from reviews.models import Record
from screening import queries, services
from screening.models import Resolution, ResolutionChange
from tests.screening.test_services import decide, import_records, reason_ids

pytestmark = pytest.mark.django_db


def statuses(review):
    by_id = queries.record_statuses(review)
    return [by_id[r.id] for r in Record.objects.filter(review=review).order_by("id")]


def test_status_rules_with_two_required(review, owner, reviewer, second_reviewer):
    records = import_records(review, 6)
    decide(review, records[0], reviewer, "include")  # 1 of 2: pending
    decide(review, records[1], reviewer, "include")
    decide(review, records[1], second_reviewer, "maybe")  # included (maybe moves on)
    decide(review, records[2], reviewer, "exclude", ["Other"])
    decide(review, records[2], second_reviewer, "exclude", ["Wrong outcome"])  # excluded
    decide(review, records[3], reviewer, "maybe")
    decide(review, records[3], second_reviewer, "exclude", ["Other"])  # conflict
    decide(review, records[4], reviewer, "include")
    decide(review, records[4], second_reviewer, "exclude", ["Other"])
    services.conflict_resolve(
        review=review,
        record=records[4],
        resolver=owner,
        verdict="exclude",
        reason_ids=reason_ids(review, "Other"),
    )
    Record.objects.filter(id=records[5].id).update(duplicate_of=records[0].id)
    assert statuses(review) == [
        "pending",
        "included",
        "excluded",
        "conflict",
        "resolved_excluded",
        "duplicate",
    ]
    assert queries.status_counts(review) == {
        "pending": 1,
        "included": 1,
        "excluded": 1,
        "conflict": 1,
        "resolved_included": 0,
        "resolved_excluded": 1,
        "excluded_auto": 0,
        "duplicate": 1,
    }


def test_single_screening_has_no_conflicts(review, reviewer, second_reviewer):
    review.required_decisions = 1
    review.save()
    records = import_records(review, 3)
    decide(review, records[0], reviewer, "exclude", ["Other"])
    decide(review, records[1], reviewer, "include")
    decide(review, records[1], second_reviewer, "exclude", ["Other"])
    assert statuses(review) == ["excluded", "included", "pending"]


def test_three_required(review, owner, reviewer, second_reviewer):
    review.required_decisions = 3
    review.save()
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    decide(review, record, second_reviewer, "include")
    assert statuses(review) == ["pending"]
    decide(review, record, owner, "exclude", ["Other"])
    assert statuses(review) == ["conflict"]


def test_resolution_keeps_history_and_overrides(review, owner, reviewer, second_reviewer):
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    decide(review, record, second_reviewer, "exclude", ["Other"])
    services.conflict_resolve(review=review, record=record, resolver=owner, verdict="include")
    assert statuses(review) == ["resolved_included"]
    services.conflict_resolve(review=review, record=record, resolver=owner, verdict="include")
    services.conflict_resolve(
        review=review,
        record=record,
        resolver=owner,
        verdict="exclude",
        reason_ids=reason_ids(review, "Wrong population"),
        note="population is inpatients",
    )
    assert statuses(review) == ["resolved_excluded"]
    assert Resolution.objects.count() == 1
    assert list(
        ResolutionChange.objects.order_by("id").values_list(
            "old_verdict", "new_verdict", "new_reasons", "resolver__username"
        )
    ) == [
        ("", "include", [], "owner"),
        ("include", "exclude", ["Wrong population"], "owner"),
    ]


def test_resolution_needs_reason_to_exclude(review, owner):
    record = import_records(review, 1)[0]
    with pytest.raises(services.ReasonRequired):
        services.conflict_resolve(review=review, record=record, resolver=owner, verdict="exclude")
    with pytest.raises(services.InvalidDecision):
        services.conflict_resolve(review=review, record=record, resolver=owner, verdict="maybe")
    assert Resolution.objects.count() == 0


def test_record_list_status_follows_resolutions(
    client_for, review, owner, reviewer, second_reviewer
):
    from django.urls import reverse

    records = import_records(review, 2)
    for record in records:
        decide(review, record, reviewer, "include")
        decide(review, record, second_reviewer, "exclude", ["Other"])
    services.conflict_resolve(review=review, record=records[0], resolver=owner, verdict="include")
    client = client_for(owner)
    url = reverse("screening:record-list", args=[review.slug])
    page = client.get(url).content.decode()
    assert "Resolved: included" in page
    included = client.get(url, {"status": "included"}).content.decode()
    conflicts = client.get(url, {"status": "conflict"}).content.decode()
    assert f"?record={records[0].id}" in included
    assert f"?record={records[1].id}" not in included
    assert f"?record={records[1].id}" in conflicts
    assert f"?record={records[0].id}" not in conflicts
