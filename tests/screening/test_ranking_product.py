import pytest
from django.core.management import call_command

from reviews.imports import records_import
from reviews.models import Record
from screening import queries, services
from screening.models import AutomationExclusion, RankingRun, RelevanceScore, StoppingEvent
from screening.prisma import prisma_counts
from screening.ranking_service import ranking_maybe_retrain, ranking_request, ranking_train
from tests.screening.test_services import decide

pytestmark = pytest.mark.django_db

TOPICS = {
    "exercise": "Aerobic exercise training reduced depressive symptoms in adults with depression",
    "surgery": "Laparoscopic surgery for hernia repair: operative time and complications",
}


def topical_ris(count_per_topic: int) -> bytes:
    entries = []
    for i in range(count_per_topic):
        for topic, sentence in TOPICS.items():
            entries.append(
                f"TY  - JOUR\nTI  - {topic.title()} study {i}\nAB  - {sentence}. Trial {i}.\n"
                f"PY  - 2020\nDO  - 10.1/{topic}.{i}\nER  - \n"
            )
    return "\n".join(entries).encode()


@pytest.fixture
def ranked_review(review):
    records_import(review=review, data=topical_ris(10), file_name="t.ris", source_name="PubMed")
    review.required_decisions = 1
    review.save()
    return review


def topic_of(record):
    return "exercise" if record.title.startswith("Exercise") else "surgery"


def test_training_scores_every_record_and_queue_follows_relevance(ranked_review, owner):
    review = ranked_review
    records = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, records[0], owner, "include")  # exercise
    decide(review, records[1], owner, "exclude", ["Other"])  # surgery
    run = ranking_train(run_id=ranking_request(review=review, user=owner).id)
    assert (run.status, run.trained_includes, run.trained_excludes, run.records_scored) == (
        "done",
        1,
        1,
        20,
    )
    assert Record.objects.filter(review=review, relevance_score__isnull=True).count() == 0
    assert RelevanceScore.objects.filter(review=review).count() == 20
    # Import order first, then relevance order once switched on.
    assert topic_of(queries.next_record(review, owner)) == "exercise"
    assert queries.next_record(review, owner).id == records[2].id
    review.relevance_order = True
    review.save()
    queue = list(queries.records_to_screen(review, owner)[:9])
    assert {topic_of(r) for r in queue} == {"exercise"}
    scores = [r.relevance for r in queue]
    assert scores == sorted(scores, reverse=True)
    # The screening page's queue (hand-written SQL) agrees with the queryset.
    first = queries.next_record(review, owner)
    assert (first.id, first.relevance) == (queue[0].id, queue[0].relevance)


def test_relevance_queue_puts_unscored_records_last_and_retraining_replaces_scores(
    ranked_review, owner
):
    review = ranked_review
    records = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, records[0], owner, "include")
    decide(review, records[1], owner, "exclude", ["Other"])
    ranking_train(run_id=ranking_request(review=review, user=owner).id)
    review.relevance_order = True
    review.save()
    scored = list(queries.records_to_screen(review, owner).values_list("id", flat=True))
    # Records imported after the training have no score: they come after every scored one.
    later = (
        "TY  - JOUR\nTI  - Yoga for anxiety in older adults\nPY  - 2021\n"
        "DO  - 10.2/late.1\nER  - \n"
        "TY  - JOUR\nTI  - Knee arthroplasty outcomes\nPY  - 2021\n"
        "DO  - 10.2/late.2\nER  - \n"
    )
    records_import(review=review, data=later.encode(), file_name="u.ris", source_name="Embase")
    unscored = sorted(
        Record.objects.filter(review=review, batch__file_name="u.ris").values_list("id", flat=True)
    )
    assert len(unscored) == 2
    queue = list(queries.records_to_screen(review, owner).values_list("id", flat=True))
    assert queue[: len(scored)] == scored
    assert queue[len(scored) :] == unscored
    # Screening every scored record reaches the unscored ones, in import order.
    for record_id in scored:
        decide(review, Record.objects.get(id=record_id), owner, "exclude", ["Other"])
    assert queries.next_record(review, owner).id == min(unscored)
    # A second training replaces the scores: one per screenable record, none left over.
    ranking_train(run_id=ranking_request(review=review, user=owner).id)
    screenable = queries.screenable_records(review).count()
    assert RelevanceScore.objects.filter(review=review).count() == screenable


def test_training_needs_both_labels(ranked_review, owner):
    review = ranked_review
    record = Record.objects.filter(review=review).first()
    decide(review, record, owner, "include")
    run = ranking_train(run_id=ranking_request(review=review).id)
    assert run.status == "failed"
    assert run.error == (
        "The model needs at least one include (or maybe) and one exclude to learn from."
    )


def test_retraining_is_due_every_k_decisions(
    ranked_review, owner, django_capture_on_commit_callbacks
):
    review = ranked_review
    review.relevance_order = True
    review.retrain_every = 3
    review.save()
    records = list(Record.objects.filter(review=review).order_by("id"))

    def decide_now(record, verdict, reasons=()):
        with django_capture_on_commit_callbacks(execute=True):
            decide(review, record, owner, verdict, reasons)

    decide_now(records[0], "include")
    assert RankingRun.objects.count() == 0  # nothing to learn from yet
    decide_now(records[1], "exclude", ["Other"])
    assert RankingRun.objects.count() == 1
    ranking_train(run_id=RankingRun.objects.get().id)
    decide_now(records[2], "include")
    decide_now(records[3], "exclude", ["Other"])
    assert RankingRun.objects.count() == 1
    assert ranking_maybe_retrain(review) is None
    decide_now(records[4], "include")
    assert RankingRun.objects.count() == 2


def test_retraining_runs_in_the_worker(ranked_review, owner, transactional_db):
    review = ranked_review
    records = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, records[0], owner, "include")
    decide(review, records[1], owner, "exclude", ["Other"])
    ranking_request(review=review, user=owner)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert RankingRun.objects.get().status == "done"


def test_stopping_excludes_unscreened_and_shows_in_prisma(ranked_review, owner, reviewer):
    review = ranked_review
    records = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, records[0], owner, "include")
    decide(review, records[1], reviewer, "exclude", ["Other"])
    event = services.screening_stop(review=review, user=owner)
    assert event.records_excluded == 18
    assert queries.records_to_screen(review, owner).count() == 0
    counts = prisma_counts(queries.prisma_inputs(review))
    assert (counts.excluded_human, counts.excluded_auto, counts.records_excluded) == (1, 18, 19)
    assert counts.reports_sought == 1
    assert queries.status_counts(review)["excluded_auto"] == 18

    services.screening_resume(event=event, user=owner)
    assert AutomationExclusion.objects.count() == 0
    assert StoppingEvent.objects.get().undone_by == owner
    assert queries.records_to_screen(review, owner).count() == 18
    counts = prisma_counts(queries.prisma_inputs(review))
    assert counts.excluded_auto == 0


def test_stopping_state_uses_screening_order(ranked_review, owner):
    review = ranked_review
    records = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, records[0], owner, "include")
    for record in records[1:6]:
        decide(review, record, owner, "exclude", ["Other"])
    state = queries.ranking_state(review)
    assert (state["screened"], state["total"]) == (6, 20)
    assert state["stopping"].screened_since_last_include == 5
    assert state["stopping"].can_stop is False


def test_cached_matrix_is_rebuilt_for_other_features_or_records(ranked_review, settings, tmp_path):
    import joblib

    from screening.ranking_service import _cache_path, review_matrix

    settings.RANKING_CACHE_DIR = str(tmp_path)
    ids, matrix = review_matrix(ranked_review)
    assert (len(ids), matrix.shape[0]) == (20, 20)
    path = _cache_path(ranked_review)
    cached = joblib.load(path)
    assert sorted(cached) == ["features", "ids", "matrix"]
    # A cache written for other features (an earlier model) is not used: it is rebuilt.
    joblib.dump({**cached, "features": "FeatureSpec(old)", "matrix": None}, path)
    assert review_matrix(ranked_review)[1] is not None
    assert joblib.load(path)["features"] == cached["features"]
    # Nor is one for another set of records.
    joblib.dump({**cached, "ids": cached["ids"][:5], "matrix": None}, path)
    assert review_matrix(ranked_review)[1].shape[0] == 20


def test_training_labels_follow_the_votes_and_the_resolution(
    review, owner, reviewer, second_reviewer
):
    records_import(review=review, data=topical_ris(3), file_name="l.ris", source_name="X")
    records = list(Record.objects.filter(review=review).order_by("id"))
    decide(review, records[0], reviewer, "include")
    decide(review, records[0], second_reviewer, "exclude", ["Other"])  # one include: 1
    decide(review, records[1], reviewer, "exclude", ["Other"])
    decide(review, records[1], second_reviewer, "exclude", ["Other"])  # all exclude: 0
    decide(review, records[2], reviewer, "maybe")  # a maybe counts as an include: 1
    decide(review, records[3], reviewer, "exclude", ["Other"])
    decide(review, records[3], second_reviewer, "include")
    services.conflict_resolve(review=review, record=records[3], resolver=owner, verdict="include")
    decide(review, records[4], reviewer, "include")
    decide(review, records[4], second_reviewer, "exclude", ["Other"])
    services.conflict_resolve(
        review=review,
        record=records[4],
        resolver=owner,
        verdict="exclude",
        reason_ids=[review.reasons.get(label="Other").id],
    )
    assert queries.training_labels(review) == {
        records[0].id: 1,
        records[1].id: 0,
        records[2].id: 1,
        records[3].id: 1,
        records[4].id: 0,  # the resolution's final verdict wins over the include vote
    }


def test_relevance_ties_go_by_import_order_and_only_owners_see_scores(
    ranked_review, owner, reviewer, client_for
):
    from django.urls import reverse

    review = ranked_review
    review.relevance_order = True
    review.save()
    records = list(Record.objects.filter(review=review).order_by("id"))
    scores = {0: 0.5, 1: 0.9, 2: 0.9, 3: 0.1}
    RelevanceScore.objects.bulk_create(
        RelevanceScore(record=records[i], review=review, score=s) for i, s in scores.items()
    )
    queue = list(queries.records_to_screen(review, owner).values_list("id", flat=True))
    assert queue[:4] == [records[1].id, records[2].id, records[0].id, records[3].id]
    assert queries.next_record(review, owner).id == records[1].id
    url = reverse("screening:screen", args=[review.slug])
    assert "relevance score 0.900" in client_for(owner).get(url).content.decode()
    assert "relevance score" not in client_for(reviewer).get(url).content.decode()
