from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import imports, queries, services
from reviews.forms import (
    DuplicateLinkForm,
    MemberAddForm,
    MemberRoleForm,
    ReviewCreateForm,
    ReviewSettingsForm,
    UploadForm,
)
from reviews.models import ImportBatch, ReviewMember


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
        "counts": queries.record_counts(review),
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
            resolves = " who resolves conflicts" if member.is_resolver else ""
            messages.success(request, f"{member.user.username} is now {member.role}{resolves}.")
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


# --- Imports --------------------------------------------------------------------------


def _batches_context(review, membership, form=None, staged=None):
    return {
        "review": review,
        "membership": membership,
        "form": form or UploadForm(),
        "batches": queries.batches_of(review),
        "staged": staged if staged is not None else queries.staged_batches(review),
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
        "source_kinds": ImportBatch.SourceKind.choices,
    }


@login_required
@require_GET
def batch_list(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    return render(request, "reviews/batch_list.html", _batches_context(review, membership))


@login_required
@require_POST
def batch_upload(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    # Refuse oversized uploads from the header, before the body is read.
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.MAX_UPLOAD_BYTES + 1024 * 1024:
        messages.error(
            request,
            f"The upload is {length / 1024 / 1024:.0f} MB, over the limit of "
            f"{settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Nothing was imported.",
        )
        return redirect("reviews:batch-list", slug=review.slug)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        for upload in data["files"]:
            try:
                imports.batch_stage(
                    review=review,
                    upload=upload,
                    source_name=data["source_name"],
                    source_kind=data["source_kind"],
                    search_date=data["search_date"],
                    user=request.user,
                    force=data["force"],
                )
            except imports.ImportRefused as error:
                messages.error(request, f"Refused: {error}")
        return redirect("reviews:batch-list", slug=review.slug)
    return render(request, "reviews/batch_list.html", _batches_context(review, membership, form))


@login_required
@require_POST
def batch_confirm(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    staged = list(queries.staged_batches(review).filter(id__in=request.POST.getlist("batch")))
    if "discard" not in request.POST:
        # Each file may name its own source (one upload, several databases): all are checked
        # before any is imported.
        try:
            for batch in staged:
                imports.batch_set_source(
                    batch=batch,
                    source_name=request.POST.get(f"source-{batch.id}", batch.source_name),
                    source_kind=request.POST.get(f"kind-{batch.id}", batch.source_kind),
                )
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return redirect("reviews:batch-list", slug=review.slug)
    for batch in staged:
        if "discard" in request.POST:
            imports.batch_discard(batch=batch)
            messages.success(request, f"{batch.file_name}: discarded.")
            continue
        batch = imports.batch_confirm(batch=batch)
        if batch.status == ImportBatch.Status.DONE:
            messages.success(
                request,
                f"{batch.file_name}: imported {batch.records_created} records, "
                f"{batch.duplicates_found} duplicates.",
            )
        elif batch.status == ImportBatch.Status.QUEUED:
            messages.success(request, f"{batch.file_name}: importing in the background.")
        else:
            messages.error(request, f"Refused: {batch.error}")
    return redirect("reviews:batch-list", slug=review.slug)


@login_required
@require_GET
def batch_progress(request, slug, batch_id):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    batch = get_object_or_404(review.batches, id=batch_id)
    return render(request, "reviews/_batch_row.html", {"review": review, "batch": batch})


# --- Duplicates -----------------------------------------------------------------------


@login_required
@require_GET
def duplicate_list(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    page = Paginator(queries.duplicate_pairs(review), 50).get_page(request.GET.get("page"))
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "link_form": DuplicateLinkForm(),
        "total": page.paginator.count,
    }
    return render(request, "reviews/duplicate_list.html", context)


@login_required
@require_POST
def duplicate_unlink(request, slug, record_id):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    record = get_object_or_404(review.records, id=record_id, duplicate_of__isnull=False)
    imports.duplicate_unlink(record=record)
    messages.success(request, f"Record {record.id} is no longer a duplicate; it will be screened.")
    return redirect("reviews:duplicate-list", slug=review.slug)


@login_required
@require_POST
def duplicate_link(request, slug):
    review, membership = queries.review_for_user(request.user, slug, owner=True)
    form = DuplicateLinkForm(request.POST)
    if form.is_valid():
        duplicate = review.records.filter(id=form.cleaned_data["duplicate"]).first()
        kept = (
            review.records.select_related("duplicate_of")
            .filter(id=form.cleaned_data["kept"])
            .first()
        )
        if duplicate is None or kept is None:
            messages.error(request, "Both record numbers must be records of this review.")
        else:
            try:
                imports.duplicate_link(duplicate=duplicate, kept=kept, user=request.user)
            except ValidationError as error:
                messages.error(request, _error_text(error))
            else:
                messages.success(request, f"Record {duplicate.id} marked as a duplicate.")
    else:
        messages.error(request, "Give two record numbers.")
    return redirect("reviews:duplicate-list", slug=review.slug)
