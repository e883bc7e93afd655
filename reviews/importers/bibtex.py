"""BibTeX (format `bibtex`), read with bibtexparser 2's splitter; values are decoded here.

Speed: bibtexparser's splitter visits every comma, brace and line end in Python, about a minute
for 100,000 Scopus entries. Entries as exporters write them are therefore read by a quick path
that jumps from field to field with regexes and gives the same blocks (a test compares the two);
anything unusual in an entry (parentheses, '#' concatenation, a missing brace) goes to
bibtexparser. LaTeX is decoded by one regex pass, pylatexenc only for unknown commands.

Vendor quirks handled:
- Scopus: "Scopus" / "EXPORT DATE: ..." lines before the first entry, TAB indentation,
  en dash page ranges ("79 – 88"), author_keywords, pubmed_id / pmid, the EID in the url;
- Web of Science: BOM, "@article{ WOS:000...," keys with a space, double-braced {{...}} values,
  values wrapped over indented lines, Unique-ID (-> other_ids["wos"]), Keywords / Keywords-Plus;
- Cochrane Library (CDSR): "Record #N of M" lines between entries, CRLF, and an author field
  that separates persons with commas ("Smith, SR, Newton, K, and Hill, J");
- Zotero (month macros such as "month = mar", urldate), Google Scholar ("First Last" names),
  Rayyan (RAYYAN-INCLUSION notes, PubMed links), EBSCO and Europe PMC exports;
- LaTeX escapes (\\'e, {\\"u}, \\&, \\textit{...}) turned into Unicode in every field used.

Every entry becomes one record, duplicates (same key twice) included. An entry bibtexparser
could not split is still yielded, with what could be recovered and a warning. @comment,
@string and @preamble are not records; @string macros are resolved.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import bibtexparser
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ImplicitComment,
    ParsingFailedBlock,
    String,
)

from .base import ParsedRecord, ParseError
from .normalize import clean, expand_pages, normalize_doi, normalize_pmid, parse_year

FORMAT = "bibtex"

# bibtexparser logs each block it gives up on; the import reports them as record warnings.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

# An entry (not @comment / @string / @preamble) at the start of a line: "@article{key,".
_ENTRY_HEAD = re.compile(
    r"^[ \t]*@(?!comment\b|string\b|preamble\b)[A-Za-z]+[ \t]*[{(][ \t]*[^\s,{}()=\"]*[ \t]*,",
    re.M | re.I,
)
# Where bibtexparser starts a block when it sees one at the start of a line.
_BLOCK_START = re.compile(r"^[ \t]*@(\w*)[ \t]*([{(])", re.M)
_KEY_STOP = re.compile(r"[{}=\"]")
_FIELD_NAME = re.compile(r"\s*([^\s=,{}\"#](?:[^=,{}\"#\n]*[^\s=,{}\"#])?)\s*=\s*")
_BARE_VALUE = re.compile(r"[^\s,{}\"#=]+")
_AFTER_VALUE = re.compile(r"\s*([,}#])")
_CLOSE = re.compile(r"\s*\}")
_BRACE = re.compile(r"(?<!\\)[{}]")
_QUOTE_OR_BRACE = re.compile(r"(?<!\\)[\"{}]")
_FAILED_HEAD = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^\s,{}()=\"]*)")
# Fields of an entry bibtexparser gave up on: braces nested up to three deep, quotes or a word.
_LOOSE_FIELD = re.compile(
    r"([A-Za-z][\w-]*)\s*=\s*(\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|\"[^\"]*\"|[\w.:/-]+)"
)
# A field line in the text after an entry closed: a stray '}' inside a value (EBSCO copies
# page scripts into Keywords) ended the entry early, and its later fields follow it.
_STRAY_FIELD_LINE = re.compile(r"^\s*[A-Za-z][\w-]*\s*=\s*[{\"]", re.M)
_AND = re.compile(r"\s+and\s+", re.I)
_LINK = re.compile(r"(?:https?|ftp)://", re.I)
_PUBMED_LINK = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)")
_SCOPUS_EID = re.compile(r"eid=(2-s2\.0-\d+)")
_WOS_ID = re.compile(r"^(?:WOS|ISI):\s*(\w+)$", re.I)
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")

_PMID_FIELDS = ("pmid", "pubmed_id", "pubmed-id", "pubmedid")
_KEYWORD_FIELDS = ("author_keywords", "keywords", "keywords-plus", "index_keywords", "keyword")

# LaTeX accents: \'e, \'{e}, \"{\i}, \c{c}, \v c ... -> base letter + combining mark.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "b": "\u0331",
    "d": "\u0323",
}
_SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "textendash": "–",
    "textemdash": "—",
    "textquoteright": "’",
    "textquoteleft": "‘",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquotesingle": "'",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textregistered": "®",
    "texttrademark": "™",
    "copyright": "©",
    "textcopyright": "©",
    "textdegree": "°",
    "textpm": "±",
    "pm": "±",
    "times": "×",
    "texttimes": "×",
    "S": "§",
    "P": "¶",
    "dag": "†",
    "ddag": "‡",
    "euro": "€",
    "texteuro": "€",
    "pounds": "£",
    "textmu": "µ",
    "textperthousand": "‰",
    "textasciitilde": "~",
    "textunderscore": "_",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "guillemotleft": "«",
    "guillemotright": "»",
}
# Formatting commands: the command goes, its argument stays (braces are dropped afterwards).
_FORMATTING = frozenset(
    "textit textbf emph textrm textsc texttt textsf textup textsl textmd textnormal mathrm "  # noqa: SIM905
    "mathit mathbf mathsf mathtt url mbox text textsuperscript textsubscript uppercase "
    "lowercase bf it em rm sc tt sf sl normalfont upshape itshape bfseries scshape relax "
    "protect hbox nocase".split()
)
_LETTER = r"\\[ij](?![A-Za-z])|[A-Za-z]"
_LATEX = re.compile(
    r"\\(?:"
    rf"(?P<acc>['`^\"~=.])\s*(?:\{{\s*(?P<b1>{_LETTER})\s*\}}|(?P<b2>{_LETTER}))"
    rf"|(?P<lacc>[uvHckrbd])(?:\s*\{{\s*(?P<b3>{_LETTER})\s*\}}|\s+(?P<b4>[A-Za-z]))"
    r"|(?P<esc>[&%_$#{}])"
    r"|(?P<word>[A-Za-z]+)\s*(?:\{\})?"
    r"|(?P<space>[ ,;:!\\])"
    r")"
)
# Escaped braces survive brace removal as these stand-ins.
_PROTECT = {"{": "\x00", "}": "\x01"}
_UNPROTECT = str.maketrans({"\x00": "{", "\x01": "}"})


def looks_like(text_head: str) -> bool:
    return bool(_ENTRY_HEAD.search(text_head))


def _latex_sub(match: re.Match) -> str:
    accent = match["acc"] or match["lacc"]
    if accent:
        base = match["b1"] or match["b2"] or match["b3"] or match["b4"]
        return base[-1] + _ACCENTS[accent]
    if escaped := match["esc"]:
        return _PROTECT.get(escaped, escaped)
    if word := match["word"]:
        if word in _SYMBOLS:
            return _SYMBOLS[word]
        if word in _FORMATTING:
            return ""
        return match[0]  # unknown command: left for pylatexenc
    return " "


@cache
def _pylatexenc():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False)


def _squash(text: str) -> str:
    # Same result as normalize.clean, two to three times faster on long abstracts.
    return " ".join(text.split())


def latex_to_text(value: str) -> str:
    """BibTeX/LaTeX text to plain Unicode, white space collapsed.

    The common escapes are decoded here with one regex pass; pylatexenc, correct but about a
    thousand times slower, only sees values with commands this does not know.
    """
    if "\\" not in value:
        if "{" in value or "}" in value:
            value = value.replace("{", "").replace("}", "")
        return _squash(value)
    text = _LATEX.sub(_latex_sub, value)
    if "\\" in text:
        try:
            # Exporters write "50%" unescaped; for LaTeX it would start a comment.
            return _squash(_pylatexenc().latex_to_text(_UNESCAPED_PERCENT.sub(r"\\%", value)))
        except Exception:  # noqa: BLE001 - a value pylatexenc chokes on is kept as it was read
            pass
    text = text.replace("{", "").replace("}", "").translate(_UNPROTECT)
    return _squash(unicodedata.normalize("NFC", text))


def _split_top_level(value: str, separator: str) -> list[str]:
    """Split on `separator` outside braces and quotes (for '#' concatenation)."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and not depth:
            quoted = not quoted
        elif char == separator and not depth and not quoted:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


def _unenclose(value: str, strings: dict[str, str]) -> str:
    """The value as written between its braces or quotes; @string macros resolved."""
    value = value.strip()
    if not value:
        return ""
    if "#" in value:
        pieces = _split_top_level(value, "#")
        if len(pieces) > 1:
            return "".join(_unenclose(piece, strings) for piece in pieces)
    first, last = value[0], value[-1]
    if (first == "{" and last == "}") or (first == '"' and last == '"' and len(value) > 1):
        return value[1:-1]
    # A bare word: a number, a month macro (jan...dec) or an @string name.
    return strings.get(value.lower(), value)


def _split_keywords(value: str) -> list[str]:
    separator = ";" if ";" in value else ","
    return [text for part in value.split(separator) if (text := latex_to_text(part))]


def _author_names(value: str) -> list[str]:
    if not value.strip():
        return []
    if "{" in value or "\\" in value:
        chunks = split_multiple_persons_names(value)
    else:
        chunks = _AND.split(value.strip())
    names = []
    for chunk in chunks:
        chunk = chunk.strip().rstrip(",").strip()
        if not chunk or chunk.lower() == "others":
            continue
        if chunk.startswith("{") and chunk.endswith("}"):
            names.append(chunk)  # a corporate name kept whole
            continue
        parts = [part.strip() for part in chunk.split(",") if part.strip()]
        if len(parts) >= 4 and len(parts) % 2 == 0:
            # Cochrane writes "Smith, SR, Newton, K, ..., and Hill, J": pairs of last, initials.
            names.extend(f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts), 2))
        elif len(parts) > 1:
            names.append(", ".join(parts))
        elif " " in chunk:
            # "First von Last" as BibTeX reads it -> "von Last, First".
            names.append(parse_single_name_into_parts(chunk, strict=False).merge_last_name_first)
        else:
            names.append(chunk)
    return [text for name in names if (text := latex_to_text(name))]


def _first(fields: dict[str, list[str]], *keys: str) -> str:
    for key in keys:
        for value in fields.get(key, ()):
            if text := latex_to_text(value):
                return text
    return ""


_MONTH = re.compile(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?", re.I)


def _issue(value: str) -> str:
    # Mendeley writes the month to `number` ('April'): that is no issue.
    return "" if _MONTH.fullmatch(value) else value


def _known_language(value: str) -> str:
    return "" if value.lower() == "undefined" else value


_NOTE_PMID = re.compile(r"\bPMID:?\s*(\d+)", re.I)
_NOTE_PMCID = re.compile(r"\bPMCID:?\s*PMC(\d+)", re.I)


def _ids(fields: dict[str, list[str]], url: str) -> tuple[str, dict[str, str]]:
    pmid = normalize_pmid(_first(fields, *_PMID_FIELDS))
    other_ids: dict[str, str] = {}
    eprint_type = _first(fields, "eprinttype", "archiveprefix").lower()
    eprint = _first(fields, "eprint")
    if eprint and eprint_type == "pubmed" and not pmid:
        pmid = normalize_pmid(eprint)
    pmcid = _first(fields, "pmcid") or (eprint if eprint_type in ("pmc", "pmcid") else "")
    if pmcid:
        other_ids["pmcid"] = pmcid if pmcid.upper().startswith("PMC") else f"PMC{pmcid}"
    links = " ".join(fields.get("url", ()))
    if not pmid and (link := _PUBMED_LINK.search(links)):
        pmid = link.group(1)
    # Taylor & Francis write 'note = {PMID: 33355555}'; Zotero's Extra field says the same.
    notes = " ".join(
        value for name in ("note", "annote", "extra") for value in fields.get(name, ())
    )
    if not pmid and (found := _NOTE_PMID.search(notes)):
        pmid = normalize_pmid(found.group(1))
    if "pmcid" not in other_ids and (found := _NOTE_PMCID.search(notes)):
        other_ids["pmcid"] = f"PMC{found.group(1)}"
    if wos := _WOS_ID.match(_first(fields, "unique-id")):
        other_ids["wos"] = f"WOS:{wos.group(1)}"
    if eid := _first(fields, "eid"):
        if eid.startswith("2-s2.0-"):
            other_ids["scopus"] = eid
    elif scopus := _SCOPUS_EID.search(links):
        other_ids["scopus"] = scopus.group(1)
    return pmid, other_ids


def _record(
    position: int,
    line: int | None,
    entry_type: str,
    key: str,
    raw_fields: list[tuple[str, str]],
    strings: dict[str, str],
    warnings: list[str],
) -> ParsedRecord:
    fields: dict[str, list[str]] = {}
    for name, value in raw_fields:
        fields.setdefault(name.lower(), []).append(_unenclose(value, strings))
    raw: dict[str, object] = {"ENTRYTYPE": entry_type, "ID": key}
    for name, values in fields.items():
        raw[name] = values[0] if len(values) == 1 else values

    title = _first(fields, "title")
    abstract = _first(fields, "abstract")
    year_text = _first(fields, "year") or _first(fields, "date")
    year = parse_year(year_text)
    if year is None and year_text:
        warnings.append(f"year '{year_text}' not understood")
    urls = [text for value in fields.get("url", ()) if (text := latex_to_text(value))]
    url = next((u for u in urls if _LINK.match(u)), "")
    doi = normalize_doi(_first(fields, "doi"))
    if not doi and "doi.org/" in url:
        doi = normalize_doi(url)
    pmid, other_ids = _ids(fields, url)
    keywords: list[str] = []
    for name in _KEYWORD_FIELDS:
        for value in fields.get(name, ()):
            keywords.extend(_split_keywords(value))
    authors = [name for value in fields.get("author", ()) for name in _author_names(value)]

    if not title:
        warnings.append("no title")
    if not abstract:
        warnings.append("no abstract")
    return ParsedRecord(
        position=position,
        line=line,
        title=title,
        abstract=abstract,
        authors=tuple(authors),
        year=year,
        journal=_first(fields, "journal", "journaltitle", "booktitle"),
        volume=_first(fields, "volume"),
        issue=_issue(_first(fields, "number", "issue")),
        # Scopus and WoS give an e-journal's article number and no pages.
        pages=expand_pages(_first(fields, "pages"))
        or _first(fields, "art_number", "article-number", "articleno"),
        doi=doi,
        pmid=pmid,
        other_ids=other_ids,
        keywords=tuple(dict.fromkeys(keywords)),
        # Scopus writes 'undefined' when it does not know.
        language=_known_language(_first(fields, "language")),
        url=url,
        publication_type=_first(fields, "type", "document_type") or entry_type,
        raw=raw,
        warnings=tuple(warnings),
    )


def _normalise_line_ends(text: str) -> str:
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


@dataclass(slots=True)
class _Block:
    """One block of the file as written: an entry, a @string, or a block that failed."""

    kind: str  # "entry", "string" or "failed"
    line: int | None
    entry_type: str = ""
    key: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _recover_stray_fields(block: _Block, after: str) -> None:
    """Add to `block` the fields found in `after`, the text that followed its closing brace
    up to the next block, when that text holds field lines."""
    if not _STRAY_FIELD_LINE.search(after):
        return
    known = {name.lower() for name, _ in block.fields}
    found = [(name, value) for name, value in _LOOSE_FIELD.findall(after)]
    added = [(name, value) for name, value in found if name.lower() not in known]
    if added:
        block.fields.extend(added)
        names = ", ".join(name for name, _ in added)
        block.notes.append(
            f"a closing brace inside a value ended the entry early; fields after it kept: {names}"
        )


def _library_blocks(
    text: str, line_offset: int = 0, *, next_entry_follows: bool = False
) -> Iterator[_Block]:
    """Blocks as bibtexparser's splitter reads them (the reference behaviour)."""
    pending: _Block | None = None
    for block in bibtexparser.parse_string(text, parse_stack=[]).blocks:
        if isinstance(block, ImplicitComment):
            if pending is not None:
                _recover_stray_fields(pending, block.comment or "")
            continue
        if pending is not None:
            yield pending
            pending = None
        notes: list[str] = []
        if isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
            if isinstance(block, DuplicateFieldKeyBlock):
                notes.append(f"field given twice: {', '.join(sorted(block.duplicate_keys))}")
            block = block.ignore_error_block
        line = block.start_line + 1 + line_offset if block.start_line is not None else None
        if isinstance(block, Entry):
            fields = [(item.key, item.value) for item in block.fields]
            pending = _Block("entry", line, block.entry_type, block.key, fields, notes)
        elif isinstance(block, String):
            yield _Block("string", line, key=block.key, fields=[(block.key, block.value)])
        elif isinstance(block, ParsingFailedBlock):
            raw_text = block.raw or ""
            head = _FAILED_HEAD.match(raw_text.lstrip())
            reason = clean(getattr(block.error, "abort_reason", "") or str(block.error))
            if next_entry_follows and reason.startswith("Unexpectedly reached end"):
                # Read on its own, a block that runs into the next one ends at "end of file".
                reason = "a brace or quote is not closed before the next entry"
            if head is None or head.group(1).lower() in ("comment", "string", "preamble"):
                yield _Block("failed", line, notes=[reason])
                continue
            # An entry bibtexparser gave up on: recover what fields can be found.
            fields = _LOOSE_FIELD.findall(raw_text[head.end() :])
            notes.append(f"entry could not be read completely ({reason})")
            pending = _Block("entry", line, head.group(1).lower(), head.group(2), fields, notes)
    if pending is not None:
        yield pending


def _match_brace(text: str, start: int, end: int) -> int:
    """Index after the brace closing the one at `start`, or -1 before `end`."""
    close = text.find("}", start + 1, end)
    if close > 0 and text[close - 1] != "\\" and text.find("{", start + 1, close) < 0:
        return close + 1  # the common case: no braces inside, found with two str.find
    depth = 0
    for mark in _BRACE.finditer(text, start, end):
        depth += 1 if mark.group() == "{" else -1
        if not depth:
            return mark.end()
    return -1


def _match_quote(text: str, start: int, end: int) -> int:
    """Index after the quote closing the one at `start`, or -1.

    Braces inside quotes must pair up and hold no quote; otherwise the reading of
    bibtexparser (which ignores braces inside quotes) is left to bibtexparser.
    """
    depth = 0
    for mark in _QUOTE_OR_BRACE.finditer(text, start + 1, end):
        char = mark.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return -1
        elif depth:
            return -1
        else:
            return mark.end()
    return -1


def _quick_entry(text: str, head: re.Match, end: int) -> _Block | None:
    """The entry starting at `head`, read with a few regex jumps per field.

    Covers what exporters write: {..} or "..." or bare values, no '#' concatenation, nothing
    but white space or junk after the closing brace. Anything else returns None, and the
    block is read by bibtexparser instead, so the two always agree.
    """
    if head.group(2) != "{":
        return None
    comma = text.find(",", head.end(), end)
    if comma < 0:
        return None
    key = text[head.end() : comma].strip()
    if _KEY_STOP.search(key):
        return None
    fields = []
    pos = comma + 1
    while True:
        name = _FIELD_NAME.match(text, pos, end)
        if name is None:
            closing = _CLOSE.match(text, pos, end)
            if closing is None:
                return None
            break
        value_start = name.end()
        opener = text[value_start : value_start + 1]
        if opener == "{":
            value_end = _match_brace(text, value_start, end)
        elif opener == '"':
            value_end = _match_quote(text, value_start, end)
        else:
            bare = _BARE_VALUE.match(text, value_start, end)
            value_end = bare.end() if bare else -1
        if value_end < 0:
            return None
        fields.append((name.group(1), text[value_start:value_end]))
        after = _AFTER_VALUE.match(text, value_end, end)
        if after is None or after.group(1) == "#":
            return None
        if after.group(1) == "}":
            closing = after
            break
        pos = after.end()
    after = text[closing.end() : end]
    if "@" in after:
        return None  # bibtexparser may see a block start in the junk after the entry
    notes = []
    names = [name for name, _ in fields]
    if len(set(names)) < len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        notes.append(f"field given twice: {', '.join(twice)}")
    block = _Block("entry", None, head.group(1).lower(), key, fields, notes)
    _recover_stray_fields(block, after)
    return block


def _blocks(text: str) -> Iterator[_Block]:
    """The file's blocks in order: the quick reader per entry, bibtexparser for the rest.

    Blocks start with "@type{" at the start of a line; bibtexparser never lets a block run
    past such a line either, so reading the stretches between them one by one gives the same
    blocks as reading the whole file, at a tenth of the time.
    """
    heads = list(_BLOCK_START.finditer(text))
    if not heads or "@" in text[: heads[0].start()]:
        # Nothing at a line start, or something before the first: let bibtexparser judge.
        first = heads[0].start() if heads else len(text)
        yield from _library_blocks(text[:first], next_entry_follows=bool(heads))
    line, counted = 1, 0
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        line += text.count("\n", counted, head.start())
        counted = head.start()
        kind = head.group(1).lower()
        if kind.startswith(("comment", "preamble")) and "@" not in text[head.end() : end]:
            continue
        block = None
        if not kind.startswith(("comment", "preamble", "string")):
            block = _quick_entry(text, head, end)
        if block is not None:
            block.line = line
            yield block
        else:
            yield from _library_blocks(
                text[head.start() : end], line - 1, next_entry_follows=end < len(text)
            )


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    strings: dict[str, str] = {}
    position = 0
    for block in _blocks(_normalise_line_ends(text)):
        if block.kind == "entry":
            position += 1
            yield _record(
                position,
                block.line,
                block.entry_type,
                block.key,
                block.fields,
                strings,
                block.notes,
            )
        elif block.kind == "string":
            for key, value in block.fields:
                strings[key.lower()] = _unenclose(value, strings)
        else:
            where = f"line {block.line}: " if block.line else ""
            warnings.append(f"{where}a block could not be read and was skipped ({block.notes[0]})")
    if not position:
        raise ParseError(
            "no BibTeX entries in the file", expected="entries like @article{key, ...}"
        )
