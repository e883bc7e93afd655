"""Writes. Each function owns its transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from reviews.models import DEFAULT_EXCLUSION_REASONS, ExclusionReason, Review, ReviewMember

User = get_user_model()


def unique_slug(title: str) -> str:
    base = slugify(title)[:60].strip("-") or "review"
    slug = base
    n = 2
    while Review.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic
def review_create(
    *,
    title: str,
    owner,
    description: str = "",
    inclusion_criteria: str = "",
    exclusion_criteria: str = "",
    slug: str | None = None,
) -> Review:
    """Create a review; its creator becomes an owner and the default reasons are seeded."""
    if slug is None:
        slug = unique_slug(title)
    elif not slug_re.fullmatch(slug):
        raise ValidationError(
            f"'{slug}' is not a valid slug: use letters, numbers, hyphens or underscores."
        )
    elif Review.objects.filter(slug=slug).exists():
        raise ValidationError(f"A review with the slug '{slug}' already exists.")
    review = Review.objects.create(
        title=title,
        slug=slug,
        description=description,
        inclusion_criteria=inclusion_criteria,
        exclusion_criteria=exclusion_criteria,
        created_by=owner,
    )
    ReviewMember.objects.create(review=review, user=owner, role=ReviewMember.Role.OWNER)
    ExclusionReason.objects.bulk_create(
        ExclusionReason(review=review, label=label, position=i)
        for i, label in enumerate(DEFAULT_EXCLUSION_REASONS, start=1)
    )
    return review


def find_user(identifier: str):
    """A user by username or e-mail (case-insensitive), or None."""
    identifier = identifier.strip()
    if not identifier:
        return None
    matches = list(
        User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))[:2]
    )
    if len(matches) == 1:
        return matches[0]
    exact = [u for u in matches if u.username == identifier]
    return exact[0] if exact else None


@transaction.atomic
def member_add(*, review: Review, identifier: str, role: str) -> ReviewMember:
    user = find_user(identifier)
    if user is None:
        raise ValidationError(f"No user with the username or e-mail '{identifier.strip()}'.")
    if role not in ReviewMember.Role.values:
        raise ValidationError(f"Unknown role '{role}'.")
    try:
        with transaction.atomic():
            return ReviewMember.objects.create(review=review, user=user, role=role)
    except IntegrityError:
        raise ValidationError(f"{user.username} is already a member of this review.") from None


def _lock_owners(review: Review) -> int:
    """Lock the review's owner rows and count them, so two owners demoting each other
    at once cannot leave the review with none."""
    owners = list(
        ReviewMember.objects.select_for_update()
        .filter(review=review, role=ReviewMember.Role.OWNER)
        .values_list("id", flat=True)
    )
    return len(owners)


@transaction.atomic
def member_set_role(
    *, member: ReviewMember, role: str, is_resolver: bool | None = None
) -> ReviewMember:
    if role not in ReviewMember.Role.values:
        raise ValidationError(f"Unknown role '{role}'.")
    owners = _lock_owners(member.review)
    member.refresh_from_db()
    if member.is_owner and role != ReviewMember.Role.OWNER and owners <= 1:
        raise ValidationError(
            f"{member.user.username} is the last owner of this review. "
            "Make another member an owner first."
        )
    member.role = role
    if is_resolver is not None:
        member.is_resolver = is_resolver
    member.save(update_fields=["role", "is_resolver"])
    return member


@transaction.atomic
def member_remove(*, member: ReviewMember) -> None:
    owners = _lock_owners(member.review)
    member.refresh_from_db()
    if member.is_owner and owners <= 1:
        raise ValidationError(
            f"{member.user.username} is the last owner of this review and cannot be removed. "
            "Make another member an owner first."
        )
    member.delete()


def parse_reason_lines(text: str) -> list[str]:
    """One reason per line. Empty lines between reasons and duplicates are refused."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    labels: list[str] = []
    seen: dict[str, int] = {}
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        label = " ".join(line.split())
        if not label:
            errors.append(f"Reason {number} is empty.")
            continue
        if len(label) > 200:
            errors.append(f"Reason {number} is longer than 200 characters.")
            continue
        key = label.casefold()
        if key in seen:
            errors.append(f"'{label}' is listed twice (reasons {seen[key]} and {number}).")
            continue
        seen[key] = number
        labels.append(label)
    if not labels and not errors:
        errors.append("Keep at least one exclusion reason.")
    if errors:
        raise ValidationError(errors)
    return labels


@transaction.atomic
def review_update_settings(
    *,
    review: Review,
    title: str,
    description: str,
    inclusion_criteria: str,
    exclusion_criteria: str,
    required_decisions: int,
    blind_screening: bool,
    include_terms: list[str],
    exclude_terms: list[str],
    reasons: list[str],
) -> Review:
    if required_decisions not in (1, 2, 3):
        raise ValidationError("Each record needs 1, 2 or 3 decisions.")
    review.title = title
    review.description = description
    review.inclusion_criteria = inclusion_criteria
    review.exclusion_criteria = exclusion_criteria
    review.required_decisions = required_decisions
    review.blind_screening = blind_screening
    review.include_terms = include_terms
    review.exclude_terms = exclude_terms
    review.save()
    reasons_set(review=review, labels=reasons)
    return review


def reasons_set(*, review: Review, labels: list[str]) -> None:
    """Make the review's active reasons exactly `labels`, in order.

    Existing reasons keep their id (matched case-insensitively), so decisions that cite
    them stay linked; reasons no longer listed are archived, not deleted.
    """
    existing = {r.label.casefold(): r for r in ExclusionReason.objects.filter(review=review)}
    keep_ids = []
    for position, label in enumerate(labels, start=1):
        reason = existing.get(label.casefold())
        if reason is None:
            reason = ExclusionReason(review=review, label=label)
        reason.label = label
        reason.position = position
        reason.is_active = True
        reason.save()
        keep_ids.append(reason.id)
    ExclusionReason.objects.filter(review=review).exclude(id__in=keep_ids).update(is_active=False)
