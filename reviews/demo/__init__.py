"""The demo review's data: a results page copied from the Virtual Health Library (BVS)."""

import hashlib
from pathlib import Path

SEED_FILE = Path(__file__).with_name("vhl_results_page.txt")
SEED_SOURCE = "VHL/BVS (MEDLINE)"


def import_seed(*, review, user) -> None:
    """Import the seed page into the demo review unless it is already there."""
    from reviews.imports import records_import

    data = SEED_FILE.read_bytes()
    if review.batches.filter(sha256=hashlib.sha256(data).hexdigest()).exists():
        return
    records_import(
        review=review, data=data, file_name=SEED_FILE.name, source_name=SEED_SOURCE, user=user
    )
