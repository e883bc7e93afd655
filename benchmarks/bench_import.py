"""Import benchmark: 100,000 RIS records (300 MB) against the floor; throughput per format.

Targets (docs: benchmarks/README.md):
- end-to-end `records_import` of the 100,000-record file takes at most 2.0x the floor, where
  the floor is (a) rispy parsing the file into a list plus (b) a bare psycopg COPY of the
  parsed rows into a plain table with similar columns (no indexes, no generated column);
- the import's peak memory (RSS high-water mark of the process doing it) stays under 1 GB
  (1,000,000,000 bytes).

Each heavy measurement runs in its own subprocess, so each peak RSS is that step's alone.
When the ratio is over 2.0 (or with --profile always), the import is also run under cProfile
and its parts are timed separately (app parser, row building, dedup, and COPY into empty
copies of reviews_record adding in turn the search vectors (computed beforehand, as the
import's second connection does), the b-tree indexes, the GIN index and the foreign keys, then
into reviews_record itself), so the report says where the time goes.

    python -m benchmarks.bench_import [--records 100000] [--repeat N] [--skip-large]
                                      [--profile auto|always|never] [--skip-formats]

Writes benchmarks/results/import.json and import.md (and import_profile.txt when profiled).
Uses the screening_bench database only (benchmarks/_common.py); the reviews it creates are
deleted at the end. Exit status: 0 targets met, 3 a target missed, 1 the benchmark failed.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import generate_ris
from benchmarks._common import (
    RESULTS_DIR,
    ROOT,
    SAMPLES_DIR,
    TEST_DATA_DIR,
    load_average,
    markdown_table,
    mb,
    peak_rss_bytes,
    rss_bytes,
    text_table,
)

RATIO_TARGET = 2.0
MEMORY_TARGET_BYTES = 1_000_000_000  # 1 GB
TITLE_PREFIX = "Benchmark import"  # every review this benchmark creates; deleted at the end
SEED_PAGE = ROOT / "reviews" / "demo" / "vhl_results_page.txt"

FLOOR_TABLE = "bench_floor_record"
FLOOR_COLUMNS = (
    ("title", "text"),
    ("abstract", "text"),
    ("authors", "text[]"),
    ("year", "smallint"),
    ("journal", "text"),
    ("volume", "text"),
    ("issue", "text"),
    ("pages", "text"),
    ("doi", "text"),
    ("accession", "text"),
    ("keywords", "text[]"),
    ("language", "text"),
    ("url", "text"),
    ("publication_type", "text"),
    ("raw", "jsonb"),
)
_YEAR = re.compile(r"\d{4}")


# --- Workers: each runs in its own process -------------------------------------------------


def _checkpoint(cursor) -> None:
    """Flush dirty pages first, so each timed write starts from the same state (best effort)."""
    try:
        cursor.execute("CHECKPOINT")
    except Exception:  # needs superuser or pg_checkpoint; noise then, not an error
        cursor.connection.rollback()


def _floor_row(entry: dict, dumps) -> tuple:
    def text(key, *more):
        for name in (key, *more):
            value = entry.get(name)
            if value:
                return " ".join(value) if isinstance(value, list) else value
        return ""

    year = _YEAR.search(text("year", "publication_year", "date"))
    start, end = text("start_page"), text("end_page")
    urls = entry.get("urls") or []
    return (
        text("title", "primary_title"),
        text("abstract", "notes_abstract"),
        entry.get("authors") or entry.get("first_authors") or [],
        int(year.group(0)) if year else None,
        text("secondary_title", "journal_name", "alternate_title3"),
        text("volume"),
        text("number"),
        f"{start}-{end}" if start and end else start or end,
        text("doi").lower(),
        text("accession_number"),
        entry.get("keywords") or [],
        text("language"),
        urls[0] if urls else "",
        text("type_of_reference"),
        dumps(entry),
    )


def worker_floor(path: Path) -> dict:
    """(a) rispy parses the file into a list; (b) a bare COPY of its rows into a plain table."""
    import psycopg
    import rispy

    from benchmarks._common import bench_database_url

    gc.collect()
    started = time.perf_counter()
    entries = rispy.load(path, encoding="utf-8")
    parse_seconds = time.perf_counter() - started
    parse_peak = peak_rss_bytes()

    dumps = json.dumps
    columns = ", ".join(name for name, _ in FLOOR_COLUMNS)
    with psycopg.connect(bench_database_url()) as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} ("
            + ", ".join(f"{name} {kind}" for name, kind in FLOOR_COLUMNS)
            + ")"
        )
        conn.commit()
        _checkpoint(cursor)
        conn.commit()
        started = time.perf_counter()
        with cursor.copy(f"COPY {FLOOR_TABLE} ({columns}) FROM STDIN") as copy:
            for entry in entries:
                copy.write_row(_floor_row(entry, dumps))
        conn.commit()
        copy_seconds = time.perf_counter() - started
        cursor.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")
        copied = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {FLOOR_TABLE}")
        conn.commit()
    return {
        "records": len(entries),
        "copied": copied,
        "parse_seconds": parse_seconds,
        "parse_peak_rss_bytes": parse_peak,
        "copy_seconds": copy_seconds,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def worker_rispy_loads(path: Path) -> dict:
    """For information: rispy.loads on the decoded text (what a bytes-in API would do)."""
    import rispy

    data = path.read_bytes()
    gc.collect()
    started = time.perf_counter()
    entries = rispy.loads(data.decode("utf-8"))
    return {
        "records": len(entries),
        "seconds": time.perf_counter() - started,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def _import(path: Path, title: str, profiler=None) -> dict:
    from django.db import connection

    from benchmarks._common import bench_user, fresh_review
    from reviews.imports import records_import

    review = fresh_review(title)
    try:
        data = path.read_bytes()
        gc.collect()
        rss_before = rss_bytes()
        with connection.cursor() as cursor:
            _checkpoint(cursor.cursor)
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        outcome = records_import(
            review=review,
            data=data,
            file_name=path.name,
            source_name="Benchmark",
            user=bench_user(),
        )
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        peak = peak_rss_bytes()
        # The search index is filled in the import's own transaction: once it returns, every
        # record has its vector (and GIN entry). Checked, not assumed (outside the timing).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE search_vector IS NULL), count(*) "
                "FROM reviews_record WHERE review_id = %s",
                [review.pk],
            )
            missing, stored = cursor.fetchone()
        return {
            "seconds": seconds,
            "peak_rss_bytes": peak,
            "rss_before_bytes": rss_before,
            "file_bytes": len(data),
            "format": outcome.format,
            "records_read": outcome.records_read,
            "records_created": outcome.records_created,
            "duplicates": outcome.duplicates,
            "warnings": len(outcome.warnings),
            "records_stored": stored,
            "search_vectors_missing": missing,
        }
    finally:
        _cleanup(review)


def _cleanup(review) -> None:
    """Delete a worker's review; a failure here must not hide the measurement's own error."""
    from benchmarks._common import delete_review

    try:
        delete_review(review)
    except Exception as error:
        print(f"could not delete review {review.pk}: {error}", file=sys.stderr)


def worker_end_to_end(path: Path) -> dict:
    from benchmarks._common import setup_django

    setup_django()
    return _import(path, "Benchmark import (end to end)")


def worker_profile(path: Path) -> dict:
    """The import under cProfile: the Python side, by function."""
    import cProfile
    import io
    import pstats

    from benchmarks._common import setup_django

    setup_django()
    profiler = cProfile.Profile()
    result = _import(path, "Benchmark import (profile)", profiler)
    stats = pstats.Stats(profiler)
    total = result["seconds"]
    # label: (file suffix, function names); several entries of one function are summed.
    wanted = {
        "decode_bytes": ("importers/decode.py", ("decode_bytes",)),
        "app parser: ris.parse, all records": ("importers/ris.py", ("parse",)),
        "- its line loop (_raw_records)": ("importers/ris.py", ("_raw_records",)),
        "- its field extraction (_record)": ("importers/ris.py", ("_record",)),
        "_copy_records (parse + rows + COPY + ids)": ("reviews/imports.py", ("_copy_records",)),
        "- _row (building COPY rows)": ("reviews/imports.py", ("_row",)),
        "- json.dumps (raw, other_ids)": ("json/__init__.py", ("dumps",)),
        "- psycopg write_row (dumping rows, arrays)": ("psycopg/_copy_base.py", ("write_row",)),
        "- waiting for the server (psycopg wait)": ("psycopg/connection.py", ("wait",)),
        "- dedup_records (the batch read back for dedup)": (
            "reviews/imports.py",
            ("dedup_records",),
        ),
        "_deduplicate (dedup + its UPDATEs)": ("reviews/imports.py", ("_deduplicate",)),
        "- find_duplicates": ("reviews/dedup.py", ("find_duplicates",)),
        "- dedup blocking (_blocks)": ("reviews/dedup.py", ("_blocks",)),
        "- dedup fuzzy title comparisons": ("reviews/dedup.py", ("compare", "_title_score")),
        "- dedup title normalisation (_prepare)": ("reviews/dedup.py", ("_prepare",)),
        "hashlib sha256": ("~", ("<built-in method _hashlib.openssl_sha256>",)),
    }
    parts = {}
    for label, (suffix, functions) in wanted.items():
        found = [
            (calls, tottime, cumtime)
            for (file, _line, name), (_cc, calls, tottime, cumtime, _) in stats.stats.items()
            if name in functions and file.endswith(suffix)
        ]
        if found:
            parts[label] = {
                "calls": sum(f[0] for f in found),
                "own": sum(f[1] for f in found),
                "cumulative_seconds": sum(f[2] for f in found),
            }
    top_own = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:15]
    top = [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "calls": calls,
            "own_seconds": tottime,
            "cumulative_seconds": cumtime,
        }
        for (file, line, name), (_cc, calls, tottime, cumtime, _) in top_own
    ]
    buffer = io.StringIO()
    report = pstats.Stats(profiler, stream=buffer)
    report.sort_stats("cumulative").print_stats(40)
    report.sort_stats("tottime").print_stats(30)
    (RESULTS_DIR / "import_profile.txt").write_text(
        f"records_import under cProfile: {total:.1f} s wall (profiling overhead included)\n\n"
        + buffer.getvalue()
    )
    return {**result, "parts": parts, "top_own_time": top}


def worker_breakdown(path: Path) -> dict:
    """Each part of the import timed on its own, the server's share by table variant."""

    from django.db import connection

    from benchmarks._common import fresh_review, setup_django

    setup_django()
    from reviews.dedup import find_duplicates
    from reviews.importers import read_records
    from reviews.imports import COPY_COLUMNS, VECTOR_BATCH, VECTOR_SQL, _row, dedup_records
    from reviews.models import ImportBatch

    data = path.read_bytes()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    read = read_records(data, file_name=path.name)
    records = list(read.records)
    timings["app_parse"] = time.perf_counter() - started

    review = fresh_review("Benchmark import (breakdown)")
    try:
        batch = ImportBatch.objects.create(review=review, file_name=path.name, sha256="x")
        dumps = json.dumps
        started = time.perf_counter()
        rows = [_row(review.pk, batch.pk, n, r, dumps) for n, r in enumerate(records, start=1)]
        timings["row_building"] = time.perf_counter() - started

        del records
        columns = ", ".join(COPY_COLUMNS)
        # Django's connection is in autocommit: each COPY below is its own transaction, so
        # its time includes the commit.
        raw = connection.connection
        # The search vectors, computed as the import's second connection computes them.
        vectors: list[str] = []
        started = time.perf_counter()
        with raw.cursor() as cursor:
            for start in range(0, len(rows), VECTOR_BATCH):
                part = rows[start : start + VECTOR_BATCH]
                columns_of = [COPY_COLUMNS.index(c) for c in ("title", "abstract", "search_extra")]
                cursor.execute(VECTOR_SQL, [[row[i] for row in part] for i in columns_of])
                vectors.extend(vector for (vector,) in cursor.fetchall())
        timings["vectors_computed"] = time.perf_counter() - started
        without = [(*row, None) for row in rows]
        rows = [(*row, vector) for row, vector in zip(rows, vectors, strict=True)]
        del vectors
        # Copies of reviews_record, empty, adding one kind of server work at a time.
        # (LIKE copies no trigger: the vectors given are kept, or NULL.)
        base = "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING COMPRESSION"
        full = f"{base} INCLUDING INDEXES INCLUDING CONSTRAINTS"
        variants = (
            # name, LIKE options, drop the GIN index, add the foreign keys, rows
            ("copy_plain", base, False, False, without),
            ("copy_tsvector", base, False, False, rows),
            ("copy_tsvector_btree", full, True, False, rows),
            ("copy_tsvector_btree_gin", full, False, False, rows),
            ("copy_tsvector_btree_gin_fk", full, False, True, rows),
        )
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reviews_record' "
                "AND schemaname = 'public' ORDER BY indexname"
            )
            indexes = [{"name": n, "definition": d} for n, d in cursor.fetchall()]
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'public.reviews_record'::regclass AND contype = 'f'"
            )
            foreign_keys = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM reviews_record")
            rows_before = cursor.fetchone()[0]
            cursor.execute("CREATE SCHEMA IF NOT EXISTS bench_scratch")
            for name, like, drop_gin, add_fks, variant_rows in variants:
                table = f"bench_scratch.{name}"
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TABLE {table} (LIKE public.reviews_record {like})")
                if drop_gin:
                    cursor.execute(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = 'bench_scratch' "
                        "AND tablename = %s AND indexdef ILIKE '%% USING gin %%'",
                        [name],
                    )
                    for (index,) in cursor.fetchall():
                        cursor.execute(f"DROP INDEX bench_scratch.{index}")
                if add_fks:
                    for constraint, definition in foreign_keys:
                        # A self-reference would point at reviews_record: point it at the copy.
                        definition = definition.replace(
                            "REFERENCES reviews_record(", f"REFERENCES {table}("
                        )
                        cursor.execute(
                            f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}"
                        )
                _checkpoint(cursor)
                started = time.perf_counter()
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in variant_rows:
                        copy.write_row(row)
                timings[name] = time.perf_counter() - started
                cursor.execute(f"DROP TABLE {table}")
            cursor.execute("DROP SCHEMA bench_scratch CASCADE")

            # The real table: as the last copy, but its indexes already hold other reviews.
            _checkpoint(cursor)
            started = time.perf_counter()
            with cursor.copy(f"COPY reviews_record ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            timings["copy_reviews_record"] = time.perf_counter() - started
        # Dedup reads the batch back, as the import does, then compares.
        started = time.perf_counter()
        dedup = list(dedup_records(review, batch=batch))
        timings["dedup_records"] = time.perf_counter() - started
        started = time.perf_counter()
        links = find_duplicates(dedup, existing=[])
        timings["find_duplicates"] = time.perf_counter() - started
        return {
            "records": len(rows),
            "reviews_record_rows_before": rows_before,
            "reviews_record_indexes": indexes,
            "dedup_records": len(dedup),
            "duplicates": len(links),
            "seconds": timings,
            "peak_rss_bytes": peak_rss_bytes(),
        }
    finally:
        _cleanup(review)


def run_worker(name: str, path: Path | None, env: dict) -> dict:
    """Run one worker in a fresh interpreter; its result, or {"error": ...}."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = Path(handle.name)
    command = [sys.executable, "-m", "benchmarks.bench_import", "--worker", name]
    command += ["--file", str(path or ""), "--result", str(result_file)]
    print(f"  [{name}] running ...", flush=True)
    loads, done = [], threading.Event()

    def sample() -> None:
        loads.append(load_average())
        while not done.wait(5):
            loads.append(load_average())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    load = round(statistics.mean(loads), 2) if loads and None not in loads else None
    try:
        if process.returncode != 0:
            tail = "\n".join(process.stderr.strip().splitlines()[-15:])
            print(f"  [{name}] FAILED (exit {process.returncode}) after {elapsed:.0f} s:\n{tail}")
            return {"error": tail or f"exit {process.returncode}"}
        result = json.loads(result_file.read_text())
        result["load_average"] = load
        print(f"  [{name}] done in {elapsed:.0f} s (load average {load})", flush=True)
        return result
    finally:
        result_file.unlink(missing_ok=True)


# --- Throughput per sample format ----------------------------------------------------------


def representative_files() -> list[tuple[str, Path]]:
    """(folder, file) for each sample folder: its file with the most records.

    Record counts come from ../shared/samples/MANIFEST.tsv; without it (or for tests/data)
    the largest file is taken.
    """
    base = SAMPLES_DIR if SAMPLES_DIR.is_dir() else TEST_DATA_DIR
    counts: dict[str, int] = {}
    manifest = base / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if (row.get("records") or "").isdigit():
                    counts[row["file"]] = int(row["records"])
    chosen = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        if not files:
            continue
        best = max(
            files,
            key=lambda p: (counts.get(f"{folder.name}/{p.name}", -1), p.stat().st_size, p.name),
        )
        chosen.append((folder.name, best))
    return chosen


def worker_formats(_path) -> dict:
    from benchmarks._common import setup_django

    setup_django()
    return {"rows": format_throughput()}


def format_throughput() -> list[dict]:
    from benchmarks._common import bench_user, fresh_review
    from reviews.imports import records_import

    files = [("seed page (demo)", SEED_PAGE)] if SEED_PAGE.exists() else []
    files += representative_files()
    rows = []
    for folder, path in files:
        row = {
            "folder": folder,
            "file": str(path.relative_to(path.parent.parent)),
            "bytes": path.stat().st_size,
        }
        review = None
        try:
            review = fresh_review(f"{TITLE_PREFIX} ({folder})")
            data = path.read_bytes()
            started = time.perf_counter()
            outcome = records_import(
                review=review,
                data=data,
                file_name=path.name,
                source_name="Benchmark",
                user=bench_user(),
            )
            seconds = time.perf_counter() - started
            row.update(
                format=outcome.format,
                records=outcome.records_read,
                duplicates=outcome.duplicates,
                seconds=seconds,
                records_per_second=outcome.records_read / seconds if seconds else None,
            )
        except Exception as error:  # one format failing must not hide the others
            row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        finally:
            if review is not None:
                _cleanup(review)
        rows.append(row)
    return rows


WORKERS = {
    "floor": worker_floor,
    "rispy-loads": worker_rispy_loads,
    "end-to-end": worker_end_to_end,
    "profile": worker_profile,
    "breakdown": worker_breakdown,
    "formats": worker_formats,
}


# --- Report --------------------------------------------------------------------------------


def _short(error: str) -> str:
    """An error cell: the message without the file name, cut short, no table pipes."""
    return error.split(": ", 2)[-1][:90].replace("|", "/")


def _s(value) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _report(result: dict) -> tuple[str, str]:
    """(console text, markdown) of a run's result."""
    floor, e2e, targets = result["floor"], result["end_to_end"], result["targets"]
    info = result["file"]
    head = (
        f"File: {info['file_name']} — {info['records']:,} records, {info['mb']} MB "
        f"(seed {info['seed']}; {info['records_with_abstract']:,} with an abstract)"
    )

    def load(step: dict) -> str:
        return "-" if step.get("load_average") is None else f"{step['load_average']:.1f}"

    loads = result.get("rispy_loads", {})
    rows = [
        [
            "(a) rispy.load, full list",
            _s(floor.get("parse_seconds")),
            f"{mb(floor['parse_peak_rss_bytes'])} MB" if "parse_peak_rss_bytes" in floor else "-",
            load(floor),
        ],
        [
            "(b) bare COPY into a plain table",
            _s(floor.get("copy_seconds")),
            f"{mb(floor['peak_rss_bytes'])} MB (a + b)" if "peak_rss_bytes" in floor else "-",
            load(floor),
        ],
        ["floor = a + b", _s(result.get("floor_seconds")), "", ""],
        [
            "records_import (end to end)",
            _s(e2e.get("seconds")),
            f"{mb(e2e['peak_rss_bytes'])} MB" if "peak_rss_bytes" in e2e else "-",
            load(e2e),
        ],
    ]
    if loads.get("seconds"):
        rows.append(
            [
                "(info) rispy.loads on decoded bytes",
                _s(loads["seconds"]),
                f"{mb(loads['peak_rss_bytes'])} MB",
                load(loads),
            ]
        )
    step_headers = ["step", "time", "peak RSS", "load avg"]
    verdict = [
        [
            "end-to-end / floor",
            f"{result['ratio']:.2f}" if result.get("ratio") else "-",
            f"<= {RATIO_TARGET}",
            targets["ratio"],
        ],
        [
            "peak RSS of the import",
            f"{mb(e2e['peak_rss_bytes'])} MB" if "peak_rss_bytes" in e2e else "-",
            "< 1000 MB (1 GB)",
            targets["memory"],
        ],
    ]
    formats = [
        [
            r["folder"],
            r["file"],
            r.get("format", "-"),
            r.get("records", "-"),
            f"{r['seconds']:.3f}" if "seconds" in r else "-",
            f"{r['records_per_second']:,.0f}" if r.get("records_per_second") else "-",
            _short(r.get("error", "")),
        ]
        for r in result.get("formats", [])
    ]
    format_headers = ["folder", "file", "format", "records", "seconds", "records/s", "error"]

    console = [head, "", text_table(step_headers, rows), ""]
    console += [text_table(["target", "measured", "target", "result"], verdict), ""]
    console.append(f"Overall: {result['status']}")
    markdown = [
        "# Import benchmark",
        "",
        f"Run {result['generated']} on {result['machine']['cpus']} CPUs, Python "
        f"{result['machine']['python']}, {result['machine']['postgres']}.",
        "",
        head,
        "",
        markdown_table(step_headers, rows),
        "",
        markdown_table(["target", "measured", "target", "result"], verdict),
        "",
        f"**Overall: {result['status']}**",
        "",
    ]
    if e2e.get("records_read") is not None:
        markdown += [
            f"records_import read {e2e['records_read']:,} records, created "
            f"{e2e['records_created']:,}, found {e2e['duplicates']:,} duplicates; RSS before "
            f"the call (Django + the file's bytes) {mb(e2e['rss_before_bytes'])} MB.",
            "",
        ]
    if e2e.get("search_vectors_missing") is not None:
        markdown += [
            "Records imported (committed) and search index complete are the same moment: the "
            "search vectors and their GIN entries are written in the import's own transaction "
            "(computed on a second connection while the first copies). Right after the import "
            f"returned, {e2e['search_vectors_missing']:,} of its {e2e['records_stored']:,} "
            "records had no search vector (0 expected), so the end-to-end time above is also "
            "the time until the search index is complete, and the ratio is computed on it.",
            "",
        ]
    if result.get("upload_limit_note"):
        markdown += [result["upload_limit_note"], ""]
    if e2e.get("error"):
        markdown += ["End-to-end import failed:", "", "```", e2e["error"], "```", ""]
    breakdown = result.get("breakdown") or {}
    if breakdown.get("seconds"):
        labels = {
            "app_parse": "app parser (decode + detect + ris.parse, all records into a list)",
            "row_building": "COPY rows built (imports._row, json.dumps of raw)",
            "dedup_records": "the batch read back for dedup (imports.dedup_records)",
            "find_duplicates": "dedup.find_duplicates (100,000 new, none existing)",
            "vectors_computed": "search vectors computed (to_tsvector, one connection; in the "
            "import on a second connection while the first copies)",
            "copy_plain": "COPY into a copy of reviews_record: no search vector, no index",
            "copy_tsvector": "... + the search vectors, given",
            "copy_tsvector_btree": "... + the b-tree indexes (incl. primary key)",
            "copy_tsvector_btree_gin": "... + the GIN index (all indexes)",
            "copy_tsvector_btree_gin_fk": "... + the foreign keys and checks (empty table)",
            "copy_reviews_record": "COPY into reviews_record itself (indexes hold other reviews)",
        }
        seconds = breakdown["seconds"]
        table = [[labels.get(k, k), f"{v:.1f} s"] for k, v in seconds.items()]
        markdown += [
            "## Where the time goes (each part timed alone)",
            "",
            "In the import these overlap: PostgreSQL works on the COPY stream while Python "
            "parses the next records, so the end-to-end time is roughly the larger of the two "
            "sides plus dedup, not their sum.",
            "",
            markdown_table(["part", "time"], table),
            "",
        ]
        if "copy_plain" in seconds:
            steps = (
                ("storing the given search vectors", "copy_plain", "copy_tsvector"),
                ("b-tree indexes", "copy_tsvector", "copy_tsvector_btree"),
                ("GIN index", "copy_tsvector_btree", "copy_tsvector_btree_gin"),
                ("foreign keys + checks", "copy_tsvector_btree_gin", "copy_tsvector_btree_gin_fk"),
                (
                    f"the real table: indexes already holding "
                    f"{breakdown.get('reviews_record_rows_before', 0):,} rows of other reviews",
                    "copy_tsvector_btree_gin_fk",
                    "copy_reviews_record",
                ),
            )
            derived = [
                [label, seconds[after] - seconds[before]]
                for label, before, after in steps
                if before in seconds and after in seconds
            ]
            markdown += [
                markdown_table(["cost of", "time"], [[k, f"{v:.1f} s"] for k, v in derived]),
                "",
            ]
        indexes = breakdown.get("reviews_record_indexes") or []
        if indexes:
            gin = [i["name"] for i in indexes if " USING gin " in i["definition"]]
            btree = [i["name"] for i in indexes if i["name"] not in gin]
            markdown += [
                f"reviews_record had {len(btree)} b-tree indexes ({', '.join(btree)}) and "
                f"{len(gin)} GIN ({', '.join(gin)}) when this was measured.",
                "",
            ]
    profile = result.get("profile") or {}
    if profile.get("parts"):
        table = [
            [label, f"{p['cumulative_seconds']:.1f} s", f"{p['own']:.1f} s", f"{p['calls']:,}"]
            for label, p in profile["parts"].items()
        ]
        markdown += [
            f"## cProfile of records_import ({profile['seconds']:.1f} s under the profiler)",
            "",
            markdown_table(["function", "cumulative", "own", "calls"], table),
            "",
            "cProfile slows the Python side only, so Python shares are overstated here. "
            "'Waiting for the server' is time the client was blocked because PostgreSQL had "
            "not yet consumed the COPY data: the server's work (tsvector, indexes, foreign "
            "keys) that the client's parsing could not hide.",
            "",
        ]
        if profile.get("top_own_time"):
            top = [
                [t["function"], f"{t['own_seconds']:.1f} s", f"{t['calls']:,}"]
                for t in profile["top_own_time"]
            ]
            markdown += [
                "Most own time:",
                "",
                markdown_table(["function", "own", "calls"], top),
                "",
            ]
        markdown += ["Full listing: benchmarks/results/import_profile.txt.", ""]
    if formats:
        markdown += [
            "## Throughput per format (one file per sample folder, each into a fresh review)",
            "",
            markdown_table(format_headers, formats),
            "",
        ]
        console += ["", text_table(format_headers, formats)]
    if result.get("notes"):
        markdown += ["## Notes", ""] + [f"- {note}" for note in result["notes"]] + [""]
    return "\n".join(console), "\n".join(markdown)


def _machine() -> dict:
    import psycopg

    from benchmarks._common import bench_database_url

    try:
        with psycopg.connect(bench_database_url()) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        postgres = f"PostgreSQL {version}"
    except Exception as error:
        postgres = f"PostgreSQL unreachable ({error})"
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "postgres": postgres}


def _large(args, result: dict, env: dict, upload_limit: int) -> None:
    """The 100,000-record file: floor, end to end, and (when over) where the time goes."""
    print("Generating (or reusing) the RIS file ...", flush=True)
    info = generate_ris.ensure(records=args.records, seed=args.seed, target_mb=args.target_mb)
    path = Path(info["file"])
    result["file"] = {**info, "file_name": path.name}
    if info["bytes"] > upload_limit:
        needed = math.ceil(info["bytes"] / 1024 / 1024) + 1
        env["MAX_UPLOAD_MB"] = str(needed)
        result["upload_limit_note"] = (
            f"The file ({info['mb']} MB) is over the configured upload limit "
            f"({upload_limit // 1024 // 1024} MB, MAX_UPLOAD_MB): the benchmark raises it to "
            f"{needed} MB for its import. With the default settings the app refuses a "
            "100,000-record file of this size."
        )
    print(f"  {path} ({info['mb']} MB, {info['records']:,} records)")

    floors, imports = [], []
    for _ in range(max(1, args.repeat)):
        floors.append(run_worker("floor", path, env))
        imports.append(run_worker("end-to-end", path, env))
    result["rispy_loads"] = run_worker("rispy-loads", path, env)
    result["floor"] = _median(floors, ("parse_seconds", "copy_seconds"))
    result["end_to_end"] = _median(imports, ("seconds",))
    result["runs"] = {"floor": floors, "end_to_end": imports}
    floor, e2e = result["floor"], result["end_to_end"]
    if "error" not in floor:
        result["floor_seconds"] = floor["parse_seconds"] + floor["copy_seconds"]
    if "error" not in floor and "error" not in e2e:
        result["ratio"] = e2e["seconds"] / result["floor_seconds"]
        result["targets"]["ratio"] = "PASS" if result["ratio"] <= RATIO_TARGET else "FAIL"
    if "peak_rss_bytes" in e2e:
        result["targets"]["memory"] = (
            "PASS" if e2e["peak_rss_bytes"] < MEMORY_TARGET_BYTES else "FAIL"
        )
    _save_partial(result)
    over = result["targets"]["ratio"] != "PASS"
    if args.profile == "always" or (args.profile == "auto" and over):
        why = "the ratio is over the target" if over else "--profile always"
        print(f"Profiling ({why}) ...", flush=True)
        result["breakdown"] = run_worker("breakdown", path, env)
        _save_partial(result)
        result["profile"] = run_worker("profile", path, env)
    busy = [step.get("load_average") or 0 for step in (result["floor"], result["end_to_end"])]
    cpus = os.cpu_count() or 1
    if max(busy) > cpus * 0.75:
        result["notes"].append(
            f"Other work was running on this machine (load average up to "
            f"{max(busy):.1f} on {cpus} CPUs while measuring): times are inflated and "
            "noisy; compare runs made on a quiet machine."
        )


def _save_partial(result: dict) -> None:
    """Keep what a long run has measured so far, should a later step crash."""
    (RESULTS_DIR / "import.partial.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=generate_ris.DEFAULT_RECORDS)
    parser.add_argument("--seed", type=int, default=generate_ris.DEFAULT_SEED)
    parser.add_argument("--target-mb", type=float, default=generate_ris.DEFAULT_TARGET_MB)
    parser.add_argument("--repeat", type=int, default=1, help="runs of floor and import (median)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--skip-large", action="store_true", help="only the per-format table")
    parser.add_argument("--skip-formats", action="store_true", help="only the 100,000 records")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = WORKERS[args.worker](args.file)
        args.result.write_text(json.dumps(result))
        return 0

    from benchmarks._common import delete_bench_reviews, setup_django

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    setup_django()  # also sets DATABASE_URL to the benchmark database for the workers
    from django.conf import settings

    left_over = delete_bench_reviews(TITLE_PREFIX)
    if left_over:
        print(f"Deleted {left_over} benchmark reviews left over from an earlier run.")
    result: dict = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "targets": {"ratio": "not run", "memory": "not run"},
        "floor": {},
        "end_to_end": {},
        "notes": [],
    }
    env = dict(os.environ)
    # Reviews are created and imported in the workers, not here: while others work on the app
    # its models and schema may change during a long run, and each worker starts afresh.
    if not args.skip_large:
        try:
            _large(args, result, env, settings.MAX_UPLOAD_BYTES)
        except Exception as error:
            result["notes"].append(
                f"The 100,000-record part failed: {type(error).__name__}: {error}"
            )
    if not args.skip_formats:
        print("Throughput per sample format ...", flush=True)
        formats = run_worker("formats", None, env)
        result["formats"] = formats.get("rows", [])
        if "error" in formats:
            result["notes"].append(f"The per-format part failed: {formats['error']}")
    try:
        delete_bench_reviews(TITLE_PREFIX)
    except Exception as error:
        result["notes"].append(f"Cleaning up failed ({error}); the next run retries it.")

    targets = result["targets"].values()
    if any(t == "FAIL" for t in targets):
        result["status"] = "FAIL"
    elif all(t == "PASS" for t in targets):
        result["status"] = "PASS"
    else:
        result["status"] = "INCOMPLETE" if not args.skip_large else "NOT RUN (--skip-large)"
    console, markdown = _report(result) if "file" in result else _formats_only(result)
    print()
    print(console)
    (RESULTS_DIR / "import.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS_DIR / "import.md").write_text(markdown + "\n")
    (RESULTS_DIR / "import.partial.json").unlink(missing_ok=True)
    print(f"\nWrote {RESULTS_DIR / 'import.json'} and {RESULTS_DIR / 'import.md'}")
    if result["status"] == "FAIL":
        return 3
    if result["status"] == "INCOMPLETE":
        return 1
    return 0


def _formats_only(result: dict) -> tuple[str, str]:
    headers = ["folder", "file", "format", "records", "seconds", "records/s", "error"]
    rows = [
        [
            r["folder"],
            r["file"],
            r.get("format", "-"),
            r.get("records", "-"),
            f"{r['seconds']:.3f}" if "seconds" in r else "-",
            f"{r['records_per_second']:,.0f}" if r.get("records_per_second") else "-",
            _short(r.get("error", "")),
        ]
        for r in result.get("formats", [])
    ]
    return text_table(headers, rows), "# Import benchmark\n\n" + markdown_table(headers, rows)


def _median(runs: list[dict], keys: tuple[str, ...]) -> dict:
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    result = dict(good[-1])
    for key in keys:
        result[key] = statistics.median(r[key] for r in good)
    result["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in good)
    return result


if __name__ == "__main__":
    sys.exit(main())
