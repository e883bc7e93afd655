from django.contrib import admin

from reviews.models import ExclusionReason, Review, ReviewMember


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
