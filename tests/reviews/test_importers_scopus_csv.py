"""Scopus CSV (reviews/importers/scopus_csv.py)."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from reviews.importers import delimited, scopus_csv
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data"
SHIFTED = DATA / "scopus-csv" / "NLeSC+litstudy__scopus.csv"
CURRENT = DATA / "scopus-csv" / "asreview+citation-file-formatting___baseline_scopus.csv"

HEADER = [
    "Authors",
    "Author(s) ID",
    "Title",
    "Year",
    "Source title",
    "Volume",
    "Issue",
    "Art. No.",
    "Page start",
    "Page end",
    "DOI",
    "Link",
    "Abstract",
    "Author Keywords",
    "Index Keywords",
    "Funding Details",
    "Funding Text 1",
    "References",
    "Correspondence Address",
    "PubMed ID",
    "Language of Original Document",
    "Document Type",
    "Source",
    "EID",
]
ROW = [
    "Smith J., Doe A.",
    "1;2;",
    "A title",
    "2019",
    "Journal of Tests",
    "7",
    "2",
    "",
    "11",
    "19",
    "10.1000/T1",
    "https://www.scopus.com/inward/record.uri?eid=2-s2.0-1",
    "An abstract.",
    "one; two",
    "three",
    "",
    "Funded.",
    "Ref A; Ref B",
    "Smith, J.; somewhere",
    "31415",
    "English",
    "Article",
    "Scopus",
    "2-s2.0-1",
]


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def to_csv(*rows: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(scopus_csv.parse(text, warnings)), warnings


def test_parse_current_export():
    records, warnings = parse(read(CURRENT))
    assert len(records) == 10
    assert warnings == []
    first = records[0]
    assert first.title == (
        "Global latitudinal gradients and the evolution of body size in dinosaurs and mammals"
    )
    assert first.abstract.startswith("Global climate patterns fundamentally shape the distribution")
    assert first.authors == (
        "Wilson, Lauren N.",
        "Gardner, Jacob D.",
        "Wilson, John P.",
        "Farnsworth, Alex",
        "Perry, Zackary R.",
        "Druckenmiller, Patrick S.",
        "Erickson, Gregory M.",
        "Organ, Chris L.",
    )
    assert first.year == 2024
    assert first.journal == "Nature Communications"
    assert (first.volume, first.issue, first.pages) == ("15", "1", "2864")
    assert first.doi == "10.1038/s41467-024-46843-2"
    assert first.pmid == "38580657"
    assert first.other_ids == {"scopus": "2-s2.0-85189760133"}
    assert first.publication_type == "Article"
    assert first.language == "English"
    assert first.url.startswith("https://www.scopus.com/inward/record.uri?eid=2-s2.0-85189760133")
    assert first.raw["Abbreviated Source Title"] == "Nat. Commun."


def test_parse_shifted_export_realigns_columns():
    records, warnings = parse(read(SHIFTED))
    assert len(records) == 58
    assert warnings == [
        "56 row(s) had one field more than the header (a Scopus export bug): "
        "the extra field after 'Funding Text 1' was set aside and the columns realigned",
        "the file contains U+FFFD characters: Scopus lost some letters on export",
    ]
    assert all(record.other_ids["scopus"].startswith("2-s2.0-") for record in records)
    assert {record.language for record in records} == {"English"}
    shifted = records[2]
    assert shifted.title == (
        "Petri nets and ODEs as complementary methods for comprehensive analysis on an example "
        "of the ATM\u2013p53\u2013NF- \u03ba B signaling pathways"
    )
    assert shifted.abstract.startswith("Intracellular processes are cascades of biochemical")
    assert shifted.authors == (
        "Gutowska K.",
        "Kogut D.",
        "Kardynska M.",
        "Formanowicz P.",
        "Smieja J.",
        "Puszynski K.",
    )
    assert shifted.year == 2022
    assert shifted.doi == "10.1038/s41598-022-04849-0"
    assert shifted.pmid == "35064163"
    assert shifted.other_ids == {"scopus": "2-s2.0-85123480963"}
    assert shifted.publication_type == "Article"
    assert shifted.raw["References"].startswith("Edelstein-Keshet, L., (2005)")
    assert shifted.raw["Correspondence Address"].startswith("Gutowska, K.; Institute")
    assert shifted.raw["Publisher"] == "Nature Research"
    # An unshifted row in the same file stays as it is.
    assert records[0].authors[:2] == ("Phillips J.C.", "Braun R.")
    assert records[0].pages == "1781-1802"
    assert records[0].publication_type == "Review"


def test_no_abstract_placeholder_is_empty():
    records, _ = parse(read(SHIFTED))
    empty = [record for record in records if not record.abstract]
    assert len(empty) == 1
    assert empty[0].raw["Abstract"] == "[No abstract available]"
    assert "no abstract" in empty[0].warnings


def test_shift_repair_inline():
    shifted = ROW[:17] + [""] + ROW[17:]
    records, warnings = parse(to_csv(HEADER, ROW, shifted))
    assert dataclasses.replace(records[1], position=1, line=2) == records[0]
    assert records[1].pmid == "31415"
    assert records[1].raw["References"] == "Ref A; Ref B"
    assert len(warnings) == 1


def test_shift_repair_finds_position_without_funding_columns():
    header = [name for name in HEADER if not name.startswith("Funding")]
    row = [value for name, value in zip(HEADER, ROW, strict=True) if name in header]
    at = header.index("PubMed ID")
    shifted = row[:at] + ["surplus"] + row[at:]
    (record,), warnings = parse(to_csv(header, shifted))
    assert record.pmid == "31415"
    assert record.publication_type == "Article"
    assert record.other_ids == {"scopus": "2-s2.0-1"}
    assert record.raw["_extra"] == ["surplus"]
    assert warnings[0].endswith(
        "the extra field after 'Correspondence Address' was set aside and the columns realigned"
    )


def test_trailing_comma_is_not_a_shift():
    (record,), warnings = parse(to_csv(HEADER, ROW + [""]))
    assert warnings == []
    assert record.other_ids == {"scopus": "2-s2.0-1"}


def test_old_style_authors_and_fields():
    (record,), _ = parse("\ufeff" + to_csv(HEADER, ROW))
    assert record.authors == ("Smith J.", "Doe A.")
    assert record.pages == "11-19"
    assert record.doi == "10.1000/t1"
    assert record.keywords == ("one", "two", "three")
    assert record.line == 2


def test_no_author_and_embedded_newlines():
    row = ["[No author name available]"] + ROW[1:]
    row[HEADER.index("Abstract")] = "Line one\nline two"
    text = to_csv(HEADER, row, ROW).replace("\r\n", "\r")
    records, _ = parse(text)
    assert records[0].authors == ()
    assert records[0].abstract == "Line one line two"
    assert records[1].line == 4


def test_looks_like():
    assert scopus_csv.looks_like(read(CURRENT).removeprefix("\ufeff"))
    assert scopus_csv.looks_like(read(SHIFTED).removeprefix("\ufeff"))
    embase = read(DATA / "csv" / "asreview+citation-file-formatting___baseline_embase.csv")
    assert not scopus_csv.looks_like(embase)
    assert delimited.looks_like(embase)
    assert not scopus_csv.looks_like("Title,Source title,Year\nx,y,2020\n")
    assert scopus_csv.looks_like("Title,Source title,Link\nx,y,https://www.scopus.com/x\n")


@pytest.mark.parametrize("text", ["", "Foo,Bar\n1,2\n", to_csv(HEADER)])
def test_unreadable_files_raise(text):
    with pytest.raises(ParseError):
        parse(text)
