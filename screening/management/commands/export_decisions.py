from django.core.management.base import BaseCommand, CommandError

from reviews.models import Review
from screening.exports import FORMATS, STATUS_FILTERS, records_export_to_file


class Command(BaseCommand):
    help = (
        "Export a review's records with every reviewer's decisions, the status and the "
        "resolution, as CSV, Excel (xlsx) or RIS. The file is written as the records are read, "
        "so any number of records exports in constant memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("review_slug", metavar="REVIEW_SLUG")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument(
            "--status",
            default="all",
            choices=list(STATUS_FILTERS),
            help="Which records (default all). Resolved conflicts count with their final verdict.",
        )
        parser.add_argument("--output", required=True, metavar="FILE")

    def handle(self, *args, **options):
        slug = options["review_slug"]
        review = Review.objects.filter(slug=slug).first()
        if review is None:
            raise CommandError(f"No review with the slug {slug!r}.")
        try:
            count = records_export_to_file(
                review, format=options["format"], status=options["status"], path=options["output"]
            )
        except OSError as error:
            raise CommandError(f"{options['output']}: {error.strerror}") from None
        self.stderr.write(
            f"{options['output']}: {count} record{'s' if count != 1 else ''} "
            f"({options['status']}) of {slug} as {options['format']}"
        )
