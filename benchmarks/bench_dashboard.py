"""Dashboard benchmark: the owner's dashboard for 100,000 records and 200,000 decisions
(issue 5, "Tests and benchmark"), and the CSV export of the same records.

Set-up (kept between runs, found by its slug; --rebuild makes it again), in its own database,
screening_bench_dashboard (created if missing, migrated): one review, required_decisions=2,
an owner and three reviewers; 100,000 records in two database batches (PubMed 60,000,
Embase 40,000), 2,000 of Embase's linked as duplicates. Decisions: 12,000 records screened by
all three reviewers, 80,000 by two (pairs in turn), 4,000 by one, 2,000 untouched: 200,000
current decisions, each with a "created" history entry, excludes with a reason, and
reviews_record.decision_count set. Verdicts follow a latent relevance (12 % relevant) and
reviewers who mostly agree, so there are conflicts; half of them are resolved (with history).
Everything is written with COPY.

Measured in process (Django's test client, logged in as the owner; the server-side work of
the request: middleware, session, view, queries, template, the inline PRISMA SVG):
- GET /reviews/<slug>/dashboard/: 2 warm-up requests, then the median of 10 (target < 300 ms);
- each query of one dashboard request with its time; the parts timed on their own
  (screening.queries.dashboard_numbers, its one pass over the decisions, the SVG) and, for
  comparison, status_counts, prisma_inputs and a self-join of the decisions by reviewer pair;
- the CPU time of a request (Django's process and the PostgreSQL backend), which other work
  on the machine sways less than wall time;
- the open-conflict count that the navigation shows owners and resolvers on review pages;
- if screening.exports exists: the CSV export of all 100,000 records, streamed to /dev/null in
  a fresh process: its time and peak memory (VmHWM) against the same process before it.

    python -m benchmarks.bench_dashboard [--rebuild] [--runs 10] [--database-url URL]

The database: --database-url, else BENCH_DASHBOARD_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/screening_bench_dashboard; when that server cannot be
reached, the server of DATABASE_URL (or the embedded one) with the database name replaced.
Writes benchmarks/results/dashboard.json and dashboard.md. Exit status: 0 target met, 3 the
target missed, 1 the benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"

DATABASE = "screening_bench_dashboard"
DEFAULT_DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
SLUG = "bench-dashboard-100k"
SETUP_VERSION = 1
SEED = 20_250_505

RECORDS = 100_000
BATCHES = (("pubmed.ris", "PubMed", 60_000), ("embase.ris", "Embase", 40_000))
DUPLICATES = 2_000  # in the second batch
TRIPLE, DOUBLE, SINGLE = 12_000, 80_000, 4_000  # records with 3, 2 and 1 decisions
DECISIONS = 3 * TRIPLE + 2 * DOUBLE + SINGLE  # 200,000
RELEVANT = 0.12
TARGET_MS = 300.0

OWNER = "dashboard-bench-owner"
REVIEWERS = ("dashboard-bench-r1", "dashboard-bench-r2", "dashboard-bench-r3")
SECRET_KEY = "bench-dashboard-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"

WORDS = [
    "exercise",
    "depression",
    "adults",
    "randomised",
    "trial",
    "walking",
    "anxiety",
    "cohort",
    "mood",
    "older",
    "children",
    "intervention",
    "outcome",
    "mindfulness",
    "yoga",
    "aerobic",
    "resistance",
    "training",
    "wellbeing",
    "primary",
    "care",
    "community",
    "lifestyle",
    "sleep",
    "fatigue",
    "quality",
    "life",
    "symptoms",
    "follow-up",
    "pilot",
    "feasibility",
]


def log(message: str) -> None:
    print(message, flush=True)


def database_url(explicit: str | None) -> str:
    import psycopg

    url = explicit or os.environ.get("BENCH_DASHBOARD_DATABASE_URL") or DEFAULT_DATABASE_URL
    if explicit or os.environ.get("BENCH_DASHBOARD_DATABASE_URL"):
        return url
    try:
        maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        psycopg.connect(maintenance, connect_timeout=3).close()
    except psycopg.OperationalError:
        base = os.environ.get("DATABASE_URL")
        if not base:
            from config.embedded_db import embedded_database_url

            base = embedded_database_url(ROOT)
        url = urlunsplit(urlsplit(base)._replace(path=f"/{DATABASE}"))
    return url


def setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from config.embedded_db import ensure_database_for_url

    ensure_database_for_url(url)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "testserver,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


# --- set-up -----------------------------------------------------------------------------------


def _users():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    owner, _ = User.objects.get_or_create(username=OWNER, defaults={"email": "o@example.org"})
    reviewers = [
        User.objects.get_or_create(username=name, defaults={"email": f"{name}@example.org"})[0]
        for name in REVIEWERS
    ]
    return owner, reviewers


def _marker(review) -> dict:
    try:
        return json.loads(review.description or "{}")
    except ValueError:
        return {}


def ensure_review(rebuild: bool):
    from django.db import connection

    from reviews.models import Review

    review = Review.objects.filter(slug=SLUG).first()
    if review is not None:
        marker = _marker(review)
        if not rebuild and marker.get("version") == SETUP_VERSION and marker.get("complete"):
            log(f"Using the review built before: {marker['records']:,} records.")
            return review, marker
        log("Deleting the review built before ...")
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE screening_resolutionchange DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE screening_decisionchange DISABLE TRIGGER USER")
            try:
                for table in ("screening_resolutionchange", "screening_decisionchange"):
                    cursor.execute(f"DELETE FROM {table} WHERE review_id = %s", [review.id])
            finally:
                cursor.execute("ALTER TABLE screening_resolutionchange ENABLE TRIGGER USER")
                cursor.execute("ALTER TABLE screening_decisionchange ENABLE TRIGGER USER")
            cursor.execute(
                "UPDATE reviews_record SET duplicate_of_id = NULL WHERE review_id = %s",
                [review.id],
            )
        review.delete()
    review, marker = build_review()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (
            "reviews_record",
            "reviews_importbatch",
            "screening_decision",
            "screening_decision_reasons",
            "screening_decisionchange",
            "screening_resolution",
            "screening_resolutionchange",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"  vacuum analyze: {time.perf_counter() - started:.1f} s")
    return review, marker


def _verdict(rng: random.Random, relevant: bool) -> str:
    roll = rng.random()
    if relevant:
        return "include" if roll < 0.78 else "maybe" if roll < 0.90 else "exclude"
    return "exclude" if roll < 0.91 else "maybe" if roll < 0.95 else "include"


def build_review():
    from django.db import connection, transaction
    from django.utils import timezone

    from reviews.importers.base import ParsedRecord
    from reviews.imports import RECORD_COLUMNS, _row
    from reviews.models import ExclusionReason, ImportBatch, ReviewMember
    from reviews.services import review_create
    from screening.models import Decision, Resolution

    rng = random.Random(SEED)
    owner, reviewers = _users()
    log(f"Building the review: {RECORDS:,} records, {DECISIONS:,} decisions ...")
    started_all = time.perf_counter()
    with transaction.atomic():
        review = review_create(title="Dashboard benchmark", owner=owner, slug=SLUG)
        review.description = json.dumps({"version": SETUP_VERSION, "complete": False})
        review.save()
        for user in reviewers:
            ReviewMember.objects.create(review=review, user=user, role=ReviewMember.Role.REVIEWER)
        batches = [
            ImportBatch.objects.create(
                review=review,
                file_name=file_name,
                sha256=f"{SLUG}-{file_name}".ljust(64, "0")[:64],
                format="ris",
                encoding="utf-8",
                source_name=source,
                imported_by=owner,
                status=ImportBatch.Status.DONE,
                records_read=count,
                records_created=count,
            )
            for file_name, source, count in BATCHES
        ]

        started = time.perf_counter()
        columns = ", ".join(RECORD_COLUMNS)
        dumps = json.dumps
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY reviews_record ({columns}) FROM STDIN") as copy,
        ):
            n = 0
            for batch, (_file, _source, count) in zip(batches, BATCHES, strict=True):
                for position in range(1, count + 1):
                    n += 1
                    words = rng.sample(WORDS, 8)
                    title = f"{' '.join(words[:6]).capitalize()}: study {n}"
                    abstract = " ".join(rng.choice(WORDS) for _ in range(90)) + "."
                    record = ParsedRecord(
                        position=position,
                        title=title,
                        abstract=abstract,
                        authors=(f"Author{n % 997}, A.", f"Writer{n % 389}, B."),
                        year=2000 + n % 25,
                        journal="Journal of Benchmarks",
                        volume=str(1 + n % 40),
                        pages=f"{n % 900}-{n % 900 + 9}",
                        doi=f"10.5555/dashboard.{n}",
                        keywords=tuple(words[6:]),
                        raw={"TY": ["JOUR"], "TI": [title], "AB": [abstract]},
                    )
                    copy.write_row(_row(review.pk, batch.pk, position, record, dumps))
        log(f"  {n:,} records copied in {time.perf_counter() - started:.1f} s")

        first, second = batches
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE reviews_record r SET duplicate_of_id = o.id, duplicate_reason = 'DOI' "
                "FROM reviews_record o WHERE r.batch_id = %s AND o.batch_id = %s "
                "AND o.position = r.position AND r.position > %s",
                [second.id, first.id, BATCHES[1][2] - DUPLICATES],
            )
            duplicates = cursor.rowcount
            cursor.execute(
                "SELECT id FROM reviews_record WHERE review_id = %s AND duplicate_of_id IS NULL "
                "ORDER BY id",
                [review.id],
            )
            screenable = [row[0] for row in cursor.fetchall()]

        # Which reviewers decide each record: all three, a pair in turn, or one in turn.
        plan: list[tuple[int, list[int]]] = []
        pairs = [(0, 1), (1, 2), (2, 0)]
        for i, record_id in enumerate(screenable[: TRIPLE + DOUBLE + SINGLE]):
            if i < TRIPLE:
                who = [0, 1, 2]
            elif i < TRIPLE + DOUBLE:
                who = list(pairs[i % 3])
            else:
                who = [i % 3]
            plan.append((record_id, who))
        reasons = list(ExclusionReason.objects.filter(review=review).order_by("position", "id"))
        reviewer_ids = [user.id for user in reviewers]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('screening_decision', 'id')) "
                "FROM generate_series(1, %s)",
                [DECISIONS],
            )
            decision_ids = sorted(row[0] for row in cursor.fetchall())
        start = timezone.now() - timedelta(days=60)
        decision_rows, reason_rows, change_rows, conflicts = [], [], [], []
        k = 0
        for record_id, who in plan:
            relevant = rng.random() < RELEVANT
            verdicts = []
            for index in who:
                verdict = _verdict(rng, relevant)
                verdicts.append(verdict)
                reason = rng.choice(reasons[:7]) if verdict == "exclude" else None
                at = start + timedelta(seconds=20 * k)
                decision_id = decision_ids[k]
                k += 1
                decision_rows.append(
                    (
                        decision_id,
                        review.id,
                        record_id,
                        reviewer_ids[index],
                        "title_abstract",
                        verdict,
                        "",
                        at,
                        at,
                    )
                )
                if reason is not None:
                    reason_rows.append((decision_id, reason.id))
                change_rows.append(
                    (
                        review.id,
                        record_id,
                        reviewer_ids[index],
                        "title_abstract",
                        "created",
                        "",
                        verdict,
                        [],
                        [reason.label] if reason else [],
                        "",
                        "",
                        at,
                    )
                )
            forward = [v != "exclude" for v in verdicts]
            if len(who) >= 2 and any(forward) and not all(forward):
                conflicts.append((record_id, relevant))
        assert k == DECISIONS, k
        started = time.perf_counter()
        through = Decision.reasons.through._meta.db_table
        with connection.connection.cursor() as cursor:
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
        log(f"  {DECISIONS:,} decisions copied in {time.perf_counter() - started:.1f} s")

        # Resolve every other conflict, as the owner would.
        resolved = conflicts[::2]
        at = timezone.now() - timedelta(days=1)
        resolution_reasons = []
        with connection.connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('screening_resolution', 'id')) "
                "FROM generate_series(1, %s)",
                [len(resolved)],
            )
            resolution_ids = sorted(row[0] for row in cursor.fetchall())
            with cursor.copy(
                "COPY screening_resolution (id, review_id, record_id, stage, verdict, note, "
                "resolved_by_id, resolved_at, updated_at) FROM STDIN"
            ) as copy:
                for resolution_id, (record_id, relevant) in zip(
                    resolution_ids, resolved, strict=True
                ):
                    verdict = "include" if relevant else "exclude"
                    copy.write_row(
                        (
                            resolution_id,
                            review.id,
                            record_id,
                            "title_abstract",
                            verdict,
                            "",
                            owner.id,
                            at,
                            at,
                        )
                    )
                    if verdict == "exclude":
                        resolution_reasons.append((resolution_id, reasons[0].id))
            through = Resolution.reasons.through._meta.db_table
            with cursor.copy(
                f"COPY {through} (resolution_id, exclusionreason_id) FROM STDIN"
            ) as copy:
                for row in resolution_reasons:
                    copy.write_row(row)
            with cursor.copy(
                "COPY screening_resolutionchange (review_id, record_id, stage, resolver_id, "
                "old_verdict, new_verdict, old_reasons, new_reasons, old_note, new_note, "
                "changed_at) FROM STDIN"
            ) as copy:
                for record_id, relevant in resolved:
                    verdict = "include" if relevant else "exclude"
                    labels = [] if relevant else [reasons[0].label]
                    copy.write_row(
                        (
                            review.id,
                            record_id,
                            "title_abstract",
                            owner.id,
                            "",
                            verdict,
                            [],
                            labels,
                            "",
                            "",
                            at,
                        )
                    )
        marker = {
            "version": SETUP_VERSION,
            "complete": True,
            "records": n,
            "duplicates": duplicates,
            "screenable": len(screenable),
            "decisions": DECISIONS,
            "records_with_3": TRIPLE,
            "records_with_2": DOUBLE,
            "records_with_1": SINGLE,
            "conflicts_made": len(conflicts),
            "resolutions": len(resolved),
            "build_seconds": round(time.perf_counter() - started_all, 1),
        }
        review.description = json.dumps(marker)
        review.save(update_fields=["description"])
    log(f"  built in {marker['build_seconds']} s")
    return review, marker


# --- measurement --------------------------------------------------------------------------------


def _median_ms(function, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times


def captured_queries(function):
    from django.db import connection

    queries = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((" ".join(sql.split())[:160], (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(wrapper):
        result = function()
    return result, queries


SELF_JOIN_SQL = """
SELECT a.reviewer_id, b.reviewer_id, a.verdict, b.verdict, count(*)
FROM screening_decision a
JOIN screening_decision b
  ON b.record_id = a.record_id AND b.stage = a.stage AND b.reviewer_id > a.reviewer_id
JOIN reviews_record r ON r.id = a.record_id AND r.duplicate_of_id IS NULL
WHERE a.review_id = %(review)s AND a.stage = 'title_abstract'
GROUP BY 1, 2, 3, 4
"""


def _run_sql(sql: str, params: dict):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend (a local server only), else None."""
    from django.db import connection

    connection.ensure_connection()
    pid = _run_sql("SELECT pg_backend_pid()", {})[0][0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request_cpu(request, runs: int) -> dict:
    """Median CPU time of a request: this process (Django) and the database backend. Less
    sensitive than wall time to other work on the machine. Parallel query workers, if any,
    are not counted."""
    django_ms, backend_ms = [], []
    for _ in range(runs):
        backend = _backend_cpu_seconds()
        started = time.process_time()
        request()
        django_ms.append((time.process_time() - started) * 1000)
        after = _backend_cpu_seconds()
        if backend is not None and after is not None:
            backend_ms.append((after - backend) * 1000)
    result = {"django_ms": round(statistics.median(django_ms), 1)}
    if backend_ms:
        result["database_ms"] = round(statistics.median(backend_ms), 1)
        result["total_ms"] = round(result["django_ms"] + result["database_ms"], 1)
    return result


def measure_dashboard(review, runs: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    from reviews.models import ReviewMember
    from screening import queries
    from screening.prisma import prisma_counts
    from screening.prisma_svg import render_svg

    owner = ReviewMember.objects.get(review=review, role="owner").user
    client = Client()
    client.force_login(owner)
    url = reverse("screening:dashboard", args=[review.slug])

    def request():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    for _ in range(2):
        request()
    median, times = _median_ms(request, runs)
    response, query_list = captured_queries(request)
    # The test client has no context without the test instrumentation (which would slow
    # rendering): the numbers shown come from the view's own context builder.
    from screening.views import _dashboard_context

    membership = ReviewMember.objects.select_related("review").get(review=review, user=owner)
    context = _dashboard_context(review, membership)
    counts = context["counts"]
    pairs = [
        {
            "reviewers": [p.reviewer_a, p.reviewer_b],
            "n": p.n,
            "kappa_binary": p.kappa_binary,
            "kappa_three": p.kappa_three,
            "percent_binary": p.percent_binary,
            "pabak_binary": p.pabak_binary,
            "table_2x2": p.table_2x2,
        }
        for p in context["pairs"]
    ]
    fleiss = [
        {"reviewers": list(f.reviewers), "n": f.n, "kappa": f.kappa} for f in context["fleiss"]
    ]

    parts = {}
    parts["dashboard_numbers (every count, agreement, PRISMA inputs)"] = _median_ms(
        lambda: queries.dashboard_numbers(review), runs
    )[0]
    members = list(review.members.values_list("user_id", flat=True))
    parts["  of which vote_patterns (the one pass over the decisions)"] = _median_ms(
        lambda: queries.vote_patterns(review, members), runs
    )[0]
    parts["  of which record_totals"] = _median_ms(lambda: queries.record_totals(review), runs)[0]
    inputs = queries.prisma_inputs(review)
    parts["prisma_counts + render_svg"] = _median_ms(
        lambda: render_svg(prisma_counts(inputs)), runs
    )[0]
    # For comparison, not on the dashboard: the reference status query and the first design
    # of the agreement tables (a self-join of the decisions).
    reference = {}
    reference["status_counts (reads the whole record table)"] = _median_ms(
        lambda: queries.status_counts(review), runs
    )[0]
    reference["prisma_inputs (status_counts again, by batch kind)"] = _median_ms(
        lambda: queries.prisma_inputs(review), runs
    )[0]
    reference["self-join of the decisions, 3x3 tables by pair"] = _median_ms(
        lambda: _run_sql(SELF_JOIN_SQL, {"review": review.id}), runs
    )[0]
    nav_count = _median_ms(lambda: queries.open_conflict_count(review), runs)[0]
    conflict_list = _median_ms(lambda: queries.conflict_ids(review), runs)[0]
    cpu = _request_cpu(request, runs)
    return {
        "median_ms": round(median, 1),
        "times_ms": [round(t, 1) for t in times],
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "bytes": len(response.content),
        "queries": [{"sql": sql, "ms": round(ms, 2)} for sql, ms in query_list],
        "query_ms_total": round(sum(ms for _, ms in query_list), 1),
        "parts_ms": {name: round(ms, 1) for name, ms in parts.items()},
        "reference_ms": {name: round(ms, 1) for name, ms in reference.items()},
        "cpu_ms": cpu,
        "open_conflict_count_ms": round(nav_count, 1),
        "conflict_ids_ms": round(conflict_list, 1),
        "counts": counts,
        "open_conflicts": context["open_conflicts"],
        "progress": [
            {"username": p.username, "decided": p.decided, "percent": p.percent}
            for p in context["progress"]
        ],
        "pairs": pairs,
        "fleiss": fleiss,
        "prisma_template": context["prisma"].template,
        "prisma_warnings": [w.message for w in context["prisma"].warnings],
    }


def export_child() -> None:
    """In a fresh process: stream the records CSV of the benchmark review to /dev/null and
    print time, rows, bytes and memory as one JSON line."""
    setup_django(os.environ["DATABASE_URL"])
    from benchmarks._common import peak_rss_bytes, rss_bytes
    from reviews.models import Review
    from screening.exports import export_records_csv

    review = Review.objects.get(slug=SLUG)
    # Warm the imports and the connection, so the peak measured below is the export's.
    for _ in export_records_csv(review, status="all", chunk_size=10):
        break
    before_peak, before_rss = peak_rss_bytes(), rss_bytes()
    started = time.perf_counter()
    rows = size = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for text in export_records_csv(review, status="all"):
            sink.write(text)
            rows += 1
            size += len(text.encode())
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "rows": rows - 1,
                "bytes": size,
                "peak_rss_before_mb": round(before_peak / 1e6, 1),
                "rss_before_mb": round(before_rss / 1e6, 1),
                "peak_rss_mb": round(peak_rss_bytes() / 1e6, 1),
            }
        )
    )


def measure_export(url: str) -> dict | None:
    try:
        import screening.exports  # noqa: F401
    except ImportError:
        return None
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    code = "from benchmarks.bench_dashboard import export_child; export_child()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_growth_mb"] = round(result["peak_rss_mb"] - result["peak_rss_before_mb"], 1)
    return result


# --- results --------------------------------------------------------------------------------


def _machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "postgresql": version,
        "jit": jit,
        "load_average_1m": load,
    }


def write_results(result: dict) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / "dashboard.json"
    json_path.write_text(json.dumps(result, indent=2, default=str))
    d = result["dashboard"]
    setup = result["setup"]
    machine = result["machine"]
    verdict = "PASS" if result["passed"] else "FAIL"
    lines = [
        "# Dashboard benchmark",
        "",
        f"Run {result['run_at']} with `python -m benchmarks.bench_dashboard`; database "
        f"`{result['database']}`. {machine['postgresql']}, JIT {machine['jit']}, "
        f"{machine['cpus']} CPUs, load {machine['load_average_1m']}.",
        "",
        f"Review: {setup['records']:,} records ({setup['duplicates']:,} duplicates), "
        f"{setup['decisions']:,} decisions (records with 3/2/1 decisions: "
        f"{setup['records_with_3']:,}/{setup['records_with_2']:,}/{setup['records_with_1']:,}), "
        f"{setup['resolutions']:,} resolutions.",
        "",
        "## Dashboard (GET, in process, server-side work)",
        "",
        f"**{verdict}**: median {d['median_ms']} ms over {len(d['times_ms'])} runs "
        f"(target < {TARGET_MS:.0f} ms); min {d['min_ms']} ms, max {d['max_ms']} ms; "
        f"{d['bytes']:,} bytes of HTML.",
        "",
        f"Runs (ms): {', '.join(str(t) for t in d['times_ms'])}.",
        "",
        f"Queries of one request ({len(d['queries'])}, {d['query_ms_total']} ms):",
        "",
        "| ms | query |",
        "|---:|---|",
    ]
    lines += [f"| {q['ms']} | `{q['sql'][:110]}` |" for q in d["queries"]]
    lines += ["", "Parts on their own (median ms):", "", "| part | ms |", "|---|---:|"]
    lines += [f"| {name} | {ms} |" for name, ms in d["parts_ms"].items()]
    lines += ["", "For comparison, not on the dashboard (median ms):", "", "| query | ms |"]
    lines += ["|---|---:|"] + [f"| {name} | {ms} |" for name, ms in d["reference_ms"].items()]
    cpu = d["cpu_ms"]
    lines += [
        "",
        f"CPU time of one request (median): Django {cpu['django_ms']} ms"
        + (
            f", PostgreSQL backend {cpu['database_ms']} ms, together {cpu['total_ms']} ms"
            if "total_ms" in cpu
            else ""
        )
        + ". Wall time above includes waiting for the CPU when the machine is busy.",
    ]
    lines += [
        "",
        f"Navigation badge (open_conflict_count, one query on review pages for owners and "
        f"resolvers): {d['open_conflict_count_ms']} ms; conflict ids for the queue: "
        f"{d['conflict_ids_ms']} ms.",
        "",
        f"Counts: {json.dumps(d['counts'])}.",
        "",
        "Agreement:",
        "",
        "| reviewers | n | κ | κ (3) | agreement | PABAK | 2×2 |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for p in d["pairs"]:
        lines.append(
            f"| {' & '.join(p['reviewers'])} | {p['n']:,} | {p['kappa_binary']:.3f} | "
            f"{p['kappa_three']:.3f} | {100 * p['percent_binary']:.1f}% | "
            f"{p['pabak_binary']:.3f} | {p['table_2x2']} |"
        )
    for f in d["fleiss"]:
        lines.append(
            f"\nFleiss' κ ({', '.join(f['reviewers'])}, {f['n']:,} records): {f['kappa']:.3f}"
        )
    export = result.get("export")
    lines += ["", "## CSV export of all records", ""]
    if export is None:
        lines.append("screening.exports is not there: not measured.")
    elif "error" in export:
        lines.append(f"Failed: ```{export['error']}```")
    else:
        lines.append(
            f"{export['rows']:,} rows, {export['bytes'] / 1e6:.1f} MB in {export['seconds']} s, "
            f"streamed to /dev/null in a fresh process. Peak memory (VmHWM) "
            f"{export['peak_rss_mb']} MB, {export['peak_growth_mb']} MB above the process "
            "before the export "
            f"({export['peak_rss_before_mb']} MB)."
        )
    lines.append("")
    md_path = RESULTS_DIR / "dashboard.md"
    md_path.write_text("\n".join(lines))
    return json_path, md_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the review again")
    parser.add_argument("--runs", type=int, default=10, help="timed requests (default 10)")
    parser.add_argument("--database-url", help=f"default: {DEFAULT_DATABASE_URL}")
    parser.add_argument("--skip-export", action="store_true", help="do not time the CSV export")
    args = parser.parse_args(argv)
    try:
        url = database_url(args.database_url)
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        review, setup = ensure_review(args.rebuild)
        log(f"Timing the dashboard ({args.runs} runs after 2 warm-up requests) ...")
        dashboard = measure_dashboard(review, args.runs)
        log(
            f"  median {dashboard['median_ms']} ms (min {dashboard['min_ms']}, max "
            f"{dashboard['max_ms']}); {len(dashboard['queries'])} queries, "
            f"{dashboard['query_ms_total']} ms"
        )
        for name, ms in {**dashboard["parts_ms"], **dashboard["reference_ms"]}.items():
            log(f"    {name}: {ms} ms")
        log(f"  CPU of a request: {dashboard['cpu_ms']}")
        log(f"  navigation badge query: {dashboard['open_conflict_count_ms']} ms")
        export = None
        if not args.skip_export:
            log("Timing the CSV export of every record (fresh process) ...")
            export = measure_export(url)
            log(f"  {export}")
        passed = dashboard["median_ms"] < TARGET_MS
        host = urlsplit(url)
        result = {
            "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "database": f"{host.hostname}:{host.port}{host.path}",
            "machine": _machine(),
            "setup": setup,
            "target_ms": TARGET_MS,
            "passed": passed,
            "dashboard": dashboard,
            "export": export,
        }
        json_path, md_path = write_results(result)
        log(
            f"{'PASS' if passed else 'FAIL'}: dashboard median {dashboard['median_ms']} ms "
            f"(target < {TARGET_MS:.0f} ms). Wrote {json_path} and {md_path}."
        )
        return 0 if passed else 3
    except Exception:
        import traceback

        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
