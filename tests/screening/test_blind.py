"""Blind screening: tries to leak another reviewer's decision through every view and fragment.

Each test creates the data that could leak: second_reviewer's exclusion of a record with a
distinctive note and a distinctive (since archived, so not in the form) reason.
"""

import pytest
from django.urls import reverse

from reviews.imports import records_import
from reviews.models import ExclusionReason, Record
from screening import services

pytestmark = pytest.mark.django_db

SECRET_NOTE = "SECRET-NOTE-123"
SECRET_REASON = "SECRET-REASON-456"
OTHER = "second_reviewer"
HTMX = {"HX-Request": "true"}


def ris(count: int) -> bytes:
    return "\n".join(
        f"TY  - JOUR\nTI  - Blind trial {i}\nPY  - 2021\nDO  - 10.1000/b{i}\nER  - \n"
        for i in range(1, count + 1)
    ).encode()


@pytest.fixture
def secret(review, second_reviewer):
    """Records r1, r2, r3; second_reviewer excluded r2 with a secret reason and note."""
    records_import(review=review, data=ris(3), file_name="b.ris", source_name="PubMed")
    records = list(Record.objects.filter(review=review).order_by("id"))
    reason = ExclusionReason.objects.create(review=review, label=SECRET_REASON, position=99)
    services.decision_record(
        review=review,
        record=records[1],
        reviewer=second_reviewer,
        verdict="exclude",
        reason_ids=[reason.id],
        note=SECRET_NOTE,
    )
    # Archived: no longer offered in the form, so it can appear only through the decision.
    ExclusionReason.objects.filter(pk=reason.pk).update(is_active=False)
    return records


def screen_url(review, query=""):
    return reverse("screening:screen", args=[review.slug]) + query


def assert_no_leak(response):
    body = response.content.decode()
    assert SECRET_NOTE not in body
    assert SECRET_REASON not in body
    assert OTHER not in body
    assert "Other reviewers' decisions" not in body
    assert 'id="others"' not in body


def assert_shows_secret(response):
    body = response.content.decode()
    assert (
        f'<p class="other-decision verdict-exclude"><strong>{OTHER}</strong>: Exclude '
        f"({SECRET_REASON}) — <q>{SECRET_NOTE}</q></p>"
    ) in body


def leaky_responses(client, review, records):
    """Every screening page response a reviewer can get about the secretly decided record."""
    r1, r2, _r3 = records
    decide = reverse("screening:decide", args=[review.slug, r2.id])
    undo = reverse("screening:undo", args=[review.slug])
    responses = {
        "page": client.get(screen_url(review, f"?record={r2.id}")),
        "fragment": client.get(screen_url(review, f"?record={r2.id}"), headers=HTMX),
        "queue page": client.get(screen_url(review, f"?after={r1.id}")),
        "reason required": client.post(decide, {"verdict": "exclude"}),
        "reason required fragment": client.post(decide, {"verdict": "exclude"}, headers=HTMX),
        "bad verdict": client.post(decide, {"verdict": "accept"}),
        "bad reason": client.post(decide, {"verdict": "exclude", "reason": "x"}),
    }
    # Deciding r1 shows r2 next, as a fragment and as a page after the redirect.
    decide_r1 = reverse("screening:decide", args=[review.slug, r1.id])
    responses["decide fragment"] = client.post(
        decide_r1, {"verdict": "include", "after": r1.id}, headers=HTMX
    )
    client.post(undo)
    responses["decide page"] = client.post(
        decide_r1, {"verdict": "include", "after": r1.id}, follow=True
    )
    # Deciding r2 and undoing it shows r2 again.
    client.post(decide, {"verdict": "maybe", "after": r2.id})
    responses["undo fragment"] = client.post(undo, headers=HTMX)
    client.post(decide, {"verdict": "maybe", "after": r2.id})
    responses["undo page"] = client.post(undo, follow=True)
    return responses


def test_blind_reviewer_never_sees_others_decisions(client_for, review, reviewer, secret):
    assert review.blind_screening is True
    responses = leaky_responses(client_for(reviewer), review, secret)
    assert {name: r.status_code for name, r in responses.items()} == {
        "page": 200,
        "fragment": 200,
        "queue page": 200,
        "reason required": 200,
        "reason required fragment": 200,
        "bad verdict": 400,
        "bad reason": 400,
        "decide fragment": 200,
        "decide page": 200,
        "undo fragment": 200,
        "undo page": 200,
    }
    for name, response in responses.items():
        if response.status_code == 200:
            record = response.context["record"]
            assert record == secret[1], name  # every one of them shows the secret record
        assert_no_leak(response)


def test_blind_owner_sees_every_decision(client_for, review, owner, secret):
    client = client_for(owner)
    assert_shows_secret(client.get(screen_url(review, f"?record={secret[1].id}")))
    assert_shows_secret(client.get(screen_url(review, f"?record={secret[1].id}"), headers=HTMX))


def test_not_blind_reviewers_see_others_decisions(client_for, review, reviewer, secret):
    review.blind_screening = False
    review.save()
    responses = leaky_responses(client_for(reviewer), review, secret)
    for name in ("page", "fragment", "queue page", "reason required", "decide fragment"):
        assert_shows_secret(responses[name])
    for name in ("decide page", "undo fragment", "undo page"):
        assert OTHER in responses[name].content.decode(), name
