import pytest
from django.urls import reverse

from reviews.imports import records_import
from reviews.models import Record
from screening.models import RankingRun, StoppingEvent
from tests.screening.test_ranking_product import topical_ris
from tests.screening.test_services import decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(review):
    records_import(review=review, data=topical_ris(3), file_name="t.ris", source_name="PubMed")
    return list(Record.objects.filter(review=review).order_by("id"))


def test_ranking_permissions(client_for, review, owner, reviewer, outsider, imported):
    page = reverse("screening:ranking", args=[review.slug])
    posts = [
        reverse("screening:ranking-settings", args=[review.slug]),
        reverse("screening:ranking-retrain", args=[review.slug]),
        reverse("screening:screening-stop", args=[review.slug]),
    ]
    assert client_for(None).get(page).status_code == 302
    assert client_for(outsider).get(page).status_code == 404
    assert client_for(reviewer).get(page).status_code == 403
    assert client_for(owner).get(page).status_code == 200
    assert client_for(owner).post(page).status_code == 405
    for url in posts:
        assert client_for(outsider).post(url).status_code == 404
        assert client_for(reviewer).post(url).status_code == 403
        assert client_for(owner).get(url).status_code == 405
    assert StoppingEvent.objects.count() == 0


def test_turning_relevance_order_on_queues_training(client_for, review, owner, imported):
    decide(review, imported[0], owner, "include")
    decide(review, imported[1], owner, "exclude", ["Other"])
    client = client_for(owner)
    response = client.post(
        reverse("screening:ranking-settings", args=[review.slug]),
        {"relevance_order": "on", "retrain_every": "5"},
        follow=True,
    )
    review.refresh_from_db()
    assert (review.relevance_order, review.retrain_every) == (True, 5)
    assert "Relevance order is on" in response.content.decode()
    assert RankingRun.objects.get().status == "queued"
    bad = client.post(
        reverse("screening:ranking-settings", args=[review.slug]),
        {"relevance_order": "on", "retrain_every": "0"},
    )
    assert bad.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in bad.content.decode()


def test_stop_and_resume_from_the_page(client_for, review, owner, imported):
    decide(review, imported[0], owner, "include")
    client = client_for(owner)
    page = client.get(reverse("screening:ranking", args=[review.slug])).content.decode()
    assert "Exclude the 5 records nobody has screened" in page
    # Without the confirmation box ticked, nothing happens.
    response = client.post(reverse("screening:screening-stop", args=[review.slug]), follow=True)
    assert "Screening was not stopped: tick the box to confirm" in response.content.decode()
    assert StoppingEvent.objects.count() == 0
    response = client.post(
        reverse("screening:screening-stop", args=[review.slug]), {"confirm": "yes"}, follow=True
    )
    body = response.content.decode()
    assert "Screening stopped: 5 unscreened records were excluded by the stopping rule." in body
    event = StoppingEvent.objects.get()
    response = client.post(
        reverse("screening:screening-resume", args=[review.slug, event.id]), follow=True
    )
    assert "Screening resumed" in response.content.decode()
    event.refresh_from_db()
    assert event.undone_by == owner
    page = client.get(reverse("screening:ranking", args=[review.slug])).content.decode()
    assert 'id="since-last-include">0<' in page


def test_stopping_is_in_the_audit_log(client_for, review, owner, imported):
    from screening import services
    from screening.exports import export_audit_csv

    event = services.screening_stop(review=review, user=owner)
    services.screening_resume(event=event, user=owner)
    rows = "".join(export_audit_csv(review)).splitlines()
    stopped = [row for row in rows if "screening stopped" in row]
    resumed = [row for row in rows if "screening resumed" in row]
    assert len(stopped) == 1 and len(resumed) == 1
    assert stopped[0].endswith(
        ",owner,screening stopped,,,,,,6 records excluded by automation tool (stopping rule)"
    )


def test_dashboard_loads_the_stopping_panel(client_for, review, owner, imported):
    decide(review, imported[0], owner, "include")
    decide(review, imported[1], owner, "exclude", ["Other"])
    client = client_for(owner)
    ranking_url = reverse("screening:ranking", args=[review.slug])
    dashboard = client.get(reverse("screening:dashboard", args=[review.slug])).content.decode()
    assert f'hx-get="{ranking_url}?part=stopping"' in dashboard
    panel = client.get(ranking_url, {"part": "stopping"}).content.decode()
    assert panel.lstrip().startswith('<section class="card" id="stopping">')
    assert 'id="since-last-include">1<' in panel
    assert "After 2 of 6 records (33.3%) had been screened" in panel
