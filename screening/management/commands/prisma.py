import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.models import Review
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
        if options["svg"]:
            Path(options["svg"]).write_text(render_svg(counts), encoding="utf-8")
        if options["png"]:
            Path(options["png"]).write_bytes(render_png(counts))
        if options["csv"]:
            Path(options["csv"]).write_text(to_template_csv(counts), encoding="utf-8")
        if options["json"]:
            self.stdout.write(json.dumps(as_json(counts), ensure_ascii=False, indent=2))
            return
        data = as_json(counts)
        for key, value in data.items():
            if key != "warnings":
                self.stdout.write(f"{key}: {value}")
        for warning in counts.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning.message}"))
