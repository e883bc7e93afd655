"""Large-file paths of the import: text read piece by piece, search vectors computed on a
second connection, and the trigger that keeps every record's vector right."""

from pathlib import Path

import pytest
from django.db import connection

import reviews.imports as imports
from reviews.importers import STREAM_BYTES, read_records, ris
from reviews.importers import decode as decode_module
from reviews.importers.decode import decode_bytes, utf8_pieces
from reviews.importers.normalize import tidy_record
from reviews.models import ImportBatch, Record

DATA = Path(__file__).resolve().parents[1] / "data"
# Non-ASCII text (accents, CJK, a character beyond the BMP) and CRLF line ends.
RIS_TEXT = "".join(
    f"TY  - JOUR\r\nTI  - Étude {n} des 抑郁症 🙂 treatments\r\nAU  - Müller, Jörg\r\n"
    f"PY  - 20{10 + n % 10}\r\nAB  - Walking helped {n} adults with depression.\r\n"
    f"KW  - exercise\r\nER  - \r\n\r\n"
    for n in range(1, 41)
)


def vector_mismatches(review) -> tuple[int, int]:
    """(records, records whose vector is not the expression of their texts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE search_vector IS DISTINCT FROM "
            "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, COALESCE(abstract, '') || ' ' || "
            "COALESCE(search_extra, '')), 'B')) FROM reviews_record WHERE review_id = %s",
            [review.pk],
        )
        return cursor.fetchone()


def search(review, words: str) -> list[int]:
    return sorted(
        Record.objects.filter(review=review)
        .extra(
            where=["search_vector @@ websearch_to_tsquery('english', %s)"],
            params=[words],
        )
        .values_list("position", flat=True)
    )


@pytest.mark.parametrize("piece_bytes", [7, 64, 1000])
def test_large_file_is_read_piece_by_piece_as_the_whole_text(monkeypatch, piece_bytes):
    data = "\ufeff".encode() + RIS_TEXT.encode()
    monkeypatch.setattr("reviews.importers.STREAM_BYTES", 0)
    monkeypatch.setattr(decode_module, "PIECE_BYTES", piece_bytes)
    streamed = read_records(data, file_name="big.ris")
    whole = [tidy_record(record) for record in ris.parse(decode_bytes(data)[0], [])]
    assert (streamed.format, streamed.encoding) == ("ris", "utf-8")
    records = list(streamed.records)
    assert records == whole
    assert len(records) == 40
    assert records[0].title == "Étude 1 des 抑郁症 🙂 treatments"
    assert records[39].line == 1 + 39 * 8


def test_sample_files_read_piece_by_piece_as_whole(monkeypatch):
    monkeypatch.setattr("reviews.importers.STREAM_BYTES", 0)
    monkeypatch.setattr(decode_module, "PIECE_BYTES", 997)
    for path in sorted((DATA / "ris").glob("*.ris")):
        data = path.read_bytes()
        if utf8_pieces(data) is None:
            continue
        # read_records tidies every parser's records (markup, 'NA'): the same on both paths.
        assert list(read_records(data, file_name=path.name).records) == [
            tidy_record(record) for record in ris.parse(decode_bytes(data)[0], [])
        ], path.name


def test_only_valid_utf8_is_streamed():
    text = RIS_TEXT.encode()
    assert "".join(utf8_pieces(text)()) == RIS_TEXT
    assert utf8_pieces(text.replace("Müller".encode(), "Müller".encode("cp1252"))) is None
    assert utf8_pieces(b"\xff\xfe" + RIS_TEXT.encode("utf-16-le")) is None
    assert utf8_pieces(b"TY  - JOUR\x00") is None
    assert STREAM_BYTES == 8 * 1024 * 1024


@pytest.mark.parametrize("second_connection", [True, False])
def test_imported_records_are_searchable_at_once(review, monkeypatch, second_connection):
    # The second connection computes the vectors of large files; small ones get them from
    # the insert trigger. Batches the worker has no room for take the trigger path too.
    monkeypatch.setattr(imports, "VECTOR_CONNECTION_BYTES", 0 if second_connection else 10**12)
    monkeypatch.setattr(imports, "VECTOR_BATCH", 3)
    outcome = imports.records_import(
        review=review, data=RIS_TEXT.encode(), file_name="big.ris", source_name="MEDLINE"
    )
    assert outcome.records_created == 40
    assert vector_mismatches(review) == (40, 0)
    assert search(review, "walking depression") == list(range(1, 41))
    assert search(review, "Müller") == list(range(1, 41))  # authors are searched too
    assert search(review, '"helped 7 adults"') == [7]


def test_second_connection_failure_rolls_the_import_back(review, monkeypatch):
    monkeypatch.setattr(imports, "VECTOR_CONNECTION_BYTES", 0)
    monkeypatch.setattr(imports, "VECTOR_SQL", "SELECT no_such_function(%s, %s, %s)")
    with pytest.raises(Exception, match="no_such_function"):
        imports.records_import(
            review=review, data=RIS_TEXT.encode(), file_name="big.ris", source_name="MEDLINE"
        )
    assert Record.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_trigger_keeps_the_vector_of_the_texts(review):
    imports.records_import(
        review=review,
        data="\r\n\r\n".join(RIS_TEXT.split("\r\n\r\n")[:2]).encode(),
        file_name="a.ris",
        source_name="MEDLINE",
    )
    record = Record.objects.get(review=review, position=1)
    record.title = "Yoga for insomnia"
    record.save()
    assert search(review, "yoga") == [1]
    assert search(review, "Étude") == [2]
    # A vector set by hand is replaced by the one of the texts.
    Record.objects.filter(pk=record.pk).update(search_vector="nonsense")
    assert vector_mismatches(review) == (2, 0)
    Record.objects.filter(pk=record.pk).update(abstract="Tai chi for sleep")
    assert search(review, "tai chi") == [1]
    assert vector_mismatches(review) == (2, 0)
    # Other updates leave it alone; records made by the ORM get theirs on insert.
    Record.objects.filter(pk=record.pk).update(decision_count=1)
    Record.objects.create(review=review, batch=record.batch, position=3, title="Pilates")
    assert search(review, "pilates") == [3]
    assert vector_mismatches(review) == (3, 0)
