"""What the prisma and export_decisions commands do with their output paths: whole files or
none, a clear error for a path that cannot be written, and prisma's text output."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reviews.imports import records_import
from screening import exports
from screening.output_files import written_whole
from tests.screening.test_services import ris


def test_prisma_refuses_paths_it_cannot_write_and_writes_nothing(review, tmp_path):
    records_import(review=review, data=ris(2), file_name="a.ris", source_name="MEDLINE")
    svg = tmp_path / "p.svg"
    with pytest.raises(
        CommandError, match=f"^{tmp_path}/missing/p.png: No such file or directory$"
    ):
        call_command("prisma", review.slug, "--png", str(tmp_path / "missing" / "p.png"))
    with pytest.raises(CommandError, match=f"^{tmp_path}: is a folder, not a file name$"):
        call_command("prisma", review.slug, "--svg", str(svg), "--csv", str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == []


def test_prisma_plain_output_reads_as_text(review):
    records_import(review=review, data=ris(2), file_name="a.ris", source_name="MEDLINE")
    out = StringIO()
    call_command("prisma", review.slug, stdout=out)
    lines = out.getvalue().splitlines()
    assert "databases: MEDLINE 2" in lines
    assert "registers: none" in lines
    assert "is_update: no" in lines
    assert "previous_studies: -" in lines
    assert not [line for line in lines if "None" in line or "[{" in line]


def test_export_keeps_the_old_file_when_a_write_fails(review, tmp_path, monkeypatch):
    records_import(review=review, data=ris(3), file_name="a.ris", source_name="MEDLINE")
    output = tmp_path / "records.csv"
    output.write_text("the export of yesterday\n")

    def failing(review, status=None):
        yield "title,abstract\n"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "export_records_csv", failing)
    with pytest.raises(CommandError, match=f"^{output}: No space left on device$"):
        call_command("export_decisions", review.slug, "--format", "csv", "--output", str(output))
    assert output.read_text() == "the export of yesterday\n"
    assert sorted(os.listdir(tmp_path)) == ["records.csv"]


@pytest.mark.parametrize("fmt", ["csv", "ris", "xlsx"])
def test_export_to_a_missing_folder_is_a_clean_error(review, tmp_path, fmt, capfd):
    output = tmp_path / "missing" / f"records.{fmt}"
    with pytest.raises(CommandError, match=f"^{output}: No such file or directory$"):
        call_command("export_decisions", review.slug, "--format", fmt, "--output", str(output))
    assert "Traceback" not in capfd.readouterr().err


def test_written_whole_gives_new_files_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        with written_whole(tmp_path / "out.txt") as target:
            target.write_text("x")
    finally:
        os.umask(mask)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ["out.txt"]
