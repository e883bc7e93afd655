from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reviews import services
from reviews.models import Review


class Command(BaseCommand):
    help = "Create a review owned by USERNAME (creating that user, without a password, if needed)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--title", required=True)
        parser.add_argument("--owner", required=True, metavar="USERNAME")
        parser.add_argument("--description", default="")

    def handle(self, *args, **options):
        User = get_user_model()
        title = options["title"].strip()
        slug_limit = Review._meta.get_field("slug").max_length
        title_limit = Review._meta.get_field("title").max_length
        problems = []
        if not title or len(title) > title_limit:
            problems.append(f"--title must have 1 to {title_limit} characters.")
        if len(options["slug"]) > slug_limit:
            problems.append(f"The slug must have at most {slug_limit} characters.")
        owner = User.objects.filter(username=options["owner"]).first()
        if owner is None:
            # Checked as a sign-up form would check it, before anything is created.
            candidate = User(username=options["owner"])
            try:
                candidate.clean_fields(exclude=["password"])
            except ValidationError as error:
                messages = error.message_dict.get(User.USERNAME_FIELD, error.messages)
                problems.append(f"--owner {options['owner']!r}: {' '.join(messages)}")
        if problems:
            raise CommandError(" ".join(problems))
        try:
            # The user and the review are created together or not at all.
            with transaction.atomic():
                created = owner is None
                if created:
                    owner = User(username=options["owner"])
                    owner.set_unusable_password()
                    owner.save()
                review = services.review_create(
                    title=title,
                    slug=options["slug"],
                    owner=owner,
                    description=options["description"],
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if created:
            self.stdout.write(
                f"Created user {owner.username} (no password yet: "
                f"manage.py changepassword {owner.username})."
            )
        self.stdout.write(f"Created review {review.slug!r} owned by {owner.username}.")
