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

Records stream out as the parser completes them, so large files do not build one big tree;
raw["xml"] is each record's text exactly as the file has it. `iter_elements` is the shared
defused streaming reader (EndNote XML uses it too).
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
    r"(?:<!DOCTYPE\s+[\w:.-]+[^\[>]*(?:\[.*?\])?\s*>\s*)?"
    r"(?:<!--.*?-->\s*|<\?.*?\?>\s*)*<(?P<root>[\w:.-]+)",
    re.S,
)
_FEED_SIZE = 1 << 20


def root_element_name(text_head: str) -> str:
    """Name of the document element, '' when the text does not start like XML."""
    match = _ROOT.match(text_head.lstrip("\ufeff"))
    if not match:
        return ""
    return match.group("root") or ""


def looks_like(text_head: str) -> bool:
    return root_element_name(text_head) in _ROOT_TAGS


class _RootCatcher:
    """Stands in as the parser's target for the first start tag only, to keep the root."""

    def __init__(self, parser: DefusedXMLParser, builder: ET.TreeBuilder):
        self.parser = parser
        self.builder = builder
        self.root: ET.Element | None = None

    def start(self, tag, attrs):
        self.root = self.builder.start(tag, attrs)
        self.parser.target = self.builder  # from here on the C tree builder works alone
        return self.root


class _Sources:
    """Finds each record in the text itself: its first line and its XML exactly as written.

    Records are found in document order; comments, CDATA and processing instructions are
    skipped, and '<' cannot occur anywhere else but in markup, so the scan stays in step with
    the parser.
    """

    def __init__(self, text: str, record_tags: frozenset[str], first_line: int):
        names = "|".join(sorted(record_tags))
        self.start_tag = re.compile(
            rf"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(?:{names})(?=[\s/>])", re.S
        )
        self.text = text
        self.scanned = 0
        self.counted = 0
        self.line = first_line
        self.bare_cr = "\r" in text

    def next(self, tag: str) -> tuple[int | None, str]:
        text = self.text
        match = self.start_tag.search(text, self.scanned)
        while match and match.group().startswith(("<!", "<?")):
            match = self.start_tag.search(text, match.end())
        if match is None:
            return None, ""
        start = match.start()
        self.line += text.count("\n", self.counted, start)
        if self.bare_cr:  # expat counts a lone CR as a line end too
            self.line += text.count("\r", self.counted, start)
            self.line -= text.count("\r\n", self.counted, start)
        self.counted = start
        tag_end = text.find(">", match.end())
        if tag_end > 0 and text[tag_end - 1] == "/":
            self.scanned = tag_end + 1
            return self.line, text[start : tag_end + 1]
        close = text.find(f"</{tag}>", tag_end)
        if close < 0:
            self.scanned = match.end()
            return self.line, ""
        self.scanned = close + len(tag) + 3
        return self.line, text[start : self.scanned]


def _records_container(root: ET.Element, record_tags: frozenset[str]) -> ET.Element | None:
    """The element whose children are the records: the root, or one level down (EndNote)."""
    for parent in (root, *root):
        if any(child.tag in record_tags for child in parent):
            return parent
    return None


def iter_elements(
    text: str, record_tags: frozenset[str]
) -> Iterator[tuple[ET.Element, int | None, str]]:
    """(element, 1-based start line, its XML as written) per record, as soon as it is complete.

    Records are the children named in `record_tags` of the root (or of one child of the root,
    as in EndNote's <xml><records>), or the root itself. Each is detached once handed out,
    so memory stays flat on big files.

    XML is parsed with defusedxml: a plain DOCTYPE is allowed (and never fetched), entity
    declarations and external entities raise ParseError, as does malformed or truncated XML.
    """
    # A stray BOM or blank lines before "<?xml" would make expat refuse the file.
    stripped = text.lstrip("\ufeff \t\r\n")
    skipped = text[: len(text) - len(stripped)]
    skipped_lines = skipped.count("\n") + skipped.count("\r") - skipped.count("\r\n")
    builder = ET.TreeBuilder()
    parser = DefusedXMLParser(target=builder)
    catcher = _RootCatcher(parser, builder)
    parser.target = catcher
    sources = _Sources(stripped, record_tags, skipped_lines + 1)
    container = None
    try:
        for start in range(0, len(stripped), _FEED_SIZE):
            parser.feed(stripped[start : start + _FEED_SIZE])
            if container is None and catcher.root is not None:
                container = _records_container(catcher.root, record_tags)
            if container is not None and len(container) > 1:
                # Every child but the last is closed: a later sibling has begun.
                done = container[:-1]
                del container[:-1]
                for elem in done:
                    if elem.tag in record_tags:
                        yield elem, *_source(sources, elem)
        root = parser.close()
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
    if container is None:
        container = _records_container(root, record_tags)
    # No container: the root itself may be the one record (a lone <PubmedArticle>).
    for elem in list(container) if container is not None else [root]:
        if elem.tag in record_tags:
            yield elem, *_source(sources, elem)


def _source(sources: _Sources, elem: ET.Element) -> tuple[int | None, str]:
    line, source = sources.next(elem.tag)
    return line, source or serialise(elem)


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
    """The article's own ids: the ArticleIdList directly under `container` (or `container`
    itself), never those of the works in its ReferenceList."""
    if container is None:
        return
    if container.tag != "ArticleIdList":
        container = container.find("ArticleIdList")
        if container is None:
            return
    for article_id in container.findall("ArticleId"):
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
