"""The dashboard: status counts, reviewers' progress, agreement, the live PRISMA diagram, its
downloads and the numbers entered by hand."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.imports import records_import
from reviews.models import Record, ReviewMember
from screening import services
from screening.models import PrismaManual
from screening.prisma import template_rows
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
INC, MAY, EXC = "include", "maybe", "exclude"


def ris(count: int, *, start: int = 1) -> bytes:
    return "\n".join(
        f"TY  - JOUR\nTI  - Study {i} of walking\nPY  - 2021\nDO  - 10.1000/d{i}\nER  - \n"
        for i in range(start, start + count)
    ).encode()


def import_records(review, count, *, start=1, source="MEDLINE", kind="database"):
    name = f"d{start}.ris"
    records_import(
        review=review,
        data=ris(count, start=start),
        file_name=name,
        source_name=source,
        source_kind=kind,
    )
    return list(Record.objects.filter(review=review, batch__file_name=name).order_by("id"))


def decide(review, record, user, verdict, note=""):
    reasons = [review.reasons.get(label="Other").id] if verdict == EXC else []
    services.decision_record(
        review=review, record=record, reviewer=user, verdict=verdict, reason_ids=reasons, note=note
    )


def dashboard_url(review):
    return reverse("screening:dashboard", args=[review.slug])


def numbers_url(review):
    return reverse("screening:prisma-numbers", args=[review.slug])


def download_url(review, extension):
    return reverse(f"screening:prisma-{extension}", args=[review.slug])


def box(body: str, name: str) -> str:
    """The text of one box of the PRISMA diagram, its lines joined by spaces."""
    match = re.search(rf'<g class="prisma-box" data-box="{name}">(.*?)</g>', body, re.S)
    assert match, name
    return " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", match.group(1)))


def cell(body: str, stat: str, index: int = 0) -> str:
    return re.findall(rf'data-stat="{stat}">([^<]*)<', body)[index]


# prisma-spec.md 4.3: rows reviewer A, columns reviewer B, in the order include, maybe, exclude.
WORKED_TABLE = [[3, 1, 1], [1, 0, 1], [1, 1, 11]]


def votes_from_table(table):
    pairs = []
    for i, a in enumerate((INC, MAY, EXC)):
        for j, b in enumerate((INC, MAY, EXC)):
            pairs += [(a, b)] * table[i][j]
    return pairs


@pytest.fixture
def worked(review, reviewer, second_reviewer):
    records = import_records(review, 20)
    for record, (a, b) in zip(records, votes_from_table(WORKED_TABLE), strict=True):
        decide(review, record, reviewer, a)
        decide(review, record, second_reviewer, b)
    return records


# --- permissions ------------------------------------------------------------------------


def _get_urls(review):
    return [dashboard_url(review)] + [download_url(review, ext) for ext in ("svg", "png", "csv")]


def test_dashboard_pages_send_anonymous_users_to_log_in(client_for, review):
    client = client_for(None)
    for url in _get_urls(review):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert client.post(numbers_url(review), {"removed_other": "3"}).status_code == 302
    assert not PrismaManual.objects.exists()


def test_dashboard_pages_are_not_found_for_outsiders(client_for, review, outsider):
    client = client_for(outsider)
    for url in _get_urls(review):
        assert client.get(url).status_code == 404, url
    assert client.post(numbers_url(review), {"removed_other": "3"}).status_code == 404
    assert not PrismaManual.objects.exists()


def test_dashboard_pages_are_forbidden_to_reviewers_and_resolvers(
    client_for, review, reviewer, worked
):
    decide(review, worked[0], reviewer, INC, note="SECRET-NOTE")
    ReviewMember.objects.filter(review=review, user=reviewer).update(is_resolver=True)
    resolver_only = make_user("rosa")
    ReviewMember.objects.create(review=review, user=resolver_only, is_resolver=True)
    for user in (reviewer, resolver_only):
        client = client_for(user)
        for url in _get_urls(review):
            response = client.get(url)
            assert response.status_code == 403, url
            assert "SECRET-NOTE" not in response.content.decode()
        assert client.post(numbers_url(review), {"removed_other": "3"}).status_code == 403
    assert not PrismaManual.objects.exists()


def test_dashboard_pages_refuse_other_methods(client_for, review, owner):
    client = client_for(owner)
    for url in _get_urls(review):
        assert client.post(url).status_code == 405, url
    assert client.get(numbers_url(review)).status_code == 405


def test_dashboard_opens_for_owners(client_for, review, owner):
    response = client_for(owner).get(dashboard_url(review))
    assert response.status_code == 200
    assert response.context["pairs"] == []
    assert "No two reviewers have decided the same record yet." in response.content.decode()


# --- counts and agreement -----------------------------------------------------------------


def test_dashboard_counts_each_status(client_for, review, owner, reviewer, second_reviewer):
    records = import_records(review, 7)
    pending, included, excluded, conflict, resolved_in, resolved_out, _untouched = records
    decide(review, pending, reviewer, INC)
    for record, a, b in [
        (included, INC, MAY),
        (excluded, EXC, EXC),
        (conflict, INC, EXC),
        (resolved_in, MAY, EXC),
        (resolved_out, EXC, INC),
    ]:
        decide(review, record, reviewer, a)
        decide(review, record, second_reviewer, b)
    services.conflict_resolve(review=review, record=resolved_in, resolver=owner, verdict=INC)
    services.conflict_resolve(
        review=review,
        record=resolved_out,
        resolver=owner,
        verdict=EXC,
        reason_ids=[review.reasons.get(label="Other").id],
    )
    import_records(review, 1, start=1, source="Embase")  # a duplicate of the first record

    response = client_for(owner).get(dashboard_url(review))
    body = response.content.decode()
    assert response.context["counts"] == {
        "pending": 2,
        "included": 1,
        "excluded": 1,
        "conflict": 1,
        "resolved_included": 1,
        "resolved_excluded": 1,
        "excluded_auto": 0,
        "duplicate": 1,
    }
    for status, n in [
        ("pending", 2),
        ("included", 1),
        ("excluded", 1),
        ("resolved", 2),
        ("duplicate", 1),
    ]:
        assert f'<dd data-status="{status}">{n}</dd>' in body
    conflicts = reverse("screening:conflicts", args=[review.slug])
    assert f'<dd data-status="conflict"><a href="{conflicts}">1</a></dd>' in body
    assert "7 records to screen (duplicates apart); each needs 2 decisions." in body
    progress = {
        row.username: (row.include, row.maybe, row.exclude, row.decided, row.percent)
        for row in response.context["progress"]
    }
    assert progress == {
        "owner": (0, 0, 0, 0, 0),
        "reviewer": (3, 1, 2, 6, 86),
        "second_reviewer": (1, 1, 3, 5, 71),
    }
    # The navigation count comes from the dashboard's own counts.
    assert '<span class="badge" id="conflict-count">1<span' in body


def test_dashboard_agreement_reproduces_the_worked_example(client_for, review, owner, worked):
    response = client_for(owner).get(dashboard_url(review))
    body = response.content.decode()
    [pair] = response.context["pairs"]
    assert (pair.reviewer_a, pair.reviewer_b, pair.n) == ("reviewer", "second_reviewer", 20)
    assert pair.table_3x3 == WORKED_TABLE
    assert pair.table_2x2 == [[5, 2], [2, 11]]
    assert pair.kappa_binary == 51 / 91
    assert pair.kappa_three == 41 / 101
    assert pair.percent_binary == 0.8
    assert pair.pabak_binary == pytest.approx(0.6, abs=1e-12)
    assert round(pair.kappa_binary, 6) == 0.560440
    assert round(pair.kappa_three, 6) == 0.405941
    assert response.context["fleiss"] == []
    assert cell(body, "n") == "20"
    assert cell(body, "kappa") == "0.560"
    assert cell(body, "kappa3") == "0.406"
    assert cell(body, "agreement") == "80.0%"
    assert cell(body, "pabak") == "0.600"
    assert '<tr><th scope="row" title="reviewer">reviewer: in</th><td>5</td><td>2</td></tr>' in body
    assert '<tr><th scope="row">out</th><td>2</td><td>11</td></tr>' in body
    assert 'id="fleiss-table"' not in body


def test_dashboard_agreement_orders_the_pair_by_name(
    client_for, review, owner, reviewer, second_reviewer
):
    # "reviewer" joined after "second_reviewer" here: rows are still "reviewer".
    records = import_records(review, 3)
    for record, (a, b) in zip(records, [(INC, EXC), (INC, EXC), (EXC, EXC)], strict=True):
        decide(review, record, second_reviewer, b)
        decide(review, record, reviewer, a)
    [pair] = client_for(owner).get(dashboard_url(review)).context["pairs"]
    assert (pair.reviewer_a, pair.reviewer_b) == ("reviewer", "second_reviewer")
    assert pair.table_2x2 == [[0, 2], [0, 1]]


def test_dashboard_agreement_prevalence_case(client_for, review, owner, reviewer, second_reviewer):
    records = import_records(review, 20)
    for k, record in enumerate(records):
        decide(review, record, reviewer, INC if k == 0 else EXC)
        decide(review, record, second_reviewer, EXC)
    body = client_for(owner).get(dashboard_url(review)).content.decode()
    assert cell(body, "kappa") == "0.000"
    assert cell(body, "agreement") == "95.0%"
    assert cell(body, "pabak") == "0.900"


def test_dashboard_says_not_defined_when_kappa_is_undefined(
    client_for, review, owner, reviewer, second_reviewer
):
    for record in import_records(review, 4):
        decide(review, record, reviewer, INC)
        decide(review, record, second_reviewer, MAY)
    response = client_for(owner).get(dashboard_url(review))
    body = response.content.decode()
    [pair] = response.context["pairs"]
    assert pair.kappa_binary is None
    assert cell(body, "kappa") == "not defined"
    assert cell(body, "kappa3") == "0.000"  # include vs maybe: three categories differ
    assert cell(body, "pabak") == "1.000"


def test_dashboard_fleiss_reproduces_the_worked_example(
    client_for, review, owner, reviewer, second_reviewer
):
    review.required_decisions = 3
    review.save()
    rows = [[1, 1, 1], [1, 1, 0]] + [[0, 0, 0]] * 4 + [[1, 0, 0], [1, 1, 1], [0, 0, 0], [0, 1, 0]]
    for record, row in zip(import_records(review, 10), rows, strict=True):
        for user, forward in zip((owner, reviewer, second_reviewer), row, strict=True):
            decide(review, record, user, INC if forward else EXC)
    response = client_for(owner).get(dashboard_url(review))
    body = response.content.decode()
    [fleiss] = response.context["fleiss"]
    assert fleiss.reviewers == ("owner", "reviewer", "second_reviewer")
    assert fleiss.n == 10
    assert fleiss.kappa == 0.55
    assert cell(body, "fleiss") == "0.550"
    assert [(p.reviewer_a, p.reviewer_b) for p in response.context["pairs"]] == [
        ("owner", "reviewer"),
        ("owner", "second_reviewer"),
        ("reviewer", "second_reviewer"),
    ]


def test_dashboard_htmx_renders_the_dashboard_only(client_for, review, owner, worked):
    response = client_for(owner).get(dashboard_url(review), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dashboard" class="dashboard">')
    assert "<html" not in body
    assert 'id="prisma"' in body


# --- PRISMA -------------------------------------------------------------------------------


def test_dashboard_diagram_shows_the_counts(client_for, review, owner, reviewer, second_reviewer):
    records = import_records(review, 6)
    import_records(review, 2, start=1, source="Embase")  # two duplicates
    for record, (a, b) in zip(
        records, [(INC, INC), (EXC, EXC), (EXC, EXC), (INC, EXC)], strict=False
    ):
        decide(review, record, reviewer, a)
        decide(review, record, second_reviewer, b)
    client = client_for(owner)
    body = client.get(dashboard_url(review)).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body
    assert 'data-template="T1"' in body
    assert box(body, "identified") == (
        "Records identified from*: Databases (n = 8) MEDLINE (n = 6) Embase (n = 2) "
        "Registers (n = 0)"
    )
    assert box(body, "screened") == "Records screened (n = 6)"
    assert box(body, "excluded") == "Records excluded** (n = 2)"
    assert box(body, "sought") == "Reports sought for retrieval (n = 1)"
    assert "Duplicate records removed (n = 2)" in box(body, "removed")
    # 3 records are pending or in conflict: the check says so.
    assert 'id="prisma-warnings"' in body
    assert "3 records have no final decision yet (pending or in conflict)." in body

    services.conflict_resolve(review=review, record=records[3], resolver=owner, verdict=INC)
    body = client.get(dashboard_url(review)).content.decode()
    assert box(body, "sought") == "Reports sought for retrieval (n = 2)"


def test_dashboard_diagram_escapes_source_names(client_for, review, owner):
    import_records(review, 2, source="<script>alert(1)</script>")
    body = client_for(owner).get(dashboard_url(review)).content.decode()
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</tspan>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (n = 2)" in box(body, "identified")
    assert "<script>alert(1)" not in body


def test_prisma_downloads(client_for, review, owner, reviewer, second_reviewer):
    records = import_records(review, 3)
    for record in records:
        decide(review, record, reviewer, EXC)
        decide(review, record, second_reviewer, EXC)
    client = client_for(owner)
    today = timezone.localdate().isoformat()
    expected = {
        "svg": "image/svg+xml; charset=utf-8",
        "png": "image/png",
        "csv": "text/csv; charset=utf-8",
    }
    bodies = {}
    for extension, content_type in expected.items():
        response = client.get(download_url(review, extension))
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == (
            f'attachment; filename="{review.slug}-prisma-{today}.{extension}"'
        )
        assert "no-cache" in response["Cache-Control"]
        bodies[extension] = response.content
    svg = bodies["svg"].decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert box(svg, "excluded") == "Records excluded** (n = 3)"
    assert bodies["png"].startswith(b"\x89PNG\r\n\x1a\n")
    rows = list(csv.DictReader(io.StringIO(bodies["csv"].decode())))
    header, template = template_rows()
    assert list(rows[0]) == header
    assert len(rows) == len(template)
    values = {row["data"]: row["n"] for row in rows}
    assert (values["records_screened"], values["records_excluded"]) == ("3", "3")
    assert values["database_specific_results"] == "MEDLINE, 3"


def test_manual_numbers_are_saved_and_change_the_diagram(client_for, review, owner):
    import_records(review, 4)
    client = client_for(owner)
    data = {
        "duplicates_before_import": "1,200",
        "removed_other": "3",
        "reports_assessed": "",
        "previous_studies": "4",
        "previous_reports": "5",
        "reports_excluded": "Wrong population, 2\n\n  Wrong design , 1",
        "other_identified": "Websites, 7\nCitation searching, 2",
        "other_sought": "9",
    }
    response = client.post(numbers_url(review), data)
    assert response.status_code == 302
    assert response["Location"] == dashboard_url(review) + "#prisma"
    manual = PrismaManual.objects.get(review=review)
    assert (manual.duplicates_before_import, manual.removed_other, manual.removed_automation) == (
        1200,
        3,
        0,
    )
    assert (manual.reports_assessed, manual.previous_studies, manual.previous_reports) == (
        None,
        4,
        5,
    )
    assert manual.reports_excluded == [["Wrong population", 2], ["Wrong design", 1]]
    assert manual.other_identified == [["Websites", 7], ["Citation searching", 2]]
    assert manual.other_excluded == []

    page = client.get(dashboard_url(review))
    body = page.content.decode()
    assert "PRISMA numbers saved." in body
    assert 'data-template="T4"' in body  # updated review, with other methods
    assert "Duplicate records removed (n = 1,200)" in box(body, "removed")
    form = page.context["prisma_form"]
    assert form["duplicates_before_import"].value() == "1200"
    assert form["reports_excluded"].value() == "Wrong population, 2\nWrong design, 1"


def test_manual_numbers_with_htmx_swap_the_diagram(client_for, review, owner):
    import_records(review, 2)
    response = client_for(owner).post(numbers_url(review), {"removed_other": "1"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card prisma" id="prisma"')
    assert '<p class="message success" role="status">PRISMA numbers saved.</p>' in body
    assert "Records removed for other reasons (n = 1)" in box(body, "removed")
    assert PrismaManual.objects.get(review=review).removed_other == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "reports_assessed",
            "abc",
            "Reports assessed for eligibility must be a whole number, not &#x27;abc&#x27;.",
        ),
        (
            "removed_other",
            "-3",
            "Records removed for other reasons must be zero or more, not &#x27;-3&#x27;.",
        ),
        ("previous_studies", "2.5", "must be a whole number, not &#x27;2.5&#x27;."),
        (
            "other_sought",
            "99999999999",
            "Reports sought for retrieval (other methods) is too large.",
        ),
        (
            "reports_excluded",
            "Wrong population",
            "Line 1 (“Wrong population”): write it as “Reason, n”.",
        ),
        (
            "other_identified",
            "Websites, 3\nOrganisations, -1",
            "The number on line 2 (“Organisations”) must be zero or more, not &#x27;-1&#x27;.",
        ),
    ],
)
def test_invalid_manual_numbers_are_refused_with_a_message(
    client_for, review, owner, field, value, message
):
    client = client_for(owner)
    for headers in ({}, HTMX):
        response = client.post(
            numbers_url(review), {"removed_automation": "2", field: value}, headers=headers
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert message in body
        assert "Please correct the numbers below; nothing was saved." in body
        assert '<details class="prisma-numbers" open>' in body
        assert list(response.context["prisma_form"].errors) == [field]
    assert not PrismaManual.objects.exists()


def test_manual_numbers_that_break_a_check_are_shown_with_a_warning(client_for, review, owner):
    import_records(review, 2)
    client = client_for(owner)
    client.post(numbers_url(review), {"reports_assessed": "5", "reports_excluded": "Other, 9"})
    body = client.get(dashboard_url(review)).content.decode()
    warnings = re.search(r'id="prisma-warnings">(.*?)</div>', body, re.S).group(1)
    assert (
        "Reports assessed (5) should equal reports sought minus reports not retrieved" in warnings
    )
    assert "Reports excluded (9) is more than reports assessed (5)." in warnings


# --- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_dashboard_query_count(
    client_for, review, owner, reviewer, second_reviewer, django_assert_num_queries, count
):
    records = import_records(review, 2 * count)
    for record in records[:count]:
        decide(review, record, reviewer, INC)
        decide(review, record, second_reviewer, EXC)
    for record in records[count:]:
        decide(review, record, reviewer, EXC)
        decide(review, record, second_reviewer, EXC, note="n")
    client = client_for(owner)
    # session, user, membership+review, members, vote patterns, record totals, batches,
    # PRISMA numbers entered by hand
    with django_assert_num_queries(8):
        response = client.get(dashboard_url(review))
    assert response.context["counts"]["conflict"] == count
    assert response.context["pairs"][0].n == 2 * count


# --- the dashboard's own counting agrees with the reference queries -----------------------


@pytest.mark.parametrize("required", [1, 2, 3])
def test_dashboard_numbers_match_status_counts_and_prisma_inputs(
    review, owner, reviewer, second_reviewer, required
):
    from random import Random

    from screening.agreement import pairwise_agreement
    from screening.models import Decision
    from screening.queries import dashboard_numbers, prisma_inputs, status_counts

    review.required_decisions = required
    review.save()
    rng = Random(required)
    third = make_user("third")
    ReviewMember.objects.create(review=review, user=third)
    records = import_records(review, 40)
    import_records(review, 5, start=1, source="Embase")  # duplicates of the first five
    others = import_records(review, 6, start=100, source="Websites", kind="other")
    users = [owner, reviewer, second_reviewer, third]
    for record in records + others:
        for user in rng.sample(users, rng.randint(0, 4)):
            decide(review, record, user, rng.choice([INC, MAY, EXC, EXC]))
    duplicate = Record.objects.filter(review=review, duplicate_of__isnull=False).first()
    # Decided before it was found to be a duplicate (duplicates cannot be decided now).
    kept_id = duplicate.duplicate_of_id
    Record.objects.filter(id=duplicate.id).update(duplicate_of=None)
    duplicate.duplicate_of_id = None
    decide(review, duplicate, reviewer, INC)
    Record.objects.filter(id=duplicate.id).update(duplicate_of=kept_id)
    for record in rng.sample(records, 6):
        services.conflict_resolve(
            review=review,
            record=record,
            resolver=owner,
            verdict=rng.choice([INC, EXC]),
            reason_ids=[review.reasons.get(label="Other").id],
        )
    services.screening_stop(review=review, user=owner)  # the undecided: excluded_auto
    excluded_auto = status_counts(review)["excluded_auto"]
    assert excluded_auto > 0
    auto = Record.objects.filter(review=review, automation__isnull=False).first()
    decide(review, auto, reviewer, INC)  # screened after all: no longer excluded_auto
    ReviewMember.objects.filter(review=review, user=third).delete()  # a former member
    numbers = dashboard_numbers(review)
    assert numbers.counts["excluded_auto"] == excluded_auto - 1
    assert numbers.counts == status_counts(review)
    assert numbers.prisma == prisma_inputs(review)
    assert sum(numbers.counts.values()) == 51

    votes: dict = {}
    duplicates = set(
        Record.objects.filter(review=review, duplicate_of__isnull=False).values_list(
            "id", flat=True
        )
    )
    for record_id, name, verdict in Decision.objects.filter(review=review).values_list(
        "record_id", "reviewer__username", "verdict"
    ):
        if record_id not in duplicates:
            votes.setdefault(record_id, {})[name] = verdict
    assert numbers.pairs == pairwise_agreement(votes)
    progress = {row.username: (row.role, row.decided) for row in numbers.progress}
    assert progress["third"][0] == ""
    assert {name: decided for name, (_role, decided) in progress.items()} == {
        name: sum(1 for record_votes in votes.values() if name in record_votes)
        for name in ("owner", "reviewer", "second_reviewer", "third")
    }
