from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reviews import services


class Command(BaseCommand):
    help = "Create a review owned by USERNAME (creating that user, without a password, if needed)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--title", required=True)
        parser.add_argument("--owner", required=True, metavar="USERNAME")
        parser.add_argument("--description", default="")

    def handle(self, *args, **options):
        User = get_user_model()
        owner, created = User.objects.get_or_create(username=options["owner"])
        if created:
            owner.set_unusable_password()
            owner.save()
            self.stdout.write(
                f"Created user {owner.username} (no password yet: "
                f"manage.py changepassword {owner.username})."
            )
        try:
            review = services.review_create(
                title=options["title"],
                slug=options["slug"],
                owner=owner,
                description=options["description"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Created review {review.slug!r} owned by {owner.username}.")
