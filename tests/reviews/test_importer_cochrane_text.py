"""The Cochrane Library's plain-text export (reviews/importers/cochrane_text.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import cochrane_text, detect_format, read_records
from reviews.importers.decode import decode_bytes

DATA = Path(__file__).resolve().parent.parent / "data"
HERE = DATA / "cochrane-text"


def read(name: str):
    result = read_records((HERE / name).read_bytes(), file_name=name)
    return result, list(result.records)


def test_central_records():
    result, records = read("constructed__central_plain_text.txt")
    assert (result.format, len(records), result.warnings) == ("cochrane-text", 2, [])
    first, second = records
    assert first.title == "Exercise for depression in older adults: a randomised trial"
    assert first.authors == ("Smith J", "Doe A")
    assert (first.journal, first.year, first.volume, first.issue, first.pages) == (
        "Journal of Geriatric Psychiatry",
        2020,
        "12",
        "3",
        "101-110",
    )
    assert first.doi == "10.1000/jgp.2020.12"
    assert first.other_ids == {"central": "CN-01234567"}
    assert first.keywords == ("Depression [therapy]", "Exercise")
    assert first.abstract.startswith("BACKGROUND: Exercise may help.")
    assert first.publication_type == "Journal Article; Randomized Controlled Trial"
    assert first.url.endswith("/CN-01234567/full")
    assert (second.title, second.abstract, second.warnings) == (
        "Yoga for anxiety",
        "",
        ("no abstract",),
    )


def test_crlf_cross_references_reviews_and_a_missing_record():
    result, records = read("constructed__cochrane_library_crlf.txt")
    assert result.warnings == [
        "The file announces 3 records (Record #N of 3) but holds 2: record(s) 2 missing."
    ]
    trial, review = records
    assert (trial.pmid, trial.other_ids) == (
        "31234567",
        {"central": "CN-02037565", "embase": "626453627"},
    )
    assert trial.abstract == (
        "BACKGROUND: CPAP may lower blood pressure.\nMETHODS: 120 adults were randomised."
    )
    assert trial.keywords[-1] == "*Continuous Positive Airway Pressure"
    assert (review.other_ids, review.doi, review.journal) == (
        {"accession": "CD012345.PUB2"},
        "10.1002/14651858.cd012345.pub2",
        "Cochrane Database of Systematic Reviews",
    )
    assert review.raw["PB"] == ["John Wiley & Sons, Ltd"]


def test_detection_is_specific():
    for path in sorted(DATA.glob("*/*")):
        if path.parent.name in ("labeled", "cochrane-text") or not path.is_file():
            continue
        try:
            text = decode_bytes(path.read_bytes())[0]
        except Exception:  # binary or refused files: nothing to detect
            continue
        assert not cochrane_text.looks_like(text[:65536]), path.name
    # The Cochrane Library's RIS export has the counter line too, with RIS tags after it.
    ris = "Record #1 of 2\nProvider: John Wiley & Sons, Ltd\n\nTY  - JOUR\nTI  - A\nER  - \n"
    assert detect_format(ris) == "ris"


def test_no_records_is_refused():
    with pytest.raises(Exception, match="no records found"):
        list(cochrane_text.parse("Record list\nnothing here\n", []))
