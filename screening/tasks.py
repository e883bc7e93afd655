"""Background work for screening. Tasks are thin: they take ids and call the service."""

from django.tasks import task


@task()
def train_ranking(run_id: int) -> None:
    from screening.ranking_service import ranking_train

    ranking_train(run_id=run_id)
