"""Template helpers for the review navigation and the dashboard."""

from django import template

from screening import queries as screening_queries

register = template.Library()


@register.simple_tag(takes_context=True)
def open_conflict_count(context):
    """The review's open-conflict count for its navigation, for owners and resolvers only
    (None for anyone else). A view that has counted them already puts `open_conflicts` in
    its context; otherwise this costs one query."""
    membership = context.get("membership")
    review = context.get("review")
    if review is None or membership is None or not membership.can_resolve:
        return None
    counted = context.get("open_conflicts")
    if counted is not None:
        return counted
    return screening_queries.open_conflict_count(review)


@register.filter
def kappa(value) -> str:
    """A kappa (or PABAK) to three decimals, "not defined" when undefined."""
    return "not defined" if value is None else f"{value:.3f}"


@register.filter
def percent(value) -> str:
    """A proportion from 0 to 1 as a percentage with one decimal."""
    return "not defined" if value is None else f"{100 * value:.1f}%"
