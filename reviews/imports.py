"""Importing search exports into a review: every record in, nothing invented, all or nothing.

`records_import` is the one way in, used by the web page, the admin, the command line and the
background task. Parsing is done by the pure modules in reviews/importers/, deduplication by
reviews/dedup.py; this module stores the result in one transaction, with psycopg COPY for the
records because row-by-row INSERTs dominate the time at 100,000 records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reviews.dedup import DedupRecord, DuplicateLink, find_duplicates
from reviews.importers import read_records
from reviews.importers.base import ParsedRecord, ParseError
from reviews.models import ImportBatch, Record, Review

# Progress callbacks get (records read so far, bytes of the file, fraction parsed 0..1).
ProgressCallback = Callable[[int, float], None]

RECORD_COLUMNS = (
    "review_id",
    "batch_id",
    "position",
    "title",
    "abstract",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "other_ids",
    "keywords",
    "mesh_terms",
    "language",
    "url",
    "publication_type",
    "raw",
    "warnings",
    "search_extra",
    "duplicate_reason",
    "decision_count",
)
RAW_COLUMN = RECORD_COLUMNS.index("raw")


class ImportRefused(Exception):
    """The file was not imported; the message names the file and says why."""

    def __init__(self, message: str, *, file_name: str = ""):
        self.file_name = file_name
        super().__init__(message)


@dataclass
class ImportOutcome:
    file_name: str
    format: str = ""
    records_read: int = 0
    records_created: int = 0
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    batch: ImportBatch | None = None
    dry_run: bool = False

    def as_json(self) -> dict:
        return {
            "file": self.file_name,
            "format": self.format,
            "records_read": self.records_read,
            "records_created": self.records_created,
            "duplicates": self.duplicates,
            "warnings": self.warnings,
            "errors": self.errors,
        }


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def check_size(size: int, file_name: str) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ImportRefused(
            f"{file_name}: the file is {size / 1024 / 1024:.1f} MB, over the limit of "
            f"{limit / 1024 / 1024:.0f} MB (MAX_UPLOAD_MB).",
            file_name=file_name,
        )


def earlier_batch(review: Review, sha256: str) -> ImportBatch | None:
    return (
        review.batches.filter(sha256=sha256, status=ImportBatch.Status.DONE)
        .order_by("imported_at")
        .first()
    )


def records_import(
    *,
    review: Review,
    data: bytes | Path,
    file_name: str,
    source_name: str,
    source_kind: str = ImportBatch.SourceKind.DATABASE,
    search_date: date | None = None,
    user=None,
    format: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    batch: ImportBatch | None = None,
    progress: ProgressCallback | None = None,
) -> ImportOutcome:
    """Import one file into `review`, all or nothing.

    Raises ImportRefused for a file that is refused as a whole (size, same file imported
    before, unreadable); nothing is stored then. `batch` is an existing queued batch (from
    the background path) to fill in; otherwise one is created. With dry_run everything is
    done and then rolled back, so the outcome is an exact preview.

    `data` is the file's bytes or its path. Given a path, the bytes are let go once decoded,
    which keeps a large import's peak memory to the decoded text.
    """
    if isinstance(data, Path):
        check_size(data.stat().st_size, file_name)
        data = data.read_bytes()
    check_size(len(data), file_name)
    if source_kind not in ImportBatch.SourceKind.values:
        raise ImportRefused(
            f"{file_name}: unknown source kind {source_kind!r} (expected database, register "
            "or other).",
            file_name=file_name,
        )
    if not source_name.strip():
        raise ImportRefused(
            f"{file_name}: name the source database (for example MEDLINE (PubMed)).",
            file_name=file_name,
        )
    sha256 = hashlib.sha256(data).hexdigest()
    previous = earlier_batch(review, sha256)
    if previous is not None and not force and (batch is None or previous.pk != batch.pk):
        raise ImportRefused(
            f"{file_name}: this file was already imported into this review on "
            f"{previous.imported_at:%Y-%m-%d} as {previous.file_name!r} "
            f"({previous.records_created} records). Import it again only on purpose "
            "(--force, or tick 'import again').",
            file_name=file_name,
        )
    outcome = ImportOutcome(file_name=file_name, dry_run=dry_run)
    try:
        read = read_records(data, file_name=file_name, format=format)
        size = len(data)
        data = None  # decoded now; free the bytes if the caller passed a path
    except ParseError as error:
        raise ImportRefused(str(error), file_name=file_name) from None
    outcome.format = read.format

    try:
        with transaction.atomic():
            if batch is None:
                batch = ImportBatch(review=review)
            batch.file_name = file_name
            batch.file_size = size
            batch.sha256 = sha256
            batch.format = read.format
            batch.encoding = read.encoding
            batch.source_name = source_name.strip()
            batch.source_kind = source_kind
            batch.search_date = search_date
            batch.imported_by = user
            batch.forced = previous is not None
            batch.status = ImportBatch.Status.RUNNING
            batch.save()
            new_records = _copy_records(review, batch, read.records, progress, size)
            if not new_records:
                raise ImportRefused(
                    f"{file_name}: no records found in this {read.format} file.",
                    file_name=file_name,
                )
            links = _deduplicate(review, batch, new_records)
            outcome.records_read = len(new_records)
            outcome.records_created = len(new_records)
            outcome.duplicates = len(links)
            outcome.warnings = list(read.warnings) + _record_warnings(new_records)
            batch.records_read = outcome.records_read
            batch.records_created = outcome.records_created
            batch.duplicates_found = outcome.duplicates
            batch.warnings = outcome.warnings
            batch.status = ImportBatch.Status.DONE
            batch.progress = 100
            batch.imported_at = timezone.now()
            batch.error = ""
            batch.upload_path = ""
            batch.save()
            outcome.batch = batch
            if dry_run:
                raise _DryRun
    except _DryRun:
        outcome.batch = None
    except ParseError as error:
        raise ImportRefused(str(error), file_name=file_name) from None
    return outcome


@dataclass(slots=True)
class _NewRecord:
    position: int
    dedup: DedupRecord
    warnings: tuple[str, ...]


def _copy_records(review, batch, records, progress, size) -> list[_NewRecord]:
    """COPY the parsed records into reviews_record; return what dedup needs of each."""
    kept: list[_NewRecord] = []
    columns = ", ".join(RECORD_COLUMNS)
    raw_connection = connection.connection
    dumps = json.dumps
    seen_bytes = 0
    copy_sql = f"COPY reviews_record ({columns}) FROM STDIN"
    with raw_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for number, record in enumerate(records, start=1):
            row = _row(review.pk, batch.pk, number, record, dumps)
            copy.write_row(row)
            # The raw JSON is about as long as the record's text in the file: a cheap
            # estimate of how far through the file we are.
            seen_bytes += len(row[RAW_COLUMN])
            kept.append(
                _NewRecord(
                    position=number,
                    dedup=_dedup_record(0, record),
                    warnings=record.warnings,
                )
            )
            if progress is not None and number % 2000 == 0:
                progress(number, min(seen_bytes / size, 0.99))
    if not kept:
        return kept
    # Ids come from the sequence in COPY order; map them back by position.
    with raw_connection.cursor() as cursor:
        cursor.execute("SELECT position, id FROM reviews_record WHERE batch_id = %s", [batch.pk])
        ids = dict(cursor.fetchall())
    for item in kept:
        item.dedup = _with_id(item.dedup, ids[item.position])
    return kept


def _row(review_id, batch_id, number, record: ParsedRecord, dumps):
    search_extra = " ".join((*record.authors, *record.keywords, *record.mesh_terms))
    return (
        review_id,
        batch_id,
        number,
        _text(record.title),
        _text(record.abstract),
        [_text(a) for a in record.authors],
        record.year if record.year is None or -32768 <= record.year <= 32767 else None,
        _text(record.journal),
        _text(record.volume)[:100],
        _text(record.issue)[:100],
        _text(record.pages)[:100],
        record.doi[:300],
        record.pmid[:20],
        dumps(record.other_ids),
        [_text(k) for k in record.keywords],
        [_text(m) for m in record.mesh_terms],
        _text(record.language)[:100],
        _text(record.url),
        _text(record.publication_type)[:200],
        dumps(record.raw).replace("\\u0000", ""),
        list(record.warnings),
        _text(search_extra),
        "",
        0,
    )


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL characters.
    return value.replace("\x00", "") if value and "\x00" in value else (value or "")


def completeness(*, title, abstract, authors, year, journal, doi, pmid) -> int:
    """How complete a record is; the most complete of a set of duplicates is kept."""
    return (
        (3 if abstract else 0)
        + (2 if title else 0)
        + (1 if authors else 0)
        + (1 if year else 0)
        + (1 if journal else 0)
        + (1 if doi else 0)
        + (1 if pmid else 0)
    )


def _dedup_record(record_id: int, record: ParsedRecord) -> DedupRecord:
    return DedupRecord(
        id=record_id,
        doi=record.doi,
        pmid=record.pmid,
        other_ids=tuple(sorted(record.other_ids.items())),
        title=record.title,
        year=record.year,
        first_author=record.authors[0] if record.authors else "",
        journal=record.journal,
        completeness=completeness(
            title=record.title,
            abstract=record.abstract,
            authors=record.authors,
            year=record.year,
            journal=record.journal,
            doi=record.doi,
            pmid=record.pmid,
        ),
    )


def _with_id(record: DedupRecord, record_id: int) -> DedupRecord:
    from dataclasses import replace

    return replace(record, id=record_id)


def existing_dedup_records(review: Review, *, exclude_batch: ImportBatch | None = None):
    """The review's records that are not duplicates, as dedup sees them."""
    qs = Record.objects.filter(review=review, duplicate_of__isnull=True)
    if exclude_batch is not None:
        qs = qs.exclude(batch=exclude_batch)
    rows = qs.values_list(
        "id", "doi", "pmid", "other_ids", "title", "year", "authors", "journal", "abstract"
    )
    for rid, doi, pmid, other_ids, title, year, authors, journal, abstract in rows.iterator(
        chunk_size=5000
    ):
        yield DedupRecord(
            id=rid,
            doi=doi,
            pmid=pmid,
            other_ids=tuple(sorted((other_ids or {}).items())),
            title=title,
            year=year,
            first_author=authors[0] if authors else "",
            journal=journal,
            completeness=completeness(
                title=title,
                abstract=abstract,
                authors=authors,
                year=year,
                journal=journal,
                doi=doi,
                pmid=pmid,
            ),
        )


def _deduplicate(review, batch, new_records: list[_NewRecord]) -> list[DuplicateLink]:
    existing = list(existing_dedup_records(review, exclude_batch=batch))
    links = find_duplicates([r.dedup for r in new_records], existing=existing)
    if links:
        with connection.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE reviews_record SET duplicate_of_id = %s, duplicate_reason = %s, "
                "duplicate_score = %s WHERE id = %s",
                [(link.kept_id, link.reason, link.score, link.duplicate_id) for link in links],
            )
    return links


def _record_warnings(new_records: list[_NewRecord], limit: int = 200) -> list[str]:
    """Record-level oddities, each with its record number; long lists are summarised."""
    lines: list[str] = []
    total = 0
    for item in new_records:
        for warning in item.warnings:
            total += 1
            if len(lines) < limit:
                lines.append(f"record {item.position}: {warning}")
    if total > limit:
        lines.append(f"... and {total - limit} more record warnings.")
    return lines


def progress_connection():
    """A separate autocommit connection, so progress is visible while the import's
    transaction is still open."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(autocommit=True, **params)


# --- Web uploads: stage, preview, confirm ---------------------------------------------


def upload_dir():
    from pathlib import Path

    path = Path(settings.MEDIA_ROOT) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def batch_stage(
    *,
    review: Review,
    upload,
    source_name: str,
    source_kind: str,
    search_date: date | None,
    user,
    force: bool = False,
) -> ImportBatch:
    """Keep an uploaded file until the owner confirms, with a preview of what it holds.

    Small files are imported as a dry run for an exact preview (format, records, duplicates,
    warnings); large ones are only decoded and detected, as their import runs in the
    background. A refused file raises ImportRefused and is not kept.
    """
    import uuid

    from reviews.importers import detect_format
    from reviews.importers.decode import decode_bytes

    file_name = upload.name
    check_size(upload.size, file_name)
    data = b"".join(upload.chunks())
    if len(data) <= settings.BACKGROUND_IMPORT_BYTES:
        outcome = records_import(
            review=review,
            data=data,
            file_name=file_name,
            source_name=source_name,
            source_kind=source_kind,
            search_date=search_date,
            user=user,
            force=force,
            dry_run=True,
        )
        fmt, read, duplicates, warnings = (
            outcome.format,
            outcome.records_read,
            outcome.duplicates,
            outcome.warnings,
        )
    else:
        sha256 = hashlib.sha256(data).hexdigest()
        previous = earlier_batch(review, sha256)
        if previous is not None and not force:
            raise ImportRefused(
                f"{file_name}: this file was already imported into this review on "
                f"{previous.imported_at:%Y-%m-%d}. Tick 'import again' to import it anyway.",
                file_name=file_name,
            )
        try:
            text, _encoding, warnings = decode_bytes(data)
            fmt = detect_format(text)
        except ParseError as error:
            raise ImportRefused(error.describe(file_name), file_name=file_name) from None
        read, duplicates = 0, 0
    path = upload_dir() / f"{uuid.uuid4().hex}.upload"
    path.write_bytes(data)
    return ImportBatch.objects.create(
        review=review,
        file_name=file_name,
        file_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        source_name=source_name.strip(),
        source_kind=source_kind,
        search_date=search_date,
        imported_by=user,
        status=ImportBatch.Status.STAGED,
        forced=force,
        records_read=read,
        duplicates_found=duplicates,
        warnings=warnings,
        upload_path=str(path),
    )


def batch_confirm(*, batch: ImportBatch) -> ImportBatch:
    """Import a staged batch: at once when small, else through the background queue."""
    from pathlib import Path

    from reviews.tasks import import_batch

    if batch.status != ImportBatch.Status.STAGED:
        return batch
    if batch.file_size > settings.BACKGROUND_IMPORT_BYTES:
        batch.status = ImportBatch.Status.QUEUED
        batch.save(update_fields=["status"])
        transaction.on_commit(lambda: import_batch.enqueue(batch.pk))
        return batch
    path = Path(batch.upload_path)
    try:
        records_import(
            review=batch.review,
            data=path.read_bytes(),
            file_name=batch.file_name,
            source_name=batch.source_name,
            source_kind=batch.source_kind,
            search_date=batch.search_date,
            user=batch.imported_by,
            format=batch.format or None,
            force=batch.forced,
            batch=batch,
        )
    except (ImportRefused, OSError) as error:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, error=str(error)
        )
    path.unlink(missing_ok=True)
    batch.refresh_from_db()
    return batch


def batch_discard(*, batch: ImportBatch) -> None:
    """Drop a staged upload that the owner did not confirm."""
    from pathlib import Path

    if batch.status != ImportBatch.Status.STAGED:
        return
    Path(batch.upload_path).unlink(missing_ok=True)
    batch.delete()


# --- Duplicates by hand ---------------------------------------------------------------


@transaction.atomic
def duplicate_unlink(*, record: Record) -> None:
    """'Not a duplicate': the record enters screening again."""
    Record.objects.filter(pk=record.pk).update(
        duplicate_of=None, duplicate_reason="", duplicate_score=None
    )


@transaction.atomic
def duplicate_link(*, duplicate: Record, kept: Record, user) -> None:
    """Mark `duplicate` as a duplicate of `kept`, by hand. Chains are not allowed: the
    duplicate's own duplicates move to `kept` too."""
    from django.core.exceptions import ValidationError

    if duplicate.review_id != kept.review_id:
        raise ValidationError("Both records must belong to this review.")
    if duplicate.pk == kept.pk:
        raise ValidationError("A record cannot be a duplicate of itself.")
    if kept.duplicate_of_id is not None:
        kept = kept.duplicate_of
        if kept.pk == duplicate.pk:
            raise ValidationError("These records are already linked the other way round.")
    reason = f"marked by {user.get_username()}"
    Record.objects.filter(duplicate_of=duplicate).update(duplicate_of=kept)
    Record.objects.filter(pk=duplicate.pk).update(
        duplicate_of=kept, duplicate_reason=reason, duplicate_score=None
    )
