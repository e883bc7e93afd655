import argparse
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.importers import FORMATS
from reviews.imports import ImportOutcome, ImportRefused, records_import
from reviews.models import ImportBatch, Review


class Command(BaseCommand):
    help = (
        "Import search exports into a review. Each file is imported whole or not at all; "
        "the exit status is 1 when any file was refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("review_slug")
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--source", required=True, help='Source database, e.g. "Embase".')
        parser.add_argument(
            "--source-kind",
            default=ImportBatch.SourceKind.DATABASE,
            choices=ImportBatch.SourceKind.values,
        )
        parser.add_argument("--search-date", type=_date, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=sorted(FORMATS), help="Skip detection.")
        parser.add_argument("--force", action="store_true", help="Import a file again.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count only.")
        parser.add_argument("--json", action="store_true", help="One JSON object per file.")

    def handle(self, *args, **options):
        review = Review.objects.filter(slug=options["review_slug"]).first()
        if review is None:
            raise CommandError(f"No review with the slug {options['review_slug']!r}.")
        source = options["source"].strip()
        limit = ImportBatch._meta.get_field("source_name").max_length
        if not source or len(source) > limit:
            raise CommandError(
                f"--source must name the source database in 1 to {limit} characters "
                f"(it has {len(source)})."
            )
        refused = 0
        for name in options["files"]:
            outcome = self.import_one(review, Path(name), options)
            refused += bool(outcome.errors)
            if options["json"]:
                self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
            else:
                self.report(outcome, options["dry_run"])
        if refused:
            sys.exit(1)

    def import_one(self, review, path: Path, options) -> ImportOutcome:
        if not path.is_file():
            reason = "is a folder" if path.is_dir() else "no such file"
            return ImportOutcome(file_name=str(path), errors=[f"{path}: {reason}"])
        bar = ProgressBar(self.stderr, path.name)
        try:
            outcome = records_import(
                review=review,
                # The path, not the bytes: the service lets the bytes go once decoded.
                data=path,
                file_name=path.name,
                source_name=options["source"],
                source_kind=options["source_kind"],
                search_date=options["search_date"],
                format=options["format"],
                force=options["force"],
                dry_run=options["dry_run"],
                progress=bar.update,
            )
        except ImportRefused as error:
            outcome = ImportOutcome(file_name=path.name, errors=[str(error)])
        except OSError as error:
            outcome = ImportOutcome(file_name=path.name, errors=[f"{path}: {error.strerror}"])
        bar.finish()
        outcome.file_name = str(path)
        return outcome

    def report(self, outcome: ImportOutcome, dry_run: bool):
        if outcome.errors:
            for error in outcome.errors:
                self.stderr.write(self.style.ERROR(f"refused: {error}"))
            return
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            f"{outcome.file_name}: {verb} {outcome.records_created} records "
            f"({outcome.format}), {outcome.duplicates} duplicates"
        )
        for warning in outcome.warnings:
            self.stdout.write(self.style.WARNING(f"  warning: {warning}"))


class ProgressBar:
    """Records read so far, on stderr, rewritten in place."""

    def __init__(self, stream, label: str):
        self.stream = stream
        self.label = label
        self.shown = False

    def update(self, records: int, _fraction: float) -> None:
        self.stream.write(f"\r{self.label}: {records:,} records read", ending="")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: str) -> date:
    """YYYY-MM-DD, not in the future (a search cannot have been run then)."""
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date like 2026-01-31 (YYYY-MM-DD)"
        ) from None
    # A day of slack: the user's today may be the server's tomorrow.
    if day > timezone.localdate() + timedelta(days=1):
        raise argparse.ArgumentTypeError(f"{value} is in the future")
    return day
