from playwright.sync_api import expect

from reviews import services
from reviews.models import Record
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import login
from tests.reviews.test_imports import RIS, RIS_SAME_DOI


def test_owner_uploads_previews_and_imports_two_files(page, transactional_db, tmp_path):
    owner = make_user("olga")
    review = services.review_create(title="Exercise and mood", owner=owner)
    first, second = tmp_path / "pubmed.ris", tmp_path / "embase.ris"
    first.write_bytes(RIS)
    second.write_bytes(RIS_SAME_DOI)

    login(page, "olga", PASSWORD)
    page.goto(f"/reviews/{review.slug}/")
    page.get_by_role("link", name="Imports").click()
    page.get_by_label("Export files").set_input_files([str(first), str(second)])
    page.get_by_label("Source", exact=True).fill("MEDLINE (PubMed)")
    page.get_by_role("button", name="Upload and preview").click()

    preview = page.locator("#preview")
    expect(preview).to_contain_text("Check before importing")
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview).to_contain_text("pubmed.ris")
    page.get_by_role("button", name="Import 2 files").click()

    expect(page.get_by_text("pubmed.ris: imported 2 records, 0 duplicates.")).to_be_visible()
    expect(page.get_by_text("embase.ris: imported 1 records, 1 duplicates.")).to_be_visible()
    expect(page.locator("#batches tbody tr")).to_have_count(2)
    assert Record.objects.filter(review=review).count() == 3

    page.get_by_role("link", name="Duplicates").click()
    expect(page.locator(".pair")).to_have_count(1)
    expect(page.locator(".pair-reason")).to_contain_text("same DOI")
    page.get_by_role("button", name="Not a duplicate").click()
    expect(page.get_by_text("No duplicates found.")).to_be_visible()
    assert Record.objects.filter(review=review, duplicate_of__isnull=False).count() == 0
