"""RIS (Research Information Systems) tagged format, from any vendor.

A record runs from a 'TY  - ' line to an 'ER  - ' line; each line is a two-character tag,
two spaces, a hyphen, a space and the value. Lines without a tag continue the previous
tag's value (kept with a line break, so Rayyan and EndNote keyword lists stay one keyword a
line); lines outside records are skipped. Quirks handled:

- BOM (also a stray one mid-file from concatenated exports), CRLF, LF, bare CR and mixes of
  them (IEEE Xplore); bare CR inside values (Citavi) read as continuation lines.
- Ovid record-number lines ('6. '), Cochrane 'Record #3 of 18' / 'Provider:' / 'Content:'
  headers and APA PsycNET header lines outside records; Cochrane's 'TY  -  JOUR' extra space;
  PsycNET's four-letter 'PMID  - ' tag; records written 'TY - JOUR' with one space; 'ER' alone.
- Title TI/T1, abstract AB or N2 (Embase, EBSCOhost, Ovid), authors AU/A1, year PY/Y1/DA,
  journal T2 > JF > JO > J2 > JA, pages SP-EP or PG, volume VL or VO (IEEE).
- DOI from DO, then L3 (EBSCOhost bare DOI), M3 (PsycNET 'doi:...'), then a doi.org link.
- PMID from: 'PMID' tag; AN on PubMed-derived records (EndNote, Zotero: DP 'NLM', DB
  'PubMed', PubMed URL); Ovid MEDLINE ID or 'AN=' in its link; Embase C5; Scopus C2;
  Cochrane C3 'PUBMED n'; Dimensions U1 'n [PMID]'; a note line 'PMID: n'.
- Other ids: Embase U2 'L...' (and Cochrane C3 'EMBASE n'), WoS AN 'WOS:...', Cochrane AN
  'CN-...', Scopus EID from its link, PMCID (C2 'PMC...', U1 '[PMCID]'), else AN (ProQuest,
  Dimensions, Rayyan) or a database's ID as 'accession'.

rispy's RisParser reads the same line grammar but returns one list for the whole file, keeps
no line numbers and drops repeated single-valued tags, so records are read here by a
streaming loop (a generator, a few MB of lines at a time) that keeps every tag in `raw`;
rispy supplies the tag vocabulary and the reference-type names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from string import ascii_uppercase, digits

from rispy import TAG_KEY_MAPPING, TYPE_OF_REFERENCE_MAPPING

from .base import ParsedRecord, ParseError
from .normalize import expand_pages, normalize_doi, normalize_pmid, parse_year
from .normalize import first_value as _first

FORMAT = "ris"

# Lines are split a few million characters at a time: fast like str.split, without a list of
# every line of a 300 MB file in memory.
_CHUNK = 1 << 22

# Every well-formed two-character tag: a set lookup is cheaper than isupper()/isalpha().
_TAGS = frozenset(a + b for a in ascii_uppercase for b in ascii_uppercase + digits)
_BOUNDARY_TAGS = frozenset(("TY", "ER"))
# Tags accepted with a single space before the hyphen ('TY - JOUR', in a record that starts so).
_KNOWN_TAGS = frozenset(TAG_KEY_MAPPING) | {"PMID", "L3", "M2", "N2", "Y2", "J1", "VO", "PG"}
# Lines the fast path did not take: four-letter tags ('PMID  - '), single-space tags, a stray BOM.
_LOOSE_TAG = re.compile(r"\ufeff?([A-Z][A-Z0-9]{1,3})( {1,2})-(?: (.*))?$")

# ST (short title) last: some journals' RIS gives no other.
_TITLE_TAGS = ("TI", "T1", "CT", "BT", "ST")
_ABSTRACT_TAGS = ("AB", "N2")
_AUTHOR_TAGS = ("AU", "A1")
_YEAR_TAGS = ("PY", "Y1", "DA")
_JOURNAL_TAGS = ("T2", "JF", "JO", "J2", "JA", "J1")
_ID_NOTE_TAGS = ("N1", "M1", "M2", "U1", "U2", "U3", "U4", "U5", "C1", "C2", "C3", "C4", "C5")

_DIGITS = re.compile(r"\d{1,9}")
_TAGGED_PMID = re.compile(r"(\d{1,9}) *\[PMID\]", re.I)
_TAGGED_PMCID = re.compile(r"(PMC\d+) *\[PMCID\]", re.I)
_PMCID = re.compile(r"PMC\d+")
_NOTE_PMID = re.compile(r"PMID:? *(\d{1,9})", re.I)
_COCHRANE_IDS = re.compile(r"(PUBMED|EMBASE) +(\S+?)(?:,|$)", re.I)
_LINK_AN = re.compile(r"[?&]AN=(\d{1,9})(?:&|$)")
_PUBMED_LINK = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d{1,9})")
_SCOPUS_EID = re.compile(r"eid=(2-s2\.0-\d+)")
_PMC_LINK = re.compile(r"(?:europepmc\.org/articles/|ncbi\.nlm\.nih\.gov/pmc/articles/)(PMC\d+)")
_NOTE_ACCESSION = re.compile(r"Accession Number: *([^;\s]+)")
_WOS_ID = re.compile(r"WOS:\w+")
_EMBASE_ID = re.compile(r"L\d{6,}")


def looks_like(text_head: str) -> bool:
    """A 'TY  - ' line and another RIS tag line, and none of MEDLINE's 'PMID- ' lines."""
    lines = text_head.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    has_type = has_other = False
    for line in lines:
        if line[:5] == "PMID-":
            return False  # PubMed MEDLINE/.nbib: two-character tags there look like RIS ones
        if line[2:5] == "  -" and line[:2] in _TAGS:
            if line[:2] == "TY":
                has_type = True
            else:
                has_other = True
    return has_type and has_other


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    yield from parse_pieces(_slices(text), warnings)


def parse_pieces(pieces: Iterable[str], warnings: list[str]) -> Iterator[ParsedRecord]:
    """parse() over the file's text given piece by piece, cut anywhere (even inside a line).

    A 300 MB file is then read without its whole text in memory (600 MB as a Python str
    once it holds one character beyond Latin-1): the importer decodes it a few MB at a time.
    """
    seen = _Seen(pieces)
    position = 0
    for line_no, raw, closed in _raw_records(seen):
        position += 1
        yield _record(position, line_no, raw, closed)
    if not position:
        if not seen.text:
            raise ParseError("the file is empty", line=1, expected="RIS records")
        raise ParseError("no RIS records found", line=1, expected="a record starting with 'TY  - '")


class _Seen:
    """The pieces, noting whether any held more than BOMs and blanks (for 'file is empty')."""

    def __init__(self, pieces: Iterable[str]):
        self.pieces = pieces
        self.text = False

    def __iter__(self) -> Iterator[str]:
        for piece in self.pieces:
            if not self.text and piece.strip("\ufeff \t\r\n"):
                self.text = True
            yield piece


def _slices(text: str) -> Iterator[str]:
    for start in range(0, len(text), _CHUNK):
        yield text[start : start + _CHUNK]


def _split_lines(chunk: str) -> list[str]:
    if "\r" in chunk:
        chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
    lines = chunk.split("\n")
    if chunk[-1:] == "\n":
        lines.pop()
    return lines


def _line_chunks(pieces: Iterable[str]) -> Iterator[list[str]]:
    """The file's lines, a few MB at a time, line ends of any kind removed.

    Each piece is cut after its last line end; the rest waits for the next piece. A CR is a
    cut point only in a piece without LF and not as its last character, so a CRLF is never
    split between two chunks.
    """
    carry = ""
    first = True
    for piece in pieces:
        if first and piece:
            first = False
            if piece[:1] == "\ufeff":
                piece = piece[1:]
        text = carry + piece if carry else piece
        end = text.rfind("\n") + 1
        if not end:
            end = text.rfind("\r", 0, len(text) - 1) + 1  # a file of bare CR line ends only
        if not end:
            carry = text
            continue
        if end == len(text):
            carry = ""
            yield _split_lines(text)
        else:
            carry = text[end:]
            yield _split_lines(text[:end])
    if carry:
        yield _split_lines(carry)


def _raw_records(pieces: Iterable[str]) -> Iterator[tuple[int, dict[str, list[str]], bool]]:
    """(first line, {tag: [values]}, closed by ER) for each record.

    The loop runs once per line of a possibly 300 MB file, so it is kept lean: tag lines
    outside records go to a throwaway dict rather than being tested for, the line number is
    looked up only when a record starts, and continuation lines are gathered in a list and
    joined once when the next tag comes (a Scopus reference list of hundreds of lines then
    costs no repeated string copying).
    """
    tags = _TAGS
    inside = False
    raw: dict[str, list[str]] = {}  # outside a record: a throwaway
    values: list[str] = [""]  # the values of the last tag seen, where continuations go
    pending: list[str] | None = None  # continuation lines not yet joined to values[-1]
    start_line = 0
    first_line = 1  # number of the chunk's first line
    single_space = False  # this record's TY line was 'TY - ', so take its other tags so too
    for lines in _line_chunks(pieces):
        searched = 0  # where to look for the next record's first line in this chunk
        for line in lines:
            tag = line[:2]
            if line[2:5] == "  -" and tag in tags:
                value = line[5:].strip()  # from 5, not 6: 'TI  -Title' loses nothing
            else:
                match = _LOOSE_TAG.match(line)
                if match and (tag := _loose_tag(match, single_space)):
                    value = (match.group(3) or "").strip()
                elif line.rstrip() == "ER":
                    tag, value = "ER", ""
                else:
                    # Untagged: continues the last value (outside records it goes nowhere:
                    # Ovid record numbers, Cochrane and PsycNET headers).
                    if value := line.strip():
                        if pending is None:
                            pending = [values[-1], value]
                        else:
                            pending.append(value)
                    continue
            if pending is not None:
                values[-1] = "\n".join(pending)
                pending = None
            if tag in _BOUNDARY_TAGS:
                if inside:
                    yield start_line, raw, tag == "ER"
                if tag == "ER":
                    inside, raw, values = False, {}, [""]
                    continue
                inside, raw = True, {}
                single_space = line.lstrip("\ufeff")[2:5] == " - "
                searched = lines.index(line, searched)
                start_line = first_line + searched
                searched += 1
            values = raw.get(tag)
            if values is None:
                values = raw[tag] = [value]
            else:
                values.append(value)
        first_line += len(lines)
    if pending is not None:
        values[-1] = "\n".join(pending)
    if inside:
        yield start_line, raw, False


def _loose_tag(match: re.Match, single_space: bool) -> str:
    """The tag of a line the fast path did not take, or '' for a continuation line.

    'XX - value' is a tag only in a record that started 'TY - ' (or on that TY line itself):
    elsewhere it may be text, such as a reference line starting 'CA - A Cancer Journal'.
    """
    tag, spaces = match.group(1), match.group(2)
    if len(tag) == 2:
        if len(spaces) == 2:
            return tag  # after a stray BOM
        return tag if (single_space or tag == "TY") and tag in _KNOWN_TAGS else ""
    # Three- or four-letter tags ('PMID  - ') only with RIS's two spaces.
    return tag if len(spaces) == 2 else ""


def _compact_year(value: str) -> int | None:
    """The year of a compact date such as '20151207', which parse_year does not take."""
    digits = value[:8]
    if len(digits) == 8 and digits.isdigit() and 1500 <= int(digits[:4]) <= 2099:
        return int(digits[:4])
    return None


def _clean(value: str) -> str:
    # normalize.clean's regex costs more than this, and this runs a million times a file.
    return " ".join(value.split())


def _record(position: int, line: int, raw: dict[str, list[str]], closed: bool) -> ParsedRecord:
    notes: list[str] = []
    get = raw.get

    title = _clean(_first(raw, _TITLE_TAGS))
    if not title:
        notes.append("no title")
    abstract = _first(raw, _ABSTRACT_TAGS)
    if "\n" in abstract:  # line breaks in the file are kept as paragraph breaks
        abstract = "\n".join([_clean(part) for part in abstract.split("\n")])
    elif "  " in abstract or "\t" in abstract:
        abstract = _clean(abstract)
    if not abstract:
        notes.append("no abstract")

    # Values are stripped already; a value continued on a second line is one name.
    authors = tuple(
        [
            value if "\n" not in value else _clean(value)
            for tag in _AUTHOR_TAGS
            for value in get(tag, ())
            if value
        ]
    )
    # Keywords continued on untagged lines (Rayyan, EndNote) are one keyword a line.
    keyword_values = get("KW")
    keywords = (
        tuple([term for term in "\n".join(keyword_values).split("\n") if term])
        if keyword_values
        else ()
    )

    year = None
    dates = [value for tag in _YEAR_TAGS for value in get(tag, ()) if value]
    for value in dates:
        year = parse_year(value) or _compact_year(value)
        if year:
            break
    if year is None and get("C6") and _first(raw, ("AN",))[:4] == "WOS:":
        year = parse_year(get("C6")[0])  # Web of Science early access date, 'FEB 2022'
    if year is None:
        notes.append(f"year '{_clean(dates[0])}' not understood" if dates else "no year")

    ref_type = _first(raw, ("TY",))
    pmid, other_ids = _ids(raw)
    # Some vendors give several links in one value, separated by spaces or line breaks.
    links = _first(raw, ("UR", "L2")).split()
    if not closed:
        notes.append("no end-of-record line (ER)")

    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=authors,
        year=year,
        journal=_clean(_first(raw, _JOURNAL_TAGS)),
        volume=_first(raw, ("VL", "VO")),
        issue=_first(raw, ("IS", "CP")),
        pages=_pages(raw),
        doi=_doi(raw),
        pmid=pmid,
        other_ids=other_ids,
        keywords=keywords,
        language=_first(raw, ("LA",)),
        url=links[0] if links else "",
        publication_type=TYPE_OF_REFERENCE_MAPPING.get(ref_type, ref_type),
        raw=raw,
        warnings=tuple(notes),
    )


def _pages(raw: dict[str, list[str]]) -> str:
    start = _first(raw, ("SP",))
    end = _first(raw, ("EP",))
    if not start:
        start, end = end or _first(raw, ("PG",)), ""
    if end and start.isdigit() and end.isdigit() and len(end) >= len(start):
        return start if end == start else f"{start}-{end}"  # the common case, cheaply
    # Abbreviated ends ('349-69', EndNote from PubMed), Unicode dashes ('43‐58', Cochrane).
    # WoS and Scopus give an e-journal's article number in C7 and no pages.
    return expand_pages(start, end) or _first(raw, ("C7",))


def _doi(raw: dict[str, list[str]]) -> str:
    for tag in ("DO", "DI", "L3", "M3"):
        for value in raw.get(tag, ()):
            doi = normalize_doi(value)
            if doi:
                return doi
    for tag in ("UR", "L2", "L1", "N1"):
        for value in raw.get(tag, ()):
            if "doi.org/" in value:
                doi = normalize_doi(value[value.index("doi.org/") + 8 :])
                if doi:
                    return doi
    return ""


def _ids(raw: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """PMID and other database ids; each vendor keeps them in its own place.

    Cheap `in` tests guard every regex: Scopus notes can be 100 KB of references.
    """
    get = raw.get
    pmid = ""
    ids: dict[str, str] = {}
    databases = " ".join(get("DB", []) + get("DP", [])).lower()
    links = get("UR", []) + get("L2", [])

    for value in get("PMID", ()):
        if match := _DIGITS.search(value):
            pmid = match.group(0)
            break

    # Dimensions: 'U1  - 35957633 [PMID]', 'U1  - PMC9359172 [PMCID]'; EndNote: C2 'PMC...';
    # Cochrane: C3 'PUBMED 38407106,EMBASE 643589775'; a note line 'PMID: n'.
    for tag in _ID_NOTE_TAGS:
        for value in get(tag, ()):
            if "PM" not in value and "PUBMED" not in value and "EMBASE" not in value:
                continue
            if "[PM" in value:
                if not pmid and (match := _TAGGED_PMID.search(value)):
                    pmid = match.group(1)
                if match := _TAGGED_PMCID.search(value):
                    ids.setdefault("pmcid", match.group(1))
            elif value[:3] == "PMC" and _PMCID.fullmatch(value):
                ids.setdefault("pmcid", value)
            elif tag == "C3" and value[:6].upper() in ("PUBMED", "EMBASE"):
                for name, number in _COCHRANE_IDS.findall(value):
                    if name.upper() == "PUBMED":
                        pmid = pmid or normalize_pmid(number)
                    else:
                        ids.setdefault("embase", number)
            elif not pmid and "PMID" in value and tag in ("N1", "M1", "M2"):
                for part in value.split("\n"):
                    if match := _NOTE_PMID.fullmatch(part.strip()):
                        pmid = match.group(1)
                        break

    accession = _first(raw, ("AN",))
    if accession:
        if accession[:4].upper() == "WOS:":
            ids["wos"] = accession
        elif accession[:3] == "CN-":
            ids["central"] = accession
        elif (
            not pmid
            and _DIGITS.fullmatch(accession)
            and (
                "nlm" in databases
                or "pubmed" in databases
                or "medline" in databases
                or any("ncbi.nlm.nih.gov" in link or "pubmed" in link for link in links)
            )
        ):
            pmid = accession  # PubMed records via EndNote or Zotero
        elif accession != pmid:
            ids["accession"] = accession

    if "embase" in databases:
        for value in get("U2", ()):
            if _EMBASE_ID.fullmatch(value):
                ids.setdefault("embase", value)
        if not pmid:
            pmid = next((v for v in get("C5", ()) if _DIGITS.fullmatch(v)), "")
    for link in links:
        if "scopus.com" in link:
            if match := _SCOPUS_EID.search(link):
                ids.setdefault("scopus", match.group(1))
            if not pmid:  # Scopus keeps the PubMed id in C2
                pmid = next((v for v in get("C2", ()) if _DIGITS.fullmatch(v)), "")
        elif "WOS:" in link:
            if match := _WOS_ID.search(link):
                ids.setdefault("wos", match.group(0))
        elif "pubmed" in link:
            if not pmid and (match := _PUBMED_LINK.search(link)):
                pmid = match.group(1)
        elif "PMC" in link and (match := _PMC_LINK.search(link)):
            ids.setdefault("pmcid", match.group(1))
    if not pmid and databases == "scopus":
        pmid = next((v for v in get("C2", ()) if _DIGITS.fullmatch(v)), "")

    # Ovid: ID is the database's accession; for MEDLINE it is the PMID, also in the link's AN=.
    # (Without DB, ID is the reference manager's own record number.)
    record_id = _first(raw, ("ID",))
    if len(record_id) < 6:
        # An EndNote or Zotero re-export keeps DB but writes its own record number (42) to ID:
        # taken for a PMID it would make records of two libraries look like duplicates.
        record_id = ""
    named_db = " ".join(get("DB", ())).lower()
    if "medline" in named_db and "embase" not in named_db:
        if not pmid and _DIGITS.fullmatch(record_id):
            pmid = record_id
        if not pmid:
            for link in links:
                if "ovid" in link and (match := _LINK_AN.search(link)):
                    pmid = match.group(1)
                    break
    elif record_id and named_db and "accession" not in ids:
        ids.setdefault("embase" if "embase" in named_db else "accession", record_id)
    if "accession" not in ids:
        for value in get("N1", ()):
            # EBSCOhost: 'N1  - Accession Number: 176404503; ...'
            if value[:17] == "Accession Number:" and (match := _NOTE_ACCESSION.match(value)):
                ids["accession"] = match.group(1)
                break
    return pmid, ids
