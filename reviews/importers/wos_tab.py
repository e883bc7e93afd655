"""Web of Science tab-delimited (Win or Mac, UTF-8 or UTF-16), format `wos-tab`.

The first row names the columns with the same two-letter tags as the plain-text export
(PT AU BA BE GP AF BF CA TI SO ... UT ...); each further row is one record. Multi-valued
fields (AU, AF, DE, ID, C1, CR) are one cell with '; ' between the values.

Vendor quirks handled:
- no quoting at all: a '"' is an ordinary character, so the rows are split on tabs, never
  read with a CSV quote parser (which would swallow the rows after a stray quote);
- a BOM (UTF-8 or, before decoding, UTF-16), CRLF or LF or bare CR line ends;
- a trailing tab after the last column on some or all rows (older exports), and rows
  with fewer cells than the header (trailing empty cells dropped by a spreadsheet);
- the fields are the plain-text ones, so the record is built by wos.record_from_tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import ParsedRecord, ParseError
from .wos import record_from_tags

FORMAT = "wos-tab"

_LINE_END = re.compile(r"\r\n|\r|\n")
_TAG = re.compile(r"[A-Z][A-Z0-9]\Z")


def _header(line: str) -> list[str]:
    names = line.removeprefix("\ufeff").split("\t")
    while names and not names[-1].strip():
        names.pop()
    return [name.strip() for name in names]


def looks_like(text_head: str) -> bool:
    """A tab-separated first row of two-letter tags starting with PT (or at least AU and TI)."""
    first = _LINE_END.split(text_head.lstrip("\ufeff"), maxsplit=1)[0]
    if "\t" not in first:
        return False
    names = _header(first)
    tags = [name for name in names if _TAG.match(name)]
    if len(tags) < 0.9 * len(names) or len(tags) < 3:
        return False
    return names[0] == "PT" or {"AU", "TI", "UT"} <= set(tags)


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    lines = _LINE_END.split(text.removeprefix("\ufeff"))
    # Skip blank lines before the header, if any.
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        raise ParseError("the file is empty", expected="a header row of tags: PT, AU, ... UT")
    names = _header(lines[first])
    if not (names and "TI" in names and all(_TAG.match(name) for name in names)):
        shown = lines[first][:60]
        raise ParseError(
            f"the first row is not a Web of Science header: {shown!r}",
            line=first + 1,
            expected="a tab-separated header row of two-letter tags: PT, AU, ... TI ... UT",
        )
    width = len(names)
    position = 0
    extra_rows = 0
    for number in range(first + 2, len(lines) + 1):
        line = lines[number - 1]
        if not line.strip():
            continue
        cells = line.split("\t")
        notes: tuple[str, ...] = ()
        if len(cells) > width:
            extras = [cell for cell in cells[width:] if cell.strip()]
            if extras:
                extra_rows += 1
                notes = (f"{len(extras)} cell(s) beyond the last column kept in raw",)
            cells = cells[:width]
        else:
            extras = []
        raw = {name: cell for name, cell in zip(names, cells, strict=False) if cell.strip()}
        if extras:
            raw["_extra"] = extras
        # record_from_tags expects {tag: [values]}; a cell is one value, '; '-separated lists
        # are split there.
        tags = {name: [value.strip()] for name, value in raw.items() if name != "_extra"}
        position += 1
        yield record_from_tags(tags, position=position, line=number, raw=raw, extra_warnings=notes)
    if extra_rows:
        warnings.append(f"{extra_rows} row(s) had more cells than the header")
    if position == 0:
        raise ParseError(
            "the header row is not followed by any record", line=first + 1, expected="records"
        )
