"""BibTeX (reviews/importers/bibtex.py).

Only the CoLRev Web of Science file may be copied (MIT); the vendor quirks of the other
samples (Scopus, Cochrane, Zotero, Rayyan: GPL or CC-BY-SA) are rebuilt here by hand.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from reviews.importers import bibtex
from reviews.importers.base import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "bibtex"

SCOPUS = """\ufeffScopus
EXPORT DATE: 01 January 2024

@ARTICLE{Smith2020101,
\tauthor = {Smith, Jane and M{\\"u}ller, Karl and Gonz\\'alez, Mar\\'{\\i}a},
\ttitle = {A study of caf\\'e culture \\& {RNA} in {\\it vivo}},
\tyear = {2020},
\tjournal = {Journal of Tests},
\tvolume = {15},
\tnumber = {2},
\tpages = {79 \u2013 88},
\tdoi = {10.1000/ABC.1},
\turl = {https://www.scopus.com/inward/record.uri?eid=2-s2.0-85000000001&doi=10.1000},
\tabstract = {Background: 50% of patients were seen. Results: more.},
\tauthor_keywords = {alpha; beta},
\tkeywords = {Humans; Adult},
\tpmid = {31234567},
\tlanguage = {English},
\ttype = {Article},
\tsource = {Scopus},
\tnote = {Cited by: 3}
}
"""

WOS = """\ufeff
@article{ WOS:000000000000001,
Author = {Doe, Anna and Roe, Richard},
Title = {{A double-braced
   title wrapped over lines}},
Journal = {{JOURNAL OF TESTS}},
Year = {{2021}},
Pages = {{1-10}},
Abstract = {{First sentence of a
   wrapped abstract.}},
Keywords = {{one; two}},
Keywords-Plus = {{THREE}},
Early Access Date = {{NOV 2021}},
Unique-ID = {{WOS:000000000000001}},
}
"""

COCHRANE = (
    "Record #1 of 2\r\n"
    "@article{Smith16,\r\n"
    "author = {Smith, SR, Newton, K, Hill, JA, and Jones, J},\r\n"
    "title = {Dressings for wounds},\r\n"
    "journal = {Cochrane Database of Systematic Reviews},\r\n"
    "number = {8},\r\n"
    "year = {2016},\r\n"
    "publisher = {John Wiley & Sons, Ltd},\r\n"
    "abstract = {Abstract - Background Text.},\r\n"
    "DOI = {10.1002/14651858.CD000001.pub2},\r\n"
    "keywords = {*Bandages; Abscess [*surgery]; Humans},\r\n"
    "URL = {http://dx.doi.org/10.1002/14651858.CD000001.pub2}\r\n"
    "}\r\n"
    "Record #2 of 2\r\n"
    "@article{Smith16,\r\n"
    "author = {Lee, P, and Kim, A},\r\n"
    "title = {Second review with the same key},\r\n"
    "year = {2017},\r\n"
    "abstract = {Text.}\r\n"
    "}\r\n"
)

ZOTERO = """
@article{akl_evidence_2020,
\ttitle = {Evidence synthesis: a test},
\tshorttitle = {Evidence synthesis},
\turl = {https://example.org/article},
\tdoi = {10.1000/xyz.2},
\tlanguage = {en},
\turldate = {2020-03-05},
\tjournal = {Journal of Tests},
\tauthor = {Akl, Elie A. and Roe, Richard},
\tmonth = mar,
\tyear = {2020},
\tpages = {S0895435600000000}
}
"""

RAYYAN = """@article{12345678,
  title={Bone findings in a case series.},
  year={1991},
  month={1},
  journal={Journal of tests},
  volume={15},
  number={1},
  pages={17-9},
  author={Kutty, M and Marwah, S and Kutty, M K},
  keywords={Humans, Male, Female},
  abstract={A prospective study.},
  note={ RAYYAN-INCLUSION: {"Pat"=>false} | RAYYAN-EXCLUSION-REASONS: wrong study design},
  url={https://www.ncbi.nlm.nih.gov/pubmed/12345678},
  language={eng}
}
"""


@pytest.fixture(autouse=True)
def _quiet_bibtexparser():
    # bibtexparser logs each block it cannot read; the parser reports them itself.
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def read(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(bibtex.parse(text, warnings)), warnings


def test_web_of_science_file_matches():
    records, warnings = parse(read("CoLRev-Environment+colrev__web_of_science_bib.bib"))
    assert len(records) == 2
    first, second = records
    assert first.title == "Inproceedings Title"
    assert first.abstract == ""
    assert first.authors == ("Writerone, Julia", "Writertwo, Paul")
    assert first.year == 2017
    assert first.doi == "10.1007/999-9-999-99999-9_3"  # "\_" decoded
    assert first.pmid == ""
    assert first.journal == "A BOOKTITLE"
    assert first.other_ids == {"wos": "WOS:000223334444221"}
    assert first.publication_type == "inproceedings"
    assert first.line == 3  # after the BOM line and a blank line
    assert first.warnings == ("no abstract",)
    assert second.title == "A dummy title&apos;s"
    assert (second.volume, second.issue, second.pages) == ("22", "3", "111-188")
    assert second.raw["ID"] == "WOS:000444488888888"
    assert second.raw["month"] == "MAR 1"
    assert warnings == []


def test_scopus_export():
    records, warnings = parse(SCOPUS)
    record = records[0]
    assert record.title == "A study of café culture & RNA in vivo"
    assert record.authors == ("Smith, Jane", "Müller, Karl", "González, María")
    assert record.abstract == "Background: 50% of patients were seen. Results: more."
    assert record.year == 2020
    assert record.pages == "79-88"
    assert record.doi == "10.1000/abc.1"
    assert record.pmid == "31234567"
    assert record.other_ids == {"scopus": "2-s2.0-85000000001"}
    assert record.keywords == ("alpha", "beta", "Humans", "Adult")
    assert record.publication_type == "Article"
    assert record.language == "English"
    assert record.line == 4
    assert record.raw["ENTRYTYPE"] == "article"
    assert record.raw["note"] == "Cited by: 3"
    assert warnings == []


def test_web_of_science_double_braces_and_wrapping():
    records, _ = parse(WOS)
    record = records[0]
    assert record.title == "A double-braced title wrapped over lines"
    assert record.abstract == "First sentence of a wrapped abstract."
    assert record.journal == "JOURNAL OF TESTS"
    assert record.year == 2021
    assert record.keywords == ("one", "two", "THREE")
    assert record.other_ids == {"wos": "WOS:000000000000001"}
    assert record.raw["early access date"] == "{NOV 2021}"


def test_cochrane_comma_separated_authors_and_duplicate_keys():
    records, _ = parse(COCHRANE)
    assert len(records) == 2
    first, second = records
    assert first.authors == ("Smith, SR", "Newton, K", "Hill, JA", "Jones, J")
    assert first.doi == "10.1002/14651858.cd000001.pub2"
    assert first.issue == "8"
    assert first.keywords == ("*Bandages", "Abscess [*surgery]", "Humans")
    assert second.authors == ("Lee, P", "Kim, A")
    assert [r.line for r in records] == [2, 15]


def test_zotero_month_macro_and_urldate():
    records, _ = parse(ZOTERO)
    record = records[0]
    assert record.raw["month"] == "mar"
    assert record.raw["urldate"] == "2020-03-05"
    assert record.authors == ("Akl, Elie A.", "Roe, Richard")
    assert record.pages == "S0895435600000000"
    assert record.url == "https://example.org/article"
    assert record.language == "en"


def test_rayyan_notes_and_pubmed_link():
    records, _ = parse(RAYYAN)
    record = records[0]
    assert record.pmid == "12345678"
    assert record.pages == "17-19"
    assert record.keywords == ("Humans", "Male", "Female")
    assert "RAYYAN-EXCLUSION-REASONS: wrong study design" in record.raw["note"]


def test_first_last_names_and_corporate_authors():
    text = "@misc{k, author = {Donald E. Knuth and Jean de la Fontaine and {World Health "
    text += "Organization} and others}, title = {T}}"
    records, _ = parse(text)
    assert records[0].authors == (
        "Knuth, Donald E.",
        "de la Fontaine, Jean",
        "World Health Organization",
    )


def test_string_macros_and_concatenation():
    text = '@string{jt = "Journal of Tests"}\n@article{k, journal = jt # " (Online)", title={T}}\n'
    records, _ = parse(text)
    assert records[0].journal == "Journal of Tests (Online)"


@pytest.mark.parametrize(
    "latex, text",
    [
        ('{\\\'e}t{\\"u}de \\& M\\"uller', "étüde & Müller"),
        ("Fran\\c cois \\v{S}koda Stra\\ss e", "François Škoda Straße"),
        ("\\textit{in vivo} \\emph{and} \\textbf{x}", "in vivo and x"),
        ("50% of \\& patients", "50% of & patients"),
        ("\\{kept\\} braces {dropped}", "{kept} braces dropped"),
        ("$\\alpha$-helix \\unknown{x}", "$\\alpha$-helix x"),
    ],
)
def test_latex_to_unicode(latex, text):
    assert bibtex.latex_to_text(latex) == text


def test_comments_strings_and_preambles_are_not_records():
    text = (
        '% Encoding: UTF-8\n@comment{jabref-meta: x;}\n@preamble{"\\newcommand{x}{y}"}\n'
        '@string{a = "b"}\n@article{one, title={One}}\n@Comment{trailing}\n'
    )
    records, warnings = parse(text)
    assert [r.title for r in records] == ["One"]
    assert warnings == []


def test_broken_entry_is_kept_with_a_warning():
    text = (
        "@article{a, title={One}, year={2001}}\n"
        "@article{b,\n title = {Missing brace,\n year={2002}\n"
        "@article{c, title = {Three}}\n"
    )
    records, _ = parse(text)
    assert [(r.position, r.raw["ID"], r.line) for r in records] == [
        (1, "a", 1),
        (2, "b", 2),
        (3, "c", 5),
    ]
    assert records[1].warnings[0] == (
        "entry could not be read completely (a brace or quote is not closed before the next entry)"
    )


def test_duplicate_field_is_kept_with_a_warning():
    records, _ = parse("@article{a, title={One}, note={x}, note={y}}")
    assert records[0].raw["note"] == ["x", "y"]
    assert records[0].warnings[0] == "field given twice: note"


def test_bare_cr_line_ends():
    records, _ = parse("@article{x, title={CR}, year={1999}}\r@article{y,\rtitle={CR2}}\r")
    assert [(r.title, r.line) for r in records] == [("CR", 1), ("CR2", 2)]


@pytest.mark.parametrize("text", ["", "\ufeff", "just some text\nno entries", "@comment{x}"])
def test_no_entries_is_refused(text):
    with pytest.raises(ParseError, match="no BibTeX entries"):
        parse(text)


def test_quick_reader_agrees_with_bibtexparser():
    # Entries are read with a quick path; bibtexparser's splitter is the reference.
    texts = [
        read("CoLRev-Environment+colrev__web_of_science_bib.bib"),
        SCOPUS,
        WOS,
        COCHRANE,
        ZOTERO,
        RAYYAN,
        '@article{x, title = "a {b} c", year=1,}\n@article{y, title = "a {b"c} d"}\n',
        "junk @misc{q, title={mid}} more\n@article{x, title={a}} after@x{y}\n",
        '@article(paren, title={p})\n@article{x, t = {a \\{ b}, u = "q\\"r"}\n',
        "@article{key}\n@article{\nk2, title={t}}\n@article{k3, title = {a} junk, b=c}\n",
    ]
    for text in texts:
        text = bibtex._normalise_line_ends(text)
        quick = [(b.kind, b.line, b.entry_type, b.key, b.fields) for b in bibtex._blocks(text)]
        reference = [
            (b.kind, b.line, b.entry_type, b.key, b.fields) for b in bibtex._library_blocks(text)
        ]
        assert quick == reference


def test_many_entries_parse_quickly():
    text = SCOPUS * 2000
    started = time.perf_counter()
    records, _ = parse(text)
    assert len(records) == 2000
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    "head",
    [
        SCOPUS,
        WOS,
        COCHRANE,
        ZOTERO,
        RAYYAN,
        "% Encoding: UTF-8\n\n@Article{k,\n  title = {x},\n}",
    ],
)
def test_looks_like_bibtex(head):
    assert bibtex.looks_like(head)


@pytest.mark.parametrize(
    "head",
    [
        "TY  - JOUR\nTI  - @article{x,\nER  - ",
        "@comment{only a comment}\n@string{a = b}",
        "Contact me@example.org{x, y}",
        "<xml><records><record>@article{x,</record></records></xml>",
        "%0 Journal Article\n%T Title",
        "",
    ],
)
def test_looks_like_refuses_other_text(head):
    assert not bibtex.looks_like(head)
