from django import forms
from django.contrib import admin, messages

from reviews.imports import ImportRefused, records_import
from reviews.models import ExclusionReason, ImportBatch, Record, Review, ReviewMember


class ReviewMemberInline(admin.TabularInline):
    model = ReviewMember
    extra = 1
    autocomplete_fields = ["user"]


class ExclusionReasonInline(admin.TabularInline):
    model = ExclusionReason
    extra = 0


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "required_decisions", "blind_screening", "created_at"]
    list_filter = ["blind_screening", "required_decisions", "created_at"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ReviewMemberInline, ExclusionReasonInline]


@admin.register(ReviewMember)
class ReviewMemberAdmin(admin.ModelAdmin):
    list_display = ["review", "user", "role", "is_resolver", "added_at"]
    list_filter = ["role", "is_resolver", "review"]
    search_fields = ["review__title", "user__username", "user__email"]
    autocomplete_fields = ["user", "review"]


class ImportBatchAddForm(forms.ModelForm):
    """The admin import: upload a file and say where it came from."""

    upload = forms.FileField(label="File")
    force = forms.BooleanField(required=False, label="Import again if already imported")

    class Meta:
        model = ImportBatch
        fields = ["review", "source_name", "source_kind", "search_date"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        review = cleaned.get("review")
        if upload is None or review is None or self.errors:
            return cleaned
        try:
            self.outcome_preview = records_import(
                review=review,
                data=b"".join(upload.chunks()),
                file_name=upload.name,
                source_name=cleaned.get("source_name") or "",
                source_kind=cleaned.get("source_kind") or ImportBatch.SourceKind.DATABASE,
                search_date=cleaned.get("search_date"),
                force=cleaned.get("force", False),
                dry_run=True,
            )
        except ImportRefused as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "review",
        "source_name",
        "source_kind",
        "format",
        "status",
        "records_created",
        "duplicates_found",
        "imported_at",
    ]
    list_filter = ["status", "source_kind", "format", "review"]
    search_fields = ["file_name", "source_name", "review__title", "sha256"]
    readonly_fields = [
        "file_name",
        "file_size",
        "sha256",
        "format",
        "encoding",
        "imported_by",
        "imported_at",
        "status",
        "forced",
        "records_read",
        "records_created",
        "duplicates_found",
        "progress",
        "warnings",
        "error",
    ]
    exclude = ["upload_path"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ImportBatchAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["review", "upload", "source_name", "source_kind", "search_date", "force"]
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        upload = form.cleaned_data["upload"]
        upload.seek(0)
        outcome = records_import(
            review=form.cleaned_data["review"],
            data=b"".join(upload.chunks()),
            file_name=upload.name,
            source_name=form.cleaned_data["source_name"],
            source_kind=form.cleaned_data["source_kind"],
            search_date=form.cleaned_data["search_date"],
            user=request.user,
            force=form.cleaned_data["force"],
        )
        # The service made the batch; the admin goes on with that row.
        obj.pk = obj.id = outcome.batch.pk
        obj.refresh_from_db()
        messages.success(
            request,
            f"{upload.name}: imported {outcome.records_created} records "
            f"({outcome.format}), {outcome.duplicates} duplicates.",
        )


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "year", "journal", "doi", "pmid", "batch", "duplicate_of"]
    list_filter = ["review", "batch__source_name"]
    search_fields = ["title", "doi", "pmid"]
    raw_id_fields = ["duplicate_of", "batch", "review"]
    readonly_fields = ["search_vector"]
    show_full_result_count = False
