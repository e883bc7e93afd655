"""Small pure helpers shared by the parsers."""

from __future__ import annotations

import re

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|https?://doi\.org/)", re.I)
_DOI_SHAPE = re.compile(r"10\.\d{4,9}/\S+", re.I)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_SPACE = re.compile(r"\s+")


def normalize_doi(value: str | None) -> str:
    """Lower case, no URL or 'doi:' prefix, no trailing punctuation. '' when not a DOI."""
    if not value:
        return ""
    text = _DOI_PREFIX.sub("", value.strip())
    match = _DOI_SHAPE.search(text)
    if not match:
        return ""
    return match.group(0).rstrip(".,;)]").lower()


def normalize_pmid(value: str | None) -> str:
    if not value:
        return ""
    match = re.search(r"\d+", value)
    return match.group(0) if match else ""


def parse_year(value: str | None) -> int | None:
    """The first plausible four-digit year in the text, else None."""
    if not value:
        return None
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def clean(value: str | None) -> str:
    """Collapse runs of white space; None becomes ''."""
    if not value:
        return ""
    return _SPACE.sub(" ", value).strip()


_PAGE_RANGE = re.compile(r"^(\d+)\s*[-\u2010-\u2015]+\s*(\d+)$")


def expand_pages(start: str | None, end: str | None = "") -> str:
    """A page range as 'start-end': '113-25' -> '113-125', '79 – 88' -> '79-88', '704-704' -> '704'.

    Non-numeric pages ('e123', 'S0895435619309862') stay as given.
    """
    start, end = clean(start), clean(end)
    if not end:
        match = _PAGE_RANGE.match(start)
        if not match:
            return start
        start, end = match.groups()
    if start.isdigit() and end.isdigit() and len(end) < len(start):
        # MEDLINE abbreviates the end page to the digits that change.
        end = start[: len(start) - len(end)] + end
    return f"{start}-{end}" if end and end != start else start
