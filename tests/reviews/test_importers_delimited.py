"""CSV / TSV / semicolon-separated exports (reviews/importers/delimited.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import delimited, scopus_csv, wos_tab
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "csv"


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(delimited.parse(text, warnings)), warnings


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("CoLRev-Environment+colrev__ieee_csv.csv", 2),
        ("NLeSC+litstudy__ieee.csv", 10),
        ("NLeSC+litstudy__springer.csv", 1000),
        ("asreview+asreview__embase.csv", 6),
        ("asreview+asreview__generic_partial_labels.csv", 6),
        ("asreview+asreview__generic_tab.tsv", 2),
        ("asreview+citation-file-formatting___baseline.csv", 100),
        ("asreview+citation-file-formatting___baseline_cinahl.csv", 10),
        ("asreview+citation-file-formatting___baseline_cochrane.csv", 3),
        ("asreview+citation-file-formatting___baseline_embase.csv", 10),
        ("asreview+citation-file-formatting___baseline_pubmed.csv", 10),
        ("asreview+citation-file-formatting___baseline_rayyan.csv", 10),
        ("asreview+citation-file-formatting___baseline_zotero.csv", 10),
    ],
)
def test_parse_sample_counts(name, count):
    text = read(name)
    assert delimited.looks_like(text.removeprefix("\ufeff")[:65536])
    assert not scopus_csv.looks_like(text.removeprefix("\ufeff")[:65536])
    assert not wos_tab.looks_like(text.removeprefix("\ufeff")[:65536])
    records, _ = parse(text)
    assert len(records) == count
    assert [record.position for record in records] == list(range(1, count + 1))
    assert all(record.title for record in records)


def test_pubmed_current_csv():
    records, warnings = parse(read("asreview+citation-file-formatting___baseline_pubmed.csv"))
    assert warnings == ["the file has no abstract column"]
    first = records[0]
    assert first.title == "Time lapse: A glimpse into prehistoric genomics"
    assert first.abstract == ""
    assert first.warnings == ("no abstract",)
    assert first.authors == ("Griffin DK", "Larkin DM", "O'Connor RE")
    assert first.year == 2020
    assert first.journal == "Eur J Med Genet"
    # Volume, issue and pages come from the 'Citation' column.
    assert (first.volume, first.issue, first.pages) == ("63", "2", "103640")
    assert first.doi == "10.1016/j.ejmg.2019.03.004"
    assert first.pmid == "30922926"
    assert first.other_ids == {"pmcid": "PMC7026692"}


def test_cochrane_central_csv():
    records, _ = parse(read("asreview+citation-file-formatting___baseline_cochrane.csv"))
    first, second = records[:2]
    assert first.title == (
        "The Incredible Years Therapeutic Dinosaur Programme to build social and emotional "
        "competence in Welsh primary schools: study protocol for a randomised controlled trial"
    )
    assert first.abstract.startswith("BACKGROUND: School interventions such as the Incredible")
    assert first.authors == ("Bywater, T", "Hutchings, J", "Whitaker, C", "Evans, C", "Parry, L")
    assert first.year == 2011
    assert first.journal == "Trials"
    assert first.doi == "10.1186/1745-6215-12-39"
    assert first.pmid == "21314913"
    assert first.other_ids == {"central": "CN-00778158"}
    assert second.other_ids == {"central": "CN-02677909", "embase": "643589775"}
    assert second.pages == "1279-1297"  # U+2010 hyphen in the file


def test_embase_csv_with_preamble():
    records, warnings = parse(read("asreview+citation-file-formatting___baseline_embase.csv"))
    assert warnings == ["skipped 3 line(s) before the header row"]
    first = records[0]
    assert first.title == (
        "Cellular structure of dinosaur scales reveals retention of reptile-type skin during "
        "the evolutionary transition to feathers"
    )
    assert first.abstract.startswith("Fossil feathers have transformed our understanding")
    assert first.authors == ("Yang Z.", "Jiang B.", "Xu J.", "McNamara M.E.")
    assert first.year == 2024
    assert first.journal == "Nature Communications"
    assert first.doi == "10.1038/s41467-024-48400-3"
    assert first.pmid == "38773066"
    assert first.other_ids == {"embase": "L2029880245"}
    assert first.line == 5


def test_embase_source_citation_parsed():
    records, _ = parse(read("asreview+asreview__embase.csv"))
    first = records[0]
    assert first.authors == ("Liu R.", "Adler D.G.")
    assert first.journal == "Endoscopic Ultrasound"
    assert (first.year, first.volume, first.issue, first.pages) == (2014, "3", "3", "152-160")
    assert first.keywords[1] == "bronchogenic duplication cyst (diagnosis, surgery)"


def test_zotero_rayyan_lens_ieee_springer():
    zotero = parse(read("asreview+citation-file-formatting___baseline_zotero.csv"))[0][0]
    assert zotero.authors == ("Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E.")
    assert zotero.journal == "Nature Communications"
    assert zotero.doi == "10.1038/s41467-024-48400-3"
    assert zotero.publication_type == "journalArticle"
    assert zotero.keywords[:2] == ("article", "controlled study")

    rayyan = parse(read("asreview+citation-file-formatting___baseline_rayyan.csv"))[0][0]
    assert rayyan.authors == ("Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E.")
    assert rayyan.doi == "10.1038/s41467-024-48400-3"
    assert rayyan.url == (
        "https://www.embase.com/search/results?subaction=viewrecord&id=L2029880245&from=export"
    )

    lens = parse(read("asreview+citation-file-formatting___baseline.csv"))[0][0]
    assert lens.authors[:2] == ("Björn A. Blomberg", "Mateen Moghbel")
    assert lens.pmid == "22752652"
    assert lens.doi == "10.1007/s11307-012-0572-0"
    assert lens.pages == "97-105"
    assert lens.other_ids == {"accession": "000-463-679-101-319", "pmcid": "PMC3553406"}
    assert lens.mesh_terms[0] == "Congenital Hyperinsulinism/diagnosis"

    ieee = parse(read("NLeSC+litstudy__ieee.csv"))[0][0]
    assert ieee.title == (
        'Exascale Computing Trends: Adjusting to the "New Normal"\' for Computer Architecture'
    )
    assert ieee.authors == ("P. Kogge", "J. Shalf")
    assert (ieee.year, ieee.pages, ieee.doi) == (2013, "16-26", "10.1109/mcse.2013.95")

    small_ieee = parse(read("CoLRev-Environment+colrev__ieee_csv.csv"))[0][0]
    assert small_ieee.authors == ("Joseph Rottman", "Erran Carmel", "Mary Lacity")
    assert small_ieee.journal == "Computer"

    springer, warnings = parse(read("NLeSC+litstudy__springer.csv"))
    assert warnings == ["the file has no abstract column"]
    assert springer[0].authors == ("Vivek K. PallipuramMohammad BhuiyanMelissa C. Smith",)
    assert springer[0].doi == "10.1007/s11227-011-0631-3"
    assert springer[-1].line == 1082  # seven records have newlines inside a field


def test_cinahl_excel_protected_cells():
    first = parse(read("asreview+citation-file-formatting___baseline_cinahl.csv"))[0][0]
    assert first.raw["ISSN"] == '="19326203"'
    assert first.year == 2024  # from '="4/3/2024"'
    assert first.other_ids == {"accession": "176404503"}


def test_asreview_python_lists():
    records, _ = parse(read("asreview+asreview__generic_partial_labels.csv"))
    assert records[0].authors == ("Marx, Karl", "Lindgren, Astrid")
    assert records[0].keywords == ("Pippi", "Nordwind", "Piraten")
    assert records[0].year == 2014
    assert records[0].raw["label_included"] == "1"


LEGACY_PUBMED = (
    "Title,URL,Description,Details,ShortDetails,Resource,Type,Identifiers,Db,EntrezUID,"
    "Properties\n"
    '"Diagnosing Pseudoarthrosis.","/pubmed/31352693","Lin W, Ha A, Riew KD.",'
    '"Neurospine. 2018 Sep;15(3):194-205. doi: 10.14245/ns.1836192.096. Epub 2018 Sep 28.",'
    '"Neurospine.  2018","PubMed","citation","PMID:31352693","pubmed","31352693",'
    '"create date:2019/07/29 | first author:Lin W",\n'
)


def test_legacy_pubmed_trailing_comma():
    (record,), warnings = parse(LEGACY_PUBMED)
    assert warnings == ["the file has no abstract column"]
    assert record.title == "Diagnosing Pseudoarthrosis."
    assert record.authors == ("Lin W", "Ha A", "Riew KD")
    assert record.pmid == "31352693"
    assert record.journal == "Neurospine"
    assert (record.year, record.volume, record.issue, record.pages) == (
        2018,
        "15",
        "3",
        "194-205",
    )
    assert record.doi == "10.14245/ns.1836192.096"
    assert record.publication_type == ""
    assert record.warnings == ("no abstract",)


def test_non_empty_extra_fields_kept_not_shifted():
    text = "Title,Abstract,DOI\nOne,Abs one,10.1000/a,surplus\nTwo,Abs two\n"
    records, warnings = parse(text)
    assert records[0].doi == "10.1000/a"
    assert records[0].raw["_extra"] == ["surplus"]
    assert records[0].warnings == ("1 field(s) beyond the header kept in raw", "no year")
    assert records[1].abstract == "Abs two"
    assert records[1].doi == ""
    assert warnings == ["1 row(s) had more fields than the header"]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_delimiters_and_line_ends(delimiter, line_end):
    rows = [
        ["Title", "Authors", "Year", "DOI", "Abstract"],
        ["First, a title", "Smith J; Doe A", "2020", "https://doi.org/10.1000/X", "Line\none"],
        ["", "", "", "", ""],
        ["Second", "Roe R", "2021", "", "Two"],
    ]
    text = line_end.join(
        delimiter.join('"' + value + '"' if value else "" for value in row) for row in rows
    )
    records, _ = parse("\ufeff" + text + line_end)
    assert [record.title for record in records] == ["First, a title", "Second"]
    assert records[0].authors == ("Smith J", "Doe A")
    assert records[0].doi == "10.1000/x"
    assert records[0].abstract == "Line one"
    assert records[1].line == 5
    assert records[1].position == 2


def test_openalex_and_publish_or_perish():
    openalex = (
        "id,doi,title,display_name,publication_year,authorships.author.display_name,"
        "primary_location.source.display_name,biblio.volume,biblio.first_page,"
        "biblio.last_page,ids.pmid\n"
        "https://openalex.org/W1,https://doi.org/10.5555/ABC,A work,A work,2019,Ann Lee|Bo Chen,"
        "Journal X,4,1,9,https://pubmed.ncbi.nlm.nih.gov/777\n"
    )
    (record,), _ = parse(openalex)
    assert record.authors == ("Ann Lee", "Bo Chen")
    assert (record.doi, record.pmid, record.pages) == ("10.5555/abc", "777", "1-9")
    assert record.journal == "Journal X"
    assert record.other_ids == {"accession": "W1"}
    assert "no abstract" in record.warnings

    scholar = (
        "Cites,Authors,Title,Year,Source,Publisher,ArticleURL,Type,DOI,Abstract\n"
        '12,"J Smith, A Doe",Scholar title,2017,Some Journal,Pub,https://x.org/a,PDF,,Text\n'
    )
    (record,), _ = parse(scholar)
    assert record.authors == ("J Smith", "A Doe")
    assert record.journal == "Some Journal"
    assert record.url == "https://x.org/a"


def test_author_list_styles():
    split = delimited.split_authors
    assert split("Smith, John") == ("Smith, John",)
    assert split("Smith, J, Doe, A") == ("Smith, J", "Doe, A")
    assert split("Yang, Z. and Jiang, B.") == ("Yang, Z.", "Jiang, B.")
    assert split("Liu R., Adler D.G.") == ("Liu R.", "Adler D.G.")
    assert split("['Marx, Karl']") == ("Marx, Karl",)
    assert split("") == ()


def test_zotero_extra_pmid():
    text = 'Key,Title,Extra\nK1,A title,"PMID: 123456\nPMCID: PMC42"\n'
    (record,), _ = parse(text)
    assert record.pmid == "123456"
    assert record.other_ids == {"pmcid": "PMC42"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "Name,Colour\nx,y\n",
        "TY  - JOUR\nTI  - x\nER  - \n",
        "Title,Abstract\n",
        "Title,Abstract\n,\n\n",
    ],
)
def test_unreadable_files_raise(text):
    with pytest.raises(ParseError):
        parse(text)


def test_unrecognised_header_names_expected_columns():
    with pytest.raises(ParseError) as error:
        parse("Name,Colour\nx,y\n")
    assert "'Title', 'Abstract', 'DOI' or 'PMID'" in str(error.value)


def test_looks_like_rejects_other_formats():
    assert not delimited.looks_like("TY  - JOUR\nTI  - x, y, DOI, title\nER  - \n")
    assert not delimited.looks_like("PMID- 1\nTI  - Title, abstract\n")
    assert not delimited.looks_like("@article{k,\n title = {x},\n}\n")
    assert not delimited.looks_like("Title\nonly one column\n")
    assert delimited.looks_like("title;abstract\nx;y\n")


def test_covidence_and_abstrackr_headers():
    covidence = (
        '"Title","Authors","Abstract","Published Year","Journal","Volume","Issue","Pages",'
        '"Accession Number","DOI","Ref","Covidence #"\n'
        '"Cov title","Smith J, Doe A","Abs","2018","J Cov","3","4","5-9","","10.1000/cov",'
        '"","#12"\n'
    )
    (record,), _ = parse(covidence)
    assert (record.title, record.year, record.pages) == ("Cov title", 2018, "5-9")
    assert record.authors == ("Smith J", "Doe A")
    assert record.other_ids == {"accession": "#12"}

    abstrackr = (
        '"(internal) id","(source) id","pubmed id","keywords","abstract","title","journal",'
        '"authors","tags","notes","reviewer 1"\n'
        '"1","s1","24681012","k1, k2","Abs","Abstrackr title","J A","Roe R","","","1"\n'
    )
    (record,), _ = parse(abstrackr)
    assert (record.title, record.pmid, record.keywords) == (
        "Abstrackr title",
        "24681012",
        ("k1", "k2"),
    )
    assert record.raw["reviewer 1"] == "1"


def test_single_title_column_parses():
    records, _ = parse("Title\nFirst\n\nSecond\n")
    assert [record.title for record in records] == ["First", "Second"]
