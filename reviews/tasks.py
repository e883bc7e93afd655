"""Background work. Tasks are thin: they take ids and call the service."""

from pathlib import Path

from django.db import transaction
from django.tasks import task

from reviews.imports import ImportRefused, progress_connection, records_import
from reviews.models import ImportBatch


@task()
def import_batch(batch_id: int) -> None:
    """Import a queued batch whose file waits in batch.upload_path."""
    batch = ImportBatch.objects.select_related("review", "imported_by").get(pk=batch_id)
    if batch.status != ImportBatch.Status.QUEUED:
        return  # already handled by another worker
    path = Path(batch.upload_path)
    with progress_connection() as progress_db:

        def progress(records: int, fraction: float) -> None:
            progress_db.execute(
                "UPDATE reviews_importbatch SET records_read = %s, progress = %s, "
                "status = 'running' WHERE id = %s",
                [records, int(fraction * 100), batch_id],
            )

        try:
            records_import(
                review=batch.review,
                data=path,
                file_name=batch.file_name,
                source_name=batch.source_name,
                source_kind=batch.source_kind,
                search_date=batch.search_date,
                user=batch.imported_by,
                format=batch.format or None,
                force=batch.forced,
                batch=batch,
                progress=progress,
            )
        except (ImportRefused, OSError) as error:
            with transaction.atomic():
                ImportBatch.objects.filter(pk=batch_id).update(
                    status=ImportBatch.Status.FAILED, error=str(error), progress=0
                )
    path.unlink(missing_ok=True)
