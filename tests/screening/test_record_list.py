import html
import re

import pytest
from django.urls import reverse

from reviews.imports import records_import
from reviews.models import Record, ReviewMember
from screening import services
from screening.queries import RECORD_LIST_PAGE_SIZE

pytestmark = pytest.mark.django_db


def entry(n, *, title=None, year=2020, authors=("Smith, John",), abstract="", keywords=()):
    if title is None:
        title = f"Trial {n} of exercise therapy"
    lines = ["TY  - JOUR"] + ([f"TI  - {title}"] if title else [])
    lines += [f"AU  - {author}" for author in authors]
    if year is not None:
        lines.append(f"PY  - {year}")
    lines.append("JO  - Journal of Trials")
    if abstract:
        lines.append(f"AB  - {abstract}")
    lines += [f"KW  - {keyword}" for keyword in keywords]
    lines += [f"DO  - 10.1000/list.{n}", "ER  - "]
    return "\n".join(lines)


def import_entries(review, entries, *, name="search.ris", source="MEDLINE (PubMed)"):
    before = set(Record.objects.filter(review=review).values_list("id", flat=True))
    records_import(
        review=review, data="\n\n".join(entries).encode(), file_name=name, source_name=source
    )
    return list(Record.objects.filter(review=review).exclude(id__in=before).order_by("id"))


def import_records(review, count, start=1, **kwargs):
    return import_entries(review, [entry(n) for n in range(start, start + count)], **kwargs)


def decide(review, record, user, verdict, *, reasons=(), note=""):
    reason_ids = [review.reasons.get(label=label).id for label in reasons]
    if verdict == "exclude" and not reason_ids:
        reason_ids = [review.reasons.get(label="Wrong population").id]
    return services.decision_record(
        review=review,
        record=record,
        reviewer=user,
        verdict=verdict,
        reason_ids=reason_ids,
        note=note,
    )


def url_of(review, **params):
    from urllib.parse import urlencode

    url = reverse("screening:record-list", args=[review.slug])
    return f"{url}?{urlencode(params)}" if params else url


def text(response) -> str:
    return response.content.decode()


def row_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'id="record-row-(\d+)"', text(response))]


def statuses(response) -> dict[int, str]:
    rows = re.findall(r'id="record-row-(\d+)".*?list-status list-(\w+)', text(response), re.S)
    return {int(record_id): status for record_id, status in rows}


def my_verdicts(response) -> dict[int, str]:
    found = {}
    for row in re.findall(r'<tr id="record-row-(\d+)">(.*?)</tr>', text(response), re.S):
        verdict = re.search(r"list-verdict list-(\w+)", row[1])
        found[int(row[0])] = verdict.group(1) if verdict else None
    return found


def link(response, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', text(response))
    return html.unescape(found.group(1)) if found else None


# --- access ---------------------------------------------------------------------------


def test_record_list_anonymous_redirects_to_login(client_for, review):
    url = url_of(review)
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_record_list_outsider_gets_404(client_for, review, outsider):
    import_records(review, 2)
    assert client_for(outsider).get(url_of(review)).status_code == 404
    assert client_for(outsider).get(url_of(review, q="trial")).status_code == 404


def test_record_list_unknown_review_404(client_for, owner):
    response = client_for(owner).get(reverse("screening:record-list", args=["no-such-review"]))
    assert response.status_code == 404


def test_record_list_wrong_method_405(client_for, review, owner):
    client = client_for(owner)
    assert client.post(url_of(review)).status_code == 405
    assert client.put(url_of(review)).status_code == 405
    assert client.delete(url_of(review)).status_code == 405


def test_record_list_every_member_sees_the_table(client_for, review, owner, reviewer):
    records = import_entries(
        review,
        [
            entry(1, authors=("Smith, John", "Doe, Ann", "Lee, Kim", "Ng, Tom"), year=2019),
            entry(2, title="", year=None, abstract="Untitled abstract words here."),
        ],
    )
    for user in (owner, reviewer):
        response = client_for(user).get(url_of(review))
        assert response.status_code == 200
        assert row_ids(response) == [r.id for r in records]
        body = text(response)
        assert "Trial 1 of exercise therapy" in body
        assert "Smith, John; Doe, Ann; Lee, Kim; et al." in body
        assert "Ng, Tom" not in body
        assert "Journal of Trials 2019" not in body  # the title is shown, not the citation
        assert records[1].display_title == "Journal of Trials — Untitled abstract words here."
        assert "Journal of Trials — Untitled abstract words here." in body
        assert "MEDLINE (PubMed)" in body and "search.ris" in body
        screen = reverse("screening:screen", args=[review.slug])
        assert f'href="{screen}?record={records[0].id}"' in body
        assert "2 records match." in body
        assert f'href="{url_of(review)}"' in body  # the Records link in the review's nav


def test_record_list_htmx_fragment_is_only_the_table(client_for, review, owner):
    records = import_records(review, 3)
    response = client_for(owner).get(url_of(review, q="trial"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert 'id="record-filters"' not in body
    assert body.lstrip().startswith('<section id="record-table"')
    assert row_ids(response) == [r.id for r in records]
    assert "HX-Request" in response["Vary"]
    # A full page load of the same URL is the whole page.
    full = client_for(owner).get(url_of(review, q="trial"))
    assert "<html" in text(full) and 'id="record-filters"' in text(full)
    assert row_ids(full) == [r.id for r in records]


# --- search ---------------------------------------------------------------------------


@pytest.fixture
def searchable(review):
    return import_entries(
        review,
        [
            entry(1, abstract="Participants walked briskly every morning.", authors=("Ba, Li",)),
            entry(2, authors=("Okonkwo, Chidi", "Smith, J")),
            entry(3, keywords=("Mindfulness", "Anxiety")),
            entry(4, title="Yoga, tai chi and balance", abstract="Older adults practised."),
        ],
    )


def test_record_list_search_by_abstract_word(client_for, review, owner, searchable):
    response = client_for(owner).get(url_of(review, q="walking"))  # stems to "walk"
    assert row_ids(response) == [searchable[0].id]
    assert "1 record matches." in text(response)


def test_record_list_search_by_author_surname(client_for, review, reviewer, searchable):
    response = client_for(reviewer).get(url_of(review, q="okonkwo"))
    assert row_ids(response) == [searchable[1].id]


def test_record_list_search_by_keyword(client_for, review, reviewer, searchable):
    response = client_for(reviewer).get(url_of(review, q="mindfulness"))
    assert row_ids(response) == [searchable[2].id]


def test_record_list_search_web_syntax(client_for, review, owner, searchable):
    client = client_for(owner)
    assert row_ids(client.get(url_of(review, q='"tai chi"'))) == [searchable[3].id]
    assert row_ids(client.get(url_of(review, q="trial -okonkwo -mindfulness"))) == [
        searchable[0].id
    ]
    assert row_ids(client.get(url_of(review, q="walking or okonkwo"))) == [
        searchable[0].id,
        searchable[1].id,
    ]
    nothing = client.get(url_of(review, q="zebra"))
    assert row_ids(nothing) == []
    assert "No records match." in text(nothing)
    assert "0 records match." in text(nothing)


# --- filters --------------------------------------------------------------------------


def test_record_list_filter_my_decision(client_for, review, reviewer, second_reviewer):
    records = import_records(review, 5)
    decide(review, records[0], reviewer, "include")
    decide(review, records[1], reviewer, "exclude")
    decide(review, records[2], reviewer, "maybe")
    decide(review, records[3], second_reviewer, "include")
    client = client_for(reviewer)
    ids = [r.id for r in records]
    assert row_ids(client.get(url_of(review, mine="include"))) == [ids[0]]
    assert row_ids(client.get(url_of(review, mine="exclude"))) == [ids[1]]
    assert row_ids(client.get(url_of(review, mine="maybe"))) == [ids[2]]
    assert row_ids(client.get(url_of(review, mine="undecided"))) == [ids[3], ids[4]]
    assert row_ids(client.get(url_of(review, mine=""))) == ids
    assert my_verdicts(client.get(url_of(review))) == {
        ids[0]: "include",
        ids[1]: "exclude",
        ids[2]: "maybe",
        ids[3]: None,
        ids[4]: None,
    }


def test_record_list_filter_batch(client_for, review, reviewer):
    first = import_records(review, 2, name="pubmed.ris", source="MEDLINE (PubMed)")
    second = import_records(review, 2, start=10, name="embase.ris", source="Embase")
    batch_ids = sorted({r.batch_id for r in first + second})
    client = client_for(reviewer)
    assert row_ids(client.get(url_of(review, batch=batch_ids[0]))) == [r.id for r in first]
    assert row_ids(client.get(url_of(review, batch=batch_ids[1]))) == [r.id for r in second]
    page = text(client.get(url_of(review)))
    assert f'<option value="{batch_ids[1]}">Embase · embase.ris</option>' in page


def test_record_list_filter_year_range(client_for, review, reviewer):
    records = import_entries(
        review, [entry(1, year=2001), entry(2, year=2010), entry(3, year=2020), entry(4, year=None)]
    )
    ids = [r.id for r in records]
    client = client_for(reviewer)
    assert row_ids(client.get(url_of(review, year_from=2005))) == [ids[1], ids[2]]
    assert row_ids(client.get(url_of(review, year_to=2010))) == [ids[0], ids[1]]
    assert row_ids(client.get(url_of(review, year_from=2010, year_to=2010))) == [ids[1]]
    assert row_ids(client.get(url_of(review, year_from="", year_to=""))) == ids


def test_record_list_invalid_filters_are_ignored_with_a_note(client_for, review, owner):
    records = import_records(review, 3)
    ids = [r.id for r in records]
    client = client_for(owner)
    response = client.get(
        url_of(review, mine="perhaps", status="lost", batch="x", year_from="1990s", sort="sideways")
    )
    assert response.status_code == 200
    assert row_ids(response) == ids
    notes = re.findall(r'<p class="message warning" role="status">(.*?)</p>', text(response))
    assert [html.unescape(note) for note in notes] == [
        "My decision “perhaps” ignored: Select a valid choice. perhaps is not one of the "
        "available choices.",
        "Status “lost” ignored: Select a valid choice. lost is not one of the available choices.",
        "Import “x” ignored: Select a valid choice. x is not one of the available choices.",
        "Year from “1990s” ignored: Enter a whole number.",
        "Sort “sideways” ignored: Select a valid choice. sideways is not one of the available "
        "choices.",
    ]
    # A valid filter still applies next to an invalid one; an empty range is refused whole.
    response = client.get(url_of(review, q="trial", mine="perhaps", year_from=2021, year_to=2000))
    assert response.status_code == 200
    assert row_ids(response) == ids
    assert "Year range ignored: the year range 2021–2000 is empty." in text(response)
    response = client.get(url_of(review, after="garbage"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert row_ids(response) == ids
    assert "The page link was not understood: showing the first page." in text(response)


# --- status (owners only) ------------------------------------------------------------


@pytest.fixture
def decided(review, owner, reviewer, second_reviewer):
    """Six records, one of each status with two required decisions, and a duplicate."""
    records = import_records(review, 6)
    conflict, included, excluded, half, untouched, maybe_only = records
    decide(review, conflict, reviewer, "include")
    decide(review, conflict, second_reviewer, "exclude")
    decide(review, included, reviewer, "include")
    decide(review, included, second_reviewer, "maybe")
    decide(review, excluded, reviewer, "exclude")
    decide(review, excluded, second_reviewer, "exclude")
    decide(review, half, reviewer, "exclude")
    decide(review, maybe_only, owner, "maybe")
    decide(review, maybe_only, second_reviewer, "maybe")
    # The same DOI again from another database: linked as a duplicate of `untouched`.
    duplicate = import_entries(review, [entry(5)], name="embase.ris", source="Embase")[0]
    assert duplicate.duplicate_of_id == untouched.id
    return {
        "conflict": conflict,
        "included": included,
        "excluded": excluded,
        "half": half,
        "untouched": untouched,
        "maybe_only": maybe_only,
        "duplicate": duplicate,
    }


def test_record_list_owner_sees_statuses(client_for, review, owner, decided):
    response = client_for(owner).get(url_of(review))
    assert statuses(response) == {
        decided["conflict"].id: "conflict",
        decided["included"].id: "included",
        decided["excluded"].id: "excluded",
        decided["half"].id: "pending",
        decided["untouched"].id: "pending",
        decided["maybe_only"].id: "included",
        decided["duplicate"].id: "duplicate",
    }
    assert '<th scope="col">Status</th>' in text(response)
    assert my_verdicts(response)[decided["maybe_only"].id] == "maybe"
    assert my_verdicts(response)[decided["conflict"].id] is None


def test_record_list_owner_filters_by_status(client_for, review, owner, decided):
    client = client_for(owner)
    expected = {
        "pending": [decided["half"].id, decided["untouched"].id],
        "included": [decided["included"].id, decided["maybe_only"].id],
        "excluded": [decided["excluded"].id],
        "conflict": [decided["conflict"].id],
        "duplicate": [decided["duplicate"].id],
    }
    for status, ids in expected.items():
        response = client.get(url_of(review, status=status))
        assert row_ids(response) == ids, status
        assert set(statuses(response).values()) == {status}


def test_record_list_status_is_owner_only(client_for, review, reviewer, decided):
    client = client_for(reviewer)
    everything = row_ids(client.get(url_of(review)))
    assert len(everything) == 7
    for status in ("pending", "included", "excluded", "conflict", "duplicate"):
        response = client.get(url_of(review, status=status))
        assert response.status_code == 200
        assert row_ids(response) == everything, status  # the parameter is not read
        body = text(response)
        assert "list-status" not in body
        assert ">Status<" not in body
        assert 'name="status"' not in body
        assert "ignored" not in body


def test_record_list_status_with_one_required_decision(client_for, review, owner, reviewer):
    review.required_decisions = 1
    review.save()
    records = import_records(review, 3)
    decide(review, records[0], reviewer, "include")
    decide(review, records[0], owner, "exclude")  # an extra decision on a settled record
    decide(review, records[1], reviewer, "exclude")
    client = client_for(owner)
    assert statuses(client.get(url_of(review))) == {
        records[0].id: "included",
        records[1].id: "excluded",
        records[2].id: "pending",
    }
    assert row_ids(client.get(url_of(review, status="conflict"))) == []
    assert row_ids(client.get(url_of(review, status="included"))) == [records[0].id]
    assert row_ids(client.get(url_of(review, status="excluded"))) == [records[1].id]


def test_record_list_status_with_three_required_decisions(
    client_for, review, owner, reviewer, second_reviewer
):
    review.required_decisions = 3
    review.save()
    records = import_records(review, 2)
    for record in records:
        decide(review, record, reviewer, "include")
        decide(review, record, second_reviewer, "exclude")
    decide(review, records[1], owner, "exclude")
    client = client_for(owner)
    assert statuses(client.get(url_of(review))) == {
        records[0].id: "pending",  # mixed, but still waiting for its third decision
        records[1].id: "conflict",
    }
    assert row_ids(client.get(url_of(review, status="conflict"))) == [records[1].id]
    assert row_ids(client.get(url_of(review, status="pending"))) == [records[0].id]


# --- blindness ------------------------------------------------------------------------


@pytest.fixture
def others_secret(review, reviewer, second_reviewer):
    records = import_records(review, 3)
    decide(
        review,
        records[0],
        second_reviewer,
        "exclude",
        reasons=["Wrong outcome"],
        note="SECRET-LIST-NOTE",
    )
    decide(review, records[1], second_reviewer, "include", note="SECRET-LIST-NOTE")
    decide(review, records[2], reviewer, "maybe")
    return records


@pytest.mark.parametrize("blind", [True, False])
def test_record_list_never_shows_other_reviewers_decisions(
    client_for, review, reviewer, others_secret, blind
):
    review.blind_screening = blind
    review.save()
    client = client_for(reviewer)
    ids = [r.id for r in others_secret]
    queries = [
        {},
        {"q": "trial"},
        {"mine": "undecided"},
        {"mine": "include"},
        {"mine": "exclude"},
        {"mine": "maybe"},
        {"status": "conflict"},
        {"status": "excluded"},
        {"sort": "-year"},
    ]
    for params in queries:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url_of(review, **params), headers=headers)
            body = text(response)
            assert response.status_code == 200
            assert "SECRET-LIST-NOTE" not in body, params
            assert "Wrong outcome" not in body, params
            assert "list-exclude" not in body and "list-include" not in body, params
            assert "list-status" not in body and "conflict" not in body.lower(), params
            assert set(my_verdicts(response).values()) <= {"maybe", None}, params
    assert row_ids(client.get(url_of(review, mine="include"))) == []
    assert row_ids(client.get(url_of(review, mine="exclude"))) == []
    assert row_ids(client.get(url_of(review, mine="maybe"))) == [ids[2]]
    assert row_ids(client.get(url_of(review, mine="undecided"))) == [ids[0], ids[1]]
    assert my_verdicts(client.get(url_of(review))) == {ids[0]: None, ids[1]: None, ids[2]: "maybe"}


def test_record_list_rows_carry_no_decision_count_for_reviewers(review, reviewer, others_secret):
    from screening import queries

    membership = ReviewMember.objects.get(review=review, user=reviewer)
    page = queries.record_list_page(review, membership, queries.RecordFilters())
    for record in page.records:
        assert "decision_count" in record.get_deferred_fields()
        assert not hasattr(record, "status")
    assert [r.my_verdict for r in page.records] == [None, None, "maybe"]


def test_record_list_owner_sees_everyones_status_but_only_own_verdict(
    client_for, review, owner, others_secret
):
    response = client_for(owner).get(url_of(review))
    ids = [r.id for r in others_secret]
    assert statuses(response) == {ids[0]: "pending", ids[1]: "pending", ids[2]: "pending"}
    assert my_verdicts(response) == {ids[0]: None, ids[1]: None, ids[2]: None}
    assert "SECRET-LIST-NOTE" not in text(response)


# --- sorting and pagination -----------------------------------------------------------


def walk(client, url, rel="next"):
    """Follow the `rel` links from `url`; return the ids of each page."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(row_ids(response))
        url = link(response, rel)
    return pages


def test_record_list_keyset_pagination_across_three_pages(client_for, review, reviewer):
    assert RECORD_LIST_PAGE_SIZE == 50
    records = import_records(review, 120)
    ids = [r.id for r in records]
    client = client_for(reviewer)
    first = client.get(url_of(review))
    assert row_ids(first) == ids[:50]
    assert link(first, "prev") is None
    assert link(first, "next") == url_of(review, after=ids[49])
    assert "More than" not in text(first) and "120 records match." in text(first)
    assert walk(client, url_of(review)) == [ids[:50], ids[50:100], ids[100:]]
    # And back again from the last page.
    last = client.get(url_of(review, after=ids[99]))
    assert link(last, "next") is None
    assert link(last, "prev") == url_of(review, before=ids[100])
    assert walk(client, link(last, "prev"), rel="prev") == [ids[50:100], ids[:50]]
    back_to_first = client.get(url_of(review, before=ids[50]))
    assert row_ids(back_to_first) == ids[:50]
    assert link(back_to_first, "prev") is None
    assert link(back_to_first, "next") == url_of(review, after=ids[49])


def test_record_list_pagination_keeps_filters(client_for, review, reviewer):
    records = import_records(review, 120)
    for record in records[:70]:
        decide(review, record, reviewer, "maybe")
    ids = [r.id for r in records]
    client = client_for(reviewer)
    pages = walk(client, url_of(review, mine="maybe", q="exercise"))
    assert pages == [ids[:50], ids[50:70]]
    second = client.get(url_of(review, mine="maybe", q="exercise", after=ids[49]))
    assert link(second, "prev") == url_of(review, q="exercise", mine="maybe", before=ids[50])


def test_record_list_sorted_by_year_descending(client_for, review, reviewer):
    years = [1990 + (n * 7) % 30 for n in range(118)] + [None, None]
    records = import_entries(review, [entry(n, year=year) for n, year in enumerate(years)])
    client = client_for(reviewer)
    expected = [r.id for r in sorted(records, key=lambda r: (r.year or 0, r.id), reverse=True)]
    assert [records[-2].year, records[-1].year] == [None, None]
    assert expected[-2:] == [records[-1].id, records[-2].id]  # undated records come last
    pages = walk(client, url_of(review, sort="-year"))
    assert [len(page) for page in pages] == [50, 50, 20]
    assert sum(pages, []) == expected
    first = client.get(url_of(review, sort="-year"))
    assert '<th scope="col" aria-sort="descending">' in text(first)
    year_49 = next(r.year for r in records if r.id == expected[49])
    assert link(first, "next") == url_of(review, sort="-year", after=f"{year_49},{expected[49]}")
    # Ascending is the exact reverse (undated records first).
    assert sum(walk(client, url_of(review, sort="year")), []) == list(reversed(expected))


def test_record_list_sorted_by_title_with_commas_and_case(client_for, review, reviewer):
    words = ["walking", "Yoga", "aerobic", "Zumba", "balance", "cycling"]
    titles = [f"{words[n % 6]}, trial {n:03d}, arm" for n in range(110)]
    records = import_entries(review, [entry(n, title=t) for n, t in enumerate(titles)])
    client = client_for(reviewer)
    expected = [r.id for r in sorted(records, key=lambda r: (r.title.lower(), r.id))]
    assert sum(walk(client, url_of(review, sort="title")), []) == expected
    descending = sum(walk(client, url_of(review, sort="-title")), [])
    assert descending == list(reversed(expected))
    # Previous from the last page of the descending order, its cursor holding commas.
    second = client.get(link(client.get(url_of(review, sort="-title")), "next"))
    third = client.get(link(second, "next"))
    assert row_ids(third) == descending[100:]
    assert link(third, "next") is None
    assert "," in link(third, "prev").split("before=")[1].replace("%2C", ",")
    assert row_ids(client.get(link(third, "prev"))) == descending[50:100]


def test_record_list_sort_links_toggle(client_for, review, reviewer):
    import_records(review, 2)
    client = client_for(reviewer)
    body = html.unescape(text(client.get(url_of(review))))
    assert f'href="{url_of(review, sort="-id")}"' in body
    assert f'href="{url_of(review, sort="year")}"' in body
    assert f'href="{url_of(review, sort="title")}"' in body
    body = html.unescape(text(client.get(url_of(review, sort="year", q="trial"))))
    assert f'href="{url_of(review, q="trial", sort="-year")}"' in body
    assert '<input type="hidden" name="sort" value="year" form="record-filters">' in body


# --- query counts ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "reviewer"])
def test_record_list_query_count_is_pinned(
    client_for, review, owner, reviewer, second_reviewer, django_assert_num_queries, role
):
    user = owner if role == "owner" else reviewer
    client = client_for(user)
    # session, user, membership, batches, rows, capped count (with a search: in a savepoint,
    # with index scans turned off so the GIN bitmap counts); on the whole page an owner's
    # navigation also counts the open conflicts.
    page_queries = 10 if role == "owner" else 9
    for count in (1, 3):
        Record.objects.filter(review=review).delete()
        records = import_records(review, count, start=count * 10)
        for record in records:
            decide(review, record, reviewer, "exclude")
            decide(review, record, second_reviewer, "include")
        with django_assert_num_queries(page_queries):
            response = client.get(url_of(review, q="trial", status="conflict"))
        assert len(row_ids(response)) == count
        with django_assert_num_queries(6):
            response = client.get(
                url_of(review, sort="-year", year_from=2000, mine=""),
                headers={"HX-Request": "true"},
            )
        assert len(row_ids(response)) == count


def test_record_list_cursor_parse():
    from screening.queries import Cursor, record_cursor_parse

    assert record_cursor_parse("id", "12") == Cursor(None, 12)
    assert record_cursor_parse("-id", "12") == Cursor(None, 12)
    assert record_cursor_parse("id", "2020,12") is None
    assert record_cursor_parse("id", "-3") is None
    assert record_cursor_parse("id", "") is None
    assert record_cursor_parse("year", "2020,12") == Cursor(2020, 12)
    assert record_cursor_parse("-year", "0,12") == Cursor(0, 12)
    assert record_cursor_parse("year", "12") is None
    assert record_cursor_parse("year", "x,12") is None
    assert record_cursor_parse("year", "99999,12") is None
    assert record_cursor_parse("title", "yoga, tai chi, and balance,7") == Cursor(
        "yoga, tai chi, and balance", 7
    )
    assert record_cursor_parse("title", ",7") == Cursor("", 7)
    assert record_cursor_parse("title", "yoga,") is None
    assert record_cursor_parse("title", "9" * 19) is None
    assert Cursor("yoga, tai chi", 7).encode() == "yoga, tai chi,7"
    assert Cursor(None, 7).encode() == "7"
