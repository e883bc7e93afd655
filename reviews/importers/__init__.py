"""The importer registry: bytes in, the file's format, encoding and records out.

Each format is one module here exposing FORMAT (its name), looks_like(text_head) and
parse(text, warnings). FORMATS lists them in the order detection tries them: formats with
an unmistakable start first, the generic CSV reader last, since nearly any text has a comma.

Errors name the file: a ParseError raised while decoding, detecting or parsing (also one
raised later, while the records are being read) carries the file name in str(error), e.g.
"refs.ris, line 12: <message> (expected <what>)". Its message, line and expected
attributes stay as the parser set them; error.file_name is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

from . import (
    bibtex,
    bvs,
    cochrane_text,
    delimited,
    endnote_tagged,
    endnote_xml,
    medline,
    ovid,
    proquest,
    pubmed_xml,
    ris,
    scopus_csv,
    wos,
    wos_tab,
)
from .base import ParsedRecord, ParseError
from .decode import decode_bytes, utf8_pieces
from .normalize import tidy_record

# How people call the formats, in the order we list them to them.
LABELS = {
    "ris": "RIS",
    "medline": "PubMed/MEDLINE",
    "ovid": "Ovid tagged text",
    "pubmed-xml": "PubMed XML",
    "endnote-xml": "EndNote XML",
    "bibtex": "BibTeX",
    "wos": "Web of Science plain text",
    "wos-tab": "Web of Science tab-delimited",
    "scopus-csv": "Scopus CSV",
    "endnote-tagged": "EndNote tagged text",
    "bvs": "BVS/LILACS results page",
    "proquest": "ProQuest plain text",
    "cochrane-text": "Cochrane Library plain text",
    "csv": "CSV/TSV with a header row",
}

# How much of the file looks_like sees.
DETECT_CHARS = 64 * 1024
# Files from this size on are decoded piece by piece when their format's parser can read
# pieces (parse_pieces): the text of a 300 MB file is never in memory as a whole.
STREAM_BYTES = 8 * 1024 * 1024


# Detection order: unmistakable starts first, the generic CSV reader last.
FORMATS: dict[str, ModuleType] = {
    module.FORMAT: module
    for module in (
        pubmed_xml,
        endnote_xml,
        proquest,
        cochrane_text,
        bibtex,
        ovid,
        medline,
        wos,
        bvs,
        ris,
        endnote_tagged,
        wos_tab,
        scopus_csv,
        delimited,
    )
}


@dataclass(slots=True)
class ReadResult:
    format: str
    encoding: str
    records: Iterator[ParsedRecord]
    # File-level warnings: the decoder's at once, the parser's as the records are read.
    warnings: list[str] = field(default_factory=list)


def read_records(data: bytes, *, file_name: str, format: str | None = None) -> ReadResult:
    """Decode, detect (unless format is given) and start parsing one uploaded file.

    Raises ParseError (with the file name in its text) for an unreadable file or an unknown
    format name; iterating the records may raise one too, also naming the file.
    """
    streamed = _read_streamed(data, file_name, format) if len(data) >= STREAM_BYTES else None
    if streamed is not None:
        return streamed
    try:
        text, encoding, warnings = decode_bytes(data)
        if format is None:
            format = detect_format(text)
        elif format not in FORMATS:
            raise ParseError(
                f"unknown format name {format!r}", expected="one of " + ", ".join(FORMATS)
            )
    except ParseError as error:
        raise _named(error, file_name) from None
    records = _records(FORMATS[format].parse, text, warnings, file_name)
    return ReadResult(format=format, encoding=encoding, records=records, warnings=warnings)


def _read_streamed(data: bytes, file_name: str, format: str | None) -> ReadResult | None:
    """read_records for a large valid UTF-8 file whose parser reads pieces; else None."""
    if format is not None and not hasattr(FORMATS.get(format), "parse_pieces"):
        return None
    pieces = utf8_pieces(data)
    if pieces is None:
        return None
    if format is None:
        head = next(pieces(), "")[:DETECT_CHARS]
        if not head.strip():
            return None  # decode_bytes says what is wrong with it
        try:
            format = detect_format(head)
        except ParseError:
            return None
        if not hasattr(FORMATS[format], "parse_pieces"):
            return None
    warnings: list[str] = []
    records = _records(FORMATS[format].parse_pieces, pieces(), warnings, file_name)
    return ReadResult(format=format, encoding="utf-8", records=records, warnings=warnings)


def detect_format(text: str) -> str:
    """The name of the first format whose looks_like accepts the start of the text."""
    head = text[:DETECT_CHARS].removeprefix("\ufeff")
    for name, module in FORMATS.items():
        if module.looks_like(head):
            return name
    message, line = _describe_start(head)
    labels = [label for name, label in LABELS.items() if name in FORMATS]
    raise ParseError(
        f"unknown format: {message}", line=line, expected="one of " + ", ".join(labels)
    )


def _records(parse, source, warnings: list[str], file_name: str) -> Iterator[ParsedRecord]:
    """The records `parse` (a parser's parse or parse_pieces) reads from `source`, each
    tidied; a ParseError names the file."""
    try:
        for record in parse(source, warnings):
            yield tidy_record(record)
    except ParseError as error:
        raise _named(error, file_name) from None


def _named(error: ParseError, file_name: str) -> ParseError:
    error.file_name = file_name
    error.args = (error.describe(file_name),)
    return error


_XML_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)


def _describe_start(head: str) -> tuple[str, int | None]:
    """A short hint of what the file is, and the line of its first non-blank line."""
    for number, line in enumerate(head.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("<"):
            if _HTML.search(head):
                return (
                    "this is a web page (HTML), not an export: "
                    "the download may have failed or needed a login",
                    number,
                )
            root = _XML_ROOT.search(re.sub(r"<\?.*?\?>|<!--.*?-->|<!.*?>", "", head, flags=re.S))
            if root:
                return (
                    f"an XML file whose root element is <{root.group(1)}>, "
                    "not PubMed or EndNote XML",
                    number,
                )
        if line.startswith("{\\rtf"):
            return "this is an RTF document (a formatted reference list?), not an export", number
        shown = line if len(line) <= 60 else line[:60] + "..."
        return f"the file starts with {shown!r}", number
    return "the file holds no text", None
