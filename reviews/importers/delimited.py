"""Comma-, tab- or semicolon-separated text with a header row, format `csv`.

The generic reader, tried last. Columns are found by name: each field has a list of
synonyms, compared lower-cased with punctuation and spaces removed ('Author(s)' = 'authors',
'Abstract Note' = 'abstractnote'), the first one present wins, and an empty cell falls back
to the next synonym. Exports known to work this way: PubMed 'Save > CSV' (no abstract) and
the legacy pre-2020 PubMed CSV, Embase, Cochrane CENTRAL, IEEE Xplore, Lens.org, OpenAlex,
Zotero, SpringerLink, Google Scholar via Publish or Perish, Covidence, Rayyan, abstrackr,
CINAHL/EBSCO and ASReview-style files.

Vendor quirks handled:
- the delimiter is chosen among ',', tab and ';' by which one splits the header row into
  recognisable column names;
- Embase puts a 'SEARCH QUERY' preamble of a few lines before the header: the header is the
  first of the first 20 rows that names a title, abstract or identifier column;
- legacy PubMed CSV: 'Description' holds the authors, 'Details' the citation, and every row
  ends with a trailing comma (one field more than the header): empty extra fields are ignored,
  non-empty ones are kept in raw with a warning, so values never shift;
- current PubMed and legacy 'Details' citations ('Eur J Med Genet. 2020 Feb;63(2):103640.
  doi: ...') and Embase 'Source' ('Endoscopic Ultrasound (2014) 3:3 (152-160)') are parsed
  for journal, year, volume, issue, pages and DOI when no column gives them;
- author lists in every style: 'A; B', 'A | B', 'A and B', 'Liu R., Adler D.G.',
  'Griffin DK, Larkin DM.', ASReview's Python-list text "['Marx, Karl', ...]"; SpringerLink
  glues names together without a separator: kept as one string;
- Excel-protected cells ('="19326203"' in CINAHL), Unicode hyphens in page ranges, Zotero's
  'PMID: 123' in the 'Extra' column, OpenAlex ids given as URLs;
- a BOM, CRLF / LF / bare CR line ends, newlines inside quoted fields; rows whose cells are
  all empty are skipped.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .normalize import normalize_doi, normalize_pmid, parse_year

FORMAT = "csv"

DELIMITERS = (",", "\t", ";")
# How many rows may come before the header (Embase's preamble is three).
HEADER_SEARCH_ROWS = 20
# How much of the file is read to find the header and the delimiter.
SNIFF_CHARS = 256 * 1024

# Column-name synonyms per field, normalised by norm_name, best first.
TITLE = ("title", "documenttitle", "articletitle", "itemtitle", "primarytitle", "displayname")
TITLE += ("papertitle", "ti", "t1", "titleprimary")
# Trial registers: ClinicalTrials.gov (old and new site), WHO ICTRP.
TITLE += ("studytitle", "brieftitle", "officialtitle", "publictitle", "scientifictitle")
ABSTRACT = ("abstract", "abstractnote", "abstracttext", "ab", "summary", "originalabstract")
ABSTRACT += ("briefsummary", "detaileddescription")
AUTHORS = ("authors", "author", "authornames", "authorfullnames", "authorshipsauthordisplayname")
AUTHORS += ("authorshipsrawauthorname", "firstauthors", "creators", "au", "a1")
# Citavi and Reference Manager tab-delimited exports.
AUTHORS += ("authorsprimary",)
YEAR = ("year", "publicationyear", "pubyear", "publishedyear", "yearpublished", "py", "yr")
YEAR += ("date", "publicationdate", "datepublished", "dateofpublication", "issuedate", "pubdate")
YEAR += ("coverdate", "firstposted", "studyfirstpostdate", "dateregistration", "startdate")
JOURNAL = ("journal", "journaltitle", "sourcetitle", "publicationtitle", "journalbook")
JOURNAL += ("journalname", "publicationname", "publication", "secondarytitle", "t2", "jf")
JOURNAL += ("primarylocationsourcedisplayname", "hostvenuedisplayname", "so", "jo")
JOURNAL += ("journalabbreviation", "source", "periodicalfull", "periodicalabbrev")
VOLUME = ("volume", "journalvolume", "vol", "bibliovolume", "vl")
ISSUE = ("issue", "issuenumber", "journalissue", "biblioissue", "is", "number")
PAGES = ("pages", "pagerange", "pagination", "pp")
PAGE_START = ("startpage", "firstpage", "pagestart", "bibliofirstpage", "beginningpage", "sp")
PAGE_END = ("endpage", "lastpage", "pageend", "bibliolastpage", "endingpage", "ep", "otherpages")
ARTICLE_NUMBER = ("articlenumber", "artno")
DOI = ("doi", "itemdoi", "doiurl", "digitalobjectidentifier", "do", "di")
PMID = ("pmid", "pubmedid", "medlinepmid", "idspmid", "pubmed", "entrezuid")
PMCID = ("pmcid", "idspmcid", "pmc")
URL = ("url", "link", "articleurl", "fulltexturl", "fulltextlink", "externalurl", "pdflink")
URL += ("plink", "embaselink", "sourceurls", "documenturl", "landingpageurl", "ur")
URL += ("studyurl", "weblink")
KEYWORDS = ("keywords", "authorkeywords", "indexkeywords", "manualtags", "automatictags")
KEYWORDS += ("ieeeterms", "keywordsdisplayname", "subjects", "kw")
KEYWORDS += ("conditions", "interventions", "condition", "intervention")
MESH = ("meshterms", "mesh", "meshheadings", "meshterm")
LANGUAGE = ("language", "languageoforiginaldocument", "articlelanguage", "lang", "la")
PUBLICATION_TYPE = ("publicationtype", "documenttype", "itemtype", "typeofreference", "type")
PUBLICATION_TYPE += ("contenttype", "doctype", "category")
OTHER_IDS = {
    "central": ("centralid", "cochranecentralid"),
    "embase": ("embaseaccessionid", "embaseid", "embaseaccessionnumber", "pui"),
    "wos": ("ut", "wosid", "utuniquewosid", "accessionnumberut"),
    "scopus": ("eid", "scopuseid"),
    "accession": ("lensid", "accessionnumber", "covidence", "covidencenumber", "idsopenalex")
    # Trial registers: the NCT number or the ICTRP trial id.
    + ("nctnumber", "nctid", "trialid"),
}
# A header needs one of these to be a bibliographic table at all.
RECOGNISED = set(TITLE + ABSTRACT + DOI + PMID + PMCID).union(*OTHER_IDS.values())

ALL_KNOWN = RECOGNISED.union(
    AUTHORS, YEAR, JOURNAL, VOLUME, ISSUE, PAGES, PAGE_START, PAGE_END, URL, KEYWORDS, MESH
).union(LANGUAGE, PUBLICATION_TYPE)

_RIS_TAG = re.compile(r"[A-Z][A-Z0-9]  -")
_NOT_ALNUM = re.compile(r"[\W_]+")
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_SCOPUS_ID = re.compile(r"\s*\(\d+\)")
_PMC = re.compile(r"PMC\d+", re.I)
_EXTRA_PMID = re.compile(r"\bPMID:\s*(\d+)")
_EXTRA_PMCID = re.compile(r"\bPMCID:\s*(PMC\d+)")
# PubMed citation: 'Eur J Med Genet. 2020 Feb;63(2):103640. doi: 10.1016/...'
_PUBMED_CITATION = re.compile(
    r"(?P<journal>[^.]+)\.\s+(?P<date>\d{4}[^;:.]*)"
    r"(?:;(?P<volume>[^(:.;]*)(?:\((?P<issue>[^)]*)\))?)?(?::(?P<pages>[^.;\s]+))?"
)
# Embase source: 'Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014'
_EMBASE_SOURCE = re.compile(
    r"(?P<journal>.+?) \((?P<year>\d{4})\)(?: (?P<volume>[^\s:(]+)(?::(?P<issue>[^\s(]+))?)?"
    r"(?: \((?P<pages>[^)]+)\)| Article Number: (?P<article>[^.\s]+))?"
)


def squash(value: str | None) -> str:
    """normalize.clean, faster: str.split is C code where clean's regex is slow on abstracts."""
    return " ".join(value.split()) if value else ""


def norm_name(name: str) -> str:
    return _NOT_ALNUM.sub("", name.removeprefix("\ufeff")).lower()


def cell(value: str) -> str:
    """A cell's text: Excel's '="..."' protection removed, white space collapsed."""
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return squash(value)


def pages_from(first: str, last: str = "") -> str:
    first, last = first.translate(_DASHES), last.translate(_DASHES)
    if first and last and first != last:
        return f"{first}-{last}"
    return first or last


def _python_list(value: str) -> list[str] | None:
    """ASReview writes lists as Python literals: "['Marx, Karl', 'Lindgren, Astrid']"."""
    if len(value) > 200_000 or value[:2] not in ("['", '["'):
        return None
    try:
        items = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        return items
    return None


_NO_SPACE_AFTER_COMMA = re.compile(r",(?=\S)")


def split_authors(value: str) -> tuple[str, ...]:
    """One name per author from the many list styles exports use."""
    if not value:
        return ()
    items = _python_list(value) if value[0] == "[" else None
    if items is not None:
        parts = items
    elif ";" in value:
        parts = value.split(";")
    elif "|" in value:
        parts = value.split("|")
    elif " and " in value:
        parts = value.split(" and ")
    elif "," in value:
        parts = [part.strip() for part in value.split(",")]
        # 'Smith, John' is one name; 'Smith, J, Doe, A' is two; 'Liu R., Adler D.' is two.
        if len(parts) % 2 == 0 and not all(" " in part for part in parts if part):
            parts = [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts), 2)]
    else:
        parts = [value]
    names = [name for name in (squash(part) for part in parts) if name]
    # Citavi writes a missing given name as 'null': 'van den Hoven,null'.
    names = [name.removesuffix(",null").removesuffix(", null") for name in names]
    names = [_NO_SPACE_AFTER_COMMA.sub(", ", name, count=1) for name in names]
    # PubMed: 'Griffin DK, Larkin DM, O'Connor RE.': the last period ends the list.
    if len(names) > 1 and names[-1].endswith(".") and not any("." in n for n in names[:-1]):
        names[-1] = names[-1][:-1]
    return tuple(names)


def _split_outside_brackets(value: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(value):
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        elif char == "," and not depth:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


def split_keywords(value: str) -> list[str]:
    if not value:
        return []
    items = _python_list(value) if value[0] == "[" else None
    if items is not None:
        parts = items
    elif ";" in value:
        parts = value.split(";")
    elif "|" in value:
        parts = value.split("|")
    else:
        # Embase: 'article, duplication cyst (diagnosis, surgery), ...'
        parts = _split_outside_brackets(value)
    return [word for word in (squash(part) for part in parts) if word]


def header_delimiter(header_line: str) -> str:
    """The delimiter of a header row: ',' unless ';' or a tab occurs more often (a file saved
    again by a spreadsheet; European Excel writes ';')."""
    return max((",", ";", "\t"), key=header_line.count)


def reader_for(text: str, delimiter: str):
    # newline='' keeps line ends inside quoted fields and splits on CR, LF and CRLF alike.
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def allow_big_fields():
    # Scopus references and long abstracts exceed csv's default 128 KB per field.
    if csv.field_size_limit() < 64 * 1024 * 1024:
        csv.field_size_limit(64 * 1024 * 1024)


def find_header(text: str, required: set[str] = RECOGNISED) -> tuple[str, int, list[str]] | None:
    """(delimiter, row index, names) of the first row naming a known column, best delimiter."""
    allow_big_fields()
    head = text[:SNIFF_CHARS]
    best = None
    best_score = (0, 0)
    for delimiter in DELIMITERS:
        if delimiter not in head and delimiter != ",":
            continue
        try:
            for index, row in enumerate(reader_for(head, delimiter)):
                if index >= HEADER_SEARCH_ROWS:
                    break
                known = _header_score(row, required)
                if known:
                    score = (known, len(row))
                    if score > best_score:
                        best, best_score = (delimiter, index, row), score
                    break
        except csv.Error:
            continue
    return best


def _header_score(row: list[str], required: set[str]) -> int:
    """How many of the row's cells name a known column; 0 when it is not a header row."""
    if not row or _RIS_TAG.match(row[0]):
        return 0
    # Header names do not start with a space; wrapped text split on commas does.
    if sum(1 for name in row if name[:1] == " ") * 2 > len(row):
        return 0
    names = [norm_name(name) for name in row]
    wanted = [name for name in names if name in required]
    if not wanted:
        return 0
    known = sum(1 for name in names if name in ALL_KNOWN)
    # Two-letter names ('TI', 'UT', 'DO') turn up in any text: trust them only in company.
    if all(len(name) <= 2 for name in wanted) and known < 3:
        return 0
    return known


def looks_like(text_head: str) -> bool:
    found = find_header(text_head.lstrip("\ufeff"))
    return bool(found and len(found[2]) >= 2)


def header_names(row: list[str]) -> list[str]:
    """Column names with a trailing empty name dropped and duplicates made unique."""
    names = [name.removeprefix("\ufeff").strip() for name in row]
    while names and not names[-1]:
        names.pop()
    seen: dict[str, int] = {}
    unique = []
    for index, name in enumerate(names):
        name = name or f"column {index + 1}"
        count = seen.get(name, 0) + 1
        seen[name] = count
        unique.append(name if count == 1 else f"{name} ({count})")
    return unique


class Columns:
    """Which column indexes hold each field, best synonym first."""

    def __init__(self, names: list[str]):
        self.index: dict[str, list[int]] = {}
        for position, name in enumerate(names):
            self.index.setdefault(norm_name(name), []).append(position)

    def find(self, synonyms: tuple[str, ...]) -> list[int]:
        return [i for name in synonyms for i in self.index.get(name, ())]

    def has(self, name: str) -> bool:
        return name in self.index


def _first(cells: list[str], indexes: list[int]) -> str:
    for index in indexes:
        value = cells[index]
        if value:
            value = cell(value)
            if value:
                return value
    return ""


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ParseError("the file is empty", expected="a header row, then one row per record")
    found = find_header(text)
    if found is None:
        first_line = text.lstrip().splitlines()[0][:100]
        raise ParseError(
            f"no column for the title, abstract or an identifier in the header {first_line!r}",
            line=1,
            expected="a header row naming columns such as 'Title', 'Abstract', 'DOI' or 'PMID'",
        )
    delimiter, header_index, header_row = found
    if header_index:
        warnings.append(f"skipped {header_index} line(s) before the header row")
    names = header_names(header_row)
    width = len(names)
    plan = _Plan(Columns(names))
    if not plan.has_abstract:
        warnings.append("the file has no abstract column")

    reader = reader_for(text, delimiter)
    position = 0
    extra_rows = 0
    section_lines: list[str] = []
    last_line = 0
    try:
        for index, row in enumerate(reader):
            start, last_line = last_line + 1, reader.line_num
            if index <= header_index:
                continue
            if not "".join(row).strip():
                continue
            notes = []
            extras: list[str] = []
            if len(row) > width:
                extras = [value for value in row[width:] if value.strip()]
                if extras:
                    extra_rows += 1
                    notes.append(f"{len(extras)} field(s) beyond the header kept in raw")
                row = row[:width]
            elif len(row) < width:
                row = row + [""] * (width - len(row))
            if plan.is_section_line(row):
                section_lines.append(next(value for value in row if value.strip()))
                continue
            raw = {name: value for name, value in zip(names, row, strict=True) if value}
            if extras:
                raw["_extra"] = extras
            position += 1
            yield plan.record(row, raw, position=position, line=start, notes=notes)
    except csv.Error as error:
        raise ParseError(f"the file is not valid CSV: {error}", line=reader.line_num) from None
    if extra_rows:
        warnings.append(f"{extra_rows} row(s) had more fields than the header")
    if section_lines:
        shown = "; ".join(repr(line[:80]) for line in section_lines[:3])
        warnings.append(
            f"skipped {len(section_lines)} line(s) between the rows that are not records: {shown}"
        )
    if position == 0:
        raise ParseError(
            "the header row is not followed by any record",
            line=header_index + 1,
            expected="one row per record after the header",
        )


class _Plan:
    """The column indexes for each field, worked out once per file."""

    def __init__(self, columns: Columns):
        find = columns.find
        self.title = find(TITLE)
        self.abstract = find(ABSTRACT)
        self.has_abstract = bool(self.abstract)
        self.authors = find(AUTHORS)
        self.citation = find(("citation",))
        # Legacy PubMed CSV: 'Description' holds the authors, 'Details' the citation.
        if columns.has("entrezuid") and columns.has("details"):
            self.authors = find(("description",)) + self.authors
            self.citation = find(("details",)) + self.citation
        self.publication_type = find(PUBLICATION_TYPE)
        if columns.has("entrezuid") and columns.has("details"):
            # Its 'Type' says 'citation' for every row: not a publication type.
            self.publication_type = []
        self.year = find(YEAR)
        self.journal = find(tuple(name for name in JOURNAL if name != "source"))
        self.source = find(("source",))
        self.volume = find(VOLUME)
        self.issue = find(ISSUE)
        self.pages = find(PAGES)
        self.page_start = find(PAGE_START)
        self.page_end = find(PAGE_END)
        self.article_number = find(ARTICLE_NUMBER)
        self.doi = find(DOI)
        self.pmid = find(PMID) + find(("identifiers",))
        self.pmcid = find(PMCID)
        self.url = find(URL)
        self.keywords = find(KEYWORDS)
        self.mesh = find(MESH)
        self.language = find(LANGUAGE)
        self.other_ids = {key: find(names) for key, names in OTHER_IDS.items()}
        self.openalex_id = find(("id",))
        self.extra = find(("extra",))

    def is_section_line(self, cells: list[str]) -> bool:
        """A line of text between the rows, not a record: one cell of a wide row filled, and
        not a title, abstract, DOI or PMID cell. abstrackr writes 'citations that are not
        yet labeled by anyone' before its unlabelled records."""
        filled = [index for index, value in enumerate(cells) if value.strip()]
        return (
            len(cells) >= 3
            and len(filled) == 1
            and filled[0] not in (*self.title, *self.abstract, *self.doi, *self.pmid)
        )

    def record(
        self, cells: list[str], raw: dict, *, position: int, line: int, notes: list[str]
    ) -> ParsedRecord:
        title = _first(cells, self.title)
        if not title:
            notes.append("no title")
        abstract = _first(cells, self.abstract)
        if abstract.lower() in ("[no abstract available]", "no abstract available"):
            abstract = ""
        if not abstract:
            notes.append("no abstract")

        journal, volume, issue = (
            _first(cells, self.journal),
            _first(cells, self.volume),
            _first(cells, self.issue),
        )
        pages = _first(cells, self.pages).translate(_DASHES) or pages_from(
            _first(cells, self.page_start), _first(cells, self.page_end)
        )
        pages = pages or _first(cells, self.article_number)
        doi = normalize_doi(_first(cells, self.doi))
        year_text = ""
        year = None
        for index in self.year:
            year_text = cell(cells[index])
            if year_text:
                year = parse_year(year_text)
                if year:
                    break
        fallback: dict[str, str] = {}
        source = _first(cells, self.source)
        if source:
            match = _EMBASE_SOURCE.match(source)
            if match:
                fallback = {k: v for k, v in match.groupdict().items() if v}
                fallback["pages"] = fallback.get("pages") or fallback.get("article", "")
            else:
                fallback = {"journal": source}
        citation = _first(cells, self.citation)
        if citation:
            match = _PUBMED_CITATION.match(citation)
            if match:
                fallback = {k: v for k, v in match.groupdict().items() if v} | fallback
                fallback.setdefault("year", match.group("date"))
            fallback.setdefault("doi", citation.partition("doi:")[2])
        if fallback:
            journal = journal or squash(fallback.get("journal"))
            volume = volume or squash(fallback.get("volume"))
            issue = issue or squash(fallback.get("issue"))
            pages = pages or squash(fallback.get("pages")).translate(_DASHES)
            doi = doi or normalize_doi(fallback.get("doi"))
            if year is None:
                year = parse_year(fallback.get("year"))
        if year is None:
            notes.append(f"year {year_text!r} not understood" if year_text else "no year")

        pmid = normalize_pmid(_first(cells, self.pmid))
        pmcid_text = _first(cells, self.pmcid)
        extra = _first(cells, self.extra)
        if extra:
            if not pmid and (found := _EXTRA_PMID.search(extra)):
                pmid = found.group(1)
            if not pmcid_text and (found := _EXTRA_PMCID.search(extra)):
                pmcid_text = found.group(1)
        other_ids = {}
        for key, indexes in self.other_ids.items():
            value = _first(cells, indexes)
            if value:
                # Cochrane writes 'EMBASE 643589775'; OpenAlex gives ids as URLs.
                value = value.removeprefix("EMBASE ").removeprefix("https://openalex.org/")
                other_ids[key] = value
        pmcid = _PMC.search(pmcid_text)
        if pmcid:
            other_ids["pmcid"] = pmcid.group(0).upper()
        openalex = _first(cells, self.openalex_id)
        if openalex.startswith("https://openalex.org/") and "accession" not in other_ids:
            other_ids["accession"] = openalex.removeprefix("https://openalex.org/")

        authors = ()
        for index in self.authors:
            value = cell(cells[index])
            if value:
                authors = split_authors(_SCOPUS_ID.sub("", value) if "(" in value else value)
                break

        keywords: list[str] = []
        for index in self.keywords:
            for word in split_keywords(cell(cells[index])):
                if word not in keywords:
                    keywords.append(word)
        mesh: list[str] = []
        for index in self.mesh:
            mesh.extend(split_keywords(cell(cells[index])))

        url = ""
        for index in self.url:
            value = cell(cells[index]).split(" ")[0].split(";")[0]
            if value.startswith(("http://", "https://")):
                url = value
                break

        return ParsedRecord(
            position=position,
            line=line,
            title=title,
            abstract=abstract,
            authors=authors,
            year=year,
            journal=journal,
            volume=volume,
            issue=issue,
            pages=pages,
            doi=doi,
            pmid=pmid,
            other_ids=other_ids,
            keywords=tuple(keywords),
            mesh_terms=tuple(mesh),
            language=_first(cells, self.language),
            url=url,
            publication_type=_first(cells, self.publication_type),
            raw=raw,
            warnings=tuple(notes),
        )
