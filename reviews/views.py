from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import queries, services
from reviews.forms import MemberAddForm, MemberRoleForm, ReviewCreateForm, ReviewSettingsForm
from reviews.models import ReviewMember


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_GET
def review_list(request):
    reviews = queries.reviews_for_user(request.user)
    return render(request, "reviews/review_list.html", {"reviews": reviews})


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request):
    form = ReviewCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        review = services.review_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Review “{review.title}” created.")
        return redirect(review)
    return render(request, "reviews/review_create.html", {"form": form})


@login_required
@require_GET
def review_detail(request, slug):
    review, membership = queries.review_for_user(request.user, slug)
    context = {
        "review": review,
        "membership": membership,
        "members": queries.members_of(review),
        "reasons": queries.active_reasons(review),
        "add_form": MemberAddForm(),
    }
    return render(request, "reviews/review_detail.html", context)


def _members_response(request, review, membership, add_form=None, status=200):
    """The members section: the whole page, or just the fragment for htmx."""
    context = {
        "review": review,
        "membership": membership,
        "members": queries.members_of(review),
        "add_form": add_form or MemberAddForm(),
    }
    if request.htmx:
        return render(request, "reviews/review_detail.html#members", context, status=status)
    return redirect(review)


@login_required
@require_POST
def member_add(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            member = services.member_add(review=review, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("identifier", _error_text(error))
        else:
            messages.success(request, f"{member.user.username} added as {member.role}.")
            form = None
    if form is not None and not request.htmx:
        for error in form.errors.get("identifier", []) + form.errors.get("role", []):
            messages.error(request, error)
    return _members_response(request, review, membership, add_form=form)


@login_required
@require_POST
def member_role(request, slug, member_id):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    member = get_object_or_404(
        ReviewMember.objects.select_related("user"), review=review, id=member_id
    )
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: owner or reviewer.")
    else:
        try:
            services.member_set_role(member=member, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, f"{member.user.username} is now {member.role}.")
    return _members_response(request, review, membership)


@login_required
@require_POST
def member_remove(request, slug, member_id):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    member = get_object_or_404(
        ReviewMember.objects.select_related("user"), review=review, id=member_id
    )
    try:
        services.member_remove(member=member)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{member.user.username} removed from the review.")
        if member.user_id == request.user.id:
            return redirect("reviews:review-list")
    return _members_response(request, review, membership)


@login_required
@require_http_methods(["GET", "POST"])
def review_settings(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    initial = {
        "title": review.title,
        "description": review.description,
        "inclusion_criteria": review.inclusion_criteria,
        "exclusion_criteria": review.exclusion_criteria,
        "required_decisions": review.required_decisions,
        "blind_screening": review.blind_screening,
        "include_terms": "\n".join(review.include_terms),
        "exclude_terms": "\n".join(review.exclude_terms),
        "reasons": "\n".join(r.label for r in queries.active_reasons(review)),
    }
    form = ReviewSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.review_update_settings(review=review, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("reviews:review-settings", slug=review.slug)
    context = {"review": review, "membership": membership, "form": form}
    return render(request, "reviews/review_settings.html", context)
