import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reviews.imports import ImportRefused, records_import
from reviews.models import ImportBatch, Record

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = Path(__file__).resolve().parents[2] / "reviews" / "demo" / "vhl_results_page.txt"

RIS = b"""TY  - JOUR
TI  - Exercise for depression in adults
AU  - Smith, John
AU  - Doe, Ann
PY  - 2019
JO  - Journal of Affective Disorders
VL  - 12
IS  - 3
SP  - 100
EP  - 110
DO  - https://doi.org/10.1000/ABC.123
AB  - We randomised 200 adults.
ER  -

TY  - JOUR
TI  - Yoga and anxiety: a trial
AU  - Brown, Kim
PY  - 2020
DO  - 10.1000/xyz.9
ER  -
""".replace(b"ER  -\n", b"ER  - \n")

RIS_SAME_DOI = b"""TY  - JOUR
TI  - Exercise for depression in adults.
AU  - Smith, J
PY  - 2019
DO  - 10.1000/abc.123
ER  -
""".replace(b"ER  -\n", b"ER  - \n")


def do_import(review, data=RIS, name="search.ris", **kwargs):
    kwargs.setdefault("source_name", "MEDLINE (PubMed)")
    return records_import(review=review, data=data, file_name=name, **kwargs)


def test_import_stores_every_record_and_the_batch(review, owner):
    outcome = do_import(review, user=owner, source_kind="database")
    batch = ImportBatch.objects.get()
    assert (outcome.format, outcome.records_read, outcome.records_created) == ("ris", 2, 2)
    assert batch.sha256 == hashlib.sha256(RIS).hexdigest()
    assert (batch.file_name, batch.file_size, batch.format) == ("search.ris", len(RIS), "ris")
    assert (batch.source_name, batch.source_kind, batch.status) == (
        "MEDLINE (PubMed)",
        "database",
        "done",
    )
    assert batch.imported_by == owner
    first = Record.objects.get(position=1)
    assert first.title == "Exercise for depression in adults"
    assert first.authors == ["Smith, John", "Doe, Ann"]
    assert (first.year, first.volume, first.issue) == (2019, "12", "3")
    assert first.doi == "10.1000/abc.123"
    assert first.abstract == "We randomised 200 adults."
    assert first.raw["TI"] == ["Exercise for depression in adults"]


def test_same_file_again_is_refused_unless_forced(review):
    do_import(review)
    with pytest.raises(ImportRefused) as refused:
        do_import(review, name="again.ris")
    assert str(refused.value).startswith("again.ris: this file was already imported")
    assert Record.objects.count() == 2
    outcome = do_import(review, name="again.ris", force=True)
    assert outcome.records_created == 2
    assert outcome.duplicates == 2
    assert ImportBatch.objects.get(file_name="again.ris").forced is True


def test_dry_run_stores_nothing(review):
    outcome = do_import(review, dry_run=True)
    assert (outcome.records_created, outcome.batch) == (2, None)
    assert Record.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_unreadable_file_is_refused_whole(review):
    truncated = b'<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation>'
    with pytest.raises(ImportRefused) as refused:
        do_import(review, data=truncated, name="cut.xml")
    assert str(refused.value).startswith("cut.xml")
    assert Record.objects.count() == 0
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "empty.txt: "),
        (b"\x00\x01\x02binary\x00", "empty.txt: "),
        (b"just some words\nnothing more\n", "empty.txt, line 1: unknown format"),
    ],
)
def test_bad_files_are_refused_with_the_file_name(review, data, start):
    with pytest.raises(ImportRefused) as refused:
        do_import(review, data=data, name="empty.txt")
    assert str(refused.value).startswith(start)
    assert ImportBatch.objects.count() == 0


def test_oversized_file_is_refused_before_reading(review, settings):
    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(ImportRefused) as refused:
        do_import(review)
    assert str(refused.value) == (
        "search.ris: the file is 0.0 MB, over the limit of 0 MB (MAX_UPLOAD_MB)."
    )


def test_duplicates_across_batches_are_linked_not_deleted(review):
    do_import(review)
    outcome = do_import(review, data=RIS_SAME_DOI, name="embase.ris", source_name="Embase")
    assert outcome.duplicates == 1
    duplicate = Record.objects.get(batch__file_name="embase.ris")
    kept = Record.objects.get(batch__file_name="search.ris", position=1)
    assert duplicate.duplicate_of == kept
    assert duplicate.duplicate_reason == "same DOI"
    assert duplicate.duplicate_score == 1.0
    assert Record.objects.count() == 3


def test_seed_page_imports_ten_records_and_warns_about_the_missing_one(review):
    outcome = do_import(review, data=SEED.read_bytes(), name="vhl.txt", source_name="VHL")
    assert (outcome.format, outcome.records_created) == ("bvs", 10)
    assert any("11" in w and "9" in w for w in outcome.warnings), outcome.warnings
    first = Record.objects.get(position=1)
    assert first.pmid == "38418998"
    assert (first.journal, first.volume, first.issue, first.pages, first.year) == (
        "BMC Med",
        "22",
        "1",
        "72",
        2024,
    )
    assert first.title == ""
    assert first.display_title.startswith("BMC Med 2024;22(1):72 — BACKGROUND: Peer support")


def run_cli(*args):
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("import_records", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_cli_json_lines_and_exit_status(review, tmp_path):
    good = tmp_path / "good.ris"
    good.write_bytes(RIS)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    code, out, _err = run_cli(
        review.slug,
        str(good),
        str(bad),
        "--source",
        "PubMed",
        "--search-date",
        "2026-01-31",
        "--json",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert lines[0] == {
        "file": str(good),
        "format": "ris",
        "records_read": 2,
        "records_created": 2,
        "duplicates": 0,
        "warnings": lines[0]["warnings"],
        "errors": [],
    }
    assert lines[1]["file"] == str(bad)
    assert lines[1]["records_created"] == 0
    assert lines[1]["errors"][0].startswith("bad.txt: ")
    assert ImportBatch.objects.get().search_date.isoformat() == "2026-01-31"


def test_cli_exit_zero_when_all_imported(review, tmp_path):
    good = tmp_path / "good.ris"
    good.write_bytes(RIS)
    code, out, _ = run_cli(
        review.slug, str(good), "--source", "PubMed", "--source-kind", "register"
    )
    assert code == 0
    assert out.startswith(f"{good}: imported 2 records (ris), 0 duplicates")
    assert ImportBatch.objects.get().source_kind == "register"


def test_cli_unknown_review(tmp_path):
    with pytest.raises(CommandError, match="No review with the slug 'nope'."):
        call_command("import_records", "nope", "x.ris", "--source", "X")


def test_create_review_command_creates_user_and_review(db):
    out = StringIO()
    call_command("create_review", "my-review", "--title", "My review", "--owner", "zoe", stdout=out)
    from reviews.models import Review

    review = Review.objects.get(slug="my-review")
    assert review.title == "My review"
    assert list(review.members.values_list("user__username", "role")) == [("zoe", "owner")]
    with pytest.raises(CommandError, match="A review with the slug 'my-review' already exists."):
        call_command("create_review", "my-review", "--title", "Again", "--owner", "zoe")


def test_create_review_command_refuses_bad_input_and_creates_nothing(db):
    from django.contrib.auth import get_user_model

    from reviews.models import Review

    User = get_user_model()
    with pytest.raises(CommandError, match="The slug 'bad slug!' is not a valid slug|valid slug"):
        call_command("create_review", "bad slug!", "--title", "T", "--owner", "newcomer")
    with pytest.raises(CommandError, match=r"--owner 'carl smith': Enter a valid username"):
        call_command("create_review", "ok-slug", "--title", "T", "--owner", "carl smith")
    with pytest.raises(CommandError, match="--title must have 1 to 300 characters."):
        call_command("create_review", "ok-slug", "--title", "x" * 301, "--owner", "newcomer")
    with pytest.raises(CommandError, match="The slug must have at most 80 characters."):
        call_command("create_review", "s" * 81, "--title", "T", "--owner", "newcomer")
    assert (User.objects.count(), Review.objects.count()) == (0, 0)


def test_cli_search_date_and_source_are_checked(review, tmp_path):
    good = tmp_path / "good.ris"
    good.write_bytes(RIS)
    for value, message in (
        ("20240131", "'20240131' is not a date like 2026-01-31 \\(YYYY-MM-DD\\)"),
        ("2024-W05-3", "'2024-W05-3' is not a date like 2026-01-31"),
        ("2999-01-01", "2999-01-01 is in the future"),
    ):
        # From a shell this is argparse's usage error (exit status 2), not a traceback.
        with pytest.raises(CommandError, match=f"argument --search-date: {message}"):
            call_command(
                "import_records", review.slug, str(good), "--source", "X", "--search-date", value
            )
    with pytest.raises(CommandError, match="--source must name the source database in 1 to 200"):
        call_command("import_records", review.slug, str(good), "--source", "x" * 201)
    assert ImportBatch.objects.count() == 0
