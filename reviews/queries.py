"""Reads, aware of who is asking."""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, QuerySet
from django.http import Http404

from reviews.models import Review, ReviewMember


def reviews_for_user(user) -> QuerySet[Review]:
    return (
        Review.objects.filter(members__user=user)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("-created_at", "-id")
    )


def _membership_sql() -> str:
    review_columns = [field.column for field in Review._meta.concrete_fields]
    member_columns = [field.column for field in ReviewMember._meta.concrete_fields]
    select = ", ".join(
        [f"r.{column}" for column in review_columns] + [f"m.{column}" for column in member_columns]
    )
    return (
        f"SELECT {select} FROM {ReviewMember._meta.db_table} m "
        f"JOIN {Review._meta.db_table} r ON r.id = m.review_id "
        "WHERE r.slug = %s AND m.user_id = %s"
    )


_MEMBERSHIP_SQL = _membership_sql()
_REVIEW_FIELDS = len(Review._meta.concrete_fields)


def review_for_user(user, slug: str, *, owner: bool = False) -> tuple[Review, ReviewMember]:
    """The review `slug` as `user` may see it, with their membership, in one query.

    Outsiders (and anonymous users) get 404 so nothing is revealed; a member whose role
    does not allow the action gets 403.
    """
    if not user.is_authenticated:
        raise Http404
    # Every page of a review runs this first, so it skips the ORM's query building (about
    # 1 ms of a screening decision's budget): one indexed join, both rows built from it.
    with connection.cursor() as cursor:
        cursor.execute(_MEMBERSHIP_SQL, [slug, user.pk])
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such review.")
    review = Review.from_db(connection.alias, None, row[:_REVIEW_FIELDS])
    membership = ReviewMember.from_db(connection.alias, None, row[_REVIEW_FIELDS:])
    membership.review = review
    if owner and not membership.is_owner:
        raise PermissionDenied("Only the review's owners may do this.")
    return review, membership


def members_of(review: Review) -> QuerySet[ReviewMember]:
    return review.members.select_related("user").order_by("user__username")


def active_reasons(review: Review):
    return review.reasons.filter(is_active=True).order_by("position", "id")


def batches_of(review: Review):
    return review.batches.exclude(status="staged").select_related("imported_by").order_by("-id")


def staged_batches(review: Review):
    return review.batches.filter(status="staged").order_by("id")


def duplicate_pairs(review: Review):
    """Duplicate records with the record each duplicates, for side-by-side display."""
    return (
        review.records.filter(duplicate_of__isnull=False)
        .select_related("duplicate_of", "batch", "duplicate_of__batch")
        .only(
            "id",
            "title",
            "abstract",
            "authors",
            "year",
            "journal",
            "volume",
            "issue",
            "pages",
            "doi",
            "pmid",
            "position",
            "duplicate_reason",
            "duplicate_score",
            "batch__file_name",
            "batch__source_name",
            "duplicate_of__id",
            "duplicate_of__title",
            "duplicate_of__abstract",
            "duplicate_of__authors",
            "duplicate_of__year",
            "duplicate_of__journal",
            "duplicate_of__volume",
            "duplicate_of__issue",
            "duplicate_of__pages",
            "duplicate_of__doi",
            "duplicate_of__pmid",
            "duplicate_of__position",
            "duplicate_of__batch__file_name",
            "duplicate_of__batch__source_name",
        )
        .order_by("duplicate_of_id", "id")
    )


def record_counts(review: Review) -> dict:
    """Records, duplicates and import batches of a review, in one query."""
    from django.db.models import Q

    return review.records.aggregate(
        records=Count("id"),
        duplicates=Count("id", filter=Q(duplicate_of__isnull=False)),
        unique=Count("id", filter=Q(duplicate_of__isnull=True)),
        batches=Count("batch", distinct=True),
    )
