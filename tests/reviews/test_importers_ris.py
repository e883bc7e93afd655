"""RIS from any vendor (reviews/importers/ris.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import ris
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "ris"


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(ris.parse(text, warnings)), warnings


def record(name: str, position: int):
    return parse(read(name))[0][position - 1]


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("CoLRev-Environment+colrev__abi_inform_proquest_ris.ris", 2),
        ("CoLRev-Environment+colrev__psycinfo_ris.ris", 1),
        ("asreview+asreview___baseline.ris", 100),
        ("asreview+asreview__embase.ris", 6),
        ("asreview+asreview__proquest.ris", 6),
        ("asreview+asreview__pubmed_endnote.txt", 6),
        ("asreview+asreview__pubmed_zotero.ris", 6),
        ("asreview+asreview__ris_issue_1099.txt", 7),
        ("asreview+asreview__ris_issue_992.txt", 19),
        ("asreview+asreview__scopus.ris", 6),
        ("asreview+asreview__web_of_science.txt", 10),
        ("asreview+citation-file-formatting___baseline_cinahl.ris", 9),
        ("asreview+citation-file-formatting___baseline_cochrane_endnote.ris", 3),
        ("asreview+citation-file-formatting___baseline_covidence_endnote.ris", 10),
        ("asreview+citation-file-formatting___baseline_embase.ris", 10),
        ("asreview+citation-file-formatting___baseline_eppireviewer.ris", 10),
        ("asreview+citation-file-formatting___baseline_eric_ovid.ris", 10),
        ("asreview+citation-file-formatting___baseline_mdpi.ris", 11),
        ("asreview+citation-file-formatting___baseline_psychInfo_ovid.ris", 10),
        ("asreview+citation-file-formatting___baseline_rayyan.ris", 10),
        ("asreview+citation-file-formatting___baseline_refworks.ris", 10),
        ("asreview+citation-file-formatting___baseline_webofscience.ris", 10),
        ("asreview+citation-file-formatting___baseline_zotero.ris", 10),
        ("sysrev+sysrev__IEEE_Xplore_Citation_Download_LSTM_top_10.ris", 10),
        ("sysrev+sysrev__endnoteonline.ris", 14),
        ("sysrev+sysrev__ovidweb.ris", 3),
    ],
)
def test_parse_sample_counts(name, count):
    text = read(name)
    assert ris.looks_like(text.removeprefix("\ufeff")[:65536])
    records, warnings = parse(text)
    assert len(records) == count
    assert [record.position for record in records] == list(range(1, count + 1))
    assert all(record.title for record in records)
    assert all(record.raw["TY"] for record in records)
    assert warnings == []


def test_parse_pubmed_via_endnote_record():
    first = record("asreview+asreview__pubmed_endnote.txt", 1)
    assert first.line == 2  # the file starts with a blank line
    assert first.title == (
        "Boswellia serrata: an overall assessment of in vitro, preclinical, "
        "pharmacokinetic and clinical data"
    )
    assert first.abstract.startswith(
        "Non-steroidal anti-inflammatory drug (NSAID) intake is associated with high "
        "prevalence of gastrointestinal or cardiovascular adverse effects."
    )
    assert first.authors == ("Abdel-Tawab, M.", "Werz, O.", "Schubert-Zsilavecz, M.")
    assert first.year == 2011
    assert first.journal == "Clin Pharmacokinet"
    assert (first.volume, first.issue, first.pages) == ("50", "6", "349-369")  # SP '349-69'
    assert first.doi == "10.2165/11586800-000000000-00000"
    assert first.pmid == "21553931"  # AN on a record with DP 'NLM'
    assert first.other_ids == {}  # ID is EndNote's record number, not an accession
    assert first.language == "eng"
    assert first.publication_type == "Journal"
    # Untagged lines after KW are one keyword each.
    assert first.keywords[:3] == (
        "Animals",
        "Anti-Inflammatory Agents/adverse effects/pharmacokinetics/*pharmacology",
        "Boswellia/*chemistry",
    )
    assert len(first.keywords) == 10
    assert first.raw["ID"] == ["369"]
    assert first.warnings == ()


def test_parse_embase_record():
    first = record("asreview+citation-file-formatting___baseline_embase.ris", 1)
    assert first.title == (
        "Cellular structure of dinosaur scales reveals retention of reptile-type skin during "
        "the evolutionary transition to feathers"
    )
    assert first.abstract.startswith(
        "Fossil feathers have transformed our understanding of integumentary evolution"
    )  # from N2
    assert first.authors == ("Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E.")  # A1
    assert first.year == 2024
    assert first.journal == "Nature Communications"  # JF before the JO abbreviation
    assert first.raw["JO"] == ["Nat. Commun."]
    assert first.doi == "10.1038/s41467-024-48400-3"
    assert first.pmid == "38773066"  # C5
    assert first.other_ids == {"embase": "L2029880245"}  # U2
    assert first.raw["DB"] == ["Embase", "Medline"]


def test_parse_cochrane_headers_and_extra_space():
    records, _ = parse(read("asreview+citation-file-formatting___baseline_cochrane_endnote.ris"))
    first, second = records[0], records[1]
    assert first.line == 5  # after 'Record #3 of 18', 'Provider:', 'Content:' and a blank
    assert first.raw["TY"] == ["JOUR"]  # 'TY  -  JOUR'
    assert first.title.startswith("The Incredible Years Therapeutic Dinosaur Programme")
    assert first.authors == ("Bywater, T", "Hutchings, J", "Whitaker, C", "Evans, C", "Parry, L")
    assert first.year == 2011
    assert first.journal == "Trials"
    assert first.doi == "10.1186/1745-6215-12-39"
    assert first.pmid == "21314913"  # C3 'PUBMED 21314913'
    assert first.other_ids == {"central": "CN-00778158"}
    assert second.pmid == "38407106"  # C3 'PUBMED 38407106,EMBASE 643589775'
    assert second.other_ids == {"central": "CN-02677909", "embase": "643589775"}
    assert records[2].pages == "43-58"  # written with a Unicode hyphen


def test_parse_web_of_science_record():
    first = record("asreview+asreview__web_of_science.txt", 1)
    assert first.title == (
        "Holding Yourself Captive: Perceptions of Custody During Interviews and Interrogations"
    )
    assert first.authors == ("Alceste, F", "Luke, TJ", "Kassin, SM")
    assert first.year == 2018
    assert first.journal == "JOURNAL OF APPLIED RESEARCH IN MEMORY AND COGNITION"
    assert first.doi == "10.1016/j.jarmac.2018.03.001"
    assert first.other_ids == {"wos": "WOS:000444108200009"}
    assert first.pages == "387-397"


def test_parse_scopus_references_and_pubmed_id():
    records, _ = parse(read("asreview+asreview__scopus.ris"))
    second = records[1]
    assert second.line == 226
    assert (
        second.title
        == "Hypothesis: Mechanism of irritable bowel syndrome in inflammatory bowel disease"
    )
    assert second.authors == ("Uno, Y.",)
    assert second.year == 2019
    assert second.doi == "10.1016/j.mehy.2019.109324"
    assert second.pmid == "31421429"  # C2
    assert second.other_ids == {"scopus": "2-s2.0-85070226738"}
    # The reference list's hundreds of untagged lines stay in the N1 value, one per line.
    notes = records[0].raw["N1"]
    assert any(note.startswith("References: ") and note.count("\n") > 100 for note in notes)


def test_parse_scopus_untagged_lines_inside_record():
    first = record("asreview+asreview__ris_issue_1099.txt", 1)
    assert first.raw["U3"] == ["Cited By :9\nExport Date: 12 May 2022\nArticle"]
    assert first.other_ids == {"scopus": "2-s2.0-85054091539"}
    assert first.journal == "Advances in Electrical and Electronic Engineering"


def test_parse_rayyan_keywords_on_untagged_lines():
    first = record("asreview+asreview__ris_issue_992.txt", 1)
    assert first.keywords[:3] == ("Health Facility Administration", "Joint Commission", "Standards")
    assert len(first.keywords) == 13
    assert first.other_ids == {"accession": "rayyan-264552525"}
    assert first.warnings == ("no abstract",)


def test_parse_psycnet_header_and_pmid_tag():
    (only,), _ = parse(read("CoLRev-Environment+colrev__psycinfo_ris.ris"))
    assert only.line == 5
    assert only.pmid == "33355555"  # 'PMID  - 33355555'
    assert only.raw["PMID"] == ["33355555"]
    assert only.doi == "10.1011/hea0004444"
    assert only.pages == "1023-1095"


def test_parse_ovid_record_numbers_and_medline_id():
    first = record("sysrev+sysrev__ovidweb.ris", 1)
    assert first.line == 2  # after '1. '
    assert first.title.startswith("Surgical Selection of T1 Stage Renal Tumor Resection")
    assert first.pmid == "35634081"  # ID of an Ovid MEDLINE record
    assert first.doi == "10.1155/2022/1947504"
    assert first.raw["M1"] == ["101279357"]  # NLM journal id, not a PMID
    eric = record("asreview+citation-file-formatting___baseline_eric_ovid.ris", 1)
    assert (eric.pmid, eric.other_ids) == ("", {"accession": "EJ389705"})


def test_parse_ebsco_doi_in_l3_and_accession_in_note():
    first = record("asreview+citation-file-formatting___baseline_cinahl.ris", 1)
    assert first.doi == "10.1371/journal.pone.0298242"
    assert first.other_ids == {"accession": "176404503"}
    assert first.authors[1] == "Martínez, Ricardo N."
    assert first.year == 2024


def test_parse_ieee_mixed_line_ends():
    records, _ = parse(read("sysrev+sysrev__IEEE_Xplore_Citation_Download_LSTM_top_10.ris"))
    first = records[0]
    assert first.title == "Long Short-Term Memory"
    assert first.authors == ("S. Hochreiter", "J. Schmidhuber")
    assert (first.year, first.volume, first.issue, first.pages) == (1997, "9", "8", "1735-1780")
    assert records[1].publication_type == "Conference proceeding"
    assert all("\r" not in value for r in records for vs in r.raw.values() for value in vs)


def test_parse_mdpi_trailing_spaces_and_ejour():
    first = record("asreview+citation-file-formatting___baseline_mdpi.ris", 1)
    assert first.authors == ("Banks, Ferdinand E.",)
    assert first.publication_type == "Electronic Article"
    assert first.raw["TY"] == ["EJOUR"]


SMALL = (
    "TY  - JOUR\n"
    "TI  - A trial of walking\n"
    "AU  - Smith, Jane\n"
    "AU  - Doe, J.\n"
    "PY  - 2020///\n"
    "AB  - First paragraph\n"
    "  wrapped on.\n"
    "Second paragraph.\n"
    "DO  - https://doi.org/10.1000/ABC.1\n"
    "ER  - \n"
    "\n"
    "TY  - BOOK\n"
    "T1  - A book\n"
    "Y1  - 19xx\n"
    "ER  - \n"
)


def test_parse_small_inline_file():
    (first, second), warnings = parse(SMALL)
    assert warnings == []
    assert first.title == "A trial of walking"
    assert first.authors == ("Smith, Jane", "Doe, J.")
    assert first.year == 2020
    assert first.abstract == "First paragraph\nwrapped on.\nSecond paragraph."
    assert first.doi == "10.1000/abc.1"
    assert first.raw == {
        "TY": ["JOUR"],
        "TI": ["A trial of walking"],
        "AU": ["Smith, Jane", "Doe, J."],
        "PY": ["2020///"],
        "AB": ["First paragraph\nwrapped on.\nSecond paragraph."],
        "DO": ["https://doi.org/10.1000/ABC.1"],
    }
    assert (second.position, second.line, second.title) == (2, 12, "A book")
    assert second.publication_type == "Whole book"
    assert second.warnings == ("no abstract", "year '19xx' not understood")


@pytest.mark.parametrize(
    "text",
    [
        SMALL.replace("\n", "\r\n"),
        SMALL.replace("\n", "\r"),
        "\ufeff" + SMALL,
        SMALL.replace("\n", "\r\n", 5),  # mixed line ends
    ],
    ids=["crlf", "bare-cr", "bom", "mixed"],
)
def test_parse_line_ends_and_bom(text):
    records, _ = parse(text)
    assert [(r.position, r.line, r.title, r.year) for r in records] == [
        (1, 1, "A trial of walking", 2020),
        (2, 12, "A book", None),
    ]
    assert records[0].abstract == "First paragraph\nwrapped on.\nSecond paragraph."


def test_parse_record_without_er():
    text = "TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\n"
    records, _ = parse(text)
    assert [r.title for r in records] == ["One", "Two"]
    assert all("no end-of-record line (ER)" in r.warnings for r in records)


def test_parse_tags_outside_records_ignored():
    text = "Provider: X\nAU  - Stray\nER  - \nTY  - JOUR\nTI  - Kept\nER  - \nKW  - stray\n"
    records, _ = parse(text)
    assert [(r.title, r.line, r.authors, r.keywords) for r in records] == [("Kept", 4, (), ())]


def test_parse_single_space_separator_and_stray_bom():
    text = (
        "TY - JOUR\nTI - Title\nER - \n"
        "\ufeffTY  - JOUR\nTI  - Next\nN1  - References: Smith (2019)\nCA - A Cancer Journal\nER\n"
        "TY  - JOUR\nTI  -No space\nER  -\n"
    )
    records, _ = parse(text)
    assert [r.title for r in records] == ["Title", "Next", "No space"]
    # 'CA - ...' in a record written with two spaces is text, not a tag.
    assert records[1].raw["N1"] == ["References: Smith (2019)\nCA - A Cancer Journal"]
    assert all(r.warnings == ("no abstract", "no year") for r in records)


def test_parse_repeated_tags_kept_in_raw():
    text = "TY  - JOUR\nTI  - T\nSN  - 1\nSN  - 2\nN1  - a\nN1  - b\nER  - \n"
    (only,), _ = parse(text)
    assert only.raw["SN"] == ["1", "2"]
    assert only.raw["N1"] == ["a", "b"]


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n  \n"])
def test_parse_empty_file_refused(text):
    with pytest.raises(ParseError, match="empty"):
        parse(text)


def test_parse_garbage_refused():
    with pytest.raises(ParseError) as error:
        parse("this is not\na reference file\n")
    assert error.value.message == "no RIS records found"


def test_looks_like_rejects_medline_and_wos_plain_text():
    medline = "PMID- 30922926\nOWN - NLM\nTI  - Time lapse.\nAU  - Griffin DK\n"
    wos = "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Smith, J\nTI A title\nER\n"
    endnote = "%0 Journal Article\n%T A title\n%A Smith, J\n"
    assert not ris.looks_like(medline)
    assert not ris.looks_like(wos)
    assert not ris.looks_like(endnote)
    assert ris.looks_like("TY  - JOUR\nTI  - A title\nER  - \n")
    assert not ris.looks_like("TY  - JOUR\n")  # a type line alone is not enough


def test_parse_streams_records():
    # A generator: the first record comes out before the rest of the file is read.
    records = ris.parse(SMALL + "garbage without end", [])
    assert next(records).title == "A trial of walking"


@pytest.mark.parametrize(
    "name",
    [
        "sysrev+sysrev__IEEE_Xplore_Citation_Download_LSTM_top_10.ris",
        "asreview+asreview___baseline.ris",
        "asreview+asreview__scopus.ris",
    ],
)
def test_parse_same_across_chunk_boundaries(monkeypatch, name):
    # Big files are split into lines a few MB at a time; tiny chunks must give the same records.
    text = read(name)
    whole, _ = parse(text)
    monkeypatch.setattr(ris, "_CHUNK", 97)
    chunked, _ = parse(text)
    assert chunked == whole
    # A file of bare CR line ends only is split at CRs.
    bare_cr = text.replace("\r\n", "\n").replace("\n", "\r")
    assert [r.line for r in parse(bare_cr)[0]] == [r.line for r in whole]
