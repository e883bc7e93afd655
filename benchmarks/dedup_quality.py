"""Precision and recall of reviews.dedup.find_duplicates on real exports with known duplicates.

    .venv/bin/python -m benchmarks.dedup_quality [--samples DIR] [--speed-records N]

Plain Python (no Django, no database). The records come from ../shared/samples, read with the
app's own parsers (reviews.importers.read_records), in groups of files that hold the same works
exported by different tools:

- "PubMed via EndNote vs via Zotero": asreview's demo files. They turn out to hold six
  different PubMed records each, so the group checks that nothing is merged.
- "Lens baseline, CSV vs RIS": the asreview/citation-file-formatting `_baseline.csv` (Lens.org)
  and asreview's hand-repaired `_baseline.ris` of the same 100 records.
- "Dinosaur search, many vendors": every `asreview+citation-file-formatting___baseline_*` file
  (one search, "dinosaur" in the title, exported from Embase, PubMed, CINAHL, Scopus, Web of
  Science, PsycInfo and ERIC via Ovid, Cochrane, and re-exported by Zotero, Rayyan, RefWorks,
  EPPI-Reviewer, Covidence, MDPI). Each vendor gave its own top records, so some overlap and
  some do not.
- "CiteSource: WoS, Dimensions, EconLit, MEDLINE": one search run in four databases
  (ESHackathon/CiteSource vignette data, GPL-3: read here, never copied).
The samples hold no second export of the PsycInfo-via-Ovid file (no Zotero re-export of it);
it is part of the dinosaur group, where it shares a record with the Cochrane export.

Ground truth (deliberately not find_duplicates' logic):
1. Two records with the same DOI are the same work; two with different DOIs are not.
2. When at least one of the two has no DOI: the same PMID makes them one work, and so does the
   same title read the way a person compares two printed titles - identical once case,
   accents, spaces and punctuation are ignored (letters and digits only, no fuzzy score) -
   with years at most one apart (or missing) and first authors starting with the same letter
   (or missing). An audit of every pair with a difflib similarity over 0.8 found no other
   pair lacking a DOI that a person would call one work, so no hand-made exceptions are needed.
Same-work relations are closed transitively (clusters).

Each group is run three ways:
- "as exported": all files' records at once, as the parsers give them.
- "titles only": DOIs, PMIDs and other ids removed before find_duplicates sees them, so only
  the title rules can find duplicates (the truth still comes from the ids).
- "file by file": each file imported after the previous ones, whose kept records are passed as
  `existing` (the way the app imports).

Metrics: pairs = record pairs in one predicted cluster (precision) / in one true cluster
(recall); links = reported duplicates whose kept record is truly the same work (precision) /
records that should be reported, i.e. records minus true clusters (recall).

A speed check runs find_duplicates on synthetic records (100,000 by default, 10% planted
near-duplicates with a typo, a changed year or author format) and reports wall and CPU time.

Targets (exit status 3 when missed): "as exported" pair precision >= 0.99 and pair recall
>= 0.95 in every group with duplicates; the synthetic run under 10 s of CPU time. CPU time,
not wall time, because other work on a shared machine stretches wall time several-fold; both
are reported, with the load average. The aim is a few seconds.

Results: results/dedup_quality.json and results/dedup_quality.md, and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import accumulate, combinations
from pathlib import Path

from benchmarks._common import RESULTS_DIR, SAMPLES_DIR, load_average, markdown_table, text_table
from reviews.dedup import DedupRecord, DuplicateLink, find_duplicates
from reviews.importers import read_records
from reviews.importers.base import ParsedRecord

GROUPS = {
    "PubMed via EndNote vs via Zotero": [
        "ris/asreview+asreview__pubmed_endnote.txt",
        "ris/asreview+asreview__pubmed_zotero.ris",
    ],
    "Lens baseline, CSV vs RIS": [
        "csv/asreview+citation-file-formatting___baseline.csv",
        "ris/asreview+asreview___baseline.ris",
    ],
    "Dinosaur search, many vendors": ["*/asreview+citation-file-formatting___baseline_*"],
    "CiteSource: WoS, Dimensions, EconLit, MEDLINE": ["ris/ESHackathon+CiteSource__*"],
}
MODES = ("as exported", "titles only", "file by file")
MIN_PRECISION = 0.99
MIN_RECALL = 0.95
MAX_SPEED_CPU_SECONDS = 10.0
TARGET_MISSED = 3


# --- Loading -------------------------------------------------------------------------------


def group_files(samples: Path, patterns: list[str]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        files += sorted(samples.glob(pattern))
    return files


def load_group(samples: Path, patterns: list[str]) -> list[tuple[str, ParsedRecord]]:
    """(file name, record) in file order; a record's index + 1 is its id (import order)."""
    loaded = []
    for path in group_files(samples, patterns):
        result = read_records(path.read_bytes(), file_name=path.name)
        loaded += [(path.name, record) for record in result.records]
    return loaded


def completeness(record: ParsedRecord) -> int:
    fields = (record.title, record.authors, record.year, record.journal, record.doi, record.pmid)
    return sum(1 for value in fields if value) + (3 if record.abstract else 0)


def dedup_record(record_id: int, record: ParsedRecord) -> DedupRecord:
    return DedupRecord(
        id=record_id,
        doi=record.doi,
        pmid=record.pmid,
        other_ids=tuple(sorted(record.other_ids.items())),
        title=record.title,
        year=record.year,
        first_author=record.authors[0] if record.authors else "",
        journal=record.journal,
        completeness=completeness(record),
    )


# --- Ground truth --------------------------------------------------------------------------


def _letters(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode())


@dataclass(frozen=True)
class _Facts:
    """What the ground-truth rule looks at, computed once per record."""

    doi: str
    pmid: str
    title: str  # letters and digits only
    year: int | None
    initial: str  # first letter of the first author


def _facts(record: ParsedRecord) -> _Facts:
    author = _letters(record.authors[0]) if record.authors else ""
    return _Facts(record.doi, record.pmid, _letters(record.title), record.year, author[:1])


def _same_work(a: _Facts, b: _Facts) -> bool:
    if a.doi and b.doi:
        return a.doi == b.doi
    if a.pmid and a.pmid == b.pmid:
        return True
    if not a.title or a.title != b.title:
        return False
    if a.year and b.year and abs(a.year - b.year) > 1:
        return False
    return not (a.initial and b.initial and a.initial != b.initial)


def _find(parent: list[int], item: int) -> int:
    while parent[item] != item:
        parent[item] = parent[parent[item]]
        item = parent[item]
    return item


def true_clusters(records: list[ParsedRecord]) -> list[int]:
    """Cluster label (an index) per record. All pairs: the groups hold a few hundred records."""
    facts = [_facts(record) for record in records]
    parent = list(range(len(records)))
    for i, j in combinations(range(len(records)), 2):
        if _same_work(facts[i], facts[j]):
            parent[_find(parent, j)] = _find(parent, i)
    return [_find(parent, i) for i in range(len(records))]


# --- Running and scoring -------------------------------------------------------------------


def _strip_ids(record: DedupRecord) -> DedupRecord:
    return replace(record, doi="", pmid="", other_ids=())


def run_mode(mode: str, loaded: list[tuple[str, ParsedRecord]]) -> list[DuplicateLink]:
    records = [dedup_record(index + 1, record) for index, (_, record) in enumerate(loaded)]
    if mode == "titles only":
        records = [_strip_ids(record) for record in records]
    if mode != "file by file":
        return find_duplicates(records)
    links: list[DuplicateLink] = []
    kept: list[DedupRecord] = []
    names = [name for name, _ in loaded]
    for name in dict.fromkeys(names):
        batch = [r for r, n in zip(records, names, strict=True) if n == name]
        found = find_duplicates(batch, existing=kept)
        links += found
        duplicates = {link.duplicate_id for link in found}
        kept += [r for r in batch if r.id not in duplicates]
    return links


def score(truth: list[int], links: list[DuplicateLink]) -> dict:
    size = len(truth)
    parent = list(range(size))
    for link in links:
        parent[_find(parent, link.duplicate_id - 1)] = _find(parent, link.kept_id - 1)
    predicted = [_find(parent, i) for i in range(size)]
    true_pairs = predicted_pairs = both = 0
    for i, j in combinations(range(size), 2):
        same_true = truth[i] == truth[j]
        same_predicted = predicted[i] == predicted[j]
        true_pairs += same_true
        predicted_pairs += same_predicted
        both += same_true and same_predicted
    correct_links = sum(1 for x in links if truth[x.duplicate_id - 1] == truth[x.kept_id - 1])
    should_report = size - len(set(truth))
    wrong = [
        (x.duplicate_id, x.kept_id, x.reason)
        for x in links
        if truth[x.duplicate_id - 1] != truth[x.kept_id - 1]
    ]
    return {
        "records": size,
        "true_duplicates": should_report,
        "true_pairs": true_pairs,
        "links": len(links),
        "correct_links": correct_links,
        "pair_precision": _ratio(both, predicted_pairs),
        "pair_recall": _ratio(both, true_pairs),
        "link_precision": _ratio(correct_links, len(links)),
        "link_recall": _ratio(correct_links, should_report),
        "wrong_links": wrong,
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def missed_pairs(loaded, truth: list[int], links: list[DuplicateLink], limit: int = 10):
    """Some true duplicate pairs the links did not put together, for the report."""
    parent = list(range(len(truth)))
    for link in links:
        parent[_find(parent, link.duplicate_id - 1)] = _find(parent, link.kept_id - 1)
    missed = []
    for i, j in combinations(range(len(truth)), 2):
        if truth[i] == truth[j] and _find(parent, i) != _find(parent, j):
            a, b = loaded[i][1], loaded[j][1]
            missed.append([loaded[i][0], a.title[:70], a.year, loaded[j][0], b.title[:70], b.year])
            if len(missed) >= limit:
                break
    return missed


# --- Speed ---------------------------------------------------------------------------------


def synthetic_records(count: int, seed: int = 7) -> list[DedupRecord]:
    """`count` records, 10% of them near-duplicates of another one (typo, year +-1, author
    written "Smith J" instead of "Smith, J"), 60% of originals with a DOI that half the copies
    keep. Word frequencies are skewed as in real titles."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 11))) for _ in range(20_000)]
    cumulative = list(accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
    common = ["the", "of", "and", "in", "a", "for", "with", "effect", "study", "trial", "review"]
    surnames = [word.capitalize() for word in rng.sample(vocabulary, 5000)]
    journals = ["Journal of " + word.capitalize() for word in rng.sample(vocabulary, 500)]
    originals = int(count * 0.9)
    records = []
    for index in range(originals):
        words = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(6, 16))
        for _ in range(3):
            words.insert(rng.randrange(len(words)), rng.choice(common))
        records.append(
            DedupRecord(
                id=index + 1,
                doi=f"10.1000/{index}" if rng.random() < 0.6 else "",
                title=" ".join(words).capitalize(),
                year=rng.randint(1990, 2024),
                first_author=f"{rng.choice(surnames)}, {rng.choice('ABCDEFG')}",
                journal=rng.choice(journals),
                completeness=rng.randint(1, 9),
            )
        )
    for index in range(originals, count):
        source = rng.choice(records[:originals])
        title = list(source.title)
        title[rng.randrange(len(title))] = rng.choice(letters)
        surname, initial = source.first_author.split(", ")
        records.append(
            replace(
                source,
                id=index + 1,
                doi=source.doi if rng.random() < 0.5 else "",
                title="".join(title),
                year=source.year + rng.choice((0, 0, 1, -1)),
                first_author=f"{surname} {initial}",
                completeness=rng.randint(1, 9),
            )
        )
    rng.shuffle(records)
    return records


def speed_check(count: int) -> dict:
    records = synthetic_records(count)
    wall, cpu = time.perf_counter(), time.process_time()
    links = find_duplicates(records)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "records": count,
        "planted_duplicates": count - int(count * 0.9),
        "links": len(links),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average": load_average(),
    }


# --- Main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    parser.add_argument("--speed-records", type=int, default=100_000)
    args = parser.parse_args(argv)

    rows, results, misses = [], [], []
    for group, patterns in GROUPS.items():
        loaded = load_group(args.samples, patterns)
        if not loaded:
            print(f"skipped {group}: no files in {args.samples}", file=sys.stderr)
            continue
        truth = true_clusters([record for _, record in loaded])
        files = [path.name for path in group_files(args.samples, patterns)]
        for mode in MODES:
            links = run_mode(mode, loaded)
            result = {"group": group, "mode": mode, "files": files, **score(truth, links)}
            result["missed_examples"] = missed_pairs(loaded, truth, links)
            result["wrong_links"] = [
                [reason] + [f"{loaded[i - 1][0]}: {loaded[i - 1][1].title[:70]}" for i in pair]
                for *pair, reason in result["wrong_links"]
            ]
            results.append(result)
            rows.append(
                [group, mode, result["records"], result["true_duplicates"], result["links"]]
                + [_show(result[key]) for key in ("pair_precision", "pair_recall")]
                + [_show(result[key]) for key in ("link_precision", "link_recall")]
            )
            if mode == "as exported" and result["true_pairs"]:
                misses += _missed_targets(result)

    speed = speed_check(args.speed_records)
    if speed["cpu_seconds"] > MAX_SPEED_CPU_SECONDS:
        misses.append(f"speed: {speed['cpu_seconds']} s CPU > {MAX_SPEED_CPU_SECONDS} s")

    headers = ["group", "mode", "records", "true dups", "links"]
    headers += ["pair P", "pair R", "link P", "link R"]
    print(text_table(headers, rows))
    print(
        f"\nspeed: {speed['records']:,} synthetic records in {speed['wall_seconds']} s wall, "
        f"{speed['cpu_seconds']} s CPU ({speed['links']:,} links for "
        f"{speed['planted_duplicates']:,} planted duplicates; load {speed['load_average']})"
    )
    for result in results:
        for wrong in result["wrong_links"]:
            print(f"wrong link in {result['group']} / {result['mode']}: {wrong}")
    for miss in misses:
        print(f"TARGET MISSED: {miss}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "targets": {
            "pair_precision": MIN_PRECISION,
            "pair_recall": MIN_RECALL,
            "speed_cpu_seconds": MAX_SPEED_CPU_SECONDS,
        },
        "targets_missed": misses,
        "groups": results,
        "speed": speed,
    }
    (RESULTS_DIR / "dedup_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS_DIR / "dedup_quality.md").write_text(
        "# Dedup quality\n\n"
        + markdown_table(headers, rows)
        + f"\n\nSpeed: {speed['records']:,} synthetic records, {speed['wall_seconds']} s wall, "
        f"{speed['cpu_seconds']} s CPU.\n\nTargets missed: {', '.join(misses) or 'none'}.\n"
    )
    return TARGET_MISSED if misses else 0


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _missed_targets(result: dict) -> list[str]:
    name = f"{result['group']} / {result['mode']}"
    missed = []
    if result["pair_precision"] is not None and result["pair_precision"] < MIN_PRECISION:
        missed.append(f"{name}: pair precision {result['pair_precision']} < {MIN_PRECISION}")
    if result["pair_recall"] < MIN_RECALL:
        missed.append(f"{name}: pair recall {result['pair_recall']} < {MIN_RECALL}")
    return missed


if __name__ == "__main__":
    sys.exit(main())
