"""PubMed MEDLINE / .nbib (reviews/importers/medline.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import medline, ris
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "medline"


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(medline.parse(text, warnings)), warnings


@pytest.mark.parametrize(
    ("name", "count", "without_abstract"),
    [
        ("IEBH+RefLib__blue-light.nbib", 80, 3),
        ("asreview+citation-file-formatting___baseline_pubmed.ris", 50, 1),
        ("holub008+nbib__pmc_medlars.txt", 5, 1),
        ("holub008+nbib__pubmed-balloongui-set.nbib", 75, 5),
    ],
)
def test_parse_sample_counts(name, count, without_abstract):
    text = read(name)
    head = text.removeprefix("\ufeff")[:65536]
    assert medline.looks_like(head)
    assert not ris.looks_like(head)  # the .ris file among them is MEDLINE inside
    records, warnings = parse(text)
    assert len(records) == count
    assert [record.position for record in records] == list(range(1, count + 1))
    assert all(record.title and record.pmid and record.year for record in records)
    assert sum(1 for record in records if not record.abstract) == without_abstract
    assert warnings == []


def test_parse_nbib_record():
    first = parse(read("holub008+nbib__pubmed-balloongui-set.nbib"))[0][0]
    assert first.line == 1
    # Wrapped with trailing spaces and CRLF: joined with single spaces.
    assert first.title == (
        "Impact of Balloon Guide Catheter Use on Clinical and Angiographic Outcomes in the "
        "STRATIS Stroke Thrombectomy Registry."
    )
    assert first.abstract.startswith(
        "Background and Purpose- Mechanical thrombectomy has been shown to improve clinical "
        "outcomes in patients with acute ischemic stroke. However,"
    )
    assert first.authors[:3] == ("Zaidat, Osama O", "Mueller-Kronast, Nils H", "Hassan, Ameer E")
    assert len(first.authors) == 64  # FAU full names, one per author
    assert first.year == 2019
    assert first.journal == "Stroke"
    assert (first.volume, first.issue, first.pages) == ("50", "3", "697-704")
    assert first.doi == "10.1161/strokeaha.118.021126"
    assert first.pmid == "30776994"
    assert first.language == "eng"
    assert first.publication_type == (
        "Journal Article; Multicenter Study; Research Support, Non-U.S. Gov't"
    )
    assert first.mesh_terms[:2] == ("Aged", "Aged, 80 and over")
    assert "Thrombectomy/*statistics & numerical data" in first.mesh_terms
    assert first.keywords == ("*animals", "*brain ischemia", "*humans", "*stroke", "*thrombectomy")
    assert first.raw["CN"] == ["STRATIS Investigators"]
    assert first.raw["LID"] == ["10.1161/STROKEAHA.118.021126 [doi]"]
    assert "\r" not in first.abstract
    assert first.warnings == ()


def test_parse_pubmed_file_with_ris_extension():
    first = parse(read("asreview+citation-file-formatting___baseline_pubmed.ris"))[0][0]
    assert first.title == "Time lapse: A glimpse into prehistoric genomics."
    assert first.authors == ("Griffin, Darren K", "Larkin, Denis M", "O'Connor, Rebecca E")
    assert first.year == 2020  # DP '2020 Feb'
    assert first.journal == "European journal of medical genetics"  # JT, not TA
    assert first.raw["TA"] == ["Eur J Med Genet"]
    assert first.doi == "10.1016/j.ejmg.2019.03.004"  # the LID marked [doi], not the [pii]
    assert first.pmid == "30922926"
    assert first.other_ids == {"pmcid": "PMC7026692"}
    assert first.abstract.startswith(
        "For the purpose of this review, 'time-lapse' refers to the reconstruction of ancestral"
    )


def test_parse_pmc_medlars_output():
    records, _ = parse(read("holub008+nbib__pmc_medlars.txt"))
    first = records[0]
    assert first.line == 2  # the file starts with a blank line
    assert first.pmid == "30042925"
    assert first.other_ids == {"pmcid": "PMC6055010"}
    # An empty AB and OAB 'Publisher: Abstract available from the publisher.': no abstract.
    assert first.abstract == ""
    assert first.raw["OAB"] == ["Publisher: Abstract available from the publisher."]
    assert first.warnings == ("no abstract",)
    assert first.doi == "10.1016/j.mex.2018.03.007"  # AID
    assert first.pages == "283-298"  # PG '283-98'
    assert [r.pmid for r in records] == ["30042925", "30123504", "25150679", "23049521", "20230352"]
    assert [r.line for r in records] == [2, 47, 109, 153, 191]


SMALL = (
    "PMID- 111\n"
    "OWN - NLM\n"
    "DA  - 20151207\n"
    "TI  - A wrapped  \n"
    "      title.\n"
    "AB  - \n"
    "AU  - Smith J\n"
    "AU  - Doe K\n"
    "PT  - Journal Article\n"
    "PT  - Review\n"
    "\n"
    "PMID- 222\n"
    "BTI - A book title.\n"
    "CN  - Some Group\n"
    "DP  - 20xx\n"
)


def test_parse_small_inline_file():
    (first, second), warnings = parse(SMALL)
    assert warnings == []
    assert (first.position, first.line, first.pmid) == (1, 1, "111")
    assert first.title == "A wrapped title."
    assert first.year == 2015  # the old DA tag when DP is missing
    assert first.authors == ("Smith J", "Doe K")  # AU when there is no FAU
    assert first.publication_type == "Journal Article; Review"
    assert first.warnings == ("no abstract",)
    assert first.raw["AB"] == [""]
    assert (second.position, second.line, second.pmid) == (2, 12, "222")
    assert second.title == "A book title."
    assert second.authors == ("Some Group",)
    assert second.warnings == ("no abstract", "year '20xx' not understood")


@pytest.mark.parametrize(
    "text",
    [SMALL.replace("\n", "\r\n"), SMALL.replace("\n", "\r"), "\ufeff\n\n" + SMALL],
    ids=["crlf", "bare-cr", "bom-and-blank-lines"],
)
def test_parse_line_ends_and_bom(text):
    records, _ = parse(text)
    assert [(r.pmid, r.title) for r in records] == [
        ("111", "A wrapped title."),
        ("222", "A book title."),
    ]


def test_parse_records_without_blank_line_between():
    text = "PMID- 1\nTI  - One\nPMC - PMC1\nPMID- 2\nTI  - Two\n"
    records, _ = parse(text)
    assert [(r.pmid, r.other_ids, r.line) for r in records] == [
        ("1", {"pmcid": "PMC1"}, 1),
        ("2", {}, 4),
    ]
    # PMC's MEDLARS style, where PMC comes first.
    text = "PMC - PMC3\nPMID- 3\nTI  - Three\nPMC - PMC4\nPMID- 4\n"
    records, _ = parse(text)
    assert [(r.pmid, r.other_ids, r.line) for r in records] == [
        ("3", {"pmcid": "PMC3"}, 1),
        ("4", {"pmcid": "PMC4"}, 4),
    ]


def test_parse_prefers_full_author_names():
    text = "PMID- 1\nTI  - T\nFAU - Smith, Jane\nAU  - Smith J\nFAU - Doe, Kim\nAU  - Doe K\n"
    (only,), _ = parse(text)
    assert only.authors == ("Smith, Jane", "Doe, Kim")


@pytest.mark.parametrize("text", ["", "\ufeff", "\r\n\r\n"])
def test_parse_empty_file_refused(text):
    with pytest.raises(ParseError, match="empty"):
        parse(text)


def test_parse_garbage_refused():
    with pytest.raises(ParseError) as error:
        parse("Dear colleague,\nplease find attached...\n")
    assert error.value.message == "no MEDLINE records found"


def test_looks_like_tells_medline_from_ris():
    assert medline.looks_like("\nPMID- 1\nOWN - NLM\nTI  - T\n")
    assert medline.looks_like("PMC - PMC6055010\nPMID- 30042925\n")
    assert not medline.looks_like("TY  - JOUR\nTI  - T\nAU  - A\nER  - \n")
    # PsycNET RIS carries 'PMID  - ' (two spaces): RIS, not MEDLINE.
    assert not medline.looks_like("TY  - JOUR\nPMID  - 33355555\nER  - \n")
    assert not medline.looks_like("FN Clarivate Analytics Web of Science\nPT J\nAU Smith\n")
    assert not medline.looks_like("Some words first\nPMID- 1\n")
