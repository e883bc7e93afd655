import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.models import Review
from screening.output_files import written_whole
from screening.prisma import as_json, prisma_counts, to_template_csv
from screening.prisma_svg import render_png, render_svg
from screening.queries import prisma_inputs


class Command(BaseCommand):
    help = "Print a review's PRISMA 2020 flow counts; optionally write the diagram and CSV."

    def add_arguments(self, parser):
        parser.add_argument("review_slug")
        parser.add_argument("--json", action="store_true", help="Print every count as JSON.")
        parser.add_argument("--svg", metavar="FILE", help="Write the diagram as SVG.")
        parser.add_argument("--png", metavar="FILE", help="Write the diagram as PNG.")
        parser.add_argument(
            "--csv", metavar="FILE", help="Write the PRISMA2020 app's template CSV."
        )

    def handle(self, *args, **options):
        review = Review.objects.filter(slug=options["review_slug"]).first()
        if review is None:
            raise CommandError(f"No review with the slug {options['review_slug']!r}.")
        counts = prisma_counts(prisma_inputs(review))
        outputs = []
        if options["svg"]:
            outputs.append((options["svg"], render_svg(counts).encode("utf-8")))
        if options["png"]:
            outputs.append((options["png"], render_png(counts)))
        if options["csv"]:
            outputs.append((options["csv"], to_template_csv(counts).encode("utf-8")))
        # Every path checked before any is written: a mistyped one leaves no file behind.
        for name, _ in outputs:
            path = Path(name)
            if path.is_dir():
                raise CommandError(f"{path}: is a folder, not a file name")
            if not path.parent.is_dir():
                raise CommandError(f"{path}: No such file or directory")
        for name, content in outputs:
            _write(Path(name), content)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(counts), ensure_ascii=False, indent=2))
            return
        data = as_json(counts)
        for key, value in data.items():
            if key != "warnings":
                self.stdout.write(f"{key}: {_plain(value)}")
        for warning in counts.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning.message}"))


def _plain(value) -> str:
    """A value of the JSON as a person reads it."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if not value:
            return "none"
        return "; ".join(
            f"{item.get('name', item.get('reason', ''))} {item.get('n', '')}".strip()
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    return str(value)


def _write(path: Path, content: bytes) -> None:
    try:
        with written_whole(path) as target:
            target.write_bytes(content)
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None
