"""The contract every parser follows: text in, an iterator of ParsedRecord out.

Parsers are pure Python: no Django, no ORM, no request. Each record says where it
came from (its 1-based number in the file and the line it starts on) so that
errors and warnings can name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class ParseError(Exception):
    """The file cannot be read as a whole. The import is refused.

    `line` is 1-based where it applies; `expected` says what the parser wanted.
    The file name is added by the caller, which knows it.
    """

    def __init__(self, message: str, *, line: int | None = None, expected: str = ""):
        self.message = message
        self.line = line
        self.expected = expected
        super().__init__(self.describe())

    def describe(self, file_name: str = "") -> str:
        parts = []
        if file_name:
            parts.append(file_name)
        if self.line is not None:
            parts.append(f"line {self.line}")
        where = ", ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    # Where the record is in the file: its 1-based number and first line.
    position: int
    line: int | None = None
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""  # normalised by normalize.normalize_doi: lower case, no URL prefix
    pmid: str = ""  # digits only
    # Other database ids, keys from OTHER_ID_KEYS, e.g. {"embase": "L2004567", "wos": "WOS:000..."}.
    other_ids: dict[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    mesh_terms: tuple[str, ...] = ()
    language: str = ""
    url: str = ""
    publication_type: str = ""
    # Everything the file said about this record, JSON-serialisable, so nothing is lost:
    # tagged formats give {tag: [values...]}, CSV gives {column: value}, XML gives {"xml": "..."}.
    raw: dict[str, Any] = field(default_factory=dict)
    # Record-level oddities (no title, odd year, unknown tag...). They never refuse the file.
    warnings: tuple[str, ...] = ()


# The longest value each of these fields may have: the length of its column in
# reviews_record (tests check that they agree). Longer values are cut, with a warning, or for
# identifiers dropped (a cut identifier would name another record); raw keeps them whole.
FIELD_LIMITS = {
    "volume": 100,
    "issue": 100,
    "pages": 100,
    "language": 100,
    "publication_type": 200,
    "doi": 300,
    "pmid": 20,
}
# Real PMIDs have at most 8 digits; longer digit strings are something else.
PMID_DIGITS = 10

# Keys used in ParsedRecord.other_ids.
OTHER_ID_KEYS = (
    "embase",  # Embase accession, e.g. L2004567
    "wos",  # Web of Science UT, e.g. WOS:000719584000015
    "central",  # Cochrane CENTRAL id, e.g. CN-00778158
    "lilacs",  # LILACS id, e.g. biblio-1234567
    "scopus",  # Scopus EID, e.g. 2-s2.0-85000000000
    "pmcid",  # PubMed Central id, e.g. PMC1234567
    "proquest",  # ProQuest document ID, e.g. 1773848453
    "accession",  # any other accession number, as given
)


class Parser(Protocol):
    """Each module in reviews/importers/ exposes `parse` with this signature.

    `warnings` collects file-level warnings (strings); record-level ones go on the record.
    Raise ParseError for a file that cannot be read.
    """

    def __call__(self, text: str, warnings: list[str]) -> Iterator[ParsedRecord]: ...
