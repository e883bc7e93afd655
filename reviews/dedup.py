"""Duplicate detection: which imported records are the same work.

Pure Python (no Django). The caller turns database rows into DedupRecord values and
stores the returned DuplicateLink values; nothing here touches the database.

How records are grouped into clusters of the same work:

1. Exact matches on DOI, PMID or any other database id with the same key and value are
   joined (union-find), unless their titles are clearly different (fuzz.token_set_ratio
   below 50 on the normalised titles; a record without a title joins): a supplement's or
   a book's DOI given to each of its abstracts or chapters names different works. The
   caller normalises DOIs and PMIDs. An "accession" that is only digits is left out (not
   namespaced by database; such records still match by title).
2. Near matches on the normalised title: rapidfuzz ``fuzz.ratio`` >= ``title_threshold``,
   years within one (or a year missing), and a compatible first author (surname equal or
   one a prefix of the other) or the same journal (abbreviation vs full name accepted).
   ``fuzz.ratio`` (Indel similarity on the whole string) is used rather than
   ``token_sort_ratio``: exports of one work keep the word order and differ by typos,
   markup and punctuation, while sorting tokens would call "Effect of A on B" and
   "Effect of B on A" identical. Titles shorter than 20 normalised characters
   ("Editorial", "Reply") need an exact match plus both years and a compatible author.
   Title matches never join records (or clusters) holding different DOIs or different
   PMIDs: those are distinct works (an erratum and its article, a conference paper and its
   journal version). Title edges are applied best score first, so a record between two
   such clusters joins the one it resembles most.

Only candidate pairs that share a block are compared. The block keys of a title are its
first 16 and its last 16 characters (spaces removed), so a typo at one end is still caught
by the other key, and each of its two rarest words (of four letters or more) that occur in
at least two records, which catches typos at both ends. A block larger than
``_BLOCK_CAP`` is split by year (year y is compared with y and y + 1); what is still too
large is compared within a sliding window over the sorted titles (sorted neighbourhood).
100,000 records take a few seconds.

Which record is kept: within a cluster that holds records already in the review
(``existing``), the most complete existing record is kept and every new record in the
cluster links to it, since existing records may already be screened and their decisions
cannot be re-pointed. Existing records are never reported as duplicates, and two existing
records are never joined by themselves (they were deduplicated before); pass only existing
records that are not duplicates. In a cluster of new records only, the most complete one
(ties: lowest id, i.e. imported first) is kept. Each duplicate links straight to the kept
record, with the strongest evidence that ties it to the cluster: an id match beats a
title match, a DOI beats a PMID beats other ids, a higher title score beats a lower one.
"""

from __future__ import annotations

import gc
import html
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process


@dataclass(frozen=True, slots=True)
class DedupRecord:
    id: int  # database id; lower id = imported earlier
    doi: str = ""  # already normalised
    pmid: str = ""
    other_ids: tuple[tuple[str, str], ...] = ()  # (key, value), e.g. ("embase", "L123")
    title: str = ""
    year: int | None = None
    first_author: str = ""  # as stored, e.g. "Smith, John" or "Smith J"
    journal: str = ""
    completeness: int = 0  # computed by the caller; higher = more complete


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    duplicate_id: int
    kept_id: int
    reason: str  # "same DOI", "same PMID", "same Embase id", "title 97% + year + author"
    score: float  # 1.0 for id matches, title similarity 0..1 otherwise


# How an id match is named in the reason; the order is the strength of the evidence.
_ID_LABELS = {
    "doi": "DOI",
    "pmid": "PMID",
    "embase": "Embase id",
    "wos": "Web of Science id",
    "scopus": "Scopus id",
    "central": "CENTRAL id",
    "pmcid": "PMC id",
    "lilacs": "LILACS id",
    "accession": "accession number",
}
_ID_RANK = {key: rank for rank, key in enumerate(_ID_LABELS)}
_TITLE_RANK = 100  # weaker than any id

SHORT_TITLE = 20  # normalised titles shorter than this need an exact match
_BLOCK_CAP = 100  # blocks larger than this are split (by year, then sorted windows)
_WINDOW = 30  # sorted-neighbourhood window for what is still too large
_KEY_CHARS = 16  # length of the title prefix and suffix block keys
_RARE_WORDS = 2  # rarest title words used as block keys


# --- Title normalisation -------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LANGUAGES = _words(
    "afrikaans arabic bulgarian catalan chinese croatian czech danish dutch english "
    "estonian finnish french german greek hebrew hungarian icelandic indonesian italian "
    "japanese korean latvian lithuanian malay norwegian persian polish portuguese "
    "romanian russian serbian slovak slovene slovenian spanish swedish thai turkish "
    "ukrainian vietnamese multiple languages language and abstract summary text with only"
)
_TRAILING_MARK = re.compile(r"[\[(]([^\[\]()]{1,80})[\])][\s.]*$")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_LATEX_ACCENT = re.compile(r"\\(?:[\"'`^~=.]|[uvHckrbd](?=\s*\{))\s*\{?\s*([A-Za-z])\}?")
_LATEX_FORMAT = re.compile(
    r"\\(?:text(?:it|bf|rm|sf|tt|sc|up|normal|superscript|subscript)|emph|math(?:rm|it|bf|sf|"
    r"cal|bb)|ensuremath|it|bf|em|rm|sc|sf|tt)(?![a-zA-Z])\s*"
)
_LATEX_COMMAND = re.compile(r"\\([a-zA-Z]+)\s*")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_DELETED = re.compile(r"['\u2018\u2019\u02bc`\u00b4{}$]")  # inside words: drop, not split
_NOT_WORD = re.compile(r"[\W_]+")


def _letter_table() -> dict[int, str]:
    # Letters NFKD does not decompose, and Greek letters by name, so "β-blocker",
    # "&beta;-blocker" and "beta-blocker" agree.
    pairs = ["ß=ss", "æ=ae", "ø=o", "ł=l", "đ=d", "œ=oe", "þ=th", "ð=d", "ı=i"]
    table = {ord(pair[0]): pair[2:] for pair in pairs}
    for code in range(0x3B1, 0x3CA):
        name = unicodedata.name(chr(code), "")
        if name.startswith("GREEK SMALL LETTER "):
            table[code] = " " + name.removeprefix("GREEK SMALL LETTER ").lower() + " "
    table[0x3C2] = table[0x3C3]  # final sigma
    return table


_LETTERS = _letter_table()


def _is_translation_mark(content: str) -> bool:
    words = content.replace("'", "").replace(",", " ").split()
    if not words:
        return False
    text = " ".join(words)
    if text.startswith(("article in ", "text in ", "published in ")) or "transl" in text:
        return True
    if text == "in process citation":
        return True
    if words[0] == "in":
        words = words[1:]
    return bool(words) and all(word in _LANGUAGES for word in words)


def normalise_title(title: str) -> str:
    """Lower case, no accents, markup or punctuation, single spaces.

    Drops HTML tags and entities, LaTeX commands and braces, and trailing translation
    marks such as "[Article in Spanish]" or "(author's transl)".
    """
    if not title:
        return ""
    text = title
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _HTML_TAG.sub("", text)
    if "\\" in text:
        text = _LATEX_ACCENT.sub(r"\1", text)
        text = _LATEX_FORMAT.sub("", text)
        text = _LATEX_COMMAND.sub(r"\1", text)
    text = unicodedata.normalize("NFKD", text).casefold()
    if not text.isascii():
        text = _COMBINING.sub("", text).translate(_LETTERS)
    text = text.strip()
    while True:
        match = _TRAILING_MARK.search(text)
        if not match or not match.start() or not _is_translation_mark(match.group(1)):
            break
        text = text[: match.start()].rstrip()
    text = _DELETED.sub("", text)
    return _NOT_WORD.sub(" ", text).strip()


# --- Author and journal compatibility ------------------------------------------------

_PARTICLES = _words("van von der den de del della di da dos das du la le ten ter")
_ONLY_LETTERS = re.compile(r"[^a-z]+")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    if not text.isascii():
        text = _COMBINING.sub("", text).translate(_LETTERS)
    return text


def _looks_like_initials(token: str) -> bool:
    letters = token.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 3 and (letters.isupper() or len(letters) == 1)


def surname_forms(name: str) -> frozenset[str]:
    """Normalised surname candidates of a first-author string (letters only).

    "Smith, John", "Smith J", "Smith J.A." and "J. A. Smith" give {"smith"}; a bare
    "John Smith" is ambiguous and gives both words. Leading particles ("van der") are
    also tried without.
    """
    name = name.strip()
    if not name:
        return frozenset()
    if "," in name:
        surname = name.split(",", 1)[0]
        raw = [surname]
    else:
        tokens = name.replace(".", ". ").split()
        if len(tokens) == 1:
            raw = tokens
        elif all(_looks_like_initials(t) for t in tokens[1:]):
            raw = [tokens[0]]
        elif _looks_like_initials(tokens[0]):
            rest = [t for t in tokens if not _looks_like_initials(t)]
            raw = [" ".join(rest)]
        else:
            raw = [tokens[-1], tokens[0], " ".join(tokens[1:])]
    forms = set()
    for part in raw:
        words = _plain(part).split()
        forms.add(_ONLY_LETTERS.sub("", "".join(words)))
        while len(words) > 1 and words[0] in _PARTICLES:
            words = words[1:]
            forms.add(_ONLY_LETTERS.sub("", "".join(words)))
    forms.discard("")
    return frozenset(forms)


def _surnames_compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    if a & b:
        return True
    for x in a:
        for y in b:
            short, long = (x, y) if len(x) <= len(y) else (y, x)
            if len(short) >= 3 and long.startswith(short):
                return True
    return False


_JOURNAL_STOPWORDS = _words("of the and for in on an de la des du der und fur et y e i da do")


def journal_words(journal: str) -> tuple[str, ...]:
    """Significant words of a journal name: lower case, no accents, stop words dropped."""
    words = _NOT_WORD.sub(" ", _plain(journal).replace("&", " and ")).split()
    return tuple(w for w in words if w not in _JOURNAL_STOPWORDS)


def _abbreviates(short: str, full: str) -> bool:
    if full.startswith(short):
        return True
    # ISO 4 contractions ("Natl" for "National"): same first letter, letters in order.
    if len(short) < 3 or len(short) >= len(full) or short[0] != full[0]:
        return False
    position = 0
    for char in short:
        position = full.find(char, position) + 1
        if not position:
            return False
    return True


def journals_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same journal, or one name abbreviates the other word by word, in order.

    "J Clin Epidemiol" ~ "Journal of Clinical Epidemiology": stop words are ignored and
    each word of one is a prefix (or an ISO 4 contraction) of the matching word of the
    other.
    """
    if not a or not b or len(a) != len(b):
        return False
    if a == b:
        return True
    return all(_abbreviates(x, y) or _abbreviates(y, x) for x, y in zip(a, b, strict=True))


# --- Union-find ------------------------------------------------------------------------


class _Clusters:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
        return ra


# --- Matching --------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    records: list[DedupRecord]
    is_new: list[bool]
    titles: list[str]
    surnames: list[frozenset[str]]
    journals: list[tuple[str, ...]]


def _prepare(new: list[DedupRecord], existing: list[DedupRecord]) -> _Prepared:
    records = new + existing
    surname_cache: dict[str, frozenset[str]] = {}
    journal_cache: dict[str, tuple[str, ...]] = {}
    surnames, journals = [], []
    for record in records:
        author = record.first_author
        if author not in surname_cache:
            surname_cache[author] = surname_forms(author)
        surnames.append(surname_cache[author])
        journal = record.journal
        if journal not in journal_cache:
            journal_cache[journal] = journal_words(journal)
        journals.append(journal_cache[journal])
    return _Prepared(
        records=records,
        is_new=[True] * len(new) + [False] * len(existing),
        titles=[normalise_title(r.title) for r in records],
        surnames=surnames,
        journals=journals,
    )


def _id_keys(record: DedupRecord) -> list[tuple[str, str]]:
    keys = []
    if record.doi:
        keys.append(("doi", record.doi))
    if record.pmid:
        keys.append(("pmid", record.pmid))
    for key, value in record.other_ids:
        # "accession" is not namespaced by database: a bare number from two databases can
        # name two works, so only values with letters in them ("EJ389705") count.
        if value and not (key == "accession" and value.isdigit()):
            keys.append((key, value))
    return keys


def _blocks(data: _Prepared) -> list[list[int]]:
    """Groups of record indexes sharing a title key, each holding at least one new record."""
    titles = data.titles
    # Each title's words are counted here and taken again below, rather than kept as a set
    # per record: at 100,000 records those sets are a large part of an import's peak memory.
    frequency: Counter[str] = Counter()
    for title in titles:
        frequency.update(set(title.split()))
    # Words found in one record only would make blocks of one; short words are too common.
    useful = {word for word, count in frequency.items() if count > 1 and len(word) > 3}
    rarity = frequency.__getitem__
    keyed: dict[str, list[int]] = defaultdict(list)
    for index, title in enumerate(titles):
        if not title:
            continue
        compact = title.replace(" ", "")
        keyed["p" + compact[:_KEY_CHARS]].append(index)
        if len(compact) > _KEY_CHARS:
            keyed["s" + compact[-_KEY_CHARS:]].append(index)
        rare = sorted(useful.intersection(title.split()))  # alphabetical: ties break alike
        rare.sort(key=rarity)
        for word in rare[:_RARE_WORDS]:
            keyed["w" + word].append(index)
    is_new = data.is_new
    return [m for m in keyed.values() if len(m) > 1 and any(is_new[i] for i in m)]


class _Comparer:
    """Runs the fuzzy title comparisons in rapidfuzz (C), one call per new record, and
    collects the pairs scoring at least the cutoff, with at least one new record each."""

    def __init__(self, data: _Prepared, cutoff: float):
        self.titles = data.titles
        self.years = [r.year for r in data.records]
        self.is_new = data.is_new
        self.cutoff = cutoff
        self.found: dict[tuple[int, int], float] = {}

    def compare(self, queries: list[int], choices: list[int], wanted=None) -> None:
        if not queries:
            return
        titles, is_new, found = self.titles, self.is_new, self.found
        texts = [titles[j] for j in choices]
        for i in queries:
            for _text, score, k in process.extract(
                titles[i], texts, scorer=fuzz.ratio, score_cutoff=self.cutoff, limit=None
            ):
                j = choices[k]
                if j == i or not (is_new[i] or is_new[j]) or (wanted and not wanted(i, j)):
                    continue
                found[(i, j) if i < j else (j, i)] = score

    def within(self, members: list[int]) -> None:
        new = [i for i in members if self.is_new[i]]
        if len(members) <= _BLOCK_CAP or len(new) * len(members) <= _BLOCK_CAP**2 // 2:
            self.compare(new, members)
        else:
            self.window(members)

    def across(self, left: list[int], right: list[int]) -> None:
        is_new = self.is_new
        if len(left) * len(right) <= _BLOCK_CAP**2 // 2:
            self.compare([i for i in left if is_new[i]], right)
            self.compare([i for i in right if is_new[i]], [i for i in left if not is_new[i]])
        else:
            side = dict.fromkeys(left, 0) | dict.fromkeys(right, 1)
            self.window(left + right, lambda i, j: side[i] != side[j])

    def window(self, members: list[int], wanted=None) -> None:
        # Sorted neighbourhood: each new record meets the _WINDOW titles either side of it.
        ordered = sorted(members, key=self.titles.__getitem__)
        for position, i in enumerate(ordered):
            if self.is_new[i]:
                nearby = ordered[max(0, position - _WINDOW) : position + _WINDOW + 1]
                self.compare([i], nearby, wanted)

    def block(self, members: list[int]) -> None:
        if len(members) <= _BLOCK_CAP:
            self.within(members)
            return
        # Too large: split by year; year y meets years y and y + 1, a missing year meets all.
        by_year: dict[int | None, list[int]] = defaultdict(list)
        for i in members:
            by_year[self.years[i]].append(i)
        unknown = by_year.pop(None, [])
        for year, group in by_year.items():
            self.within(group)
            if year + 1 in by_year:
                self.across(group, by_year[year + 1])
        if unknown:
            self.within(unknown)
            dated = [i for group in by_year.values() for i in group]
            if dated:
                self.across(unknown, dated)


def _title_match(i: int, j: int, score: float, data: _Prepared) -> str:
    """The reason two records with similar titles are one work, or '' when they are not."""
    a, b = data.records[i], data.records[j]
    if a.doi and b.doi and a.doi != b.doi:
        return ""
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return ""
    if a.year is not None and b.year is not None and abs(a.year - b.year) > 1:
        return ""
    author = _surnames_compatible(data.surnames[i], data.surnames[j])
    if len(data.titles[i]) < SHORT_TITLE or len(data.titles[j]) < SHORT_TITLE:
        if data.titles[i] != data.titles[j] or a.year is None or b.year is None or not author:
            return ""
        return "title 100% + year + author"
    if author:
        what = "author"
    elif journals_compatible(data.journals[i], data.journals[j]):
        what = "journal"
    else:
        return ""
    year = " + year" if a.year is not None and b.year is not None else ""
    return f"title {math.floor(score + 1e-9)}%{year} + {what}"


def find_duplicates(
    records: Iterable[DedupRecord],
    *,
    existing: Iterable[DedupRecord] = (),
    title_threshold: float = 0.93,
) -> list[DuplicateLink]:
    """Links from each new duplicate record to the record kept for its work.

    `records` are the new records; `existing` are those already in the review (already
    deduplicated: pass only records that are not duplicates). Only new records are
    reported. The links are sorted by duplicate id.
    """
    # The cyclic garbage collector would walk the many small objects made here again and
    # again (about a fifth of the time for 100,000 records) and find nothing: none are cyclic.
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = _prepare(list(records), list(existing))
        if not any(data.is_new):
            return []
        return _find(data, title_threshold * 100)
    finally:
        if collecting:
            gc.enable()


def _find(data: _Prepared, cutoff: float) -> list[DuplicateLink]:
    size = len(data.records)
    clusters = _Clusters(size)

    # 1. Exact id matches. A group with no new record joins nothing (already deduplicated).
    holders: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, record in enumerate(data.records):
        if record.doi or record.pmid or record.other_ids:
            for key in _id_keys(record):
                holders[key].append(index)
    id_groups = []
    for (key, _value), members in holders.items():
        if len(members) < 2 or not any(data.is_new[i] for i in members):
            continue
        label = _ID_LABELS.get(key, f"{key} id")
        for group in _same_work(members, data.titles):
            if len(group) < 2 or not any(data.is_new[i] for i in group):
                continue
            for i in group[1:]:
                clusters.union(group[0], i)
            id_groups.append((group, _ID_RANK.get(key, len(_ID_RANK)), f"same {label}"))

    # 2. Title matches, best first.
    comparer = _Comparer(data, cutoff)
    for members in _blocks(data):
        comparer.block(members)
    title_edges = []
    for (i, j), score in comparer.found.items():
        reason = _title_match(i, j, score, data)
        if reason:
            title_edges.append((-score, i, j, reason))
    title_edges.sort()
    _join_title_matches(clusters, title_edges, id_groups, data.records)

    # Evidence per record, (rank, -score, reason, score), least is best: every edge whose
    # ends ended up in one cluster (id groups always do).
    evidence: dict[int, tuple[int, float, str, float]] = {}

    def note(index: int, candidate: tuple[int, float, str, float]) -> None:
        current = evidence.get(index)
        if current is None or candidate < current:
            evidence[index] = candidate

    for members, rank, reason in id_groups:
        for i in members:
            note(i, (rank, -1.0, reason, 1.0))
    for negative_score, i, j, reason in title_edges:
        if clusters.find(i) == clusters.find(j):
            candidate = (_TITLE_RANK, negative_score, reason, -negative_score / 100)
            note(i, candidate)
            note(j, candidate)

    # 3. The kept record of each cluster and the links to it.
    groups: dict[int, list[int]] = defaultdict(list)
    for index in evidence:
        groups[clusters.find(index)].append(index)
    records, is_new = data.records, data.is_new
    links = []
    for members in groups.values():
        if len(members) < 2 or not any(is_new[i] for i in members):
            continue
        pool = [i for i in members if not is_new[i]] or members
        kept = min(pool, key=lambda i: (-records[i].completeness, records[i].id))
        for i in members:
            if i != kept and is_new[i]:
                _rank, _negative, reason, score = evidence[i]
                links.append(
                    DuplicateLink(
                        duplicate_id=records[i].id,
                        kept_id=records[kept].id,
                        reason=reason,
                        score=round(score, 4),
                    )
                )
    links.sort(key=lambda link: link.duplicate_id)
    return links


# Below this, two titles that share an id name different works: a supplement's or a book's
# DOI given to each of its abstracts or chapters. Translated or abbreviated titles of one
# work stay well above it (fuzz.token_set_ratio compares the shared words).
_SAME_ID_TITLE_FLOOR = 50


def _same_work(members: list[int], titles: list[str]) -> list[list[int]]:
    """Split the records sharing an id into groups of one work each: a record joins the first
    group holding a title like its own; a record without a title joins the first group."""
    groups: list[list[int]] = []
    for i in members:
        for group in groups:
            if not titles[i] or any(
                not titles[j] or fuzz.token_set_ratio(titles[i], titles[j]) >= _SAME_ID_TITLE_FLOOR
                for j in group
            ):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def _join_title_matches(clusters: _Clusters, title_edges, id_groups, records) -> None:
    """Union along title edges, never joining clusters that hold different DOIs or PMIDs."""
    # DOIs and PMIDs per cluster root; a root missing here is a record on its own.
    dois: dict[int, set[str]] = {}
    pmids: dict[int, set[str]] = {}
    for members, _rank, _reason in id_groups:
        root = clusters.find(members[0])
        for i in members:
            if records[i].doi:
                dois.setdefault(root, set()).add(records[i].doi)
            if records[i].pmid:
                pmids.setdefault(root, set()).add(records[i].pmid)

    def held(table: dict[int, set[str]], root: int, value: str) -> set[str]:
        found = table.get(root)
        if found is None:
            found = {value} if value else set()
        return found

    for _score, i, j, _reason in title_edges:
        ri, rj = clusters.find(i), clusters.find(j)
        if ri == rj:
            continue
        doi_i, doi_j = held(dois, ri, records[ri].doi), held(dois, rj, records[rj].doi)
        if doi_i and doi_j and doi_i != doi_j:
            continue
        pmid_i, pmid_j = held(pmids, ri, records[ri].pmid), held(pmids, rj, records[rj].pmid)
        if pmid_i and pmid_j and pmid_i != pmid_j:
            continue
        root = clusters.union(ri, rj)
        for table in (dois, pmids):
            table.pop(ri, None)
            table.pop(rj, None)
        dois[root] = doi_i | doi_j
        pmids[root] = pmid_i | pmid_j
