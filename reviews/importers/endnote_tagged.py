"""EndNote tagged / refer format (format `endnote-tagged`): "%0 Journal Article", "%T title"...

Lines are "%X value" with a one-character tag; untagged lines continue the previous value.
Records are separated by blank lines, and a second %0 also starts a new record. Handled:
- records that do not begin with %0, or have no %0 at all (AIS eLibrary exports begin the
  first record with %T and leave %0 out of most of them);
- %J journal, else %B (secondary title, where AIS puts the journal or conference);
- %M accession number: a PMID when numeric and the record came from PubMed/MEDLINE
  (%~ / %W name the database) or links to PubMed; otherwise other_ids["accession"];
- %R DOI, %K keywords one per line, %D year else %8 date; CRLF, bare CR and a BOM.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .normalize import clean, expand_pages, normalize_doi, parse_year

FORMAT = "endnote-tagged"

# "%X value": the tag characters EndNote uses.
_TAG_LINE = re.compile(r"%([0-9A-Z@!#$&()*+<>?\[\]^~=|])(?: (.*)|)$")
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINK = re.compile(r"(?:https?|ftp)://", re.I)
_PUBMED_SOURCE = re.compile(r"pubmed|medline|\bNLM\b", re.I)
_PUBMED_LINK = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)")
_WOS_ACCESSION = re.compile(r"^(?:ISI|WOS):\s*(\w+)$", re.I)
_KEYWORD_SPLIT = re.compile(r"[\n;]")


def looks_like(text_head: str) -> bool:
    lines = [line for line in _LINE_END.split(text_head.lstrip("\ufeff"))[:60] if line.strip()]
    if not lines or not _TAG_LINE.match(lines[0]):
        return False
    tags = {match.group(1) for line in lines if (match := _TAG_LINE.match(line))}
    return len(tags) >= 2 and bool(tags & {"0", "T", "A"})


def _raw_records(text: str) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """(first line, {tag: [values]}) per record; a value's own line breaks are kept."""
    record: dict[str, list[str]] = {}
    start = 0
    last_tag = ""
    blank_since_tag = False
    for number, line in enumerate(_LINE_END.split(text.removeprefix("\ufeff")), start=1):
        match = _TAG_LINE.match(line)
        if match is None:
            if not line.strip():
                blank_since_tag = True
            elif last_tag:
                # An untagged line continues the value above (wrapped abstract, keyword list,
                # a paragraph after a blank line): the record goes on.
                values = record[last_tag]
                values[-1] = f"{values[-1]}\n{line}" if values[-1] else line
                blank_since_tag = False
            continue
        tag, value = match.group(1), match.group(2) or ""
        if record and (blank_since_tag or (tag == "0" and "0" in record)):
            yield start, record
            record = {}
        if not record:
            start = number
        record.setdefault(tag, []).append(value)
        last_tag = tag
        blank_since_tag = False
    if record:
        yield start, record


def _first(raw: dict[str, list[str]], *tags: str) -> str:
    for tag in tags:
        for value in raw.get(tag, ()):
            if text := clean(value):
                return text
    return ""


def _ids(raw: dict[str, list[str]], links: list[str]) -> tuple[str, dict[str, str]]:
    accession = _first(raw, "M")
    source = f"{_first(raw, '~')} {_first(raw, 'W')}"
    link = next((match for url in links if (match := _PUBMED_LINK.search(url))), None)
    linked_pmid = link.group(1) if link else ""
    if not accession:
        return linked_pmid, {}
    if accession.isdigit() and (_PUBMED_SOURCE.search(source) or linked_pmid == accession):
        return accession, {}
    if wos := _WOS_ACCESSION.match(accession):
        return linked_pmid, {"wos": f"WOS:{wos.group(1)}"}
    if "embase" in source.lower():
        return linked_pmid, {"embase": accession}
    return linked_pmid, {"accession": accession}


def _record(position: int, line: int, raw: dict[str, list[str]]) -> ParsedRecord:
    warnings: list[str] = []
    title = _first(raw, "T")
    abstract = _first(raw, "X")
    year_text = _first(raw, "D") or _first(raw, "8")
    year = parse_year(year_text) or parse_year(_first(raw, "8"))
    if year is None and year_text:
        warnings.append(f"year '{year_text}' not understood")
    links = [
        text for value in raw.get("U", ()) for part in value.split("\n") if (text := clean(part))
    ]
    url = next((link for link in links if _LINK.match(link)), "")
    pmid, other_ids = _ids(raw, links)
    keywords = [
        text
        for value in raw.get("K", ())
        for part in _KEYWORD_SPLIT.split(value)
        if (text := clean(part))
    ]
    if not title:
        warnings.append("no title")
    if not abstract:
        warnings.append("no abstract")
    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=tuple(text for value in raw.get("A", ()) if (text := clean(value))),
        year=year,
        journal=_first(raw, "J", "B"),
        volume=_first(raw, "V"),
        issue=_first(raw, "N"),
        pages=expand_pages(_first(raw, "P")),
        doi=normalize_doi(_first(raw, "R")),
        pmid=pmid,
        other_ids=other_ids,
        keywords=tuple(dict.fromkeys(keywords)),
        language=_first(raw, "G"),
        url=url,
        publication_type=_first(raw, "0"),
        raw={f"%{tag}": values for tag, values in raw.items()},
        warnings=tuple(warnings),
    )


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    position = 0
    for line, raw in _raw_records(text):
        position += 1
        yield _record(position, line, raw)
    if not position:
        raise ParseError(
            "no EndNote tagged records in the file", expected="lines such as '%0 Journal Article'"
        )
