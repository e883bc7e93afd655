"""Exports for owners (issue 5): records with every vote as CSV, XLSX and RIS, the audit log,
the export_decisions command, and streaming."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from reviews.imports import records_import
from reviews.models import Record, Review
from reviews.services import review_create
from screening import exports, services
from screening.models import Decision, Resolution
from tests.screening.test_services import decide, reason_ids

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data"

RIS = """TY  - JOUR
TI  - Exercise for depression in adults
AU  - Smith, John
AU  - Doe, Ann
PY  - 2019
T2  - Journal of Affective Disorders
VL  - 12
SP  - 100
EP  - 110
DO  - 10.1000/abc.1
AN  - 31000001
DB  - PubMed
AB  - We randomised 200 adults
to exercise or usual care.
KW  - exercise
KW  - depression
N1  - Original note from the database
ER  -

TY  - JOUR
TI  - Yoga and anxiety: a trial
AU  - Brown, Kim
PY  - 2020
DO  - 10.1000/xyz.2
AN  - WOS:000000000000002
ER  -

TY  - JOUR
TI  - Tai chi for sleep
AU  - Lee, Min
PY  - 2021
DO  - 10.1000/tc.3
ER  -

TY  - JOUR
TI  - Running and mood
PY  - 2018
DO  - 10.1000/run.4
ER  -

TY  - JOUR
T2  - Lancet
PY  - 2017
VL  - 3
AB  - An untitled record about walking groups in older people living alone in cities
ER  -
""".replace("ER  -\n", "ER  - \n")

EMBASE = """TY  - JOUR
TI  - Exercise for depression in adults.
AU  - Smith, J
PY  - 2019
DO  - 10.1000/ABC.1
ER  -
""".replace("ER  -\n", "ER  - \n")

MEDLINE = b"""PMID- 30042925
OWN - NLM
DP  - 2018 Jun
TI  - A trial of walking for low
      mood.
PG  - 283-98
LID - 10.1016/j.mex.2018.03.006 [doi]
AB  - Walking helped.
FAU - Takeuchi, Yuichi
AU  - Takeuchi Y
FAU - Osaki, Hironobu
AU  - Osaki H
LA  - eng
PT  - Journal Article
TA  - J Walk
JT  - Journal of Walking
VI  - 5
IP  - 2
MH  - Humans
MH  - Walking/*psychology
OT  - mood
PMC - PMC6055010
"""

HEADER = [
    "record_id",
    "pmid",
    "doi",
    "other_ids",
    "title",
    "authors",
    "year",
    "journal",
    "source_file",
    "source_database",
    "duplicate_of",
    "status",
    "resolution",
    "resolution_reasons",
    "resolution_note",
    "resolved_by",
    "resolved_at",
    "owner: verdict",
    "owner: reasons",
    "owner: note",
    "owner: decided_at",
    "reviewer: verdict",
    "reviewer: reasons",
    "reviewer: note",
    "reviewer: decided_at",
    "second_reviewer: verdict",
    "second_reviewer: reasons",
    "second_reviewer: note",
    "second_reviewer: decided_at",
]
NO_VOTE = ["", "", "", ""]
NO_RESOLUTION = ["", "", "", "", ""]
EXPORT_URLS = (
    "screening:exports",
    "screening:export-records-csv",
    "screening:export-records-xlsx",
    "screening:export-records-ris",
    "screening:export-audit-csv",
)


def iso(moment) -> str:
    return moment.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def voted_at(record, user) -> str:
    return iso(Decision.objects.get(record=record, reviewer=user).updated_at)


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def import_text(review, text, name, source, user=None):
    data = text if isinstance(text, bytes) else text.encode()
    return records_import(review=review, data=data, file_name=name, source_name=source, user=user)


@pytest.fixture
def screened(review, owner, reviewer, second_reviewer):
    """Two reviewers on six records: included, conflict, resolved excluded, pending,
    excluded (untitled), and a duplicate of the first."""
    import_text(review, RIS, "pubmed.ris", "MEDLINE (PubMed)", owner)
    import_text(review, EMBASE, "embase.ris", "Embase", owner)
    r = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, r[0], reviewer, "include")
    decide(review, r[0], second_reviewer, "maybe", note="check the dose")
    decide(review, r[1], reviewer, "include", note="looks eligible")
    decide(review, r[1], second_reviewer, "exclude", ["Wrong outcome"], note="animal study")
    decide(review, r[2], reviewer, "maybe")
    decide(review, r[2], second_reviewer, "exclude", ["Wrong population", "Wrong outcome"])
    services.conflict_resolve(
        review=review,
        record=r[2],
        resolver=owner,
        verdict="exclude",
        reason_ids=reason_ids(review, "Wrong population"),
        note="adults only",
    )
    decide(review, r[3], reviewer, "exclude", ["Wrong study design"])
    decide(review, r[4], reviewer, "exclude", ["Other"])
    decide(review, r[4], second_reviewer, "exclude", ["Other"], note="not a trial")
    return r


def expected_rows(r, reviewer, second_reviewer) -> list[list[str]]:
    def vote(record, user, verdict, reasons="", note=""):
        return [verdict, reasons, note, voted_at(record, user)]

    resolved_at = iso(Resolution.objects.get(record=r[2]).updated_at)
    return [
        [str(r[0].id), "31000001", "10.1000/abc.1", "", "Exercise for depression in adults"]
        + ["Smith, John; Doe, Ann", "2019", "Journal of Affective Disorders", "pubmed.ris"]
        + ["MEDLINE (PubMed)", "", "included", *NO_RESOLUTION, *NO_VOTE]
        + vote(r[0], reviewer, "include")
        + vote(r[0], second_reviewer, "maybe", note="check the dose"),
        [str(r[1].id), "", "10.1000/xyz.2", "wos:WOS:000000000000002"]
        + ["Yoga and anxiety: a trial", "Brown, Kim", "2020", "", "pubmed.ris"]
        + ["MEDLINE (PubMed)", "", "conflict", *NO_RESOLUTION, *NO_VOTE]
        + vote(r[1], reviewer, "include", note="looks eligible")
        + vote(r[1], second_reviewer, "exclude", "Wrong outcome", "animal study"),
        [str(r[2].id), "", "10.1000/tc.3", "", "Tai chi for sleep", "Lee, Min", "2021", ""]
        + ["pubmed.ris", "MEDLINE (PubMed)", "", "resolved_excluded", "exclude"]
        + ["Wrong population", "adults only", "owner", resolved_at, *NO_VOTE]
        + vote(r[2], reviewer, "maybe")
        + vote(r[2], second_reviewer, "exclude", "Wrong population; Wrong outcome"),
        [str(r[3].id), "", "10.1000/run.4", "", "Running and mood", "", "2018", ""]
        + ["pubmed.ris", "MEDLINE (PubMed)", "", "pending", *NO_RESOLUTION, *NO_VOTE]
        + vote(r[3], reviewer, "exclude", "Wrong study design")
        + NO_VOTE,
        [str(r[4].id), "", "", ""]
        + [
            "Lancet 2017;3 — An untitled record about walking groups in older people "
            "living alone in…"
        ]
        + ["", "2017", "Lancet", "pubmed.ris", "MEDLINE (PubMed)", "", "excluded"]
        + [*NO_RESOLUTION, *NO_VOTE]
        + vote(r[4], reviewer, "exclude", "Other")
        + vote(r[4], second_reviewer, "exclude", "Other", "not a trial"),
        [str(r[5].id), "", "10.1000/abc.1", "", "Exercise for depression in adults.", "Smith, J"]
        + ["2019", "", "embase.ris", "Embase", str(r[0].id), "duplicate", *NO_RESOLUTION]
        + NO_VOTE * 3,
    ]


# --- Records as CSV ------------------------------------------------------------------------


def test_records_csv_has_both_votes_reasons_notes_and_resolution(
    review, screened, reviewer, second_reviewer
):
    rows = csv_rows("".join(exports.export_records_csv(review)))
    assert rows[0] == HEADER
    assert rows[1:] == expected_rows(screened, reviewer, second_reviewer)


def test_records_csv_rows_end_with_crlf_and_start_with_a_bom(review, screened):
    texts = list(exports.export_records_csv(review, status="pending"))
    assert len(texts) == 2
    assert texts[0].startswith("\ufeffrecord_id,pmid,")
    assert all(text.endswith("\r\n") for text in texts)


def test_records_csv_status_filter(review, screened, owner):
    def ids(status):
        rows = csv_rows("".join(exports.export_records_csv(review, status=status)))
        return [int(row[0]) for row in rows[1:]]

    r = [record.id for record in screened]
    assert ids("all") == r
    assert ids(None) == r
    assert ids("included") == [r[0]]
    assert ids("excluded") == [r[2], r[4]]  # resolved excluded counts as excluded
    assert ids("conflict") == [r[1]]
    assert ids("pending") == [r[3]]
    services.conflict_resolve(review=review, record=screened[1], resolver=owner, verdict="include")
    assert ids("included") == [r[0], r[1]]
    assert ids("conflict") == []


def test_records_export_refuses_an_unknown_status(review):
    with pytest.raises(ValueError, match="Unknown status 'maybe'"):
        exports.export_records_csv(review, status="maybe")
    with pytest.raises(ValueError, match="Unknown status 'resolved_included'"):
        exports.export_records_ris(review, status="resolved_included")


def test_records_csv_columns_follow_members_and_past_deciders(
    review, owner, reviewer, second_reviewer
):
    """A reviewer removed from the review keeps their column: their decisions stay."""
    import_text(review, RIS, "pubmed.ris", "PubMed")
    record = Record.objects.filter(review=review).order_by("id").first()
    decide(review, record, reviewer, "include")
    review.members.filter(user=reviewer).delete()
    header = csv_rows(next(exports.export_records_csv(review)))[0]
    assert header[len(exports.RECORD_COLUMNS) :: 4] == [
        "owner: verdict",
        "reviewer: verdict",
        "second_reviewer: verdict",
    ]


def test_records_csv_quotes_cells_a_spreadsheet_would_run(review, owner, reviewer):
    ris = 'TY  - JOUR\nTI  - =HYPERLINK("http://x.example","y")\nAU  - @me\nPY  - 2020\nER  - \n'
    import_text(review, ris, "bad.ris", "PubMed")
    record = Record.objects.get(review=review)
    decide(review, record, reviewer, "include", note="-1 for style")
    row = csv_rows("".join(exports.export_records_csv(review)))[1]
    assert row[4:7] == ['\'=HYPERLINK("http://x.example","y")', "'@me", "2020"]
    assert row[23] == "'-1 for style"
    output = io.BytesIO()
    exports.export_records_xlsx(review, path_or_stream=output)
    sheet = openpyxl.load_workbook(output).active
    title = sheet.cell(row=2, column=5)
    assert (title.value, title.data_type) == ('=HYPERLINK("http://x.example","y")', "s")
    assert sheet.cell(row=2, column=24).value == "-1 for style"


# --- XLSX ----------------------------------------------------------------------------------


def xlsx_rows(data) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_records_xlsx_has_the_same_rows_as_the_csv(review, screened, reviewer, second_reviewer):
    output = io.BytesIO()
    assert exports.export_records_xlsx(review, path_or_stream=output) == 6
    rows = xlsx_rows(output.getvalue())
    assert rows[0] == HEADER
    assert rows[1:] == expected_rows(screened, reviewer, second_reviewer)
    sheet = openpyxl.load_workbook(io.BytesIO(output.getvalue())).active
    assert sheet.title == "Records"
    assert [sheet.cell(row=2, column=1).value, sheet.cell(row=2, column=7).value] == [
        screened[0].id,
        2019,
    ]


def test_records_xlsx_status_filter(review, screened):
    output = io.BytesIO()
    assert exports.export_records_xlsx(review, status="excluded", path_or_stream=output) == 2
    rows = xlsx_rows(output.getvalue())
    assert [row[0] for row in rows[1:]] == [str(screened[2].id), str(screened[4].id)]


# --- RIS -----------------------------------------------------------------------------------


def ris_entries(text: str) -> list[str]:
    return [entry + "ER  - " for entry in text.split("ER  - \n\n") if entry]


def test_records_ris_keeps_the_original_tags_and_adds_n1_notes(review, screened):
    text = "".join(exports.export_records_ris(review))
    assert "\n" not in text.replace("\r\n", "")
    entries = ris_entries(text.replace("\r\n", "\n"))
    assert len(entries) == 6
    assert entries[0] == (
        "TY  - JOUR\n"
        "TI  - Exercise for depression in adults\n"
        "AU  - Smith, John\n"
        "AU  - Doe, Ann\n"
        "PY  - 2019\n"
        "T2  - Journal of Affective Disorders\n"
        "VL  - 12\n"
        "SP  - 100\n"
        "EP  - 110\n"
        "DO  - 10.1000/abc.1\n"
        "AN  - 31000001\n"
        "DB  - PubMed\n"
        "AB  - We randomised 200 adults\n"
        "to exercise or usual care.\n"
        "KW  - exercise\n"
        "KW  - depression\n"
        "N1  - Original note from the database\n"
        "N1  - Screening decision: included\n"
        "N1  - Reviewer reviewer: include\n"
        "N1  - Reviewer second_reviewer: maybe; note: check the dose\n"
        "ER  - "
    )
    assert entries[2] == (
        "TY  - JOUR\n"
        "TI  - Tai chi for sleep\n"
        "AU  - Lee, Min\n"
        "PY  - 2021\n"
        "DO  - 10.1000/tc.3\n"
        "N1  - Screening decision: excluded (conflict resolved)\n"
        "N1  - Reviewer reviewer: maybe\n"
        "N1  - Reviewer second_reviewer: exclude (Wrong population; Wrong outcome)\n"
        "N1  - Resolution: exclude (Wrong population) by owner; note: adults only\n"
        "ER  - "
    )
    assert entries[5].splitlines()[-2:] == [
        f"N1  - Screening decision: duplicate of record {screened[0].id}",
        "ER  - ",
    ]


def test_records_ris_status_filter(review, screened):
    text = "".join(exports.export_records_ris(review, status="conflict"))
    assert [line for line in text.splitlines() if line.startswith("TI  - ")] == [
        "TI  - Yoga and anxiety: a trial"
    ]


def test_records_ris_builds_standard_tags_for_other_formats(review, owner):
    import_text(review, MEDLINE, "pubmed.nbib", "MEDLINE (PubMed)")
    record = Record.objects.get(review=review)
    decide(review, record, owner, "include", note="walking\nand mood")
    text = "".join(exports.export_records_ris(review)).replace("\r\n", "\n")
    assert text == (
        "TY  - JOUR\n"
        "TI  - A trial of walking for low mood.\n"
        "AU  - Takeuchi, Yuichi\n"
        "AU  - Osaki, Hironobu\n"
        "PY  - 2018\n"
        "T2  - Journal of Walking\n"
        "VL  - 5\n"
        "IS  - 2\n"
        "SP  - 283\n"
        "EP  - 298\n"
        "DO  - 10.1016/j.mex.2018.03.006\n"
        "AN  - 30042925\n"
        "DP  - NLM\n"
        "C2  - PMC6055010\n"
        "DB  - MEDLINE (PubMed)\n"
        "AB  - Walking helped.\n"
        "KW  - mood\n"
        "KW  - Humans\n"
        "KW  - Walking/*psychology\n"
        "LA  - eng\n"
        "N1  - Other ids: pmcid:PMC6055010\n"
        "N1  - Screening decision: pending\n"
        "N1  - Reviewer owner: include; note: walking and mood\n"
        "ER  - \n\n"
    )


def test_records_ris_continuation_lines_that_look_like_tags_stay_text(review, owner):
    abstract = "First line.\nER\nTY - JOUR\nLast line."
    ris = "TY  - JOUR\nTI  - Odd abstract\nPY  - 2020\nER  - \n"
    import_text(review, ris, "odd.ris", "PubMed")
    Record.objects.filter(review=review).update(abstract=abstract, raw={})
    text = "".join(exports.export_records_ris(review))
    assert "AB  - First line.\r\n ER\r\n TY - JOUR\r\nLast line.\r\n" in text
    copy = review_create(title="Copy", owner=owner)
    import_text(copy, text, "copy.ris", "Export")
    assert Record.objects.get(review=copy).abstract == abstract


def test_ris_round_trip_of_the_included_records(review, owner):
    """Export the included records as RIS, import that file into a new review: the same
    records, and for records read from RIS every original tag and value."""
    review.required_decisions = 1
    review.save()
    paths = [
        *sorted((DATA / "ris").iterdir()),
        DATA / "medline" / "holub008+nbib__pmc_medlars.txt",
        DATA / "pubmed-xml" / "sysrev+sysrev__PMID10000.xml",
        DATA / "bibtex" / "CoLRev-Environment+colrev__web_of_science_bib.bib",
    ]
    for path in paths:
        records_import(
            review=review, data=path.read_bytes(), file_name=path.name, source_name="Search"
        )
    originals = list(
        Record.objects.filter(review=review, duplicate_of__isnull=True)
        .select_related("batch")
        .order_by("id")
    )
    other = reason_ids(review, "Other")
    for number, record in enumerate(originals):
        verdict = "exclude" if number % 3 == 2 else "include"
        services.decision_record(
            review=review,
            record=record,
            reviewer=owner,
            verdict=verdict,
            reason_ids=other if verdict == "exclude" else (),
        )
    included = [record for number, record in enumerate(originals) if number % 3 != 2]
    assert len(included) > 150
    assert {record.batch.format for record in included} == {
        "ris",
        "medline",
        "pubmed-xml",
        "bibtex",
    }

    text = "".join(exports.export_records_ris(review, status="included"))
    copy = review_create(title="Round trip", owner=owner)
    outcome = import_text(copy, text, "included.ris", "Export")
    copies = list(Record.objects.filter(review=copy).order_by("id"))

    assert (outcome.format, outcome.duplicates) == ("ris", 0)

    def fields(record):
        return (
            record.title,
            record.doi,
            record.pmid,
            record.year,
            record.authors,
            record.abstract,
            record.journal,
            record.volume,
            record.issue,
        )

    assert [fields(record) for record in copies] == [fields(record) for record in included]
    for original, copied in zip(included, copies, strict=True):
        if original.batch.format != "ris":
            continue
        notes = copied.raw["N1"][len(original.raw.get("N1", [])) :]
        assert notes[:2] == ["Screening decision: included", "Reviewer owner: include"]
        assert copied.raw == {**original.raw, "N1": original.raw.get("N1", []) + notes}
        assert (copied.keywords, copied.other_ids, copied.pages, copied.url) == (
            original.keywords,
            original.other_ids,
            original.pages,
            original.url,
        )


# --- Audit log -----------------------------------------------------------------------------


def test_audit_csv_lists_imports_decisions_changes_undos_and_resolutions(
    review, owner, reviewer, second_reviewer
):
    import_text(review, RIS, "pubmed.ris", "MEDLINE (PubMed)", owner)
    import_text(review, EMBASE, "embase.ris", "Embase", owner)
    r = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, r[0], reviewer, "include", note="fine")
    decide(review, r[0], second_reviewer, "exclude", ["Wrong outcome"])
    decide(review, r[0], reviewer, "exclude", ["Other", "Wrong population"], note="on reflection")
    decide(review, r[1], reviewer, "maybe")
    services.decision_undo(review=review, reviewer=reviewer)
    services.conflict_resolve(review=review, record=r[0], resolver=owner, verdict="include")
    services.conflict_resolve(
        review=review,
        record=r[0],
        resolver=owner,
        verdict="exclude",
        reason_ids=reason_ids(review, "Wrong outcome"),
        note="second look",
    )
    rows = csv_rows("".join(exports.export_audit_csv(review)))
    times = [row.pop(0) for row in rows[1:]]
    assert rows[0] == [
        "time",
        "actor",
        "action",
        "record_id",
        "old",
        "new",
        "reasons",
        "note",
        "details",
    ]
    one, two = str(r[0].id), str(r[1].id)
    assert rows[1:] == [
        ["owner", "import", "", "", "", "", ""]
        + [
            "file pubmed.ris; format ris; source MEDLINE (PubMed) (database); records 5; "
            "duplicates 0"
        ],
        ["owner", "import", "", "", "", "", ""]
        + ["file embase.ris; format ris; source Embase (database); records 1; duplicates 1"],
        ["reviewer", "decision", one, "", "include", "", "fine", ""],
        ["second_reviewer", "decision", one, "", "exclude", "Wrong outcome", "", ""],
        ["reviewer", "decision changed", one, "include", "exclude"]
        + ["Wrong population; Other", "on reflection", "previous note: fine"],
        ["reviewer", "decision", two, "", "maybe", "", "", ""],
        ["reviewer", "decision undone", two, "maybe", "", "", "", ""],
        ["owner", "resolution", one, "", "include", "", "", ""],
        ["owner", "resolution changed", one, "include", "exclude", "Wrong outcome"]
        + ["second look", ""],
    ]
    assert times == sorted(times)
    batch = review.batches.order_by("id").first()
    assert times[0] == iso(batch.imported_at)


# --- Views ---------------------------------------------------------------------------------


def test_exports_are_for_owners_only(
    client_for, review, screened, owner, reviewer, second_reviewer, outsider
):
    # Exports show every vote: not even a reviewer who resolves conflicts gets them.
    review.members.filter(user=second_reviewer).update(is_resolver=True)
    for name in EXPORT_URLS:
        url = reverse(name, args=[review.slug])
        anonymous = client_for(None).get(url)
        assert anonymous.status_code == 302, name
        assert anonymous.url.startswith(reverse("login")), name
        assert client_for(outsider).get(url).status_code == 404, name
        assert client_for(reviewer).get(url).status_code == 403, name
        assert client_for(second_reviewer).get(url).status_code == 403, name
        assert client_for(owner).get(url).status_code == 200, name
        assert client_for(owner).post(url).status_code == 405, name
    missing = reverse("screening:export-records-csv", args=["no-such-review"])
    assert client_for(owner).get(missing).status_code == 404


def test_records_csv_view_streams_an_attachment(client_for, review, screened, owner):
    response = client_for(owner).get(
        reverse("screening:export-records-csv", args=[review.slug]), {"status": "included"}
    )
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{review.slug}-records-included-{today}.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    assert body(response) == "".join(exports.export_records_csv(review, status="included"))


def test_records_views_default_to_all_and_refuse_unknown_statuses(
    client_for, review, screened, owner
):
    client = client_for(owner)
    url = reverse("screening:export-records-ris", args=[review.slug])
    response = client.get(url)
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{review.slug}-records-all-{today}.ris"'
    )
    assert body(response) == "".join(exports.export_records_ris(review))
    for name in EXPORT_URLS[1:4]:
        response = client.get(reverse(name, args=[review.slug]), {"status": "bogus"})
        assert response.status_code == 400, name
        assert response.content == (
            b"Unknown status 'bogus': use all, included, excluded, conflict, pending."
        )


def test_records_xlsx_view_sends_a_workbook(
    client_for, review, screened, owner, reviewer, second_reviewer
):
    response = client_for(owner).get(
        reverse("screening:export-records-xlsx", args=[review.slug]), {"status": "conflict"}
    )
    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{review.slug}-records-conflict-{today}.xlsx"'
    )
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert rows == [HEADER, expected_rows(screened, reviewer, second_reviewer)[1]]


def test_audit_view_streams_the_log(client_for, review, screened, owner):
    response = client_for(owner).get(reverse("screening:export-audit-csv", args=[review.slug]))
    assert isinstance(response, StreamingHttpResponse)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{review.slug}-audit-{today}.csv"'
    )
    assert body(response) == "".join(exports.export_audit_csv(review))


def test_exports_page_lists_downloads_with_counts(client_for, review, screened, owner):
    response = client_for(owner).get(reverse("screening:exports", args=[review.slug]))
    assert response.status_code == 200
    assert [
        (choice["status"], choice["label"], choice["count"])
        for choice in response.context["choices"]
    ] == [
        ("all", "All records", 6),
        ("included", "Included", 1),
        ("excluded", "Excluded", 2),
        ("conflict", "Conflicts", 1),
        ("pending", "Pending", 1),
    ]
    html = response.content.decode()
    for status in ("all", "included", "excluded", "conflict", "pending"):
        for name in ("export-records-csv", "export-records-xlsx", "export-records-ris"):
            url = reverse(f"screening:{name}", args=[review.slug])
            assert f'href="{url}?status={status}"' in html
    assert reverse("screening:export-audit-csv", args=[review.slug]) in html
    exports_url = reverse("screening:exports", args=[review.slug])
    assert f'<a href="{exports_url}" aria-current="page">Exports</a>' in html


@pytest.mark.parametrize("count", [1, 3])
def test_exports_page_query_count(client_for, review, owner, count, django_assert_num_queries):
    import_text(review, many_records_ris(count), "many.ris", "PubMed")
    client = client_for(owner)
    # Session, user, membership with its review, the status counts.
    with django_assert_num_queries(4):
        response = client.get(reverse("screening:exports", args=[review.slug]))
    assert response.context["choices"][0]["count"] == count


def test_navigation_links_exports_for_owners_only(client_for, review, owner, reviewer):
    exports_url = reverse("screening:exports", args=[review.slug])
    detail = reverse("reviews:review-detail", args=[review.slug])
    assert f'href="{exports_url}"' in client_for(owner).get(detail).content.decode()
    assert exports_url not in client_for(reviewer).get(detail).content.decode()


# --- Streaming -----------------------------------------------------------------------------


def many_records_ris(count: int) -> bytes:
    words = ["exercise", "yoga", "sleep", "mood", "walking", "diet", "tai", "chi", "anxiety"]
    entries = []
    for i in range(count):
        # Titles made of distinct word sequences, so no two are near-duplicates.
        title = " ".join(words[(i // 9**k) % 9] + str(k) for k in range(4)) + f" trial {i}"
        entries.append(f"TY  - JOUR\nTI  - {title}\nPY  - 2020\nDO  - 10.5555/m.{i}\nER  - \n")
    return "".join(entries).encode()


def bulk_decisions(review, user, *, reason_label="Other"):
    """A decision on every record of the review, written in bulk: too many for the services
    in a test. The export reads only current decisions and their reasons."""
    records = list(Record.objects.filter(review=review).values_list("id", flat=True))
    decisions = Decision.objects.bulk_create(
        Decision(review=review, record_id=record_id, reviewer=user, verdict="exclude")
        for record_id in records
    )
    reason = review.reasons.get(label=reason_label)
    Decision.reasons.through.objects.bulk_create(
        Decision.reasons.through(decision_id=decision.id, exclusionreason_id=reason.id)
        for decision in decisions
    )
    Record.objects.filter(review=review).update(decision_count=1)


@pytest.mark.parametrize(("count", "queries"), [(3, 8), (2000, 9)])
def test_records_csv_view_streams_with_queries_per_chunk_only(
    client_for, review, owner, reviewer, count, queries, django_assert_num_queries
):
    import_text(review, many_records_ris(count), "many.ris", "PubMed")
    assert Record.objects.filter(review=review, duplicate_of__isnull=True).count() == count
    bulk_decisions(review, reviewer)
    client = client_for(owner)
    # Session, user, membership; the reviewers; then per chunk of up to 2,000 records: the
    # records, their statuses, decisions and resolutions; a full last chunk asks once more.
    with django_assert_num_queries(queries):
        response = client.get(reverse("screening:export-records-csv", args=[review.slug]))
        assert isinstance(response, StreamingHttpResponse)
        rows = csv_rows(body(response))
    assert len(rows) == count + 1
    assert {row[11] for row in rows[1:]} == {"pending"}
    assert {row[21:23] == ["exclude", "Other"] for row in rows[1:]} == {True}


def test_records_export_queries_grow_with_chunks_not_records(
    review, reviewer, django_assert_num_queries
):
    import_text(review, many_records_ris(2000), "many.ris", "PubMed")
    bulk_decisions(review, reviewer)
    # The reviewers, then 4 chunks of 500 records (records, statuses, decisions,
    # resolutions) and the empty fifth.
    with django_assert_num_queries(1 + 4 * 4 + 1):
        texts = list(exports.export_records_csv(review, chunk_size=500))
    assert len(texts) == 2001
    # A status filter skips the decisions of chunks it keeps nothing of.
    with django_assert_num_queries(1 + 4 * 2 + 1):
        assert list(exports.export_records_ris(review, status="included", chunk_size=500)) == []


# --- Command -------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["csv", "xlsx", "ris"])
def test_export_decisions_command_writes_each_format(
    review, screened, reviewer, second_reviewer, tmp_path, format
):
    output = tmp_path / f"included.{format}"
    stderr = io.StringIO()
    call_command(
        "export_decisions",
        review.slug,
        "--format",
        format,
        "--status",
        "excluded",
        "--output",
        str(output),
        stderr=stderr,
        stdout=io.StringIO(),
    )
    assert stderr.getvalue() == (f"{output}: 2 records (excluded) of {review.slug} as {format}\n")
    expected = expected_rows(screened, reviewer, second_reviewer)
    if format == "csv":
        text = output.read_bytes().decode()
        assert text == "".join(exports.export_records_csv(review, status="excluded"))
        assert csv_rows(text) == [HEADER, expected[2], expected[4]]
    elif format == "xlsx":
        assert xlsx_rows(output.read_bytes()) == [HEADER, expected[2], expected[4]]
    else:
        text = output.read_bytes().decode()
        assert text == "".join(exports.export_records_ris(review, status="excluded"))
        assert text.count("ER  - \r\n") == 2


def test_export_decisions_command_defaults_to_all(review, screened, tmp_path):
    output = tmp_path / "all.csv"
    stderr = io.StringIO()
    call_command(
        "export_decisions", review.slug, "--format", "csv", "--output", str(output), stderr=stderr
    )
    assert stderr.getvalue() == f"{output}: 6 records (all) of {review.slug} as csv\n"
    assert len(csv_rows(output.read_bytes().decode())) == 7


def test_export_decisions_command_errors(review, tmp_path):
    output = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="No review with the slug 'nope'"):
        call_command("export_decisions", "nope", "--format", "csv", "--output", str(output))
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        call_command("export_decisions", review.slug, "--format", "pdf", "--output", str(output))
    with pytest.raises(CommandError, match="invalid choice: 'maybe'"):
        call_command(
            "export_decisions",
            review.slug,
            "--format",
            "csv",
            "--status",
            "maybe",
            "--output",
            str(output),
        )
    with pytest.raises(CommandError, match="the following arguments are required: --output"):
        call_command("export_decisions", review.slug, "--format", "csv")
    with pytest.raises(CommandError, match="No such file or directory"):
        call_command(
            "export_decisions",
            review.slug,
            "--format",
            "csv",
            "--output",
            str(tmp_path / "missing" / "x.csv"),
        )
    assert not output.exists()
    assert Review.objects.count() == 1
