"""Screening benchmark: the decision round trip and the record-list search against gunicorn,
and the next-record and progress queries from 1,000 to 100,000 records (issue 4, "Speed").

Set-up (kept between runs, found by its slug; --rebuild makes it again): reviews of 1,000,
10,000 and 100,000 records, each with an owner and three reviewers, required_decisions=2 and
1.5 current decisions per record (150,000 in the large one). Records are real ones from the
samples (../shared/samples, or tests/data) with varied titles and unique DOIs, written with
COPY through reviews.imports' own row builder, in two batches; 1 in 20 is linked as a
duplicate. Decisions go in with COPY too, as the services would leave them: current decisions,
their reasons, a "created" history entry each, and reviews_record.decision_count = the number
of current decisions. Screened in import order, as reviewers do: the first records are
complete (2 decisions), then come records with one decision, then untouched ones.

Measured, each reviewer a thread with its own session, over HTTP to 127.0.0.1 against
`gunicorn config.wsgi --workers 2 --threads 1` (settings benchmarks.screening_settings: the
app's, plus the floor view and a Server-Timing header):
- floor: GET of a minimal view that fetches one record by primary key and renders it;
- (information only) the signed-in floor: the same behind sign-in and the review membership
  check that every page of a review starts with;
- decide: POST .../screen/<id>/decide/ with HX-Request, which saves the decision and renders
  the next record; each reviewer decides the record the previous response showed;
- search: GET .../records/?q=<word>, the record list's first page.
Each request's time is taken twice: by the client (loopback round trip, connection included;
gunicorn's sync workers close each connection) and by the server (Server-Timing, the Django
middleware stack, view and rendering). With 3 reviewers on 2 workers, client times include
some queueing.

Targets, judged on both measures, never relaxed: decision p50 <= 3x floor p50; decision p95
< 50 ms; search p95 < 150 ms; the next-record query uses an index on reviews_record (no Seq
Scan on reviews_record or screening_decision) and its execution time at 100,000 records is
at most 2x its time at 1,000 records + 0.5 ms, in the plan the planner picks and in the
merge anti-join plan it picked in one of our runs (shown with enable_nestloop off).

Also reported: EXPLAIN (ANALYZE, BUFFERS) of next_record from the start of the queue and of
screening_progress (also with JIT off), proposed forms of both queries (with a check that
they give the same answers), and the queries of one decision request and one search with
their times (in process, Django's test client).

    python -m benchmarks.bench_screening [--rebuild] [--decisions-per-reviewer 700]
                                         [--skip-http] [--skip-plans] [--pgoptions OPTS]
                                         [--database-url URL]

Writes benchmarks/results/screening.json and screening.md. Decisions the run makes are
removed at its end (and at the start of the next run, after a crash), so each run starts
from the same state. Exit status: 0 targets met, 3 a target missed, 1 the benchmark failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from benchmarks._common import (
    BENCH_DATABASE,
    RESULTS_DIR,
    ROOT,
    SAMPLES_DIR,
    TEST_DATA_DIR,
    markdown_table,
    text_table,
)

TARGET_MISSED = 3
DEFAULT_DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
SETUP_VERSION = 1
SIZES = (1_000, 10_000, 100_000)
LARGE = 100_000
REQUIRED_DECISIONS = 2
DECISIONS_PER_RECORD = 1.5  # 150,000 decisions in the 100,000-record review
UNTOUCHED_SHARE = 0.10  # records nobody has decided yet
DUPLICATE_EVERY = 10  # in the second batch: 1 in 20 of all records is a duplicate
SEED = 20240229
OWNER = "screening-bench-owner"
REVIEWERS = ("screening-bench-r1", "screening-bench-r2", "screening-bench-r3")
SECRET_KEY = "bench-screening-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
CSRF_SECRET = "benchscreeningcsrfsecret01234567"  # 32 letters and digits, as Django expects

# Targets (issue 4, "Speed").
DECIDE_FLOOR_RATIO = 3.0
DECIDE_P95_MS = 50.0
SEARCH_P95_MS = 150.0
GROWTH_FACTOR = 2.0
GROWTH_SLACK_MS = 0.5
PROGRESS_SLOW_MS = 15.0

INCLUDE_TERMS = ["random*", "trial", "children", "adolescen*", "intervention"]
EXCLUDE_TERMS = ["rat", "rats", "mice", "in vitro", "animal*", "case report"]
SAMPLE_DIRS = ("ris", "medline", "pubmed_xml", "wos_plaintext", "scopus_csv")
TEST_DATA_DIRS = ("ris", "medline", "pubmed-xml", "wos", "scopus-csv")
BATCHES = (
    ("screening-bench-medline.ris", "MEDLINE (PubMed)"),
    ("screening-bench-embase.ris", "Embase"),
)
EXPLAIN_REPEATS = 7
NO_JIT = {"jit": "off"}
# The plan the planner may flip to for next_record's anti-join: it chose a merge anti-join in
# one of our runs (after a VACUUM ANALYZE), which reads the reviewer's decisions from their
# first one. Forced here (ids only, no batch join) to show what each form costs in it.
MERGE_JOINS = {"enable_nestloop": "off", "enable_hashjoin": "off"}
PLAN_LABELS = (
    ("next_record(after=last decided)", "next_after"),
    ("next_record(after=...) ids, merge anti-join forced", "next_after_merge"),
    ("next_record(after=...), proposed", "next_after_proposal"),
    ("next_record(after=...) ids, proposed, merge anti-join forced", "next_after_proposal_merge"),
    ("next_record() from the start", "next_start"),
    ("screening_progress", "progress"),
    ("screening_progress, JIT off", "progress_nojit"),
    ("screening_progress, proposed", "progress_proposal"),
    ("screening_progress, proposed, JIT off", "progress_proposal_nojit"),
)

_WORD = re.compile(r"[a-z][a-z-]{3,}")
_DECIDE_ACTION = re.compile(r"/screen/(\d+)/decide/")
_SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")
_EXECUTION_TIME = re.compile(r"Execution Time: ([0-9.]+) ms")
_PLANNING_TIME = re.compile(r"Planning Time: ([0-9.]+) ms")


def log(message: str) -> None:
    print(message, flush=True)


def slug_for(size: int) -> str:
    return f"screening-bench-{size}"


# --- Database and Django -------------------------------------------------------------------


def database_url(explicit: str | None) -> str:
    """The benchmark database: --database-url, else DATABASE_URL's server, else the machine's
    PostgreSQL on 127.0.0.1:5432; the database name is always screening_bench."""
    url = explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return urlunsplit(urlsplit(url)._replace(path="/" + BENCH_DATABASE))


def server_env(url: str) -> dict:
    """Settings for both this process and gunicorn: production-like, plain HTTP on loopback."""
    return {
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "ERROR",
    }


def setup_django(url: str) -> None:
    from config.embedded_db import ensure_database_for_url

    ensure_database_for_url(url)
    os.environ.update(server_env(url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- Set-up ---------------------------------------------------------------------------------


def sample_records() -> list:
    """Real records with a title, parsed by the app's own importers, in a stable order."""
    from reviews.importers import read_records

    if SAMPLES_DIR.exists():
        folders = [SAMPLES_DIR / name for name in SAMPLE_DIRS]
    else:
        folders = [TEST_DATA_DIR / name for name in TEST_DATA_DIRS]
    records = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            try:
                result = read_records(path.read_bytes(), file_name=path.name)
                records.extend(r for r in result.records if r.title.strip())
            except Exception as error:  # a sample the importers refuse is simply not used
                log(f"  (sample {path.name} skipped: {error})")
    if not records:
        raise RuntimeError(f"no sample records found in {', '.join(map(str, folders))}")
    return records


def _vocabulary(records) -> list[str]:
    words = set()
    for record in records:
        words.update(_WORD.findall(record.title.lower()))
    return sorted(words)


def _varied_title(title: str, vocabulary: list[str], rng: random.Random) -> str:
    """A third of the words replaced and two inserted, so no two titles are near-duplicates."""
    words = title.split()
    for i in rng.sample(range(len(words)), k=max(1, len(words) // 3)):
        words[i] = rng.choice(vocabulary)
    for _ in range(2):
        words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary))
    return " ".join(words)


def _users():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = []
    for username in (OWNER, *REVIEWERS):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    return users[0], users[1:]


def _marker(review) -> dict:
    try:
        marker = json.loads(review.description)
    except (TypeError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def delete_review_fast(review_id: int) -> None:
    """Delete a set-up review with plain SQL (the ORM's cascade would load every row)."""
    from django.db import connection, transaction

    from screening.models import Decision

    through = Decision.reasons.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {through} WHERE decision_id IN "
            "(SELECT id FROM screening_decision WHERE review_id = %s)",
            [review_id],
        )
        for table in ("screening_decision", "screening_decisionchange"):
            cursor.execute(f"DELETE FROM {table} WHERE review_id = %s", [review_id])
        cursor.execute(
            "UPDATE reviews_record SET duplicate_of_id = NULL WHERE review_id = %s "
            "AND duplicate_of_id IS NOT NULL",
            [review_id],
        )
        cursor.execute("DELETE FROM reviews_record WHERE review_id = %s", [review_id])
        for table in ("reviews_importbatch", "reviews_exclusionreason", "reviews_reviewmember"):
            cursor.execute(f"DELETE FROM {table} WHERE review_id = %s", [review_id])
        cursor.execute("DELETE FROM reviews_review WHERE id = %s", [review_id])


def ensure_review(size: int, samples, *, rebuild: bool) -> tuple[object, dict]:
    """The set-up review of `size` records: reused when complete, else built. Returns
    (review, info about how it was obtained)."""
    from reviews.models import Review

    existing = Review.objects.filter(slug=slug_for(size)).first()
    if existing is not None:
        marker = _marker(existing)
        if not rebuild and marker.get("version") == SETUP_VERSION and marker.get("complete"):
            restored = restore_review(existing)
            return existing, {"reused": True, "seconds": 0.0, "restored": restored, **marker}
        log(f"  deleting the earlier set-up {existing.slug} ...")
        delete_review_fast(existing.id)
    started = time.perf_counter()
    review, marker = build_review(size, samples)
    seconds = time.perf_counter() - started
    return review, {"reused": False, "seconds": round(seconds, 1), "restored": {}, **marker}


def build_review(size: int, samples) -> tuple[object, dict]:
    from django.db import connection, transaction
    from django.utils import timezone

    from reviews.imports import RECORD_COLUMNS, _row
    from reviews.models import ExclusionReason, ImportBatch, Record, ReviewMember
    from reviews.services import review_create
    from screening.models import Decision, DecisionChange

    owner, reviewers = _users()
    rng = random.Random(SEED + size)
    vocabulary = _vocabulary(samples)
    log(f"  building {slug_for(size)}: {size:,} records ...")
    with transaction.atomic():
        review = review_create(
            title=f"Screening benchmark, {size:,} records",
            owner=owner,
            slug=slug_for(size),
            inclusion_criteria="Randomised trials of interventions in children and adolescents.",
            exclusion_criteria="Animal studies, in vitro studies, case reports.",
        )
        review.required_decisions = REQUIRED_DECISIONS
        review.include_terms = INCLUDE_TERMS
        review.exclude_terms = EXCLUDE_TERMS
        review.description = json.dumps({"version": SETUP_VERSION, "complete": False})
        review.save()
        for user in reviewers:
            ReviewMember.objects.create(review=review, user=user, role=ReviewMember.Role.REVIEWER)
        half = size // 2
        batches = []
        for (file_name, source), count in zip(BATCHES, (half, size - half), strict=True):
            batches.append(
                (
                    ImportBatch.objects.create(
                        review=review,
                        file_name=file_name,
                        sha256=hashlib.sha256(f"{size}-{file_name}".encode()).hexdigest(),
                        format="ris",
                        encoding="utf-8",
                        source_name=source,
                        imported_by=owner,
                        status=ImportBatch.Status.DONE,
                        records_read=count,
                        records_created=count,
                    ),
                    count,
                )
            )

        # Records: COPY, with the same row builder records_import uses.
        started = time.perf_counter()
        dumps = json.dumps
        columns = ", ".join(RECORD_COLUMNS)
        order = list(range(len(samples)))
        rng.shuffle(order)
        n = 0
        copy_sql = f"COPY reviews_record ({columns}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for batch, count in batches:
                for position in range(1, count + 1):
                    source = samples[order[n % len(order)]]
                    record = dataclasses.replace(
                        source,
                        position=position,
                        title=_varied_title(source.title, vocabulary, rng),
                        doi=f"10.5555/screening-bench.{size}.{n + 1}",
                        pmid="",
                        other_ids={},
                    )
                    copy.write_row(_row(review.pk, batch.pk, position, record, dumps))
                    n += 1
        copy_seconds = time.perf_counter() - started
        log(f"    {n:,} records copied in {copy_seconds:.1f} s")

        # Cross-database duplicates: 1 in DUPLICATE_EVERY of the second batch.
        (first, _), (second, _) = batches
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE reviews_record r SET duplicate_of_id = o.id, duplicate_reason = 'DOI' "
                "FROM reviews_record o WHERE r.batch_id = %s AND o.batch_id = %s "
                "AND o.position = r.position AND r.position %% %s = 0",
                [second.id, first.id, DUPLICATE_EVERY],
            )
            duplicate_count = cursor.rowcount

        # Decisions, screened in import order: complete records, then records with one
        # decision, then untouched ones.
        screenable = list(
            Record.objects.filter(review=review, duplicate_of__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        total_decisions = round(DECISIONS_PER_RECORD * size)
        untouched = round(UNTOUCHED_SHARE * size)
        touched = len(screenable) - untouched
        complete = total_decisions - touched
        single = touched - complete
        if complete < 0 or single < 0:
            raise RuntimeError(f"cannot place {total_decisions} decisions on {size} records")
        reasons = list(ExclusionReason.objects.filter(review=review).order_by("position", "id"))
        reviewer_ids = [user.id for user in reviewers]
        pairs = [(0, 1), (1, 2), (2, 0)]
        plan = []  # (record id, reviewer index)
        for i, record_id in enumerate(screenable[:complete]):
            for who in pairs[i % 3]:
                plan.append((record_id, who))
        for i, record_id in enumerate(screenable[complete:touched]):
            plan.append((record_id, i % 3))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('screening_decision', 'id')) "
                "FROM generate_series(1, %s)",
                [len(plan)],
            )
            decision_ids = sorted(row[0] for row in cursor.fetchall())
        through = Decision.reasons.through._meta.db_table
        start = timezone.now() - timedelta(days=120)
        verdict_counts = {"include": 0, "exclude": 0, "maybe": 0}
        started = time.perf_counter()
        with connection.connection.cursor() as cursor:
            decision_rows, reason_rows, change_rows = [], [], []
            for k, ((record_id, who), decision_id) in enumerate(
                zip(plan, decision_ids, strict=True)
            ):
                roll = rng.random()
                verdict = "include" if roll < 0.18 else "maybe" if roll < 0.30 else "exclude"
                chosen = []
                if verdict == "exclude":
                    chosen = rng.sample(reasons[:7], k=1 if rng.random() < 0.8 else 2)
                    chosen.sort(key=lambda r: (r.position, r.id))
                note = "Checked the full abstract." if rng.random() < 0.05 else ""
                at = start + timedelta(seconds=20 * k)
                verdict_counts[verdict] += 1
                decision_rows.append(
                    (
                        decision_id,
                        review.id,
                        record_id,
                        reviewer_ids[who],
                        "title_abstract",
                        verdict,
                        note,
                        at,
                        at,
                    )
                )
                reason_rows.extend((decision_id, reason.id) for reason in chosen)
                change_rows.append(
                    (
                        review.id,
                        record_id,
                        reviewer_ids[who],
                        "title_abstract",
                        DecisionChange.Kind.CREATED.value,
                        "",
                        verdict,
                        [],
                        [reason.label for reason in chosen],
                        "",
                        note,
                        at,
                    )
                )
            with cursor.copy(
                "COPY screening_decision (id, review_id, record_id, reviewer_id, stage, verdict, "
                "note, decided_at, updated_at) FROM STDIN"
            ) as copy:
                for row in decision_rows:
                    copy.write_row(row)
            with cursor.copy(
                f"COPY {through} (decision_id, exclusionreason_id) FROM STDIN"
            ) as copy:
                for row in reason_rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY screening_decisionchange (review_id, record_id, reviewer_id, stage, kind, "
                "old_verdict, new_verdict, old_reasons, new_reasons, old_note, new_note, "
                "changed_at) FROM STDIN"
            ) as copy:
                for row in change_rows:
                    copy.write_row(row)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE reviews_record r SET decision_count = d.n FROM (SELECT record_id, "
                "count(*) AS n FROM screening_decision WHERE review_id = %s "
                "AND stage = 'title_abstract' GROUP BY record_id) d WHERE r.id = d.record_id",
                [review.id],
            )
            cursor.execute(
                "SELECT coalesce(max(id), 0) FROM screening_decisionchange WHERE review_id = %s",
                [review.id],
            )
            max_change_id = cursor.fetchone()[0]
        decisions_seconds = time.perf_counter() - started
        log(f"    {len(plan):,} decisions copied in {decisions_seconds:.1f} s")
        marker = {
            "version": SETUP_VERSION,
            "complete": True,
            "records": n,
            "duplicates": duplicate_count,
            "screenable": len(screenable),
            "decisions": len(plan),
            "records_complete": complete,
            "records_one_decision": single,
            "records_untouched": untouched,
            "verdicts": verdict_counts,
            "exclusion_reason_links": len(reason_rows),
            "max_decision_id": decision_ids[-1] if decision_ids else 0,
            "max_change_id": max_change_id,
            "copy_seconds": round(copy_seconds, 1),
            "decisions_seconds": round(decisions_seconds, 1),
        }
        review.description = json.dumps(marker)
        review.save(update_fields=["description"])
    return review, marker


def restore_review(review) -> dict:
    """Remove decisions and history added after the set-up (by a run), so each run starts
    from the same state; decision_count is recounted for the records concerned."""
    from django.db import connection, transaction

    from screening.models import Decision

    marker = _marker(review)
    through = Decision.reasons.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM screening_decisionchange WHERE review_id = %s AND id > %s "
            "AND kind <> 'created'",
            [review.id, marker["max_change_id"]],
        )
        changed = cursor.fetchone()[0]
        cursor.execute(
            "SELECT DISTINCT record_id FROM screening_decision WHERE review_id = %s AND id > %s",
            [review.id, marker["max_decision_id"]],
        )
        records = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"DELETE FROM {through} WHERE decision_id IN (SELECT id FROM screening_decision "
            "WHERE review_id = %s AND id > %s)",
            [review.id, marker["max_decision_id"]],
        )
        cursor.execute(
            "DELETE FROM screening_decision WHERE review_id = %s AND id > %s",
            [review.id, marker["max_decision_id"]],
        )
        decisions = cursor.rowcount
        cursor.execute(
            "DELETE FROM screening_decisionchange WHERE review_id = %s AND id > %s",
            [review.id, marker["max_change_id"]],
        )
        changes = cursor.rowcount
        if records:
            cursor.execute(
                "UPDATE reviews_record r SET decision_count = (SELECT count(*) FROM "
                "screening_decision d WHERE d.record_id = r.id AND d.stage = 'title_abstract') "
                "WHERE r.id = ANY(%s)",
                [records],
            )
    if changed:
        # A run changed set-up decisions (it should not): rebuild next time.
        marker["complete"] = False
        review.description = json.dumps(marker)
        review.save(update_fields=["description"])
    return {"decisions_removed": decisions, "history_removed": changes, "changed": changed}


def consistency(review) -> dict:
    """decision_count against the decisions table, and the counts of the set-up."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE r.decision_count <> coalesce(d.n, 0)), count(*), "
            "count(*) FILTER (WHERE r.duplicate_of_id IS NOT NULL), "
            "(SELECT count(*) FROM screening_decision WHERE review_id = %s) "
            "FROM reviews_record r LEFT JOIN (SELECT record_id, count(*) AS n "
            "FROM screening_decision WHERE review_id = %s AND stage = 'title_abstract' "
            "GROUP BY record_id) d ON d.record_id = r.id WHERE r.review_id = %s",
            [review.id, review.id, review.id],
        )
        mismatched, records, duplicates, decisions = cursor.fetchone()
    return {
        "records": records,
        "duplicates": duplicates,
        "decisions": decisions,
        "decision_count_mismatches": mismatched,
    }


def vacuum_analyze(*, records: bool) -> float:
    """Autovacuum may be off (it is on this machine's server): keep statistics and the
    visibility map current, as a maintained database would have them. reviews_record is
    vacuumed only after a build (it is shared with other benchmarks and can be large);
    otherwise it is analysed."""
    from django.db import connection

    from screening.models import Decision

    started = time.perf_counter()
    through = Decision.reasons.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM (ANALYZE)' if records else 'ANALYZE'} reviews_record")
        for table in ("screening_decision", through, "screening_decisionchange", "django_session"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - started


# --- Query plans ----------------------------------------------------------------------------


def captured_queries(function) -> tuple[object, list[tuple[str, float]]]:
    """Run `function`, returning its result and the SQL it ran (as sent) with each time."""
    from django.db import connection

    queries = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            cursor = context["cursor"]
            text = connection.ops.last_executed_query(cursor, sql, params)
            queries.append((text, elapsed))

    with connection.execute_wrapper(wrapper):
        result = function()
    return result, queries


def explain(sql: str, *, settings: dict | None = None) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement: the plan, the scans, the median times
    (EXPLAIN_REPEATS runs after a first one; 3 when a run takes over 200 ms), with the
    planner `settings` (e.g. {"jit": "off"}) set for the session meanwhile."""
    from django.db import connection

    settings = settings or {}
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"SET {name} = {value}")
        try:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            document = cursor.fetchone()[0]
            if isinstance(document, str):
                document = json.loads(document)
            repeats = 3 if document[0]["Execution Time"] > 200 else EXPLAIN_REPEATS
            runs, planning, text = [], [], ""
            for _ in range(repeats):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                text = "\n".join(row[0] for row in cursor.fetchall())
                runs.append(float(_EXECUTION_TIME.search(text).group(1)))
                planning.append(float(_PLANNING_TIME.search(text).group(1)))
        finally:
            for name in settings:
                cursor.execute(f"RESET {name}")
    scans = []

    def walk(node):
        if "Relation Name" in node:
            scans.append(
                {
                    "node": node["Node Type"],
                    "relation": node["Relation Name"],
                    "index": node.get("Index Name", ""),
                    "rows": node.get("Actual Rows"),
                    "loops": node.get("Actual Loops"),
                }
            )
        for child in node.get("Plans", []):
            walk(child)

    top = document[0]
    walk(top["Plan"])
    buffers = top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0)
    seq = [s for s in scans if s["node"] == "Seq Scan"]
    return {
        "sql": sql,
        "settings": settings,
        "plan": text,
        "execution_ms": statistics.median(runs),
        "execution_ms_runs": runs,
        "planning_ms": statistics.median(planning),
        "buffers": buffers,
        "jit": "JIT" in top,
        "scans": scans,
        "seq_scans": [f"{s['relation']}" for s in seq],
        "record_index_scan": any(
            s["relation"] == "reviews_record" and s["node"] in ("Index Scan", "Index Only Scan")
            for s in scans
        ),
    }


# The progress counts from the narrow decisions table (its per-record counts equal
# decision_count, which the services keep equal), so the wide record rows are not read:
# done = my decisions; complete = records with >= n decisions; remaining = eligible
# (total - complete) - my decisions on records with < n decisions. Duplicates are left out
# through the few duplicate records (found with the duplicate_of index).
PROGRESS_PROPOSAL_SQL = """
WITH dups AS MATERIALIZED (
  SELECT id FROM reviews_record
   WHERE duplicate_of_id IS NOT NULL AND review_id = %(review)s
),
per_record AS (
  SELECT d.record_id, count(*) AS n, bool_or(d.reviewer_id = %(user)s) AS mine
    FROM screening_decision d
   WHERE d.review_id = %(review)s AND d.stage = %(stage)s
     AND d.record_id NOT IN (SELECT id FROM dups)
   GROUP BY d.record_id
),
totals AS (
  SELECT count(*) AS total FROM reviews_record
   WHERE review_id = %(review)s AND duplicate_of_id IS NULL
)
SELECT
  count(*) FILTER (WHERE mine),
  (SELECT total FROM totals) - count(*) FILTER (WHERE n >= %(n)s)
    - count(*) FILTER (WHERE mine AND n < %(n)s),
  count(*) FILTER (WHERE n >= %(n)s),
  (SELECT total FROM totals)
FROM per_record
"""


def _client_mogrify(cursor, sql, params) -> str:
    from psycopg import ClientCursor

    raw = cursor.cursor.connection if hasattr(cursor, "cursor") else cursor.connection
    with ClientCursor(raw) as client:
        return client.mogrify(sql, params)


def _explain_all(queries, **options) -> list[dict]:
    return [explain(text, **options) for text, _ in queries]


def _total(entries) -> float:
    return sum(e["execution_ms"] for e in entries)


def query_plans(reviews: dict) -> dict:
    """EXPLAIN of next_record and screening_progress at each review size, for reviewer 1,
    who continues after the last record they decided; and of proposed forms of them."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from screening import queries
    from screening.models import Decision, Stage

    reviewer = get_user_model().objects.get(username=REVIEWERS[0])
    out = {}
    for size, review in sorted(reviews.items()):
        last = (
            Decision.objects.filter(review=review, reviewer=reviewer)
            .order_by("-record_id")
            .values_list("record_id", flat=True)
            .first()
        )
        entry = {"size": size, "after_id": last}

        # next_record(after=last decided): what each decision request runs.
        record, sql = captured_queries(
            lambda review=review, last=last: queries.next_record(review, reviewer, after_id=last)
        )
        entry["next_after"] = _explain_all(sql)
        entry["next_after_record"] = record.id if record else None
        # The same queue with its anti-join forced to a merge join (ids only: forcing merge
        # joins would also turn the join to the record's batch into a sort of the queue).
        with connection.cursor() as cursor:
            ids_sql = _client_mogrify(
                cursor,
                *queries.queue_sql(
                    review, reviewer, after_id=last, select="SELECT r.id FROM reviews_record r"
                ),
            )
        entry["next_after_merge"] = [explain(ids_sql, settings=MERGE_JOINS)]

        # Proposed: the same bound inside the EXISTS, so the anti-join's scan of the
        # reviewer's decisions starts at the bound too.
        def proposed(review=review, last=last):
            mine = Decision.objects.filter(
                record=OuterRef("pk"),
                reviewer=reviewer,
                stage=Stage.TITLE_ABSTRACT,
                record_id__gt=last,
            )
            queue = (
                queries.screenable_records(review)
                .filter(decision_count__lt=review.required_decisions, id__gt=last)
                .exclude(Exists(mine))
            )
            try:  # the stopping rules' exclusions, where the app has them
                from screening.models import AutomationExclusion
            except ImportError:
                pass
            else:
                automated = AutomationExclusion.objects.filter(record=OuterRef("pk"))
                queue = queue.exclude(Exists(automated))
            return queue.order_by("id")

        record, sql = captured_queries(lambda: proposed().select_related("batch").first())
        entry["next_after_proposal"] = _explain_all(sql)
        _, sql = captured_queries(lambda: list(proposed().values_list("id", flat=True)[:1]))
        entry["next_after_proposal_merge"] = _explain_all(sql, settings=MERGE_JOINS)
        entry["next_after_proposal_record"] = record.id if record else None

        # next_record() from the start: the screening page opened without ?after.
        record, sql = captured_queries(lambda review=review: queries.next_record(review, reviewer))
        entry["next_start"] = _explain_all(sql)
        entry["next_start_record"] = record.id if record else None

        # screening_progress: on every screening page and decision; also without JIT.
        progress, sql = captured_queries(
            lambda review=review: queries.screening_progress(review, reviewer)
        )
        entry["progress"] = _explain_all(sql)
        entry["progress_nojit"] = _explain_all(sql, settings=NO_JIT)
        entry["progress_values"] = dataclasses.asdict(progress)
        params = {
            "review": review.id,
            "user": reviewer.id,
            "stage": Stage.TITLE_ABSTRACT.value,
            "n": review.required_decisions,
        }
        with connection.cursor() as cursor:
            cursor.execute(PROGRESS_PROPOSAL_SQL, params)
            names = ("mine_done", "mine_remaining", "review_complete", "review_total")
            values = dict(zip(names, cursor.fetchone(), strict=True))
            proposal_sql = _client_mogrify(cursor, PROGRESS_PROPOSAL_SQL, params)
        entry["progress_proposal"] = [explain(proposal_sql)]
        entry["progress_proposal_nojit"] = [explain(proposal_sql, settings=NO_JIT)]
        entry["progress_proposal_values"] = values
        out[size] = entry
        log(
            f"  {size:>7,} records: next (after) {_total(entry['next_after']):.3f} ms "
            f"[merge plan {_total(entry['next_after_merge']):.3f}; proposed "
            f"{_total(entry['next_after_proposal']):.3f}, merge plan "
            f"{_total(entry['next_after_proposal_merge']):.3f}], next (start) "
            f"{_total(entry['next_start']):.3f} ms, progress {_total(entry['progress']):.1f} ms "
            f"[JIT off {_total(entry['progress_nojit']):.1f}; proposed "
            f"{_total(entry['progress_proposal']):.1f}, JIT off "
            f"{_total(entry['progress_proposal_nojit']):.1f}]"
        )
    return out


def _breakdown(client, method: str, url: str, data=None) -> tuple[object, dict]:
    """One request in process (Django's test client, no HTTP): its queries with their times."""
    from django.test import override_settings

    with override_settings(ALLOWED_HOSTS=["*"]):
        started = time.perf_counter()
        call = client.post if method == "POST" else client.get
        response, sql = captured_queries(lambda: call(url, data, headers={"HX-Request": "true"}))
        wall = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{method} {url} answered {response.status_code} in process")
    return response, {
        "url": url,
        "wall_ms": wall,
        "queries": [{"sql": text[:400], "ms": round(ms, 3)} for text, ms in sql],
        "query_ms": sum(ms for _, ms in sql),
    }


def request_breakdowns(review, word: str | None) -> dict:
    """The queries of an htmx decision request (reviewer 2, the last of 5 warm ones) and of
    a search of the record list (reviewer 3), each with its time."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from screening import queries

    User = get_user_model()
    out = {}
    client = Client()
    reviewer = User.objects.get(username=REVIEWERS[1])
    client.force_login(reviewer)
    reason = review.reasons.filter(is_active=True).order_by("position", "id").first()
    record = queries.next_record(review, reviewer)
    for _ in range(5):
        url = reverse("screening:decide", args=[review.slug, record.id])
        data = {"verdict": "exclude", "reason": [reason.id], "note": "", "after": record.id}
        response, out["decide"] = _breakdown(client, "POST", url, data)
        match = _DECIDE_ACTION.search(response.content.decode())
        if not match:
            break
        record = review.records.get(pk=int(match.group(1)))
    client.logout()
    if word and record_list_available():
        client.force_login(User.objects.get(username=REVIEWERS[2]))
        url = reverse("screening:record-list", args=[review.slug])
        for _ in range(3):
            _, out["search"] = _breakdown(client, "GET", url, {"q": word})
        client.logout()
    return out


# --- HTTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the app (with the floor view) on 127.0.0.1; always stopped."""

    def __init__(self, url: str, *, pgoptions: str = ""):
        self.port = free_port()
        env = dict(os.environ)
        env.update(server_env(url))
        if pgoptions:
            env["PGOPTIONS"] = pgoptions  # libpq reads it: e.g. "-c jit=off" for a what-if run
        env["DJANGO_SETTINGS_MODULE"] = "benchmarks.screening_settings"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.log_path = RESULTS_DIR / "screening_gunicorn.log"
        self.log_file = self.log_path.open("w")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.command = [
            str(gunicorn),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--threads",
            "1",
        ]
        # Same process group as this one: a Ctrl-C or run_all's timeout stops it too.
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}): {self.log_path}")
            try:
                conn = HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s: {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn stops its workers on SIGTERM
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log_file.close()


class Client:
    """One reviewer's browser: cookies, CSRF header, a connection reused while the server
    keeps it open (gunicorn's sync workers close it after each response)."""

    def __init__(self, port: int, session_key: str | None):
        self.port = port
        self.connection: HTTPConnection | None = None
        cookies = [f"csrftoken={CSRF_SECRET}"]
        if session_key:
            cookies.append(f"sessionid={session_key}")
        self.headers = {"Cookie": "; ".join(cookies), "Host": "127.0.0.1"}

    def request(self, method: str, path: str, *, body: str | None = None, htmx: bool = False):
        headers = dict(self.headers)
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST":
            headers["X-CSRFToken"] = CSRF_SECRET
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (ConnectionError, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                started = time.perf_counter()
        client_ms = (time.perf_counter() - started) * 1000
        if response.will_close:
            self.connection.close()
            self.connection = None
        match = _SERVER_TIMING.search(response.getheader("Server-Timing", ""))
        server_ms = float(match.group(1)) if match else None
        return response.status, response, content.decode("utf-8", "replace"), client_ms, server_ms

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def make_sessions(users) -> dict:
    """A logged-in session per user, made directly in the database (as login() would)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    keys = {}
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys[user.username] = store.session_key
    return keys


def delete_sessions(keys) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=list(keys)).delete()


@dataclasses.dataclass
class Samples:
    client: list = dataclasses.field(default_factory=list)
    server: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def add(self, client_ms, server_ms):
        with self.lock:
            self.client.append(client_ms)
            if server_ms is not None:
                self.server.append(server_ms)

    def error(self, text):
        with self.lock:
            self.errors.append(text)


def run_threads(targets) -> None:
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def phase_floor(
    port, record_ids, per_thread, warmup, deadline_s, *, slug=None, session_keys=()
) -> Samples:
    """GETs of the floor view; with `slug` and a session per thread, of the signed-in floor."""
    samples = Samples()
    prefix = f"/bench/floor/{slug}/" if slug else "/bench/floor/"

    def work(seed):
        rng = random.Random(seed)
        client = Client(port, session_keys[seed % len(session_keys)] if slug else None)
        deadline = time.monotonic() + deadline_s
        try:
            for i in range(warmup + per_thread):
                if time.monotonic() > deadline:
                    break
                pk = rng.choice(record_ids)
                status, _, body, client_ms, server_ms = client.request("GET", f"{prefix}{pk}/")
                if status != 200 or f'id="record-{pk}"' not in body:
                    samples.error(f"floor {pk}: {status}")
                elif i >= warmup:
                    samples.add(client_ms, server_ms)
        except Exception as error:
            samples.error(f"floor: {type(error).__name__}: {error}")
        finally:
            client.close()

    run_threads([lambda s=s: work(SEED + s) for s in range(3)])
    return samples


def phase_decide(port, slug, sessions, reason_ids, per_thread, warmup, deadline_s) -> dict:
    samples = Samples()
    first_loads = Samples()
    stats = {"decided": 0, "verdicts": {"include": 0, "exclude": 0, "maybe": 0}, "queue_empty": 0}
    lock = threading.Lock()

    def work(username, seed):
        rng = random.Random(seed)
        client = Client(port, sessions[username])
        deadline = time.monotonic() + deadline_s
        try:
            status, _, body, client_ms, server_ms = client.request(
                "GET", f"/reviews/{slug}/screen/"
            )
            match = _DECIDE_ACTION.search(body)
            if status != 200 or not match:
                samples.error(f"{username}: screen page answered {status} without a record")
                return
            first_loads.add(client_ms, server_ms)
            record_id = int(match.group(1))
            for i in range(warmup + per_thread):
                if time.monotonic() > deadline:
                    break
                roll = rng.random()
                verdict = "include" if roll < 0.2 else "maybe" if roll < 0.3 else "exclude"
                fields = [("verdict", verdict), ("after", str(record_id))]
                if verdict == "exclude":
                    for reason in rng.sample(reason_ids[:7], k=1 if rng.random() < 0.8 else 2):
                        fields.append(("reason", str(reason)))
                fields.append(("note", "Benchmark note." if rng.random() < 0.1 else ""))
                status, response, body, client_ms, server_ms = client.request(
                    "POST",
                    f"/reviews/{slug}/screen/{record_id}/decide/",
                    body=urlencode(fields),
                    htmx=True,
                )
                if status != 200 or "decisionSaved" not in (response.getheader("HX-Trigger") or ""):
                    samples.error(f"{username} decide {record_id}: {status} {body[:200]!r}")
                    break
                if i >= warmup:
                    samples.add(client_ms, server_ms)
                with lock:
                    stats["decided"] += 1
                    stats["verdicts"][verdict] += 1
                match = _DECIDE_ACTION.search(body)
                if not match:
                    with lock:
                        stats["queue_empty"] += 1
                    break
                following = int(match.group(1))
                if following == record_id:
                    samples.error(f"{username}: record {record_id} shown again after deciding it")
                    break
                record_id = following
        except Exception as error:
            samples.error(f"{username}: {type(error).__name__}: {error}")
        finally:
            client.close()

    run_threads([lambda u=u, s=s: work(u, SEED + 100 + s) for s, u in enumerate(REVIEWERS)])
    return {"samples": samples, "first_loads": first_loads, **stats}


def phase_search(port, slug, sessions, words, per_thread, warmup, deadline_s) -> dict:
    samples = Samples()
    by_word = {word: Samples() for word in words}

    def work(username, seed):
        rng = random.Random(seed)
        client = Client(port, sessions[username])
        deadline = time.monotonic() + deadline_s
        try:
            for i in range(warmup + per_thread):
                if time.monotonic() > deadline:
                    break
                word = words[(i + seed) % len(words)] if i < len(words) else rng.choice(words)
                path = f"/reviews/{slug}/records/?q={quote(word)}"
                status, _, body, client_ms, server_ms = client.request("GET", path)
                if status != 200:
                    samples.error(f"{username} search {word!r}: {status} {body[:200]!r}")
                    break
                if i >= warmup:
                    samples.add(client_ms, server_ms)
                    by_word[word].add(client_ms, server_ms)
        except Exception as error:
            samples.error(f"{username}: {type(error).__name__}: {error}")
        finally:
            client.close()

    run_threads([lambda u=u, s=s: work(u, SEED + 200 + s) for s, u in enumerate(REVIEWERS)])
    return {"samples": samples, "by_word": by_word}


def search_words(review) -> list[dict]:
    """Words from the records' titles, from very common to rare, with how many records
    each finds (PostgreSQL full-text search, the list's own config)."""
    from django.db import connection

    candidates = [
        "randomized",
        "children",
        "cancer",
        "depression",
        "surgery",
        "vaccine",
        "mortality",
        "covid",
        "telemedicine",
        "acupuncture",
    ]
    found = []
    with connection.cursor() as cursor:
        for word in candidates:
            cursor.execute(
                "SELECT count(*) FROM reviews_record WHERE review_id = %s "
                "AND search_vector @@ plainto_tsquery('english', %s)",
                [review.id, word],
            )
            found.append({"word": word, "matches": cursor.fetchone()[0]})
    found = [f for f in found if f["matches"]]
    found.sort(key=lambda f: -f["matches"])
    if len(found) > 6:
        found = [found[i] for i in (0, 1, len(found) // 2 - 1, len(found) // 2, -2, -1)]
    return found


def percentiles(values) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(p):
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "n": len(ordered),
        "p50": round(rank(50), 2),
        "p95": round(rank(95), 2),
        "p99": round(rank(99), 2),
        "max": round(ordered[-1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


def summarise(samples: Samples) -> dict:
    return {
        "client": percentiles(samples.client),
        "server": percentiles(samples.server),
        "errors": samples.errors[:20],
        "error_count": len(samples.errors),
    }


def http_benchmark(url, review, args) -> dict:
    from django.contrib.auth import get_user_model

    from reviews.models import Record
    from screening.models import Decision

    users = list(get_user_model().objects.filter(username__in=REVIEWERS))
    sessions = make_sessions(users)
    reason_ids = list(
        review.reasons.filter(is_active=True)
        .order_by("position", "id")
        .values_list("id", flat=True)
    )
    record_ids = list(Record.objects.filter(review=review).values_list("id", flat=True))
    words = search_words(review)
    out: dict = {"words": words}
    server = Server(url, pgoptions=args.pgoptions)
    try:
        server.wait_ready()
        out["server"] = " ".join(server.command[1:])
        log(f"  gunicorn on 127.0.0.1:{server.port} (2 workers, 1 thread each)")

        started = time.perf_counter()
        floor = phase_floor(server.port, record_ids, args.floor_requests, 20, 120)
        out["floor"] = {
            **summarise(floor),
            "seconds": round(time.perf_counter() - started, 1),
            "load_average_after": os.getloadavg(),
        }
        log(f"  floor: {_line(out['floor'])}")

        # For information: the same record page behind sign-in and the membership check.
        started = time.perf_counter()
        signed_in = phase_floor(
            server.port,
            record_ids,
            args.floor_requests,
            20,
            120,
            slug=review.slug,
            session_keys=[sessions[name] for name in REVIEWERS],
        )
        out["floor_signed_in"] = {
            **summarise(signed_in),
            "seconds": round(time.perf_counter() - started, 1),
            "load_average_after": os.getloadavg(),
        }
        log(f"  floor, signed in: {_line(out['floor_signed_in'])}")

        before = Decision.objects.filter(review=review).count()
        started = time.perf_counter()
        decide = phase_decide(
            server.port, review.slug, sessions, reason_ids, args.decisions_per_reviewer, 10, 240
        )
        out["decide"] = {
            **summarise(decide["samples"]),
            "seconds": round(time.perf_counter() - started, 1),
            "decided": decide["decided"],
            "verdicts": decide["verdicts"],
            "queue_empty": decide["queue_empty"],
            "decisions_added": Decision.objects.filter(review=review).count() - before,
            "first_screen_page": summarise(decide["first_loads"]),
            "load_average_after": os.getloadavg(),
        }
        log(f"  decide: {_line(out['decide'])}")

        if record_list_available():
            started = time.perf_counter()
            search = phase_search(
                server.port,
                review.slug,
                sessions,
                [w["word"] for w in words],
                args.searches_per_reviewer,
                len(words),
                120,
            )
            out["search"] = {
                **summarise(search["samples"]),
                "seconds": round(time.perf_counter() - started, 1),
                "by_word": {word: summarise(s) for word, s in search["by_word"].items()},
                "load_average_after": os.getloadavg(),
            }
            log(f"  search: {_line(out['search'])}")
        else:
            out["search"] = {"missing": "no URL named screening:record-list yet"}
            log("  search: not measured (no URL named screening:record-list)")
    finally:
        server.stop()
        delete_sessions(sessions.values())
    return out


def record_list_available() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("screening:record-list", args=["x"])
        return True
    except NoReverseMatch:
        return False


def _line(summary: dict) -> str:
    c, s = summary["client"], summary["server"]
    if not c.get("n"):
        return f"no samples ({summary['error_count']} errors: {summary['errors'][:2]})"
    text = (
        f"n={c['n']} client p50 {c['p50']} / p95 {c['p95']} / p99 {c['p99']} ms; "
        f"server p50 {s.get('p50')} / p95 {s.get('p95')} / p99 {s.get('p99')} ms"
    )
    if summary["error_count"]:
        text += f"; {summary['error_count']} errors"
    return text


# --- Targets and results ------------------------------------------------------------------


def judge(result: dict) -> list[dict]:
    targets = []
    http = result.get("http", {})
    floor, decide, search = http.get("floor"), http.get("decide"), http.get("search")

    def add(name, limit, measure, value, ok, detail=""):
        targets.append(
            {
                "target": name,
                "limit": limit,
                "measure": measure,
                "value": value,
                "status": "PASS" if ok else "FAIL",
                "detail": detail,
            }
        )

    if floor and decide:
        for measure in ("server", "client"):
            f, d = floor[measure], decide[measure]
            if f.get("n") and d.get("n"):
                ratio = d["p50"] / f["p50"]
                add(
                    "decision p50 / floor p50",
                    f"<= {DECIDE_FLOOR_RATIO}",
                    measure,
                    round(ratio, 2),
                    ratio <= DECIDE_FLOOR_RATIO,
                    f"{d['p50']} ms / {f['p50']} ms",
                )
                add(
                    "decision p95",
                    f"< {DECIDE_P95_MS:.0f} ms",
                    measure,
                    d["p95"],
                    d["p95"] < DECIDE_P95_MS,
                )
        add(
            "decision requests without error",
            "0 errors",
            "client",
            decide["error_count"],
            decide["error_count"] == 0 and floor["error_count"] == 0,
        )
    else:
        add("decision round trip", "measured", "-", "not measured", False)
    if search and "missing" not in search:
        for measure in ("server", "client"):
            s = search[measure]
            if s.get("n"):
                add(
                    "search + first page p95",
                    f"< {SEARCH_P95_MS:.0f} ms",
                    measure,
                    s["p95"],
                    s["p95"] < SEARCH_P95_MS,
                )
        add(
            "search requests without error",
            "0 errors",
            "client",
            search["error_count"],
            search["error_count"] == 0,
        )
    elif "http" in result:
        add(
            "search + first page",
            "measured",
            "-",
            "not measured",
            False,
            (search or {}).get("missing", ""),
        )
    plans = result.get("plans")
    if plans:
        sizes = sorted(plans)
        uses_index = all(
            e["record_index_scan"]
            and not {"reviews_record", "screening_decision"} & set(e["seq_scans"])
            for size in sizes
            for e in plans[size]["next_after"]
        )
        add(
            "next-record query uses an index, no Seq Scan",
            "Index Scan on reviews_record",
            "EXPLAIN",
            "yes" if uses_index else "no",
            uses_index,
        )
        small = sum(e["execution_ms"] for e in plans[sizes[0]]["next_after"])
        large = sum(e["execution_ms"] for e in plans[sizes[-1]]["next_after"])
        limit = GROWTH_FACTOR * small + GROWTH_SLACK_MS
        add(
            f"next-record query at {sizes[-1]:,} vs {sizes[0]:,} records",
            f"<= {GROWTH_FACTOR:.0f}x + {GROWTH_SLACK_MS} ms",
            "EXPLAIN ANALYZE",
            f"{large:.3f} ms vs {small:.3f} ms",
            large <= limit,
        )
        if all("next_after_merge" in plans[size] for size in sizes):
            small = _total(plans[sizes[0]]["next_after_merge"])
            large = _total(plans[sizes[-1]]["next_after_merge"])
            add(
                f"next-record query in its merge-join plan, {sizes[-1]:,} vs {sizes[0]:,}",
                f"<= {GROWTH_FACTOR:.0f}x + {GROWTH_SLACK_MS} ms",
                "EXPLAIN ANALYZE, merge joins forced",
                f"{large:.3f} ms vs {small:.3f} ms",
                large <= GROWTH_FACTOR * small + GROWTH_SLACK_MS,
                "the plan the planner chose in an earlier run",
            )
    if result.get("consistency_after_run", {}).get("decision_count_mismatches"):
        add(
            "decision_count consistent after the run",
            "0 mismatches",
            "SQL",
            result["consistency_after_run"]["decision_count_mismatches"],
            False,
        )
    return targets


def _machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
        settings = {}
        for name in ("shared_buffers", "work_mem", "jit", "autovacuum", "random_page_cost"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "postgresql": version.split(",")[0],
        "postgresql_settings": settings,
    }


def _load_line(result: dict) -> str:
    def fmt(values):
        return "/".join(f"{v:.1f}" for v in values) if values else "-"

    http = result.get("http", {})
    parts = [f"start {fmt(result.get('load_average_start'))}"]
    for phase in ("floor", "decide", "search"):
        if http.get(phase, {}).get("load_average_after"):
            parts.append(f"after {phase} {fmt(http[phase]['load_average_after'])}")
    text = "Load average (1/5/15 min): " + ", ".join(parts) + "."
    start = result.get("load_average_start") or [0]
    if start[0] > (result["machine"]["cpus"] or 1):
        text += (
            " Other processes were using the machine (load above its CPU count): times are"
            " inflated by CPU and disk contention."
        )
    if result.get("pgoptions"):
        text += f" gunicorn ran with PGOPTIONS={result['pgoptions']!r} (a what-if run)."
    return text


def _pct_row(name, summary, measure):
    s = summary[measure]
    if not s.get("n"):
        return [name, measure, 0, "-", "-", "-", "-"]
    return [name, measure, s["n"], s["p50"], s["p95"], s["p99"], s["max"]]


def write_results(result: dict) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / "screening.json"
    json_path.write_text(json.dumps(result, indent=2, default=str))
    md = [
        "# Screening benchmark",
        "",
        f"Run {result['generated']} with `python -m benchmarks.bench_screening`"
        f" in {result.get('seconds', 0):.0f} s. Status: **{result['status']}**.",
        "",
        f"Machine: {result['machine']['cpus']} CPUs, {result['machine']['platform']}, "
        f"Python {result['machine']['python']}, {result['machine']['postgresql']} "
        f"({', '.join(f'{k}={v}' for k, v in result['machine']['postgresql_settings'].items())}).",
        "",
        _load_line(result),
        "",
        "## Targets",
        "",
        markdown_table(
            ["target", "limit", "measured by", "value", "status", "detail"],
            [
                [t["target"], t["limit"], t["measure"], t["value"], t["status"], t["detail"]]
                for t in result["targets"]
            ],
        ),
        "",
        "Server = the `Server-Timing` header (Django's middleware stack, view and rendering, "
        "measured by an outermost middleware in benchmarks/screening_settings.py); client = "
        "loopback round trip measured by the reviewer's thread, TCP connect included (gunicorn's "
        "sync workers close the connection after each response) and, with 3 reviewers on 2 "
        "workers, some queueing.",
        "",
        "## Set-up",
        "",
    ]
    rows = []
    for size, info in sorted(result["setup"].items(), key=lambda kv: int(kv[0])):
        rows.append(
            [
                f"{int(size):,}",
                info.get("slug"),
                f"{info.get('records', 0):,}",
                f"{info.get('duplicates', 0):,}",
                f"{info.get('decisions', 0):,}",
                f"{info.get('records_complete', 0):,} / {info.get('records_one_decision', 0):,}"
                f" / {info.get('records_untouched', 0):,}",
                "reused" if info.get("reused") else f"built in {info.get('seconds')} s",
            ]
        )
    md += [
        markdown_table(
            [
                "size",
                "slug",
                "records",
                "duplicates",
                "decisions",
                "complete / one decision / none",
                "set-up",
            ],
            rows,
        ),
        "",
        f"Each review: an owner and 3 reviewers, required_decisions={REQUIRED_DECISIONS}, "
        "blind screening, include and exclude terms to highlight, the 9 default exclusion "
        "reasons. Records from the samples, titles varied, unique DOIs, in two batches (MEDLINE, "
        "Embase); 1 in 20 is a duplicate. Decisions: 18% include, 12% maybe, 70% exclude (1-2 "
        "reasons), each with its `created` history entry; decision_count consistent "
        f"({result.get('consistency_before_run', {}).get('decision_count_mismatches', '?')} "
        "mismatches before the run, "
        f"{result.get('consistency_after_run', {}).get('decision_count_mismatches', '?')} after).",
        "",
    ]
    http = result.get("http")
    if http:
        md += ["## Requests (100,000-record review)", ""]
        rows = []
        for name, key in (
            ("floor", "floor"),
            ("(info) floor, signed in + membership", "floor_signed_in"),
            ("decide + next record", "decide"),
            ("search + first page", "search"),
        ):
            summary = http.get(key)
            if summary and "client" in summary:
                for measure in ("server", "client"):
                    rows.append(_pct_row(name, summary, measure))
        first = http.get("decide", {}).get("first_screen_page")
        if first:
            for measure in ("server", "client"):
                rows.append(_pct_row("screen page, first load (no ?after)", first, measure))
        md += [
            markdown_table(
                ["request", "measure", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows
            ),
            "",
            f"Server: `gunicorn {http.get('server', '')}`, settings "
            "benchmarks.screening_settings. 3 reviewer threads, each with its own session.",
            "",
        ]
        signed_in, decide = http.get("floor_signed_in", {}), http.get("decide", {})
        if signed_in.get("server", {}).get("n") and decide.get("server", {}).get("n"):
            floor_p50 = http["floor"]["server"]["p50"]
            md += [
                "For information, not a target: the signed-in floor is the floor's record page "
                "behind what every page of a review does first, reading the session's user "
                "and checking their membership of the review. Server p50: floor "
                f"{floor_p50} ms, signed-in floor {signed_in['server']['p50']} ms "
                f"({signed_in['server']['p50'] / floor_p50:.2f}x the floor), decision "
                f"{decide['server']['p50']} ms "
                f"({decide['server']['p50'] / signed_in['server']['p50']:.2f}x the signed-in "
                "floor). The target above is judged on the floor itself.",
                "",
            ]
        decide = http.get("decide", {})
        if decide:
            md += [
                f"Decisions made: {decide.get('decided', 0):,} (10 warm-up ones per reviewer "
                f"included; "
                f"verdicts {decide.get('verdicts')}); errors: {decide.get('error_count', 0)}; "
                f"phase time {decide.get('seconds')} s.",
                "",
            ]
        search = http.get("search", {})
        if search.get("by_word"):
            counts = {w["word"]: w["matches"] for w in http.get("words", [])}
            md += [
                markdown_table(
                    [
                        "word",
                        "records found",
                        "n",
                        "server p50 ms",
                        "server p95 ms",
                        "client p50 ms",
                        "client p95 ms",
                    ],
                    [
                        [
                            w,
                            f"{counts.get(w, 0):,}",
                            s["client"].get("n", 0),
                            s["server"].get("p50", "-"),
                            s["server"].get("p95", "-"),
                            s["client"].get("p50", "-"),
                            s["client"].get("p95", "-"),
                        ]
                        for w, s in search["by_word"].items()
                    ],
                ),
                "",
            ]
        elif search.get("missing"):
            md += [f"Search not measured: {search['missing']}.", ""]
    for name, breakdown in result.get("breakdowns", {}).items():
        title = "a decision request" if name == "decide" else "a search of the record list"
        md += [
            f"## Queries of {title} (in process, 100,000 records)",
            "",
            f"`{breakdown['url']}`: {len(breakdown['queries'])} queries, "
            f"{breakdown['query_ms']:.2f} ms in the database of {breakdown['wall_ms']:.2f} ms "
            "(Django test client, no HTTP; the last of a few warm runs).",
            "",
            markdown_table(
                ["#", "ms", "SQL (start)"],
                [
                    [i + 1, f"{q['ms']:.2f}", "`" + q["sql"][:160].replace("|", "\\|") + "`"]
                    for i, q in enumerate(breakdown["queries"])
                ],
            ),
            "",
        ]
    plans = result.get("plans")
    if plans:
        md += ["## Query plans", ""]
        rows = []
        for size in sorted(plans, key=int):
            e = plans[size]
            for label, key in PLAN_LABELS:
                for q in e.get(key, []):
                    scans = sorted({f"{s['node']} on {s['relation']}" for s in q["scans"]})
                    rows.append(
                        [
                            f"{int(size):,}",
                            label,
                            f"{q['execution_ms']:.3f}",
                            f"{q['planning_ms']:.3f}",
                            q["buffers"],
                            ", ".join(scans),
                            "yes" if q["jit"] else "no",
                        ]
                    )
        md += [
            markdown_table(
                [
                    "records",
                    "query",
                    "execution ms (median)",
                    "planning ms",
                    "buffers",
                    "scans",
                    "JIT",
                ],
                rows,
            ),
            "",
            f"Median of {EXPLAIN_REPEATS} runs of EXPLAIN (ANALYZE, BUFFERS) (3 when a run "
            "takes over 200 ms), reviewer 1, who continues after the last record they decided. "
            '"proposed" rows are forms the benchmark suggests, not the app\'s code.',
            "",
        ]
        md += [f"- {note}" for note in result.get("notes", [])] + [""]
        for size in sorted(plans, key=int):
            e = plans[size]
            for label, key in PLAN_LABELS:
                for q in e.get(key, []):
                    md += [
                        f"### {label}, {int(size):,} records",
                        "",
                        "```sql",
                        q["sql"].strip(),
                        "```",
                        "",
                        "```",
                        q["plan"],
                        "```",
                        "",
                    ]
    md_path = RESULTS_DIR / "screening.md"
    md_path.write_text("\n".join(md))
    return json_path, md_path


def plan_notes(plans: dict) -> list[str]:
    """What the plans say, in sentences, with the numbers."""
    sizes = sorted(plans)
    small, large = plans[sizes[0]], plans[sizes[-1]]

    def at_sizes(key):
        return ", ".join(f"{_total(plans[size][key]):.3f} ms at {size:,}" for size in sizes)

    same_next = all(
        plans[size]["next_after_record"] == plans[size]["next_after_proposal_record"]
        for size in sizes
    )
    same_progress = all(
        plans[size]["progress_values"] == plans[size]["progress_proposal_values"] for size in sizes
    )
    jit = any(q["jit"] for q in large["progress"])
    return [
        f"next_record(after=the record just decided), as each decision runs it: "
        f"{at_sizes('next_after')}. It has the `record_id > after` bound inside the EXISTS "
        f"on the reviewer's decisions, so a merge anti-join starts its scan there instead of "
        f"at the reviewer's first decision. The ORM form of the same query (with the bound): "
        f"{at_sizes('next_after_proposal')}; same record at every size: "
        f"{'yes' if same_next else 'NO'}. The planner's choice between a nested-loop and a "
        f"merge anti-join flips with the statistics (one of our runs got the merge plan right "
        f"after VACUUM ANALYZE); with the anti-join forced to a merge join the app's statement "
        f"takes {at_sizes('next_after_merge')}, the ORM form (ids only) "
        f"{at_sizes('next_after_proposal_merge')}.",
        f"next_record() without `after` (the screening page opened from the menu) walks the "
        f"review's records in id order past every complete one, reading each wide row for "
        f"decision_count: {at_sizes('next_start')}.",
        f"screening_progress (on every screening page and decision): {at_sizes('progress')}; "
        f"JIT {'compiles it at ' + f'{sizes[-1]:,}' + ' records' if jit else 'not used'}; "
        f"with JIT off: {at_sizes('progress_nojit')}. "
        f"{'Over' if _total(large['progress']) > PROGRESS_SLOW_MS else 'Under'} "
        f"{PROGRESS_SLOW_MS:.0f} ms at {sizes[-1]:,}.",
        f"Proposed progress form, counting from the narrow decisions table (remaining = "
        f"eligible - my decisions on records still short of n; complete = records with >= n "
        f"decisions), so no record row is read except for the total: "
        f"{at_sizes('progress_proposal')}; with JIT off: {at_sizes('progress_proposal_nojit')}; "
        f"same numbers at every size: {'yes' if same_progress else 'NO'}. "
        f"Smallest size for comparison: current {_total(small['progress']):.3f} ms.",
    ]


# --- Main -----------------------------------------------------------------------------------


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the set-up again")
    parser.add_argument("--decisions-per-reviewer", type=int, default=700)
    parser.add_argument("--floor-requests", type=int, default=400, help="per reviewer thread")
    parser.add_argument("--searches-per-reviewer", type=int, default=60)
    parser.add_argument("--skip-http", action="store_true", help="only set-up and query plans")
    parser.add_argument("--skip-plans", action="store_true", help="no EXPLAIN, no breakdown")
    parser.add_argument(
        "--pgoptions", default="", help='PGOPTIONS for gunicorn, e.g. "-c jit=off" (what-if runs)'
    )
    parser.add_argument("--database-url", help=f"default: DATABASE_URL or {DEFAULT_DATABASE_URL}")
    args = parser.parse_args(argv)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    url = database_url(args.database_url)
    result: dict = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "status": "error",
        "targets": [],
        "setup": {},
        "notes": [],
    }
    try:
        log(f"Database: {urlsplit(url)._replace(netloc=urlsplit(url).hostname or '').geturl()}")
        setup_django(url)
        result["machine"] = _machine()
        result["load_average_start"] = os.getloadavg()
        result["pgoptions"] = args.pgoptions
        log("Set-up ...")
        samples = sample_records()
        reviews = {}
        for size in SIZES:
            review, info = ensure_review(size, samples, rebuild=args.rebuild)
            reviews[size] = review
            result["setup"][size] = {"slug": review.slug, **info}
            if info["reused"]:
                log(f"  {review.slug}: reused ({info.get('restored')})")
        built = any(not info["reused"] for info in result["setup"].values())
        result["vacuum_seconds"] = round(vacuum_analyze(records=built), 1)
        large = reviews[LARGE]
        result["consistency_before_run"] = consistency(large)
        log(f"  consistency: {result['consistency_before_run']}")

        if not args.skip_plans:
            log("Query plans ...")
            plans = query_plans(reviews)
            result["plans"] = plans
            result["notes"] = plan_notes(plans)

            log("One decision request and one search, query by query ...")
            words = search_words(large)
            result["breakdowns"] = request_breakdowns(large, words[0]["word"] if words else None)
            for name, b in result["breakdowns"].items():
                log(
                    f"  {name}: {len(b['queries'])} queries, {b['query_ms']:.2f} ms in the "
                    f"database of {b['wall_ms']:.2f} ms"
                )
        if not args.skip_http:
            log("HTTP against gunicorn ...")
            result["http"] = http_benchmark(url, large, args)
        result["consistency_after_run"] = consistency(large)
        log(f"  consistency after the run: {result['consistency_after_run']}")
        result["targets"] = judge(result)
        missed = [t for t in result["targets"] if t["status"] != "PASS"]
        result["status"] = "FAIL" if missed else "PASS"
        code = TARGET_MISSED if missed else 0
    except KeyboardInterrupt:
        log("Interrupted.")
        result["error"] = "interrupted"
        code = 1
    except Exception as error:
        traceback.print_exc()
        result["error"] = f"{type(error).__name__}: {error}"
        code = 1
    finally:
        try:
            if "reviews" in locals():
                for size, review in reviews.items():
                    result["setup"][size]["restored_after_run"] = restore_review(review)
        except Exception as error:  # the next run restores it
            log(f"Could not restore the set-up: {error}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    if "machine" in result:
        json_path, md_path = write_results(result)
        log("")
        if result["targets"]:
            log(
                text_table(
                    ["target", "measure", "value", "limit", "status"],
                    [
                        [t["target"], t["measure"], t["value"], t["limit"], t["status"]]
                        for t in result["targets"]
                    ],
                )
            )
        log(f"\nWrote {json_path} and {md_path} ({result['seconds']:.0f} s in all).")
    return code


if __name__ == "__main__":
    sys.exit(main())
