"""The demo review's data: a results page copied from the Virtual Health Library (BVS)."""

from pathlib import Path

SEED_FILE = Path(__file__).with_name("vhl_results_page.txt")
SEED_SOURCE = "VHL/BVS (MEDLINE)"


def import_seed(*, review, user) -> None:
    """Import the seed page into the demo review unless a batch of it is already there."""
    try:
        from reviews.imports import records_import
    except ImportError:  # the import feature is not installed in this checkout
        return
    import hashlib

    data = SEED_FILE.read_bytes()
    if review.batches.filter(sha256=hashlib.sha256(data).hexdigest()).exists():
        return
    records_import(
        review=review,
        data=data,
        file_name=SEED_FILE.name,
        source_name=SEED_SOURCE,
        user=user,
    )
