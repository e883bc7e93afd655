"""EndNote XML (reviews/importers/endnote_xml.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reviews.importers import endnote_xml
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "endnote-xml"

STYLE = '<style face="normal" font="default" size="100%">{}</style>'

RECORD = (
    '<record><ref-type name="Journal Article">17</ref-type>'
    "<contributors><authors><author>{a1}</author><author>{a2}</author></authors></contributors>"
    "<titles><title>{title}</title><secondary-title>{abbr}</secondary-title></titles>"
    "<periodical><full-title>{journal}</full-title></periodical>"
    "<pages>{pages}</pages><volume>{volume}</volume><number>{number}</number>"
    "<keywords><keyword>{kw}</keyword></keywords>"
    "<dates><year>{year}</year></dates>"
    "<accession-num>{accession}</accession-num>"
    "<electronic-resource-num>{doi}</electronic-resource-num>"
    "<remote-database-name>{db}</remote-database-name>"
    "<abstract>{abstract}</abstract>"
    "<urls><related-urls><url>{url}</url></related-urls></urls>"
    "</record>"
)


def record_xml(**values: str) -> str:
    defaults = {
        "a1": "Smith, Jane",
        "a2": "Doe, A.",
        "title": "A title",
        "abbr": "J Tests",
        "journal": "Journal of Tests",
        "pages": "101-9",
        "volume": "12",
        "number": "3",
        "kw": "alpha&#xD;beta",
        "year": "2020",
        "accession": "123456",
        "doi": "https://doi.org/10.1000/ABC.1 [doi]",
        "db": "MEDLINE",
        "abstract": "An abstract.",
        "url": "https://example.org/a",
    }
    defaults.update(values)
    return RECORD.format(**{key: STYLE.format(value) for key, value in defaults.items()})


def library(*records: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" ?><xml><records>{"".join(records)}</records></xml>'
    )


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(endnote_xml.parse(text, warnings)), warnings


def test_endnote_21_record_matches_file():
    records, warnings = parse(read("IEBH+RefLib__Dump-Converted_test.xml"))
    record = records[3]
    assert record.title == (
        "Good problems to have? Policy and societal implications of a disease-modifying therapy "
        "for presymptomatic late-onset Alzheimer's disease"
    )
    assert record.abstract.startswith(
        "In the United States alone, the prevalence of AD is expected to more than double"
    )
    assert record.authors == ("Angrist, M.", "Yang, A.", "Kantor, B.", "Chiba-Falek, O.")
    assert record.year == 2020
    assert record.doi == "10.1186/s40504-020-00106-2"
    assert record.pmid == "33043412"  # accession number of an Ovid MEDLINE record
    assert record.journal == "Life Sciences, Society and Policy"
    assert (record.volume, record.issue, record.pages) == ("16", "1", "11")
    assert record.language == "English"
    assert record.publication_type == "Journal Article"
    assert record.keywords[0] == "*Alzheimer Disease/pc [Prevention & Control]"
    assert record.raw["remote-database-name"] == "MEDLINE"
    assert record.raw["remote-database-provider"] == "Ovid Technologies"
    assert record.raw["xml"].startswith("<record>")
    assert warnings == []


def test_cinahl_accession_is_not_a_pmid():
    records, _ = parse(read("IEBH+RefLib__Dump-Converted_test.xml"))
    first = records[0]
    assert first.title == (
        "AAN's First 21st-Century Position Statement on Ethical Consideration in Dementia "
        "Diagnosis and Care"
    )
    assert first.pmid == ""
    assert first.authors == ()
    assert first.pages == "704"  # "704-704"
    assert first.raw["remote-database-name"] == "cin20"


def test_spidercite_record_matches_file():
    records, _ = parse(read("IEBH+RefLib__SpiderCite_demo.xml"))
    record = records[0]
    assert record.title.startswith("A multicenter, randomized, split-face clinical trial")
    assert record.abstract.startswith("BACKGROUND: Although a variety of laser/light-based")
    assert record.authors[:2] == ("Antoniou, C.", "Dessinioti, C.")
    assert record.year == 2016
    assert record.doi == "10.1111/ijd.13349"
    assert record.pmid == "27575854"  # provider NLM
    assert record.journal == "Int J Dermatol"


def test_bookends_indented_style_text():
    records, _ = parse(read("JabRef+jabref__EndnoteXmlImporterTestArticle.xml"))
    record = records[0]
    assert record.title == (
        "Trends in the lifetime risk of developing cancer in Great Britain: comparison of risk "
        "for those born from 1930 to 1960"
    )
    assert record.abstract == "test abstract"
    assert record.authors == ("Ahmad, AS", "Ormiston-Smith, N", "Sasieni, PD")
    assert record.year == 2015
    assert record.journal == "Br J Cancer"
    assert record.pages == "943-947"
    assert record.doi == "10.1038/bjc.2014.606"
    assert record.pmid == "25647015"  # no database named, but the url is its PubMed page
    assert record.url == "http://www.ncbi.nlm.nih.gov/pubmed/25647015"
    assert record.keywords[-1] == "Sex Characteristics"
    assert record.line == 4


def test_isi_accession_becomes_wos_id():
    records, _ = parse(read("JabRef+jabref__EndnoteXmlImporterTestArticle2.xml"))
    assert [r.other_ids for r in records] == [
        {"wos": "WOS:000200148800007"},
        {"wos": "WOS:000200148800014"},
    ]
    assert [r.url for r in records] == ["", ""]  # "<Go to ISI>://..." is not a link
    assert records[0].title == (
        "An ecological basis for reforestation of submariginal lands in the Central Hardwood Region"
    )
    assert records[1].publication_type == "Book"
    assert [r.line for r in records] == [4, 93]


def test_inline_record_fields():
    records, warnings = parse(library(record_xml()))
    record = records[0]
    assert record.title == "A title"
    assert record.journal == "Journal of Tests"
    assert record.authors == ("Smith, Jane", "Doe, A.")
    assert record.pages == "101-109"
    assert record.keywords == ("alpha", "beta")  # CR-separated inside one keyword
    assert record.doi == "10.1000/abc.1"
    assert record.pmid == "123456"
    assert record.url == "https://example.org/a"
    assert warnings == []


def test_several_style_runs_in_one_field():
    title = (
        '<style face="normal" font="default" size="100%">Effect of </style>'
        '<style face="italic" font="default" size="100%">Staphylococcus aureus</style>'
        '<style face="normal" font="default" size="100%"> on &amp; off</style>'
    )
    text = library(record_xml().replace(STYLE.format("A title"), title))
    records, _ = parse(text)
    assert records[0].title == "Effect of Staphylococcus aureus on & off"


def test_accession_kinds():
    records, _ = parse(
        library(
            record_xml(db="Embase", accession="L2004567"),
            record_xml(db="PsycINFO", accession="2020-12345-001"),
            record_xml(db="", accession="999", url="https://pubmed.ncbi.nlm.nih.gov/999/"),
        )
    )
    assert [(r.pmid, r.other_ids) for r in records] == [
        ("", {"embase": "L2004567"}),
        ("", {"accession": "2020-12345-001"}),
        ("999", {}),
    ]


def test_missing_title_and_odd_year_are_warnings():
    records, _ = parse(library(record_xml(title="", abstract="", year="in press")))
    assert records[0].warnings == ("year 'in press' not understood", "no title", "no abstract")


def test_bom_crlf_and_cr_line_ends():
    text = library(record_xml(), record_xml(title="Second")).replace("><record>", ">\n<record>")
    for variant in ("\ufeff" + text, text.replace("\n", "\r\n"), text.replace("\n", "\r")):
        records, _ = parse(variant)
        assert [(r.title, r.line) for r in records] == [("A title", 2), ("Second", 3)]


def test_many_records_stream_quickly():
    text = library(*(record_xml(title=f"T{n}") for n in range(5000)))
    started = time.perf_counter()
    records, _ = parse(text)
    assert len(records) == 5000
    assert records[-1].title == "T4999"
    assert time.perf_counter() - started < 10


def test_truncated_file_is_refused():
    text = read("IEBH+RefLib__SpiderCite_demo.xml")
    with pytest.raises(ParseError, match="truncated") as error:
        parse(text[: len(text) // 2])
    assert error.value.line == 1


def test_entities_are_refused():
    text = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e "x">]><xml><records>&e;</records></xml>'
    with pytest.raises(ParseError, match="entities"):
        parse(text)


def test_empty_library_and_other_xml_are_refused():
    with pytest.raises(ParseError, match="no EndNote records"):
        parse("<xml><records></records></xml>")
    with pytest.raises(ParseError, match="not EndNote XML"):
        parse("<PubmedArticleSet></PubmedArticleSet>")


@pytest.mark.parametrize(
    "name, count, without_abstract",
    [
        ("IEBH+RefLib__Dump-Converted_test.xml", 25, 6),
        ("IEBH+RefLib__SpiderCite_demo.xml", 10, 0),
        ("JabRef+jabref__EndnoteXmlImporterTestArticle.xml", 1, 0),
        ("JabRef+jabref__EndnoteXmlImporterTestArticle2.xml", 2, 2),
    ],
)
def test_sample_record_counts(name, count, without_abstract):
    records, _ = parse(read(name))
    assert (len(records), sum(not r.abstract for r in records)) == (count, without_abstract)
    assert endnote_xml.looks_like(read(name)[:65536])


@pytest.mark.parametrize(
    "head",
    [
        '<?xml version="1.0"?><PubmedArticleSet><PubmedArticle>',
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"><records>',
        "<xml><data></data></xml>",
        "@article{key,\n title={<xml><records>}}",
        "",
    ],
)
def test_looks_like_refuses_other_text(head):
    assert not endnote_xml.looks_like(head)


def test_empty_self_closing_record_is_still_a_record():
    records, _ = parse(library(record_xml(), "<record/>"))
    assert [(r.position, r.raw["xml"]) for r in records][1] == (2, "<record/>")
    assert records[1].warnings == ("no title", "no abstract")
