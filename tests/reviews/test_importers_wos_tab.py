"""Web of Science tab-delimited (reviews/importers/wos_tab.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import delimited, wos, wos_tab
from reviews.importers.base import ParseError

SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "wos-tab"
    / "jpruiz84+ScientoPy__wos_2026_04_02_4071.txt"
)

HEADER = "PT\tAU\tAF\tTI\tSO\tDE\tID\tAB\tPY\tVL\tIS\tBP\tEP\tAR\tDI\tPM\tUT"
ROW = (
    'J\tSmith, J; Doe, A\tSmith, John; Doe, Anna\tA "quoted" title\tJOURNAL\talpha; beta\t'
    "GAMMA\tThe abstract.\t2021\t5\t2\t10\t20\t\t10.1000/X\t999\tWOS:000000000000002"
)


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(wos_tab.parse(text, warnings)), warnings


def test_parse_sample_count_and_record():
    records, warnings = parse(SAMPLE.read_bytes().decode("utf-8"))
    assert len(records) == 71
    assert warnings == []
    assert sum(1 for record in records if "no abstract" in record.warnings) == 37
    first = records[0]
    assert first.title == (
        "Design and Implementation of a Wearable System Based on a Flexible Capacitive Sensor, "
        "Monitoring Knee Laxity"
    )
    assert first.abstract.startswith("The anterior cruciate ligament (ACL) tear is one of the")
    assert first.authors[:3] == (
        "Sheeja Prakash, Karthika",
        "Andersen, Erik",
        "von Einem, Vicky Chantal",
    )
    assert len(first.authors) == 11
    assert first.year == 2023
    assert first.journal == "ADVANCED SENSOR RESEARCH"
    assert first.pages == "2300058"
    assert first.doi == "10.1002/adsr.202300058"
    assert first.other_ids == {"wos": "WOS:001242600300012"}
    assert first.raw["AU"].startswith("Prakash, KS; Andersen, E;")
    assert first.line == 2
    last = records[-1]
    assert last.title == (
        "Bluetooth Low Energy: A familiar technology for novel use in medication dispense tracking"
    )
    assert last.pmid == "39792428"
    assert last.pages == "e482-e485"
    assert last.publication_type == "Editorial Material"
    assert last.position == 71


def test_detection_prefers_wos_tab_over_csv():
    head = SAMPLE.read_bytes().decode("utf-8").removeprefix("\ufeff")[:65536]
    assert wos_tab.looks_like(head)
    assert not wos.looks_like(head)
    assert delimited.looks_like(head)  # which is why wos-tab is tried before csv
    assert not wos_tab.looks_like("Title\tAbstract\nx\ty\n")
    assert not wos_tab.looks_like("PT,AU,TI\n")


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_quotes_are_plain_text_and_line_ends(line_end):
    text = "\ufeff" + line_end.join([HEADER, ROW, ROW]) + line_end
    records, _ = parse(text)
    assert len(records) == 2
    record = records[1]
    assert record.title == 'A "quoted" title'
    assert record.authors == ("Smith, John", "Doe, Anna")
    assert record.keywords == ("alpha", "beta", "GAMMA")
    assert record.pages == "10-20"
    assert record.doi == "10.1000/x"
    assert record.pmid == "999"
    assert record.line == 3


def test_trailing_tabs_and_short_rows():
    short = "\t".join(ROW.split("\t")[:9])
    text = HEADER + "\t\n" + ROW + "\t\n" + short + "\n\n"
    records, warnings = parse(text)
    assert len(records) == 2
    assert warnings == []
    assert records[0].other_ids == {"wos": "WOS:000000000000002"}
    assert records[1].year == 2021
    assert records[1].doi == ""


def test_extra_cells_kept_with_warning():
    records, warnings = parse(HEADER + "\n" + ROW + "\tsurplus\n")
    assert records[0].raw["_extra"] == ["surplus"]
    assert records[0].warnings == ("1 cell(s) beyond the last column kept in raw",)
    assert warnings == ["1 row(s) had more cells than the header"]


@pytest.mark.parametrize("text", ["", "\n\n", HEADER + "\n", "Title\tAbstract\nx\ty\n"])
def test_unreadable_files_raise(text):
    with pytest.raises(ParseError):
        parse(text)
