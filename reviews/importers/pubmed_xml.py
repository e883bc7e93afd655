"""PubMed XML (format `pubmed-xml`): efetch output and "Save as XML" from pubmed.ncbi.nlm.nih.gov.

Handled:
- <PubmedArticleSet> of <PubmedArticle>, <PubmedBookArticleSet> of <PubmedBookArticle>
  (NCBI Bookshelf), a mix of both, and a single <PubmedArticle> as the document root;
- the efetch DOCTYPE (a PUBLIC id and a URL, no internal subset): accepted, never fetched;
  entity declarations and external entities are refused (defusedxml) with ParseError;
- mixed content (<i>, <sup>, <b>...) inside titles and abstracts;
- structured abstracts (<AbstractText Label="METHODS">) joined as "METHODS: ..." the way
  PubMed's own MEDLINE export writes them;
- DOI from ArticleIdList, else ELocationID; PMC id; MeSH descriptors; keywords;
  PubDate Year or MedlineDate ("1998 Dec-1999 Jan"); abbreviated page ranges ("113-25").

Records stream out as the parser completes them, so large files do not build one big tree.
`iter_elements` is the shared defused streaming helper (EndNote XML uses it too).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from .base import ParsedRecord, ParseError
from .normalize import clean, expand_pages, normalize_doi, normalize_pmid, parse_year

FORMAT = "pubmed-xml"

RECORD_TAGS = frozenset({"PubmedArticle", "PubmedBookArticle"})
_ROOT_TAGS = ("PubmedArticleSet", "PubmedBookArticleSet", "PubmedArticle", "PubmedBookArticle")

# The first element after the XML declaration, comments and a DOCTYPE (with or without an
# internal subset): enough to tell one XML vocabulary from another.
_ROOT = re.compile(
    r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<\?.*?\?>\s*)*"
    r"(?:<!DOCTYPE\s+(?P<doctype>[\w:.-]+)(?:[^\[>]*)(?:\[.*?\])?\s*>\s*)?"
    r"(?:<!--.*?-->\s*|<\?.*?\?>\s*)*<(?P<root>[\w:.-]+)",
    re.S,
)
_FEED_SIZE = 1 << 20


def root_element_name(text_head: str) -> str:
    """Name of the document element (or of the DOCTYPE when the head stops before it)."""
    match = _ROOT.match(text_head.lstrip("\ufeff"))
    if not match:
        return ""
    return match.group("root") or ""


def looks_like(text_head: str) -> bool:
    return root_element_name(text_head) in _ROOT_TAGS


class _RecordCollector(ET.TreeBuilder):
    """Tree builder that hands out each record element as soon as it is closed.

    With each element comes its start line and its text exactly as the file has it (for
    ParsedRecord.raw; re-serialising the element would cost a third of the parse time).
    A finished record is detached from its parent so memory stays flat on big files.
    """

    def __init__(self, text: str, record_tags: frozenset[str]):
        super().__init__()
        self.text = text
        self.record_tags = record_tags
        names = "|".join(sorted(record_tags))
        self.start_tag = re.compile(rf"<(?:{names})(?=[\s/>])")
        self.scanned = 0  # where to look for the next record's start tag in `text`
        self.expat = None  # set once the parser exists, for line numbers
        self.stack: list[ET.Element] = []
        self.depth_in_record = 0
        self.line = 0
        self.offset = -1
        self.done: list[tuple[ET.Element, int, str]] = []

    def start(self, tag, attrs):
        elem = super().start(tag, attrs)
        self.stack.append(elem)
        if self.depth_in_record:
            self.depth_in_record += 1
        elif tag in self.record_tags:
            self.depth_in_record = 1
            self.line = self.expat.CurrentLineNumber
            match = self.start_tag.search(self.text, self.scanned)
            self.offset = match.start() if match else -1
            if match:
                self.scanned = match.end()
        return elem

    def end(self, tag):
        elem = super().end(tag)
        self.stack.pop()
        if self.depth_in_record:
            self.depth_in_record -= 1
            if not self.depth_in_record:
                self.done.append((elem, self.line, self._source(tag)))
                parent = self.stack[-1] if self.stack else None
                if parent is not None and len(parent) and parent[-1] is elem:
                    del parent[-1]
        return elem

    def _source(self, tag: str) -> str:
        close_tag = f"</{tag}>"
        close = self.text.find(close_tag, self.offset) if self.offset >= 0 else -1
        if close < 0:
            return ""  # e.g. <record/>: the caller serialises the element instead
        self.scanned = max(self.scanned, close + len(close_tag))
        return self.text[self.offset : close + len(close_tag)]


def iter_elements(text: str, record_tags: frozenset[str]) -> Iterator[tuple[ET.Element, int, str]]:
    """(element, 1-based start line, its XML text) per top-most element named in `record_tags`.

    XML is parsed with defusedxml: a plain DOCTYPE is allowed (and never fetched), entity
    declarations and external entities raise ParseError, as does malformed or truncated XML.
    """
    # A stray BOM or blank lines before "<?xml" would make expat refuse the file.
    stripped = text.lstrip("\ufeff \t\r\n")
    skipped_lines = text[: len(text) - len(stripped)].count("\n")
    collector = _RecordCollector(stripped, record_tags)
    parser = DefusedXMLParser(target=collector)
    collector.expat = parser.parser
    try:
        for start in range(0, len(stripped), _FEED_SIZE):
            parser.feed(stripped[start : start + _FEED_SIZE])
            done, collector.done = collector.done, []
            for elem, line, source in done:
                yield elem, line + skipped_lines, source or serialise(elem)
        parser.close()
    except DefusedXmlException as exc:
        raise ParseError(
            f"the XML declares entities or external references, refused for safety ({exc})",
            expected="XML without <!ENTITY> declarations",
        ) from None
    except ET.ParseError as exc:
        line = exc.position[0] + skipped_lines if exc.position else None
        message = str(exc).split(": line")[0]
        if message.startswith("no element found") or message.startswith("unclosed token"):
            message = f"the XML ends before it is complete, the file looks truncated ({message})"
        else:
            message = f"not well-formed XML ({message})"
        raise ParseError(message, line=line) from None
    for elem, line, source in collector.done:
        yield elem, line + skipped_lines, source or serialise(elem)


def element_text(elem: ET.Element | None) -> str:
    """All text inside an element, markup such as <i> or <sup> dropped, white space collapsed."""
    if elem is None:
        return ""
    return clean("".join(elem.itertext()))


def serialise(elem: ET.Element) -> str:
    elem.tail = None
    return ET.tostring(elem, encoding="unicode")


def _abstract(abstract: ET.Element | None) -> str:
    if abstract is None:
        return ""
    parts = []
    for part in abstract.iter("AbstractText"):
        text = element_text(part)
        label = clean(part.get("Label"))
        if label and text:
            parts.append(f"{label}: {text}")
        elif text:
            parts.append(text)
    return " ".join(parts)


def _authors(author_list: ET.Element | None) -> list[str]:
    if author_list is None:
        return []
    names = []
    for author in author_list.iter("Author"):
        if author.get("ValidYN") == "N":
            continue
        collective = element_text(author.find("CollectiveName"))
        last = element_text(author.find("LastName"))
        first = element_text(author.find("ForeName")) or element_text(author.find("Initials"))
        suffix = element_text(author.find("Suffix"))
        if last:
            name = f"{last}, {first}" if first else last
            names.append(f"{name} {suffix}" if suffix else name)
        elif collective:
            names.append(collective)
    return names


def _year(date: ET.Element | None) -> tuple[int | None, str]:
    """Year from a <PubDate>-like element, and the text it was read from."""
    if date is None:
        return None, ""
    text = clean(date.findtext("Year")) or clean(date.findtext("MedlineDate"))
    return parse_year(text), text


def _article_ids(container: ET.Element | None, ids: dict[str, str]) -> None:
    if container is None:
        return
    for article_id in container.iter("ArticleId"):
        kind = (article_id.get("IdType") or "").lower()
        value = clean(article_id.text)
        if value and kind not in ids:
            ids[kind] = value


def _pages(pagination: ET.Element | None) -> str:
    if pagination is None:
        return ""
    start = clean(pagination.findtext("StartPage"))
    if start:
        return expand_pages(start, pagination.findtext("EndPage") or "")
    return expand_pages(pagination.findtext("MedlinePgn") or "")


def _elocation_doi(parent: ET.Element | None) -> str:
    if parent is None:
        return ""
    for location in parent.iter("ELocationID"):
        if (location.get("EIdType") or "").lower() == "doi":
            return normalize_doi(location.text)
    return ""


def _keywords(parent: ET.Element) -> tuple[str, ...]:
    return tuple(
        text
        for keyword_list in parent.iter("KeywordList")
        for keyword in keyword_list.iter("Keyword")
        if (text := element_text(keyword))
    )


def _publication_types(parent: ET.Element | None) -> str:
    if parent is None:
        return ""
    return "; ".join(
        text for node in parent.iter("PublicationType") if (text := element_text(node))
    )


def _article_record(elem: ET.Element, position: int, line: int, source: str) -> ParsedRecord:
    warnings: list[str] = []
    citation = elem.find("MedlineCitation")
    if citation is None:
        citation = ET.Element("MedlineCitation")
        warnings.append("no MedlineCitation element")
    article = citation.find("Article")
    if article is None:
        article = ET.Element("Article")
    journal = article.find("Journal")
    if journal is None:
        journal = ET.Element("Journal")
    issue = journal.find("JournalIssue")

    ids: dict[str, str] = {}
    _article_ids(elem.find("PubmedData"), ids)
    pmid = normalize_pmid(citation.findtext("PMID")) or normalize_pmid(ids.get("pubmed"))
    doi = normalize_doi(ids.get("doi")) or _elocation_doi(article)

    title = element_text(article.find("ArticleTitle")) or element_text(
        article.find("VernacularTitle")
    )
    year, year_text = _year(issue.find("PubDate") if issue is not None else None)
    if year is None:
        year, _ = _year(article.find("ArticleDate"))
    if year is None and year_text:
        warnings.append(f"year '{year_text}' not understood")

    other_ids = {}
    if ids.get("pmc"):
        other_ids["pmcid"] = ids["pmc"]
    mesh = tuple(
        text
        for heading in citation.iter("MeshHeading")
        if (text := element_text(heading.find("DescriptorName")))
    )
    return _finish(
        warnings,
        position=position,
        line=line,
        title=title,
        abstract=_abstract(article.find("Abstract")),
        authors=tuple(_authors(article.find("AuthorList"))),
        year=year,
        journal=element_text(journal.find("Title"))
        or element_text(journal.find("ISOAbbreviation")),
        volume=element_text(issue.find("Volume")) if issue is not None else "",
        issue=element_text(issue.find("Issue")) if issue is not None else "",
        pages=_pages(article.find("Pagination")),
        doi=doi,
        pmid=pmid,
        other_ids=other_ids,
        keywords=_keywords(citation),
        mesh_terms=mesh,
        language=element_text(article.find("Language")),
        publication_type=_publication_types(article.find("PublicationTypeList")),
        raw={"xml": source},
    )


def _book_record(elem: ET.Element, position: int, line: int, source: str) -> ParsedRecord:
    warnings: list[str] = []
    document = elem.find("BookDocument")
    if document is None:
        document = ET.Element("BookDocument")
        warnings.append("no BookDocument element")
    book = document.find("Book")
    if book is None:
        book = ET.Element("Book")

    ids: dict[str, str] = {}
    _article_ids(document.find("ArticleIdList"), ids)
    _article_ids(elem.find("PubmedBookData"), ids)
    pmid = normalize_pmid(document.findtext("PMID")) or normalize_pmid(ids.get("pubmed"))
    doi = normalize_doi(ids.get("doi")) or _elocation_doi(document)

    # A chapter has its own ArticleTitle inside the book; a whole book has only BookTitle.
    book_title = element_text(book.find("BookTitle"))
    title = element_text(document.find("ArticleTitle")) or book_title
    year, year_text = _year(book.find("PubDate"))
    if year is None and year_text:
        warnings.append(f"year '{year_text}' not understood")

    authors = _authors(document.find("AuthorList")) or _authors(book.find("AuthorList"))
    other_ids = {}
    if ids.get("pmc"):
        other_ids["pmcid"] = ids["pmc"]
    if ids.get("bookaccession"):
        other_ids["accession"] = ids["bookaccession"]
    return _finish(
        warnings,
        position=position,
        line=line,
        title=title,
        abstract=_abstract(document.find("Abstract")),
        authors=tuple(authors),
        year=year,
        journal=book_title if title != book_title else "",
        volume=element_text(book.find("Volume")),
        pages=_pages(document.find("Pagination")),
        doi=doi,
        pmid=pmid,
        other_ids=other_ids,
        keywords=_keywords(document),
        language=element_text(document.find("Language")),
        publication_type=_publication_types(document),
        raw={"xml": source},
    )


def _finish(warnings: list[str], **fields) -> ParsedRecord:
    if not fields["title"]:
        warnings.append("no title")
    if not fields["abstract"]:
        warnings.append("no abstract")
    return ParsedRecord(warnings=tuple(warnings), **fields)


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    root = root_element_name(text[:65536])
    if root and root not in _ROOT_TAGS:
        raise ParseError(
            f"the XML document element is <{root}>, not PubMed XML",
            expected="<PubmedArticleSet>, <PubmedBookArticleSet> or <PubmedArticle>",
        )
    position = 0
    for elem, line, source in iter_elements(text, RECORD_TAGS):
        position += 1
        if elem.tag == "PubmedBookArticle":
            yield _book_record(elem, position, line, source)
        else:
            yield _article_record(elem, position, line, source)
    if not position:
        raise ParseError(
            "no PubMed records in the file", expected="<PubmedArticle> or <PubmedBookArticle>"
        )
