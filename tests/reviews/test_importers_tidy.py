"""Real-world quirks every parser's records are read through (read_records and
normalize.tidy_record), and the field rules they exposed: markup in abstracts, R's 'NA',
placeholder PMIDs, section lines in CSV, Citavi's columns, PMIDs in BibTeX notes, compact
dates, short titles, and reference managers' record numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviews.importers import read_records
from reviews.importers.base import ParsedRecord
from reviews.importers.normalize import normalize_pmid, parse_year, strip_markup, tidy_record

DATA = Path(__file__).resolve().parent.parent / "data"


def read(relative: str):
    result = read_records((DATA / relative).read_bytes(), file_name=Path(relative).name)
    records = list(result.records)
    return result, records


def test_jats_markup_leaves_lens_abstracts_and_titles():
    result, records = read("ris/constructed__lens_jats_markup.ris")
    assert (result.format, len(records)) == ("ris", 2)
    first, second = records
    assert first.title == "Effects of CO2 enrichment on Zea mays yield: a randomised field trial"
    assert first.abstract == (
        "Background: Rising CO2 may raise yields & change quality. "
        "Results: Yield rose by 8% (p < 0.05) in plots where a<b and c>d held."
    )
    assert second.abstract == (
        "Higher intake was associated with lower mortality. HR 0.85 \u2013 95% CI 0.80\u20130.91."
    )
    # The file's own text stays in raw.
    assert first.raw["AB"][0].startswith("<jats:title>Abstract</jats:title><jats:sec>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p < 0.05 and a<b and c>d", "p < 0.05 and a<b and c>d"),
        ("Fish & chips", "Fish & chips"),
        ("AT&amp;T", "AT&T"),
        ("<p>One.</p><p>Two.</p>", "One. Two."),
        ("H<sub>2</sub>O and x<sup>2</sup>", "H2O and x2"),
        ('<jats:list list-type="bullet"><jats:list-item>a</jats:list-item></jats:list>', "a"),
        ("<b and c> stays", "<b and c> stays"),
        ("", ""),
    ],
)
def test_strip_markup(text, expected):
    assert strip_markup(text) == expected


def test_r_written_na_is_a_missing_value_except_in_titles():
    result, records = read("ris/constructed__r_written_na.ris")
    assert len(records) == 2
    first, second = records
    assert (first.title, first.abstract, first.journal, first.volume, first.issue) == (
        "Soil carbon under conservation tillage",
        "",
        "",
        "",
        "",
    )
    assert (first.pages, first.doi, first.year) == ("", "", 2019)
    assert first.warnings == ("no abstract",)
    assert (second.title, second.authors, second.journal) == ("NA", (), "Agronomy Letters")


def test_tidy_record_returns_the_same_record_when_nothing_changes():
    record = ParsedRecord(position=1, title="A trial", abstract="Plain text, 5 < 6.")
    assert tidy_record(record) is record


def test_abstrackr_csv_skips_its_section_line_and_zero_pmids():
    result, records = read("csv/asreview+citation-file-formatting___baseline_abstrackr.csv")
    assert (result.format, len(records)) == ("csv", 10)
    assert result.warnings == [
        "skipped 1 line(s) between the rows that are not records: "
        "'citations that are not yet labeled by anyone'"
    ]
    assert [record.pmid for record in records] == [""] * 10
    assert records[0].title.startswith("A new small duckbilled dinosaur (Hadrosauridae: Lambeo")
    assert records[0].authors[:2] == ("Longrich, N.R.", "Pereda-Suberbiola, X.")
    assert records[0].journal == "Sci Rep"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", ""), ("000", ""), ("PMID: 12345678", "12345678"), ("", ""), (None, "")],
)
def test_placeholder_pmids_are_no_pmid(value, expected):
    assert normalize_pmid(value) == expected


def test_citavi_tab_delimited_columns():
    result, records = read("csv/asreview+citation-file-formatting___baseline_citavi_EXCERPT.tsv")
    assert (result.format, len(records)) == ("csv", 3)
    first = records[0]
    assert first.title.startswith("The effect of intra-arterial angiotensin II on the hepatic")
    assert first.authors[:3] == (
        "van den Hoven",
        "Smits, Maarten L. J.",
        "Rosenbaum, Charlotte E. N. M.",
    )
    assert (first.journal, first.year, first.pages) == (
        "Journal of Vascular and Interventional Radiology",
        2014,
        "S105",
    )
    assert records[1].pages == "69-79"
    assert all("no title" not in record.warnings for record in records)


def test_taylor_and_francis_bibtex_pmid_in_note():
    result, records = read("bibtex/CoLRev-Environment+colrev__taylor_and_francis_bib.bib")
    assert (result.format, len(records)) == ("bibtex", 2)
    assert [(record.pmid, record.doi) for record in records] == [
        ("33355555", "10.1111/07777777.2018.1666666"),
        ("33314444", "10.1122/07777777.2018.3334444"),
    ]


def test_trid_compact_start_date_gives_the_year():
    result, records = read("ris/CoLRev-Environment+colrev__trid_ris.ris")
    assert (result.format, len(records)) == ("ris", 3)
    assert [record.year for record in records[:2]] == [2017, 2018]
    assert records[0].title == "Title of this citation"


@pytest.mark.parametrize(
    ("text", "year"),
    [("Start date: 20170812", 2017), ("2017/12//", 2017), ("20171340", None), ("12345", None)],
)
def test_parse_year_compact_dates(text, year):
    assert parse_year(text) == year


def test_ris_short_title_is_the_title_when_there_is_no_other():
    result, records = read("ris/MrTango+rispy__example_utf_chars.ris")
    assert len(records) == 1
    assert records[0].title.startswith("Состояние рецепторного аппарата эндометрия")
    assert "no title" not in records[0].warnings
    assert records[0].authors[0] == "Dobrokhotova, Yu E."


def test_reference_manager_record_numbers_are_not_database_ids():
    _, records = read("ris/constructed__endnote_reexport_record_numbers.ris")
    assert [(record.pmid, record.other_ids) for record in records] == [("", {}), ("", {})]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_scopus_csv_saved_again_by_a_spreadsheet_is_still_scopus(delimiter):
    import csv
    import io

    path = next(iter(sorted((DATA / "scopus-csv").iterdir())))
    original, records = read(f"scopus-csv/{path.name}")
    text = path.read_bytes().decode("utf-8-sig")
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(csv.reader(io.StringIO(text)))
    result = read_records(out.getvalue().encode(), file_name="resaved.csv")
    again = list(result.records)
    assert (original.format, result.format) == ("scopus-csv", "scopus-csv")
    assert [(r.title, r.authors, r.doi, r.year) for r in again] == [
        (r.title, r.authors, r.doi, r.year) for r in records
    ]


@pytest.mark.parametrize(
    ("relative", "position", "pages"),
    [
        ("ris/asreview+asreview__scopus.ris", 1, "104501"),  # C7, no SP
        ("ris/asreview+asreview__scopus.ris", 5, "555-568"),  # SP and EP
        ("ris/asreview+asreview__web_of_science.txt", 6, "1175856"),
    ],
)
def test_article_number_is_the_pages_when_there_are_none(relative, position, pages):
    _, records = read(relative)
    assert records[position - 1].pages == pages


def test_ebsco_bibtex_fields_after_a_stray_closing_brace_are_kept(caplog):
    result, records = read("bibtex/CoLRev-Environment+colrev__ebsco_bib.bib")
    assert (result.format, len(records)) == ("bibtex", 2)
    second = records[1]
    assert (second.title, second.authors, second.abstract) == (
        "When sharing fixes prices.",
        ("Cruise, Tom",),
        "While price-fixing",
    )
    assert "no title" not in second.warnings
    assert any(w.startswith("a closing brace inside a value ended") for w in second.warnings)
    assert records[0].title == "Paper title."
    # bibtexparser's own log lines stay out of the command's output.
    assert [r.name for r in caplog.records if r.name.startswith("bibtexparser")] == []


def test_mojibake_is_repaired_with_a_warning():
    # EBSCOhost writes UTF-8 that was once read as Windows-1252: 'Örücü' as 'Ã–rÃ¼cÃ¼'.
    text = (
        "TY  - JOUR\n"
        "AU  - Ã–rÃ¼cÃ¼, Deniz\n"
        "TI  - Leadership for refugee students: â€œcaringâ€\x9d schools\n"
        "AB  - SÃO PAULO stays as it is.\n"
        "ER  - \n"
        "TY  - JOUR\n"
        "AU  - Müller, Anna\n"
        "TI  - Naïve café study\n"
        "ER  - \n"
    )
    result = read_records(text.encode("utf-8"), file_name="ebsco.ris")
    first, second = list(result.records)
    assert first.authors == ("Örücü, Deniz",)
    assert first.title == "Leadership for refugee students: \u201ccaring\u201d schools"
    assert first.abstract == "SÃO PAULO stays as it is."
    assert first.warnings[-1] == (
        "text repaired: UTF-8 that had been read as Windows-1252 ('Ã¼' for 'ü')"
    )
    assert (second.authors, second.title) == (("Müller, Anna",), "Naïve café study")
    assert not any(w.startswith("text repaired") for w in second.warnings)


def test_field_limits_are_the_record_columns_lengths():
    from reviews.importers.base import FIELD_LIMITS
    from reviews.models import Record

    assert {name: Record._meta.get_field(name).max_length for name in FIELD_LIMITS} == FIELD_LIMITS


def test_values_longer_than_their_column_are_cut_or_left_out_with_warnings():
    text = (
        "Title,Abstract,Year,Volume,PMID,DOI\n"
        f"A trial,Text.,2020,{'9' * 150},{'1' * 30},10.1000/{'x' * 400}\n"
    )
    (record,) = read_records(text.encode(), file_name="long.csv").records
    assert (record.volume, record.pmid, record.doi) == ("9" * 100, "", "")
    assert record.warnings == (
        "volume cut to 100 characters (kept whole in raw)",
        f"doi '10.1000/{'x' * 32}...' is too long to be one; left out (kept in raw)",
        "pmid '111111111111111111111111111111' is too long to be one; left out (kept in raw)",
    )
    assert record.raw["Volume"] == "9" * 150


@pytest.mark.parametrize(
    "relative",
    [
        "ris/asreview+citation-file-formatting___baseline_cinahl.ris",
        "csv/asreview+citation-file-formatting___baseline_cinahl.csv",
    ],
)
def test_ebsco_copyright_notice_is_not_part_of_the_abstract(relative):
    _, records = read(relative)
    with_abstract = [record for record in records if record.abstract]
    assert len(with_abstract) == 9 if relative.endswith(".ris") else len(with_abstract) >= 9
    for record in with_abstract:
        assert "Copyright" not in record.abstract
        assert "[ABSTRACT FROM" not in record.abstract
    first = with_abstract[0]
    assert first.abstract.endswith("they did not set them apart from their contemporaries."), (
        first.abstract[-80:]
    )
    # The file's text, notice included, stays in raw.
    assert "(Copyright applies to all Abstracts.)" in json.dumps(first.raw)


def test_pubmed_xml_ids_of_cited_works_are_not_the_articles():
    xml = b"""<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle>
<MedlineCitation><PMID Version="1">12345</PMID><Article>
<Journal><JournalIssue><PubDate><Year>1998</Year></PubDate></JournalIssue><Title>J Old</Title>
</Journal><ArticleTitle>An older trial</ArticleTitle>
<Abstract><AbstractText>Text.</AbstractText></Abstract></Article></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">12345</ArticleId></ArticleIdList>
<ReferenceList><Reference><Citation>A cited work.</Citation><ArticleIdList>
<ArticleId IdType="doi">10.1000/cited.work</ArticleId><ArticleId IdType="pmc">PMC999</ArticleId>
</ArticleIdList></Reference></ReferenceList></PubmedData>
</PubmedArticle></PubmedArticleSet>"""
    (record,) = read_records(xml, file_name="old.xml").records
    assert (record.pmid, record.doi, record.other_ids) == ("12345", "", {})


def test_clinicaltrials_gov_csv_is_read_as_register_records():
    header = (
        "NCT Number,Study Title,Study URL,Acronym,Study Status,Brief Summary,Study Results,"
        "Conditions,Interventions,Sponsor,Start Date,First Posted,Locations\n"
    )
    row = (
        "NCT04000002,Dapagliflozin in Chronic Kidney Disease,"
        "https://clinicaltrials.gov/study/NCT04000002,,COMPLETED,"
        '"A double-blind placebo-controlled trial.",YES,Chronic Kidney Disease,'
        "DRUG: Dapagliflozin|DRUG: Placebo,Pharma Inc,2017-02-02,2017-02-07,Buenos Aires\n"
    )
    result = read_records((header + row).encode(), file_name="ctgov.csv")
    (record,) = result.records
    assert result.format == "csv"
    assert (record.title, record.abstract, record.year) == (
        "Dapagliflozin in Chronic Kidney Disease",
        "A double-blind placebo-controlled trial.",
        2017,
    )
    assert record.other_ids == {"accession": "NCT04000002"}
    assert record.url == "https://clinicaltrials.gov/study/NCT04000002"
    assert record.keywords == ("Chronic Kidney Disease", "DRUG: Dapagliflozin", "DRUG: Placebo")


def test_month_in_bibtex_number_is_no_issue_and_anonymous_is_no_author():
    text = (
        "@article{a, title = {A trial}, author = {Anonymous}, number = {April}, year = {2020}}\n"
        "@article{b, title = {B trial}, author = {Doe, Jane}, number = {4}, year = {2020}}\n"
    )
    first, second = read_records(text.encode(), file_name="mendeley.bib").records
    assert (first.issue, first.authors) == ("", ())
    assert (second.issue, second.authors) == ("4", ("Doe, Jane",))


def test_medline_book_chapter_is_in_its_book():
    text = (
        "PMID- 20301295\n"
        "TI  - Hereditary Breast and Ovarian Cancer\n"
        "BTI - GeneReviews(R)\n"
        "AB  - A chapter.\n"
        "DP  - 1993\n"
        "PT  - Review\n"
        "PT  - Book Chapter\n"
    )
    (record,) = read_records(text.encode(), file_name="book.nbib").records
    assert (record.journal, record.pmid, record.year) == ("GeneReviews(R)", "20301295", 1993)
