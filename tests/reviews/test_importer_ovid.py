"""Ovid tagged text (reviews/importers/ovid.py): Embase, MEDLINE, BIOSIS, PsycINFO via Ovid."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import FORMATS, detect_format, ovid, read_records
from reviews.importers.base import ParseError
from reviews.importers.decode import decode_bytes

DATA = Path(__file__).resolve().parent.parent / "data"
OVID = DATA / "ovid"
FILES = sorted(path.name for path in OVID.glob("*.txt"))


def read(name: str) -> str:
    return (OVID / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(ovid.parse(text, warnings)), warnings


def test_fixture_files():
    assert FILES == [
        "biosis_previews.txt",
        "embase_citavi.txt",
        "medline_endnote_crlf.txt",
        "psycinfo_indented.txt",
    ]


@pytest.mark.parametrize("name", FILES)
def test_detect_fixture(name):
    text, _encoding, _warnings = decode_bytes((OVID / name).read_bytes())
    assert detect_format(text) == "ovid"
    assert ovid.looks_like(text.removeprefix("\ufeff"))
    # The formats tried after Ovid would not have taken it.
    assert not FORMATS["medline"].looks_like(text.removeprefix("\ufeff"))
    assert not FORMATS["ris"].looks_like(text.removeprefix("\ufeff"))


OTHER_SAMPLES = sorted(
    path
    for path in DATA.glob("*/**/*")
    if path.is_file() and path.relative_to(DATA).parts[0] not in ("ovid", "labeled")
)


@pytest.mark.parametrize("path", OTHER_SAMPLES, ids=lambda path: str(path.relative_to(DATA)))
def test_no_other_sample_looks_like_ovid(path):
    text, _encoding, _warnings = decode_bytes(path.read_bytes())
    assert not ovid.looks_like(text.removeprefix("\ufeff")[:65536])


def test_other_samples_exist():
    assert len(OTHER_SAMPLES) > 50


def test_embase_records():
    records, warnings = parse(read("embase_citavi.txt"))
    assert warnings == []
    assert [(record.position, record.line) for record in records] == [(1, 1), (2, 41)]
    first, second = records
    assert first.title == (
        "Continuous positive airway pressure and blood pressure in adults with obstructive "
        "sleep apnoea: a randomised controlled trial."
    )
    assert first.abstract.startswith("Objective: To estimate the effect of continuous positive")
    assert first.abstract.endswith("CPAP lowers blood pressure modestly in this population.")
    assert "\n" not in first.abstract
    assert first.authors == ("Okafor C.N.", "Lindqvist M.", "Brennan-Hughes A.")
    assert first.year == 2020
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Journal of Sleep Research",
        "29",
        "3",
        "e12933",
    )
    assert first.doi == "10.5555/jsr.12933"
    assert (first.pmid, first.other_ids) == ("", {"embase": "2004123456"})
    assert first.mesh_terms == (
        "adult",
        "blood pressure",
        "controlled study",
        "human",
        "sleep disordered breathing/therapy",
        "continuous positive airway pressure",
        "randomized controlled trial",
    )
    assert first.keywords == ("hypertension", "sleep apnoea", "CPAP adherence")
    assert (first.language, first.publication_type) == ("English", "Article")
    assert first.url == (
        "http://ovidsp.ovid.com/ovidweb.cgi?T=JS&CSC=Y&NEWS=N&PAGE=fulltext&D=emexb&AN=2004123456"
    )
    assert first.warnings == ()
    # raw keeps every tag, repeated ones in order, an indented continuation joined.
    assert first.raw["IS"] == ["0962-1105", "1365-2869 (electronic)"]
    assert first.raw["IN"] == [
        "(Okafor, Lindqvist) Department of Respiratory Medicine, University Hospital, Uppsala, "
        "Sweden (Brennan-Hughes) School of Medicine, University College Dublin, Dublin, Ireland"
    ]
    assert first.raw["MH"][1] == "*blood pressure"
    assert first.raw["CR"] == ["Copyright 2020 Elsevier B.V., All rights reserved."]
    assert " ".join(first.raw) == (
        "VN DB UI ST TI SO AU IN AD CP PB MH KW AB IS DO LG SL SU PT EM DD DC YR CR XL"
    )

    # A conference abstract: no abstract, supplement issue and no pages read from SO.
    assert second.title == "Telemonitoring of CPAP use in primary care: a pilot study."
    assert second.abstract == ""
    assert second.authors == ("Haddad R.", "Moreau P.-L.")
    assert second.year == 2019
    assert (second.journal, second.volume, second.issue, second.pages) == (
        "European Respiratory Journal",
        "54",
        "Supplement 63",
        "",
    )
    assert second.doi == "10.5555/13993003.congress-2019.pa4521"
    assert second.other_ids == {"embase": "633051877"}
    assert second.url == ""
    assert second.warnings == ("no abstract",)


def test_medline_records_crlf_full_names_paragraphs_and_mesh_subheadings():
    text = read("medline_endnote_crlf.txt")
    assert "\r\n" in text
    records, warnings = parse(text)
    assert warnings == []
    assert [(record.position, record.line) for record in records] == [(1, 1), (2, 44)]
    first, second = records
    assert first.title == (
        "Home blood pressure telemonitoring with pharmacist case management for uncontrolled "
        "hypertension: a cluster randomized trial."
    )
    # The "EndNote" export writes the abstract's paragraphs on unindented lines.
    assert first.abstract == (
        "BACKGROUND: Uncontrolled hypertension remains common in primary care.\n"
        "METHODS: We randomized 16 clinics to home telemonitoring with pharmacist case "
        "management or to usual care.\n"
        "RESULTS: At 12 months systolic pressure was 7.4 mmHg lower (95% CI 4.1 to 10.7) in the "
        "intervention clinics.\n"
        "CONCLUSIONS: Telemonitoring with pharmacist case management improved blood pressure "
        "control."
    )
    assert first.authors == ("Delgado-Ruiz, Marisol", "Thorsen, Kristian", "Abernathy, James L")
    assert first.year == 2020  # from DP: this record has no YR
    # JN is missing: the full name from SO, not the JA abbreviation; VI/IP/PG as given.
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Journal of Hypertension",
        "38",
        "4",
        "612-620",
    )
    assert first.doi == "10.5555/hjh.0000000000002312"
    assert (first.pmid, first.other_ids) == ("31987654", {})
    assert first.mesh_terms == (
        "Aged",
        "Antihypertensive Agents/therapeutic use",
        "Blood Pressure Monitoring, Ambulatory/methods",
        "Humans",
        "Hypertension/drug therapy",
        "Middle Aged",
        "Pharmacists",
        "Telemedicine",
    )
    assert first.publication_type == "Journal Article; Randomized Controlled Trial"
    assert first.raw["AU"] == ["Delgado-Ruiz M", "Thorsen K", "Abernathy JL"]
    assert first.raw["MH"][4] == "*Hypertension/dt [Drug Therapy]"
    assert all("\r" not in value for values in first.raw.values() for value in values)
    assert first.warnings == ()

    # Indented continuation lines join with a space; journal, volume and pages from SO.
    assert second.title == (
        "Salt substitution and blood pressure in older adults living in residential care: "
        "protocol of a stepped-wedge trial."
    )
    assert second.abstract == (
        "This stepped-wedge trial will compare a potassium-enriched salt substitute with "
        "regular salt in 48 residential care facilities."
    )
    assert second.authors == ("Nakamura T", "Osei-Bonsu K")
    assert second.year == 2019
    assert (second.journal, second.volume, second.issue, second.pages) == (
        "Blood Pressure Monitoring",
        "24",
        "",
        "S12-S14",
    )
    assert (second.doi, second.pmid, second.other_ids) == ("", "31456789", {})
    assert second.mesh_terms == ("Aged", "Sodium Chloride, Dietary/adverse effects")
    assert second.warnings == ()


def test_biosis_records_roles_sfx_doi_and_untagged_series_line():
    records, warnings = parse(read("biosis_previews.txt"))
    assert warnings == []
    assert [(record.position, record.line) for record in records] == [(1, 1), (2, 24)]
    first, second = records
    assert first.title == (
        "Seasonal variation in parasite load of bank voles (Myodes glareolus) in managed and "
        "unmanaged forests"
    )
    assert first.authors == ("Kowalczyk, Anna M.", "Ferreira, Joao P.", "Nguyen, Thi Lan")
    assert first.raw["AU"][0] == (
        "Kowalczyk, Anna M. [Author, Reprint Author; E-mail: a.kowalczyk@example.edu]"
    )
    assert first.year == 2019
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Parasitology Research",
        "118",
        "5",
        "1503-1514",
    )
    # No DO tag: the DOI of the library's link resolver (SFX) link.
    assert first.doi == "10.5555/s00436-019-06270-1"
    assert (first.pmid, first.other_ids) == ("", {"accession": "PREV201900123456"})
    assert first.abstract.startswith("We trapped bank voles in six managed")
    assert first.warnings == ()

    # A book chapter: no YR (the year is SO's last), no abstract, a 'Series Information:'
    # line without a tag continues SO.
    assert second.title == "Field methods for sampling small mammal ectoparasites."
    assert second.authors == ("Whitfield, Grace",)
    assert second.year == 2018
    assert second.raw["SO"] == [
        "Marsh, Peter [Editor], Olsen, Ingrid [Editor]. Methods in wildlife parasitology.:211-236, "
        "2018.\nSeries Information:  Techniques in Ecology."
    ]
    assert "Series Information:" not in second.raw
    assert (second.journal, second.volume, second.issue, second.pages) == ("", "", "", "")
    assert second.other_ids == {"accession": "PREV201900234567"}
    assert second.publication_type == "Book Chapter"
    assert second.warnings == ("no abstract",)


def test_psycinfo_records_indented_with_bom():
    text = read("psycinfo_indented.txt")
    assert text.startswith("\ufeff <7. >")
    records, warnings = parse(text)
    assert warnings == []
    assert [(record.position, record.line) for record in records] == [(1, 1), (2, 33)]
    first, second = records
    # Ovid's '[References]' label after the title is dropped.
    assert first.title == "Worry and sleep quality in university students: a daily diary study."
    assert first.authors == ("Lindgren, Sofia", "Abara, Chukwuemeka")
    assert first.year == 2020
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Journal of Sleep Research",
        "29",
        "1",
        "88-97",
    )
    assert first.doi == "10.5555/jsr.12871"
    assert (first.pmid, first.other_ids) == ("31654321", {"accession": "2020-12345-004"})
    assert first.keywords == ("worry", "sleep quality", "daily diary", "students")
    assert first.mesh_terms == ("Sleep", "Worry", "College Students")
    assert first.publication_type == "Journal; Peer Reviewed Journal"
    # A blank line inside a value does not end it.
    assert first.raw["IN"] == [
        "Lindgren, Sofia: Lund University, Lund, Sweden "
        "Abara, Chukwuemeka: University of Ibadan, Ibadan, Nigeria"
    ]
    assert first.warnings == ()

    # No JN/VO tags: read from SO ('Vol.80(9-B(E)), 2019, pp. No Pagination Specified.').
    assert second.title == "Rumination and insomnia in older adults."
    assert (second.journal, second.volume, second.issue, second.pages) == (
        "Dissertation Abstracts International: Section B: The Sciences and Engineering",
        "80",
        "9-B(E)",
        "",
    )
    assert second.year == 2019
    assert second.keywords == ("rumination", "insomnia", "older adults")
    assert second.other_ids == {"accession": "2019-77777-123"}
    assert second.warnings == ("no abstract",)


def test_bare_cr_line_ends_read_like_lf():
    lf = read("embase_citavi.txt")
    assert parse(lf.replace("\n", "\r"))[0] == parse(lf)[0]


def test_read_records_detects_ovid_and_tidies():
    result = read_records((OVID / "psycinfo_indented.txt").read_bytes(), file_name="psyc.txt")
    assert (result.format, result.encoding) == ("ovid", "utf-8")
    titles = [record.title for record in result.records]
    assert titles == [
        "Worry and sleep quality in university students: a daily diary study.",
        "Rumination and insomnia in older adults.",
    ]


MINIMAL = (
    "<1>\n"
    "VN  - Ovid Technologies\n"
    "DB  - Journals@Ovid\n"
    "AN  - 00000372-201112000-00014.\n"
    "AU  - Marsh, Peter MD, PhD *\n"
    "AU  - Zhou, Wei 1,2,+\n"
    "TI  - Lobular carcinoma in a schwannoma.  [Report]\n"
    "SO  - American Journal of Dermatopathology December 2011;33(8):845-849\n"
    "DI  - 10.5555/DAD.0b013e31820d9c0e\n"
    "LG  - English.\n"
    "\n"
)


def test_journals_at_ovid_record_without_year_tag():
    (record,), warnings = parse(MINIMAL)
    assert warnings == []
    assert record.title == "Lobular carcinoma in a schwannoma."
    assert record.authors == ("Marsh, Peter MD, PhD", "Zhou, Wei")
    assert record.year == 2011
    assert (record.journal, record.volume, record.issue, record.pages) == (
        "American Journal of Dermatopathology",
        "33",
        "8",
        "845-849",
    )
    assert record.doi == "10.5555/dad.0b013e31820d9c0e"
    assert record.other_ids == {"accession": "00000372-201112000-00014"}
    assert record.language == "English"
    assert record.warnings == ("no abstract",)


def test_warnings_for_missing_title_and_year():
    text = "<1. >\nVN  - Ovid Technologies\nDB  - Embase\nUI  - 2001\nAB  - Only an abstract.\n"
    (record,), _ = parse(text)
    assert (record.title, record.abstract, record.year) == ("", "Only an abstract.", None)
    assert record.warnings == ("no title", "no year")
    (record,), _ = parse(text + "YR  - unknown\n")
    assert record.warnings == ("no title", "year 'unknown' not understood")


def test_source_year_is_not_taken_from_pages():
    text = (
        "<1. >\nVN  - Ovid Technologies\nDB  - Embase\nUI  - 5\nTI  - T\n"
        "SO  - Stroke. 45(6):1734-1740, 2014 Jun.\n"
    )
    (record,), _ = parse(text)
    assert (record.year, record.pages) == (2014, "1734-1740")


def test_records_without_record_lines_split_at_vn():
    text = (
        "VN  - Ovid Technologies\nDB  - Ovid MEDLINE(R)\nUI  - 11111111\nTI  - One\n"
        "VN  - Ovid Technologies\nDB  - Ovid MEDLINE(R)\nUI  - 22222222\nTI  - Two\n"
    )
    records, _ = parse(text)
    assert [(r.line, r.title, r.pmid) for r in records] == [
        (1, "One", "11111111"),
        (5, "Two", "22222222"),
    ]


def test_wrapped_line_that_looks_like_a_tag_stays_text():
    text = (
        "<1. >\nVN  - Ovid Technologies\nDB  - Embase\nUI  - 7\nTI  - T\n"
        "AB  - Levels of C-reactive protein were measured.\nCRP - C-reactive protein.\n"
        "HIV - positive patients were excluded.\n"
    )
    (record,), _ = parse(text)
    assert record.abstract == (
        "Levels of C-reactive protein were measured.\nCRP - C-reactive protein.\n"
        "HIV - positive patients were excluded."
    )
    assert set(record.raw) == {"VN", "DB", "UI", "TI", "AB"}


def test_medline_ui_that_is_not_digits_is_an_accession():
    text = "<1. >\nVN  - Ovid Technologies\nDB  - Ovid MEDLINE(R)\nUI  - NLM123\nTI  - T\n"
    (record,), _ = parse(text)
    assert (record.pmid, record.other_ids) == ("", {"accession": "NLM123"})


@pytest.mark.parametrize(
    "head",
    [
        "",
        "<1. >\n",
        "<1. >\nsome text\n",
        "Dear colleague\n<1. >\nVN  - Ovid Technologies\n",
        "<1. >\nTI  - A title\n",  # a record line must be followed by VN, DB, UI or AN
        "<record>\n<VN>Ovid</VN>\n",
        "1. \nTY  - JOUR\nDB  - Embase\nER  - \n",  # Ovid's RIS has bare number lines
    ],
)
def test_looks_like_refuses(head):
    assert not ovid.looks_like(head)


@pytest.mark.parametrize(
    "head",
    [
        "<1. >\nVN  - Ovid Technologies\n",
        "\n\n<3001. >\r\nVN  - Ovid Technologies\r\nDB  - Embase\r\n",
        "<1>\nDB  - Ovid MEDLINE(R)\n",
        " <7.>\n UI  - 12345678\n",
    ],
)
def test_looks_like_accepts(head):
    assert ovid.looks_like(head)


def test_parse_errors():
    with pytest.raises(ParseError) as caught:
        parse(" \r\n\ufeff\n")
    assert (caught.value.message, caught.value.line) == ("the file is empty", 1)
    with pytest.raises(ParseError) as caught:
        parse("<1. >\njust text\n")
    assert caught.value.message == "no Ovid records found"


def test_a_save_with_the_search_history_first_is_read():
    # Ovid's Display -> Save can write the search strategy before the records.
    history = (
        "Database: Embase <1974 to 2024 May 20>\n"
        "Search Strategy:\n"
        "--------------------------------------------------------------------------------\n"
        "1     exp sleep apnea syndromes/ (84213)\n"
        "2     continuous positive airway pressure/ (29120)\n"
        "3     1 and 2 (12034)\n"
        "\n"
        "***************************\n"
        "\n"
    )
    text = history + (OVID / "embase_citavi.txt").read_text(encoding="utf-8")
    result = read_records(text.encode(), file_name="ovid_save.txt")
    records = list(result.records)
    assert result.format == "ovid"
    plain = list(read_records((OVID / "embase_citavi.txt").read_bytes(), file_name="x").records)
    assert [(r.title, r.doi, r.other_ids) for r in records] == [
        (r.title, r.doi, r.other_ids) for r in plain
    ]
