import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from reviews.imports import records_import
from reviews.models import ImportBatch, Record
from tests.reviews.test_imports import RIS, RIS_SAME_DOI

pytestmark = pytest.mark.django_db


def upload(client, review, *files, **fields):
    data = {"source_name": "Embase", "source_kind": "database", "search_date": "2026-02-01"}
    data.update(fields)
    data["files"] = [SimpleUploadedFile(name, content) for name, content in files]
    return client.post(reverse("reviews:batch-upload", args=[review.slug]), data)


def test_import_page_permissions(client_for, review, owner, reviewer, outsider):
    batch_url = reverse("reviews:batch-list", args=[review.slug])
    dup_url = reverse("reviews:duplicate-list", args=[review.slug])
    for url in (batch_url, dup_url):
        assert client_for(None).get(url).status_code == 302
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(reviewer).get(url).status_code == 403
        assert client_for(owner).get(url).status_code == 200
        assert client_for(owner).put(url).status_code == 405
    for name in ("reviews:batch-upload", "reviews:batch-confirm", "reviews:duplicate-link"):
        url = reverse(name, args=[review.slug])
        assert client_for(outsider).post(url).status_code == 404
        assert client_for(reviewer).post(url).status_code == 403
        assert client_for(owner).get(url).status_code == 405


def test_upload_previews_then_confirm_imports(client_for, review, owner):
    client = client_for(owner)
    response = upload(client, review, ("a.ris", RIS), ("b.ris", RIS_SAME_DOI))
    assert response.status_code == 302
    staged = list(ImportBatch.objects.order_by("id"))
    assert [(b.file_name, b.status, b.format, b.records_read) for b in staged] == [
        ("a.ris", "staged", "ris", 2),
        ("b.ris", "staged", "ris", 1),
    ]
    assert Record.objects.count() == 0
    page = client.get(reverse("reviews:batch-list", args=[review.slug])).content.decode()
    assert "Check before importing" in page
    assert 'id="staged-' in page

    response = client.post(
        reverse("reviews:batch-confirm", args=[review.slug]),
        {"batch": [b.id for b in staged], "confirm": ""},
        follow=True,
    )
    body = response.content.decode()
    assert "a.ris: imported 2 records, 0 duplicates." in body
    assert "b.ris: imported 1 records, 1 duplicates." in body
    assert Record.objects.count() == 3
    assert sorted(ImportBatch.objects.values_list("status", flat=True)) == ["done", "done"]
    assert not list(ImportBatch.objects.exclude(upload_path=""))


def test_upload_refuses_unreadable_file_with_its_name(client_for, review, owner):
    client = client_for(owner)
    response = upload(client, review, ("notes.txt", b"hello world\n"))
    assert response.status_code == 302
    body = client.get(response.url).content.decode()
    assert "Refused: notes.txt, line 1: unknown format" in body
    assert ImportBatch.objects.count() == 0


def test_an_empty_file_is_refused_by_name_and_the_others_go_on(client_for, review, owner):
    client = client_for(owner)
    response = upload(client, review, ("empty.ris", b""), ("a.ris", RIS))
    assert response.status_code == 302
    body = client.get(response.url).content.decode()
    assert "Refused: empty.ris: the file is empty" in body
    assert list(ImportBatch.objects.values_list("file_name", "status")) == [("a.ris", "staged")]


def test_each_file_of_an_upload_can_name_its_source(client_for, review, owner):
    client = client_for(owner)
    upload(client, review, ("a.ris", RIS), ("b.ris", RIS_SAME_DOI), source_name="Mixed")
    a, b = ImportBatch.objects.order_by("id")
    page = client.get(reverse("reviews:batch-list", args=[review.slug])).content.decode()
    assert f'name="source-{a.id}" value="Mixed"' in page
    confirm = reverse("reviews:batch-confirm", args=[review.slug])
    bad = client.post(
        confirm,
        {"batch": [a.id, b.id], "confirm": "", f"source-{a.id}": " ", f"source-{b.id}": "X"},
        follow=True,
    )
    assert "a.ris: name its source in 1 to 200 characters." in bad.content.decode()
    assert list(ImportBatch.objects.values_list("status", "source_name")) == [
        ("staged", "Mixed"),
        ("staged", "Mixed"),
    ]
    client.post(
        confirm,
        {
            "batch": [a.id, b.id],
            "confirm": "",
            f"source-{a.id}": "MEDLINE",
            f"kind-{a.id}": "database",
            f"source-{b.id}": "ClinicalTrials.gov",
            f"kind-{b.id}": "register",
        },
    )
    assert list(
        ImportBatch.objects.order_by("id").values_list("status", "source_name", "source_kind")
    ) == [("done", "MEDLINE", "database"), ("done", "ClinicalTrials.gov", "register")]


def test_discard_staged_upload(client_for, review, owner):
    client = client_for(owner)
    upload(client, review, ("a.ris", RIS))
    batch = ImportBatch.objects.get()
    client.post(
        reverse("reviews:batch-confirm", args=[review.slug]), {"batch": batch.id, "discard": ""}
    )
    assert ImportBatch.objects.count() == 0
    assert Record.objects.count() == 0


def test_large_upload_runs_in_the_background_worker(
    client_for, review, owner, settings, transactional_db
):
    settings.BACKGROUND_IMPORT_BYTES = 10
    client = client_for(owner)
    upload(client, review, ("big.ris", RIS))
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.records_read) == ("staged", 0)
    client.post(reverse("reviews:batch-confirm", args=[review.slug]), {"batch": batch.id})
    batch.refresh_from_db()
    assert batch.status == "queued"
    row = client.get(reverse("reviews:batch-progress", args=[review.slug, batch.id]))
    assert 'hx-trigger="every 1s"' in row.content.decode()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    batch.refresh_from_db()
    assert (batch.status, batch.records_created, batch.progress) == ("done", 2, 100)
    assert Record.objects.filter(batch=batch).count() == 2
    row = client.get(reverse("reviews:batch-progress", args=[review.slug, batch.id]))
    assert "hx-trigger" not in row.content.decode()
    assert "2 records, 0 duplicates" in row.content.decode()


def test_duplicates_page_unlink_and_link(client_for, review, owner):
    records_import(review=review, data=RIS, file_name="a.ris", source_name="PubMed")
    records_import(review=review, data=RIS_SAME_DOI, file_name="b.ris", source_name="Embase")
    client = client_for(owner)
    duplicate = Record.objects.get(batch__file_name="b.ris")
    page = client.get(reverse("reviews:duplicate-list", args=[review.slug])).content.decode()
    assert f'id="pair-{duplicate.id}"' in page
    assert "same DOI" in page

    client.post(reverse("reviews:duplicate-unlink", args=[review.slug, duplicate.id]))
    duplicate.refresh_from_db()
    assert (duplicate.duplicate_of, duplicate.duplicate_reason) == (None, "")

    other = Record.objects.get(batch__file_name="a.ris", position=2)
    client.post(
        reverse("reviews:duplicate-link", args=[review.slug]),
        {"duplicate": duplicate.id, "kept": other.id},
    )
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of == other
    assert duplicate.duplicate_reason == "marked by owner"


def test_duplicate_link_refuses_records_of_other_reviews(client_for, review, owner):
    from reviews import services

    other_review = services.review_create(title="Other", owner=owner)
    records_import(review=review, data=RIS, file_name="a.ris", source_name="PubMed")
    records_import(review=other_review, data=RIS_SAME_DOI, file_name="b.ris", source_name="X")
    mine = Record.objects.filter(review=review).first()
    theirs = Record.objects.get(review=other_review)
    response = client_for(owner).post(
        reverse("reviews:duplicate-link", args=[review.slug]),
        {"duplicate": mine.id, "kept": theirs.id},
        follow=True,
    )
    assert "Both record numbers must be records of this review." in response.content.decode()
    mine.refresh_from_db()
    assert mine.duplicate_of is None


def test_admin_import(client, review, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client.force_login(owner)
    response = client.post(
        reverse("admin:reviews_importbatch_add"),
        {
            "review": review.id,
            "upload": SimpleUploadedFile("admin.ris", RIS),
            "source_name": "CINAHL",
            "source_kind": "database",
            "search_date": "2026-03-01",
        },
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.file_name, batch.source_name, batch.records_created, batch.imported_by) == (
        "admin.ris",
        "CINAHL",
        2,
        owner,
    )
    response = client.post(
        reverse("admin:reviews_importbatch_add"),
        {
            "review": review.id,
            "upload": SimpleUploadedFile("x.txt", b"nonsense"),
            "source_name": "X",
            "source_kind": "database",
        },
    )
    assert response.status_code == 200
    assert "x.txt, line 1: unknown format" in response.content.decode()
    assert ImportBatch.objects.count() == 1
