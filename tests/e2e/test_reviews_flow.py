import re

from playwright.sync_api import expect

from reviews.models import Review
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import login


def test_login_create_review_add_member_and_change_setting(page, transactional_db):
    make_user("alice")
    make_user("bob")
    login(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Your reviews")).to_be_visible()

    page.get_by_role("link", name="New review").click()
    page.get_by_label("Title").fill("Mindfulness for anxiety")
    page.get_by_label("Inclusion criteria").fill("Randomised trials in adults")
    page.get_by_role("button", name="Create review").click()
    expect(page.get_by_role("heading", name="Mindfulness for anxiety")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/reviews/mindfulness-for-anxiety/$"))

    # Adding a member swaps only the members section (htmx).
    page.get_by_label("Username or e-mail").fill("bob@example.org")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#members")).to_contain_text("bob added as reviewer.")
    expect(page.locator("#members tbody tr")).to_have_count(2)

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Independent decisions per record").select_option("3")
    page.get_by_label("Include terms").fill("random*\nmindful*")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_label("Independent decisions per record")).to_have_value("3")
    expect(page.get_by_label("Include terms")).to_have_value("random*\nmindful*")
    review = Review.objects.get(slug="mindfulness-for-anxiety")
    assert review.required_decisions == 3
    assert review.include_terms == ["random*", "mindful*"]
    assert list(review.members.values_list("user__username", "role")) == [
        ("alice", "owner"),
        ("bob", "reviewer"),
    ]
