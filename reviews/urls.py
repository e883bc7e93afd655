from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="review-list"),
    path("reviews/new/", views.review_create, name="review-create"),
    path("reviews/<slug:slug>/", views.review_detail, name="review-detail"),
    path("reviews/<slug:slug>/settings/", views.review_settings, name="review-settings"),
    path("reviews/<slug:slug>/members/add/", views.member_add, name="member-add"),
    path(
        "reviews/<slug:slug>/members/<int:member_id>/role/", views.member_role, name="member-role"
    ),
    path(
        "reviews/<slug:slug>/members/<int:member_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path("reviews/<slug:slug>/imports/", views.batch_list, name="batch-list"),
    path("reviews/<slug:slug>/imports/upload/", views.batch_upload, name="batch-upload"),
    path("reviews/<slug:slug>/imports/confirm/", views.batch_confirm, name="batch-confirm"),
    path(
        "reviews/<slug:slug>/imports/<int:batch_id>/progress/",
        views.batch_progress,
        name="batch-progress",
    ),
    path("reviews/<slug:slug>/duplicates/", views.duplicate_list, name="duplicate-list"),
    path("reviews/<slug:slug>/duplicates/link/", views.duplicate_link, name="duplicate-link"),
    path(
        "reviews/<slug:slug>/duplicates/<int:record_id>/unlink/",
        views.duplicate_unlink,
        name="duplicate-unlink",
    ),
]
