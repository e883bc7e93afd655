"""Reads, aware of who is asking."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404

from reviews.models import Review, ReviewMember


def reviews_for_user(user) -> QuerySet[Review]:
    return (
        Review.objects.filter(members__user=user)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("-created_at", "-id")
    )


def review_for_user(user, slug: str, *, owner: bool = False) -> tuple[Review, ReviewMember]:
    """The review `slug` as `user` may see it, with their membership, in one query.

    Outsiders (and anonymous users) get 404 so nothing is revealed; a member whose role
    does not allow the action gets 403.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        ReviewMember.objects.select_related("review").filter(review__slug=slug, user=user).first()
    )
    if membership is None:
        raise Http404("No such review.")
    if owner and not membership.is_owner:
        raise PermissionDenied("Only the review's owners may do this.")
    return membership.review, membership


def members_of(review: Review) -> QuerySet[ReviewMember]:
    return review.members.select_related("user").order_by("user__username")


def active_reasons(review: Review):
    return review.reasons.filter(is_active=True).order_by("position", "id")
