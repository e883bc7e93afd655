"""The screening page: one record at a time, decide, undo; pages and htmx fragments."""

import json

import pytest
from django.urls import reverse

from reviews import services as review_services
from reviews.imports import records_import
from reviews.models import Record, ReviewMember
from screening import services
from screening.models import Decision, DecisionChange

pytestmark = pytest.mark.django_db

SAVED_INCLUDE = "Saved: Include for record {}."


def ris(count: int, *, prefix: str = "10.1000/t", title: str = "Trial number {i} of exercise"):
    entries = []
    for i in range(1, count + 1):
        entries.append(
            f"TY  - JOUR\nTI  - {title.format(i=i)}\nPY  - 2020\nDO  - {prefix}{i}\nER  - \n"
        )
    return "\n".join(entries).encode()


def import_records(review, count=3, *, source="MEDLINE (PubMed)", name=None, **kwargs):
    records_import(
        review=review,
        data=ris(count, **kwargs),
        file_name=name or f"r{count}.ris",
        source_name=source,
    )
    return list(Record.objects.filter(review=review, duplicate_of__isnull=True).order_by("id"))


def screen_url(review, query=""):
    return reverse("screening:screen", args=[review.slug]) + query


def decide_url(review, record):
    return reverse("screening:decide", args=[review.slug, record.id])


def undo_url(review):
    return reverse("screening:undo", args=[review.slug])


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


def shown(client, review, query=""):
    """The id of the record the screening page shows (None: the queue is empty)."""
    response = client.get(screen_url(review, query))
    assert response.status_code == 200
    record = response.context["record"]
    return record.id if record else None


def decisions(review):
    return sorted(
        Decision.objects.filter(review=review).values_list(
            "record_id", "reviewer__username", "verdict", "note"
        )
    )


HTMX = {"HX-Request": "true"}


# --- The page --------------------------------------------------------------------------


def test_screen_shows_the_record_in_full(client_for, review, reviewer):
    review.include_terms = ["exercis*"]
    review.exclude_terms = ["mice"]
    review.save()
    records_import(
        review=review,
        data=b"TY  - JOUR\nTI  - Exercise in mice\nAU  - Smith, John\nAU  - Doe, Ann\n"
        b"PY  - 2019\nJO  - Journal of Affective Disorders\nVL  - 12\nIS  - 3\nSP  - 100\n"
        b"EP  - 110\nDO  - 10.1000/abc.123\nU1  - 31234567 [PMID]\nKW  - exercise therapy\n"
        b"KW  - depression\nAB  - We randomised 200 adults to exercise.\nER  - \n",
        file_name="pubmed.ris",
        source_name="MEDLINE (PubMed)",
    )
    records_import(
        review=review,
        data=b"TY  - JOUR\nTI  - Exercise in mice.\nPY  - 2019\nDO  - 10.1000/ABC.123\nER  - \n",
        file_name="embase.ris",
        source_name="Embase",
    )
    record = Record.objects.get(review=review, duplicate_of__isnull=True)
    Record.objects.filter(pk=record.pk).update(mesh_terms=["Exercise Therapy", "Mice"])
    assert Record.objects.get(duplicate_of=record).batch.source_name == "Embase"

    response = client_for(reviewer).get(screen_url(review))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["record"] == record
    assert (
        '<h1 id="record-title" class="record-title" tabindex="-1">'
        '<mark class="hl-include">Exercise</mark> in <mark class="hl-exclude">mice</mark></h1>'
    ) in body
    assert '<p class="record-authors">Smith, John; Doe, Ann</p>' in body
    assert (
        '<p class="record-citation">Journal of Affective Disorders 2019;12(3):100-110</p>' in body
    )
    assert '<a href="https://doi.org/10.1000/abc.123"' in body
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/31234567/"' in body
    assert (
        '<span class="term"><mark class="hl-include">exercise</mark> therapy</span>; '
        '<span class="term">depression</span>'
    ) in body
    assert (
        '<span class="term"><mark class="hl-include">Exercise</mark> Therapy</span>; '
        '<span class="term"><mark class="hl-exclude">Mice</mark></span>'
    ) in body
    assert '<p>We randomised 200 adults to <mark class="hl-include">exercise</mark>.</p>' in body
    assert f"Record {record.id} · from MEDLINE (PubMed), Embase" in body
    assert "<p>RCTs of exercise</p>" in body  # the criteria side panel
    assert "<p>Not RCTs</p>" in body
    assert "You: 0 done, 1 remaining" in body
    assert "Review: 0 of 1 records complete" in body
    assert body.count('type="checkbox" name="reason"') == 9
    assert 'data-reason-key="9"' in body
    assert f'href="{screen_url(review)}" aria-current="page">Screen</a>' in body


def test_screen_uses_the_title_fallback_and_escapes_record_text(client_for, review, reviewer):
    review.include_terms = ["trial"]
    review.save()
    records_import(
        review=review,
        data=b"TY  - JOUR\nJO  - Lancet\nPY  - 2001\nAB  - A short trial.\nER  - \n\n"
        b'TY  - JOUR\nTI  - <script>alert("x")</script> trial <img src=x onerror=alert(1)>\n'
        b"ER  - \n",
        file_name="odd.ris",
        source_name="PubMed",
    )
    client = client_for(reviewer)
    body = client.get(screen_url(review)).content.decode()
    assert (
        '<h1 id="record-title" class="record-title" tabindex="-1">Lancet 2001 — A short '
        '<mark class="hl-include">trial</mark>.</h1>'
    ) in body
    second = Record.objects.get(review=review, position=2)
    body = client.get(screen_url(review, f"?record={second.id}")).content.decode()
    assert (
        '<h1 id="record-title" class="record-title" tabindex="-1">'
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
        '<mark class="hl-include">trial</mark> &lt;img src=x onerror=alert(1)&gt;</h1>'
    ) in body
    assert '<script>alert("x")' not in body
    assert "<img src=x" not in body


def test_screen_empty_queue(client_for, review, reviewer):
    record = import_records(review, 1)[0]
    decide(review, record, reviewer, "include")
    response = client_for(reviewer).get(screen_url(review))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["record"] is None
    assert "You have screened every record available to you" in body
    assert "You: 1 done, 0 remaining" in body
    assert 'id="decide-form"' not in body
    assert f'href="{screen_url(review)}?record={record.id}"' in body  # previous


def test_screen_opens_a_record_with_my_decision_preselected(client_for, review, reviewer):
    first, second = import_records(review, 2)
    decide(review, first, reviewer, "exclude", ["Wrong outcome", "Other"], note="rats & mice")
    response = client_for(reviewer).get(screen_url(review, f"?record={first.id}"))
    body = response.content.decode()
    assert response.context["record"] == first
    assert 'value="exclude" class="verdict verdict-exclude" data-verdict="exclude"' in body
    assert body.count('aria-pressed="true"') == 1
    assert 'aria-keyshortcuts="e" aria-pressed="true"' in body
    chosen = response.context["form"]["reasons"]
    assert [r.label for r in response.context["reasons"] if r.id in chosen] == [
        "Wrong outcome",
        "Other",
    ]
    assert body.count(" checked>") == 2
    assert '<textarea name="note" id="note" rows="2">rats &amp; mice</textarea>' in body
    mine = "You decided <strong>Exclude</strong> (Wrong outcome; Other) — <q>rats &amp; mice</q>"
    assert mine in body
    # The next link continues the queue after this record; the previous one has none before.
    assert f'href="{screen_url(review)}?after={first.id}"' in body
    assert 'data-nav="prev"' not in body
    # From the next record, "previous" is the one decided before.
    body = client_for(reviewer).get(screen_url(review)).content.decode()
    assert f'href="{screen_url(review)}?record={first.id}"' in body


def test_screen_previous_and_next_walk_my_history(client_for, review, reviewer, second_reviewer):
    first, second, third = import_records(review, 3)
    decide(review, second, reviewer, "include")
    decide(review, first, reviewer, "maybe")
    decide(review, third, second_reviewer, "include")  # not mine: never in my history
    client = client_for(reviewer)
    response = client.get(screen_url(review, f"?record={second.id}"))
    assert response.context["prev_id"] is None
    assert response.context["next_url"] == screen_url(review, f"?record={first.id}")
    response = client.get(screen_url(review, f"?record={first.id}"))
    assert response.context["prev_id"] == second.id
    assert response.context["next_url"] == screen_url(review, f"?after={first.id}")
    response = client.get(screen_url(review))
    assert response.context["record"] == third
    assert response.context["prev_id"] == first.id
    assert response.context["next_url"] == screen_url(review, f"?after={third.id}")


def test_screen_skip_goes_to_the_next_record_and_wraps(client_for, review, reviewer):
    first, second, third = import_records(review, 3)
    client = client_for(reviewer)
    assert shown(client, review) == first.id
    assert shown(client, review, f"?after={first.id}") == second.id
    assert shown(client, review, f"?after={third.id}") == first.id
    assert shown(client, review, "?after=junk") == first.id


# --- Permissions and methods -----------------------------------------------------------


def test_screen_urls_need_login_and_membership(client_for, review, outsider):
    record = import_records(review, 1)[0]
    urls = [
        ("get", screen_url(review)),
        ("post", decide_url(review, record)),
        ("post", undo_url(review)),
    ]
    for method, url in urls:
        data = {"verdict": "include"} if method == "post" else None
        response = getattr(client_for(None), method)(url, data)
        assert response.status_code == 302, url
        assert response.url == f"{reverse('login')}?next={url}"
        assert getattr(client_for(outsider), method)(url, data).status_code == 404
    assert Decision.objects.count() == 0


def test_screen_urls_wrong_method_405(client_for, review, reviewer):
    record = import_records(review, 1)[0]
    client = client_for(reviewer)
    assert client.post(screen_url(review)).status_code == 405
    assert client.get(decide_url(review, record)).status_code == 405
    assert client.get(undo_url(review)).status_code == 405
    assert client.delete(decide_url(review, record)).status_code == 405


def test_owner_and_reviewer_may_screen(client_for, review, owner, reviewer):
    record = import_records(review, 1)[0]
    for user in (owner, reviewer):
        response = client_for(user).post(decide_url(review, record), {"verdict": "include"})
        assert response.status_code == 302
    assert decisions(review) == [
        (record.id, "owner", "include", ""),
        (record.id, "reviewer", "include", ""),
    ]


def test_record_of_another_review_is_404(client_for, review, owner, reviewer):
    import_records(review, 1)
    other = review_services.review_create(title="Other review", owner=owner)
    ReviewMember.objects.create(review=other, user=reviewer, role=ReviewMember.Role.REVIEWER)
    foreign = import_records(other, 1, prefix="10.2000/o")[0]
    client = client_for(reviewer)
    assert client.get(screen_url(review, f"?record={foreign.id}")).status_code == 404
    assert client.get(screen_url(review, "?record=abc")).status_code == 404
    assert client.get(screen_url(review, "?record=999999")).status_code == 404
    response = client.post(decide_url(review, foreign), {"verdict": "include"})
    assert response.status_code == 404
    assert Decision.objects.count() == 0


# --- Deciding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "label", "reasons", "note"),
    [
        ("include", "Include", (), ""),
        ("exclude", "Exclude", ("Wrong population", "Wrong outcome"), "adolescents"),
        ("maybe", "Maybe", (), "check the full text"),
    ],
)
def test_decide_saves_and_shows_the_next_record(
    client_for, review, reviewer, verdict, label, reasons, note
):
    first, second = import_records(review, 2)
    client = client_for(reviewer)
    data = {
        "verdict": verdict,
        "reason": [reason_id(review, r) for r in reasons],
        "note": note,
        "after": first.id,
    }
    response = client.post(decide_url(review, first), data)
    assert response.status_code == 302
    assert response.url == screen_url(review, f"?after={first.id}")
    assert decisions(review) == [(first.id, "reviewer", verdict, note)]
    decision = Decision.objects.get()
    assert [r.label for r in decision.reasons.all()] == list(reasons)
    assert list(DecisionChange.objects.values_list("kind", "new_verdict", "new_reasons")) == [
        ("created", verdict, list(reasons))
    ]
    page = client.get(response.url)
    assert page.context["record"] == second
    assert f"Saved: {label} for record {first.id}." in page.content.decode()
    assert "You: 1 done, 1 remaining" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"verdict": "accept"}, "Unknown verdict &#x27;accept&#x27;"),
        ({}, "Unknown verdict &#x27;&#x27;"),
        ({"verdict": "exclude", "reason": "abc"}, "Unknown exclusion reason &#x27;abc&#x27;."),
        ({"verdict": "include", "reason": "999999"}, "Exclusion reason 999999 is not one"),
    ],
)
def test_decide_bad_input_is_400_and_saves_nothing(client_for, review, reviewer, data, message):
    record = import_records(review, 1)[0]
    response = client_for(reviewer).post(decide_url(review, record), data)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message.replace("&#x27;", "'") in response.content.decode()
    assert Decision.objects.count() == 0
    assert DecisionChange.objects.count() == 0


def test_decide_exact_400_messages(client_for, review, owner, reviewer):
    record = import_records(review, 1)[0]
    client = client_for(reviewer)
    response = client.post(decide_url(review, record), {"verdict": "accept"})
    assert response.content.decode() == "Unknown verdict 'accept': use include, exclude or maybe."
    other = review_services.review_create(title="Other", owner=owner)
    foreign_reason = other.reasons.first()
    response = client.post(
        decide_url(review, record), {"verdict": "exclude", "reason": foreign_reason.id}
    )
    assert response.content.decode() == (
        f"Exclusion reason {foreign_reason.id} is not one of this review's reasons."
    )
    assert Decision.objects.count() == 0


def test_exclude_without_reason_shows_the_form_again(client_for, review, reviewer):
    first, second = import_records(review, 2)
    response = client_for(reviewer).post(
        decide_url(review, first), {"verdict": "exclude", "note": "kids", "after": first.id}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["record"] == first
    assert (
        '<p class="error" role="alert" id="decide-error">Choose at least one exclusion reason '
        "(keys 1–9).</p>"
    ) in body
    assert '<textarea name="note" id="note" rows="2">kids</textarea>' in body
    assert 'data-armed="exclude"' in body
    assert "<html" in body
    assert Decision.objects.count() == 0
    assert DecisionChange.objects.count() == 0


def test_decide_htmx_returns_the_next_record_fragment(client_for, review, reviewer):
    first, second = import_records(review, 2)
    response = client_for(reviewer).post(
        decide_url(review, first), {"verdict": "include", "after": first.id}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div id="screen" class="screen" data-record="{second.id}">')
    assert "<html" not in body
    assert "Criteria" not in body  # the side panel is not part of the fragment
    assert response.context["record"] == second
    assert SAVED_INCLUDE.format(first.id) in body
    assert json.loads(response["HX-Trigger"]) == {
        "decisionSaved": {"record": first.id, "verdict": "include"}
    }
    assert response["HX-Push-Url"] == screen_url(review, f"?after={first.id}")
    assert decisions(review) == [(first.id, "reviewer", "include", "")]


def test_decide_htmx_reason_required_rerenders_fragment(client_for, review, reviewer):
    record = import_records(review, 1)[0]
    response = client_for(reviewer).post(
        decide_url(review, record), {"verdict": "exclude"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div id="screen" class="screen" data-record="{record.id}">')
    assert "<html" not in body
    assert "Choose at least one exclusion reason (keys 1–9)." in body
    assert "HX-Trigger" not in response
    assert Decision.objects.count() == 0


def test_screen_htmx_get_returns_the_fragment(client_for, review, reviewer):
    first, second = import_records(review, 2)
    client = client_for(reviewer)
    response = client.get(screen_url(review, f"?after={first.id}"), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith(f'<div id="screen" class="screen" data-record="{second.id}">')
    assert "<html" not in body
    # A history restore asks for the whole page.
    response = client.get(
        screen_url(review), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_double_submit_is_idempotent(client_for, review, reviewer):
    first, second = import_records(review, 2)
    client = client_for(reviewer)
    data = {
        "verdict": "exclude",
        "reason": [reason_id(review, "Wrong outcome")],
        "note": "n",
        "after": first.id,
    }
    assert client.post(decide_url(review, first), data).status_code == 302
    assert client.post(decide_url(review, first), data, headers=HTMX).status_code == 200
    assert decisions(review) == [(first.id, "reviewer", "exclude", "n")]
    assert DecisionChange.objects.count() == 1
    assert Record.objects.get(pk=first.pk).decision_count == 1


def test_deciding_again_keeps_history(client_for, review, reviewer):
    record = import_records(review, 1)[0]
    client = client_for(reviewer)
    client.post(decide_url(review, record), {"verdict": "include"})
    client.post(
        decide_url(review, record),
        {"verdict": "exclude", "reason": [reason_id(review, "Other")], "note": "changed"},
    )
    assert decisions(review) == [(record.id, "reviewer", "exclude", "changed")]
    assert list(
        DecisionChange.objects.order_by("id").values_list(
            "kind", "old_verdict", "new_verdict", "new_reasons"
        )
    ) == [("created", "", "include", []), ("changed", "include", "exclude", ["Other"])]


def test_record_completed_by_others_can_still_be_decided(
    client_for, review, owner, reviewer, second_reviewer
):
    review.required_decisions = 1
    review.save()
    first, second = import_records(review, 2)
    decide(review, first, second_reviewer, "include")
    client = client_for(reviewer)
    assert shown(client, review) == second.id
    assert shown(client, review, f"?record={first.id}") == first.id
    response = client.post(decide_url(review, first), {"verdict": "maybe", "after": first.id})
    assert response.status_code == 302
    assert decisions(review) == [
        (first.id, "reviewer", "maybe", ""),
        (first.id, "second_reviewer", "include", ""),
    ]
    assert Record.objects.get(pk=first.pk).decision_count == 2


# --- Undo ------------------------------------------------------------------------------


def test_undo_shows_the_undone_record_again(client_for, review, reviewer):
    first, second = import_records(review, 2)
    client = client_for(reviewer)
    client.post(decide_url(review, first), {"verdict": "include", "after": first.id})
    response = client.post(undo_url(review))
    assert response.status_code == 302
    assert response.url == screen_url(review, f"?record={first.id}")
    assert Decision.objects.count() == 0
    assert list(DecisionChange.objects.order_by("id").values_list("kind", flat=True)) == [
        "created",
        "undone",
    ]
    page = client.get(response.url)
    body = page.content.decode()
    assert page.context["record"] == first
    assert page.context["mine"] is None
    assert f"Undone: your last decision on record {first.id}. Decide it again." in body
    assert 'aria-pressed="true"' not in body
    assert shown(client, review) == first.id  # back in the queue


def test_undo_of_a_change_preselects_the_earlier_decision(client_for, review, reviewer):
    record = import_records(review, 1)[0]
    client = client_for(reviewer)
    client.post(decide_url(review, record), {"verdict": "maybe", "note": "first"})
    client.post(decide_url(review, record), {"verdict": "include", "note": "second"})
    response = client.post(undo_url(review), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div id="screen" class="screen" data-record="{record.id}">')
    assert "<html" not in body
    assert response["HX-Push-Url"] == screen_url(review, f"?record={record.id}")
    assert 'aria-keyshortcuts="m" aria-pressed="true"' in body
    assert '<textarea name="note" id="note" rows="2">first</textarea>' in body
    assert decisions(review) == [(record.id, "reviewer", "maybe", "first")]


def test_undo_with_nothing_to_undo(client_for, review, reviewer):
    first = import_records(review, 1)[0]
    client = client_for(reviewer)
    response = client.post(undo_url(review), follow=True)
    assert response.redirect_chain == [(screen_url(review), 302)]
    assert response.context["record"] == first
    assert "Nothing to undo." in response.content.decode()
    response = client.post(undo_url(review), headers=HTMX)
    assert "Nothing to undo." in response.content.decode()
    assert "<html" not in response.content.decode()
    assert DecisionChange.objects.count() == 0


# --- Queue rules -----------------------------------------------------------------------


@pytest.fixture
def queue(review):
    """Three records to screen, and a duplicate of the first that is never offered."""
    records = import_records(review, 3)
    records_import(
        review=review,
        data=ris(1, title="Trial number {i} of exercise (again)"),
        file_name="embase.ris",
        source_name="Embase",
    )
    assert Record.objects.filter(review=review, duplicate_of=records[0]).count() == 1
    return [r.id for r in records]


def test_queue_with_one_required_decision(
    client_for, review, queue, owner, reviewer, second_reviewer
):
    review.required_decisions = 1
    review.save()
    r1, r2, r3 = queue
    records = {r.id: r for r in Record.objects.filter(review=review)}
    assert shown(client_for(reviewer), review) == r1
    decide(review, records[r1], reviewer, "include")
    assert shown(client_for(second_reviewer), review) == r2  # r1 has its one decision
    decide(review, records[r2], second_reviewer, "exclude", ["Other"])
    assert shown(client_for(reviewer), review, f"?after={r1}") == r3
    assert shown(client_for(owner), review) == r3
    decide(review, records[r3], owner, "maybe")
    for user in (owner, reviewer, second_reviewer):
        assert shown(client_for(user), review) is None


def test_queue_with_two_required_decisions(
    client_for, review, queue, owner, reviewer, second_reviewer
):
    r1, r2, r3 = queue
    records = {r.id: r for r in Record.objects.filter(review=review)}
    decide(review, records[r1], reviewer, "include")
    assert shown(client_for(reviewer), review) == r2
    assert shown(client_for(second_reviewer), review) == r1
    decide(review, records[r1], second_reviewer, "include")
    assert shown(client_for(owner), review) == r2  # r1 has its two decisions
    for user in (reviewer, second_reviewer):
        decide(review, records[r2], user, "maybe")
        decide(review, records[r3], user, "exclude", ["Other"])
    for user in (owner, reviewer, second_reviewer):
        assert shown(client_for(user), review) is None


def test_queue_with_three_required_decisions(
    client_for, review, queue, owner, reviewer, second_reviewer
):
    review.required_decisions = 3
    review.save()
    r1, r2, r3 = queue
    records = {r.id: r for r in Record.objects.filter(review=review)}
    decide(review, records[r1], reviewer, "include")
    decide(review, records[r1], second_reviewer, "include")
    assert shown(client_for(owner), review) == r1  # two of three decisions
    assert shown(client_for(reviewer), review) == r2
    decide(review, records[r1], owner, "exclude", ["Other"])
    for user in (owner, reviewer, second_reviewer):
        assert shown(client_for(user), review) == r2
        for record_id in (r2, r3):
            decide(review, records[record_id], user, "include")
    for user in (owner, reviewer, second_reviewer):
        assert shown(client_for(user), review) is None


# --- Query counts ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_screen_query_count_does_not_grow_with_records(
    client_for, review, reviewer, django_assert_num_queries, count
):
    records = import_records(review, count)
    client = client_for(reviewer)
    client.get(screen_url(review))  # warm the session
    # session, user, membership+review, next record with its duplicates' sources, reasons,
    # progress, my decision, previous decision
    with django_assert_num_queries(8):
        response = client.get(screen_url(review))
    assert response.context["record"] == records[0]


@pytest.mark.parametrize("count", [1, 3])
def test_screen_query_count_with_decisions_seen_by_owner(
    client_for, review, owner, reviewer, second_reviewer, django_assert_num_queries, count
):
    records = import_records(review, count)
    for record in records:
        decide(review, record, reviewer, "exclude", ["Other"], note="n")
        decide(review, record, second_reviewer, "include")
    client = client_for(owner)
    client.get(screen_url(review))
    # ... as above, plus the others' decisions and their reasons, and the open conflicts
    # counted for an owner's navigation.
    with django_assert_num_queries(11):
        response = client.get(screen_url(review, f"?record={records[0].id}"))
    assert len(response.context["others"]) == 2


@pytest.mark.parametrize("count", [2, 4])
@pytest.mark.parametrize("reasons", [0, 2])
def test_decide_query_count(
    client_for, review, reviewer, django_assert_num_queries, count, reasons
):
    records = import_records(review, count)
    reason_ids = list(review.reasons.order_by("position").values_list("id", flat=True)[:reasons])
    client = client_for(reviewer)
    client.get(screen_url(review))
    # session, user, membership+review, the record's id, the review's reasons; the decision,
    # its reasons, the record's count and its history entry in one statement, atomic on its
    # own (no savepoint); then the next record with its sources. With or without reasons.
    with django_assert_num_queries(7):
        response = client.post(
            reverse("screening:decide", args=[review.slug, records[0].id]),
            {"verdict": "exclude" if reasons else "include", "reason": reason_ids},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert response.context["record"] == records[1]
    assert response.context["prev_id"] == records[0].id
    assert response.context["mine"] is None
    decision = Decision.objects.get(record=records[0])
    assert (decision.reviewer_id, decision.verdict) == (
        reviewer.id,
        "exclude" if reasons else "include",
    )
    assert sorted(decision.reasons.values_list("id", flat=True)) == sorted(reason_ids)
    change = DecisionChange.objects.get(record=records[0])
    assert (change.kind, change.new_verdict, len(change.new_reasons)) == (
        "created",
        decision.verdict,
        reasons,
    )
    assert Record.objects.get(id=records[0].id).decision_count == 1


def test_progress_is_fetched_apart_after_htmx_swaps(client_for, review, reviewer, outsider):
    from django.urls import reverse

    from reviews.imports import records_import
    from tests.screening.test_services import ris

    records_import(review=review, data=ris(3), file_name="p.ris", source_name="PubMed")
    first = review.records.order_by("id").first()
    client = client_for(reviewer)
    response = client.post(
        reverse("screening:decide", args=[review.slug, first.id]),
        {"verdict": "include", "after": first.id},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    progress_url = reverse("screening:screen-progress", args=[review.slug])
    assert f'hx-get="{progress_url}"' in body
    assert "done," not in body  # no counts computed in the swap
    fresh = client.get(progress_url).content.decode()
    assert "You: 1 done, 2 remaining" in fresh
    assert "Review: 0 of 3 records complete" in fresh
    assert "hx-preserve" not in fresh
    full = client.get(reverse("screening:screen", args=[review.slug])).content.decode()
    assert "You: 1 done, 2 remaining" in full
    assert client_for(outsider).get(progress_url).status_code == 404
    assert client_for(reviewer).post(progress_url).status_code == 405


def test_a_duplicate_is_shown_but_cannot_be_decided(client_for, review, queue, reviewer):
    from screening.models import Decision

    r1 = queue[0]
    duplicate = Record.objects.get(review=review, duplicate_of_id=r1)
    client = client_for(reviewer)
    body = client.get(screen_url(review, f"?record={duplicate.id}")).content.decode()
    assert f'This record is a duplicate of <a href="{screen_url(review)}?record={r1}">' in body
    assert 'id="decide-form"' not in body
    response = client.post(
        reverse("screening:decide", args=[review.slug, duplicate.id]),
        {"verdict": "include"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response.content.decode() == (
        f"Record {duplicate.id} is a duplicate of record {r1}: decide that one."
    )
    assert Decision.objects.count() == 0
