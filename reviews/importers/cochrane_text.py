"""The Cochrane Library's plain-text export (format `cochrane-text`): CENTRAL trials and
Cochrane Reviews saved as "Plain text".

Each record starts with a counter line 'Record #N of M', then one 'XX: value' line a field:
ID (CENTRAL 'CN-...' or a review's 'CD...'), AU (one author a line), TI, SO (journal), YR,
VL, NO (issue), PG, XR (other databases' ids: 'PUBMED 31234567; EMBASE 626...'), PT, KY
(keywords, ';'-separated), DOI, AB, US (the record's address), and others kept in raw.
Untagged lines continue the value above (a wrapped abstract). Handled: CRLF, LF, bare CR and
a BOM; counters that skip a number or repeat one (a file-level warning).
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

FORMAT = "cochrane-text"

_LINE_END = re.compile(r"\r\n|\r|\n")
_RECORD_LINE = re.compile(r"\s*Record #(\d{1,7}) of (\d{1,7})\s*")
_TAG_LINE = re.compile(r"([A-Z]{2,3}):(?: (.*)|\s*)")
# 'PUBMED 31234567', 'EMBASE 626453627' in XR.
_CROSS_REFERENCE = re.compile(r"\b(PUBMED|EMBASE)\s+(\w+)", re.I)
_KEYWORD_SPLIT = re.compile(r"\s*;\s*")


def looks_like(text_head: str) -> bool:
    """A 'Record #N of M' line first, and 'ID:', 'AU:' or 'TI:' lines after it (the RIS and
    BibTeX exports of the Cochrane Library have the counter too, with their own tags)."""
    lines = [line for line in _LINE_END.split(text_head.lstrip("\ufeff"))[:40] if line.strip()]
    if not lines or not _RECORD_LINE.fullmatch(lines[0]):
        return False
    tags = [m.group(1) for line in lines[1:6] if (m := _TAG_LINE.fullmatch(line.rstrip()))]
    return bool(set(tags) & {"ID", "AU", "TI"})


def _raw_records(text: str) -> Iterator[tuple[int, int, int, dict[str, list[str]]]]:
    """(first line, N, M, {tag: [values]}) per record."""
    raw: dict[str, list[str]] = {}
    start = number = total = 0
    values: list[str] | None = None
    for line_no, line in enumerate(_LINE_END.split(text.removeprefix("\ufeff")), start=1):
        counter = _RECORD_LINE.fullmatch(line)
        if counter:
            if start:
                yield start, number, total, raw
            raw, values = {}, None
            start, number, total = line_no, int(counter.group(1)), int(counter.group(2))
            continue
        if not start:
            continue  # text before the first record
        tagged = _TAG_LINE.fullmatch(line.rstrip())
        if tagged:
            values = raw.setdefault(tagged.group(1), [])
            values.append((tagged.group(2) or "").strip())
            continue
        if line.strip() and values is not None:
            values[-1] = f"{values[-1]}\n{line.strip()}" if values[-1] else line.strip()
    if start:
        yield start, number, total, raw


def _first(raw: dict[str, list[str]], tag: str) -> str:
    return next((value for value in raw.get(tag, ()) if value), "")


def _record(position: int, line: int, raw: dict[str, list[str]]) -> ParsedRecord:
    notes: list[str] = []
    title = clean(_first(raw, "TI"))
    if not title:
        notes.append("no title")
    abstract = "\n".join(clean(part) for part in _first(raw, "AB").split("\n"))
    if not abstract:
        notes.append("no abstract")
    year_text = _first(raw, "YR")
    year = parse_year(year_text)
    if year is None:
        notes.append(f"year {year_text!r} not understood" if year_text else "no year")
    pmid, other_ids = "", {}
    record_id = _first(raw, "ID")
    if record_id:
        other_ids["central" if record_id.upper().startswith("CN-") else "accession"] = record_id
    for value in raw.get("XR", ()):
        for database, identifier in _CROSS_REFERENCE.findall(value):
            if database.upper() == "PUBMED" and not pmid:
                pmid = normalize_pmid(identifier)
            elif database.upper() == "EMBASE":
                other_ids.setdefault("embase", identifier)
    keywords = tuple(
        keyword
        for value in raw.get("KY", ())
        for keyword in (clean(part) for part in _KEYWORD_SPLIT.split(value))
        if keyword
    )
    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=tuple(clean(author) for author in raw.get("AU", ()) if clean(author)),
        year=year,
        journal=clean(_first(raw, "SO")),
        volume=clean(_first(raw, "VL")),
        issue=clean(_first(raw, "NO")),
        pages=expand_pages(_first(raw, "PG")),
        doi=normalize_doi(_first(raw, "DOI")),
        pmid=pmid,
        other_ids=other_ids,
        keywords=keywords,
        url=clean(_first(raw, "US")),
        publication_type=clean(_first(raw, "PT")),
        raw=raw,
        warnings=tuple(notes),
    )


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    numbers: Counter[int] = Counter()
    totals: set[int] = set()
    position = 0
    for line, number, total, raw in _raw_records(text):
        position += 1
        numbers[number] += 1
        totals.add(total)
        yield _record(position, line, raw)
    if not position:
        raise ParseError(
            "no records found", line=1, expected="records starting with 'Record #1 of N'"
        )
    if len(totals) == 1:
        (total,) = totals
        missing = [n for n in range(1, total + 1) if n not in numbers]
        if missing:
            warnings.append(
                f"The file announces {total} records (Record #N of {total}) but holds "
                f"{position}: record(s) {number_ranges(missing)} missing."
            )
    repeated = sorted(n for n, times in numbers.items() if times > 1)
    if repeated:
        warnings.append(f"Record numbers given twice: {number_ranges(repeated)}.")
