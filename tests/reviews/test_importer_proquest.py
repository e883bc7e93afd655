"""ProQuest plain-text export, 'Report Information from ProQuest' (reviews/importers/proquest.py).

The fixture was written for this project in the shape of a real export (CRLF, LF inside the
BibTeX bibliography, table of contents, footer); its records are invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import detect_format, proquest, read_records
from reviews.importers.base import ParseError
from reviews.importers.decode import decode_bytes

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURE = DATA / "proquest" / "proquest_text_export.txt"
SHARED_SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "samples"
    / "proquest_text"
    / "networks-lab+metaknowledge__ProQuest_TestFile.testtxt"
)
RULE = "_" * 60


def fixture() -> str:
    return FIXTURE.read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(proquest.parse(text, warnings)), warnings


def fields(record) -> tuple:
    """Everything but the line number, to compare the same records read from variants."""
    return (
        record.position,
        record.title,
        record.abstract,
        record.authors,
        record.year,
        record.journal,
        record.volume,
        record.issue,
        record.pages,
        record.doi,
        record.pmid,
        record.other_ids,
        record.keywords,
        record.mesh_terms,
        record.language,
        record.url,
        record.publication_type,
        record.raw,
        record.warnings,
    )


def test_fixture_is_crlf_with_lf_bibliography_like_a_real_export():
    data = FIXTURE.read_bytes()
    assert data.count(b"\r\n") == 302
    assert data.count(b"\n") - data.count(b"\r\n") == 20


def test_parse_fixture_all_documents():
    records, warnings = parse(fixture())
    assert warnings == []
    assert [(r.position, r.line) for r in records] == [(1, 25), (2, 97), (3, 161), (4, 223)]
    assert [r.other_ids for r in records] == [
        {"proquest": "2503318877"},
        {"proquest": "2188804512"},
        {"proquest": "1987650231"},
        {"proquest": "2712093388"},
    ]
    assert [r.year for r in records] == [2021, 2019, 2017, 2022]
    assert [r.warnings for r in records] == [(), (), (), ("no abstract",)]
    # Neither the table of contents nor the BibTeX bibliography is read as a document.
    assert [r.raw["_document"] for r in records] == [[f"Document {n} of 4"] for n in (1, 2, 3, 4)]


def test_parse_fixture_journal_article():
    first = parse(fixture())[0][0]
    assert first.title == (
        "Peer mentoring and retention of first-year nursing students: a mixed-methods evaluation"
    )
    # The heading's 'Author:' and the details' 'Author:' name the same three people.
    assert first.authors == ("Okafor, Adaeze N", "Lindqvist, Mattias", "Haddad, Rana")
    assert first.raw["Author"] == ["Okafor, Adaeze N; Lindqvist, Mattias; Haddad, Rana"] * 2
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Journal of Nursing Education Research",
        "38",
        "2",
        "114-129",
    )
    assert first.doi == "10.5555/jner.2021.0382"
    assert first.pmid == ""
    assert first.language == "English"
    assert first.publication_type == "Journal Article"
    assert first.url == (
        "https://www.proquest.com/scholarly-journals/"
        "peer-mentoring-retention-first-year-nursing/docview/2503318877/se-2?accountid=10342"
    )
    assert first.keywords == (
        "Nursing education",
        "Mentors",
        "Student retention",
        "Nursing students",
        "peer mentoring",
        "attrition",
        "undergraduate nursing",
    )
    assert first.mesh_terms == ()
    # Three paragraphs; 'Methods:' and 'Results:' are paragraphs of the abstract, not labels.
    assert first.abstract == (
        "Background: Attrition in the first year of pre-registration nursing programmes remains "
        "high, and peer mentoring is widely offered without evidence of its effect on retention."
        "\nMethods: We compared retention of 412 students who joined a structured peer-mentoring "
        "scheme with 398 contemporaneous students who did not, and interviewed 24 mentees about "
        "their experience."
        "\nResults: Retention at 12 months was 91.3% among mentees and 84.7% among non-mentees "
        "(adjusted odds ratio 1.82, 95% CI 1.14-2.90). Mentees valued practical advice on "
        "clinical placements most."
    )
    assert "Methods" not in first.raw and "Results" not in first.raw
    # The two link lines under 'Links:' are two values; the heading's link is kept apart.
    assert [link[:40] for link in first.raw["Links"]] == [
        "https://resolver.example.edu/openurl?url",
        "https://resolver.example.edu/openurl?url",
    ]
    assert first.raw["_links"] == ["https://www.proquest.com/docview/2503318877?accountid=10342"]
    assert first.raw["_heading"] == [first.title]
    assert first.raw["Publication info"] == [
        "Journal of Nursing Education Research 38.2 (Apr 2021): 114-29."
    ]
    assert first.raw["ISSN"] == ["12345679"]
    assert first.raw["Database"] == ["Nursing & Allied Health Database"]


def test_parse_fixture_medline_record_with_one_author_a_line():
    second = parse(fixture())[0][1]
    assert second.title == (
        "Sleep hygiene education for adolescents with type 1 diabetes: a cluster randomised trial"
    )
    assert second.authors == ("Brennan, Siobhan", "Ito, Kenji", "Alvarez, Marisol")
    assert second.raw["Author"] == [
        "Brennan, Siobhan; Ito, Kenji; Alvarez, Marisol",
        "Brennan, Siobhan",
        "Ito, Kenji",
        "Alvarez, Marisol",
    ]
    assert second.pmid == "30851234"
    assert second.doi == "10.5555/pdc.12847"
    assert second.pages == "e201-e209"
    assert second.mesh_terms == (
        "Adolescent",
        "Diabetes Mellitus, Type 1 -- therapy",
        "Female",
        "Humans",
        "Male",
        "Sleep Hygiene",
        "Health Education -- methods",
    )
    assert second.keywords == ("Adolescents", "Sleep", "Diabetes", "Health education")
    assert second.publication_type == "Journal Article; Randomized Controlled Trial"
    assert second.abstract.startswith("Poor sleep is common in adolescents with type 1 diabetes")
    assert second.abstract.endswith("with no difference in HbA1c at six months.")


def test_parse_fixture_dissertation():
    third = parse(fixture())[0][2]
    assert third.title == "Teacher Feedback Literacy in Rural Secondary Schools"
    assert third.authors == ("Whitfield, Eleanor J.",)
    assert (third.journal, third.volume, third.issue, third.pages, third.doi) == ("",) * 5
    assert third.publication_type == "Dissertation/Thesis"
    assert third.language == "English"
    # No 'Document URL': the heading's link.
    assert third.url == "https://www.proquest.com/docview/1987650231?accountid=10342"
    # Subject, then 'Identifier / keyword' (a list joined with ', '), then Classification
    # without its codes; each term once.
    assert third.keywords == (
        "Secondary education",
        "Teacher education",
        "Rural education",
        "Education",
        "Feedback literacy",
        "Professional learning",
        "Rural schools",
        "Teacher evaluation",
    )
    assert third.raw["Classification"] == [
        "0521: Secondary education; 0530: Teacher education; 0328: Rural education"
    ]
    assert third.raw["Advisor"] == ["Moreau, Daniel"]
    assert third.raw["Committee member"] == ["Sato, Haruka, Banerjee, Priya"]
    assert third.raw["University/institution"] == ["Northfield State University"]


def test_parse_fixture_trade_article_without_abstract():
    fourth = parse(fixture())[0][3]
    # The heading title holds ': ' and is still the title line, not a label.
    assert fourth.title == "Flood Recovery: How small manufacturers rebuilt their supply chains"
    assert "Flood Recovery" not in fourth.raw
    assert fourth.abstract == ""
    assert fourth.warnings == ("no abstract",)
    assert fourth.raw["Abstract"] == ["None available."]
    # No 'Publication year': the year comes from 'Publication date'.
    assert "Publication year" not in fourth.raw
    assert fourth.raw["Publication date"] == ["Sep 12, 2022"]
    assert fourth.year == 2022
    assert fourth.raw["Full text"] == [
        "When the river crested on the morning of March 3, the plant floor at a 60-person "
        "machine shop stood under four feet of water.\n"
        '"We lost every order book we had on paper," said the owner.\n'
        "Six months on, the firm sources from three suppliers instead of one."
    ]
    assert fourth.raw["Company / organization"] == ["Name: Example Fabrication LLC; NAICS: 332710"]
    assert fourth.journal == "Plant Operations Quarterly; Chicago"
    assert fourth.publication_type == "Feature"


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda text: text.replace("\r\n", "\n"), id="lf"),
        pytest.param(lambda text: text.replace("\r\n", "\n").replace("\n", "\r"), id="cr"),
        pytest.param(lambda text: text.replace("\n", "\r\n").replace("\r\r\n", "\r\n"), id="crlf"),
        pytest.param(lambda text: "\ufeff" + text, id="bom"),
    ],
)
def test_line_endings_and_bom_read_the_same(variant):
    expected, expected_warnings = parse(fixture())
    records, warnings = parse(variant(fixture()))
    assert [fields(r) for r in records] == [fields(r) for r in expected]
    assert [r.line for r in records] == [r.line for r in expected]
    assert warnings == expected_warnings == []


def _without_document(text: str, number: int) -> str:
    start = text.index(f"Document {number} of 4")
    end = text.index(RULE, start)
    return text[:start] + text[end + len(RULE) :]


def test_missing_document_number_is_a_file_warning():
    records, warnings = parse(_without_document(fixture(), 3))
    assert [r.raw["_document"] for r in records] == [
        ["Document 1 of 4"],
        ["Document 2 of 4"],
        ["Document 4 of 4"],
    ]
    assert [r.position for r in records] == [1, 2, 3]
    assert warnings == [
        "The file announces 4 documents (Document N of 4) but holds 3: document 3 is missing."
    ]


def test_several_missing_numbers_and_a_repeated_one():
    text = _without_document(_without_document(fixture(), 2), 3)
    text = text.replace("Document 4 of 4", "Document 1 of 4")
    records, warnings = parse(text)
    assert len(records) == 2
    assert warnings == [
        "The file announces 4 documents (Document N of 4) but holds 2: documents 2-4 are missing.",
        "Document numbers given twice: 1.",
    ]


def test_number_beyond_the_announced_total():
    records, warnings = parse(fixture().replace("Document 3 of 4", "Document 5 of 4"))
    assert len(records) == 4
    assert warnings == [
        "The file announces 4 documents (Document N of 4) but holds 4: document 3 is missing.",
        "Document numbers outside 1-4: 5.",
    ]


def test_more_documents_than_announced():
    records, warnings = parse(fixture().replace(" of 4\r\n", " of 3\r\n"))
    assert len(records) == 4
    assert warnings == [
        "The file announces 3 documents (Document N of 3) but holds 4.",
        "Document numbers outside 1-3: 4.",
    ]


def test_documents_numbered_out_of_different_totals():
    text = fixture()
    records, warnings = parse(text + text[text.index(RULE + "\r\n\r\nDocument 1 of 4") :])
    assert len(records) == 8
    assert warnings == [
        "The file announces 4 documents (Document N of 4) but holds 8.",
        "Document numbers given twice: 1-4.",
    ]
    joined = text + text.replace(" of 4\r\n", " of 2\r\n").split("Document 3 of 2")[0]
    records, warnings = parse(joined)
    assert len(records) == 6
    assert warnings == [
        "The documents are numbered out of different totals (2, 4): "
        "the file may join several exports."
    ]


def test_rule_inside_a_full_text_does_not_end_the_document():
    text = (
        "Document 1 of 1\n\nA title\n\nAuthor: Roe, Ann\n\n"
        "Full text: First paragraph.\n\n" + RULE + "\n\nSecond paragraph after a rule.\n\n"
        "Title: A title\n\nPublication year: 2020\n\nProQuest document ID: 123456789\n\n"
        + RULE
        + "\n\nContact us at: https://www.proquest.com/contact\n"
    )
    records, warnings = parse(text)
    assert warnings == []
    assert len(records) == 1
    assert records[0].raw["Full text"] == [
        f"First paragraph.\n{RULE}\nSecond paragraph after a rule."
    ]
    assert (records[0].year, records[0].other_ids) == (2020, {"proquest": "123456789"})
    assert records[0].warnings == ("no abstract",)


def test_document_without_title_or_year_is_kept_with_warnings():
    text = (
        "Document 1 of 1\n\nAuthor: Doe, Jo 1 ; Poe, Al 2\n\n"
        "Abstract:\nThe text on the line after the label.\n\n"
        "ProQuest document ID: 987654321\n"
    )
    records, warnings = parse(text)
    assert warnings == []
    [record] = records
    assert (record.title, record.year) == ("", None)
    assert record.authors == ("Doe, Jo", "Poe, Al")
    assert record.abstract == "The text on the line after the label."
    assert record.warnings == ("no title", "no year")


def test_year_not_understood_is_a_record_warning():
    text = "Document 1 of 1\n\nA title\n\nAbstract: Text.\n\nPublication year: n.d.\n"
    [record] = parse(text)[0]
    assert record.year is None
    assert record.warnings == ("year 'n.d.' not understood",)


def test_unknown_lines_outside_documents_are_counted():
    text = (
        "Some note pasted above the export\n" + RULE + "\n\nDocument 1 of 1\n\nT\n\nAbstract: A.\n"
    )
    records, warnings = parse(text)
    assert len(records) == 1
    assert warnings == ["1 line(s) outside any document were not understood"]


def test_empty_file_and_file_without_documents_are_refused():
    with pytest.raises(ParseError) as caught:
        parse("\ufeff \r\n")
    assert str(caught.value) == "line 1: the file is empty (expected a ProQuest text export)"
    header_only = RULE + "\n\nReport Information from ProQuest\nMarch 14 2024 09:12\n" + RULE
    with pytest.raises(ParseError) as caught:
        parse(header_only)
    assert str(caught.value) == (
        "line 1: no ProQuest documents found "
        "(expected documents starting 'Document 1 of N' with 'Label: value' lines)"
    )


def test_detect_fixture_as_proquest():
    # The file ends with BibTeX entries (the bibliography); it is still a ProQuest export.
    assert detect_format(fixture()) == "proquest"
    result = read_records(FIXTURE.read_bytes(), file_name="ProQuestDocuments-2024-03-14.txt")
    assert (result.format, result.encoding) == ("proquest", "utf-8")
    assert [r.other_ids["proquest"] for r in result.records] == [
        "2503318877",
        "2188804512",
        "1987650231",
        "2712093388",
    ]
    assert result.warnings == []


def test_detect_documents_without_the_report_header():
    text = fixture()
    body = text[text.index("Document 1 of 4") :]
    assert detect_format(body) == "proquest"
    assert len(parse(body)[0]) == 4


def test_detect_not_triggered_by_a_heading_alone():
    assert not proquest.looks_like("Document 1 of 3\n\nA title\n\nAuthor: Roe, Ann\n")
    assert not proquest.looks_like("Notes on the Report Information from ProQuest page\n")


OTHER_SAMPLES = sorted(
    path
    for path in DATA.glob("*/**/*")
    if path.is_file() and path.relative_to(DATA).parts[0] not in ("proquest", "labeled")
)


@pytest.mark.parametrize("path", OTHER_SAMPLES, ids=lambda path: str(path.relative_to(DATA)))
def test_other_formats_are_not_taken_for_proquest(path):
    text, _encoding, _warnings = decode_bytes(path.read_bytes())
    assert not proquest.looks_like(text[:65536])


def test_proquest_ris_export_stays_ris():
    data = (DATA / "ris" / "asreview+asreview__proquest.ris").read_bytes()
    assert read_records(data, file_name="proquest.ris").format == "ris"


@pytest.mark.skipif(not SHARED_SAMPLE.is_file(), reason="no shared sample files")
def test_real_export_first_and_last_documents():
    # metaknowledge's test file (GPL-2.0): read where it is, never copied into tests/data.
    records, warnings = parse(SHARED_SAMPLE.read_bytes().decode("utf-8"))
    assert warnings == []
    assert len(records) == 100
    first, last = records[0], records[-1]
    assert (first.line, first.title, first.authors, first.year) == (
        218,
        "Entrenchment and the Kripke-Wittgenstein paradox",
        ("Dorst, Chris",),
        2014,
    )
    assert first.other_ids == {"proquest": "1548716365"}
    assert first.abstract.startswith("Surprisingly little attention has been paid to Goodman's")
    assert first.keywords == (
        "Philosophy of Science",
        "Philosophy",
        "Philosophy, religion and theology",
        "Entrenchment",
        "Goodman",
        "Induction",
        "Kripke-Wittgenstein paradox",
        "New riddle of induction",
    )
    assert first.publication_type == "Dissertation/Thesis"
    assert last.title == (
        "Anthrobiota: Human-microbe relationships on the edge of biological science"
    )
    assert last.other_ids == {"proquest": "1501476590"}
    assert all(r.abstract and r.warnings == () for r in records)
