"""Duplicate detection (reviews/dedup.py): pure functions, no database."""

from __future__ import annotations

import random

from reviews.dedup import (
    DedupRecord,
    DuplicateLink,
    find_duplicates,
    journal_words,
    journals_compatible,
    normalise_title,
    surname_forms,
)
from reviews.importers.normalize import normalize_doi

CBT = (
    "Effectiveness of cognitive behavioural therapy for insomnia in older adults: "
    "a randomised trial"
)
# One letter missing, US spelling, other punctuation.
CBT_TYPO = (
    "Efectiveness of cognitive behavioral therapy for insomnia in older adults - "
    "a randomised trial."
)
MBSR = "Mindfulness-based stress reduction for chronic low back pain: a systematic review"


def rec(id, **fields) -> DedupRecord:
    return DedupRecord(id=id, **fields)


# --- normalise_title ---------------------------------------------------------------------


def test_normalise_title_case_accents_punctuation():
    assert normalise_title("  Über  die Wirkung: Café-Studie!  ") == "uber die wirkung cafe studie"


def test_normalise_title_drops_trailing_full_stop_and_collapses_space():
    assert normalise_title("A trial\n of   things.") == "a trial of things"


def test_normalise_title_html_markup_and_entities():
    assert normalise_title("The rise of <i>Kulindadromeus</i> &amp; H<sub>2</sub>O") == (
        "the rise of kulindadromeus h2o"
    )


def test_normalise_title_latex_markup():
    title = r"Effects of \emph{$\beta$}-blockers on {B}ayesian caf\'e"
    assert normalise_title(title) == "effects of beta blockers on bayesian cafe"


def test_normalise_title_greek_letters_match_their_names():
    assert normalise_title("β-Amyloid and TNF-α") == normalise_title("beta-amyloid and TNF-alpha")


def test_normalise_title_translation_marks():
    assert (
        normalise_title("Tratamiento de la gota [Article in Spanish].") == "tratamiento de la gota"
    )
    assert normalise_title("Gout treatment [Spanish]") == "gout treatment"
    assert normalise_title("Gout treatment [In Process Citation]") == "gout treatment"
    assert normalise_title("Gout treatment (author's transl)") == "gout treatment"


def test_normalise_title_keeps_a_fully_bracketed_translated_title():
    # PubMed puts translated titles in brackets: the brackets go, the words stay.
    assert normalise_title("[Treatment of gout in Spanish patients].") == (
        "treatment of gout in spanish patients"
    )
    assert normalise_title("[In vitro study]") == "in vitro study"


def test_normalise_title_apostrophes_do_not_split_words():
    assert normalise_title("Alzheimer’s disease") == normalise_title("Alzheimers disease")


def test_normalise_title_empty():
    assert normalise_title("") == ""
    assert normalise_title(" ... ") == ""


# --- author and journal helpers ------------------------------------------------------------


def test_surname_forms_common_shapes():
    assert surname_forms("Smith, John") == frozenset({"smith"})
    assert surname_forms("Smith J") == frozenset({"smith"})
    assert surname_forms("Smith J.A.") == frozenset({"smith"})
    assert surname_forms("J. A. Smith") == frozenset({"smith"})
    assert surname_forms("Brownstein C D") == frozenset({"brownstein"})
    assert surname_forms("Martínez-García, José") == frozenset({"martinezgarcia"})
    assert surname_forms("van der Berg, A") == frozenset({"vanderberg", "derberg", "berg"})
    assert surname_forms("") == frozenset()


def test_journals_compatible_abbreviation_and_full_name():
    full = journal_words("Journal of Clinical Epidemiology")
    assert journals_compatible(journal_words("J Clin Epidemiol"), full)
    assert journals_compatible(journal_words("J. Clin. Epidemiol."), full)
    assert journals_compatible(journal_words("JOURNAL OF CLINICAL EPIDEMIOLOGY"), full)
    pnas = "Proceedings of the National Academy of Sciences of the United States of America"
    assert journals_compatible(journal_words("Proc Natl Acad Sci U S A"), journal_words(pnas))


def test_journals_compatible_rejects_other_journals():
    full = journal_words("Journal of Clinical Epidemiology")
    assert not journals_compatible(journal_words("J Epidemiol"), full)
    assert not journals_compatible(journal_words("Journal of Clinical Endocrinology"), full)
    assert not journals_compatible((), full)


# --- exact id matches ----------------------------------------------------------------------


def test_same_doi_in_different_forms_after_normalising():
    first = normalize_doi("https://doi.org/10.1016/J.JCLINEPI.2020.01.001")
    second = normalize_doi("doi: 10.1016/j.jclinepi.2020.01.001.")
    assert first == second
    links = find_duplicates(
        [rec(1, doi=first, title="One title"), rec(2, doi=second, title="Quite another title")]
    )
    assert links == [DuplicateLink(duplicate_id=2, kept_id=1, reason="same DOI", score=1.0)]


def test_same_pmid():
    links = find_duplicates([rec(5, pmid="12345678"), rec(3, pmid="12345678", title=CBT)])
    assert links == [DuplicateLink(duplicate_id=5, kept_id=3, reason="same PMID", score=1.0)]


def test_same_embase_id():
    links = find_duplicates(
        [
            rec(1, other_ids=(("embase", "L2004567"),)),
            rec(2, other_ids=(("wos", "WOS:000719584000015"), ("embase", "L2004567"))),
        ]
    )
    assert links == [DuplicateLink(duplicate_id=2, kept_id=1, reason="same Embase id", score=1.0)]


def test_same_value_under_different_id_keys_is_not_a_match():
    links = find_duplicates(
        [rec(1, other_ids=(("embase", "12345"),)), rec(2, other_ids=(("central", "12345"),))]
    )
    assert links == []


def test_doi_beats_pmid_in_the_reason():
    links = find_duplicates(
        [rec(1, doi="10.1/a", pmid="11", title=CBT), rec(2, doi="10.1/a", pmid="11", title=CBT)]
    )
    assert links == [DuplicateLink(duplicate_id=2, kept_id=1, reason="same DOI", score=1.0)]


# --- title matches -------------------------------------------------------------------------


def test_title_typo_year_off_by_one_and_author():
    links = find_duplicates(
        [
            rec(1, title=CBT, year=2019, first_author="Smith, John"),
            rec(2, title=CBT_TYPO, year=2020, first_author="Smith J"),
        ]
    )
    assert links == [
        DuplicateLink(duplicate_id=2, kept_id=1, reason="title 98% + year + author", score=0.9892)
    ]


def test_title_match_with_journal_abbreviation_when_authors_differ():
    links = find_duplicates(
        [
            rec(1, title=MBSR, year=2021, first_author="Anonymous", journal="J Clin Epidemiol"),
            rec(
                2,
                title=MBSR.replace("a systematic", "systematic"),
                year=2021,
                first_author="Lee, K",
                journal="Journal of Clinical Epidemiology",
            ),
        ]
    )
    assert links == [
        DuplicateLink(duplicate_id=2, kept_id=1, reason="title 98% + year + journal", score=0.9873)
    ]


def test_title_match_with_one_year_missing_says_no_year():
    links = find_duplicates(
        [
            rec(1, title=CBT, year=2019, first_author="Smith, John"),
            rec(2, title=CBT, first_author="Smith"),
        ]
    )
    assert links == [
        DuplicateLink(duplicate_id=2, kept_id=1, reason="title 100% + author", score=1.0)
    ]


def test_title_match_but_different_doi_is_not_merged():
    records = [
        rec(1, title=CBT, year=2019, first_author="Smith, John", doi="10.1/article"),
        rec(2, title=CBT, year=2019, first_author="Smith, John", doi="10.1/erratum"),
    ]
    assert find_duplicates(records) == []


def test_title_match_but_different_pmid_is_not_merged():
    records = [
        rec(1, title=CBT, year=2019, first_author="Smith J", pmid="111"),
        rec(2, title=CBT, year=2019, first_author="Smith J", pmid="222"),
    ]
    assert find_duplicates(records) == []


def test_title_match_never_bridges_two_different_dois():
    # C (no DOI) resembles both A and B, which have different DOIs: it joins one only.
    records = [
        rec(1, title=CBT, year=2019, first_author="Smith J", doi="10.1/a", completeness=5),
        rec(2, title=CBT, year=2019, first_author="Smith J", doi="10.1/b", completeness=5),
        rec(3, title=CBT_TYPO, year=2019, first_author="Smith J", completeness=1),
    ]
    links = find_duplicates(records)
    assert [(link.duplicate_id, link.kept_id) for link in links] == [(3, 1)]


def test_title_match_but_years_three_apart_is_not_merged():
    records = [
        rec(1, title=CBT, year=2016, first_author="Smith J"),
        rec(2, title=CBT, year=2019, first_author="Smith J"),
    ]
    assert find_duplicates(records) == []


def test_title_match_without_author_or_journal_agreement_is_not_merged():
    records = [
        rec(1, title=CBT, year=2019, first_author="Smith J", journal="Sleep"),
        rec(2, title=CBT, year=2019, first_author="Jones K", journal="Lancet"),
    ]
    assert find_duplicates(records) == []


def test_title_below_threshold_is_not_merged():
    other = "Effectiveness of cognitive behavioural therapy for depression in older adults"
    records = [
        rec(1, title=CBT, year=2019, first_author="Smith J"),
        rec(2, title=other, year=2019, first_author="Smith J"),
    ]
    assert find_duplicates(records) == []


def test_threshold_is_a_parameter():
    records = [
        rec(1, title=CBT, year=2019, first_author="Smith J"),
        rec(2, title=CBT_TYPO, year=2019, first_author="Smith J"),
    ]
    assert find_duplicates(records, title_threshold=0.995) == []


def test_short_titles_need_exact_match_year_and_author():
    assert find_duplicates(
        [
            rec(1, title="Editorial.", year=2020, first_author="Smith J"),
            rec(2, title="EDITORIAL", year=2020, first_author="Smith, John"),
        ]
    ) == [DuplicateLink(duplicate_id=2, kept_id=1, reason="title 100% + year + author", score=1.0)]
    # One letter off, a missing year, another author, or only the journal: not enough.
    assert (
        find_duplicates(
            [
                rec(1, title="Editorials", year=2020, first_author="Smith J"),
                rec(2, title="Editorial", year=2020, first_author="Smith J"),
                rec(3, title="Editorial", first_author="Smith J"),
                rec(4, title="Editorial", year=2020, first_author="Jones K", journal="BMJ"),
                rec(5, title="Correspondence", year=2020, journal="BMJ"),
                rec(6, title="Correspondence", year=2020, journal="BMJ"),
            ]
        )
        == []
    )


# --- which record is kept ------------------------------------------------------------------


def test_most_complete_record_is_kept():
    links = find_duplicates(
        [
            rec(1, doi="10.1/x", completeness=3),
            rec(2, doi="10.1/x", completeness=9),
            rec(3, doi="10.1/x", completeness=9),
        ]
    )
    assert links == [
        DuplicateLink(duplicate_id=1, kept_id=2, reason="same DOI", score=1.0),
        DuplicateLink(duplicate_id=3, kept_id=2, reason="same DOI", score=1.0),
    ]


def test_new_record_links_to_existing_even_when_more_complete():
    links = find_duplicates(
        [rec(10, doi="10.1/x", completeness=9)],
        existing=[rec(4, doi="10.1/x", completeness=1)],
    )
    assert links == [DuplicateLink(duplicate_id=10, kept_id=4, reason="same DOI", score=1.0)]


def test_existing_records_are_never_reported():
    existing = [
        rec(1, doi="10.1/x", completeness=2),
        rec(2, doi="10.1/x", completeness=5),
        rec(3, title=CBT, year=2019, first_author="Smith J"),
        rec(4, title=CBT, year=2019, first_author="Smith J"),
    ]
    assert find_duplicates([rec(9, doi="10.1/other")], existing=existing) == []
    assert find_duplicates([], existing=existing) == []


def test_new_records_in_a_cluster_with_existing_ones_all_link_to_the_best_existing():
    existing = [
        rec(1, doi="10.1/x", completeness=2),
        rec(2, doi="10.1/x", completeness=5),
    ]
    new = [
        rec(7, doi="10.1/x", completeness=9),
        rec(8, doi="10.1/x", completeness=1),
    ]
    assert find_duplicates(new, existing=existing) == [
        DuplicateLink(duplicate_id=7, kept_id=2, reason="same DOI", score=1.0),
        DuplicateLink(duplicate_id=8, kept_id=2, reason="same DOI", score=1.0),
    ]


def test_new_record_matching_existing_by_title():
    links = find_duplicates(
        [rec(20, title=CBT_TYPO, year=2020, first_author="Smith J", completeness=8)],
        existing=[rec(3, title=CBT, year=2019, first_author="Smith, John", completeness=2)],
    )
    assert links == [
        DuplicateLink(duplicate_id=20, kept_id=3, reason="title 98% + year + author", score=0.9892)
    ]


def test_transitive_cluster_links_straight_to_the_kept_record():
    # A ~ B by DOI, B ~ C by title: one work; B and C both link to A (most complete).
    # A's title is the short form a database gave it: too far for a title match alone.
    records = [
        rec(1, doi="10.1/x", title="CBT for insomnia in older adults", completeness=9),
        rec(2, doi="10.1/x", title=CBT, year=2019, first_author="Smith J", completeness=4),
        rec(3, title=CBT_TYPO, year=2019, first_author="Smith J", completeness=4),
    ]
    links = find_duplicates(records)
    assert links == [
        DuplicateLink(duplicate_id=2, kept_id=1, reason="same DOI", score=1.0),
        DuplicateLink(duplicate_id=3, kept_id=1, reason="title 98% + year + author", score=0.9892),
    ]
    kept = {link.kept_id for link in links}
    assert kept.isdisjoint(link.duplicate_id for link in links)


def test_a_shared_doi_does_not_join_different_works():
    # Embase gives each conference abstract of a supplement the supplement's DOI; a book's
    # chapters can share the book's. Different titles: different works, none hidden.
    records = [
        rec(1, doi="10.1/suppl.1", title=CBT, year=2019, completeness=5),
        rec(2, doi="10.1/suppl.1", title="Statins after stroke: a cohort study", year=2019),
        rec(3, doi="10.1/suppl.1", title=CBT_TYPO, year=2019, completeness=4),
        rec(4, doi="10.1/suppl.1", title="", year=2019, completeness=1),
    ]
    assert find_duplicates(records) == [
        DuplicateLink(duplicate_id=3, kept_id=1, reason="same DOI", score=1.0),
        DuplicateLink(duplicate_id=4, kept_id=1, reason="same DOI", score=1.0),
    ]


def test_id_evidence_beats_title_evidence():
    records = [
        rec(1, pmid="42", title=CBT, year=2019, first_author="Smith J", completeness=9),
        rec(2, pmid="42", title=CBT, year=2019, first_author="Smith J", completeness=1),
    ]
    assert find_duplicates(records) == [
        DuplicateLink(duplicate_id=2, kept_id=1, reason="same PMID", score=1.0)
    ]


# --- blocking ------------------------------------------------------------------------------


def _filler(count: int, seed: int, prefix: str = "") -> list[DedupRecord]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    records = []
    for index in range(count):
        words = ["".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(8)]
        records.append(
            rec(
                1000 + index,
                title=prefix + " ".join(words),
                year=rng.randint(2000, 2020),
                first_author=f"Author{index}, A",
            )
        )
    return records


def test_blocking_finds_a_typo_in_the_first_word():
    records = [
        *_filler(500, seed=1),
        rec(1, title=CBT, year=2019, first_author="Smith J"),
        rec(2, title="Effectivness" + CBT.removeprefix("Effectiveness"), first_author="Smith J"),
    ]
    links = find_duplicates(records)
    assert [(link.duplicate_id, link.kept_id) for link in links] == [(2, 1)]


def test_blocking_finds_typos_in_the_first_and_last_words():
    # Neither the title start nor its end agree: the shared rare words bring them together.
    records = [
        *_filler(500, seed=2),
        rec(1, title=CBT, year=2019, first_author="Smith J"),
        rec(2, title="Efectiveness" + CBT[13:-5] + "trail", year=2019, first_author="Smith J"),
    ]
    links = find_duplicates(records)
    assert [(link.duplicate_id, link.kept_id) for link in links] == [(2, 1)]


def test_huge_block_is_split_and_still_finds_duplicates():
    # 600 titles sharing their first words make one oversized prefix block.
    prefix = "A randomised controlled trial of "
    filler = _filler(600, seed=3, prefix=prefix)
    original = filler[123]
    copy = rec(5000, title=original.title + ".", year=original.year + 1, first_author="Author123")
    undated = rec(5001, title=original.title.upper(), first_author="Author123, A.")
    links = find_duplicates([*filler, copy, undated])
    assert [(link.duplicate_id, link.kept_id) for link in links] == [
        (5000, original.id),
        (5001, original.id),
    ]


def test_no_records():
    assert find_duplicates([]) == []


def test_oversized_single_year_block_falls_back_to_sorted_windows():
    # The private comparer on one block of 300 same-year titles: too many pairs to compare
    # all, so each new title meets its sorted neighbours only, which is where its copy is.
    from reviews import dedup

    filler = [
        rec(r.id, title=r.title, year=2020, first_author=r.first_author)
        for r in _filler(300, seed=4, prefix="Same start ")
    ]
    copy = rec(9000, title=filler[42].title + "s", year=2020, first_author="Author42")
    data = dedup._prepare([*filler, copy], [])
    comparer = dedup._Comparer(data, 93.0)
    comparer.block(list(range(len(data.records))))
    assert list(comparer.found) == [(42, 300)]


def test_accession_numbers_match_only_when_not_bare_digits():
    assert find_duplicates(
        [
            rec(1, other_ids=(("accession", "EJ389705"),)),
            rec(2, other_ids=(("accession", "EJ389705"),)),
        ]
    ) == [DuplicateLink(duplicate_id=2, kept_id=1, reason="same accession number", score=1.0)]
    # A bare number may come from two different databases.
    assert (
        find_duplicates(
            [
                rec(1, other_ids=(("accession", "176404503"),)),
                rec(2, other_ids=(("accession", "176404503"),)),
            ]
        )
        == []
    )
