"""decode_bytes: encodings read, BOMs removed, warnings given, non-text refused."""

import codecs

import pytest

from reviews.importers.base import ParseError
from reviews.importers.decode import decode_bytes

RIS = "TY  - JOUR\r\nAU  - Müller, Zoë\r\nTI  - µ-opioid receptors – a review\r\nER  - \r\n"


def test_decode_utf8_without_bom():
    assert decode_bytes(RIS.encode("utf-8")) == (RIS, "utf-8", [])


def test_decode_utf8_bom_removed():
    assert decode_bytes(codecs.BOM_UTF8 + RIS.encode("utf-8")) == (RIS, "utf-8", [])


def test_decode_ascii_is_utf8():
    assert decode_bytes(b"PMID- 123\n") == ("PMID- 123\n", "utf-8", [])


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_decode_wide_encodings_with_bom(bom, encoding):
    assert decode_bytes(bom + RIS.encode(encoding)) == (RIS, encoding, [])


def test_decode_utf16_python_default_has_bom():
    # What Windows tools write as "Unicode": UTF-16 LE with a BOM.
    assert decode_bytes(RIS.encode("utf-16")) == (RIS, "utf-16-le", [])


def test_decode_cp1252_fallback_warns():
    data = "TY  - JOUR\r\nAU  - Müller\r\nTI  - A “quoted” title – 5 €\r\n".encode("cp1252")
    assert decode_bytes(data) == (
        "TY  - JOUR\r\nAU  - Müller\r\nTI  - A “quoted” title – 5 €\r\n",
        "cp1252",
        [
            "the file is not UTF-8: first non-UTF-8 byte at offset 19 (line 2); "
            "read it as Windows-1252 (cp1252)"
        ],
    )


def test_decode_cp1252_undefined_bytes_read_as_latin1():
    data = b"TY  - JOUR\nTI  - caf\xe9 \x81\x8d\x8f\x90\x9d\n"
    assert decode_bytes(data) == (
        "TY  - JOUR\nTI  - café \x81\x8d\x8f\x90\x9d\n",
        "cp1252",
        [
            "the file is not UTF-8: first non-UTF-8 byte at offset 20 (line 2); read it as "
            "Windows-1252 (cp1252), with Latin-1 for the bytes cp1252 leaves undefined"
        ],
    )


def test_decode_cp1252_line_counted_with_bare_cr():
    assert decode_bytes(b"TY  - JOUR\rAU  - M\xfcller\r")[2] == [
        "the file is not UTF-8: first non-UTF-8 byte at offset 18 (line 2); "
        "read it as Windows-1252 (cp1252)"
    ]


def test_decode_mostly_utf8_keeps_utf8_and_replaces_bad_bytes():
    # A UTF-8 export with one Windows-1252 byte pasted in: reading the whole file as cp1252
    # would garble every other accent, so only the bad byte is replaced.
    data = "AU  - Zoë\nAU  - Gödel\n".encode() + b"AU  - M\xfcller\n" + "TI  - Émile\n".encode()
    assert decode_bytes(data) == (
        "AU  - Zoë\nAU  - Gödel\nAU  - M\ufffdller\nTI  - Émile\n",
        "utf-8",
        [
            "the file is not valid UTF-8: first bad byte at offset 31 (line 3); "
            "1 bad byte sequence(s) replaced by \ufffd"
        ],
    )


def test_decode_utf8_bom_with_bad_byte_stays_utf8():
    data = codecs.BOM_UTF8 + b"TI  - M\xfcller\n"
    assert decode_bytes(data) == (
        "TI  - M\ufffdller\n",
        "utf-8",
        [
            "the file is not valid UTF-8: first bad byte at offset 10 (line 1); "
            "1 bad byte sequence(s) replaced by \ufffd"
        ],
    )


def test_decode_replacement_characters_already_in_file_not_counted():
    data = "TI  - \ufffd odd \ufffd\nAU  - Zoë\n".encode() + b"AU  - M\xfcller\n"
    assert decode_bytes(data)[2] == [
        "the file is not valid UTF-8: first bad byte at offset 36 (line 3); "
        "1 bad byte sequence(s) replaced by \ufffd"
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n\t\n",
        codecs.BOM_UTF8,
        codecs.BOM_UTF8 + b"\r\n",
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE + " \n".encode("utf-16-be"),
        codecs.BOM_UTF32_LE,
    ],
)
def test_decode_refuses_empty_file(data):
    with pytest.raises(ParseError) as caught:
        decode_bytes(data)
    assert str(caught.value) == "the file is empty"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "this looks like a PDF document, not a text export"),
        (
            b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
            "this looks like a ZIP archive (an .xlsx or .docx?), not a text export",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
            "this looks like an old Microsoft Office file (an .xls or .doc?), not a text export",
        ),
        (
            b"\x1f\x8b\x08\x00",
            "this looks like a gzip-compressed file, not a text export: unpack it first",
        ),
        (b"\x89PNG\r\n\x1a\n", "this looks like a PNG image, not a text export"),
        (b"SQLite format 3\x00", "this looks like an SQLite database, not a text export"),
        (
            b"\x7fELF\x02\x01\x01\x00\x00\x00",
            "this looks like a program (ELF executable), not a text export",
        ),
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
            "this looks like a Windows program (.exe or .dll), not a text export",
        ),
    ],
)
def test_decode_refuses_known_binary_signatures(data, message):
    with pytest.raises(ParseError) as caught:
        decode_bytes(data)
    assert str(caught.value) == message


def test_decode_refuses_nul_bytes():
    with pytest.raises(ParseError) as caught:
        decode_bytes(b"TY  - JOUR\nTI  - x\x00\x01\x02\x03\n")
    assert str(caught.value) == "binary data at byte offset 18 (a NUL byte), not a text export"


def test_decode_refuses_nul_bytes_after_utf8_bom():
    with pytest.raises(ParseError) as caught:
        decode_bytes(codecs.BOM_UTF8 + b"TY  - JOUR\n\x00")
    assert str(caught.value) == "binary data at byte offset 14 (a NUL byte), not a text export"


def test_decode_refuses_utf16_without_bom_with_hint():
    with pytest.raises(ParseError) as caught:
        decode_bytes(RIS.encode("utf-16-le"))
    assert str(caught.value) == (
        "this looks like UTF-16 text without a byte order mark; "
        "save it again as UTF-8 (or as UTF-16 with a BOM)"
    )


def test_decode_refuses_broken_utf16():
    # A lone high surrogate: not UTF-16 whatever the BOM says.
    with pytest.raises(ParseError) as caught:
        decode_bytes(codecs.BOM_UTF16_LE + "TY".encode("utf-16-le") + b"\x00\xd8A\x00")
    assert str(caught.value) == (
        "the file starts with a UTF-16 LE byte order mark but is not valid UTF-16 LE "
        "at byte offset 6"
    )


def test_text_starting_with_mz_is_text():
    assert decode_bytes(b"MZ-Score,Title\n1,A trial\n")[0] == "MZ-Score,Title\n1,A trial\n"
