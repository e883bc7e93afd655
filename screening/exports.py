"""Exports of a review for its owners: records with every decision (CSV, XLSX, RIS) and the
audit log (CSV). All of them stream, so 100,000 records export in constant memory.

How: records are read a chunk at a time (CHUNK_SIZE, by keyset on the (review_id, id) index:
each chunk is a short query of its own, so a slow download holds no cursor open and the
server materialises nothing, as a WITH HOLD cursor under autocommit would); for each chunk
one query gives the statuses (screening.queries.record_statuses), one the current decisions
with their reasons and one the resolutions. Rows are produced as generators of text (CSV,
RIS) or appended to an openpyxl write-only sheet (XLSX), so nothing holds more than one
chunk of records. The audit log, sorted by time, reads each of its three sources from a
server-side cursor (one sort each) and merges them.

Choices:
- CSV is UTF-8 with a byte-order mark, so Excel opens accented names and titles correctly;
  Python reads it with encoding="utf-8-sig", pandas and R's readr skip the mark. Rows end
  with CRLF (RFC 4180).
- CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
  carriage return) get a leading apostrophe, as OWASP advises against CSV injection: records
  come from files anyone may have written. XLSX cells are always stored as text, never as
  formulas, and keep the exact value.
- Times are ISO 8601 in the time zone of TIME_ZONE, to the second. A reviewer's time is when
  their current verdict was given (a changed decision shows the time of the change; the
  history is in the audit log).
- RIS: a record imported from a RIS file is written with its original tags and values, as
  they were read (in a conventional order of tags, see RIS_TAG_ORDER); records from other
  formats get standard tags built from their fields. The screening decision, each
  reviewer's verdict, reasons and note and the resolution are added as N1 lines. RIS cannot
  hold a blank line inside a value, so paragraph breaks in an abstract come back as single
  line breaks.
"""

from __future__ import annotations

import csv
import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import IO, Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Left
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rispy import TYPE_OF_REFERENCE_MAPPING

from reviews.models import ExclusionReason, ImportBatch, Record, Review, ReviewMember
from screening.models import Decision, DecisionChange, Resolution, ResolutionChange, Stage
from screening.output_files import written_whole
from screening.queries import record_statuses

CHUNK_SIZE = 2000
# RIS reads each record's original tags, up to ~100 KB for a Scopus record with its reference
# list: smaller chunks keep the peak low (measured at 100,000 records: ~15 MB above the
# baseline with 500, ~65 MB with 2,000, in the same time).
RIS_CHUNK_SIZE = 500

# The status filter of the record exports: a resolved record counts with its final verdict.
STATUS_FILTERS: dict[str, frozenset[str] | None] = {
    "all": None,
    "included": frozenset({"included", "resolved_included"}),
    "excluded": frozenset({"excluded", "resolved_excluded", "excluded_auto"}),
    "conflict": frozenset({"conflict"}),
    "pending": frozenset({"pending"}),
}
FORMATS = ("csv", "xlsx", "ris")

RECORD_COLUMNS = (
    "record_id",
    "pmid",
    "doi",
    "other_ids",
    "title",
    "authors",
    "year",
    "journal",
    "source_file",
    "source_database",
    "duplicate_of",
    "status",
    "resolution",
    "resolution_reasons",
    "resolution_note",
    "resolved_by",
    "resolved_at",
)
REVIEWER_COLUMNS = ("verdict", "reasons", "note", "decided_at")
AUDIT_COLUMNS = (
    "time",
    "actor",
    "action",
    "record_id",
    "old",
    "new",
    "reasons",
    "note",
    "details",
)

# What the RIS N1 line says about a record's status.
STATUS_LABELS = {
    "pending": "pending",
    "included": "included",
    "excluded": "excluded",
    "conflict": "conflict (reviewers disagree)",
    "resolved_included": "included (conflict resolved)",
    "resolved_excluded": "excluded (conflict resolved)",
    "duplicate": "duplicate",
}

# Excel cells hold at most this many characters.
XLSX_MAX_CHARS = 32767


def status_filter(status: str | None) -> frozenset[str] | None:
    """The statuses a filter name selects (None: all). Raises ValueError for an unknown name."""
    if status in (None, ""):
        return None
    if status not in STATUS_FILTERS:
        raise ValueError(f"Unknown status {status!r}: use one of {', '.join(STATUS_FILTERS)}.")
    return STATUS_FILTERS[status]


def _iso(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- Records with their decisions, a chunk at a time -------------------------------------


class Vote(NamedTuple):
    verdict: str
    reasons: tuple[str, ...]
    note: str
    at: datetime


class Final(NamedTuple):
    verdict: str
    reasons: tuple[str, ...]
    note: str
    resolver: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ScreenedRecord:
    # The record's fields as a named tuple (see _CSV_FIELDS and _RIS_FIELDS), with
    # source_file, source_database and source_format from its import batch: model instances
    # cost five times as much to build, which shows at 100,000 records.
    record: Any
    status: str
    votes: dict[int, Vote]  # by reviewer id
    resolution: Final | None


def export_reviewers(review: Review) -> list[tuple[int, str]]:
    """(user id, username) of everyone who may have decisions in the review: its members and
    anyone who decided while a member; ordered by username, so columns are stable."""
    member = ReviewMember.objects.filter(review=review, user=OuterRef("pk"))
    decided = Decision.objects.filter(review=review, reviewer=OuterRef("pk"))
    users = get_user_model().objects.filter(Q(Exists(member)) | Q(Exists(decided)))
    return list(users.order_by("username", "id").values_list("id", "username"))


_CSV_FIELDS = (
    "id",
    "position",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "other_ids",
    "duplicate_of_id",
    "source_file",
    "source_database",
)
_RIS_FIELDS = (
    *_CSV_FIELDS,
    "abstract",
    "keywords",
    "mesh_terms",
    "language",
    "url",
    "publication_type",
    "raw",
    "source_format",
)


def screened_records(
    review: Review,
    *,
    status: str | None = None,
    with_ris_fields: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[ScreenedRecord]:
    """The review's records in id order, each with its status, current title/abstract
    decisions and resolution; only those the status filter selects.

    Queries, per chunk of records: one for the records, one for their statuses and (when
    any record of the chunk is kept) one each for the decisions and the resolutions; and one
    more for the records when the last chunk is full. For owners only: it tells every
    reviewer's votes.
    """
    wanted = status_filter(status)
    records = (
        Record.objects.filter(review=review)
        .annotate(
            source_file=F("batch__file_name"),
            source_database=F("batch__source_name"),
            source_format=F("batch__format"),
        )
        .order_by("id")
    )
    if with_ris_fields:
        records = records.values_list(*_RIS_FIELDS, named=True)
    else:
        # The abstract is read only where the display title needs it (untitled records).
        records = records.annotate(
            untitled_abstract=Case(When(title="", then=Left("abstract", 2000)), default=Value(""))
        ).values_list(*_CSV_FIELDS, "untitled_abstract", named=True)
    for chunk in _chunks(records, chunk_size):
        # Every record of the review with an id in this range is in the chunk: the decisions
        # and resolutions are read by id range, which their indexes serve directly.
        first, last = chunk[0].id, chunk[-1].id
        statuses = record_statuses(review, [record.id for record in chunk])
        if wanted is not None:
            chunk = [record for record in chunk if statuses[record.id] in wanted]
            if not chunk:
                continue
        votes = _votes(review, first, last)
        finals = _resolutions(review, first, last)
        for record in chunk:
            yield ScreenedRecord(
                record=record,
                status=statuses[record.id],
                votes=votes.get(record.id, {}),
                resolution=finals.get(record.id),
            )


def _chunks(records, size: int) -> Iterator[list]:
    """The records `size` at a time, by keyset on id over the (review_id, id) index."""
    last = 0
    while True:
        chunk = list(records.filter(id__gt=last)[:size])
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        last = chunk[-1].id


def _reason_labels(related_name: str):
    reasons = ExclusionReason.objects.filter(**{related_name: OuterRef("pk")})
    return ArraySubquery(reasons.order_by("position", "id").values("label"))


def _votes(review: Review, first: int, last: int) -> dict[int, dict[int, Vote]]:
    decisions = (
        Decision.objects.filter(
            review=review, stage=Stage.TITLE_ABSTRACT, record_id__gte=first, record_id__lte=last
        )
        .annotate(labels=_reason_labels("decisions"))
        .order_by()
        .values_list("record_id", "reviewer_id", "verdict", "labels", "note", "updated_at")
    )
    votes: dict[int, dict[int, Vote]] = {}
    for record_id, reviewer_id, verdict, labels, note, at in decisions:
        votes.setdefault(record_id, {})[reviewer_id] = Vote(verdict, tuple(labels), note, at)
    return votes


def _resolutions(review: Review, first: int, last: int) -> dict[int, Final]:
    resolutions = (
        Resolution.objects.filter(
            review=review, stage=Stage.TITLE_ABSTRACT, record_id__gte=first, record_id__lte=last
        )
        .annotate(labels=_reason_labels("resolutions"), resolver=F("resolved_by__username"))
        .order_by()
        .values_list("record_id", "verdict", "labels", "note", "resolver", "updated_at")
    )
    return {
        record_id: Final(verdict, tuple(labels), note, resolver, at)
        for record_id, verdict, labels, note, resolver, at in resolutions
    }


def _display_title(record) -> str:
    """Record.display_title, for the named tuple of an export."""
    if record.title:
        return record.title
    fields = ("journal", "year", "volume", "issue", "pages", "position")
    abstract = getattr(record, "abstract", None)
    if abstract is None:
        abstract = record.untitled_abstract
    values = {name: getattr(record, name) for name in fields}
    return Record(title="", abstract=abstract, **values).display_title


# --- CSV and XLSX of records -------------------------------------------------------------


def record_header(reviewers: list[tuple[int, str]]) -> list[str]:
    header = list(RECORD_COLUMNS)
    for _user_id, name in reviewers:
        header += [f"{name}: {column}" for column in REVIEWER_COLUMNS]
    return header


def record_row(item: ScreenedRecord, reviewers: list[tuple[int, str]], zone: tzinfo) -> list:
    """One record's values, in the order of record_header: text, int (ids and years) or None;
    times in `zone`."""
    record = item.record
    final = item.resolution
    row = [
        record.id,
        record.pmid,
        record.doi,
        "; ".join(f"{key}:{value}" for key, value in sorted(record.other_ids.items())),
        _display_title(record),
        "; ".join(record.authors),
        record.year,
        record.journal,
        record.source_file,
        record.source_database,
        record.duplicate_of_id,
        item.status,
        final.verdict if final else "",
        "; ".join(final.reasons) if final else "",
        final.note if final else "",
        final.resolver if final else "",
        _iso(final.at, zone) if final else "",
    ]
    for user_id, _name in reviewers:
        vote = item.votes.get(user_id)
        if vote is None:
            row += ["", "", "", ""]
        else:
            row += [vote.verdict, "; ".join(vote.reasons), vote.note, _iso(vote.at, zone)]
    return row


class _Echo:
    """A file that hands back what is written: csv.writer then returns each row as text."""

    def write(self, text: str) -> str:
        return text


_FORMULA_START = "=+-@\t\r"


def _csv_cells(values: list) -> list:
    """None as an empty cell; text a spreadsheet would run as a formula behind an apostrophe."""
    return [
        ""
        if value is None
        else "'" + value
        if value.__class__ is str and value and value[0] in _FORMULA_START
        else value
        for value in values
    ]


def export_records_csv(
    review: Review, *, status: str | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[str]:
    """The records as CSV, one text per row (the first, the header, starts with a BOM)."""
    status_filter(status)  # an unknown status fails here, before anything is written
    return _records_csv(review, status, chunk_size)


def _records_csv(review, status, chunk_size) -> Iterator[str]:
    writer = csv.writer(_Echo())
    reviewers = export_reviewers(review)
    zone = timezone.get_default_timezone()
    yield "\ufeff" + writer.writerow(record_header(reviewers))
    for item in screened_records(review, status=status, chunk_size=chunk_size):
        yield writer.writerow(_csv_cells(record_row(item, reviewers, zone)))


def _xlsx_cell(sheet, value):
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CHARS]
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # text, never a formula
    return cell


def export_records_xlsx(
    review: Review,
    *,
    status: str | None = None,
    path_or_stream: str | IO[bytes],
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Write the records as an Excel workbook (the same columns as the CSV) to a path or a
    binary file; return how many records were written. openpyxl's write-only mode keeps the
    rows in a temporary file, not in memory."""
    status_filter(status)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Records")
    reviewers = export_reviewers(review)
    zone = timezone.get_default_timezone()
    sheet.append(record_header(reviewers))
    count = 0
    for item in screened_records(review, status=status, chunk_size=chunk_size):
        values = record_row(item, reviewers, zone)
        sheet.append([_xlsx_cell(sheet, value) for value in values])
        count += 1
    workbook.save(path_or_stream)
    return count


# --- RIS ---------------------------------------------------------------------------------

# A continuation line the RIS reader would take for a tag (or the end of the record):
# written with a leading space, which readers strip.
_TAG_LIKE = re.compile(r"\ufeff?[A-Z][A-Z0-9]{1,3} {1,2}-(?: |$)|ER\s*$")
_TYPE_CODES = {name.lower(): code for code, name in TYPE_OF_REFERENCE_MAPPING.items()}


def _ris_lines(tag: str, value) -> list[str]:
    """A tag line for `value`; its further lines, if any, as untagged continuation lines."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    first, *rest = text.split("\n")
    lines = [f"{tag}  - {first}"]
    for line in rest:
        if line.strip():
            lines.append(" " + line if _TAG_LIKE.match(line) else line)
    return lines


def _type_code(publication_type: str) -> str:
    name = publication_type.lower()
    if name in _TYPE_CODES:
        return _TYPE_CODES[name]
    for word, code in (
        ("chapter", "CHAP"),
        ("inbook", "CHAP"),
        ("incollection", "CHAP"),
        ("thesis", "THES"),
        ("dissertation", "THES"),
        ("conference", "CPAPER"),
        ("proceedings", "CPAPER"),
        ("book", "BOOK"),
        ("report", "RPRT"),
    ):
        if word in name:
            return code
    return "JOUR"


# The order in which the original tags are written. The file's own order of different tags
# is not kept (records.raw is jsonb, which orders keys its own way; the values of one tag
# keep their order): tags go in the order reference managers write them, TY first as RIS
# requires, and any other tag after these, alphabetically.
RIS_TAG_ORDER = (
    "TY", "ID", "TI", "T1", "CT", "BT", "TT", "ST", "AU", "A1", "A2", "ED", "A3", "A4", "AD",
    "PY", "Y1", "DA", "Y2", "T2", "JF", "JO", "J2", "JA", "J1", "T3", "VL", "VO", "IS", "CP",
    "SP", "EP", "PG", "SE", "ET", "PB", "CY", "SN", "DO", "DI", "L3", "M3", "AN", "PMID", "C1",
    "C2", "C3", "C4", "C5", "C6", "C7", "C8", "DB", "DP", "AB", "N2", "KW", "UR", "L1", "L2",
    "L4", "LA", "M1", "M2", "N1", "U1", "U2", "U3", "U4", "U5",
)  # fmt: skip
_TAG_RANK = {tag: rank for rank, tag in enumerate(RIS_TAG_ORDER)}


def _original_ris_lines(raw: dict) -> list[str]:
    """The tags and values the record was read with (see RIS_TAG_ORDER)."""
    lines = []
    if "TY" not in raw:
        lines += _ris_lines("TY", "JOUR")
    for tag in sorted(raw, key=lambda tag: (_TAG_RANK.get(tag, len(_TAG_RANK)), tag)):
        if tag == "ER":
            continue
        values = raw[tag]
        for value in values if isinstance(values, list) else [values]:
            lines += _ris_lines(tag, value)
    return lines


def _built_ris_lines(record) -> list[str]:
    """Standard RIS tags from the record's fields, for records read from other formats."""
    lines = _ris_lines("TY", _type_code(record.publication_type))

    def add(tag, value):
        if value not in ("", None):
            lines.extend(_ris_lines(tag, value))

    add("TI", record.title)
    for author in record.authors:
        add("AU", author)
    add("PY", record.year)
    add("T2", record.journal)
    add("VL", record.volume)
    add("IS", record.issue)
    start, dash, end = record.pages.partition("-")
    if dash and start and end:
        add("SP", start)
        add("EP", end)
    else:
        add("SP", record.pages)
    add("DO", record.doi)
    other_ids = record.other_ids or {}
    if record.pmid:
        # As EndNote writes PubMed records: the PMID is the accession number at NLM.
        add("AN", record.pmid)
        add("DP", "NLM")
    else:
        # Web of Science and CENTRAL accession numbers, which RIS readers recognise.
        accession = other_ids.get("wos", "") or other_ids.get("central", "")
        if accession.startswith(("WOS:", "CN-")):
            add("AN", accession)
    add("C2", other_ids.get("pmcid"))  # where EndNote keeps the PMCID
    add("DB", record.source_database)
    add("AB", record.abstract)
    terms = list(dict.fromkeys([*record.keywords, *record.mesh_terms]))
    for term in terms:
        add("KW", term)
    add("UR", record.url)
    add("LA", record.language)
    if other_ids:
        ids = "; ".join(f"{key}:{value}" for key, value in sorted(other_ids.items()))
        add("N1", f"Other ids: {ids}")
    return lines


def ris_notes(item: ScreenedRecord, names: dict[int, str]) -> list[str]:
    """The N1 lines that carry the screening: status, each reviewer's vote, the resolution."""
    status = STATUS_LABELS.get(item.status, item.status)
    if item.status == "duplicate":
        status = f"duplicate of record {item.record.duplicate_of_id}"
    notes = [f"Screening decision: {status}"]
    votes = sorted(item.votes.items(), key=lambda pair: (names.get(pair[0], ""), pair[0]))
    for user_id, vote in votes:
        text = f"Reviewer {names.get(user_id, user_id)}: {vote.verdict}"
        if vote.reasons:
            text += f" ({'; '.join(vote.reasons)})"
        if vote.note:
            text += f"; note: {_one_line(vote.note)}"
        notes.append(text)
    final = item.resolution
    if final is not None:
        text = f"Resolution: {final.verdict}"
        if final.reasons:
            text += f" ({'; '.join(final.reasons)})"
        text += f" by {final.resolver}"
        if final.note:
            text += f"; note: {_one_line(final.note)}"
        notes.append(text)
    return [f"N1  - {note}" for note in notes]


def ris_entry(item: ScreenedRecord, names: dict[int, str]) -> str:
    record = item.record
    raw = record.raw
    if record.source_format == "ris" and isinstance(raw, dict) and raw:
        lines = _original_ris_lines(raw)
    else:
        lines = _built_ris_lines(record)
    lines += ris_notes(item, names)
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n\r\n"


def export_records_ris(
    review: Review, *, status: str | None = None, chunk_size: int = RIS_CHUNK_SIZE
) -> Iterator[str]:
    """The records as RIS, one text per record."""
    status_filter(status)
    return _records_ris(review, status, chunk_size)


def _records_ris(review, status, chunk_size) -> Iterator[str]:
    names = dict(export_reviewers(review))
    for item in screened_records(
        review, status=status, with_ris_fields=True, chunk_size=chunk_size
    ):
        yield ris_entry(item, names)


# --- Audit log ---------------------------------------------------------------------------


_DECISION_ACTIONS = {
    DecisionChange.Kind.CREATED: "decision",
    DecisionChange.Kind.CHANGED: "decision changed",
    DecisionChange.Kind.UNDONE: "decision undone",
}


def _before(old_reasons, new_reasons, old_note, new_note) -> str:
    """What a change replaced, where it differs from the new values."""
    parts = []
    if list(old_reasons) != list(new_reasons) and old_reasons:
        parts.append(f"previous reasons: {'; '.join(old_reasons)}")
    if old_note != new_note and old_note:
        parts.append(f"previous note: {old_note}")
    return " | ".join(parts)


def _decision_events(review: Review, zone: tzinfo, chunk_size: int) -> Iterator[tuple]:
    changes = (
        DecisionChange.objects.filter(review=review)
        .order_by("changed_at", "id")
        .values_list(
            "changed_at",
            "id",
            "reviewer__username",
            "kind",
            "record_id",
            "stage",
            "old_verdict",
            "new_verdict",
            "old_reasons",
            "new_reasons",
            "old_note",
            "new_note",
        )
    )
    for (
        at,
        pk,
        actor,
        kind,
        record_id,
        stage,
        old,
        new,
        old_r,
        new_r,
        old_n,
        new_n,
    ) in changes.iterator(chunk_size=chunk_size):
        details = _before(old_r, new_r, old_n, new_n)
        if stage != Stage.TITLE_ABSTRACT:
            details = f"stage {stage}" + (f" | {details}" if details else "")
        row = [_iso(at, zone), actor, _DECISION_ACTIONS.get(kind, kind), record_id, old, new]
        yield at, 1, pk, [*row, "; ".join(new_r), new_n, details]


def _resolution_events(review: Review, zone: tzinfo, chunk_size: int) -> Iterator[tuple]:
    changes = (
        ResolutionChange.objects.filter(review=review)
        .order_by("changed_at", "id")
        .values_list(
            "changed_at",
            "id",
            "resolver__username",
            "record_id",
            "old_verdict",
            "new_verdict",
            "old_reasons",
            "new_reasons",
            "old_note",
            "new_note",
        )
    )
    for at, pk, actor, record_id, old, new, old_r, new_r, old_n, new_n in changes.iterator(
        chunk_size=chunk_size
    ):
        action = "resolution changed" if old else "resolution"
        row = [_iso(at, zone), actor, action, record_id, old, new, "; ".join(new_r), new_n]
        yield at, 2, pk, [*row, _before(old_r, new_r, old_n, new_n)]


def _import_events(review: Review, zone: tzinfo) -> Iterator[tuple]:
    batches = (
        ImportBatch.objects.filter(review=review)
        .exclude(status=ImportBatch.Status.STAGED)
        .select_related("imported_by")
        .order_by("imported_at", "id")
    )
    for batch in batches.iterator():
        done = batch.status == ImportBatch.Status.DONE
        details = [
            f"file {batch.file_name}",
            f"format {batch.format or 'unknown'}",
            f"source {batch.source_name} ({batch.get_source_kind_display().lower()})",
            f"records {batch.records_created}",
            f"duplicates {batch.duplicates_found}",
        ]
        if batch.search_date:
            details.append(f"searched {batch.search_date.isoformat()}")
        if batch.forced:
            details.append("imported again on purpose")
        if batch.error:
            details.append(f"error: {_one_line(batch.error)}")
        action = "import" if done else f"import {batch.status}"
        actor = batch.imported_by.get_username() if batch.imported_by else ""
        row = [_iso(batch.imported_at, zone), actor, action, "", "", "", "", "", "; ".join(details)]
        yield batch.imported_at, 0, batch.pk, row


def _stopping_events(review: Review, zone: tzinfo) -> Iterator[tuple]:
    """Stopping the screening (records excluded by the stopping rule) and undoing it."""
    from screening.models import StoppingEvent

    events = []
    for event in StoppingEvent.objects.filter(review=review).select_related(
        "stopped_by", "undone_by"
    ):
        details = f"{event.records_excluded} records {event.rule}"
        events.append(
            (
                event.stopped_at,
                3,
                event.pk,
                [
                    _iso(event.stopped_at, zone),
                    event.stopped_by.get_username(),
                    "screening stopped",
                    "",
                    "",
                    "",
                    "",
                    "",
                    details,
                ],
            )
        )
        if event.undone_at:
            events.append(
                (
                    event.undone_at,
                    3,
                    event.pk,
                    [
                        _iso(event.undone_at, zone),
                        event.undone_by.get_username() if event.undone_by else "",
                        "screening resumed",
                        "",
                        "",
                        "",
                        "",
                        "",
                        f"undid: {details}",
                    ],
                )
            )
    yield from sorted(events, key=lambda event: event[:3])


def export_audit_csv(review: Review, *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The review's audit log as CSV (with a BOM), in time order: every import, every decision
    made, changed or undone, every resolution, and stopping and resuming screening."""
    writer = csv.writer(_Echo())
    zone = timezone.get_default_timezone()
    yield "\ufeff" + writer.writerow(AUDIT_COLUMNS)
    events: Iterable[tuple] = heapq.merge(
        _import_events(review, zone),
        _decision_events(review, zone, chunk_size),
        _resolution_events(review, zone, chunk_size),
        _stopping_events(review, zone),
        key=lambda event: event[:3],
    )
    for event in events:
        yield writer.writerow(_csv_cells(event[3]))


# --- Files -------------------------------------------------------------------------------


def records_export_to_file(review: Review, *, format: str, status: str | None, path: str) -> int:
    """Write the records export in `format` (csv, xlsx or ris) to `path`, streaming; return
    how many records it holds."""
    if format == "xlsx":
        with written_whole(path) as target:
            return export_records_xlsx(review, status=status, path_or_stream=str(target))
    if format == "csv":
        rows = export_records_csv(review, status=status)
        skip = 1  # the header
    elif format == "ris":
        rows = export_records_ris(review, status=status)
        skip = 0
    else:
        raise ValueError(f"Unknown format {format!r}: use one of {', '.join(FORMATS)}.")
    count = 0
    with written_whole(path) as target, open(target, "w", encoding="utf-8", newline="") as output:
        for text in rows:
            output.write(text)
            count += 1
    return count - skip


def export_file_name(review: Review, what: str, extension: str) -> str:
    """e.g. exercise-for-depression-records-included-2026-05-01.csv"""
    return f"{review.slug}-{what}-{timezone.localdate().isoformat()}.{extension}"
