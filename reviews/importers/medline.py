"""PubMed MEDLINE tagged format (.nbib, 'MEDLINE' download, PMC's MEDLARS output).

Each line is a tag padded to four characters, '- ' and the value ('PMID- 30922926',
'TI  - ...'); wrapped values continue on lines indented by six spaces; records are separated
by blank lines. Quirks handled:

- Files starting with blank lines, BOM, CRLF / LF / bare CR, trailing spaces on wrapped lines
  (wrapped lines are joined with one space).
- PMC's MEDLARS output, whose records start with 'PMC - ' rather than 'PMID- '.
- An empty 'AB  - ' followed by 'OAB - Publisher: Abstract available from the publisher.':
  OAB is another abstract or a note, so it stays in `raw` only.
- Old files with the DA (date created) tag; DP is the year's first source, then DEP, DA, EDAT.
- Two records with no blank line between them: a second PMID (or PMC) starts a new record.

Fields: PMID; TI (BTI for books); AB; FAU full names (AU initials when FAU is missing);
JT full journal name (TA abbreviation in raw); VI, IP, PG ('466-75' -> '466-475'); DOI from
LID/AID '... [doi]'; PMC -> other_ids pmcid; MH -> mesh_terms as given; OT -> keywords; LA;
PT joined with '; '.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .normalize import expand_pages, normalize_doi, normalize_pmid, parse_year
from .normalize import first_value as _first

FORMAT = "medline"

# A tag line: tag letters padded with spaces to four characters, then '-' (and a space
# unless the value is empty and trailing white space was trimmed).
_TAG = re.compile(r"[A-Z][A-Z0-9]{1,3} *")
# Tags only MEDLINE has (RIS tags are two characters), for looks_like.
_MEDLINE_ONLY = re.compile(r"^(?:PMID|PMC |OWN |STAT|FAU |DCOM|JID |EDAT|MHDA|CRDT|PST )- ", re.M)
_RIS_TYPE = re.compile(r"^TY  - ", re.M)
_YEAR_TAGS = ("DP", "DEP", "DA", "EDAT", "CRDT")
# A record's first tag; seen again with no blank line before it, it starts the next record.
_FIRST_TAGS = frozenset(("PMID", "PMC"))


def looks_like(text_head: str) -> bool:
    """The first tagged line is MEDLINE-shaped and a MEDLINE-only tag (PMID, OWN...) occurs."""
    text = text_head.lstrip("\ufeff")
    if _RIS_TYPE.search(text) or not _MEDLINE_ONLY.search(text):
        return False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            return _is_tag_line(line)
    return False


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    position = 0
    for line_no, raw in _raw_records(text):
        position += 1
        yield _record(position, line_no, raw)
    if not position:
        if not text.strip("\ufeff \t\r\n"):
            raise ParseError("the file is empty", line=1, expected="MEDLINE records")
        raise ParseError(
            "no MEDLINE records found", line=1, expected="tagged lines such as 'PMID- 12345678'"
        )


def _is_tag_line(line: str) -> bool:
    return (line[4:6] == "- " or line[4:] == "-") and bool(_TAG.fullmatch(line[:4]))


def _raw_records(text: str) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """(first line, {tag: [values]}) for each record; wrapped lines joined with a space."""
    if text[:1] == "\ufeff":
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Split at once: PubMed writes at most 10,000 records to a file.
    raw: dict[str, list[str]] = {}
    start_line = 0
    values: list[str] = [""]  # the values of the last tag, where wrapped lines go
    pending: list[str] | None = None  # wrapped lines not yet joined to values[-1]
    gap = False  # a blank line since the last tag: the next tag starts a new record
    known: dict[str, str] = {}  # 'AU  ' -> 'AU', 'x y ' -> '': the regex once per shape
    for line_no, line in enumerate(text.split("\n"), 1):
        if line[4:6] == "- " or line[4:] == "-":
            padded = line[:4]
            tag = known.get(padded)
            if tag is None:
                tag = known[padded] = padded.rstrip() if _TAG.fullmatch(padded) else ""
            if tag:
                if pending is not None:
                    values[-1] = " ".join(pending)
                    pending = None
                if raw and (gap or (tag in _FIRST_TAGS and tag in raw)):
                    yield start_line, raw
                    raw = {}
                if not raw:
                    start_line = line_no
                gap = False
                value = line[6:].strip()
                values = raw.get(tag)
                if values is None:
                    values = raw[tag] = [value]
                else:
                    values.append(value)
                continue
        value = line.strip()
        if not value:
            gap = True
        elif raw and not gap:
            # A wrapped line (six spaces of indent; anything else untagged is taken the same way).
            if pending is None:
                pending = [values[-1], value]
            else:
                pending.append(value)
    if pending is not None:
        values[-1] = " ".join(pending)
    if raw:
        yield start_line, raw


def _compact_year(value: str) -> int | None:
    """The year of a compact date such as '20151207', which parse_year does not take."""
    digits = value[:8]
    if len(digits) == 8 and digits.isdigit() and 1500 <= int(digits[:4]) <= 2099:
        return int(digits[:4])
    return None


def _record(position: int, line: int, raw: dict[str, list[str]]) -> ParsedRecord:
    notes: list[str] = []
    get = raw.get

    title = _first(raw, ("TI", "BTI"))
    if not title:
        notes.append("no title")
    abstract = _first(raw, ("AB",))
    if not abstract:
        notes.append("no abstract")

    full_names = [value for value in get("FAU", ()) if value]
    initials = [value for value in get("AU", ()) if value]
    authors = full_names if len(full_names) >= len(initials) else initials
    if not authors:
        authors = [value for value in get("CN", ()) if value]  # a group as the only author

    year = None
    dates = [value for tag in _YEAR_TAGS for value in get(tag, ()) if value]
    for value in dates:
        year = parse_year(value) or _compact_year(value)
        if year:
            break
    if year is None:
        notes.append(f"year '{dates[0]}' not understood" if dates else "no year")

    doi = ""
    for value in get("LID", []) + get("AID", []):
        if value.endswith("[doi]"):
            doi = normalize_doi(value[:-5])
            if doi:
                break
    pmc = _first(raw, ("PMC",))

    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=tuple(authors),
        year=year,
        journal=_first(raw, ("JT", "TA", "BTI")),  # BTI: the book of a chapter
        volume=_first(raw, ("VI",)),
        issue=_first(raw, ("IP",)),
        pages=expand_pages(_first(raw, ("PG",))),  # '466-75' -> '466-475'
        doi=doi,
        pmid=normalize_pmid(_first(raw, ("PMID",))),
        other_ids={"pmcid": pmc} if pmc else {},
        keywords=tuple(value for value in get("OT", ()) if value),
        mesh_terms=tuple(value for value in get("MH", ()) if value),
        language=_first(raw, ("LA",)),
        publication_type="; ".join(value for value in get("PT", ()) if value),
        raw=raw,
        warnings=tuple(notes),
    )
