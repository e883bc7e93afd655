"""Web of Science plain text ("Other file formats > Plain text"), format `wos`.

A file is 'FN <producer>' and 'VR 1.0', then records from 'PT' to 'ER', then 'EF'. Each
line is a two-letter tag, one space, a value; a line indented by spaces continues the tag
above it. For author and address tags (AU, AF, C1, CR...) each line is one more value; for
text tags (TI, AB, SO, DE, ID...) the lines are one value wrapped at about 70 characters.

Vendor quirks handled:
- the header names vary: 'FN Clarivate Analytics Web of Science', 'FN Thomson Reuters Web
  of Science' (with a stray trademark sign), 'FN Thomson Reuters Web of Knowledge',
  'FN ISI Export Format'; it may be missing; the file may start with a BOM;
- the same format is saved as .txt, .ciw, .isi and even .ris;
- Zoological Record via WoS: ZOOR accession numbers ('UT ZOOREC:ZOOR...'), pages in PS,
  e-mail addresses inside AU values ('Stillman, Andrew N. (a@b.edu)');
- MEDLINE via WoS: TI before AU, all authors on one AU line separated by '; ', pages in PS,
  the PMID only in 'UT MEDLINE:<pmid>';
- very long AU/AF lists (thousands of authors): one pass over the lines, no regex per line
  beyond a slice.

The record builder (record_from_tags) is shared with the tab-delimited reader (wos_tab).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .normalize import normalize_doi, normalize_pmid, parse_year

FORMAT = "wos"

# Tags whose continuation lines are further values rather than wrapped text.
LINE_TAGS = frozenset({"AU", "AF", "BA", "BF", "BE", "CA", "GP", "ED", "CR", "C1", "C3"})

# Tags that hold a list separated by ';' (wrapped text in plain text, one cell in tab files).
LIST_TAGS = frozenset({"DE", "ID", "MH"})

_LINE_END = re.compile(r"\r\n|\r|\n")
_FIRST_RECORD = re.compile(r"PT [A-Z]\s*$", re.M)
_END_RECORD = re.compile(r"^ER\s*$", re.M)
_EMAIL_IN_NAME = re.compile(r"\s*\([^()]*@[^()]*\)")
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})


def squash(value: str | None) -> str:
    """normalize.clean, faster: str.split is C code where clean's regex is slow on abstracts."""
    return " ".join(value.split()) if value else ""


def looks_like(text_head: str) -> bool:
    """WoS plain text starts 'FN ' (a header line) or 'PT J' with ER lines further on."""
    head = text_head.lstrip("\ufeff \t\r\n")
    if head.startswith("FN ") and ("\nPT " in head or "\nVR " in head[:300]):
        return True
    return bool(_FIRST_RECORD.match(head) and _END_RECORD.search(head))


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ParseError("the file is empty", expected="Web of Science plain text (FN ... ER)")
    lines = _LINE_END.split(text)
    position = 0
    tags: dict[str, list[str]] | None = None
    start = 0
    current = ""
    unknown_lines = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line[0] in " \t":
            if tags is None or not current:
                unknown_lines += 1
                continue
            tags[current].append(line.strip())
            continue
        tag = line[:2]
        rest = line[3:] if len(line) > 2 and line[2] == " " else None
        if not (tag.isalnum() and tag.isupper() and (rest is not None or len(line.rstrip()) == 2)):
            # Not a tag line: a record-level oddity, never a reason to refuse the file.
            if tags is not None:
                tags.setdefault("_unparsed", []).append(line.strip())
            else:
                unknown_lines += 1
            continue
        if tag in ("ER", "EF") or (tag == "PT" and tags is not None and "PT" in tags):
            if tags is not None:
                # EF or a new PT before ER: the record is still yielded, with a warning.
                missing = () if tag == "ER" else ("no ER line at the end",)
                position += 1
                yield record_from_tags(tags, position=position, line=start, extra_warnings=missing)
                tags = None
                current = ""
            if tag != "PT":
                continue
        if tags is None:
            if tag in ("FN", "VR", "EF"):
                continue
            tags = {}
            start = number
        current = tag
        value = (rest or "").strip()
        values = tags.get(tag)
        if values is None:
            tags[tag] = [value]
        elif tag in LINE_TAGS:
            values.append(value)
        else:
            # A tag given twice in one record: keep both, as separate text.
            values.append("\x00" + value)
    if tags is not None:
        position += 1
        yield record_from_tags(
            tags, position=position, line=start, extra_warnings=("no ER line at the end",)
        )
    if unknown_lines:
        warnings.append(f"{unknown_lines} line(s) outside any record were not understood")
    if position == 0:
        raise ParseError(
            "no Web of Science records found",
            line=1,
            expected="records starting 'PT J' and ending 'ER'",
        )


def _text(values: list[str] | None) -> str:
    """Wrapped lines of one tag as one value; a repeated tag ('\\x00' marks it) kept apart."""
    if not values:
        return ""
    return squash(" ".join(values).replace("\x00", " "))


def _raw(tags: dict[str, list[str]]) -> dict[str, list[str]]:
    raw = {}
    for tag, values in tags.items():
        if tag in LINE_TAGS or tag == "_unparsed":
            raw[tag] = list(values)
        else:
            joined = " ".join(values)
            raw[tag] = [squash(part) for part in joined.split("\x00")]
    return raw


def _names(values: list[str] | None) -> tuple[str, ...]:
    """One author per line; MEDLINE-via-WoS puts them all on one line, '; ' between."""
    names = []
    for value in values or ():
        for name in value.split(";"):
            if "@" in name:
                name = _EMAIL_IN_NAME.sub("", name)
            name = squash(name)
            if name:
                names.append(name)
    return tuple(names)


def split_list(value: str) -> list[str]:
    return [part for part in (squash(item) for item in value.split(";")) if part]


def record_from_tags(
    tags: dict[str, list[str]],
    *,
    position: int,
    line: int | None,
    raw: dict | None = None,
    extra_warnings: tuple[str, ...] = (),
) -> ParsedRecord:
    """A ParsedRecord from {tag: [lines]} (plain text) or {tag: [cell]} (tab-delimited)."""
    notes = list(extra_warnings)
    title = _text(tags.get("TI"))
    if not title:
        notes.append("no title")
    abstract = _text(tags.get("AB"))
    if not abstract:
        notes.append("no abstract")
    authors = _names(tags.get("AF")) or _names(tags.get("AU"))
    if not authors:
        authors = _names(tags.get("CA")) or _names(tags.get("GP"))

    year = None
    year_text = _text(tags.get("PY"))
    for source in (year_text, _text(tags.get("PD")), _text(tags.get("EA"))):
        year = parse_year(source)
        if year:
            break
    if year_text and not parse_year(year_text):
        notes.append(f"year {year_text!r} not understood")
    elif not year:
        notes.append("no year")

    first, last = _text(tags.get("BP")), _text(tags.get("EP"))
    if first and last and first != last:
        pages = f"{first}-{last}"
    else:
        pages = first or _text(tags.get("PS")).translate(_DASHES) or _text(tags.get("AR"))

    ut = _text(tags.get("UT"))
    other_ids = {"wos": ut} if ut else {}
    pmid = normalize_pmid(_text(tags.get("PM")))
    if not pmid and ut.upper().startswith("MEDLINE:"):
        pmid = normalize_pmid(ut[8:])
    accession = _text(tags.get("AN"))
    if accession and accession != ut.partition(":")[2]:
        other_ids["accession"] = accession

    keywords = []
    for tag in ("DE", "ID", "BD"):
        for word in split_list(_text(tags.get(tag))):
            if word not in keywords:
                keywords.append(word)

    url = _text(tags.get("UR"))
    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=authors,
        year=year,
        journal=_text(tags.get("SO")),
        volume=_text(tags.get("VL")),
        issue=_text(tags.get("IS")),
        pages=pages,
        doi=normalize_doi(_text(tags.get("DI"))),
        pmid=pmid,
        other_ids=other_ids,
        keywords=tuple(keywords),
        mesh_terms=tuple(split_list(_text(tags.get("MH")))),
        language=_text(tags.get("LA")),
        url=url if url.startswith(("http://", "https://")) else "",
        publication_type=_text(tags.get("DT")),
        raw=raw if raw is not None else _raw(tags),
        warnings=tuple(notes),
    )
