import pytest
from django.urls import reverse

from reviews import services
from reviews.models import ExclusionReason, Review, ReviewMember

pytestmark = pytest.mark.django_db


def member_of(review, user):
    return ReviewMember.objects.get(review=review, user=user)


# (url name, kwargs builder, method, minimum role) for every URL of the skeleton.
# Role "any" means any member; "owner" means owners only.
def urls_for(review, reviewer_member):
    slug = review.slug
    return [
        ("reviews:review-detail", {"slug": slug}, "get", "any"),
        ("reviews:review-settings", {"slug": slug}, "get", "owner"),
        ("reviews:review-settings", {"slug": slug}, "post", "owner"),
        ("reviews:member-add", {"slug": slug}, "post", "owner"),
        ("reviews:member-role", {"slug": slug, "member_id": reviewer_member.id}, "post", "owner"),
        ("reviews:member-remove", {"slug": slug, "member_id": reviewer_member.id}, "post", "owner"),
    ]


def test_permission_matrix(client_for, review, owner, reviewer, outsider):
    target = member_of(review, reviewer)
    for name, kwargs, method, role in urls_for(review, target):
        url = reverse(name, kwargs=kwargs)
        anonymous = getattr(client_for(None), method)(url)
        assert anonymous.status_code == 302, (name, method)
        assert anonymous.url.startswith(reverse("login")), name
        assert getattr(client_for(outsider), method)(url).status_code == 404, (name, method)
        expected_reviewer = 200 if role == "any" else 403
        assert getattr(client_for(reviewer), method)(url).status_code == expected_reviewer, name
    # Owners: GETs give 200; POSTs without valid data re-render (200) or redirect (302).
    for name, kwargs, method, _role in urls_for(review, target):
        url = reverse(name, kwargs=kwargs)
        response = getattr(client_for(owner), method)(url)
        assert response.status_code in ({200} if method == "get" else {200, 302}), name


def test_list_and_create_need_login(client_for):
    for name in ("reviews:review-list", "reviews:review-create"):
        response = client_for(None).get(reverse(name))
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={reverse(name)}"


def test_wrong_methods_get_405(client_for, review, owner):
    client = client_for(owner)
    target = member_of(review, owner)
    assert client.post(reverse("reviews:review-list")).status_code == 405
    assert client.put(reverse("reviews:review-create")).status_code == 405
    assert client.post(reverse("reviews:review-detail", args=[review.slug])).status_code == 405
    assert client.delete(reverse("reviews:review-settings", args=[review.slug])).status_code == 405
    for name in ("reviews:member-role", "reviews:member-remove"):
        url = reverse(name, args=[review.slug, target.id])
        assert client.get(url).status_code == 405
    assert client.get(reverse("reviews:member-add", args=[review.slug])).status_code == 405


def test_create_review_makes_creator_owner_with_default_reasons(client_for, outsider):
    response = client_for(outsider).post(
        reverse("reviews:review-create"),
        {"title": "  Yoga   for back pain ", "description": "d", "inclusion_criteria": "RCTs"},
    )
    review = Review.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("reviews:review-detail", args=[review.slug])
    assert review.title == "Yoga for back pain"
    assert review.slug == "yoga-for-back-pain"
    assert review.required_decisions == 2
    assert review.blind_screening is True
    assert list(review.members.values_list("user__username", "role")) == [("outsider", "owner")]
    assert list(review.reasons.values_list("label", flat=True)) == [
        "Wrong population",
        "Wrong intervention or exposure",
        "Wrong comparator",
        "Wrong outcome",
        "Wrong study design",
        "Wrong publication type",
        "Not in an eligible language",
        "Duplicate",
        "Other",
    ]


def test_slugs_are_unique(owner):
    first = services.review_create(title="Same title", owner=owner)
    second = services.review_create(title="Same title", owner=owner)
    assert (first.slug, second.slug) == ("same-title", "same-title-2")


def test_owner_adds_member_by_username_and_email(client_for, review, owner, outsider):
    client = client_for(owner)
    url = reverse("reviews:member-add", args=[review.slug])
    response = client.post(url, {"identifier": "OUTSIDER@example.org", "role": "reviewer"})
    assert response.status_code == 302
    assert member_of(review, outsider).role == "reviewer"
    response = client.post(url, {"identifier": "outsider", "role": "owner"}, follow=True)
    assert "outsider is already a member of this review." in response.content.decode()


def test_adding_unknown_user_is_refused_with_message(client_for, review, owner):
    response = client_for(owner).post(
        reverse("reviews:member-add", args=[review.slug]),
        {"identifier": "nobody", "role": "reviewer"},
        follow=True,
    )
    assert "No user with the username or e-mail &#x27;nobody&#x27;." in response.content.decode()
    assert review.members.count() == 3


def test_member_add_htmx_returns_fragment(client_for, review, owner, outsider):
    response = client_for(owner).post(
        reverse("reviews:member-add", args=[review.slug]),
        {"identifier": "outsider", "role": "reviewer"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="members">')
    assert "<html" not in body
    assert "outsider added as reviewer." in body


def test_last_owner_cannot_be_demoted_or_removed(client_for, review, owner):
    client = client_for(owner)
    me = member_of(review, owner)
    response = client.post(
        reverse("reviews:member-role", args=[review.slug, me.id]), {"role": "reviewer"}, follow=True
    )
    assert "owner is the last owner of this review." in response.content.decode()
    response = client.post(reverse("reviews:member-remove", args=[review.slug, me.id]), follow=True)
    assert "owner is the last owner of this review and cannot be removed." in (
        response.content.decode()
    )
    assert member_of(review, owner).role == "owner"


def test_owner_can_step_down_once_another_owner_exists(client_for, review, owner, reviewer):
    client = client_for(owner)
    other = member_of(review, reviewer)
    client.post(reverse("reviews:member-role", args=[review.slug, other.id]), {"role": "owner"})
    me = member_of(review, owner)
    client.post(reverse("reviews:member-role", args=[review.slug, me.id]), {"role": "reviewer"})
    roles = dict(review.members.values_list("user__username", "role"))
    assert roles == {"owner": "reviewer", "reviewer": "owner", "second_reviewer": "reviewer"}


def test_remove_member(client_for, review, owner, reviewer):
    target = member_of(review, reviewer)
    client_for(owner).post(reverse("reviews:member-remove", args=[review.slug, target.id]))
    assert set(review.members.values_list("user__username", flat=True)) == {
        "owner",
        "second_reviewer",
    }


def settings_data(**overrides):
    data = {
        "title": "Exercise for depression",
        "description": "",
        "inclusion_criteria": "RCTs",
        "exclusion_criteria": "",
        "required_decisions": "3",
        "blind_screening": "",
        "include_terms": "random*, trial\nexercise",
        "exclude_terms": "rat\nmice",
        "reasons": "Wrong population\nWrong outcome\nAnimal study",
    }
    data.update(overrides)
    return data


def test_settings_are_saved(client_for, review, owner):
    old_ids = dict(review.reasons.values_list("label", "id"))
    response = client_for(owner).post(
        reverse("reviews:review-settings", args=[review.slug]), settings_data()
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.required_decisions == 3
    assert review.blind_screening is False
    assert review.include_terms == ["random*", "trial", "exercise"]
    assert review.exclude_terms == ["rat", "mice"]
    active = list(review.reasons.filter(is_active=True).values_list("label", "id"))
    assert [label for label, _ in active] == ["Wrong population", "Wrong outcome", "Animal study"]
    # Kept reasons keep their ids; dropped ones are archived, not deleted.
    assert active[0][1] == old_ids["Wrong population"]
    assert ExclusionReason.objects.filter(review=review, is_active=False).count() == 7


@pytest.mark.parametrize(
    ("reasons", "message"),
    [
        ("Wrong population\n   \nOther", "Reason 2 is empty."),
        ("Other\nWrong outcome\nother", "&#x27;other&#x27; is listed twice (reasons 1 and 3)."),
        ("   ", "This field is required."),
    ],
)
def test_bad_reasons_are_refused(client_for, review, owner, reasons, message):
    response = client_for(owner).post(
        reverse("reviews:review-settings", args=[review.slug]), settings_data(reasons=reasons)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    review.refresh_from_db()
    assert review.required_decisions == 2
    assert review.reasons.filter(is_active=True).count() == 9


def test_required_decisions_out_of_range_is_refused(client_for, review, owner):
    response = client_for(owner).post(
        reverse("reviews:review-settings", args=[review.slug]),
        settings_data(required_decisions="4"),
    )
    assert response.status_code == 200
    assert "Select a valid choice. 4 is not one of the available choices." in (
        response.content.decode()
    )


def _make_reviews(owner, count):
    for i in range(count):
        services.review_create(title=f"Review {i}", owner=owner)


@pytest.mark.parametrize("count", [1, 3])
def test_review_list_query_count(client_for, owner, count, django_assert_num_queries):
    _make_reviews(owner, count)
    client = client_for(owner)
    # session, user, reviews
    with django_assert_num_queries(3):
        response = client.get(reverse("reviews:review-list"))
    assert response.content.decode().count('href="/reviews/review-') == count


@pytest.mark.parametrize("extra_members", [0, 2])
def test_review_page_query_count(
    client_for, owner, extra_members, django_assert_num_queries, outsider, reviewer
):
    review = services.review_create(title="Query counts", owner=owner)
    for user in [outsider, reviewer][:extra_members]:
        ReviewMember.objects.create(review=review, user=user)
    client = client_for(owner)
    # session, user, membership+review, record counts, members, reasons, and the open
    # conflicts counted for an owner's navigation
    with django_assert_num_queries(7):
        response = client.get(reverse("reviews:review-detail", args=[review.slug]))
    assert response.content.decode().count('<tr id="member-') == 1 + extra_members


def test_help_texts_are_the_fields_descriptions(client_for, review, owner):
    import re

    body = client_for(owner).get(reverse("reviews:review-settings", args=[review.slug]))
    html = body.content.decode()
    described = set(re.findall(r'aria-describedby="([^"]+)"', html))
    assert described
    for help_id in described:
        assert f'id="{help_id}"' in html, help_id


def test_403_and_404_pages_are_the_apps(client_for, review, reviewer, outsider):
    url = reverse("reviews:review-settings", args=[review.slug])
    denied = client_for(reviewer).get(url)
    assert denied.status_code == 403
    body = denied.content.decode()
    assert "<h1>Not allowed</h1>" in body
    assert "Only the review&#x27;s owners may do this." in body
    missing = client_for(outsider).get(url)
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in missing.content.decode()
    assert review.title not in missing.content.decode()
