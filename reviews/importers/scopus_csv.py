"""Scopus CSV export ("Export > CSV"), format `scopus-csv`.

Comma-separated, double-quoted, one header row ('Authors', 'Author full names',
'Author(s) ID', 'Title', 'Year', 'Source title', ... 'EID'), one row per record.

Vendor quirks handled:
- column sets change over the years (41 columns without 'Author full names' in older
  exports, 45-46 since): columns are found by name, never by position;
- 'Author full names' ('Wilson, Lauren N. (58975547800); ...') is preferred; 'Authors' is
  'Wilson L.N.; Gardner J.D.' today and 'Phillips J.C., Braun R.' in older exports;
  '[No author name available]' and '[No abstract available]' mean empty;
- the REAL export bug where rows have one field more than the header (an unnamed field
  after 'Funding Text 1', so 'References' lands under 'Correspondence Address' and EID
  under nothing). For such a row we find where the extra field sits: for every column we
  can recognise (Year, DOI, Link, PubMed ID, Document Type, Language, ISSN, EID...) we check
  whether its value fits when read in place or one field further on, and choose the
  split point that fits best (right after 'Funding Text' when several fit equally). The
  extra field is kept in raw; one warning per file says how many rows were realigned;
- literal U+FFFD characters left in the text by Scopus (warned once); a BOM; newlines
  inside quoted fields; CRLF / LF / bare CR.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .delimited import (
    Columns,
    allow_big_fields,
    cell,
    header_delimiter,
    header_names,
    norm_name,
    pages_from,
    reader_for,
    split_keywords,
    squash,
)
from .normalize import normalize_doi, normalize_pmid, parse_year

FORMAT = "scopus-csv"

_SCOPUS_ID = re.compile(r"\s*\(\d+\)")
_YEAR = re.compile(r"\d{4}\Z")
_ISSN = re.compile(r"[0-9]{7}[0-9Xx](?:[;, ]+[0-9]{7}[0-9Xx])*\Z")
_LANGUAGE = re.compile(r"[A-Za-z][A-Za-z ;,()-]{0,80}\Z")
_DOCUMENT_TYPES = frozenset(
    {
        "Article",
        "Review",
        "Conference Paper",
        "Conference Review",
        "Book Chapter",
        "Book",
        "Letter",
        "Editorial",
        "Note",
        "Erratum",
        "Short Survey",
        "Data Paper",
        "Retracted",
        "Undefined",
        "Report",
        "Abstract Report",
        "Business Article",
        "Press Release",
        "Article in Press",
        "Trade Journal",
        "Material Related to Meeting",
    }
)

# Columns whose values we can recognise, to find where a row's extra field sits.
_CHECKS = {
    "year": _YEAR.match,
    "doi": lambda value: value.startswith("10."),
    "link": lambda value: value.startswith(("http://", "https://")),
    "citedby": str.isdigit,
    "pagecount": str.isdigit,
    "issn": _ISSN.match,
    "pubmedid": str.isdigit,
    "languageoforiginaldocument": _LANGUAGE.match,
    "documenttype": _DOCUMENT_TYPES.__contains__,
    "publicationstage": lambda value: value in ("Final", "Article in press"),
    "openaccess": lambda value: "open access" in value.lower(),
    "source": lambda value: value == "Scopus",
    "eid": lambda value: value.startswith("2-s2.0-"),
}


def looks_like(text_head: str) -> bool:
    """A header with 'Source title' and a Scopus-only column or link."""
    first = text_head.lstrip("\ufeff\r\n").split("\n", 1)[0]
    try:
        names = {
            norm_name(name) for name in next(csv.reader([first], delimiter=header_delimiter(first)))
        }
    except (csv.Error, StopIteration):
        return False
    if "sourcetitle" not in names or "title" not in names:
        return False
    return bool({"eid", "authorsid"} & names) or ("link" in names and "scopus.com" in text_head)


def _fit(check, value: str) -> int:
    if not value:
        return 0
    return 1 if check(value.strip()) else -1


class _Realigner:
    """Where the extra field sits in a row with one field more than the header."""

    def __init__(self, names: list[str]):
        self.width = len(names)
        self.checked = [
            (index, _CHECKS[norm_name(name)])
            for index, name in enumerate(names)
            if norm_name(name) in _CHECKS
        ]
        funding = [i for i, name in enumerate(names) if norm_name(name).startswith("fundingtext")]
        self.known = funding[-1] + 1 if funding else None

    def extra_index(self, row: list[str]) -> int:
        """k such that row[k] is the extra field: columns before k are in place, later ones
        one to the right. Checked columns split 0..width into intervals of equal score."""
        score = sum(_fit(check, row[index + 1]) for index, check in self.checked)
        best, intervals = score, [(0, self.checked[0][0] if self.checked else self.width)]
        for number, (index, check) in enumerate(self.checked):
            score += _fit(check, row[index]) - _fit(check, row[index + 1])
            nxt = self.checked[number + 1][0] if number + 1 < len(self.checked) else self.width
            interval = (index + 1, nxt)
            if score > best:
                best, intervals = score, [interval]
            elif score == best:
                intervals.append(interval)
        candidates = [k for low, high in intervals for k in range(low, high + 1)]
        if candidates[-1] == self.width and not row[self.width].strip():
            return self.width  # a plain trailing comma: nothing shifted
        if self.known in candidates:
            return self.known
        for k in candidates:
            if not row[k].strip():
                return k
        return candidates[-1]


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ParseError("the file is empty", expected="a Scopus CSV header row")
    allow_big_fields()
    reader = reader_for(text, header_delimiter(text.lstrip("\r\n").split("\n", 1)[0]))
    rows = iter(reader)
    header: list[str] = []
    for header in rows:
        if any(value.strip() for value in header):
            break
    names = header_names(header)
    columns = Columns(names)
    if not (columns.has("title") or columns.has("eid")):
        raise ParseError(
            f"the header does not look like a Scopus export: {', '.join(names[:6])!r}",
            line=reader.line_num,
            expected="columns such as 'Authors', 'Title', 'Year', 'Source title', 'EID'",
        )
    width = len(names)
    realign = _Realigner(names)
    plan = _Plan(columns)
    position = 0
    realigned: dict[int, int] = {}
    odd_rows = 0
    last_line = reader.line_num
    try:
        for row in rows:
            start, last_line = last_line + 1, reader.line_num
            if not "".join(row).strip():
                continue
            extras: list[str] = []
            if len(row) == width + 1:
                k = realign.extra_index(row)
                if k < width:
                    realigned[k] = realigned.get(k, 0) + 1
                extras = [row[k]] if row[k].strip() else []
                row = row[:k] + row[k + 1 :]
            elif len(row) > width:
                extras = [value for value in row[width:] if value.strip()]
                if extras:
                    odd_rows += 1
                row = row[:width]
            elif len(row) < width:
                row = row + [""] * (width - len(row))
            raw = {name: value for name, value in zip(names, row, strict=True) if value}
            if extras:
                raw["_extra"] = extras
            position += 1
            yield plan.record(row, raw, position=position, line=start)
    except csv.Error as error:
        raise ParseError(f"the file is not valid CSV: {error}", line=reader.line_num) from None
    for k, count in sorted(realigned.items()):
        after = f"after {names[k - 1]!r}" if k else "at the start"
        warnings.append(
            f"{count} row(s) had one field more than the header (a Scopus export bug): "
            f"the extra field {after} was set aside and the columns realigned"
        )
    if odd_rows:
        warnings.append(f"{odd_rows} row(s) had several fields more than the header")
    if "\ufffd" in text:
        warnings.append("the file contains U+FFFD characters: Scopus lost some letters on export")
    if position == 0:
        raise ParseError("the header row is not followed by any record", line=1)


class _Plan:
    def __init__(self, columns: Columns):
        def column(name: str) -> int | None:
            found = columns.find((name,))
            return found[0] if found else None

        self.full_names = column("authorfullnames")
        self.authors = column("authors")
        self.title = column("title")
        self.year = column("year")
        self.journal = column("sourcetitle")
        self.volume = column("volume")
        self.issue = column("issue")
        self.article_number = column("artno")
        self.page_start = column("pagestart")
        self.page_end = column("pageend")
        self.doi = column("doi")
        self.link = column("link")
        self.abstract = column("abstract")
        self.keywords = columns.find(("authorkeywords", "indexkeywords"))
        self.pmid = column("pubmedid")
        self.language = column("languageoforiginaldocument")
        self.document_type = column("documenttype")
        self.eid = column("eid")

    def record(self, row: list[str], raw: dict, *, position: int, line: int) -> ParsedRecord:
        def get(index: int | None) -> str:
            return cell(row[index]) if index is not None else ""

        notes = []
        title = get(self.title)
        if not title:
            notes.append("no title")
        abstract = get(self.abstract)
        if abstract.lower() == "[no abstract available]":
            abstract = ""
        if not abstract:
            notes.append("no abstract")
        authors = _full_names(get(self.full_names)) or _short_names(get(self.authors))
        year_text = get(self.year)
        year = parse_year(year_text)
        if year is None:
            notes.append(f"year {year_text!r} not understood" if year_text else "no year")
        keywords: list[str] = []
        for index in self.keywords:
            for word in split_keywords(cell(row[index])):
                if word not in keywords:
                    keywords.append(word)
        eid = get(self.eid)
        link = get(self.link)
        return ParsedRecord(
            position=position,
            line=line,
            title=title,
            abstract=abstract,
            authors=authors,
            year=year,
            journal=get(self.journal),
            volume=get(self.volume),
            issue=get(self.issue),
            pages=pages_from(get(self.page_start), get(self.page_end)) or get(self.article_number),
            doi=normalize_doi(get(self.doi)),
            pmid=normalize_pmid(get(self.pmid)),
            other_ids={"scopus": eid} if eid else {},
            keywords=tuple(keywords),
            language=get(self.language),
            url=link if link.startswith(("http://", "https://")) else "",
            publication_type=get(self.document_type),
            raw=raw,
            warnings=tuple(notes),
        )


def _full_names(value: str) -> tuple[str, ...]:
    """'Wilson, Lauren N. (58975547800); Gardner, Jacob D. (57190394669)'."""
    if not value:
        return ()
    names = (squash(_SCOPUS_ID.sub("", name)) for name in value.split(";"))
    return tuple(name for name in names if name)


def _short_names(value: str) -> tuple[str, ...]:
    """'Wilson L.N.; Gardner J.D.' (today) or 'Phillips J.C., Braun R.' (older exports)."""
    if not value or value.startswith("[No author"):
        return ()
    separator = ";" if ";" in value else ","
    return tuple(name for name in (squash(part) for part in value.split(separator)) if name)
