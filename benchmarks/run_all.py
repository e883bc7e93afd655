"""Run every benchmark, each in its own process, and summarise them (`make bench`).

A benchmark is a module benchmarks/bench_*.py (or benchmarks/dedup_quality.py) defining a
top-level main(). Each runs as `main()` in a fresh interpreter with DATABASE_URL pointing at
the screening_bench database, its output shown and kept in benchmarks/results/<name>.log. A
failing benchmark does not stop the others.

Exit status of a benchmark: 0 = ran, targets met; 3 = ran, a target missed; anything else
= it failed. benchmarks/results/summary.md lists each one's status and time.

    python -m benchmarks.run_all              # all of them
    python -m benchmarks.run_all bench_import # some of them, by module name
    python -m benchmarks.run_all --list

BENCH_TIMEOUT (seconds, default 3600) bounds each benchmark.
"""

from __future__ import annotations

import argparse
import ast
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._common import BENCH_DIR, RESULTS_DIR, ROOT, markdown_table, text_table

EXTRA_MODULES = ("dedup_quality",)
TARGET_MISSED = 3


def has_main(path: Path) -> bool:
    """Whether the module defines a top-level main(), read without importing it."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return False
    return any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body)


def discover() -> tuple[list[str], list[str]]:
    """(benchmark module names, modules skipped for having no main())."""
    paths = sorted(BENCH_DIR.glob("bench_*.py"))
    paths += [
        BENCH_DIR / f"{name}.py" for name in EXTRA_MODULES if (BENCH_DIR / f"{name}.py").exists()
    ]
    found, skipped = [], []
    for path in paths:
        (found if has_main(path) else skipped).append(path.stem)
    return found, skipped


def status_of(code: int | None) -> str:
    if code is None:
        return "timeout"
    if code == 0:
        return "ok"
    if code == TARGET_MISSED:
        return "target missed"
    return f"error (exit {code})"


def run_one(name: str, env: dict, timeout: float) -> dict:
    """Run benchmarks.<name>.main() in a subprocess, echoing and logging its output."""
    log_path = RESULTS_DIR / f"{name}.log"
    code = (
        "import sys\n"
        f"from benchmarks.{name} import main\n"
        "result = main()\n"
        "sys.exit(result if isinstance(result, int) else 0)\n"
    )
    before = {p: p.stat().st_mtime for p in RESULTS_DIR.glob("*") if p.is_file()}
    started = time.perf_counter()
    print(f"\n=== {name} ===", flush=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-u", "-c", code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so a timeout stops its workers too
        )
        # A watchdog, since a silent benchmark would block the read loop.
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            os.killpg(process.pid, signal.SIGKILL)

        watchdog = threading.Timer(timeout, stop)
        watchdog.start()
        try:
            for line in process.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                log.write(line)
            returncode: int | None = process.wait()
        finally:
            watchdog.cancel()
        if timed_out.is_set():
            returncode = None
            log.write(f"\n[run_all] stopped after {timeout:.0f} s\n")
    seconds = time.perf_counter() - started
    # Results are named after the benchmark (bench_import -> import.json, import.md); files of
    # other names changed meanwhile belong to someone else's run.
    stem = name.removeprefix("bench_")
    written = sorted(
        p.name
        for p in RESULTS_DIR.glob(f"{stem}*")
        if p.is_file() and p != log_path and before.get(p) != p.stat().st_mtime
    )
    status = status_of(returncode)
    print(f"=== {name}: {status} in {seconds:.0f} s ===", flush=True)
    return {
        "name": name,
        "status": status,
        "exit": returncode,
        "seconds": seconds,
        "log": log_path.name,
        "written": written,
    }


def bench_env() -> tuple[dict, str]:
    """The environment for the benchmarks: DATABASE_URL on the screening_bench database."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        from benchmarks._common import bench_database_url

        url = bench_database_url()
        env["DATABASE_URL"] = url
        return env, url
    except Exception as error:  # each benchmark still runs and reports its own failure
        return env, f"not available ({type(error).__name__}: {error})"


def write_summary(results: list[dict], skipped: list[str], database: str, seconds: float) -> Path:
    rows = [
        [
            r["name"],
            r["status"],
            f"{r['seconds']:.0f} s",
            ", ".join(r["written"]) or "-",
            r["log"],
        ]
        for r in results
    ]
    lines = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M UTC} with `python -m benchmarks.run_all`, "
        f"{seconds:.0f} s in all. Database: {_hide_password(database)}.",
        "",
        "Status: ok = ran and met its targets; target missed = ran, a target not met (see its "
        "results); error = it failed to run (see its log).",
        "",
        markdown_table(["benchmark", "status", "time", "results written", "log"], rows),
        "",
    ]
    if skipped:
        lines += [f"Skipped (no main()): {', '.join(skipped)}.", ""]
    path = RESULTS_DIR / "summary.md"
    path.write_text("\n".join(lines))
    return path


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="module names to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    found, skipped = discover()
    if args.list:
        for name in found:
            print(name)
        for name in skipped:
            print(f"{name} (skipped: no main())")
        return 0
    unknown = [n for n in args.names if n not in found]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(found)}.")
        return 2
    names = args.names or found
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    env, database = bench_env()
    timeout = float(os.environ.get("BENCH_TIMEOUT", "3600"))
    print(f"Benchmarks: {', '.join(names)} (database: {_hide_password(database)})")

    started = time.perf_counter()
    results = [run_one(name, env, timeout) for name in names]
    total = time.perf_counter() - started
    summary = write_summary(results, skipped, database, total)

    print()
    print(
        text_table(
            ["benchmark", "status", "time"],
            [[r["name"], r["status"], f"{r['seconds']:.0f} s"] for r in results],
        )
    )
    print(f"\nWrote {summary}")
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
