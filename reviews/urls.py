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
]
