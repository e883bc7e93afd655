"""Bytes to text for the importers: find the encoding, strip the BOM, refuse what is not text.

Database exports come as UTF-8 (with or without a BOM), as UTF-16 with a BOM (EndNote, some
Windows tools, Excel's "Unicode text"), and, from older tools, as Windows-1252. We read:

- a UTF-8, UTF-16 or UTF-32 byte order mark: that encoding, BOM removed;
- otherwise UTF-8 when the bytes are valid UTF-8;
- otherwise, when most bytes beyond ASCII are not valid UTF-8, Windows-1252 (with Latin-1
  for the five bytes Windows-1252 leaves undefined), with a warning;
- otherwise the file is UTF-8 with a few bad bytes (a damaged or concatenated export): those
  are replaced by U+FFFD, with a warning. Reading it as Windows-1252 instead would garble
  every accent in it.

Empty files, binary files (NUL bytes, or the signature of a PDF, ZIP, old Office file...) are
refused with a ParseError. Each step is one C-level call over the data, so a 300 MB file costs
a few decodes, not a Python loop per character.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator

from .base import ParseError

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Files people upload by mistake instead of an export.
_SIGNATURES = (
    (b"%PDF", "this looks like a PDF document, not a text export"),
    (b"PK\x03\x04", "this looks like a ZIP archive (an .xlsx or .docx?), not a text export"),
    (b"PK\x05\x06", "this looks like a ZIP archive (an .xlsx or .docx?), not a text export"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "this looks like an old Microsoft Office file (an .xls or .doc?), not a text export",
    ),
    (b"\x1f\x8b", "this looks like a gzip-compressed file, not a text export: unpack it first"),
    (b"Rar!\x1a\x07", "this looks like a RAR archive, not a text export: unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "this looks like a 7-Zip archive, not a text export: unpack it first"),
    (b"SQLite format 3\x00", "this looks like an SQLite database, not a text export"),
    (b"\x89PNG", "this looks like a PNG image, not a text export"),
    (b"\xff\xd8\xff", "this looks like a JPEG image, not a text export"),
    (b"GIF8", "this looks like a GIF image, not a text export"),
    (b"\x7fELF", "this looks like a program (ELF executable), not a text export"),
    (b"\xcf\xfa\xed\xfe", "this looks like a macOS program, not a text export"),
)

_ASCII = bytes(range(128))
# Bytes Windows-1252 does not define; we read them as Latin-1 (C1 control characters).
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_LATIN1_FALLBACK = "reviews-importers-latin1"


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)


def decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text without BOM, encoding name, warnings) or raise ParseError.

    The encoding name is a Python codec name: utf-8, utf-16-le, utf-16-be, utf-32-le,
    utf-32-be or cp1252.
    """
    if not data:
        raise ParseError("the file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = memoryview(data)[len(bom) :]
            if encoding == "utf-8":
                if data.find(b"\x00", len(bom)) != -1:
                    raise _binary(data)
                return _checked(*_decode_utf8(body, data, start=len(bom)))
            return _checked(_decode_wide(body, encoding, len(bom)), encoding, [])
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise ParseError(message)
    if data.startswith(b"MZ") and b"\x00" in data[:64]:  # 'MZ' alone could start a text
        raise ParseError("this looks like a Windows program (.exe or .dll), not a text export")
    if b"\x00" in data:
        raise _binary(data)
    return _checked(*_decode_utf8(memoryview(data), data, start=0))


# Bytes decoded at a time by utf8_pieces.
PIECE_BYTES = 1 << 22


def utf8_pieces(data: bytes) -> Callable[[], Iterator[str]] | None:
    """For a large file: the text a few MB at a time, without the whole text in memory.

    Only for the common case, valid UTF-8 (BOM or not) with no NUL byte and no signature
    of another kind of file: then the result is a function returning a fresh iterator of
    pieces that join to exactly decode_bytes' text. Otherwise None: use decode_bytes, which
    decides about other encodings, damage and refusals on the whole file.
    """
    if not data or b"\x00" in data:
        return None
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not start and any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    if any(data.startswith(signature) for signature, _ in _SIGNATURES):
        return None
    view = memoryview(data)[start:]

    def pieces() -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        size = len(view)
        for offset in range(0, size, PIECE_BYTES):
            yield decoder.decode(view[offset : offset + PIECE_BYTES], offset + PIECE_BYTES >= size)

    try:
        for _piece in pieces():  # validate first: no text is kept
            pass
    except UnicodeDecodeError:
        return None
    return pieces


def _checked(text: str, encoding: str, warnings: list[str]) -> tuple[str, str, list[str]]:
    # isspace() stops at the first non-space character, so this is cheap on a large file.
    if not text or text.isspace():
        raise ParseError("the file is empty")
    return text, encoding, warnings


def _binary(data: bytes) -> ParseError:
    offset = data.find(b"\x00")
    head = data[:200]
    # Every other byte NUL near the start: UTF-16 text saved without its byte order mark.
    if len(head) >= 4 and (
        head[1::2].count(0) * 4 >= len(head) or head[::2].count(0) * 4 >= len(head)
    ):
        return ParseError(
            "this looks like UTF-16 text without a byte order mark; "
            "save it again as UTF-8 (or as UTF-16 with a BOM)"
        )
    return ParseError(f"binary data at byte offset {offset} (a NUL byte), not a text export")


def _decode_wide(body: memoryview, encoding: str, bom_length: int) -> str:
    try:
        return str(body, encoding)
    except UnicodeDecodeError as error:
        name = encoding.upper().replace("-LE", " LE").replace("-BE", " BE")
        raise ParseError(
            f"the file starts with a {name} byte order mark but is not valid {name} "
            f"at byte offset {error.start + bom_length}"
        ) from None


def _decode_utf8(body: memoryview, data: bytes, *, start: int) -> tuple[str, str, list[str]]:
    try:
        return str(body, "utf-8"), "utf-8", []
    except UnicodeDecodeError as error:
        bad = error.start + start  # offset in the whole file, BOM included
    where = f"offset {bad} (line {_line_at(data, bad)})"
    text = str(body, "utf-8", "replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    high_bytes = len(data.translate(None, delete=_ASCII))
    # Each replacement stands for one to three bad bytes; every other high byte is part of a
    # valid UTF-8 character. More valid than bad (or a UTF-8 BOM): a UTF-8 file with some
    # damage, so keep it UTF-8 and replace only the bad bytes.
    if start or high_bytes - replaced > replaced:
        return (
            text,
            "utf-8",
            [
                f"the file is not valid UTF-8: first bad byte at {where}; "
                f"{replaced} bad byte sequence(s) replaced by \N{REPLACEMENT CHARACTER}"
            ],
        )
    del text
    used = "Windows-1252 (cp1252)"
    if _CP1252_UNDEFINED.search(data):
        used += ", with Latin-1 for the bytes cp1252 leaves undefined"
    return (
        str(body, "cp1252", _LATIN1_FALLBACK),
        "cp1252",
        [f"the file is not UTF-8: first non-UTF-8 byte at {where}; read it as {used}"],
    )


def _line_at(data: bytes, offset: int) -> int:
    newlines = data.count(b"\n", 0, offset)
    if newlines == 0:
        # Old Mac files end lines with a bare CR.
        newlines = data.count(b"\r", 0, offset)
    return newlines + 1
