"""ProQuest plain text ('Text only' export, 'Report Information from ProQuest'), format `proquest`.

What ProQuest platforms (Dissertations & Theses, ABI/INFORM, PsycINFO, ERIC, MEDLINE...) save
when people choose text as the export format. The file is sections between rules of
underscores: a header ('Report Information from ProQuest' and the date), a 'Table of
contents' (one numbered title per document, not records), one section per document starting
'Document N of M', and optionally a 'Bibliography' (the same documents in a citation style,
BibTeX for instance) and a footer ('Contact us at: ...').

A document is its heading (the title alone on a line, then 'Author:', the document link, the
'Abstract:') and its details, one 'Label: value' line each, with blank lines between. Values
are not wrapped; the abstract or full text of a document may hold several paragraphs, which
are unlabelled lines after it; 'Links:' is followed by further link lines. Quirks handled:

- BOM; CRLF, LF and bare CR, also mixed in one file (the bibliography is LF where the rest
  is CRLF);
- titles holding ': ' on the heading line, which is never read as a label;
- a label repeated in one document (the heading's 'Author:' again in the details, several
  'Author:' lines): every value kept in raw, authors read once each;
- 'Abstract: None available.' is no abstract;
- a row of underscores inside a full text does not end the document;
- 'Document N of M' counters: a number missing from 1..M, a document given twice, or more
  documents than M is a file-level warning.

Fields: Title (else the heading line); Author, split at ';'; Abstract; Publication title;
Volume, Issue, Pages (else First page); year from Publication year, else Publication date,
Year, Degree date, Publication info; DOI; PubMed ID; ProQuest document ID as
other_ids['proquest']; keywords from Subject, Identifier / keyword and Classification (codes
dropped); MeSH subject; Language (of publication); Document type (else Source type);
Document URL (else the heading's link). raw holds every label with its values, the heading
lines ('_heading'), unlabelled link lines ('_links') and the document's counter
('_document').
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .normalize import (
    clean,
    expand_pages,
    normalize_doi,
    normalize_pmid,
    number_ranges,
    parse_year,
)

FORMAT = "proquest"

_LINE_END = re.compile(r"\r\n|\r|\n")
_RULE = re.compile(r"_{10,}")
_DOCUMENT = re.compile(r"Document (\d{1,7}) of (\d{1,7})")
# 'Label: value' (or 'Label:' alone): a capitalised label of up to 60 characters, no colon.
_LABEL = re.compile(r"([A-Z][A-Za-z0-9 /&'(),.\-]{0,59}?):(?: (.*)|\s*)")
_URL = re.compile(r"https?://\S+")
# A classification code before its name: '0402: Philosophy of Science', '3120 Personality'.
_CLASS_CODE = re.compile(r"^\d{2,6}(?:\.\d+)?(?::\s*|\s+)(?=\D)")
_AFFILIATION_MARK = re.compile(r"(?:\s+\d{1,2}(?:\s*,\s*\d{1,2})*)+\s*$")

# Labels ProQuest writes (English interface). A known label always starts a field; another
# 'Something: ...' line does too, except inside a prose field, where it is a paragraph
# ('Results: ...' in an abstract, a speaker in a transcript).
_KNOWN = frozenset(
    {
        "Abstract",
        "Accession number",
        "Advisor",
        "Affiliation",
        "Age group",
        "Alternate title",
        "Author",
        "Author affiliation",
        "Author e-mail address",
        "Availability",
        "Classification",
        "CODEN",
        "Coden",
        "Committee member",
        "Company / organization",
        "Conference",
        "Conference date",
        "Conference location",
        "Conference title",
        "Copyright",
        "Corporate author",
        "Country of publication",
        "Credit",
        "Database",
        "Degree",
        "Degree date",
        "Department",
        "Dissertation/thesis number",
        "DOI",
        "Document feature",
        "Document type",
        "Document URL",
        "e-ISBN",
        "e-ISSN",
        "eISSN",
        "Edition",
        "Editor",
        "First available",
        "First page",
        "Full text",
        "Full Text",
        "Funding",
        "Grant information",
        "Identifier / keyword",
        "Illustration",
        "ISBN",
        "ISSN",
        "Issue",
        "Journal subject",
        "Language",
        "Language of publication",
        "Last updated",
        "Links",
        "Location",
        "Lower age",
        "Major MeSH subject",
        "MeSH subject",
        "Methodology",
        "Notes",
        "Number of pages",
        "Number of references",
        "Peer reviewed",
        "People",
        "Place of publication",
        "Population",
        "ProQuest document ID",
        "PubMed ID",
        "Publication date",
        "Publication history",
        "Publication info",
        "Publication subject",
        "Publication title",
        "Publication year",
        "Publisher",
        "Record type",
        "References",
        "School",
        "School code",
        "School location",
        "Section",
        "Series",
        "Source",
        "Source attribution",
        "Source type",
        "Sponsor",
        "Subject",
        "Substance",
        "Supplemental data",
        "Tests and measures",
        "Title",
        "Translated abstract",
        "University location",
        "University/institution",
        "Update",
        "Upper age",
        "Volume",
        "Year",
    }
)
# Fields whose value may run over several paragraphs.
_PROSE = frozenset({"Abstract", "Translated abstract", "Full text", "Full Text", "Notes"})
# Fields whose further lines are further values (one link each).
_LINE_LISTS = frozenset({"Links"})
# Labels that may follow the heading title directly (the title line is not read as a label).
_AFTER_HEADING = frozenset(
    {"Author", "Abstract", "Publication info", "Full text", "Full Text", "Links", "Title"}
)
# Link lines of the heading that stand for the document link.
_LINK_LINES = frozenset({"ProQuest document link"})
# What ProQuest writes where a document has no abstract.
_NO_ABSTRACT = frozenset({"none available.", "none available", "not available."})
# ProQuest's broad subject categories with a comma in them, which start 'Identifier / keyword'
# lists that are joined with ', '.
_COMMA_CATEGORIES = ("Philosophy, religion and theology", "Language, literature and linguistics")
# Section headings outside the documents.
_HEADER = "Report Information from ProQuest"
_CONTENTS = "Table of contents"
_BIBLIOGRAPHY = "Bibliography"
_FOOTER = ("Contact us at:", "Copyright ©", "Terms and Conditions:")


def looks_like(text_head: str) -> bool:
    """The report header, or 'Document N of M' lines with 'ProQuest document ID:' labels."""
    head = text_head.lstrip("\ufeff")
    lines = [line.strip() for line in _LINE_END.split(head[:2000])]
    if _HEADER in [line for line in lines if line and not _RULE.fullmatch(line)][:3]:
        return True
    return bool(
        re.search(r"^Document \d{1,7} of \d{1,7}\s*$", head, re.M)
        and re.search(r"^ProQuest document ID: ?\S", head, re.M)
    )


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ParseError("the file is empty", line=1, expected="a ProQuest text export")
    position = 0
    counters: list[tuple[int, int]] = []
    unknown_lines = 0
    for block in _blocks(_LINE_END.split(text)):
        if isinstance(block, int):
            unknown_lines += block
            continue
        position += 1
        counters.append((block.number, block.total))
        yield block.record(position)
    if not position:
        raise ParseError(
            "no ProQuest documents found",
            line=1,
            expected="documents starting 'Document 1 of N' with 'Label: value' lines",
        )
    if unknown_lines:
        warnings.append(f"{unknown_lines} line(s) outside any document were not understood")
    warnings.extend(_count_warnings(counters))


class _Document:
    """The lines of one document, sorted into the heading and labelled fields."""

    __slots__ = ("number", "total", "line", "heading", "links", "fields", "current")

    def __init__(self, number: int, total: int, line: int):
        self.number, self.total, self.line = number, total, line
        self.heading: list[str] = []
        self.links: list[str] = []
        # label -> values; a value is a list of paragraphs until the record is built.
        self.fields: dict[str, list[list[str]]] = {}
        self.current = ""  # the label whose value the next unlabelled line continues

    def add(self, line: str) -> None:
        """One non-blank line of the document, stripped."""
        match = _LABEL.fullmatch(line)
        if match and self._starts_field(match.group(1)):
            label = match.group(1)
            self.current = label
            self.fields.setdefault(label, []).append([match.group(2) or ""])
            return
        if not self.current:
            self.heading.append(line)
        elif self.current in _LINE_LISTS:
            self.fields[self.current].append([line])
        elif (_URL.fullmatch(line) or line in _LINK_LINES) and self.current not in _PROSE:
            self.links.append(line)  # the heading's document link, after 'Author:'
        else:
            paragraphs = self.fields[self.current][-1]
            if paragraphs == [""]:
                paragraphs[0] = line  # 'Abstract:' alone, the text on the next line
            else:
                paragraphs.append(line)

    def _starts_field(self, label: str) -> bool:
        if not self.current and not self.heading:
            # The first line is the title, even when it holds ': '.
            return label in _AFTER_HEADING
        if label in _KNOWN:
            return True
        return self.current not in _PROSE

    def value(self, label: str) -> str:
        """The first non-empty value of a label ('' if none), paragraphs joined by newlines."""
        for paragraphs in self.fields.get(label, ()):
            value = "\n".join(paragraphs).strip()
            if value:
                return value
        return ""

    def values(self, label: str) -> list[str]:
        return [
            value
            for paragraphs in self.fields.get(label, ())
            if (value := "\n".join(paragraphs).strip())
        ]

    def record(self, position: int) -> ParsedRecord:
        notes: list[str] = []
        value = self.value

        title = clean(value("Title")) or (clean(self.heading[0]) if self.heading else "")
        if not title:
            notes.append("no title")
        abstract = value("Abstract")
        if abstract.lower() in _NO_ABSTRACT:
            abstract = ""
        if not abstract:
            notes.append("no abstract")

        authors: list[str] = []
        for line in self.values("Author"):
            for part in line.split(";"):
                name = clean(_AFFILIATION_MARK.sub("", part))
                if name and name not in authors:
                    authors.append(name)

        year = None
        dates = [
            date
            for label in ("Publication year", "Publication date", "Year", "Degree date")
            if (date := value(label))
        ]
        for date in dates:
            year = parse_year(date)
            if year:
                break
        if year is None:
            year = parse_year(value("Publication info"))
        if year is None:
            notes.append(f"year {dates[0]!r} not understood" if dates else "no year")

        document_id = clean(value("ProQuest document ID"))
        urls = [value("Document URL"), *self.links]
        url = next((link for link in urls if link.startswith(("http://", "https://"))), "")

        keywords: list[str] = []
        seen: set[str] = set()
        for label, strip_code in (
            ("Subject", False),
            ("Identifier / keyword", False),
            ("Classification", True),
        ):
            for line in self.values(label):
                for term in _split_terms(line):
                    if strip_code:
                        term = _CLASS_CODE.sub("", term)
                    if term and term.lower() not in seen:
                        seen.add(term.lower())
                        keywords.append(term)
        mesh = [
            term
            for label in ("MeSH subject", "Major MeSH subject")
            for line in self.values(label)
            for term in _split_terms(line, commas=False)
        ]

        return ParsedRecord(
            position=position,
            line=self.line,
            title=title,
            abstract=abstract,
            authors=tuple(authors),
            year=year,
            journal=clean(value("Publication title")),
            volume=clean(value("Volume")),
            issue=clean(value("Issue")),
            pages=expand_pages(value("Pages") or value("First page")),
            doi=normalize_doi(value("DOI")),
            pmid=normalize_pmid(value("PubMed ID")),
            other_ids={"proquest": document_id} if document_id else {},
            keywords=tuple(keywords),
            mesh_terms=tuple(dict.fromkeys(mesh)),
            language=clean(value("Language") or value("Language of publication")),
            url=url,
            publication_type=clean(value("Document type") or value("Source type")),
            raw=self.raw(),
            warnings=tuple(notes),
        )

    def raw(self) -> dict[str, list[str]]:
        raw: dict[str, list[str]] = {"_document": [f"Document {self.number} of {self.total}"]}
        if self.heading:
            raw["_heading"] = list(self.heading)
        if self.links:
            raw["_links"] = list(self.links)
        for label, values in self.fields.items():
            raw[label] = ["\n".join(paragraphs) for paragraphs in values]
        return raw


def _split_terms(line: str, *, commas: bool = True) -> list[str]:
    """'a; b' -> [a, b]; a list with no ';' is split at ',' (ProQuest joins some that way),
    except inside ProQuest's subject categories that hold a comma."""
    if ";" in line or not commas:
        return [term for part in line.split(";") if (term := clean(part))]
    for category in _COMMA_CATEGORIES:
        line = line.replace(category, category.replace(",", "\x00"))
    return [term.replace("\x00", ",") for part in line.split(",") if (term := clean(part))]


def _blocks(lines: list[str]) -> Iterator[_Document | int]:
    """Each document in the file, and counts of lines outside documents not understood.

    Sections are separated by rules of underscores. A rule inside a document whose next line
    starts no known section is part of the document (a full text can hold one).
    """
    document: _Document | None = None
    section = ""  # outside documents: "header", "contents", "bibliography", "footer", "unknown"
    after_rule = False
    unknown = 0
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.strip()
        if not line:
            continue
        if _RULE.fullmatch(line):
            after_rule = True
            continue
        counter = _DOCUMENT.fullmatch(line)
        if counter and (section != "bibliography" or after_rule):
            if document is not None:
                yield document
            document = _Document(int(counter.group(1)), int(counter.group(2)), number)
            after_rule = False
            section = ""
            continue
        if document is None or after_rule:
            heading = _section(line)
            if heading:
                if document is not None:
                    yield document
                    document = None
                section = heading
                after_rule = False
                continue
            if after_rule:
                after_rule = False
                if document is not None:
                    document.add("_" * 60)  # the rule was inside the document's text
                else:
                    section = "unknown"
        if document is not None:
            document.add(line)
        elif section in ("", "unknown"):
            unknown += 1
    if document is not None:
        yield document
    if unknown:
        yield unknown


def _section(line: str) -> str:
    if line == _HEADER:
        return "header"
    if line == _CONTENTS:
        return "contents"
    if line == _BIBLIOGRAPHY:
        return "bibliography"
    if line.startswith(_FOOTER):
        return "footer"
    return ""


def _count_warnings(counters: list[tuple[int, int]]) -> list[str]:
    """Warnings for documents missing from, or repeated in, the file's 'Document N of M'."""
    warnings = []
    totals = sorted({total for _number, total in counters})
    if len(totals) > 1:
        warnings.append(
            "The documents are numbered out of different totals ("
            + ", ".join(str(total) for total in totals)
            + "): the file may join several exports."
        )
    for total in totals:
        numbers = Counter(number for number, of in counters if of == total)
        held = sum(numbers.values())
        missing = [n for n in range(1, total + 1) if n not in numbers]
        repeated = sorted(n for n, times in numbers.items() if times > 1)
        beyond = sorted(n for n in numbers if not 1 <= n <= total)
        announced = f"The file announces {total} documents (Document N of {total}) but holds {held}"
        if missing:
            which = (
                f"document {missing[0]} is missing"
                if len(missing) == 1
                else f"documents {number_ranges(missing)} are missing"
            )
            warnings.append(f"{announced}: {which}.")
        elif held != total:
            warnings.append(f"{announced}.")
        if repeated:
            warnings.append(f"Document numbers given twice: {number_ranges(repeated)}.")
        if beyond:
            warnings.append(f"Document numbers outside 1-{total}: {number_ranges(beyond)}.")
    return warnings
