"""EndNote tagged / refer format (reviews/importers/endnote_tagged.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reviews.importers import endnote_tagged
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "endnote-tagged"
AIS = "CoLRev-Environment+colrev__ais_enl.txt"

RECORD = """%0 Journal Article
%A Smith, Jane
%A Doe, A.
%T A title
%J Journal of Tests
%D 2020
%V 12
%N 3
%P 101-9
%R 10.1000/ABC.1
%M 123456
%~ PubMed
%K alpha
beta
%U https://example.org/a
%G English
%X First line of the abstract
and its second line.
"""


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(endnote_tagged.parse(text, warnings)), warnings


def test_ais_record_matches_file():
    records, warnings = parse(read(AIS))
    first = records[0]
    assert first.title == (
        "How Trust Leads to Commitment on Microsourcing Platforms: Unraveling the Effects of "
        "Governance and Third-Party Mechanisms on Triadic Microsourcing Relationships"
    )
    assert first.abstract.startswith(
        "IS research has extensively examined the role of trust in client-vendor relationships"
    )
    assert first.authors == ("Guo, Wenbo", "Straub, Detmar W.", "Zhang, Pengzhu", "Cai, Zhao")
    assert first.year == 2021
    assert first.journal == "Management Information Systems Quarterly"
    assert (first.volume, first.issue, first.pages) == ("45", "3", "1309-1348")
    assert first.url == "https://aisel.aisnet.org/misq/vol45/iss3/13"
    assert first.publication_type == "Journal Article"
    assert (first.doi, first.pmid) == ("", "")
    assert first.raw["%8"] == ["September  1, 2021"]
    assert first.line == 1
    assert warnings == []


def test_ais_records_without_type_line():
    records, _ = parse(read(AIS))
    assert len(records) == 6
    assert [r.line for r in records] == [1, 17, 27, 37, 50, 61]
    assert [r.publication_type for r in records] == [
        "Journal Article",
        "",
        "",
        "",
        "Journal Article",
        "",
    ]
    assert sum(not r.abstract for r in records) == 2
    assert records[1].title == "MISQ Volume 45, Issue 3 Table of Contents"
    assert records[1].warnings == ("no abstract",)
    assert records[3].authors[2] == "Osório, Gerardo"


def test_inline_record_fields():
    records, warnings = parse(RECORD)
    record = records[0]
    assert record.title == "A title"
    assert record.abstract == "First line of the abstract and its second line."
    assert record.authors == ("Smith, Jane", "Doe, A.")
    assert record.year == 2020
    assert record.pages == "101-109"
    assert record.doi == "10.1000/abc.1"
    assert record.pmid == "123456"
    assert record.keywords == ("alpha", "beta")
    assert record.language == "English"
    assert record.raw["%K"] == ["alpha\nbeta"]
    assert warnings == []


def test_records_split_on_type_line_without_blank_line():
    text = RECORD + RECORD.replace("A title", "Second")
    records, _ = parse(text)
    assert [(r.title, r.line) for r in records] == [("A title", 1), ("Second", 19)]


def test_accession_kinds():
    embase = RECORD.replace("%~ PubMed", "%~ Embase").replace("%M 123456", "%M L2004567")
    other = RECORD.replace("%~ PubMed", "%~ PsycINFO")
    records, _ = parse(f"{embase}\n{other}")
    assert [(r.pmid, r.other_ids) for r in records] == [
        ("", {"embase": "L2004567"}),
        ("", {"accession": "123456"}),
    ]


def test_odd_year_and_missing_title_are_warnings():
    records, _ = parse("%0 Journal Article\n%D in press\n")
    assert records[0].warnings == ("year 'in press' not understood", "no title", "no abstract")


def test_bom_crlf_and_cr_line_ends():
    text = f"{RECORD}\n\n{RECORD}"
    for variant in ("\ufeff" + text, text.replace("\n", "\r\n"), text.replace("\n", "\r")):
        records, _ = parse(variant)
        assert [(r.title, r.line) for r in records] == [("A title", 1), ("A title", 21)]
        assert records[0].abstract == "First line of the abstract and its second line."


def test_many_records_parse_quickly():
    text = "\n".join([RECORD] * 20000)
    started = time.perf_counter()
    records, _ = parse(text)
    assert len(records) == 20000
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("text", ["", "\n\n", "no tags here\nat all\n"])
def test_no_records_is_refused(text):
    with pytest.raises(ParseError, match="no EndNote tagged records"):
        parse(text)


def test_looks_like():
    assert endnote_tagged.looks_like(read(AIS)[:65536])
    assert endnote_tagged.looks_like(RECORD)


@pytest.mark.parametrize(
    "head",
    [
        "% Encoding: UTF-8\n@article{x, title={y}}",
        "TY  - JOUR\nTI  - Title\nER  - ",
        "PMID- 123\nTI  - Title",
        "%T Only one tag line\n",
        "Some text\n%0 Journal Article\n%T Title",
        "",
    ],
)
def test_looks_like_refuses_other_text(head):
    assert not endnote_tagged.looks_like(head)


def test_blank_line_inside_an_abstract_does_not_split_the_record():
    text = "%0 Journal Article\n%T One\n%X First paragraph.\n\nSecond paragraph.\n%K alpha\n\n"
    text += "%0 Journal Article\n%T Two\n"
    records, _ = parse(text)
    assert [(r.title, r.line) for r in records] == [("One", 1), ("Two", 8)]
    assert records[0].abstract == "First paragraph. Second paragraph."
    assert records[0].keywords == ("alpha",)
