"""Format detection and read_records: the right parser for each file, whatever its name."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from reviews.importers import FORMATS, LABELS, detect_format, read_records
from reviews.importers.base import ParsedRecord, ParseError
from reviews.importers.decode import decode_bytes

DATA = Path(__file__).resolve().parents[1] / "data"

# Folder names under tests/data that are not spelled like the format name.
FOLDER_FORMATS = {
    "pubmed_xml": "pubmed-xml",
    "endnote_xml": "endnote-xml",
    "endnote_tagged": "endnote-tagged",
    "wos_plaintext": "wos",
    "wos_tab": "wos-tab",
    "wos_tabdelimited": "wos-tab",
    "scopus_csv": "scopus-csv",
    "delimited": "csv",
}

# Export samples live in folders named after their format; other test data (the labelled
# screening sets in labeled/) is not an export.
SAMPLES = sorted(
    path
    for path in DATA.glob("*/**/*")
    if path.is_file() and path.relative_to(DATA).parts[0] != "labeled"
)

ALL_LABELS = (
    "RIS, PubMed/MEDLINE, Ovid tagged text, PubMed XML, EndNote XML, BibTeX, "
    "Web of Science plain text, "
    "Web of Science tab-delimited, Scopus CSV, EndNote tagged text, BVS/LILACS results page, "
    "ProQuest plain text, Cochrane Library plain text, CSV/TSV with a header row"
)


def _detect(path: Path) -> str:
    text, _encoding, _warnings = decode_bytes(path.read_bytes())
    return detect_format(text)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: str(path.relative_to(DATA)))
def test_detect_sample_is_its_folders_format(path):
    folder = path.relative_to(DATA).parts[0]
    assert _detect(path) == FOLDER_FORMATS.get(folder, folder)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # PubMed's MEDLINE format saved with a .ris extension.
        ("medline/asreview+citation-file-formatting___baseline_pubmed.ris", "medline"),
        # Web of Science plain text named .ris.
        ("wos/MrTango+rispy__example_wos.ris", "wos"),
        # Web of Science RIS named .txt.
        ("ris/asreview+asreview__web_of_science.txt", "ris"),
    ],
)
def test_detect_ignores_misleading_file_names(path, expected):
    assert _detect(DATA / path) == expected


def test_formats_registry_is_complete_and_ordered():
    assert list(FORMATS) == [
        "pubmed-xml",
        "endnote-xml",
        "proquest",
        "cochrane-text",
        "bibtex",
        "ovid",
        "medline",
        "wos",
        "bvs",
        "ris",
        "endnote-tagged",
        "wos-tab",
        "scopus-csv",
        "csv",
    ]
    assert {name: module.FORMAT for name, module in FORMATS.items()} == {
        name: name for name in FORMATS
    }
    assert set(LABELS) == set(FORMATS)


def test_detect_refuses_unknown_text_showing_its_start():
    with pytest.raises(ParseError) as caught:
        detect_format("\n\nDear colleague\nplease find attached the references we discussed\n")
    assert caught.value.line == 3
    assert str(caught.value) == (
        "line 3: unknown format: the file starts with 'Dear colleague' "
        f"(expected one of {ALL_LABELS})"
    )


def test_detect_refuses_unknown_text_long_first_line_shortened():
    with pytest.raises(ParseError) as caught:
        detect_format("x" * 100 + "\n")
    assert caught.value.message == f"unknown format: the file starts with '{'x' * 60}...'"


def test_detect_refuses_html_page_with_hint():
    with pytest.raises(ParseError) as caught:
        detect_format("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n")
    assert caught.value.message == (
        "unknown format: this is a web page (HTML), not an export: "
        "the download may have failed or needed a login"
    )


def test_detect_refuses_other_xml_naming_its_root():
    with pytest.raises(ParseError) as caught:
        detect_format('<?xml version="1.0"?>\n<!-- export -->\n<feed><entry/></feed>\n')
    assert caught.value.message == (
        "unknown format: an XML file whose root element is <feed>, not PubMed or EndNote XML"
    )
    assert caught.value.line == 1


def test_detect_refuses_rtf_with_hint():
    with pytest.raises(ParseError) as caught:
        detect_format("{\\rtf1\\ansi Smith J. A study. 2020.}")
    assert caught.value.message == (
        "unknown format: this is an RTF document (a formatted reference list?), not an export"
    )


RIS_TEXT = "TY  - JOUR\nTI  - A title\nAU  - Smith, J\nPY  - 2020\nER  - \n"


def test_read_records_detects_and_parses():
    result = read_records(b"\xef\xbb\xbf" + RIS_TEXT.encode(), file_name="refs.txt")
    assert (result.format, result.encoding, result.warnings) == ("ris", "utf-8", [])
    records = list(result.records)
    assert [(record.position, record.title) for record in records] == [(1, "A title")]


def test_read_records_uses_the_format_given():
    result = read_records(RIS_TEXT.encode(), file_name="refs.txt", format="ris")
    assert result.format == "ris"


def test_read_records_names_the_file_for_unknown_format_name():
    with pytest.raises(ParseError) as caught:
        read_records(RIS_TEXT.encode(), file_name="refs.txt", format="endnote")
    assert caught.value.file_name == "refs.txt"
    assert str(caught.value) == (
        "refs.txt: unknown format name 'endnote' (expected one of pubmed-xml, endnote-xml, "
        "proquest, cochrane-text, bibtex, ovid, medline, wos, bvs, ris, endnote-tagged, wos-tab, "
        "scopus-csv, csv)"
    )


def test_read_records_names_the_file_for_decoding_errors():
    with pytest.raises(ParseError) as caught:
        read_records(b"", file_name="empty.ris")
    assert str(caught.value) == "empty.ris: the file is empty"


def test_read_records_names_the_file_for_unknown_format():
    with pytest.raises(ParseError) as caught:
        read_records(b"Dear colleague\n", file_name="letter.txt")
    assert str(caught.value) == (
        "letter.txt, line 1: unknown format: the file starts with 'Dear colleague' "
        f"(expected one of {ALL_LABELS})"
    )


def _fake_parse(text, warnings):
    warnings.append("first warning")
    yield ParsedRecord(position=1, line=1, title="one")
    warnings.append("late warning")
    raise ParseError("the record never ends", line=12, expected="an end tag")


def test_read_records_parse_errors_while_reading_name_the_file(monkeypatch):
    fake = SimpleNamespace(FORMAT="fake", looks_like=lambda head: True, parse=_fake_parse)
    monkeypatch.setitem(FORMATS, "fake", fake)
    result = read_records(b"anything\n", file_name="refs.fake", format="fake")
    assert result.warnings == []
    records = iter(result.records)
    assert next(records).title == "one"
    assert result.warnings == ["first warning"]
    with pytest.raises(ParseError) as caught:
        next(records)
    assert result.warnings == ["first warning", "late warning"]
    assert (caught.value.message, caught.value.line, caught.value.file_name) == (
        "the record never ends",
        12,
        "refs.fake",
    )
    assert str(caught.value) == "refs.fake, line 12: the record never ends (expected an end tag)"


def test_read_records_keeps_decoding_warnings():
    result = read_records(RIS_TEXT.replace("Smith", "M\xfcller").encode("cp1252"), file_name="x")
    assert result.encoding == "cp1252"
    assert result.warnings == [
        "the file is not UTF-8: first non-UTF-8 byte at offset 32 (line 3); "
        "read it as Windows-1252 (cp1252)"
    ]
    assert [record.authors for record in result.records] == [("Müller, J",)]
