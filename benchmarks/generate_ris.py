"""Build the 100,000-record RIS file the import benchmark reads (about 300 MB).

Records are real ones, read with rispy from the RIS samples in ../shared/samples/ris/ (and
tests/data/ris/ when present), cycled in a seeded order and varied so the file holds 100,000
distinct works:

- titles: about a third of the words replaced and two words inserted, drawn from the
  samples' own vocabulary, so no two titles are near-duplicates (title similarity stays far
  below the 93% dedup threshold);
- DOIs: every record gets one, the source DOI (or 10.5555/bench) with a unique suffix; the
  accession number (AN) is unique too;
- ids that would make records exact duplicates of each other (PMIDs in notes, Scopus and
  PubMed links, vendor ids in C1-C8, U1-U5, ID) are not copied.

Abstracts are kept as they are. The file size is steered towards --target-mb by picking
long-abstract records more often while the running size is below the target: the size per
record is what real exports with abstracts look like (2-4 KB).

    python -m benchmarks.generate_ris [--records 100000] [--target-mb 300] [--seed 20240229]

Writes benchmarks/tmp/bench_<records>.ris and a .json next to it describing the file; the
same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

import rispy

from benchmarks._common import SAMPLES_DIR, TEST_DATA_DIR, TMP_DIR

DEFAULT_RECORDS = 100_000
DEFAULT_TARGET_MB = 300
DEFAULT_SEED = 20240229

# rispy field -> RIS tag, in the order they are written. Only fields with no ids that would
# tie records together are copied.
_SINGLE = (
    ("journal", "T2"),
    ("journal_abbrev", "J2"),
    ("volume", "VL"),
    ("number", "IS"),
    ("start_page", "SP"),
    ("end_page", "EP"),
    ("year", "PY"),
    ("date", "DA"),
    ("language", "LA"),
    ("issn", "SN"),
    ("publisher", "PB"),
    ("place_published", "CY"),
    ("name_of_database", "DB"),
)
_WORD = re.compile(r"[A-Za-z][a-z]{3,14}")


def source_files() -> list[Path]:
    """The RIS sample files, each distinct file once (tests/data holds copies of some)."""
    files = sorted((SAMPLES_DIR / "ris").glob("*")) + sorted((TEST_DATA_DIR / "ris").glob("*"))
    seen, unique = set(), []
    for path in files:
        if not path.is_file():
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            unique.append(path)
    return unique


def sources_digest(files: list[Path]) -> str:
    """One digest of the source files' contents, so a changed sample regenerates the file."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _text(value) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return " ".join(str(value or "").split())


def _read(path: Path) -> list[dict]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    # rispy wants '\n' line ends; some vendors use CRLF or bare CR.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return rispy.loads(text, skip_unknown_tags=True)
    except Exception:  # a sample rispy cannot read is skipped, not fatal
        return []


def _base(entry: dict) -> dict | None:
    """The fields copied from one rispy entry, cleaned to single-line values."""
    title = _text(entry.get("title") or entry.get("primary_title") or entry.get("translated_title"))
    if len(title.split()) < 3:
        return None
    journal = (
        entry.get("secondary_title")
        or entry.get("journal_name")
        or entry.get("alternate_title3")
        or entry.get("alternate_title1")
    )
    base = {
        "type": _text(entry.get("type_of_reference")) or "JOUR",
        "title": title,
        "authors": [_text(a) for a in entry.get("authors") or entry.get("first_authors") or []],
        "abstract": _text(entry.get("abstract") or entry.get("notes_abstract")),
        "keywords": [k for k in (_text(k) for k in entry.get("keywords") or []) if k],
        "address": [a for a in (_text(a) for a in _as_list(entry.get("author_address"))) if a],
        "journal": _text(journal),
        "journal_abbrev": _text(entry.get("alternate_title2") or entry.get("alternate_title1")),
        "doi": _text(entry.get("doi")).split(" ")[0],
    }
    for field, _tag in _SINGLE:
        if field not in base:
            base[field] = _text(entry.get(field))
    # Some vendors give the year only as Y1 ('2019///') or a date.
    base["year"] = base["year"] or _text(entry.get("publication_year")) or base["date"]
    return base


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _vocabulary(bases: list[dict]) -> list[str]:
    words = set()
    for base in bases:
        words.update(w.lower() for w in _WORD.findall(base["title"] + " " + base["abstract"]))
    return sorted(words)


def _vary_title(title: str, rng: random.Random, vocabulary: list[str]) -> str:
    words = title.split()
    replaced = max(2, len(words) // 3)
    for index in rng.sample(range(len(words)), min(replaced, len(words))):
        words[index] = rng.choice(vocabulary)
    for _ in range(2):
        words.insert(rng.randrange(len(words) + 1), rng.choice(vocabulary))
    return " ".join(words)


def _render(base: dict, number: int, title: str, doi: str) -> str:
    lines = [f"TY  - {base['type']}", f"TI  - {title}"]
    lines += [f"AU  - {author}" for author in base["authors"] if author]
    for field, tag in _SINGLE:
        if base[field]:
            lines.append(f"{tag}  - {base[field]}")
    if base["abstract"]:
        lines.append(f"AB  - {base['abstract']}")
    lines += [f"KW  - {keyword}" for keyword in base["keywords"]]
    lines += [f"AD  - {address}" for address in base["address"]]
    lines.append(f"DO  - {doi}")
    lines.append(f"UR  - https://doi.org/{doi}")
    lines.append(f"AN  - BENCH{number:07d}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n\n"


def generate(
    *,
    records: int = DEFAULT_RECORDS,
    target_mb: float = DEFAULT_TARGET_MB,
    seed: int = DEFAULT_SEED,
    out: Path | None = None,
) -> dict:
    """Write the file; return its description (also written next to it as .json)."""
    started = time.perf_counter()
    out = out or TMP_DIR / f"bench_{records}.ris"
    out.parent.mkdir(parents=True, exist_ok=True)
    files = source_files()
    bases = [b for path in files for entry in _read(path) if (b := _base(entry)) is not None]
    if not bases:
        raise SystemExit(f"no RIS records found in {SAMPLES_DIR / 'ris'} or {TEST_DATA_DIR}")
    vocabulary = _vocabulary(bases)
    rng = random.Random(seed)

    # Pools: records longer than the target average pull the size up, the rest down.
    target_bytes = target_mb * 1_000_000
    average = target_bytes / records
    sizes = [len(_render(b, 0, b["title"], b["doi"] or "10.5555/x").encode()) for b in bases]
    long_pool = [b for b, size in zip(bases, sizes, strict=True) if size > average]
    short_pool = [b for b, size in zip(bases, sizes, strict=True) if size <= average]
    if not long_pool:
        long_pool = short_pool
    if not short_pool:
        short_pool = long_pool
    pools = {"long": [long_pool, 0], "short": [short_pool, 0]}
    for pool, _ in pools.values():
        rng.shuffle(pool)

    def take(name: str) -> dict:
        state = pools[name]
        pool, index = state
        if index == len(pool):
            rng.shuffle(pool)
            index = 0
        state[1] = index + 1
        return pool[index]

    written = 0
    with_abstract = 0
    with out.open("wb") as handle:
        buffer = []
        for number in range(1, records + 1):
            base = take("long" if written < number * average else "short")
            title = _vary_title(base["title"], rng, vocabulary)
            doi = f"{base['doi'] or '10.5555/bench'}.b{number:06d}"
            chunk = _render(base, number, title, doi).encode()
            written += len(chunk)
            with_abstract += bool(base["abstract"])
            buffer.append(chunk)
            if len(buffer) == 2000:
                handle.write(b"".join(buffer))
                buffer.clear()
        handle.write(b"".join(buffer))

    info = {
        "file": str(out),
        "records": records,
        "seed": seed,
        "target_mb": target_mb,
        "bytes": out.stat().st_size,
        "mb": round(out.stat().st_size / 1_000_000, 1),
        "records_with_abstract": with_abstract,
        "source_files": len(files),
        "sources_digest": sources_digest(files),
        "source_records": len(bases),
        "long_abstract_records": len(long_pool),
        "seconds": round(time.perf_counter() - started, 1),
    }
    out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def ensure(*, records: int = DEFAULT_RECORDS, seed: int = DEFAULT_SEED, target_mb=None) -> dict:
    """The file's description, generating it unless it exists with the same parameters."""
    target_mb = DEFAULT_TARGET_MB if target_mb is None else target_mb
    out = TMP_DIR / f"bench_{records}.ris"
    meta = out.with_suffix(".json")
    if out.exists() and meta.exists():
        info = json.loads(meta.read_text())
        if (
            info.get("seed") == seed
            and info.get("target_mb") == target_mb
            and info.get("bytes") == out.stat().st_size
            and info.get("sources_digest") == sources_digest(source_files())
        ):
            return info
    return generate(records=records, target_mb=target_mb, seed=seed, out=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--target-mb", type=float, default=DEFAULT_TARGET_MB)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    info = generate(records=args.records, target_mb=args.target_mb, seed=args.seed, out=args.out)
    print(
        f"{info['file']}: {info['records']:,} records, {info['mb']} MB "
        f"(target {info['target_mb']} MB), from {info['source_records']} real records in "
        f"{info['source_files']} files, in {info['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
