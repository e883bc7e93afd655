"""Screening views. Every view resolves the review through reviews.queries.review_for_user."""

import tempfile
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url, trigger_client_event

from reviews import queries as reviews_queries
from reviews.models import Record
from screening import exports as screening_exports
from screening import queries as screening_queries
from screening import services
from screening.forms import LIST_FIELDS, PrismaManualForm
from screening.highlight import highlight
from screening.models import Decision, PrismaManual, Stage
from screening.prisma import MANUAL_FIELDS, prisma_counts, to_template_csv
from screening.prisma_svg import render_png, render_svg

# --- Screening page (one record at a time) ------------------------------------------


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _screen_url(review, **params) -> str:
    url = reverse("screening:screen", args=[review.slug])
    params = {key: value for key, value in params.items() if value is not None}
    return f"{url}?{urlencode(params)}" if params else url


def _highlighted(record, review) -> dict:
    """Title, abstract, keywords and MeSH terms as escaped HTML with the review's terms marked."""
    include, exclude = tuple(review.include_terms), tuple(review.exclude_terms)

    def mark(text):
        return mark_safe(highlight(text, include, exclude))  # noqa: S308 (escaped by highlight)

    return {
        "title": mark(record.display_title),
        "abstract": mark(record.abstract),
        "keywords": [mark(keyword) for keyword in record.keywords],
        "mesh_terms": [mark(term) for term in record.mesh_terms],
    }


def _record_sources(record) -> list[str]:
    """The source databases of a record: its batch's, then those of the duplicates linked to it
    (read with the record by screening_queries.next_record and record_for_screening, or here)."""
    name = getattr(record, "batch_source_name", None)
    names = [record.batch.source_name if name is None else name]
    duplicate_sources = getattr(record, "duplicate_sources", None)
    if duplicate_sources is None:
        duplicates = Record.objects.filter(duplicate_of=record).order_by("batch_id")
        duplicate_sources = duplicates.values_list("batch__source_name", flat=True)
    for name in duplicate_sources:
        if name not in names:
            names.append(name)
    return names


def _my_decisions(review, reviewer):
    return Decision.objects.filter(review=review, reviewer=reviewer, stage=Stage.TITLE_ABSTRACT)


def _previous_decided_record_id(review, reviewer, *, before: int | None = None) -> int | None:
    """The record this reviewer decided before their decision `before` (or their latest),
    for the "previous" link. Only the reviewer's own decisions are read."""
    decisions = _my_decisions(review, reviewer).order_by("-id")
    if before is not None:
        decisions = decisions.filter(id__lt=before)
    return decisions.values_list("record_id", flat=True).first()


def _next_url(review, reviewer, record, mine) -> str:
    """The "next" link: on a record the reviewer decided, the one they decided after it, so
    previous and next walk their history; otherwise (or past its end) the queue goes on."""
    if mine is not None:
        later = _my_decisions(review, reviewer).filter(id__gt=mine.id).order_by("id")
        record_id = later.values_list("record_id", flat=True).first()
        if record_id is not None:
            return _screen_url(review, record=record_id)
    return _screen_url(review, after=record.id)


def _form_again(verdict, reason_ids, note, error) -> dict:
    """A refused decision or resolution, to show again with its message."""
    return {
        "verdict": verdict,
        "reasons": {i for i in map(_int_or_none, reason_ids) if i is not None},
        "note": note,
        "error": " ".join(error.messages),
    }


def _screen_context(
    request, review, membership, record, *, form=None, status="", just_decided=None, reasons=None
):
    """Everything the screening page shows for `record` (None: the queue is empty).

    `form` carries a rejected submission (verdict, reasons, note, error) to show again;
    otherwise the reviewer's current decision, if any, is preselected. `just_decided` is the
    id of the record the reviewer decided in this request, when `record` came from their
    queue: then `record` has no decision of theirs and the previous one is `just_decided`.
    """
    reviewer = request.user
    context = {
        "review": review,
        "membership": membership,
        "record": record,
        "reasons": reasons if reasons is not None else list(reviews_queries.active_reasons(review)),
        # A full page shows progress at once. In an htmx swap (a decision, undo, moving on)
        # the bar already on the page is kept and refreshed by its own request once the
        # reviewer pauses: counting over the whole review must not slow every keystroke.
        "progress": None
        if request.htmx
        else screening_queries.screening_progress(review, reviewer),
        "status": status,
    }
    if record is None:
        context["prev_id"] = just_decided or _previous_decided_record_id(review, reviewer)
        return context
    mine = None if just_decided else screening_queries.decision_of(record, reviewer)
    if form is None:
        form = {
            "verdict": mine.verdict if mine else "",
            "reasons": {reason.id for reason in mine.reasons.all()} if mine else set(),
            "note": mine.note if mine else "",
            "error": "",
        }
    context.update(
        mine=mine,
        form=form,
        hl=_highlighted(record, review),
        sources=_record_sources(record),
        show_others=screening_queries.can_see_others(review, membership),
        others=screening_queries.others_decisions_on(record, review, membership),
        prev_id=just_decided
        or _previous_decided_record_id(review, reviewer, before=mine.id if mine else None),
        next_url=_next_url(review, reviewer, record, mine),
    )
    return context


def _screen_response(request, context, *, push=None, status=200):
    """The whole page, or for htmx just the #screen fragment (pushing `push` as the URL)."""
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "screening/screen.html#screen", context, status=status)
        if push:
            push_url(response, push)
        return response
    return render(request, "screening/screen.html", context, status=status)


@login_required
@require_GET
def screen(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug)
    record_id = request.GET.get("record")
    if record_id is not None:
        if _int_or_none(record_id) is None:
            raise Http404("No such record.")
        record = screening_queries.record_for_screening(review, int(record_id))
    else:
        after = _int_or_none(request.GET.get("after"))
        record = screening_queries.next_record(review, request.user, after_id=after)
    context = _screen_context(request, review, membership, record)
    return _screen_response(request, context)


@login_required
@require_POST
def decide(request, slug, record_id):
    review, membership = reviews_queries.review_for_user(request.user, slug)
    record = screening_queries.record_to_decide(review, record_id)
    verdict = request.POST.get("verdict", "")
    reason_ids = request.POST.getlist("reason")
    note = request.POST.get("note", "")
    after = _int_or_none(request.POST.get("after")) or record.id
    reasons = list(reviews_queries.active_reasons(review))
    try:
        decision = services.decision_record(
            review=review,
            record=record,
            reviewer=request.user,
            verdict=verdict,
            reason_ids=reason_ids,
            note=note,
            active_reasons=reasons,
        )
    except services.ReasonRequired as error:
        form = _form_again(verdict, reason_ids, note, error)
        record = screening_queries.record_for_screening(review, record.id)
        context = _screen_context(request, review, membership, record, form=form, reasons=reasons)
        return _screen_response(request, context)
    except services.InvalidDecision as error:
        return HttpResponseBadRequest(
            " ".join(error.messages), content_type="text/plain; charset=utf-8"
        )
    saved = f"Saved: {decision.get_verdict_display()} for record {record.id}."
    url = _screen_url(review, after=after)
    if not request.htmx:
        messages.success(request, saved)
        return redirect(url)
    following = screening_queries.next_record(review, request.user, after_id=after)
    context = _screen_context(
        request,
        review,
        membership,
        following,
        status=saved,
        just_decided=record.id,
        reasons=reasons,
    )
    response = _screen_response(request, context, push=url)
    trigger_client_event(response, "decisionSaved", {"record": record.id, "verdict": verdict})
    return response


@login_required
@require_POST
def undo(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug)
    undone = services.decision_undo(review=review, reviewer=request.user)
    if undone is None:
        status = "Nothing to undo."
        url = _screen_url(review)
        record = screening_queries.next_record(review, request.user)
    else:
        status = f"Undone: your last decision on record {undone.id}. Decide it again."
        url = _screen_url(review, record=undone.id)
        record = screening_queries.record_for_screening(review, undone.id)
    if not request.htmx:
        messages.info(request, status)
        return redirect(url)
    context = _screen_context(request, review, membership, record, status=status)
    return _screen_response(request, context, push=url)


@login_required
@require_GET
def screen_progress(request, slug):
    """The progress bars alone, fetched after htmx swaps on the screening page."""
    review, membership = reviews_queries.review_for_user(request.user, slug)
    progress = screening_queries.screening_progress(review, request.user)
    context = {"review": review, "progress": progress, "fresh": True}
    return render(request, "screening/_progress.html", context)


# --- Record list ----------------------------------------------------------------------


_MY_DECISION_CHOICES = [("", "Any")] + [
    (choice, choice.capitalize()) for choice in screening_queries.MY_DECISIONS
]
_STATUS_CHOICES = [("", "Any")] + [(s, s.capitalize()) for s in screening_queries.RECORD_STATUSES]


class RecordListForm(forms.Form):
    """The list's filters and sort order. A value that does not validate is dropped (and the
    view says so): the rest of the filters still apply."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": 'words, "a phrase", -not, or', "size": 40}
        ),
    )
    mine = forms.ChoiceField(label="My decision", required=False, choices=_MY_DECISION_CHOICES)
    status = forms.ChoiceField(label="Status", required=False, choices=_STATUS_CHOICES)
    batch = forms.TypedChoiceField(label="Import", required=False, coerce=int, empty_value=None)
    year_from = forms.IntegerField(label="Year from", required=False, min_value=1, max_value=9999)
    year_to = forms.IntegerField(label="Year to", required=False, min_value=1, max_value=9999)
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[(sort, sort) for sort in screening_queries.RECORD_SORTS],
    )

    def __init__(self, data, *, batches, is_owner: bool):
        super().__init__(data)
        self.fields["batch"].choices = [("", "Any")] + [
            (batch.id, f"{batch.source_name} · {batch.file_name}") for batch in batches
        ]
        if not is_owner:
            del self.fields["status"]  # a reviewer's ?status= is not read at all

    def clean(self):
        data = super().clean()
        start, end = data.get("year_from"), data.get("year_to")
        if start is not None and end is not None and start > end:
            del data["year_from"], data["year_to"]
            raise forms.ValidationError(f"the year range {start}–{end} is empty.")
        return data

    def ignored(self) -> list[str]:
        """What was dropped and why, in words."""
        notes = [
            f"{field.label} “{self.data.get(name, '')}” ignored: {error}"
            for name, field in self.fields.items()
            for error in self.errors.get(name, ())
        ]
        return notes + [f"Year range ignored: {error}" for error in self.non_field_errors()]

    def filters(self, *, is_owner: bool) -> screening_queries.RecordFilters:
        data = self.cleaned_data
        return screening_queries.RecordFilters(
            q=data.get("q") or "",
            mine=data.get("mine") or "",
            status=(data.get("status") or "") if is_owner else "",
            batch_id=data.get("batch"),
            year_from=data.get("year_from"),
            year_to=data.get("year_to"),
            sort=data.get("sort") or "id",
        )


def _list_query(filters: screening_queries.RecordFilters) -> dict:
    """The filters in effect, as the query of the list's links: dropped values stay dropped."""
    query = {
        "q": filters.q,
        "mine": filters.mine,
        "status": filters.status,
        "batch": filters.batch_id,
        "year_from": filters.year_from,
        "year_to": filters.year_to,
        "sort": "" if filters.sort == "id" else filters.sort,
    }
    return {name: value for name, value in query.items() if value not in ("", None)}


def _list_cursors(request, sort: str, notes: list[str]):
    """The `after` and `before` cursors of a page link; a malformed one is dropped with a note."""
    after, before = request.GET.get("after"), request.GET.get("before")
    if after is not None and before is not None:
        notes.append("A page link had both “after” and “before”: showing the first page.")
        return None, None
    text = after if after is not None else before
    if text is None:
        return None, None
    cursor = screening_queries.record_cursor_parse(sort, text)
    if cursor is None:
        notes.append("The page link was not understood: showing the first page.")
        return None, None
    return (cursor, None) if after is not None else (None, cursor)


@login_required
@require_GET
def record_list(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug)
    is_owner = membership.is_owner
    batches = screening_queries.record_list_batches(review)
    form = RecordListForm(request.GET, batches=batches, is_owner=is_owner)
    form.is_valid()
    notes = form.ignored()
    filters = form.filters(is_owner=is_owner)
    after, before = _list_cursors(request, filters.sort, notes)
    page = screening_queries.record_list_page(
        review, membership, filters, after=after, before=before
    )
    count = screening_queries.record_list_count(review, membership, filters)
    field, descending = filters.sort.removeprefix("-"), filters.sort.startswith("-")
    context = {
        "review": review,
        "membership": membership,
        "form": form,
        "filters": filters,
        "notes": notes,
        "page": page,
        "query": _list_query(filters),
        "count": count,
        "count_cap": screening_queries.RECORD_LIST_COUNT_CAP,
        "count_capped": count > screening_queries.RECORD_LIST_COUNT_CAP,
        "sort_field": field,
        "sort_order": "descending" if descending else "ascending",
        # Each sortable column's link: the other direction when it is the current sort.
        "sort_links": {
            name: (f"-{name}" if name == field and not descending else name)
            for name in ("id", "year", "title")
        },
    }
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "screening/record_list.html#table" if fragment else "screening/record_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Exports ---------------------------------------------------------------------------
# Owners only: the exports show every reviewer's votes. Record exports take ?status=
# (all, included, excluded, conflict, pending; all when absent).

_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EXPORT_CHOICES = (
    ("all", "All records"),
    ("included", "Included"),
    ("excluded", "Excluded"),
    ("conflict", "Conflicts"),
    ("pending", "Pending"),
)


def _export_status(request) -> str | None:
    """The ?status= of a record export, or None when it is not one of the filters."""
    status = request.GET.get("status") or "all"
    return status if status in screening_exports.STATUS_FILTERS else None


def _bad_export_status(request) -> HttpResponseBadRequest:
    names = ", ".join(screening_exports.STATUS_FILTERS)
    return HttpResponseBadRequest(f"Unknown status {request.GET.get('status')!r}: use {names}.")


def _download(response, file_name: str):
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def exports(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    counts = screening_queries.status_counts(review)
    choices = []
    for status, label in _EXPORT_CHOICES:
        selected = screening_exports.STATUS_FILTERS[status]
        count = sum(n for name, n in counts.items() if selected is None or name in selected)
        choices.append({"status": status, "label": label, "count": count})
    context = {
        "review": review,
        "membership": membership,
        "choices": choices,
        "open_conflicts": counts["conflict"],  # for the navigation's badge
    }
    return render(request, "screening/exports.html", context)


@login_required
@require_GET
def export_records_csv(request, slug):
    review, _membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    status = _export_status(request)
    if status is None:
        return _bad_export_status(request)
    rows = screening_exports.export_records_csv(review, status=status)
    name = screening_exports.export_file_name(review, f"records-{status}", "csv")
    return _download(StreamingHttpResponse(rows, content_type=_EXPORT_TYPES["csv"]), name)


@login_required
@require_GET
def export_records_ris(request, slug):
    review, _membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    status = _export_status(request)
    if status is None:
        return _bad_export_status(request)
    entries = screening_exports.export_records_ris(review, status=status)
    name = screening_exports.export_file_name(review, f"records-{status}", "ris")
    return _download(StreamingHttpResponse(entries, content_type=_EXPORT_TYPES["ris"]), name)


@login_required
@require_GET
def export_records_xlsx(request, slug):
    """A workbook cannot be streamed as it is written (its zip directory comes last): it is
    written to a temporary file, which is sent and then deleted."""
    review, _membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    status = _export_status(request)
    if status is None:
        return _bad_export_status(request)
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    try:
        screening_exports.export_records_xlsx(review, status=status, path_or_stream=output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    name = screening_exports.export_file_name(review, f"records-{status}", "xlsx")
    return _download(FileResponse(output, content_type=_EXPORT_TYPES["xlsx"]), name)


@login_required
@require_GET
def export_audit_csv(request, slug):
    review, _membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    rows = screening_exports.export_audit_csv(review)
    name = screening_exports.export_file_name(review, "audit", "csv")
    return _download(StreamingHttpResponse(rows, content_type=_EXPORT_TYPES["csv"]), name)


# --- Ranking and stopping --------------------------------------------------------------


class RankingSettingsForm(forms.Form):
    relevance_order = forms.BooleanField(required=False, label="Relevance order")
    retrain_every = forms.IntegerField(
        min_value=1, max_value=1000, label="Retrain after this many new decisions"
    )


def _ranking_page(request, review, membership, form=None, status=200):
    from screening import queries as q

    context = {
        "review": review,
        "membership": membership,
        "form": form
        or RankingSettingsForm(
            initial={
                "relevance_order": review.relevance_order,
                "retrain_every": review.retrain_every,
            }
        ),
        "state": q.ranking_state(review),
        "top_records": q.screenable_records(review)
        .filter(relevance_score__isnull=False)
        .annotate(relevance=F("relevance_score__score"))
        .order_by("-relevance", "id")[:10],
    }
    template = "screening/ranking.html"
    if request.GET.get("part") == "stopping":
        # The dashboard loads the stopping panel on its own, to stay fast.
        template += "#stopping"
    return render(request, template, context, status=status)


@login_required
@require_GET
def ranking(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    return _ranking_page(request, review, membership)


@login_required
@require_POST
def ranking_settings(request, slug):
    from screening.ranking_service import relevance_order_set

    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    form = RankingSettingsForm(request.POST)
    if not form.is_valid():
        return _ranking_page(request, review, membership, form=form)
    relevance_order_set(
        review=review,
        user=request.user,
        enabled=form.cleaned_data["relevance_order"],
        retrain_every=form.cleaned_data["retrain_every"],
    )
    messages.success(
        request,
        "Relevance order is on: queues follow the model's scores."
        if review.relevance_order
        else "Relevance order is off: queues follow import order.",
    )
    return redirect("screening:ranking", slug=review.slug)


@login_required
@require_POST
def ranking_retrain(request, slug):
    from screening.ranking_service import ranking_request

    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    ranking_request(review=review, user=request.user)
    messages.success(request, "The model will be retrained in the background.")
    return redirect("screening:ranking", slug=review.slug)


@login_required
@require_POST
def screening_stop(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    if request.POST.get("confirm") != "yes":
        # It excludes every record nobody has screened: one click must not do that.
        messages.error(
            request,
            "Screening was not stopped: tick the box to confirm that the records nobody has "
            "screened are to be excluded.",
        )
        return redirect("screening:ranking", slug=review.slug)
    try:
        event = services.screening_stop(review=review, user=request.user)
    except services.ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Screening stopped: {event.records_excluded} unscreened records were excluded by "
            "the stopping rule. You can undo this.",
        )
    return redirect("screening:ranking", slug=review.slug)


@login_required
@require_POST
def screening_resume(request, slug, event_id):
    from django.shortcuts import get_object_or_404

    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    event = get_object_or_404(review.stopping_events, id=event_id)
    services.screening_resume(event=event, user=request.user)
    messages.success(request, "Screening resumed: the excluded records are back in the queues.")
    return redirect("screening:ranking", slug=review.slug)


# --- Conflicts and dashboard ---
# The conflicts queue and resolve page are for owners and members marked as resolvers, the
# dashboard for owners: they show every reviewer's votes, so the role is checked (403) before
# anything else about the review is read.

_RESOLVABLE = ("conflict", "resolved_included", "resolved_excluded")


def _resolver_review(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug)
    if not membership.can_resolve:
        raise PermissionDenied("Only the review's owners and resolvers may see its conflicts.")
    return review, membership


def _is_fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@login_required
@require_GET
def conflicts(request, slug):
    review, membership = _resolver_review(request, slug)
    ids = screening_queries.conflict_ids(review)
    records = screening_queries.conflict_records(
        review, ids[: screening_queries.CONFLICT_LIST_LIMIT]
    )
    reviewers = {vote.reviewer_id: vote.reviewer for record in records for vote in record.votes}
    columns = sorted(reviewers.values(), key=lambda user: user.get_username())
    rows = []
    for record in records:
        by_reviewer = {vote.reviewer_id: vote for vote in record.votes}
        rows.append({"record": record, "votes": [by_reviewer.get(user.id) for user in columns]})
    context = {
        "review": review,
        "membership": membership,
        "open_conflicts": len(ids),
        "columns": columns,
        "rows": rows,
        "resolutions": screening_queries.recent_resolutions(review),
        "resolution_limit": screening_queries.RECENT_RESOLUTIONS,
        "single_screening": review.required_decisions < 2,
    }
    fragment = "#queue" if _is_fragment(request) else ""
    response = render(request, f"screening/conflicts.html{fragment}", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _resolve_url(review, record_id: int | None) -> str:
    if record_id is None:
        return reverse("screening:conflict-next", args=[review.slug])
    return reverse("screening:conflict-resolve", args=[review.slug, record_id])


def _following(ids: list[int], record_id: int | None) -> int | None:
    """The open conflict after `record_id` in import order, wrapping to the first."""
    later = [i for i in ids if record_id is None or i > record_id]
    if later:
        return later[0]
    return next((i for i in ids if i != record_id), None)


def _resolve_context(request, review, membership, record, ids, *, form=None, status=""):
    """Everything the resolve page shows for `record` (None: no open conflict is left).

    `form` carries a rejected submission to show again; otherwise the current resolution,
    if any, is preselected.
    """
    context = {
        "review": review,
        "membership": membership,
        "record": record,
        "open_conflicts": len(ids),
        "status": status,
        "reasons": list(reviews_queries.active_reasons(review)),
    }
    if record is None:
        return context
    resolution = screening_queries.resolution_of(record)
    if form is None:
        form = {
            "verdict": resolution.verdict if resolution else "",
            "reasons": {reason.id for reason in resolution.reasons.all()} if resolution else set(),
            "note": resolution.note if resolution else "",
            "error": "",
        }
    earlier = [i for i in ids if i < record.id]
    following = _following(ids, record.id)
    context.update(
        form=form,
        hl=_highlighted(record, review),
        sources=_record_sources(record),
        votes=screening_queries.record_votes(record),
        resolution=resolution,
        history=screening_queries.resolution_history(record) if resolution else [],
        position=len(earlier) + 1 if record.id in ids else None,
        prev_url=_resolve_url(review, earlier[-1]) if earlier else None,
        next_url=_resolve_url(review, following) if following is not None else None,
    )
    return context


def _resolve_response(request, context, *, push=None):
    """The whole resolve page, or for htmx just its #screen fragment (pushing `push`)."""
    if _is_fragment(request):
        # The navigation's count is outside the fragment: swapped out of band.
        response = render(request, "screening/resolve.html#resolve", {**context, "oob_badge": True})
        if push:
            push_url(response, push)
    else:
        response = render(request, "screening/resolve.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def conflict_next(request, slug):
    """The first open conflict (after ?after=, wrapping), or word that none is left."""
    review, membership = _resolver_review(request, slug)
    ids = screening_queries.conflict_ids(review)
    following = _following(ids, _int_or_none(request.GET.get("after")))
    record = None
    if following is not None:
        record = screening_queries.record_for_screening(review, following)
    context = _resolve_context(request, review, membership, record, ids)
    return _resolve_response(request, context)


@login_required
@require_http_methods(["GET", "POST"])
def conflict_resolve(request, slug, record_id):
    review, membership = _resolver_review(request, slug)
    record = screening_queries.record_for_screening(review, record_id)
    status = screening_queries.record_statuses(review, [record.id]).get(record.id)
    if status not in _RESOLVABLE:
        message = f"Record {record.id} is not in conflict: nothing to resolve."
        if request.method == "GET":
            raise Http404(message)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    ids = screening_queries.conflict_ids(review)
    if request.method == "GET":
        return _resolve_response(
            request, _resolve_context(request, review, membership, record, ids)
        )

    verdict = request.POST.get("verdict", "")
    reason_ids = request.POST.getlist("reason")
    note = request.POST.get("note", "")
    try:
        resolution = services.conflict_resolve(
            review=review,
            record=record,
            resolver=request.user,
            verdict=verdict,
            reason_ids=reason_ids,
            note=note,
        )
    except services.ReasonRequired as error:
        form = _form_again(verdict, reason_ids, note, error)
        context = _resolve_context(request, review, membership, record, ids, form=form)
        return _resolve_response(request, context)
    except services.InvalidDecision as error:
        return HttpResponseBadRequest(
            " ".join(error.messages), content_type="text/plain; charset=utf-8"
        )
    saved = f"Resolved: {resolution.get_verdict_display()} for record {record.id}."
    ids = [i for i in ids if i != record.id]
    following = _following(ids, record.id)
    url = _resolve_url(review, following)
    if not request.htmx:
        messages.success(request, saved)
        return redirect(url)
    following_record = None
    if following is not None:
        following_record = screening_queries.record_for_screening(review, following)
    context = _resolve_context(request, review, membership, following_record, ids, status=saved)
    response = _resolve_response(request, context, push=url)
    trigger_client_event(response, "conflictResolved", {"record": record.id, "verdict": verdict})
    return response


# Dashboard (owners)


def _prisma_context(review, *, inputs=None, form=None) -> dict:
    """The PRISMA 2020 diagram (inline SVG), its warnings and the manual numbers form."""
    if inputs is None:
        inputs = screening_queries.prisma_inputs(review)
    counts = prisma_counts(inputs)
    if form is None:
        form = PrismaManualForm(initial=PrismaManualForm.initial_from(inputs))
    return {
        "prisma": counts,
        # render_svg builds the SVG with ElementTree, which escapes every text and attribute
        # (source names, reasons): safe to inline.
        "prisma_svg": mark_safe(render_svg(counts)),  # noqa: S308
        "prisma_form": form,
        "number_fields": [form[name] for name in MANUAL_FIELDS],
        "list_fields": [form[name] for name in LIST_FIELDS],
    }


def _dashboard_context(review, membership, *, form=None) -> dict:
    numbers = screening_queries.dashboard_numbers(review)
    counts = numbers.counts
    return {
        "review": review,
        "membership": membership,
        "counts": counts,
        "screenable": numbers.screenable,
        "open_conflicts": counts["conflict"],
        "resolved": counts["resolved_included"] + counts["resolved_excluded"],
        "progress": numbers.progress,
        "pairs": numbers.pairs,
        "fleiss": numbers.fleiss,
        **_prisma_context(review, inputs=numbers.prisma, form=form),
    }


@login_required
@require_GET
def dashboard(request, slug):
    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    context = _dashboard_context(review, membership)
    fragment = "#dashboard" if _is_fragment(request) else ""
    response = render(request, f"screening/dashboard.html{fragment}", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def prisma_numbers(request, slug):
    """Save the PRISMA numbers entered by hand. An invalid entry saves nothing and comes back
    with its message (status 200, so htmx shows it)."""
    review, membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    form = PrismaManualForm(request.POST)
    fragment = _is_fragment(request)
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in (*MANUAL_FIELDS, *LIST_FIELDS)}
        PrismaManual.objects.update_or_create(review=review, defaults=values)
        saved = "PRISMA numbers saved."
        if not fragment:
            messages.success(request, saved)
            return redirect(reverse("screening:dashboard", args=[review.slug]) + "#prisma")
        context = {"review": review, "prisma_status": saved, **_prisma_context(review)}
        return render(request, "screening/dashboard.html#prisma", context)
    if fragment:
        context = {"review": review, **_prisma_context(review, form=form)}
        return render(request, "screening/dashboard.html#prisma", context)
    context = _dashboard_context(review, membership, form=form)
    return render(request, "screening/dashboard.html", context)


def _prisma_download(request, slug, extension: str, content_type: str, render_to):
    review, _membership = reviews_queries.review_for_user(request.user, slug, owner=True)
    counts = prisma_counts(screening_queries.prisma_inputs(review))
    response = HttpResponse(render_to(counts), content_type=content_type)
    return _download(response, screening_exports.export_file_name(review, "prisma", extension))


@login_required
@require_GET
def prisma_svg(request, slug):
    return _prisma_download(request, slug, "svg", "image/svg+xml; charset=utf-8", render_svg)


@login_required
@require_GET
def prisma_png(request, slug):
    return _prisma_download(request, slug, "png", "image/png", render_png)


@login_required
@require_GET
def prisma_csv(request, slug):
    return _prisma_download(request, slug, "csv", "text/csv; charset=utf-8", to_template_csv)
