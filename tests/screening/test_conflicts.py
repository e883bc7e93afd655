"""The conflicts queue and the resolve page: who may see them, resolving, history, htmx."""

import json

import pytest
from django.urls import reverse

from reviews.imports import records_import
from reviews.models import Record, ReviewMember
from screening import services
from screening.models import Resolution, ResolutionChange
from screening.queries import conflict_ids, open_conflict_count, record_statuses
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def ris(count: int, *, start: int = 1) -> bytes:
    return "\n".join(
        f"TY  - JOUR\nTI  - Trial number {i} of exercise\nPY  - 2020\nDO  - 10.1000/c{i}\n"
        f"AB  - We randomised {i} adults.\nER  - \n"
        for i in range(start, start + count)
    ).encode()


def import_records(review, count, *, start=1):
    records_import(
        review=review, data=ris(count, start=start), file_name=f"c{start}.ris", source_name="Embase"
    )
    return list(
        Record.objects.filter(review=review, duplicate_of__isnull=True, position__lte=count)
        .filter(batch__file_name=f"c{start}.ris")
        .order_by("id")
    )


def reason_id(review, label):
    return review.reasons.get(label=label).id


def decide(review, record, user, verdict, reasons=(), note=""):
    return services.decision_record(
        review=review,
        record=record,
        reviewer=user,
        verdict=verdict,
        reason_ids=[reason_id(review, label) for label in reasons],
        note=note,
    )


def make_conflict(review, record, include_by, exclude_by, *, notes=("", "")):
    decide(review, record, include_by, "include", note=notes[0])
    decide(review, record, exclude_by, "exclude", ["Wrong population"], note=notes[1])


def conflicts_url(review):
    return reverse("screening:conflicts", args=[review.slug])


def next_url(review, query=""):
    return reverse("screening:conflict-next", args=[review.slug]) + query


def resolve_url(review, record):
    return reverse("screening:conflict-resolve", args=[review.slug, record.id])


@pytest.fixture
def resolver(review):
    user = make_user("rosa")
    ReviewMember.objects.create(
        review=review, user=user, role=ReviewMember.Role.REVIEWER, is_resolver=True
    )
    return user


@pytest.fixture
def conflicted(review, reviewer, second_reviewer):
    """Three records: the first two in conflict, the third agreed (included)."""
    records = import_records(review, 3)
    make_conflict(
        review, records[0], reviewer, second_reviewer, notes=("keen on it", "SECRET-NOTE-B")
    )
    make_conflict(review, records[1], second_reviewer, reviewer)
    decide(review, records[2], reviewer, "include")
    decide(review, records[2], second_reviewer, "maybe")
    return records


# --- permissions ------------------------------------------------------------------------


def _urls(review, record):
    return [
        ("get", conflicts_url(review)),
        ("get", next_url(review)),
        ("get", resolve_url(review, record)),
        ("post", resolve_url(review, record)),
    ]


def test_conflict_pages_send_anonymous_users_to_log_in(client_for, review, conflicted):
    client = client_for(None)
    for method, url in _urls(review, conflicted[0]):
        response = getattr(client, method)(url, {"verdict": "include"} if method == "post" else {})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url
    assert not Resolution.objects.exists()


def test_conflict_pages_are_not_found_for_outsiders(client_for, review, outsider, conflicted):
    client = client_for(outsider)
    for method, url in _urls(review, conflicted[0]):
        response = getattr(client, method)(url, {"verdict": "include"} if method == "post" else {})
        assert response.status_code == 404, url
    assert not Resolution.objects.exists()


def test_conflict_pages_are_forbidden_to_reviewers_who_do_not_resolve(
    client_for, review, reviewer, second_reviewer, conflicted
):
    for user in (reviewer, second_reviewer):
        client = client_for(user)
        for method, url in _urls(review, conflicted[0]):
            data = {"verdict": "include"} if method == "post" else {}
            response = getattr(client, method)(url, data)
            body = response.content.decode()
            assert response.status_code == 403, url
            assert "SECRET-NOTE-B" not in body
            assert "keen on it" not in body
            assert "Trial number" not in body
    assert not Resolution.objects.exists()


def test_conflict_pages_open_for_owners_and_resolvers(
    client_for, review, owner, resolver, conflicted
):
    for user in (owner, resolver):
        client = client_for(user)
        for method, url in _urls(review, conflicted[0])[:3]:
            assert getattr(client, method)(url).status_code == 200, url


def test_conflict_pages_refuse_other_methods(client_for, review, owner, conflicted):
    client = client_for(owner)
    assert client.post(conflicts_url(review)).status_code == 405
    assert client.post(next_url(review)).status_code == 405
    assert client.put(resolve_url(review, conflicted[0])).status_code == 405
    assert client.delete(resolve_url(review, conflicted[0])).status_code == 405


def test_blind_reviewer_never_sees_votes_or_the_conflict_count(
    client_for, review, reviewer, conflicted
):
    body = client_for(reviewer).get(reverse("reviews:review-detail", args=[review.slug]))
    body = body.content.decode()
    assert 'id="nav-conflicts"' not in body
    assert 'id="conflict-count"' not in body
    assert "Dashboard" not in body
    screen = client_for(reviewer).get(
        reverse("screening:screen", args=[review.slug]) + f"?record={conflicted[0].id}"
    )
    assert "SECRET-NOTE-B" not in screen.content.decode()


# --- the queue ----------------------------------------------------------------------------


def test_conflict_queue_lists_open_conflicts_with_votes_side_by_side(
    client_for, review, owner, reviewer, second_reviewer, conflicted
):
    first, second, agreed = conflicted
    response = client_for(owner).get(conflicts_url(review))
    body = response.content.decode()
    assert response.status_code == 200
    assert [row["record"].id for row in response.context["rows"]] == [first.id, second.id]
    assert [user.username for user in response.context["columns"]] == [
        "reviewer",
        "second_reviewer",
    ]
    votes = [[vote.verdict for vote in row["votes"]] for row in response.context["rows"]]
    assert votes == [["include", "exclude"], ["exclude", "include"]]
    assert response.context["open_conflicts"] == 2
    assert f'id="conflict-{agreed.id}"' not in body
    assert (
        '<td><span class="list-verdict list-exclude">Exclude</span><br><small>Wrong population'
        "</small></td>"
    ) in body
    assert '<th scope="col">reviewer</th><th scope="col">second_reviewer</th>' in body
    assert f'<a href="{resolve_url(review, first)}">Trial number 1 of exercise</a>' in body
    assert f'href="{next_url(review)}" id="start-resolving"' in body
    # The navigation's count comes from the page's own count.
    assert '<span class="badge" id="conflict-count">2<span class="visually-hidden"> open' in body
    assert "None yet." in body  # nothing resolved


def test_conflict_queue_htmx_renders_the_queue_only(client_for, review, owner, conflicted):
    response = client_for(owner).get(conflicts_url(review), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="queue" class="conflicts">')
    assert "<html" not in body
    assert response["Vary"] == "HX-Request, Cookie"


def test_conflict_queue_lists_resolved_records_to_change(
    client_for, review, owner, resolver, conflicted
):
    first = conflicted[0]
    services.conflict_resolve(
        review=review, record=first, resolver=resolver, verdict="include", note="fits"
    )
    response = client_for(owner).get(conflicts_url(review))
    body = response.content.decode()
    assert [row["record"].id for row in response.context["rows"]] == [conflicted[1].id]
    assert [r.record_id for r in response.context["resolutions"]] == [first.id]
    assert f'<tr id="resolved-{first.id}">' in body
    assert f'<a href="{resolve_url(review, first)}">Change</a>' in body
    assert "<td>rosa</td>" in body


def test_single_screening_review_has_no_conflicts(client_for, review, owner, reviewer):
    review.required_decisions = 1
    review.save()
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    decide(review, record, owner, "exclude", ["Other"])
    assert conflict_ids(review) == []
    assert open_conflict_count(review) == 0
    body = client_for(owner).get(conflicts_url(review)).content.decode()
    assert "This review needs one decision per record, so there are no conflicts." in body


# --- the resolve page ---------------------------------------------------------------------


def test_resolve_page_shows_the_record_and_every_vote(
    client_for, review, owner, reviewer, second_reviewer, conflicted
):
    first = conflicted[0]
    response = client_for(owner).get(resolve_url(review, first))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["record"] == first
    assert [(v.reviewer.username, v.verdict) for v in response.context["votes"]] == [
        ("reviewer", "include"),
        ("second_reviewer", "exclude"),
    ]
    assert '<h1 id="record-title" class="record-title" tabindex="-1">Trial number 1' in body
    assert '<p class="vote-note"><q>keen on it</q></p>' in body
    assert '<p class="vote-note"><q>SECRET-NOTE-B</q></p>' in body
    assert '<ul class="vote-reasons"><li>Wrong population</li></ul>' in body
    assert '<h2 id="decide-heading">Final verdict</h2>' in body
    assert f'action="{resolve_url(review, first)}"' in body
    assert 'data-verdict="include"' in body
    assert 'data-verdict="exclude"' in body
    assert 'data-verdict="maybe"' not in body  # a final verdict is include or exclude
    assert "Conflict 1 of 2" in body
    assert f'href="{resolve_url(review, conflicted[1])}"' in body  # skip (j)
    assert 'data-nav="prev"' not in body
    assert body.count('id="conflict-count"') == 1


def test_resolve_next_opens_the_first_conflict_or_says_none_is_left(
    client_for, review, owner, conflicted
):
    client = client_for(owner)
    assert client.get(next_url(review)).context["record"] == conflicted[0]
    after_first = client.get(next_url(review, f"?after={conflicted[0].id}"))
    assert after_first.context["record"] == conflicted[1]
    wrapped = client.get(next_url(review, f"?after={conflicted[1].id}"))
    assert wrapped.context["record"] == conflicted[0]
    for record in conflicted[:2]:
        services.conflict_resolve(review=review, record=record, resolver=owner, verdict="include")
    response = client.get(next_url(review))
    body = response.content.decode()
    assert response.context["record"] is None
    assert '<h1 tabindex="-1">No open conflicts</h1>' in body
    assert 'id="decide-form"' not in body


def test_resolve_page_is_not_found_for_a_record_without_conflict(
    client_for, review, owner, conflicted
):
    client = client_for(owner)
    agreed = conflicted[2]
    assert client.get(resolve_url(review, agreed)).status_code == 404
    response = client.post(resolve_url(review, agreed), {"verdict": "exclude"})
    assert response.status_code == 400
    assert (
        response.content.decode() == f"Record {agreed.id} is not in conflict: nothing to resolve."
    )
    assert not Resolution.objects.exists()
    other_review_url = reverse("screening:conflict-resolve", args=[review.slug, 999_999])
    assert client.get(other_review_url).status_code == 404


def test_resolving_moves_the_record_to_resolved_and_goes_to_the_next_conflict(
    client_for, review, resolver, conflicted
):
    first, second, _ = conflicted
    client = client_for(resolver)
    response = client.post(
        resolve_url(review, first), {"verdict": "include", "note": " fits the question "}
    )
    assert response.status_code == 302
    assert response["Location"] == resolve_url(review, second)
    assert record_statuses(review, [first.id]) == {first.id: "resolved_included"}
    resolution = Resolution.objects.get(record=first)
    assert (resolution.verdict, resolution.note, resolution.resolved_by) == (
        "include",
        "fits the question",
        resolver,
    )
    history = list(
        ResolutionChange.objects.filter(record=first).values_list(
            "resolver__username", "old_verdict", "new_verdict", "new_reasons", "new_note"
        )
    )
    assert history == [("rosa", "", "include", [], "fits the question")]
    page = client.get(response["Location"])
    assert "Resolved: Include for record" in page.content.decode()

    # The last conflict: afterwards the page says none is left.
    response = client.post(
        resolve_url(review, second),
        {"verdict": "exclude", "reason": [str(reason_id(review, "Wrong outcome"))]},
    )
    assert response["Location"] == next_url(review)
    assert record_statuses(review, [second.id]) == {second.id: "resolved_excluded"}
    assert list(Resolution.objects.get(record=second).reasons.values_list("label", flat=True)) == [
        "Wrong outcome"
    ]
    assert open_conflict_count(review) == 0


def test_resolving_with_htmx_swaps_in_the_next_conflict(client_for, review, owner, conflicted):
    first, second, _ = conflicted
    response = client_for(owner).post(
        resolve_url(review, first), {"verdict": "include", "after": first.id}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="screen" class="screen resolve"')
    assert f'data-record="{second.id}"' in body
    assert "<html" not in body
    assert response["HX-Push-Url"] == resolve_url(review, second)
    assert json.loads(response["HX-Trigger"]) == {
        "conflictResolved": {"record": first.id, "verdict": "include"}
    }
    assert f"Resolved: Include for record {first.id}." in body
    # The navigation's count, out of band: one conflict left.
    assert (
        '<span class="badge" id="conflict-count" hx-swap-oob="true">1'
        '<span class="visually-hidden"> open</span></span>'
    ) in body
    assert "Conflict 1 of 1" in body


def test_resolve_get_htmx_renders_the_fragment(client_for, review, owner, conflicted):
    response = client_for(owner).get(resolve_url(review, conflicted[1]), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="screen" class="screen resolve"')
    assert "Conflict 2 of 2" in body
    assert f'href="{resolve_url(review, conflicted[0])}"' in body  # previous (k)


def test_exclusion_without_reason_comes_back_with_the_message(
    client_for, review, owner, conflicted
):
    first = conflicted[0]
    for headers in ({}, HTMX):
        response = client_for(owner).post(
            resolve_url(review, first), {"verdict": "exclude", "note": "keep me"}, headers=headers
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert (
            '<p class="error" role="alert" id="decide-error">Choose at least one exclusion '
            "reason (keys 1–9).</p>"
        ) in body
        assert '<textarea name="note" id="note" rows="2">keep me</textarea>' in body
        assert response.context["record"] == first
    assert not Resolution.objects.exists()
    assert not ResolutionChange.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"verdict": "maybe"}, {"verdict": ""}, {"verdict": "exclude", "reason": ["nope"]}],
)
def test_invalid_resolution_is_a_bad_request(client_for, review, owner, conflicted, data):
    response = client_for(owner).post(resolve_url(review, conflicted[0]), data)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not Resolution.objects.exists()


def test_changing_a_resolution_keeps_its_history(client_for, review, owner, resolver, conflicted):
    first = conflicted[0]
    client_for(resolver).post(resolve_url(review, first), {"verdict": "include"})
    client = client_for(owner)
    page = client.get(resolve_url(review, first))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Resolved <strong>Include</strong> by rosa" in body
    assert 'aria-keyshortcuts="i" aria-pressed="true"' in body
    assert "Resolved record; 1 open conflict left" in body

    wrong = str(reason_id(review, "Wrong comparator"))
    response = client.post(
        resolve_url(review, first), {"verdict": "exclude", "reason": [wrong], "note": "no"}
    )
    assert response.status_code == 302
    assert record_statuses(review, [first.id]) == {first.id: "resolved_excluded"}
    assert Resolution.objects.count() == 1
    assert Resolution.objects.get().resolved_by == owner
    history = list(
        ResolutionChange.objects.filter(record=first)
        .order_by("id")
        .values_list(
            "resolver__username", "old_verdict", "new_verdict", "old_reasons", "new_reasons"
        )
    )
    assert history == [
        ("rosa", "", "include", [], []),
        ("owner", "include", "exclude", [], ["Wrong comparator"]),
    ]
    body = client.get(resolve_url(review, first)).content.decode()
    assert "History (2 changes)" in body
    assert "owner: include → exclude (Wrong comparator) — <q>no</q>" in body


# --- navigation count and query counts ----------------------------------------------------


def test_navigation_shows_the_open_conflict_count_to_owners_and_resolvers(
    client_for, review, owner, resolver, conflicted
):
    detail = reverse("reviews:review-detail", args=[review.slug])
    for user in (owner, resolver):
        body = client_for(user).get(detail).content.decode()
        assert (
            f'<a href="{conflicts_url(review)}" id="nav-conflicts">Conflicts '
            '<span class="badge" id="conflict-count">2<span class="visually-hidden"> open</span>'
            "</span>"
        ) in body
    owner_body = client_for(owner).get(detail).content.decode()
    resolver_body = client_for(resolver).get(detail).content.decode()
    dashboard = reverse("screening:dashboard", args=[review.slug])
    assert f'<a href="{dashboard}">Dashboard</a>' in owner_body
    assert dashboard not in resolver_body


def _make_conflicts(review, reviewer, second_reviewer, count, start):
    records = import_records(review, count, start=start)
    for record in records:
        make_conflict(review, record, reviewer, second_reviewer, notes=("a", "b"))
    return records


@pytest.mark.parametrize("count", [1, 3])
def test_conflict_queue_query_count(
    client_for, review, owner, reviewer, second_reviewer, django_assert_num_queries, count
):
    records = _make_conflicts(review, reviewer, second_reviewer, count, start=10)
    services.conflict_resolve(review=review, record=records[0], resolver=owner, verdict="include")
    _make_conflicts(review, reviewer, second_reviewer, count, start=20)
    client = client_for(owner)
    # session, user, membership+review, conflict ids, records, their decisions, their reasons,
    # resolutions, their reasons
    with django_assert_num_queries(9):
        response = client.get(conflicts_url(review))
    assert len(response.context["rows"]) == 2 * count - 1


@pytest.mark.parametrize("count", [1, 3])
def test_resolve_page_query_count(
    client_for, review, owner, reviewer, second_reviewer, django_assert_num_queries, count
):
    records = _make_conflicts(review, reviewer, second_reviewer, count, start=10)
    services.conflict_resolve(review=review, record=records[0], resolver=owner, verdict="include")
    client = client_for(owner)
    # session, user, membership+review, record with its duplicates' sources, its status,
    # conflict ids, reasons, resolution, its reasons, votes, their reasons, history
    with django_assert_num_queries(12):
        response = client.get(resolve_url(review, records[0]))
    assert len(response.context["votes"]) == 2
