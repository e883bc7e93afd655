"""EndNote XML (format `endnote-xml`): File > Export > XML from EndNote, and files in the same
shape written by other managers (Bookends, Papers).

Shape: <xml><records><record>...</record></records></xml>. Handled:
- whole files on one line (EndNote 20/21) and pretty-printed ones;
- <style face=... font=... size=...> wrappers around the text of every field, sometimes several
  per field (mixed formatting): the text is read with itertext;
- Bookends files whose <style> text carries indentation and "&#xA;" line breaks (collapsed);
- "&#xD;" separating several values inside one field (isbn, keywords, auth-address);
- accession numbers: a PMID when numeric and the record came from PubMed/MEDLINE (remote database
  name or provider, or a PubMed link); an Embase number for Embase; otherwise kept as
  other_ids["accession"].
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .normalize import clean, expand_pages, normalize_doi, parse_year
from .pubmed_xml import element_text, iter_elements, root_element_name

FORMAT = "endnote-xml"

RECORD_TAGS = frozenset({"record"})

# <xml> as the document element, then <records>: EndNote's own vocabulary.
_HEAD = re.compile(r"<xml>\s*<records[\s>]")
_PUBMED_SOURCE = re.compile(r"pubmed|medline|\bNLM\b", re.I)
_LINK = re.compile(r"(?:https?|ftp)://", re.I)
_WOS_ACCESSION = re.compile(r"^(?:ISI|WOS):\s*(\w+)$", re.I)
_PUBMED_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)")


def looks_like(text_head: str) -> bool:
    return root_element_name(text_head) == "xml" and bool(_HEAD.search(text_head))


def _text(record: ET.Element, path: str) -> str:
    return element_text(record.find(path))


def _texts(record: ET.Element, path: str) -> list[str]:
    """Every value at `path`; one element may hold several values separated by CR."""
    values = []
    for node in record.iterfind(path):
        for part in "".join(node.itertext()).split("\r"):
            if text := clean(part):
                values.append(text)
    return values


def _ids(record: ET.Element, url: str) -> tuple[str, dict[str, str]]:
    """(pmid, other_ids) from the accession number and where the record came from."""
    accession = _text(record, "accession-num")
    source = f"{_text(record, 'remote-database-name')} {_text(record, 'remote-database-provider')}"
    link = _PUBMED_URL.search(url)
    if not accession:
        return (link.group(1) if link else ""), {}
    if accession.isdigit() and (
        _PUBMED_SOURCE.search(source) or (link and link.group(1) == accession)
    ):
        return accession, {}
    if wos := _WOS_ACCESSION.match(accession):
        return "", {"wos": f"WOS:{wos.group(1)}"}
    if "embase" in source.lower():
        return "", {"embase": accession}
    return (link.group(1) if link else ""), {"accession": accession}


def _record(elem: ET.Element, position: int, line: int, source: str) -> ParsedRecord:
    warnings: list[str] = []
    title = _text(elem, "titles/title")
    abstract = _text(elem, "abstract")
    year_text = _text(elem, "dates/year")
    year = parse_year(year_text)
    if year is None:
        date_text = _text(elem, "dates/pub-dates/date")
        year = parse_year(date_text)
        year_text = year_text or date_text
    if year is None and year_text:
        warnings.append(f"year '{year_text}' not understood")
    # Web of Science writes "<Go to ISI>://000..." here; only real links are kept as the url.
    urls = _texts(elem, "urls/related-urls/url") + _texts(elem, "urls/web-urls/url")
    url = next((u for u in urls if _LINK.match(u)), "")
    pmid, other_ids = _ids(elem, url)
    ref_type = elem.find("ref-type")
    if not title:
        warnings.append("no title")
    if not abstract:
        warnings.append("no abstract")
    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=tuple(_texts(elem, "contributors/authors/author")),
        year=year,
        journal=_text(elem, "periodical/full-title") or _text(elem, "titles/secondary-title"),
        volume=_text(elem, "volume"),
        issue=_text(elem, "number") or _text(elem, "issue"),
        pages=expand_pages(_text(elem, "pages")),
        doi=normalize_doi(_text(elem, "electronic-resource-num")),
        pmid=pmid,
        other_ids=other_ids,
        keywords=tuple(_texts(elem, "keywords/keyword")),
        language=_text(elem, "language"),
        url=url,
        publication_type=clean(ref_type.get("name")) if ref_type is not None else "",
        raw={
            "xml": source,
            "remote-database-name": _text(elem, "remote-database-name"),
            "remote-database-provider": _text(elem, "remote-database-provider"),
        },
        warnings=tuple(warnings),
    )


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    root = root_element_name(text[:65536])
    if root and root != "xml":
        raise ParseError(
            f"the XML document element is <{root}>, not EndNote XML",
            expected="<xml><records><record>...",
        )
    position = 0
    for elem, line, source in iter_elements(text, RECORD_TAGS):
        position += 1
        yield _record(elem, position, line, source)
    if not position:
        raise ParseError("no EndNote records in the file", expected="<xml><records><record>...")
