import json
from io import StringIO

import pytest
from django.core.management import call_command

from reviews.imports import records_import
from screening import services
from screening.models import PrismaManual
from screening.prisma import prisma_counts
from screening.queries import prisma_inputs
from tests.screening.test_services import decide, ris

pytestmark = pytest.mark.django_db


def test_prisma_counts_from_the_review(review, owner, reviewer, second_reviewer):
    records_import(review=review, data=ris(4), file_name="a.ris", source_name="MEDLINE")
    records_import(review=review, data=ris(2), file_name="b.ris", source_name="Embase", force=True)
    records_import(
        review=review,
        data=ris(1, doi_prefix="10.9/reg"),
        file_name="c.ris",
        source_name="ClinicalTrials.gov",
        source_kind="register",
    )
    records = list(review.records.filter(duplicate_of__isnull=True).order_by("id"))
    assert len(records) == 5  # b.ris duplicates two records of a.ris by DOI
    for user in (reviewer, second_reviewer):
        decide(review, records[0], user, "include")
        decide(review, records[1], user, "exclude", ["Other"])
    decide(review, records[2], reviewer, "include")
    decide(review, records[2], second_reviewer, "exclude", ["Other"])
    services.conflict_resolve(review=review, record=records[2], resolver=owner, verdict="include")
    PrismaManual.objects.create(
        review=review, duplicates_before_import=7, reports_not_retrieved=1, reports_assessed=2
    )

    counts = prisma_counts(prisma_inputs(review))
    assert counts.databases == (("MEDLINE", 4), ("Embase", 2))
    assert counts.registers == (("ClinicalTrials.gov", 1),)
    assert (counts.identified_databases, counts.identified_registers) == (6, 1)
    assert (counts.duplicates_in_app, counts.duplicates_removed) == (2, 9)
    assert counts.records_screened == 5
    assert (counts.excluded_human, counts.excluded_auto, counts.records_excluded) == (1, 0, 1)
    assert counts.reports_sought == 2
    assert (counts.reports_not_retrieved, counts.reports_assessed) == (1, 2)
    messages = [w.message for w in counts.warnings]
    assert any("2 records have no final decision yet" in m for m in messages), messages


def test_prisma_command_json(review):
    records_import(review=review, data=ris(3), file_name="a.ris", source_name="MEDLINE")
    out = StringIO()
    call_command("prisma", review.slug, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["databases"] == [{"name": "MEDLINE", "n": 3}]
    assert (data["identified"], data["records_screened"], data["template"]) == (3, 3, "T1")


def test_prisma_command_writes_files(review, tmp_path):
    records_import(review=review, data=ris(1), file_name="a.ris", source_name="MEDLINE")
    svg, png, csv_file = tmp_path / "p.svg", tmp_path / "p.png", tmp_path / "p.csv"
    call_command(
        "prisma",
        review.slug,
        "--svg",
        str(svg),
        "--png",
        str(png),
        "--csv",
        str(csv_file),
        stdout=StringIO(),
    )
    assert "Records screened" in svg.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert csv_file.read_text().startswith("data,node,box,description,boxtext,tooltips,url,n")
