"""What the benchmark scripts share: the dedicated database, Django setup, paths, memory.

Benchmarks never touch development or test data: they always use a database named
`screening_bench`, on the server DATABASE_URL points at (its database name is replaced), or
on the embedded PostgreSQL when DATABASE_URL is unset. The database is created if missing.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
TMP_DIR = BENCH_DIR / "tmp"
SAMPLES_DIR = ROOT.parent / "shared" / "samples"
TEST_DATA_DIR = ROOT / "tests" / "data"

BENCH_DATABASE = "screening_bench"
BENCH_USERNAME = "benchmark"


def bench_database_url() -> str:
    """The URL of the benchmark database (created if missing): DATABASE_URL's server, or the
    embedded one, with the database name replaced by screening_bench."""
    from urllib.parse import urlsplit, urlunsplit

    from config.embedded_db import embedded_database_url, ensure_database_for_url

    url = os.environ.get("DATABASE_URL") or embedded_database_url(ROOT)
    url = urlunsplit(urlsplit(url)._replace(path="/" + BENCH_DATABASE))
    ensure_database_for_url(url)
    return url


def use_bench_database() -> str:
    """Point DATABASE_URL at the benchmark database (before Django is set up); return it."""
    url = bench_database_url()
    os.environ["DATABASE_URL"] = url
    return url


def setup_django(*, migrate: bool = True) -> None:
    """Django on the benchmark database, migrated."""
    sys.path.insert(0, str(ROOT))
    use_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def bench_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USERNAME, defaults={"email": "benchmark@example.org"}
    )
    return user


def fresh_review(title: str):
    from reviews.services import review_create

    return review_create(title=title, owner=bench_user())


def delete_review(review) -> None:
    """Delete a benchmark review and everything in it (duplicate links first: they PROTECT)."""
    from django.db import transaction

    from reviews.models import Record

    with transaction.atomic():
        Record.objects.filter(review=review, duplicate_of__isnull=False).update(duplicate_of=None)
        review.delete()


def delete_bench_reviews(title_prefix: str) -> int:
    """Delete the benchmark user's reviews whose title starts with `title_prefix` (a crashed
    run's too). Other benchmarks' reviews, with other titles, are left alone."""
    from reviews.models import Review

    count = 0
    reviews = Review.objects.filter(
        created_by__username=BENCH_USERNAME, title__startswith=title_prefix
    )
    for review in reviews:
        delete_review(review)
        count += 1
    return count


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine skews timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def peak_rss_bytes() -> int:
    """The process's resident memory high-water mark (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def rss_bytes() -> int:
    """The process's resident memory now (VmRSS)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def mb(value: float) -> float:
    return round(value / 1_000_000, 1)


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
