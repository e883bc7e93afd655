"""Small pure helpers shared by the parsers."""

from __future__ import annotations

import dataclasses
import html
import re

from .base import FIELD_LIMITS, PMID_DIGITS, ParsedRecord

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|https?://doi\.org/)", re.I)
_DOI_SHAPE = re.compile(r"10\.\d{4,9}/\S+", re.I)
# A plausible four-digit year, not part of a longer number.
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
# A compact date, 20170812 (TRID's 'Start date: 20170812').
_COMPACT_DATE = re.compile(
    r"(?<!\d)(1[5-9]\d\d|20\d\d)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"
)
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
    """The PMID's digits; '' when there are none, or only zeros (abstrackr's 'none')."""
    if not value:
        return ""
    match = re.search(r"\d+", value)
    if not match or not match.group(0).strip("0"):
        return ""
    return match.group(0)


def parse_year(value: str | None) -> int | None:
    """The first plausible four-digit year in the text, else None."""
    if not value:
        return None
    match = YEAR.search(value) or _COMPACT_DATE.search(value)
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


def first_value(raw: dict[str, list[str]], tags: tuple[str, ...]) -> str:
    """The first non-empty value of the first of `tags` that has one (tagged formats)."""
    for tag in tags:
        for value in raw.get(tag, ()):
            if value:
                return value
    return ""


def number_ranges(numbers: list[int]) -> str:
    """[9, 16, 17, 18] -> '9, 16-18'."""
    parts = []
    start = previous = numbers[0]
    for number in [*numbers[1:], 0]:
        if number != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = number
        previous = number
    return ", ".join(parts)


# Markup that databases leave in titles and abstracts: JATS from Crossref (Lens, Dimensions,
# Zotero and EndNote records), HTML and MathML. Only these tags, written as tags (a name
# right after '<', attributes as name=value), are taken out, so that 'p < 0.05' or 'a<b'
# stay as they are.
_TAG_NAMES = (
    r"(?:jats|mml):[\w.-]+|p|br|i|b|u|em|strong|sup|sub|italic|bold|sc|inf|span|div|sec"
    r"|title|underline|small|big|tt|font|a|abstract|list|list-item|label|caption|li|ul|ol|h[1-6]"
)
_ATTRIBUTES = r"""(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))*\s*/?"""
_MARKUP = re.compile(rf"<(?:{_TAG_NAMES}){_ATTRIBUTES}>|</(?:{_TAG_NAMES})\s*>", re.I)
# The 'Abstract' heading JATS puts first; other section titles are kept as text.
_ABSTRACT_HEADING = re.compile(r"^\s*<(jats:)?title>\s*abstract\s*</(jats:)?title>\s*", re.I)
_SECTION_TITLE_END = re.compile(r"\s*</(?:jats:)?title\s*>", re.I)
_BLOCK_END = re.compile(r"</(?:jats:)?(?:p|sec|list-item|li|div|h[1-6])\s*>|<br\s*/?>", re.I)
_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{2,6}|#x[0-9a-f]{2,5});", re.I)
_RUNS = re.compile(r"[ \t\u00a0]{2,}")


def strip_markup(text: str) -> str:
    """Text without JATS/HTML/MathML tags and with HTML entities decoded; plain text comes
    back unchanged. Section titles end with ': ', paragraphs are separated by a space."""
    if "<" not in text and "&" not in text:
        return text
    tagged = _MARKUP.search(text) is not None
    if tagged:
        text = _ABSTRACT_HEADING.sub("", text)
        text = _SECTION_TITLE_END.sub(": ", text)
        text = _BLOCK_END.sub(" ", text)
        text = _MARKUP.sub("", text)
    if tagged or _ENTITY.search(text):
        text = html.unescape(text)
    if tagged:
        text = _RUNS.sub(" ", text).strip()
    return text


# EBSCOhost ends author abstracts with its copyright notice, the same long text on every
# record of a journal; the notice is not the author's abstract.
_EBSCO_COPYRIGHT = re.compile(
    r"\s*(?:\[ABSTRACT FROM (?:AUTHOR|PUBLISHER)\])?\s*Copyright of .{1,400}? is the property "
    r"of .{1,800}?\(Copyright applies to all Abstracts\.?\)\s*$",
    re.S,
)
_EBSCO_SOURCE_MARK = re.compile(r"\s*\[ABSTRACT FROM (?:AUTHOR|PUBLISHER)\]\s*$")


def strip_vendor_notes(abstract: str) -> str:
    """The abstract without EBSCOhost's trailing copyright notice and source mark."""
    if "Copyright applies to all Abstracts" not in abstract and "[ABSTRACT FROM" not in abstract:
        return abstract
    return _EBSCO_SOURCE_MARK.sub("", _EBSCO_COPYRIGHT.sub("", abstract))


# What databases write where a work has no author (ProQuest, PubMed).
_NO_AUTHOR = frozenset({"anonymous", "[no authors listed]", "no authors listed"})

# What R (write.csv, synthesisr, revtools) writes for a missing value.
MISSING = "NA"
_MISSING_TEXT_FIELDS = ("journal", "volume", "issue", "pages", "language", "url")
_MISSING_TEXT_FIELDS += ("publication_type",)


# Signs of UTF-8 text that was decoded as Windows-1252 and saved again ('Ã¼' for 'ü',
# 'â€™' for '’'), which some exporters (EBSCOhost) do.
_MOJIBAKE_SIGNS = ("Ã", "Â", "â€")


def _repair_encoding(text: str) -> str:
    if not any(sign in text for sign in _MOJIBAKE_SIGNS):
        return text
    import ftfy

    return ftfy.fix_encoding(text)


def _repaired(record: ParsedRecord) -> dict:
    """The fields of `record` that held mojibake, repaired."""
    # One look at all the text first: nearly every record has none (this runs 100,000 times
    # for a large file).
    text = "\x1f".join(
        (
            record.title,
            record.abstract,
            record.journal,
            *record.authors,
            *record.keywords,
            *record.mesh_terms,
        )
    )
    if not any(sign in text for sign in _MOJIBAKE_SIGNS):
        return {}
    changes: dict = {}
    for name in ("title", "abstract", "journal"):
        value = getattr(record, name)
        fixed = _repair_encoding(value)
        if fixed != value:
            changes[name] = fixed
    for name in ("authors", "keywords", "mesh_terms"):
        values = getattr(record, name)
        fixed_values = tuple(_repair_encoding(value) for value in values)
        if fixed_values != values:
            changes[name] = fixed_values
    return changes


_LIMITS = tuple(
    (name, min(limit, PMID_DIGITS) if name == "pmid" else limit)
    for name, limit in FIELD_LIMITS.items()
)


def _over_limits(record: ParsedRecord, changes: dict) -> list[str]:
    """Cut the fields longer than their column (FIELD_LIMITS) in `changes`; drop an
    identifier that long. The warnings to add."""
    notes = []
    for name, limit in _LIMITS:
        value = changes.get(name, getattr(record, name))
        if len(value) <= limit:
            continue
        too_long = len(value) > (PMID_DIGITS if name == "pmid" else limit)
        if not too_long:
            continue
        shown = value if len(value) <= 40 else value[:40] + "..."
        if name in ("doi", "pmid"):
            changes[name] = ""
            notes.append(f"{name} {shown!r} is too long to be one; left out (kept in raw)")
        else:
            changes[name] = value[:limit]
            notes.append(f"{name} cut to {limit} characters (kept whole in raw)")
    return notes


def tidy_record(record: ParsedRecord) -> ParsedRecord:
    """What every parser's records go through: mojibake repaired (with a warning), markup
    out of the title and abstract, and R's 'NA' read as a missing value (not in titles,
    which could say it)."""
    changes = _repaired(record)
    if changes:
        record = dataclasses.replace(record, **changes)
        changes = {
            "warnings": (
                *record.warnings,
                "text repaired: UTF-8 that had been read as Windows-1252 ('Ã¼' for 'ü')",
            )
        }
    title = strip_markup(record.title)
    abstract = strip_vendor_notes(strip_markup(record.abstract))
    if title != record.title:
        changes["title"] = title
    if abstract == MISSING:
        abstract = ""
        if "no abstract" not in record.warnings:
            changes["warnings"] = (*changes.get("warnings", record.warnings), "no abstract")
    if abstract != record.abstract:
        changes["abstract"] = abstract
    for name in _MISSING_TEXT_FIELDS:
        if getattr(record, name) == MISSING:
            changes[name] = ""
    notes = _over_limits(record, changes)
    if notes:
        changes["warnings"] = (*changes.get("warnings", record.warnings), *notes)
    for name in ("authors", "keywords", "mesh_terms"):
        if getattr(record, name) == (MISSING,):
            changes[name] = ()
    authors = changes.get("authors", record.authors)
    # Databases write it as the only author.
    if authors and authors[0].lower() in _NO_AUTHOR:
        changes["authors"] = tuple(a for a in authors if a.lower() not in _NO_AUTHOR)
    return dataclasses.replace(record, **changes) if changes else record
