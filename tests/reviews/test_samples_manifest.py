"""Every sample export in the shared folder: detected right, every record read, none invented.

The shared folder holds files we may read but not copy into the repository (GPL, CC-BY-SA),
so this test runs only where the folder exists. Its MANIFEST.tsv gives, per file, the format
and the record counts, checked by hand: they are the truth.
"""

import csv
from pathlib import Path

import pytest

from reviews.importers import FORMATS, read_records
from reviews.importers.base import ParseError

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"

if not (SAMPLES / "MANIFEST.tsv").is_file():
    pytest.skip(f"no shared sample files at {SAMPLES}", allow_module_level=True)


# Where the manifest's count of records without an abstract differs from what the file holds,
# with the count we read and why. The record counts are never overridden.
ABSTRACT_COUNT_CORRECTIONS = {
    # No abstract column at all in the legacy PubMed CSV (the manifest's own quirks say so).
    "csv/p1m-ortho+qs-global-ortho-search-queries__pubmed_result_ssb_2019-07-28_thru_2019-07-29_44.csv": 44,  # noqa: E501
    # Records 2 and 4 have an empty 'N2  - ' line.
    "ris/asreview+citation-file-formatting___baseline_covidence_endnote.ris": 2,
    # Records 6 and 10 have an empty 'AB  - ' line.
    "ris/asreview+citation-file-formatting___baseline_eppireviewer.ris": 2,
    # Scopus writes '[No abstract available]' where there is none; we store no abstract.
    "scopus_csv/NLeSC+litstudy__scopus.csv": 1,
    "scopus_csv/networks-lab+metaknowledge__scopus_testing.csv.scopus": 16,
}


def _rows():
    with open(SAMPLES / "MANIFEST.tsv", encoding="utf-8", newline="") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            marks = []
            if row["format"] not in FORMATS:
                marks.append(pytest.mark.skip(reason=f"no parser for format {row['format']!r}"))
            yield pytest.param(row, id=row["file"], marks=marks)


@pytest.mark.parametrize("row", list(_rows()))
def test_sample_file_read_as_manifest_says(row):
    path = SAMPLES / row["file"]
    data = path.read_bytes()
    try:
        detected = read_records(data, file_name=path.name).format
    except ParseError as error:
        detected = f"refused: {error}"
    # Parse with the manifest's format, so counts are checked even if detection is wrong.
    records = list(read_records(data, file_name=path.name, format=row["format"]).records)
    without_abstract = sum(1 for record in records if not record.abstract.strip())
    expected_without = str(
        ABSTRACT_COUNT_CORRECTIONS.get(row["file"], row["records_without_abstract"])
    )
    assert (detected, len(records), without_abstract if expected_without else None) == (
        row["format"],
        int(row["records"]),
        int(expected_without) if expected_without else None,
    )
