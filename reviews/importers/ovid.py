"""Ovid tagged text: Embase, MEDLINE, PsycINFO, BIOSIS... exported from Ovid.

What Ovid writes for its "Citavi", direct "EndNote", "Reference Manager" and "Ovid" export
formats with tagged fields, and for Display > Save as .txt/.cgi/.ovd. Each record starts with
a line '<N. >' (its number in the result set; also '<N>' and '<N.>'), then tag lines: two to
four capitals padded to four characters, '- ' and the value ('VN  - Ovid Technologies',
'DB  - Embase', 'TI  - ...'). There is no end-of-record tag: a record runs to the next '<N. >'
line. Quirks handled:

- BOM, CRLF / LF / bare CR; blank lines inside a record (PsycINFO, Zoological Record lists).
- Values continued on lines indented by six spaces, and on unindented lines (the abstract's
  paragraphs in the "EndNote" export, BIOSIS's 'Series Information:' line under SO). In the
  abstract an unindented line is a new paragraph and keeps its line break.
- PsycINFO files whose every line is indented by one more space (' <7. >', ' VN  - ').
- 'AU  - Werner, S. M. [Author, Reprint Author; E-mail: ...]' (BIOSIS) and
  'AU  - Zhang, Weijia 1,2,+' (Journals@Ovid): the role and the affiliation marks are dropped.
- Ovid's labels after titles ('... depression. [References].', '...  [Article]').
- A file without record lines, or two records with no record line between them: a second VN
  (each record's first tag) starts a new record.

Fields: TI; AB; FA full names, else AU; year YR, PY, DP, else the year in SO; DOI from DO/DI,
else a doi.org link or SFX 'id=doi:' in XL/UR; journal JN, volume VO/VI, issue IP, pages PG,
else read from the SO citation ('Journal. 12(3):101-115, 2020 Mar.', 'Journal. 19(1) (no
pagination), 2018', 'Journal 2011;43(8):647-653', 'Journal. Vol.43(5), Sep 2015, pp. 1-9.'),
then the JA/TA abbreviation for the journal; LG; KW (and PsycINFO's ID, split at commas) ->
keywords; MH -> mesh_terms with the major-topic '*' dropped and Ovid's 'Term/dt [Drug
Therapy]' written 'Term/drug therapy' as PubMed does; PT joined with '; '; UI/AN with DB:
Embase -> other_ids embase, MEDLINE/PubMed digits -> PMID, else other_ids accession; PM -> PMID
(PsycINFO, Embase).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from .base import PMID_DIGITS, ParsedRecord, ParseError
from .normalize import YEAR, clean, expand_pages, normalize_doi, normalize_pmid, parse_year
from .normalize import first_value as _first

FORMAT = "ovid"

_LINE_END = re.compile(r"\r\n|\r|\n")
# '<1. >', '<3001. >', '<1>', '<1.>', at most three spaces of indent (PsycINFO writes one).
_RECORD_LINE = re.compile(r" {0,3}<\s*(\d{1,7})\.?\s*>\s*")
# A tag line once its indent (at most three spaces) is taken off: 'TI  - value', 'AB  -' (an
# empty value whose trailing space was trimmed), 'PMID- value'.
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3})( *)-(?: (.*)|\s*)$")
# Tags taken with one space before the hyphen ('TI - value') as well; elsewhere a line such as
# 'HIV - positive patients' in a wrapped abstract stays text.
_KNOWN_TAGS = frozenset(
    ("VN", "DB", "UI", "AN", "TI", "AU", "FA", "AF", "IN", "AD", "SO", "AB", "DO", "DI", "YR")
    + ("PY", "DP", "LG", "PT", "DT", "MH", "KW", "ID", "XL", "UR", "IS", "JN", "JA", "TA", "VO")
    + ("VI", "IP", "PG", "PM", "ST", "CP", "PB", "CY", "RO", "UP", "SB", "JC", "EP", "ED", "IB")
)
# Tag lines seen in looks_like right after the first record line.
_FIRST_TAGS = frozenset(("VN", "DB", "UI", "AN"))

_YEAR_TAGS = ("YR", "PY", "DP")
_DOI_TAGS = ("DO", "DI")
_LINK_TAGS = ("XL", "UR")
_SFX_DOI = re.compile(r"[?&]id=doi:(10\.[^&\s]+)")
_LINK_AN = re.compile(r"[?&]AN=(\d{1,10})(?:&|$)")

# Ovid's labels after a title: Journals@Ovid '  [Article]', PsycINFO ' [References].'.
_TITLE_LABEL = re.compile(r"\s*\[(?:Article|Report|Miscellaneous|References)\]\.?\s*$")
# 'Werner, S. M. [Author, Reprint Author; E-mail: ...]', 'He, Zhimin 1,2,*'.
_AUTHOR_ROLE = re.compile(r"\s*\[[^\]]*\]\s*$")
_AUTHOR_MARKS = re.compile(r"\s+[\d,+*]+$")
# MeSH with an Ovid subheading: '*Hypertension/dt [Drug Therapy]'.
_MESH_SUBHEADING = re.compile(r"(.+?)\s*/\s*[a-z]{2} \[([^\]]+)\]")

# The volume/issue/pages/date tail of an SO citation, after the journal's '. ':
# 'Journal. 12(3):101-115, 2020 Mar.', 'Journal. 19(1) (no pagination), 2018',
# 'Journal. 45:S12, 2019', 'Proc. Conference: ... Spain. 12 (Supplement 3) (no pagination), 2018.'
_SO_TAIL = re.compile(
    r"\.\s+(?P<vol>[A-Za-z]*\d[\w/-]*)?\s*(?:\((?P<iss>[^()]+)\))?(?:\s*\(no pagination\))?"
    r"(?::\s*(?P<pg>[^,\s]+))?,\s+(?P<date>[A-Za-z0-9 ,/-]*?(?:1[5-9]|20)\d\d)\b"
)
# Journals@Ovid: 'Acta Biochimica et Biophysica Sinica August 2011;43(8):647-653'.
_SO_JOURNALS_AT_OVID = re.compile(
    r"(?P<journal>.+?)\s+(?P<date>(?:[A-Z][a-z]+(?:/[A-Z][a-z]+)?\s+)?(?:\d{1,2}\s+)?"
    r"(?:1[5-9]|20)\d\d);"
    r"(?P<vol>[^();:]*)(?:\((?P<iss>[^)]*)\))?(?::(?P<pg>[^;\s]+))?\s*"
)
# PsycINFO: 'Behavioural and Cognitive Psychotherapy. Vol.43(5), Sep 2015, pp. 623-634.',
# 'Dissertation Abstracts International: ... Vol.80(9-B(E)), 2019, pp. No Pagination Specified.'
_SO_PSYCINFO = re.compile(
    r"(?P<journal>.+?)\.\s+Vol\.\s*(?P<vol>[^(,]+?)\s*(?:\((?P<iss>[^()]*(?:\([^()]*\))?)\))?,"
    r"(?P<date>[^,]*?(?:1[5-9]|20)\d\d)?(?:.*?\bpp?\.\s*(?P<pg>[A-Za-z]*\d[\w-]*))?"
)


def looks_like(text_head: str) -> bool:
    """The first non-blank line is a record line '<N. >' (or, when Ovid saved the search
    history first, 'Database: ...' and a record line comes later), and a VN/DB/UI/AN tag
    line follows within the next three lines."""
    lines = _LINE_END.split(text_head.lstrip("\ufeff"), maxsplit=400)
    filled = [line for line in lines[:400] if line.strip()]
    if not filled:
        return False
    first = 0
    if not _RECORD_LINE.fullmatch(filled[0]):
        if not filled[0].lstrip().startswith("Database:"):
            return False
        first = next((i for i, line in enumerate(filled) if _RECORD_LINE.fullmatch(line)), 0)
        if not first:
            return False
    for line in filled[first + 1 : first + 4]:
        tag = _tag(line)
        if tag and tag[0] in _FIRST_TAGS:
            return True
    return False


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    position = 0
    for line_no, raw in _raw_records(text):
        position += 1
        yield _record(position, line_no, raw)
    if not position:
        if not text.strip("\ufeff \t\r\n"):
            raise ParseError("the file is empty", line=1, expected="Ovid records")
        raise ParseError(
            "no Ovid records found",
            line=1,
            expected="records starting with a line such as '<1. >' and tag lines 'TI  - ...'",
        )


def _tag(line: str) -> tuple[str, str] | None:
    """(tag, value) of a tag line, else None."""
    indent = len(line) - len(line.lstrip(" "))
    if indent > 3:
        return None  # a wrapped value
    match = _TAG_LINE.match(line, indent)
    if not match:
        return None
    tag, spaces = match.group(1), match.group(2)
    # Two spaces always ('TI  - '); one only for a known tag ('TI - '); none only after a
    # four-letter tag ('PMID- '). 'CRP - C-reactive protein' on a wrapped line stays text.
    if not (
        len(spaces) == 2
        or (len(spaces) == 1 and tag in _KNOWN_TAGS)
        or (not spaces and len(tag) == 4)
    ):
        return None
    return tag, (match.group(3) or "").strip()


def _raw_records(text: str) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """(first line, {tag: [values]}) per record.

    A wrapped line (indented) joins its value with a space, an unindented one with a line
    break, which the abstract keeps as a paragraph break.
    """
    raw: dict[str, list[str]] = {}
    start = 0
    values: list[str] | None = None  # the last tag's values, where continuations go
    for line_no, line in enumerate(_LINE_END.split(text.removeprefix("\ufeff")), start=1):
        if _RECORD_LINE.fullmatch(line):
            if raw:
                yield start, raw
            raw, start, values = {}, line_no, None
            continue
        tagged = _tag(line)
        if tagged is not None:
            tag, value = tagged
            if tag == "VN" and "VN" in raw:
                yield start, raw  # no record line between two records
                raw, start = {}, line_no
            if not raw and not start:
                start = line_no
            values = raw.setdefault(tag, [])
            values.append(value)
            continue
        value = line.strip()
        if not value or values is None:
            continue  # blank lines; text before the first record
        joint = " " if line[:1] == " " or line[:1] == "\t" else "\n"
        values[-1] = f"{values[-1]}{joint}{value}" if values[-1] else value
    if raw:
        yield start, raw


def _record(position: int, line: int, raw: dict[str, list[str]]) -> ParsedRecord:
    notes: list[str] = []
    get = raw.get

    title = _TITLE_LABEL.sub("", clean(_first(raw, ("TI",))))
    if not title:
        notes.append("no title")
    abstract = "\n".join(
        part for part in (clean(piece) for piece in _first(raw, ("AB",)).split("\n")) if part
    )
    if not abstract:
        notes.append("no abstract")

    full_names = [clean(value) for value in get("FA", []) + get("AF", []) if value]
    initials = [_author(value) for value in get("AU", ()) if value]
    authors = full_names if len(full_names) >= len(initials) else initials

    source = clean(_first(raw, ("SO",)))
    cited = _citation(source)
    year = None
    dates = [clean(value) for tag in _YEAR_TAGS for value in get(tag, ()) if value]
    for value in dates:
        year = parse_year(value)
        if year:
            break
    if year is None:
        year = parse_year(cited[4]) if cited[4] else _last_year(source)
    if year is None:
        notes.append(f"year '{dates[0]}' not understood" if dates else "no year")

    # The full name: JN, else SO's; JA/TA are abbreviations.
    journal = clean(_first(raw, ("JN",))) or cited[0] or clean(_first(raw, ("JA", "TA")))
    volume = clean(_first(raw, ("VO", "VI"))) or cited[1]
    issue = clean(_first(raw, ("IP",))) or cited[2]
    pages = expand_pages(_first(raw, ("PG",)) or cited[3])

    pmid, other_ids = _ids(raw)
    database = " ".join(get("DB", ())).lower()
    keyword_tags = ("KW", "ID") if "psyc" in database else ("KW",)
    keywords = [
        term
        for tag in keyword_tags
        for value in get(tag, ())
        for term in (clean(part) for part in re.split(r";|\n" if tag == "KW" else r"[;,\n]", value))
        if term
    ]
    links = [value for tag in _LINK_TAGS for value in get(tag, ()) if value]

    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=tuple(authors),
        year=year,
        journal=journal,
        volume=volume,
        issue=issue,
        pages=pages,
        doi=_doi(raw, links),
        pmid=pmid,
        other_ids=other_ids,
        keywords=tuple(keywords),
        mesh_terms=tuple(_mesh(value) for value in get("MH", ()) if value.strip("* ")),
        language=clean(_first(raw, ("LG",))).rstrip("."),
        url=links[0].split()[0] if links else "",
        publication_type="; ".join(clean(value) for value in get("PT", ()) if value),
        raw=raw,
        warnings=tuple(notes),
    )


def _author(value: str) -> str:
    """'Werner, S. M. [Author, Reprint Author]' -> 'Werner, S. M.'; 'He, Zhimin 1,2,*' -> 'He,
    Zhimin'."""
    name = _AUTHOR_ROLE.sub("", clean(value))
    return _AUTHOR_MARKS.sub("", name) or name


def _mesh(value: str) -> str:
    """'*Hypertension/dt [Drug Therapy]' -> 'Hypertension/drug therapy'; '*quality of life' ->
    'quality of life'."""
    term = clean(value).lstrip("*").strip()
    match = _MESH_SUBHEADING.fullmatch(term)
    if match:
        return f"{match.group(1).lstrip('*')}/{match.group(2).lower()}"
    return term


def _citation(source: str) -> tuple[str, str, str, str, str]:
    """(journal, volume, issue, pages, date) read from an SO citation; '' for what it lacks."""
    match = _SO_PSYCINFO.match(source) or _SO_JOURNALS_AT_OVID.fullmatch(source)
    if match:
        journal = match["journal"]
    else:
        match = next((m for m in _SO_TAIL.finditer(source) if m["vol"] or m["iss"]), None)
        if match is None:
            return "", "", "", "", ""
        # The journal is the citation's first sentence: Embase puts conference names after it.
        journal = source[: match.start()].split(". ", 1)[0]
    parts = (journal, match["vol"], match["iss"], match["pg"], match["date"])
    return tuple(clean(part) for part in parts)  # type: ignore[return-value]


def _last_year(source: str) -> int | None:
    # A citation we could not read: its last year, since pages come before it.
    years = YEAR.findall(source)
    return int(years[-1]) if years else None


def _doi(raw: dict[str, list[str]], links: list[str]) -> str:
    for tag in _DOI_TAGS:
        for value in raw.get(tag, ()):
            if doi := normalize_doi(value):
                return doi
    for link in links:
        if "doi.org/" in link:
            if doi := normalize_doi(link[link.index("doi.org/") + 8 :].split()[0]):
                return doi
        elif (
            "id=doi:10." in link
            and (match := _SFX_DOI.search(link))
            and (doi := normalize_doi(unquote(match.group(1))))
        ):
            return doi
    return ""


def _accession(value: str) -> str:
    """'Peer Reviewed Journal: 2015-33942-012.' -> '2015-33942-012'."""
    value = clean(value).rstrip(".")
    return value.rsplit(": ", 1)[-1].strip()


def _ids(raw: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """PMID and other ids: UI/AN is the accession number of the database DB names."""
    database = " ".join(raw.get("DB", ())).lower()
    accession = _accession(_first(raw, ("UI", "AN")))
    pmid = ""
    ids: dict[str, str] = {}
    if accession:
        if "embase" in database:
            ids["embase"] = accession
        elif ("medline" in database or "pubmed" in database) and accession.isdigit():
            pmid = accession
        else:
            ids["accession"] = accession
    if not pmid:
        value = _first(raw, ("PM",))
        digits = normalize_pmid(value)
        if digits and value.strip() == digits and len(digits) <= PMID_DIGITS:
            pmid = digits
    if not pmid and ("medline" in database or "pubmed" in database) and "embase" not in database:
        for link in raw.get("XL", ()):
            if "ovid" in link and (match := _LINK_AN.search(link)):
                pmid = match.group(1)
                break
    return pmid, ids
