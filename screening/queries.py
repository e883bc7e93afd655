"""Reads for screening. Blindness is decided here, never in templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce, Left, Lower
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from reviews.models import Record, Review, ReviewMember
from screening.models import Decision, Stage


def screenable_records(review: Review) -> QuerySet[Record]:
    """Records that enter screening: the review's records that are not duplicates."""
    return Record.objects.filter(review=review, duplicate_of__isnull=True)


def records_to_screen(
    review: Review, reviewer, *, stage: str = Stage.TITLE_ABSTRACT, after_id: int | None = None
) -> QuerySet[Record]:
    """The reviewer's queue: not a duplicate, not decided by them, not excluded by a
    stopping rule, and with fewer decisions than the review requires. In import order, or
    in descending relevance (ties by import order) when the review uses relevance order."""
    from screening.models import AutomationExclusion

    mine = Decision.objects.filter(record=OuterRef("pk"), reviewer=reviewer, stage=stage)
    automated = AutomationExclusion.objects.filter(record=OuterRef("pk"))
    if after_id is not None:
        # The same bound inside the subqueries keeps PostgreSQL from reading all of the
        # reviewer's decisions for an anti-join.
        mine = mine.filter(record_id__gt=after_id)
        automated = automated.filter(record_id__gt=after_id)
    queue = (
        screenable_records(review)
        .filter(decision_count__lt=review.required_decisions)
        .exclude(Exists(mine))
        .exclude(Exists(automated))
    )
    if after_id is not None:
        queue = queue.filter(id__gt=after_id)
    if review.relevance_order:
        queue = queue.annotate(relevance=F("relevance_score__score"))
        return queue.order_by(F("relevance").desc(nulls_last=True), "id")
    return queue.order_by("id")


# The screening page's record is read with hand-written SQL: it runs on every decision, and
# the ORM took longer to build the queue query (~7 ms) than PostgreSQL to run it (~0.2 ms).
# Only the columns the page shows are read (not the raw source record or the search vector);
# `batch_source_name` and `duplicate_sources` name the record's sources.
_SCREEN_SHOWN = {
    "id",
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
    "keywords",
    "mesh_terms",
    "language",
    "url",
    "publication_type",
    "duplicate_of_id",
    "decision_count",
}
# In the model's column order, as Record.from_db takes them.
_SCREEN_FIELDS = tuple(
    field.attname for field in Record._meta.concrete_fields if field.attname in _SCREEN_SHOWN
)
_SCREEN_SELECT = f"""
SELECT {", ".join(f"r.{name}" for name in _SCREEN_FIELDS)},
       b.source_name AS batch_source_name,
       (SELECT s.score FROM screening_relevancescore s WHERE s.record_id = r.id) AS relevance,
       ARRAY(
           SELECT db.source_name
           FROM reviews_record d JOIN reviews_importbatch db ON db.id = d.batch_id
           WHERE d.duplicate_of_id = r.id
           ORDER BY d.batch_id
       ) AS duplicate_sources
FROM reviews_record r JOIN reviews_importbatch b ON b.id = r.batch_id
"""

# records_to_screen() in SQL: the first record's id is found from the review's records
# index alone (reviews_record_unique_rev holds review, id and decision_count of the records
# that are not duplicates), so walking past complete records reads no wide row; only the
# record found is read whole. With `after`, the same bound inside the EXISTS clauses keeps
# PostgreSQL from reading all of the reviewer's decisions for an anti-join.
_QUEUE_WHERE = """
WHERE r.id = ({first})
"""
# The conditions on a queued record q.
_QUEUE_CONDITIONS = """
q.review_id = %(review)s
AND q.duplicate_of_id IS NULL
AND q.decision_count < %(required)s
AND NOT EXISTS (
    SELECT 1 FROM screening_decision d
    WHERE d.record_id = q.id AND d.reviewer_id = %(reviewer)s AND d.stage = %(stage)s
      {bound_decision}
)
AND NOT EXISTS (
    SELECT 1 FROM screening_automationexclusion a WHERE a.record_id = q.id {bound_automated}
)
{bound_record}
"""
# Import order: the first queued record by id.
_FIRST_BY_ID = """
SELECT q.id FROM reviews_record q
WHERE {conditions} {unscored}
ORDER BY q.id
LIMIT 1
"""
# Relevance order: the highest score first (walking screening_score_order), ties by import
# order; records imported since the last training have no score and come after, by id.
_FIRST_BY_SCORE = """
SELECT s.record_id FROM screening_relevancescore s JOIN reviews_record q ON q.id = s.record_id
WHERE s.review_id = %(review)s AND {conditions}
ORDER BY s.score DESC, s.record_id
LIMIT 1
"""


_SCREEN_EXTRAS = ("batch_source_name", "relevance", "duplicate_sources")


def _screen_record(sql: str, params: dict) -> Record | None:
    """The record `sql` (a _SCREEN_SELECT) finds, built from the row by hand: the other
    columns stay deferred, and the extras become attributes."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    fields = len(_SCREEN_FIELDS)
    record = Record.from_db(connection.alias, _SCREEN_FIELDS, row[:fields])
    for name, value in zip(_SCREEN_EXTRAS, row[fields:], strict=True):
        setattr(record, name, value)
    return record


def queue_sql(
    review: Review, reviewer, *, after_id: int | None, select: str = _SCREEN_SELECT
) -> tuple[str, dict]:
    """The reviewer's queue as SQL (its first record is next_record's), with `select` in
    front of the WHERE clause: the screening page's columns unless told otherwise."""
    bounded = after_id is not None
    conditions = _QUEUE_CONDITIONS.format(
        bound_decision="AND d.record_id > %(after)s" if bounded else "",
        bound_automated="AND a.record_id > %(after)s" if bounded else "",
        bound_record="AND q.id > %(after)s" if bounded else "",
    )
    if review.relevance_order:
        unscored = (
            "AND NOT EXISTS (SELECT 1 FROM screening_relevancescore u WHERE u.record_id = q.id)"
        )
        # COALESCE runs the second subquery only when the first finds nothing.
        first = (
            f"COALESCE(({_FIRST_BY_SCORE.format(conditions=conditions)}), "
            f"({_FIRST_BY_ID.format(conditions=conditions, unscored=unscored)}))"
        )
    else:
        first = _FIRST_BY_ID.format(conditions=conditions, unscored="")
    where = _QUEUE_WHERE.format(first=first)
    params = {
        "review": review.id,
        "required": review.required_decisions,
        "reviewer": reviewer.id,
        "stage": Stage.TITLE_ABSTRACT.value,
        "after": after_id,
    }
    return f"{select} {where}", params


def _queue_first(review: Review, reviewer, *, after_id: int | None) -> Record | None:
    return _screen_record(*queue_sql(review, reviewer, after_id=after_id))


def next_record(review: Review, reviewer, *, after_id: int | None = None) -> Record | None:
    """The next record in the reviewer's queue (records_to_screen's first), read with the
    columns the screening page shows and its sources.

    In import order it continues after `after_id`, wrapping to the start, which keeps the
    index scan short however far into the review the reviewer is. In relevance order the
    most relevant record left comes next.
    """
    if after_id is not None and not review.relevance_order:
        record = _queue_first(review, reviewer, after_id=after_id)
        if record is not None:
            return record
    return _queue_first(review, reviewer, after_id=None)


def decision_of(record: Record, reviewer) -> Decision | None:
    return (
        Decision.objects.filter(record=record, reviewer=reviewer, stage=Stage.TITLE_ABSTRACT)
        .prefetch_related("reasons")
        .first()
    )


def can_see_others(review: Review, membership: ReviewMember) -> bool:
    """Owners see every decision; reviewers see others' only when screening is not blind."""
    return membership.is_owner or not review.blind_screening


def visible_decisions(review: Review, membership: ReviewMember) -> QuerySet[Decision]:
    """The decisions `membership` may see in this review."""
    decisions = Decision.objects.filter(review=review)
    if not can_see_others(review, membership):
        decisions = decisions.filter(reviewer_id=membership.user_id)
    return decisions


def others_decisions_on(record: Record, review: Review, membership: ReviewMember):
    """Other reviewers' decisions on a record, or an empty list when screening is blind."""
    if not can_see_others(review, membership):
        return []
    return list(
        Decision.objects.filter(record=record, stage=Stage.TITLE_ABSTRACT)
        .exclude(reviewer_id=membership.user_id)
        .select_related("reviewer")
        .prefetch_related("reasons")
        .order_by("decided_at")
    )


@dataclass(frozen=True)
class Progress:
    mine_done: int
    mine_remaining: int
    review_complete: int
    review_total: int

    @property
    def mine_percent(self) -> int:
        total = self.mine_done + self.mine_remaining
        return round(100 * self.mine_done / total) if total else 100

    @property
    def review_percent(self) -> int:
        return round(100 * self.review_complete / self.review_total) if self.review_total else 100


def screening_progress(review: Review, reviewer) -> Progress:
    """This reviewer's done and remaining counts and the review's overall progress, in one
    query. Counts of records only: nothing here tells who decided what."""
    from django.db import connection

    # Narrow counts from indexes alone: the reviewer's decisions in record order
    # (screening_dec_reviewer) merged with the review's records and their decision counts
    # (reviews_record_unique_rev includes decision_count), and two counts over the review's
    # records, instead of a pass over every record's wide row.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH mine AS (
              SELECT r.decision_count
              FROM screening_decision d JOIN reviews_record r ON r.id = d.record_id
              WHERE d.review_id = %(review)s AND d.reviewer_id = %(user)s
                AND d.stage = %(stage)s AND r.duplicate_of_id IS NULL
                AND r.review_id = %(review)s
            )
            SELECT
              (SELECT count(*) FROM mine),
              (SELECT count(*) FROM mine WHERE decision_count < %(n)s),
              (SELECT count(*) FROM reviews_record WHERE review_id = %(review)s
                 AND duplicate_of_id IS NULL AND decision_count >= %(n)s),
              (SELECT count(*) FROM reviews_record WHERE review_id = %(review)s
                 AND duplicate_of_id IS NULL),
              (SELECT count(*) FROM screening_automationexclusion a
                 JOIN reviews_record r ON r.id = a.record_id
                WHERE a.review_id = %(review)s AND r.decision_count = 0)
            """,
            {
                "review": review.id,
                "user": reviewer.id,
                "stage": Stage.TITLE_ABSTRACT,
                "n": review.required_decisions,
            },
        )
        done, mine_incomplete, complete, total, automated = cursor.fetchone()
    remaining = total - complete - mine_incomplete - automated
    return Progress(done, remaining, complete, total)


# --- Record status (title/abstract stage) ----------------------------------------------

STATUSES = (
    "pending",
    "included",
    "excluded",
    "conflict",
    "resolved_included",
    "resolved_excluded",
    "excluded_auto",
    "duplicate",
)

# One CASE for every status rule, shared by the per-record and the counting queries.
# d_forward / d_exclude: the record's include-or-maybe and exclude decisions; s_verdict:
# its resolution. With N = 1 a single decision decides, so there are no conflicts: an
# extra, disagreeing decision moves the record on (include wins, as maybe does).
_STATUS_SQL = """
CASE
  WHEN r.duplicate_of_id IS NOT NULL THEN 'duplicate'
  WHEN s.verdict = 'include' THEN 'resolved_included'
  WHEN s.verdict = 'exclude' THEN 'resolved_excluded'
  WHEN a.record_id IS NOT NULL AND COALESCE(d.d_forward, 0) + COALESCE(d.d_exclude, 0) = 0
    THEN 'excluded_auto'
  WHEN COALESCE(d.d_forward, 0) + COALESCE(d.d_exclude, 0) < %(n)s THEN 'pending'
  WHEN COALESCE(d.d_exclude, 0) = 0 THEN 'included'
  WHEN COALESCE(d.d_forward, 0) = 0 THEN 'excluded'
  WHEN %(n)s = 1 THEN 'included'
  ELSE 'conflict'
END
"""

_STATUS_FROM = """
FROM reviews_record r
LEFT JOIN (
    SELECT record_id,
           count(*) FILTER (WHERE verdict IN ('include', 'maybe')) AS d_forward,
           count(*) FILTER (WHERE verdict = 'exclude') AS d_exclude
    FROM screening_decision
    WHERE review_id = %(review)s AND stage = %(stage)s
    GROUP BY record_id
) d ON d.record_id = r.id
LEFT JOIN screening_resolution s ON s.record_id = r.id AND s.stage = %(stage)s
LEFT JOIN screening_automationexclusion a ON a.record_id = r.id
WHERE r.review_id = %(review)s
"""


def _status_params(review: Review) -> dict:
    return {"review": review.id, "stage": Stage.TITLE_ABSTRACT, "n": review.required_decisions}


def status_counts(review: Review, *, source_kinds: tuple[str, ...] | None = None) -> dict[str, int]:
    """How many records of the review are in each status, in one query (owners only:
    callers must not show this to blinded reviewers per record). `source_kinds` limits it
    to records from batches of those kinds (PRISMA screens databases and registers)."""
    from django.db import connection

    params = _status_params(review)
    where = ""
    if source_kinds is not None:
        where = (
            " AND r.batch_id IN (SELECT id FROM reviews_importbatch"
            " WHERE review_id = %(review)s AND source_kind = ANY(%(kinds)s))"
        )
        params["kinds"] = list(source_kinds)
    sql = f"SELECT {_STATUS_SQL} AS status, count(*) {_STATUS_FROM}{where} GROUP BY 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = dict(cursor.fetchall())
    return {status: counts.get(status, 0) for status in STATUSES}


def record_statuses(review: Review, record_ids=None) -> dict[int, str]:
    """Status per record id (all records, or those given)."""
    from django.db import connection

    params = _status_params(review)
    status_from = _STATUS_FROM
    if record_ids is not None:
        # Count only these records' decisions, not the whole review's.
        status_from = status_from.replace(
            "WHERE review_id = %(review)s AND stage = %(stage)s",
            "WHERE review_id = %(review)s AND stage = %(stage)s AND record_id = ANY(%(ids)s)",
        )
        params["ids"] = list(record_ids)
    sql = f"SELECT r.id, {_STATUS_SQL} {status_from}"
    if record_ids is not None:
        sql += " AND r.id = ANY(%(ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def prisma_inputs(review: Review):
    """Everything the PRISMA 2020 diagram needs for `review`: what the app counted, and the
    numbers the owner entered by hand."""
    from reviews.models import ImportBatch

    batches = review.batches.filter(status=ImportBatch.Status.DONE).order_by("id")
    sources = [(b.source_name, b.source_kind, b.records_created) for b in batches]
    screened_kinds = (ImportBatch.SourceKind.DATABASE, ImportBatch.SourceKind.REGISTER)
    return _prisma_inputs_from(review, sources, status_counts(review, source_kinds=screened_kinds))


def _prisma_inputs_from(review: Review, sources, counts: dict[str, int]):
    """PrismaInputs from the batches' sources, the status counts of the records from
    databases and registers, and the owner's manual numbers."""
    from screening.models import PrismaManual
    from screening.prisma import PrismaInputs

    screened = sum(n for status, n in counts.items() if status != "duplicate")
    manual = PrismaManual.objects.filter(review=review).first() or PrismaManual(review=review)
    return PrismaInputs(
        sources=sources,
        duplicates_in_app=counts["duplicate"],
        records_screened=screened,
        excluded_human=counts["excluded"] + counts["resolved_excluded"],
        excluded_auto=counts["excluded_auto"],
        reports_sought=counts["included"] + counts["resolved_included"],
        duplicates_before_import=manual.duplicates_before_import,
        removed_automation=manual.removed_automation,
        removed_other=manual.removed_other,
        reports_not_retrieved=manual.reports_not_retrieved,
        reports_assessed=manual.reports_assessed,
        reports_excluded=[tuple(pair) for pair in manual.reports_excluded],
        studies_included=manual.studies_included,
        reports_included=manual.reports_included,
        other_identified=[tuple(pair) for pair in manual.other_identified],
        other_sought=manual.other_sought,
        other_not_retrieved=manual.other_not_retrieved,
        other_assessed=manual.other_assessed,
        other_excluded=[tuple(pair) for pair in manual.other_excluded],
        previous_studies=manual.previous_studies,
        previous_reports=manual.previous_reports,
    )


def _review_record_or_404(review: Review, record_id: int, *, whole: bool) -> Record:
    """The record `record_id` of the review, read as the screening page shows it (`whole`) or
    just its id and review; 404 for any other, and for an id no bigint can hold."""
    from django.http import Http404

    record = None
    if 0 < record_id < 2**63:
        params = {"id": record_id, "review": review.id}
        if whole:
            record = _screen_record(
                f"{_SCREEN_SELECT} WHERE r.id = %(id)s AND r.review_id = %(review)s", params
            )
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, review_id, duplicate_of_id FROM reviews_record "
                    "WHERE id = %(id)s AND review_id = %(review)s",
                    params,
                )
                row = cursor.fetchone()
            if row is not None:
                record = Record.from_db(
                    connection.alias, ("id", "review_id", "duplicate_of_id"), row
                )
    if record is None:
        raise Http404("No such record in this review.")
    return record


def record_for_screening(review: Review, record_id: int) -> Record:
    """One record of the review for the screening page (404 for any other), as next_record
    reads it."""
    return _review_record_or_404(review, record_id, whole=True)


def record_to_decide(review: Review, record_id: int) -> Record:
    """The record a decision is posted for, only its id, review and duplicate link (404 for
    any other)."""
    return _review_record_or_404(review, record_id, whole=False)


def my_decisions_prefetch(reviewer):
    return Prefetch(
        "decisions",
        queryset=Decision.objects.filter(reviewer=reviewer).prefetch_related("reasons"),
        to_attr="my_decisions",
    )


# --- Record list ----------------------------------------------------------------------
# The review's records as a filtered, sorted table with keyset pagination. Blindness lives
# here: a reviewer's rows carry their own verdict only; the status, which needs everyone's
# decisions, is computed for owners alone.

RECORD_LIST_PAGE_SIZE = 50
RECORD_LIST_COUNT_CAP = 1000
MY_DECISIONS = ("undecided", "include", "exclude", "maybe")
RECORD_STATUSES = ("pending", "included", "excluded", "conflict", "duplicate")
RECORD_SORTS = ("id", "-id", "year", "-year", "title", "-title")
# The sort keys below are the expressions that the indexes of
# reviews/migrations/0003_record_list_indexes.py are built on: change both together.
UNDATED_YEAR = 0  # records without a year sort as the oldest
TITLE_KEY_LENGTH = 100
_FORWARD = ("include", "maybe")


@dataclass(frozen=True)
class RecordFilters:
    q: str = ""
    mine: str = ""
    status: str = ""
    batch_id: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "id"


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the sort key of a row (none when sorting by id) and its id."""

    key: int | str | None
    id: int

    def encode(self) -> str:
        return str(self.id) if self.key is None else f"{self.key},{self.id}"


@dataclass(frozen=True)
class RecordListPage:
    records: list
    next_cursor: str | None
    previous_cursor: str | None


def _sort_field(sort: str) -> str:
    return sort.removeprefix("-")


def _sort_key(sort: str):
    field = _sort_field(sort)
    if field == "year":
        return Coalesce("year", Value(UNDATED_YEAR))
    if field == "title":
        return Lower(Left("title", TITLE_KEY_LENGTH))
    return None


def record_cursor_parse(sort: str, text: str) -> Cursor | None:
    """The cursor in a page link (`<id>`, or `<sort key>,<id>`), or None when it is not one."""
    field = _sort_field(sort)
    key_text, comma, id_text = text.rpartition(",")
    if not id_text.isdigit() or len(id_text) > 18:
        return None
    if field == "id":
        return None if comma else Cursor(None, int(id_text))
    if not comma:
        return None
    if field == "year":
        try:
            year = int(key_text)
        except ValueError:
            return None
        return Cursor(year, int(id_text)) if -32768 <= year <= 32767 else None
    return Cursor(key_text, int(id_text))


def _decisions_on_row():
    return Decision.objects.filter(record=OuterRef("pk"), stage=Stage.TITLE_ABSTRACT)


def _resolution_on_row(verdict: str | None = None):
    from screening.models import Resolution

    resolutions = Resolution.objects.filter(record=OuterRef("pk"), stage=Stage.TITLE_ABSTRACT)
    return resolutions.filter(verdict=verdict) if verdict else resolutions


def _automation_on_row():
    from screening.models import AutomationExclusion

    return AutomationExclusion.objects.filter(record=OuterRef("pk"))


def _status_condition(review: Review, status: str) -> Q:
    """Records with this status. EXISTS clauses, so PostgreSQL joins them as a whole.
    A resolution overrides the decisions: "included" and "excluded" take in the records
    resolved that way, and a resolved record is no longer pending or in conflict."""
    n = review.required_decisions
    forward = Exists(_decisions_on_row().filter(verdict__in=_FORWARD))
    exclude = Exists(_decisions_on_row().filter(verdict="exclude"))
    unresolved = ~Q(Exists(_resolution_on_row()))
    # Excluded by the stopping rule: no decision and an automation exclusion.
    automated = Q(decision_count=0) & Q(Exists(_automation_on_row()))
    original = Q(duplicate_of__isnull=True)
    decided = original & Q(decision_count__gte=n) & unresolved
    if status == "duplicate":
        return Q(duplicate_of__isnull=False)
    if status == "pending":
        return original & Q(decision_count__lt=n) & unresolved & ~automated
    if status == "conflict":
        # With one required decision the first decision settles a record: no conflicts.
        return decided & Q(forward) & Q(exclude) if n > 1 else Q(pk__in=[])
    if status == "included":
        resolved = original & Q(Exists(_resolution_on_row("include")))
        return (decided & (Q(forward) if n == 1 else ~Q(exclude))) | resolved
    if status == "excluded":
        resolved = original & Q(Exists(_resolution_on_row("exclude")))
        return (decided & ~Q(forward)) | resolved | (original & unresolved & automated)
    raise ValueError(f"Unknown status {status!r}")


def _status_expression(review: Review) -> Case:
    """pending, included, excluded, conflict or duplicate, as _status_condition defines them,
    from the record's decision count and a count of its exclusions (one index probe a row;
    an EXISTS here would be hashed over the whole decisions table)."""
    n = review.required_decisions
    excludes = Coalesce(
        Subquery(
            _decisions_on_row()
            .filter(verdict="exclude")
            .order_by()
            .values("record")
            .annotate(count=Count("id"))
            .values("count")
        ),
        0,
    )
    whens = [
        When(duplicate_of__isnull=False, then=Value("duplicate")),
        When(Exists(_resolution_on_row("include")), then=Value("resolved_included")),
        When(Exists(_resolution_on_row("exclude")), then=Value("resolved_excluded")),
        When(Q(decision_count=0) & Q(Exists(_automation_on_row())), then=Value("excluded_auto")),
        When(decision_count__lt=n, then=Value("pending")),
        When(LessThanOrEqual(F("decision_count"), excludes), then=Value("excluded")),
    ]
    if n > 1:
        whens.append(When(GreaterThan(excludes, 0), then=Value("conflict")))
    return Case(*whens, default=Value("included"), output_field=CharField())


def _filtered_records(
    review: Review, membership: ReviewMember, filters: RecordFilters
) -> QuerySet[Record]:
    records = Record.objects.filter(review=review)
    if filters.q:
        query = SearchQuery(filters.q, search_type="websearch", config="english")
        records = records.filter(search_vector=query)
    if filters.mine:
        mine = _decisions_on_row().filter(reviewer_id=membership.user_id)
        if filters.mine == "undecided":
            records = records.filter(~Exists(mine))
        else:
            records = records.filter(Exists(mine.filter(verdict=filters.mine)))
    if filters.status and membership.is_owner:
        records = records.filter(_status_condition(review, filters.status))
    if filters.batch_id is not None:
        records = records.filter(batch_id=filters.batch_id)
    if filters.year_from is not None:
        records = records.filter(year__gte=filters.year_from)
    if filters.year_to is not None:
        records = records.filter(year__lte=filters.year_to)
    return records


def record_list_rows(
    review: Review,
    membership: ReviewMember,
    filters: RecordFilters,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = RECORD_LIST_PAGE_SIZE,
) -> QuerySet[Record]:
    """Up to size + 1 rows from the cursor on: after it in the list's order, or the ones
    before it, nearest first.

    Two steps in one query: the page's ids come from an index walk that starts at the
    cursor (however deep the page) and reads no more of each skipped record than the
    filters need; only then are the page's rows read whole. Each row carries `my_verdict`
    (the viewer's own decision, or None) and, for owners only, `status`. Nothing else about
    decisions is loaded: not even `decision_count`.
    """
    key = _sort_key(filters.sort)
    # Walk the index up (ascending) or down; pages before the cursor walk the other way.
    walk_down = filters.sort.startswith("-") != (before is not None)
    if key is None:
        order = [F("id").desc()] if walk_down else [F("id").asc()]
    else:
        order = [key.desc(), F("id").desc()] if walk_down else [key.asc(), F("id").asc()]
    page = _filtered_records(review, membership, filters)
    cursor = before or after
    if cursor is not None:
        if key is None:
            page = page.filter(**{"id__lt" if walk_down else "id__gt": cursor.id})
        else:
            lookup = TupleLessThan if walk_down else TupleGreaterThan
            page = page.filter(lookup(Tuple(key, F("id")), (cursor.key, cursor.id)))
    page_ids = page.order_by(*order).values("id")[: size + 1]

    mine = _decisions_on_row().filter(reviewer_id=membership.user_id)
    records = (
        Record.objects.filter(id__in=page_ids)
        .select_related("batch")
        .only(
            "id",
            "title",
            "abstract",
            "authors",
            "year",
            "journal",
            "volume",
            "issue",
            "pages",
            "position",
            "duplicate_of_id",
            "batch__id",
            "batch__file_name",
            "batch__source_name",
        )
        .annotate(my_verdict=Subquery(mine.order_by().values("verdict")[:1]))
    )
    if membership.is_owner:
        records = records.annotate(status=_status_expression(review))
    if key is not None:
        records = records.annotate(sort_key=key)
    return records.order_by(*order)


def record_list_page(
    review: Review,
    membership: ReviewMember,
    filters: RecordFilters,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = RECORD_LIST_PAGE_SIZE,
) -> RecordListPage:
    """One page of the record list, in one query, with the cursors of its neighbours."""
    rows = list(
        record_list_rows(review, membership, filters, after=after, before=before, size=size)
    )
    more = len(rows) > size
    rows = rows[:size]
    backwards = before is not None
    if backwards:
        rows.reverse()

    def cursor_of(record) -> str:
        return Cursor(getattr(record, "sort_key", None), record.id).encode()

    has_next = backwards or more
    has_previous = after is not None or (backwards and more)
    return RecordListPage(
        records=rows,
        next_cursor=cursor_of(rows[-1]) if rows and has_next else None,
        previous_cursor=cursor_of(rows[0]) if rows and has_previous else None,
    )


def record_list_count(
    review: Review, membership: ReviewMember, filters: RecordFilters, *, cap=RECORD_LIST_COUNT_CAP
) -> int:
    """How many records match, counting no further than cap + 1 (shown as "more than cap")."""
    capped = _filtered_records(review, membership, filters).order_by().values("id")[: cap + 1]
    if not filters.q:
        return capped.count()
    from django.db import connection, transaction

    # With a search, the LIMIT makes PostgreSQL walk the review's records (in id order, or
    # the whole table) and test each one's TOASTed search vector: ~130 ms for a word in 5% of
    # 100,000 records. The GIN bitmap finds the matches at once and the count stops at
    # cap + 1 (~10 ms).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_indexscan', 'off', true), "
            "set_config('enable_seqscan', 'off', true)"
        )
        return capped.count()


def record_list_batches(review: Review):
    """The review's imported batches, for the list's batch filter."""
    return list(
        review.batches.exclude(status="staged")
        .only("id", "file_name", "source_name")
        .order_by("id")
    )


# --- Conflicts and dashboard ---
# Everything here reads every reviewer's decisions: callers let only owners and resolvers
# (membership.can_resolve) reach the conflict functions, and only owners the dashboard ones,
# before calling them.

CONFLICT_LIST_LIMIT = 200
RECENT_RESOLUTIONS = 50

# Open conflicts as _STATUS_SQL defines them: not a duplicate, not resolved, at least N
# decisions, at least one exclude and one include-or-maybe. None exist when N = 1.
_CONFLICT_IDS_SQL = """
SELECT c.record_id
FROM (
    SELECT d.record_id
    FROM screening_decision d
    WHERE d.review_id = %(review)s AND d.stage = %(stage)s
    GROUP BY d.record_id
    HAVING count(*) >= %(n)s
       AND bool_or(d.verdict = 'exclude')
       AND bool_or(d.verdict <> 'exclude')
) c
WHERE NOT EXISTS (
    SELECT 1 FROM screening_resolution s
    WHERE s.record_id = c.record_id AND s.stage = %(stage)s
  )
  AND EXISTS (
    SELECT 1 FROM reviews_record r WHERE r.id = c.record_id AND r.duplicate_of_id IS NULL
  )
"""


def conflict_ids(review: Review) -> list[int]:
    """Ids of the review's open conflicts, in import order (one query; none when N = 1)."""
    from django.db import connection

    if review.required_decisions < 2:
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"{_CONFLICT_IDS_SQL} ORDER BY c.record_id", _status_params(review))
        return [row[0] for row in cursor.fetchall()]


def open_conflict_count(review: Review) -> int:
    """How many open conflicts the review has (one query; none when N = 1)."""
    from django.db import connection

    if review.required_decisions < 2:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({_CONFLICT_IDS_SQL}) conflicts", _status_params(review)
        )
        return cursor.fetchone()[0]


def _votes_prefetch(to_attr: str = "votes") -> Prefetch:
    """Each record's title/abstract decisions with their reviewer and reasons, by username."""
    return Prefetch(
        "decisions",
        queryset=Decision.objects.filter(stage=Stage.TITLE_ABSTRACT)
        .select_related("reviewer")
        .prefetch_related("reasons")
        .order_by("reviewer__username", "id"),
        to_attr=to_attr,
    )


def conflict_records(review: Review, ids) -> list[Record]:
    """The records `ids` of the review, in id order, each with `votes` (every decision)."""
    return list(
        Record.objects.filter(review=review, id__in=list(ids))
        .select_related("batch")
        .defer("raw", "search_extra", "abstract")
        .prefetch_related(_votes_prefetch())
        .order_by("id")
    )


def recent_resolutions(review: Review, *, limit: int = RECENT_RESOLUTIONS):
    """The latest resolutions (newest change first), with record, resolver and reasons."""
    from screening.models import Resolution

    return list(
        Resolution.objects.filter(review=review, stage=Stage.TITLE_ABSTRACT)
        .select_related("record", "resolved_by")
        .defer("record__raw", "record__search_extra", "record__abstract")
        .prefetch_related("reasons")
        .order_by("-updated_at", "-id")[:limit]
    )


def record_votes(record: Record) -> list[Decision]:
    """Every reviewer's current decision on `record`, with reasons, by username."""
    return list(
        Decision.objects.filter(record=record, stage=Stage.TITLE_ABSTRACT)
        .select_related("reviewer")
        .prefetch_related("reasons")
        .order_by("reviewer__username", "id")
    )


def resolution_of(record: Record):
    from screening.models import Resolution

    return (
        Resolution.objects.filter(record=record, stage=Stage.TITLE_ABSTRACT)
        .select_related("resolved_by")
        .prefetch_related("reasons")
        .first()
    )


def resolution_history(record: Record):
    from screening.models import ResolutionChange

    return list(
        ResolutionChange.objects.filter(record=record, stage=Stage.TITLE_ABSTRACT)
        .select_related("resolver")
        .order_by("changed_at", "id")
    )


# Dashboard (owners). Everything it shows is counted from one query over the decisions:
# each record's current votes (who voted what) and resolution are folded into a pattern, and
# records are counted by pattern. A review has few patterns (tens to hundreds, however many
# records), so the status counts, each reviewer's progress, every pair's 3x3 table and the
# Fleiss counts are sums over patterns, not loops over decisions. Measured on 100,000 records
# and 200,000 decisions (benchmarks/bench_dashboard.py), this one pass costs less than either
# status_counts (which reads the whole record table) or a self-join of the decisions.

VERDICT_ORDER = ("include", "maybe", "exclude")  # as screening.agreement.VERDICTS
_VERDICT_CODES = {verdict: code for code, verdict in enumerate(VERDICT_ORDER, start=1)}
_MAX_BIGINT_REVIEWERS = 31  # two bits each in a bigint


@dataclass(frozen=True)
class VotePattern:
    """`records` non-duplicate records on which exactly `votes` ((reviewer id, verdict), by
    reviewer id) are the current title/abstract decisions, with this `resolution` (final
    verdict, or None), and excluded by the stopping rule (`automated`) or not."""

    votes: tuple[tuple[int, str], ...]
    resolution: str | None
    records: int
    automated: bool = False


_PATTERNS_SQL = """
WITH duplicate AS (
    SELECT id FROM reviews_record WHERE review_id = %(review)s AND duplicate_of_id IS NOT NULL
), voted AS (
    SELECT d.record_id,
           {pattern} AS pattern,
           count(*) FILTER (WHERE {position} IS NULL) AS unknown
    FROM screening_decision d
    WHERE d.review_id = %(review)s AND d.stage = %(stage)s
      AND d.record_id NOT IN (SELECT id FROM duplicate)
    GROUP BY d.record_id
), resolved AS (
    SELECT record_id, verdict FROM screening_resolution
    WHERE review_id = %(review)s AND stage = %(stage)s
      AND record_id NOT IN (SELECT id FROM duplicate)
), automated AS (
    SELECT record_id FROM screening_automationexclusion
    WHERE review_id = %(review)s AND record_id NOT IN (SELECT id FROM duplicate)
)
SELECT v.pattern, s.verdict, a.record_id IS NOT NULL, count(*), coalesce(sum(v.unknown), 0)
FROM voted v
FULL JOIN resolved s ON s.record_id = v.record_id
FULL JOIN automated a ON a.record_id = coalesce(v.record_id, s.record_id)
GROUP BY 1, 2, 3
"""
_CASE_CODE = "CASE d.verdict WHEN 'include' THEN 1 WHEN 'maybe' THEN 2 ELSE 3 END"
# Reviewer i (1-based, in %(reviewers)s) takes bits 2(i-1) and 2(i-1)+1.
_POSITION = "array_position(%(reviewers)s::bigint[], d.reviewer_id::bigint)"
# Each reviewer has one current decision a record, so their bits never overlap: a bit_or
# folds a record's votes (a sum past 31 reviewers, in numeric).
_BIGINT_PATTERN = f"bit_or(({_CASE_CODE})::bigint << (2 * ({_POSITION} - 1)))"
_NUMERIC_PATTERN = f"sum(({_CASE_CODE})::numeric * power(4::numeric, {_POSITION} - 1))"


def vote_patterns(review: Review, reviewer_ids) -> list[VotePattern]:
    """The review's non-duplicate records counted by pattern of votes, resolution and
    exclusion by the stopping rule, in one query (records with none of these are left out).
    `reviewer_ids` should hold everyone who decided in the review; anyone missing is looked
    up and the query run again."""
    from django.db import connection

    reviewers = sorted(set(reviewer_ids))
    for _attempt in range(2):
        pattern = _BIGINT_PATTERN if len(reviewers) <= _MAX_BIGINT_REVIEWERS else _NUMERIC_PATTERN
        params = {"review": review.id, "stage": Stage.TITLE_ABSTRACT, "reviewers": reviewers}
        with connection.cursor() as cursor:
            cursor.execute(_PATTERNS_SQL.format(pattern=pattern, position=_POSITION), params)
            rows = cursor.fetchall()
        if not any(unknown for *_, unknown in rows):
            break
        reviewers = sorted(
            set(reviewers)
            | set(
                Decision.objects.filter(review=review, stage=Stage.TITLE_ABSTRACT)
                .values_list("reviewer_id", flat=True)
                .distinct()
            )
        )
    patterns = []
    for folded, resolution, automated, records, _unknown in rows:
        votes = []
        number = int(folded or 0)
        for reviewer_id in reviewers:
            number, code = divmod(number, 4)
            if code:
                votes.append((reviewer_id, VERDICT_ORDER[code - 1]))
        patterns.append(VotePattern(tuple(votes), resolution, records, automated))
    return patterns


def pattern_status(pattern: VotePattern, required: int) -> str:
    """The status of the records of `pattern`, by the rules of _STATUS_SQL."""
    if pattern.resolution == "include":
        return "resolved_included"
    if pattern.resolution == "exclude":
        return "resolved_excluded"
    if pattern.automated and not pattern.votes:
        return "excluded_auto"
    exclude = sum(1 for _reviewer, verdict in pattern.votes if verdict == "exclude")
    forward = len(pattern.votes) - exclude
    if forward + exclude < required:
        return "pending"
    if exclude == 0:
        return "included"
    if forward == 0:
        return "excluded"
    if required == 1:
        return "included"
    return "conflict"


def record_totals(review: Review) -> tuple[int, int]:
    """(records, records that are not duplicates) of the review, from its indexes alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM reviews_record WHERE review_id = %(review)s),"
            " (SELECT count(*) FROM reviews_record"
            "  WHERE review_id = %(review)s AND duplicate_of_id IS NULL)",
            {"review": review.id},
        )
        return cursor.fetchone()


@dataclass(frozen=True)
class ReviewerProgress:
    user_id: int
    username: str
    role: str  # owner, reviewer, or "" for someone no longer a member
    include: int
    maybe: int
    exclude: int
    screenable: int

    @property
    def decided(self) -> int:
        return self.include + self.maybe + self.exclude

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.screenable) if self.screenable else 0


@dataclass(frozen=True)
class DashboardNumbers:
    counts: dict[str, int]  # as status_counts gives them
    screenable: int
    progress: list[ReviewerProgress]
    pairs: list  # of screening.agreement.PairAgreement, by reviewer names
    fleiss: list  # of screening.agreement.FleissAgreement
    prisma: object  # screening.prisma.PrismaInputs, as prisma_inputs gives them


def _agreement(patterns, names: dict[int, str]):
    from screening.agreement import FleissAgreement, fleiss_kappa_binary, pair_agreement

    index = {verdict: i for i, verdict in enumerate(VERDICT_ORDER)}
    tables: dict[tuple[int, int], list[list[int]]] = {}
    forwarded: dict[tuple[int, ...], dict[int, int]] = {}
    for pattern in patterns:
        votes = pattern.votes
        for i, (a, verdict_a) in enumerate(votes):
            for b, verdict_b in votes[i + 1 :]:
                table = tables.setdefault((a, b), [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
                table[index[verdict_a]][index[verdict_b]] += pattern.records
        if len(votes) >= 3:
            raters = tuple(reviewer for reviewer, _verdict in votes)
            forward = sum(1 for _reviewer, verdict in votes if verdict != "exclude")
            counts = forwarded.setdefault(raters, {})
            counts[forward] = counts.get(forward, 0) + pattern.records

    def name(user_id):
        return names.get(user_id, f"user {user_id}")

    pairs = []
    for (a, b), table in tables.items():
        if name(a) > name(b):  # rows are the reviewer first by name
            a, b = b, a
            table = [list(column) for column in zip(*table, strict=True)]
        pairs.append(pair_agreement(name(a), name(b), table))
    pairs.sort(key=lambda pair: (pair.reviewer_a, pair.reviewer_b))
    fleiss = [
        FleissAgreement(
            reviewers=tuple(sorted(name(user_id) for user_id in raters)),
            n=sum(counts.values()),
            kappa=fleiss_kappa_binary(counts, len(raters)),
        )
        for raters, counts in forwarded.items()
    ]
    fleiss.sort(key=lambda agreement: agreement.reviewers)
    return pairs, fleiss


def _dashboard_prisma_inputs(review: Review, counts: dict[str, int]):
    """prisma_inputs(review), reusing the review's status counts: the records of database and
    register batches are all records less those of other-method batches (counted only when
    the review has such batches)."""
    from reviews.models import ImportBatch

    batches = list(review.batches.order_by("id"))
    sources = [
        (b.source_name, b.source_kind, b.records_created)
        for b in batches
        if b.status == ImportBatch.Status.DONE
    ]
    screened_counts = dict(counts)
    if any(b.source_kind == ImportBatch.SourceKind.OTHER for b in batches):
        other = status_counts(review, source_kinds=(ImportBatch.SourceKind.OTHER,))
        screened_counts = {status: n - other[status] for status, n in counts.items()}
    return _prisma_inputs_from(review, sources, screened_counts)


def dashboard_numbers(review: Review) -> DashboardNumbers:
    """Everything the dashboard counts, in five queries: members, vote patterns, record
    totals, batches and the PRISMA numbers entered by hand (one more when the review has
    other-method batches)."""
    from django.contrib.auth import get_user_model

    members = list(review.members.select_related("user"))
    names = {m.user_id: m.user.get_username() for m in members}
    roles = {m.user_id: m.role for m in members}
    patterns = vote_patterns(review, names)
    voters = {reviewer for pattern in patterns for reviewer, _verdict in pattern.votes}
    former = voters - set(names)
    if former:
        for user in get_user_model().objects.filter(id__in=former):
            names[user.id] = user.get_username()
    total, screenable = record_totals(review)
    counts = dict.fromkeys(STATUSES, 0)
    verdicts = {user_id: dict.fromkeys(VERDICT_ORDER, 0) for user_id in names}
    for pattern in patterns:
        counts[pattern_status(pattern, review.required_decisions)] += pattern.records
        for reviewer, verdict in pattern.votes:
            verdicts[reviewer][verdict] += pattern.records
    counts["pending"] += screenable - sum(pattern.records for pattern in patterns)
    counts["duplicate"] = total - screenable
    progress = sorted(
        (
            ReviewerProgress(
                user_id=user_id,
                username=names[user_id],
                role=roles.get(user_id, ""),
                screenable=screenable,
                **verdicts[user_id],
            )
            for user_id in names
        ),
        key=lambda row: row.username,
    )
    pairs, fleiss = _agreement(patterns, names)
    return DashboardNumbers(
        counts=counts,
        screenable=screenable,
        progress=progress,
        pairs=pairs,
        fleiss=fleiss,
        prisma=_dashboard_prisma_inputs(review, counts),
    )


# --- Ranking and stopping ---------------------------------------------------------------

_LABEL_SQL = """
SELECT r.id,
       CASE WHEN s.verdict = 'include' THEN 1
            WHEN s.verdict = 'exclude' THEN 0
            WHEN d.d_forward > 0 THEN 1
            ELSE 0 END AS label,
       d.first_decided
FROM reviews_record r
LEFT JOIN (
    SELECT record_id,
           count(*) FILTER (WHERE verdict IN ('include', 'maybe')) AS d_forward,
           min(decided_at) AS first_decided
    FROM screening_decision
    WHERE review_id = %(review)s AND stage = %(stage)s
    GROUP BY record_id
) d ON d.record_id = r.id
LEFT JOIN screening_resolution s ON s.record_id = r.id AND s.stage = %(stage)s
WHERE r.review_id = %(review)s AND r.duplicate_of_id IS NULL
  AND (d.record_id IS NOT NULL OR s.id IS NOT NULL)
"""


def training_labels(review: Review) -> dict[int, int]:
    """Labels for the ranking model: 1 if any reviewer included it (include or maybe) or
    the resolution did; 0 if every reviewer excluded it or the resolution did."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_LABEL_SQL, {"review": review.id, "stage": Stage.TITLE_ABSTRACT})
        return {record_id: label for record_id, label, _first in cursor.fetchall()}


def screening_order_labels(review: Review) -> list[int]:
    """The labels of the screened records in the order they were first screened, for the
    stopping test."""
    from django.db import connection

    sql = f"SELECT label FROM ({_LABEL_SQL}) labelled ORDER BY first_decided NULLS LAST, id"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"review": review.id, "stage": Stage.TITLE_ABSTRACT})
        return [label for (label,) in cursor.fetchall()]


def ranking_state(review: Review):
    """The latest ranking run, the stopping test and the active stopping event."""
    from screening.models import RankingRun, StoppingEvent
    from screening.stopping import stopping_test

    labels = screening_order_labels(review)
    total = screenable_records(review).count()
    return {
        "last_run": RankingRun.objects.filter(review=review).first(),
        "last_done": RankingRun.objects.filter(review=review, status="done").first(),
        "stopping": stopping_test(labels, total) if labels and total else None,
        "screened": len(labels),
        "total": total,
        "unscreened": total - len(labels),
        "active_stop": StoppingEvent.objects.filter(review=review, undone_at__isnull=True)
        .select_related("stopped_by")
        .first(),
        "stop_events": list(
            StoppingEvent.objects.filter(review=review).select_related("stopped_by", "undone_by")
        ),
    }
