"""Web of Science plain text (reviews/importers/wos.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reviews.importers import wos
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "wos"


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(wos.parse(text, warnings)), warnings


RECORD = """PT J
AU Smith, J
   Doe, A
AF Smith, John
   Doe, Anna
TI A wrapped
   title
SO JOURNAL OF TESTS
LA English
DT Article
DE alpha; beta
   gamma; delta;
   epsilon
ID ONE; TWO
AB First line of the abstract
   and its second line.
PY 2020
VL 12
IS 3
BP 101
EP 110
DI 10.1000/ABC.1
PM 12345
UT WOS:000000000000001
ER
"""


def wrap(*records: str, header: str = "FN Clarivate Analytics Web of Science\nVR 1.0\n") -> str:
    return header + "\n".join(records) + "\nEF\n"


@pytest.mark.parametrize(
    ("name", "count"),
    [("JabRef+jabref__IsiImporterTestMedline.isi", 2), ("MrTango+rispy__example_wos.ris", 2)],
)
def test_parse_sample_counts(name, count):
    records, warnings = parse(read(name))
    assert len(records) == count
    assert [record.position for record in records] == list(range(1, count + 1))
    assert warnings == []


def test_parse_core_collection_record():
    records, _ = parse(read("MrTango+rispy__example_wos.ris"))
    first = records[0]
    assert first.title == (
        "Interactions stabilizing the structure of the core light-harvesting complex (LHl) "
        "of photosynthetic bacteria and its subunit (B820)"
    )
    assert first.abstract.startswith("Reconstitution experiments with a chemically synthesized")
    assert first.authors == ("Parkes-Loach, PS", "Majeed, AP", "Law, CJ", "Loach, PA")
    assert first.year == 2004
    assert first.journal == "BIOCHEMISTRY"
    assert (first.volume, first.issue, first.pages) == ("43", "22", "7003-7016")
    assert first.doi == "10.1021/bi049798f"
    assert first.pmid == "15170338"
    assert first.other_ids == {"wos": "WOS:000221807500019"}
    assert first.language == "English"
    assert first.publication_type == "Article"
    assert first.keywords[:3] == (
        "CHEMICALLY SYNTHESIZED POLYPEPTIDES",
        "IN-VITRO RECONSTITUTION",
        "AMINO-ACID-SEQUENCE",
    )
    assert first.line == 3
    assert first.raw["UT"] == ["WOS:000221807500019"]
    assert first.raw["AU"] == ["Parkes-Loach, PS", "Majeed, AP", "Law, CJ", "Loach, PA"]
    assert records[1].authors[-1] == "Champion, PM"
    # 'ID ... CARBON-MONOXIDE' wraps to '   BINDING; ...': one keyword across the lines.
    assert records[1].keywords[2] == "CARBON-MONOXIDE BINDING"


def test_parse_medline_via_wos():
    records, _ = parse(read("JabRef+jabref__IsiImporterTestMedline.isi"))
    first, second = records
    assert first.title == (
        "Effects of modafinil on cognitive performance and alertness during sleep deprivation."
    )
    assert first.authors == ("Wesensten, Nancy J",)
    assert first.pmid == "16842170"
    assert first.other_ids == {"wos": "MEDLINE:16842170"}
    assert first.pages == "2457-71"
    assert first.year == 2006
    assert first.abstract == ""
    assert "no abstract" in first.warnings
    assert second.authors == (
        "Joffe, Hadine",
        "Hall, Janet E",
        "Gruber, Staci",
        "Sarmiento, Ingrid A",
        "Cohen, Lee S",
        "Yurgelun-Todd, Deborah",
        "Martin, Kathryn A",
    )


def test_parse_inline_record_fields():
    (record,), warnings = parse(wrap(RECORD))
    assert warnings == []
    assert record.title == "A wrapped title"
    assert record.abstract == "First line of the abstract and its second line."
    assert record.authors == ("Smith, John", "Doe, Anna")
    # WoS wraps DE/ID at any space, even inside a keyword: the lines are one text.
    assert record.keywords == ("alpha", "beta gamma", "delta", "epsilon", "ONE", "TWO")
    assert record.doi == "10.1000/abc.1"
    assert record.pmid == "12345"
    assert record.pages == "101-110"
    assert record.warnings == ()
    assert record.raw["AB"] == ["First line of the abstract and its second line."]


def test_parse_falls_back_to_au_and_article_number():
    text = RECORD.replace("AF Smith, John\n   Doe, Anna\n", "").replace("BP 101\nEP 110\n", "")
    text = text.replace("PY 2020", "PY 2020\nAR e0815")
    (record,), _ = parse(wrap(text))
    assert record.authors == ("Smith, J", "Doe, A")
    assert record.pages == "e0815"


def test_parse_zoological_record_quirks():
    zoor = """PT J
AN ZOOR15512090342
DT Article
TI Nest site selection.
AU Stillman, Andrew N. (andrew.stillman@uconn.edu)  \n   Siegel, Rodney B.
SO Condor
PS duz039
PY 2019
BD Conservation; Reproduction
UT ZOOREC:ZOOR15512090342
ER
"""
    (record,), _ = parse("\ufeff" + wrap(zoor))
    assert record.authors == ("Stillman, Andrew N.", "Siegel, Rodney B.")
    assert record.other_ids == {"wos": "ZOOREC:ZOOR15512090342"}
    assert record.pages == "duz039"
    assert record.keywords == ("Conservation", "Reproduction")


@pytest.mark.parametrize(
    "header",
    [
        "FN Clarivate Analytics Web of Science\nVR 1.0\n",
        "FN Thomson Reuters Web of Science\u2122\nVR 1.0\n",
        "FN Thomson Reuters Web of Knowledge\nVR 1.0\n",
        "FN ISI Export Format\nVR 1.0\n",
        "",
    ],
)
def test_headers_detected_and_parsed(header):
    text = wrap(RECORD, RECORD, header=header)
    assert wos.looks_like(text)
    records, _ = parse(text)
    assert [record.title for record in records] == ["A wrapped title", "A wrapped title"]


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\n"])
def test_line_ends_and_bom(line_end):
    text = "\ufeff" + wrap(RECORD, RECORD).replace("\n", line_end)
    records, _ = parse(text)
    assert len(records) == 2
    assert records[1].abstract == "First line of the abstract and its second line."
    assert records[1].line == 29


def test_looks_like_rejects_other_formats():
    assert not wos.looks_like("TY  - JOUR\nTI  - x\nER  - \n")
    assert not wos.looks_like("PMID- 123\nTI  - x\n")
    assert not wos.looks_like("Title,Abstract\nx,y\n")
    assert not wos.looks_like("")


def test_missing_er_and_odd_lines_kept():
    text = "FN Clarivate Analytics Web of Science\nVR 1.0\n" + RECORD.replace("ER\n", "")
    text += RECORD.replace("PY 2020", "PY 19xx\nthis line is not a tag").replace("ER\n", "")
    records, _ = parse(text)
    assert len(records) == 2
    assert records[0].warnings == ("no ER line at the end",)
    assert "year '19xx' not understood" in records[1].warnings
    assert records[1].raw["_unparsed"] == ["this line is not a tag"]


def test_missing_title_warns():
    (record,), _ = parse(wrap(RECORD.replace("TI A wrapped\n   title\n", "")))
    assert record.title == ""
    assert "no title" in record.warnings


@pytest.mark.parametrize(
    "text", ["", "   \n", "FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n", "garbage"]
)
def test_no_records_is_an_error(text):
    with pytest.raises(ParseError):
        parse(text)


def test_many_long_records_parse_fast():
    authors = "AU " + "\n   ".join(f"Author{i}, A" for i in range(2000)) + "\n"
    text = wrap(*[RECORD.replace("AU Smith, J\n   Doe, A\n", authors)] * 500)
    start = time.perf_counter()
    records, _ = parse(text)
    assert len(records) == 500
    assert len(records[0].authors) == 2  # AF wins over AU
    assert len(records[0].raw["AU"]) == 2000
    assert time.perf_counter() - start < 10
