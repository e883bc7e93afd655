from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from reviews import services
from reviews.models import Review, ReviewMember

DEMO_PASSWORD = "screening-demo"
DEMO_USERS = (
    ("demo-owner", ReviewMember.Role.OWNER),
    ("demo-reviewer-1", ReviewMember.Role.REVIEWER),
    ("demo-reviewer-2", ReviewMember.Role.REVIEWER),
)
DEMO_SLUG = "peer-support-community-mental-health"
DEMO_TITLE = "Peer support and community mental health"


class Command(BaseCommand):
    help = "Create the demo users and the demo review if they are absent, and print the logins."

    def handle(self, *args, **options):
        User = get_user_model()
        users = {}
        for username, _role in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username, email=f"{username}@example.org", password=DEMO_PASSWORD
                )
            users[username] = user

        review = Review.objects.filter(slug=DEMO_SLUG).first()
        if review is None:
            review = services.review_create(
                title=DEMO_TITLE,
                slug=DEMO_SLUG,
                owner=users["demo-owner"],
                description="Demo review: peer support interventions in community mental health.",
                inclusion_criteria="Studies or reviews of peer support for people with mental "
                "health conditions in community settings.",
                exclusion_criteria="Inpatient-only settings; no peer support component.",
            )
            for username, role in DEMO_USERS[1:]:
                services.member_add(review=review, identifier=username, role=role)
        self.import_seed(review, users["demo-owner"])

        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {role}")

    def import_seed(self, review, owner):
        """Import the VHL seed page once. Defined by the import feature."""
        from reviews.demo import import_seed

        import_seed(review=review, user=owner)
