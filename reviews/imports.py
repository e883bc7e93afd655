"""Importing search exports into a review: every record in, nothing invented, all or nothing.

`records_import` is the one way in, used by the web page, the admin, the command line and the
background task. Parsing is done by the pure modules in reviews/importers/, deduplication by
reviews/dedup.py; this module stores the result in one transaction, with psycopg COPY for the
records because row-by-row INSERTs dominate the time at 100,000 records.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from reviews.dedup import DedupRecord, DuplicateLink, find_duplicates
from reviews.importers import read_records
from reviews.importers.base import ParsedRecord, ParseError
from reviews.models import ImportBatch, Record, Review, search_vector_sql

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

    `data` is the file's bytes or its path. A large UTF-8 file in a format whose parser
    reads pieces (RIS) is decoded a few MB at a time as it is parsed, so its whole text is
    never in memory (300 MB of bytes become 600 MB of str once one character is beyond
    Latin-1); other files are decoded whole, and given a path their bytes are let go then.
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
        data = None  # decoded (or held by the records' reader): free the bytes of a path
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
            created, record_warnings = _copy_records(review, batch, read.records, progress, size)
            if not created:
                raise ImportRefused(
                    f"{file_name}: no records found in this {read.format} file.",
                    file_name=file_name,
                )
            links = _deduplicate(review, batch)
            outcome.records_read = created
            outcome.records_created = created
            outcome.duplicates = len(links)
            outcome.warnings = list(read.warnings) + _record_warnings(record_warnings)
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


# Files from this size on get their search vectors computed on a second connection.
VECTOR_CONNECTION_BYTES = 1024 * 1024
# Records per batch sent to the second connection; batches it may lag behind.
VECTOR_BATCH = 500
VECTOR_QUEUE = 2
# Batches parsed but not yet copied (waiting for their vectors), at most.
PENDING_BATCHES = 8
COPY_COLUMNS = (*RECORD_COLUMNS, "search_vector")
_TITLE, _ABSTRACT, _EXTRA = (RECORD_COLUMNS.index(c) for c in ("title", "abstract", "search_extra"))
VECTOR_SQL = (
    f"SELECT {search_vector_sql()} FROM unnest(%s::text[], %s::text[], %s::text[]) "
    "WITH ORDINALITY AS r(title, abstract, search_extra, n) ORDER BY n"
)


class _Batch:
    __slots__ = ("rows", "vectors", "error", "done")

    def __init__(self):
        self.rows: list[tuple] = []
        self.vectors: list[str] | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class _VectorWorker:
    """Computes search vectors on a second connection, in a thread, while the import's own
    connection copies: to_tsvector is the largest part of the server's work in an import,
    and so it runs on the other CPU. The vectors are computed by the expression the trigger
    uses (models.SEARCH_VECTOR_SQL), from the very texts copied, so they are the same. The
    connection only computes: it reads and writes no table, and the import stays one
    transaction on the main connection."""

    def __init__(self):
        self.connection = progress_connection()
        self.jobs: queue.Queue[_Batch | None] = queue.Queue(maxsize=VECTOR_QUEUE)
        self.thread = threading.Thread(target=self._run, name="import-vectors", daemon=True)
        self.thread.start()

    def submit(self, batch: _Batch) -> bool:
        """Queue the batch; False when the worker is behind (the trigger computes those)."""
        try:
            self.jobs.put_nowait(batch)
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        with self.connection.cursor() as cursor:
            while (batch := self.jobs.get()) is not None:
                try:
                    rows = batch.rows
                    cursor.execute(
                        VECTOR_SQL,
                        [
                            [row[_TITLE] for row in rows],
                            [row[_ABSTRACT] for row in rows],
                            [row[_EXTRA] for row in rows],
                        ],
                    )
                    batch.vectors = [vector for (vector,) in cursor.fetchall()]
                except BaseException as error:  # handed to the importing thread
                    batch.error = error
                finally:
                    batch.done.set()

    def close(self) -> None:
        while True:
            try:
                self.jobs.put(None, timeout=1)
                break
            except queue.Full:
                if not self.thread.is_alive():
                    break
        self.thread.join()
        self.connection.close()


def _copy_records(
    review, batch, records, progress, size
) -> tuple[int, list[tuple[int, tuple[str, ...]]]]:
    """COPY the parsed records into reviews_record; return their number and the warnings of
    those that have some, by position.

    Nothing else of a record is kept: dedup reads the batch back from the table, so a
    large file's records are not held in memory while it is parsed.

    Rows go in batches; for a large file each batch's search vectors are computed on a
    second connection (_VectorWorker) while later records are parsed and earlier ones copied.
    A batch the worker has no room for goes without vectors: the insert trigger computes
    them on the main connection, so the two share the work as their speeds allow.
    """
    count = 0
    warned: list[tuple[int, tuple[str, ...]]] = []
    columns = ", ".join(COPY_COLUMNS)
    raw_connection = connection.connection
    dumps = json.dumps
    seen_bytes = 0
    copy_sql = f"COPY reviews_record ({columns}) FROM STDIN"
    worker = _VectorWorker() if size >= VECTOR_CONNECTION_BYTES else None
    pending: deque[_Batch] = deque()
    try:
        with raw_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            write_row = copy.write_row

            def write(ready: _Batch) -> None:
                ready.done.wait()
                if ready.error is not None:
                    raise ready.error
                if ready.vectors is None:
                    for row in ready.rows:
                        write_row((*row, None))
                else:
                    for row, vector in zip(ready.rows, ready.vectors, strict=True):
                        write_row((*row, vector))

            def dispatch(full: _Batch) -> None:
                if worker is None or not worker.submit(full):
                    full.done.set()
                pending.append(full)
                while pending and (pending[0].done.is_set() or len(pending) > PENDING_BATCHES):
                    write(pending.popleft())

            current = _Batch()
            for number, record in enumerate(records, start=1):
                row = _row(review.pk, batch.pk, number, record, dumps)
                current.rows.append(row)
                # The raw JSON is about as long as the record's text in the file: a cheap
                # estimate of how far through the file we are.
                seen_bytes += len(row[RAW_COLUMN])
                count = number
                if record.warnings:
                    warned.append((number, record.warnings))
                if len(current.rows) == VECTOR_BATCH:
                    dispatch(current)
                    current = _Batch()
                if progress is not None and number % 2000 == 0:
                    progress(number, min(seen_bytes / size, 0.99))
            if current.rows:
                dispatch(current)
            while pending:
                write(pending.popleft())
    finally:
        if worker is not None:
            worker.close()
    return count, warned


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
        # read_records kept these within their columns (normalize.tidy_record, FIELD_LIMITS).
        _text(record.volume),
        _text(record.issue),
        _text(record.pages),
        record.doi,
        record.pmid,
        dumps(record.other_ids),
        [_text(k) for k in record.keywords],
        [_text(m) for m in record.mesh_terms],
        _text(record.language),
        _text(record.url),
        _text(record.publication_type),
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


def dedup_records(
    review: Review, *, batch: ImportBatch | None = None, exclude_batch: ImportBatch | None = None
):
    """The review's records that are not duplicates, as dedup sees them, in id order (the
    order of import); only those of `batch` when given."""
    qs = Record.objects.filter(review=review, duplicate_of__isnull=True)
    if batch is not None:
        qs = qs.filter(batch=batch)
    if exclude_batch is not None:
        qs = qs.exclude(batch=exclude_batch)
    # Whether there is an abstract is all completeness needs of it: not the text itself.
    rows = (
        qs.annotate(
            first_author=F("authors__0"),
            has_abstract=ExpressionWrapper(~Q(abstract=""), output_field=BooleanField()),
        )
        .order_by("id")
        .values_list(
            "id",
            "doi",
            "pmid",
            "other_ids",
            "title",
            "year",
            "first_author",
            "journal",
            "has_abstract",
        )
    )
    for rid, doi, pmid, other_ids, title, year, author, journal, has_abstract in rows.iterator(
        chunk_size=5000
    ):
        yield DedupRecord(
            id=rid,
            doi=doi,
            pmid=pmid,
            other_ids=tuple(sorted((other_ids or {}).items())),
            title=title,
            year=year,
            first_author=author or "",
            journal=journal,
            completeness=completeness(
                title=title,
                abstract=has_abstract,
                authors=bool(author),
                year=year,
                journal=journal,
                doi=doi,
                pmid=pmid,
            ),
        )


def _deduplicate(review, batch) -> list[DuplicateLink]:
    existing = list(dedup_records(review, exclude_batch=batch))
    links = find_duplicates(list(dedup_records(review, batch=batch)), existing=existing)
    if links:
        with connection.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE reviews_record SET duplicate_of_id = %s, duplicate_reason = %s, "
                "duplicate_score = %s WHERE id = %s",
                [(link.kept_id, link.reason, link.score, link.duplicate_id) for link in links],
            )
    return links


def _record_warnings(warned: list[tuple[int, tuple[str, ...]]], limit: int = 200) -> list[str]:
    """Record-level oddities, each with its record number; long lists are summarised."""
    lines: list[str] = []
    total = 0
    for position, warnings in warned:
        for warning in warnings:
            total += 1
            if len(lines) < limit:
                lines.append(f"record {position}: {warning}")
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


def batch_set_source(*, batch: ImportBatch, source_name: str, source_kind: str) -> None:
    """Name a staged batch's source, before it is imported: one upload may hold the exports
    of several databases and registers, and PRISMA counts each apart."""
    source_name = source_name.strip()
    limit = ImportBatch._meta.get_field("source_name").max_length
    if not source_name or len(source_name) > limit:
        raise ValidationError(f"{batch.file_name}: name its source in 1 to {limit} characters.")
    if source_kind not in ImportBatch.SourceKind.values:
        raise ValidationError(f"{batch.file_name}: {source_kind!r} is not a kind of source.")
    if batch.status != ImportBatch.Status.STAGED:
        return
    batch.source_name, batch.source_kind = source_name, source_kind
    batch.save(update_fields=["source_name", "source_kind"])


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
