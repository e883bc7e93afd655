"""PRISMA 2020 counts, checks, CSV/JSON exports and the SVG/PNG diagram.

Pure tests: no database (run with ``-p no:django`` too). Numbers from prisma-spec.md 1.5.
"""

import csv
import io
import json
import random
import struct
from dataclasses import replace

import pytest
from defusedxml import ElementTree as SafeET

from screening.prisma import (
    LABELS,
    MANUAL_FIELDS,
    SYMBOLS,
    TEMPLATE_CSV,
    PrismaInputs,
    as_json,
    prisma_counts,
    template_rows,
    to_template_csv,
    validate_manual,
    write_template_rows,
)
from screening.prisma_svg import (
    FOOTNOTES,
    PAD_X,
    build_layout,
    render_png,
    render_svg,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"

# prisma-spec.md 1.5, the consistent T4 example.
WORKED = PrismaInputs(
    sources=[
        ("PubMed", "database", 700),
        ("Embase", "database", 500),
        ("ClinicalTrials.gov", "register", 50),
        ("Websites", "other", 5),
    ],
    duplicates_in_app=50,
    records_screened=990,
    excluded_human=900,
    excluded_auto=0,
    reports_sought=90,
    duplicates_before_import=200,
    removed_automation=0,
    removed_other=10,
    reports_not_retrieved=5,
    reports_excluded=[("Wrong population", 30), ("Wrong design", 20), ("Wrong outcome", 10)],
    studies_included=24,
    other_identified=[("Citation searching", 15)],
    other_sought=8,
    other_not_retrieved=1,
    other_excluded=[("Not peer reviewed", 3)],
    previous_studies=10,
    previous_reports=14,
)

# The same review as a new one with databases and registers only (T1).
NEW_ONLY = replace(
    WORKED,
    sources=WORKED.sources[:3],
    other_identified=(),
    other_sought=0,
    other_not_retrieved=0,
    other_excluded=(),
    previous_studies=None,
    previous_reports=None,
)


def _messages(counts):
    return [w.message for w in counts.warnings]


def _assert_identities(c):
    """prisma-spec.md 1.3: the identities the app computes."""
    assert c.identified_databases == sum(n for _, n in c.databases)
    assert c.identified_registers == sum(n for _, n in c.registers)
    assert c.duplicates_removed == c.duplicates_before_import + c.duplicates_in_app
    assert c.records_screened == (
        c.identified_databases
        + c.identified_registers
        - c.duplicates_removed
        - c.removed_automation
        - c.removed_other
    )
    assert c.records_excluded == c.excluded_human + c.excluded_auto
    assert c.reports_sought == c.records_screened - c.records_excluded
    assert c.reports_assessed == c.reports_sought - c.reports_not_retrieved
    assert c.reports_excluded == sum(n for _, n in c.exclusion_reasons)
    assert c.reports_included_databases == c.reports_assessed - c.reports_excluded
    assert c.identified_other == sum(n for _, n in c.other_methods)
    assert c.other_assessed == c.other_sought - c.other_not_retrieved
    assert c.other_excluded == sum(n for _, n in c.other_exclusion_reasons)
    assert c.reports_included_other == c.other_assessed - c.other_excluded
    assert c.reports_included == c.reports_included_databases + c.reports_included_other
    if c.is_update:
        assert c.total_studies == c.previous_studies + c.studies_included
        assert c.total_reports == c.previous_reports + c.reports_included


# --- counts -------------------------------------------------------------------------------------


def test_prisma_counts_worked_example_t4():
    c = prisma_counts(WORKED)
    assert c.template == "T4"
    assert c.by_symbol() == {
        "I": 1250,
        "Idb": 1200,
        "Ireg": 50,
        "Rdup": 250,
        "Rauto": 0,
        "Roth": 10,
        "Rbefore": 260,
        "S": 990,
        "X": 900,
        "X_human": 900,
        "X_auto": 0,
        "Sd": 90,
        "NRd": 5,
        "Ad": 85,
        "Ed": 60,
        "Nr_D": 25,
        "Io": 20,
        "So": 8,
        "NRo": 1,
        "Ao": 7,
        "Eo": 3,
        "Nr_O": 4,
        "Nr": 29,
        "Ns": 24,
        "Ps": 10,
        "Pr": 14,
        "Ts": 34,
        "Tr": 43,
    }
    assert c.databases == (("PubMed", 700), ("Embase", 500))
    assert c.registers == (("ClinicalTrials.gov", 50),)
    assert c.other_methods == (("Websites", 5), ("Citation searching", 15))
    assert c.exclusion_reasons == (
        ("Wrong population", 30),
        ("Wrong design", 20),
        ("Wrong outcome", 10),
    )
    assert c.warnings == ()
    _assert_identities(c)


def test_prisma_counts_derives_what_is_not_given():
    # S, Sd, Ad, Ao, Nr left to the identities; Ns defaults to one study per report.
    c = prisma_counts(replace(WORKED, records_screened=None, reports_sought=None))
    assert (c.records_screened, c.reports_sought, c.reports_assessed) == (990, 90, 85)
    assert (c.other_assessed, c.reports_included, c.studies_included) == (7, 29, 24)
    assert prisma_counts(replace(WORKED, studies_included=None)).studies_included == 29
    assert c.warnings == ()


@pytest.mark.parametrize("seed", range(20))
def test_prisma_counts_identities_hold_on_consistent_random_inputs(seed):
    rng = random.Random(seed)
    sources = [
        (f"Source {i}", rng.choice(["database", "register"]), rng.randint(0, 5000))
        for i in range(rng.randint(1, 6))
    ]
    identified = sum(n for _, _, n in sources)
    dup_before = rng.randint(0, identified // 4)
    dup_app = rng.randint(0, identified // 4)
    removed_other = rng.randint(0, identified // 8)
    removed_auto = rng.randint(0, identified // 8)
    screened = identified - dup_before - dup_app - removed_other - removed_auto
    x_auto = rng.randint(0, screened // 3)
    x_human = rng.randint(0, screened - x_auto)
    sought = screened - x_auto - x_human
    not_retrieved = rng.randint(0, sought)
    assessed = sought - not_retrieved
    reasons, left = [], assessed
    for k in range(rng.randint(0, 4)):
        n = rng.randint(0, left)
        reasons.append((f"Reason {k}", n))
        left -= n
    inputs = PrismaInputs(
        sources=sources,
        duplicates_in_app=dup_app,
        records_screened=screened,
        excluded_human=x_human,
        excluded_auto=x_auto,
        reports_sought=sought,
        duplicates_before_import=dup_before,
        removed_automation=removed_auto,
        removed_other=removed_other,
        reports_not_retrieved=not_retrieved,
        reports_excluded=reasons,
        previous_studies=rng.randint(0, 20) if seed % 2 else None,
        previous_reports=rng.randint(20, 40) if seed % 2 else None,
    )
    c = prisma_counts(inputs)
    assert c.warnings == ()
    assert c.template == ("T3" if seed % 2 else "T1")
    _assert_identities(c)
    assert c.reports_included == left


@pytest.mark.parametrize(
    ("changes", "template"),
    [
        ({}, "T1"),
        ({"other_identified": [("Websites", 3)], "other_sought": 1}, "T2"),
        ({"previous_studies": 2, "previous_reports": 3}, "T3"),
        ({"previous_studies": 2, "other_sought": 0, "other_identified": [("Websites", 1)]}, "T4"),
        ({"is_update": True}, "T3"),
        ({"has_other_methods": True}, "T2"),
        ({"is_update": True, "has_other_methods": True}, "T4"),
    ],
)
def test_prisma_counts_picks_template(changes, template):
    c = prisma_counts(replace(NEW_ONLY, **changes))
    assert c.template == template
    assert c.is_update == (template in ("T3", "T4"))
    assert c.has_other_methods == (template in ("T2", "T4"))


def test_prisma_counts_other_batches_make_other_methods_column():
    c = prisma_counts(
        replace(NEW_ONLY, sources=[*NEW_ONLY.sources, ("Google Scholar", "other", 7)])
    )
    assert c.template == "T2"
    assert c.other_methods == (("Google Scholar", 7),)
    assert c.identified_other == 7


def test_prisma_counts_new_review_has_no_previous_or_total_boxes():
    c = prisma_counts(NEW_ONLY)
    assert c.template == "T1"
    assert (c.previous_studies, c.previous_reports, c.total_studies, c.total_reports) == (
        None,
        None,
        None,
        None,
    )
    assert (c.identified_other, c.other_sought, c.reports_included_other) == (0, 0, 0)
    assert (c.reports_included, c.studies_included) == (25, 24)
    _assert_identities(c)


def test_prisma_counts_merges_batches_of_the_same_source():
    c = prisma_counts(
        replace(
            NEW_ONLY,
            sources=[
                ("PubMed", "database", 400),
                ("Embase", "database", 500),
                ("PubMed", "database", 300),
                ("ClinicalTrials.gov", "register", 50),
            ],
        )
    )
    assert c.databases == (("PubMed", 700), ("Embase", 500))
    assert c.warnings == ()


def test_prisma_counts_unknown_source_kind_raises():
    with pytest.raises(ValueError, match="Source kind 'journal' of 'X' is not one of"):
        prisma_counts(PrismaInputs(sources=[("X", "journal", 3)]))


# --- checks -------------------------------------------------------------------------------------


def test_check_reports_excluded_more_than_assessed():
    c = prisma_counts(replace(NEW_ONLY, reports_assessed=10, reports_excluded=[("Wrong", 12)]))
    assert _messages(c) == [
        "Reports assessed (10) should equal reports sought minus reports not retrieved "
        "(90 \u2212 5 = 85).",
        "Reports excluded (12) is more than reports assessed (10).",
        "Counts cannot be negative: Reports included from databases and registers (-2), "
        "Reports of included studies (-2).",
    ]
    assert c.warnings[1].boxes == ("reports_excluded",)
    assert c.warnings[2].boxes == ("reports_included_databases", "reports_included")
    assert c.flagged("reports_assessed") == [_messages(c)[0]]


def test_check_records_screened_identity():
    c = prisma_counts(replace(NEW_ONLY, records_screened=1000, reports_sought=100))
    assert _messages(c) == [
        "Records screened (1,000) should equal records identified (1,250) minus records removed "
        "before screening (260), which is 990."
    ]
    assert "records_screened" in c.warnings[0].boxes
    assert c.records_screened == 1000


def test_check_removed_more_than_identified():
    c = prisma_counts(
        PrismaInputs(sources=[("PubMed", "database", 10)], duplicates_before_import=12)
    )
    assert _messages(c)[0] == (
        "Records removed before screening (12) is more than records identified (10)."
    )
    assert c.records_screened == -2
    assert _messages(c)[-1] == (
        "Counts cannot be negative: Records screened (-2), Reports sought for retrieval (-2), "
        "Reports assessed for eligibility (-2), Reports included from databases and registers "
        "(-2), Reports of included studies (-2), Studies included (-2)."
    )


def test_check_undecided_records_while_screening():
    c = prisma_counts(replace(NEW_ONLY, excluded_human=500, reports_sought=40))
    assert _messages(c)[0] == (
        "Reports sought for retrieval (40) should equal records screened minus records excluded "
        "(990 \u2212 500 = 490): 450 records have no final decision yet (pending or in conflict)."
    )


def test_check_more_sought_than_left_after_exclusion():
    c = prisma_counts(replace(NEW_ONLY, reports_sought=95))
    assert _messages(c)[0] == (
        "Reports sought for retrieval (95) is more than records screened minus records excluded "
        "(990 \u2212 900 = 90)."
    )


@pytest.mark.parametrize(
    ("changes", "message", "box"),
    [
        (
            {"excluded_human": 1000, "reports_sought": 0},
            "Records excluded (1,000) is more than records screened (990).",
            "records_excluded",
        ),
        (
            {"reports_not_retrieved": 91},
            "Reports not retrieved (91) is more than reports sought (90).",
            "reports_not_retrieved",
        ),
        (
            {"reports_included": 30},
            "Reports of included studies (30) should equal reports assessed minus reports "
            "excluded (25).",
            "reports_included",
        ),
        (
            {"studies_included": 26},
            "Studies included (26) is more than reports of included studies (25).",
            "studies_included",
        ),
        (
            {"studies_included": 0},
            "Studies included is 0, but there are 25 reports of included studies.",
            "studies_included",
        ),
        (
            {"previous_studies": 15, "previous_reports": 14},
            "Studies included in previous version of review (15) is more than reports of those "
            "studies (14).",
            "previous_studies",
        ),
    ],
)
def test_check_messages(changes, message, box):
    c = prisma_counts(replace(NEW_ONLY, **changes))
    assert message in _messages(c)
    assert box in c.warnings[_messages(c).index(message)].boxes


@pytest.mark.parametrize(
    ("changes", "message", "box"),
    [
        (
            {"other_sought": 21},
            "Reports sought from other methods (21) is more than records identified from other "
            "methods (20).",
            "other_sought",
        ),
        (
            {"other_not_retrieved": 9},
            "Reports not retrieved (other methods) (9) is more than reports sought (other "
            "methods) (8).",
            "other_not_retrieved",
        ),
        (
            {"other_assessed": 6},
            "Reports assessed from other methods (6) should equal reports sought minus reports "
            "not retrieved (8 \u2212 1 = 7).",
            "other_assessed",
        ),
        (
            {"other_excluded": [("Not peer reviewed", 8)]},
            "Reports excluded (other methods) (8) is more than reports assessed (other methods) "
            "(7).",
            "other_excluded",
        ),
        (
            {"reports_included": 28},
            "Reports of included studies (28) should equal reports assessed minus reports "
            "excluded (25 + 4 = 29).",
            "reports_included",
        ),
    ],
)
def test_check_messages_other_methods(changes, message, box):
    c = prisma_counts(replace(WORKED, **changes))
    assert message in _messages(c)
    assert box in c.warnings[_messages(c).index(message)].boxes


def test_check_numbers_for_columns_not_shown():
    c = prisma_counts(replace(WORKED, is_update=False, has_other_methods=False))
    assert c.template == "T1"
    assert _messages(c) == [
        "Numbers entered for other methods are not shown: the diagram has no other-methods column.",
        "Numbers entered for a previous version are not shown: the review is not an update.",
    ]
    assert c.reports_included == 25


# --- manual numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3.5", "Reports assessed must be a whole number, not '3.5'."),
        (3.5, "Reports assessed must be a whole number, not 3.5."),
        ("", "Reports assessed must be a whole number, not ''."),
        ("ten", "Reports assessed must be a whole number, not 'ten'."),
        ("1,20", "Reports assessed must be a whole number, not '1,20'."),
        ("\u0661\u0662", "Reports assessed must be a whole number, not '\u0661\u0662'."),
        (None, "Reports assessed must be a whole number, not None."),
        (True, "Reports assessed must be a whole number, not True."),
        (-2, "Reports assessed must be zero or more, not -2."),
        ("-2", "Reports assessed must be zero or more, not '-2'."),
    ],
)
def test_validate_manual_refuses(value, message):
    with pytest.raises(ValueError) as error:
        validate_manual("Reports assessed", value)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0), (7, 7), (" 7 ", 7), ("1,200", 1200), (3.0, 3), ("0", 0)]
)
def test_validate_manual_accepts(value, expected):
    assert validate_manual("Reports assessed", value) == expected


def test_prisma_counts_refuses_invalid_inputs():
    with pytest.raises(ValueError, match=r"^Records excluded by a human must be zero or more"):
        prisma_counts(replace(NEW_ONLY, excluded_human=-1))
    with pytest.raises(ValueError, match=r"^Reports assessed for eligibility must be a whole"):
        prisma_counts(replace(NEW_ONLY, reports_assessed="3.5"))
    with pytest.raises(ValueError, match=r"^Reports excluded for 'Wrong' must be a whole number"):
        prisma_counts(replace(NEW_ONLY, reports_excluded=[("Wrong", 1.5)]))
    with pytest.raises(ValueError, match=r"^Records from 'PubMed' must be zero or more"):
        prisma_counts(PrismaInputs(sources=[("PubMed", "database", -1)]))


def test_manual_fields_have_labels():
    assert list(MANUAL_FIELDS) == [
        "duplicates_before_import",
        "removed_automation",
        "removed_other",
        "reports_not_retrieved",
        "reports_assessed",
        "studies_included",
        "reports_included",
        "other_sought",
        "other_not_retrieved",
        "other_assessed",
        "previous_studies",
        "previous_reports",
    ]
    assert all(MANUAL_FIELDS[name] == LABELS[name] for name in MANUAL_FIELDS)


# --- CSV and JSON -------------------------------------------------------------------------------


def _parse_csv(text):
    reader = csv.DictReader(io.StringIO(text))
    return reader.fieldnames, list(reader)


def test_template_rows_write_back_byte_for_byte():
    header, rows = template_rows()
    assert len(rows) == 34
    assert write_template_rows(header, rows) == TEMPLATE_CSV.read_text(encoding="utf-8") + "\n"


def test_to_template_csv_worked_example():
    text = to_template_csv(prisma_counts(WORKED))
    header, rows = _parse_csv(text)
    template_header, template = template_rows()
    assert header == template_header
    assert len(rows) == 34
    # Every column but n is the template's, row for row.
    for row, original in zip(rows, template, strict=True):
        assert {k: v for k, v in row.items() if k != "n"} == {
            k: v for k, v in original.items() if k != "n"
        }
    n = {row["data"]: row["n"] for row in rows if row["data"] != "NA"}
    assert n == {
        "previous_studies": "10",
        "previous_reports": "14",
        "database_results": "1200",
        "database_specific_results": "PubMed, 700; Embase, 500",
        "register_results": "50",
        "register_specific_results": "ClinicalTrials.gov, 50",
        "website_results": "5",
        "organisation_results": "NA",
        "citations_results": "15",
        "duplicates": "250",
        "excluded_automatic": "0",
        "excluded_other": "10",
        "records_screened": "990",
        "records_excluded": "900",
        "dbr_sought_reports": "90",
        "dbr_notretrieved_reports": "5",
        "other_sought_reports": "8",
        "other_notretrieved_reports": "1",
        "dbr_assessed": "85",
        "dbr_excluded": "Wrong population, 30; Wrong design, 20; Wrong outcome, 10",
        "other_assessed": "7",
        "other_excluded": "Not peer reviewed, 3",
        "new_studies": "24",
        "new_reports": "29",
        "total_studies": "34",
        "total_reports": "43",
        "identification": "0",
        "screening": "0",
        "included": "0",
        "total_studies_ma": "0",
        "total_reports_ma": "0",
    }
    # The title rows (data NA) keep the template's n.
    assert [row["n"] for row in rows if row["data"] == "NA"] == ["0", "0", "0"]


def test_to_template_csv_new_review_switches_columns_off():
    text = to_template_csv(prisma_counts(NEW_ONLY))
    n = {row["data"]: row["n"] for row in _parse_csv(text)[1]}
    assert (n["previous_studies"], n["previous_reports"]) == ("NA", "NA")
    assert (n["website_results"], n["organisation_results"], n["citations_results"]) == (
        "NA",
        "NA",
        "NA",
    )
    assert (n["total_studies"], n["total_reports"]) == ("24", "25")


def test_to_template_csv_names_safe_for_the_package_parser():
    c = prisma_counts(
        replace(
            NEW_ONLY,
            sources=[("Embase, Elsevier; 2024", "database", 1200), ("CT.gov", "register", 50)],
            reports_excluded=[("Wrong population, adults", 60)],
        )
    )
    n = {row["data"]: row["n"] for row in _parse_csv(to_template_csv(c))[1]}
    assert n["database_specific_results"] == "Embase - Elsevier - 2024, 1200"
    assert n["dbr_excluded"] == "Wrong population - adults, 60"
    # The package splits on ";" and reads the reason before the first ",".
    reason, number = n["dbr_excluded"].split(";")[0].split(",", 1)
    assert (reason, int(number)) == ("Wrong population - adults", 60)


def test_to_template_csv_other_methods_rows():
    c = prisma_counts(
        replace(
            NEW_ONLY,
            other_identified=[
                ("Organisations", 2),
                ("Citation searching (backward)", 4),
                ("Google Scholar", 3),
                ("Websites", 1),
            ],
        )
    )
    n = {row["data"]: row["n"] for row in _parse_csv(to_template_csv(c))[1]}
    assert (n["website_results"], n["organisation_results"], n["citations_results"]) == (
        "4",
        "2",
        "4",
    )
    assert n["other_excluded"] == "0"


def test_as_json_has_every_count():
    c = prisma_counts(WORKED)
    data = json.loads(json.dumps(as_json(c)))
    assert data["template"] == "T4"
    assert data["template_title"].startswith("PRISMA 2020 flow diagram for updated")
    for symbol, name in SYMBOLS.items():
        assert data[name] == c.by_symbol()[symbol], symbol
    assert data["databases"] == [{"name": "PubMed", "n": 700}, {"name": "Embase", "n": 500}]
    assert data["exclusion_reasons"][0] == {"name": "Wrong population", "n": 30}
    assert data["warnings"] == []
    broken = as_json(prisma_counts(replace(WORKED, reports_not_retrieved=91)))
    assert broken["warnings"][0] == {
        "message": "Reports not retrieved (91) is more than reports sought (90).",
        "boxes": ["reports_not_retrieved"],
    }


# --- SVG ----------------------------------------------------------------------------------------


def _svg(counts):
    text = render_svg(counts)
    return text, SafeET.fromstring(text)


def _box_text(root, key):
    for group in root.iter(f"{SVG}g"):
        if group.get("data-box") == key:
            return " ".join(
                (t.text or "")
                for t in group.iter()
                if t.tag in (f"{SVG}tspan", f"{SVG}text") and t.text and t.text.strip()
            )
    raise AssertionError(f"no box {key}")


def _boxes(root):
    return {g.get("data-box") for g in root.iter(f"{SVG}g") if g.get("data-box")}


def _footnotes(root):
    return [
        " ".join(t.text for t in text.iter(f"{SVG}tspan"))
        for text in root.iter(f"{SVG}text")
        if text.get("class") == "prisma-footnote"
    ]


COMMON_BOXES = {
    "identified": ["Records identified from*:", "Databases (n = 1,200)", "Registers (n = 50)"],
    "removed": [
        "Records removed before screening:",
        "Duplicate records removed (n = 250)",
        "Records marked as ineligible by automation tools (n = 0)",
        "Records removed for other reasons (n = 10)",
    ],
    "screened": ["Records screened (n = 990)"],
    "excluded": ["Records excluded** (n = 900)"],
    "sought": ["Reports sought for retrieval (n = 90)"],
    "not_retrieved": ["Reports not retrieved (n = 5)"],
    "assessed": ["Reports assessed for eligibility (n = 85)"],
    "reports_excluded": [
        "Reports excluded:",
        "Wrong population (n = 30)",
        "Wrong design (n = 20)",
        "Wrong outcome (n = 10)",
    ],
}


def test_svg_t1_verbatim():
    text, root = _svg(prisma_counts(NEW_ONLY))
    assert root.tag == f"{SVG}svg"
    assert root.get("data-template") == "T1"
    assert _boxes(root) == {
        "header_databases",
        "band_identification",
        "band_screening",
        "band_included",
        *COMMON_BOXES,
        "included",
    }
    assert _box_text(root, "header_databases") == (
        "Identification of studies via databases and registers"
    )
    for key, strings in COMMON_BOXES.items():
        for string in strings:
            assert string in _box_text(root, key), (key, string)
    assert _box_text(root, "included") == (
        "Studies included in review (n = 24) Reports of included studies (n = 25)"
    )
    assert [_box_text(root, f"band_{b}") for b in ("identification", "screening", "included")] == [
        "Identification",
        "Screening",
        "Included",
    ]
    assert _footnotes(root) == list(FOOTNOTES)
    assert "\u26a0" not in text


def test_svg_t2_other_methods_column():
    c = prisma_counts(replace(WORKED, previous_studies=None, previous_reports=None))
    _, root = _svg(c)
    assert root.get("data-template") == "T2"
    assert _box_text(root, "header_other") == "Identification of studies via other methods"
    assert _box_text(root, "other_identified") == (
        "Records identified from: Websites (n = 5) Citation searching (n = 15)"
    )
    assert _box_text(root, "other_sought") == "Reports sought for retrieval (n = 8)"
    assert _box_text(root, "other_not_retrieved") == "Reports not retrieved (n = 1)"
    assert _box_text(root, "other_assessed") == "Reports assessed for eligibility (n = 7)"
    assert _box_text(root, "other_excluded") == "Reports excluded: Not peer reviewed (n = 3)"
    assert _box_text(root, "included") == (
        "Studies included in review (n = 24) Reports of included studies (n = 29)"
    )
    assert "header_previous" not in _boxes(root)


def test_svg_t3_previous_studies_column():
    c = prisma_counts(replace(NEW_ONLY, previous_studies=10, previous_reports=14))
    _, root = _svg(c)
    assert root.get("data-template") == "T3"
    assert _box_text(root, "header_previous") == "Previous studies"
    assert _box_text(root, "header_databases") == (
        "Identification of new studies via databases and registers"
    )
    assert _box_text(root, "previous") == (
        "Studies included in previous version of review (n = 10) "
        "Reports of studies included in previous version of review (n = 14)"
    )
    assert _box_text(root, "included") == (
        "New studies included in review (n = 24) Reports of new included studies (n = 25)"
    )
    assert _box_text(root, "total") == (
        "Total studies included in review (n = 34) Reports of total included studies (n = 39)"
    )
    assert "header_other" not in _boxes(root)


def test_svg_t4_all_columns():
    c = prisma_counts(WORKED)
    _, root = _svg(c)
    assert root.get("data-template") == "T4"
    keys = [g.get("data-box") for g in root.iter(f"{SVG}g") if g.get("data-box")]
    assert len(keys) == len(set(keys)) == 3 + 3 + 8 + 1 + 2 + 5
    assert _box_text(root, "header_other") == "Identification of new studies via other methods"
    assert _box_text(root, "total") == (
        "Total studies included in review (n = 34) Reports of total included studies (n = 43)"
    )
    for key, strings in COMMON_BOXES.items():
        for string in strings:
            assert string in _box_text(root, key), (key, string)
    assert _footnotes(root) == list(FOOTNOTES)
    # Arrows: 8 in the database column, 5 for other methods, 2 for the totals.
    arrows = [p for p in root.iter(f"{SVG}polyline")]
    assert len(arrows) == 15
    assert all(p.get("marker-end") == "url(#prisma-arrowhead)" for p in arrows)


def test_svg_accessible():
    _, root = _svg(prisma_counts(WORKED))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "prisma-title prisma-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title.get("id") == "prisma-title"
    assert title.text == (
        "PRISMA 2020 flow diagram for updated systematic reviews which included searches of "
        "databases, registers and other sources"
    )
    assert desc.get("id") == "prisma-desc"
    assert "records screened: 990" in desc.text
    assert "total studies included: 34 (43 reports)" in desc.text


def test_svg_escapes_source_names():
    name = "<script>A&B</script>"
    c = prisma_counts(
        replace(
            NEW_ONLY,
            sources=[(name, "database", 1200), ('Reg "1" \x0b', "register", 50)],
            reports_excluded=[("Wrong <design> & more", 60)],
        )
    )
    text, root = _svg(c)
    assert "<script" not in text
    assert ">&lt;script&gt;A&amp;B&lt;/script&gt;" in text
    assert not list(root.iter(f"{SVG}script"))
    assert f"{name} (n = 1,200)" in _box_text(root, "identified")
    assert 'Reg "1" (n = 50)' in _box_text(root, "identified")
    assert "Wrong <design> & more (n = 60)" in _box_text(root, "reports_excluded")


def test_svg_thousands_separators():
    c = prisma_counts(
        PrismaInputs(sources=[("PubMed", "database", 1200), ("Embase", "database", 1234567)])
    )
    _, root = _svg(c)
    identified = _box_text(root, "identified")
    assert "Databases (n = 1,235,767)" in identified
    assert "PubMed (n = 1,200)" in identified
    assert "Embase (n = 1,234,567)" in identified
    assert _box_text(root, "screened") == "Records screened (n = 1,235,767)"


def test_svg_shows_automation_exclusions_apart():
    c = prisma_counts(replace(NEW_ONLY, excluded_human=880, excluded_auto=20))
    _, root = _svg(c)
    assert _box_text(root, "excluded") == (
        "Records excluded** (n = 900) Excluded by a human (n = 880) "
        "Excluded by automation tools (n = 20)"
    )
    _, plain = _svg(prisma_counts(NEW_ONLY))
    assert _box_text(plain, "excluded") == "Records excluded** (n = 900)"


def test_svg_marks_boxes_that_break_a_check():
    c = prisma_counts(replace(NEW_ONLY, reports_excluded=[("Wrong", 86)]))
    text, root = _svg(c)
    marked = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("data-box"):
            mark = [g for g in group.iter(f"{SVG}g") if g.get("class") == "prisma-warning"]
            rect = group.find(f"{SVG}rect")
            marked[group.get("data-box")] = (rect.get("stroke"), bool(mark))
            if mark:
                assert mark[0].find(f"{SVG}title").text
    assert marked["reports_excluded"] == ("#c00000", True)
    assert marked["included"] == ("#c00000", True)
    assert marked["assessed"] == ("#000000", False)
    warnings = [
        " ".join(t.text for t in el.iter(f"{SVG}tspan"))
        for el in root.iter(f"{SVG}text")
        if el.get("class") == "prisma-warning"
    ]
    assert warnings[0] == "\u26a0 Reports excluded (86) is more than reports assessed (85)."


def test_svg_fits_1280_and_text_fits_boxes():
    long_name = "A very long database name that certainly does not fit on one line " * 2
    for changes in ({}, {"is_update": False}, {"has_other_methods": False}):
        inputs = replace(WORKED, sources=[*WORKED.sources, (long_name, "database", 1)], **changes)
        layout = build_layout(prisma_counts(inputs))
        assert layout.width <= 1280
        for box in layout.boxes:
            if box.kind == "band":
                continue
            for line in box.lines:
                width = text_width(line.text, box.font_size, line.bold)
                if box.align == "middle":
                    assert width <= box.w - 2 * PAD_X + 0.01, line.text
                else:
                    assert line.x + width <= box.x + box.w - PAD_X + 0.01, line.text
                assert box.y < line.y < box.y + box.h


# --- PNG ----------------------------------------------------------------------------------------


def test_render_png():
    c = prisma_counts(WORKED)
    png = render_png(c, scale=1.5)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    layout = build_layout(c)
    assert abs(width - layout.width * 1.5) <= 2
    assert abs(height - layout.height * 1.5) <= 2
    assert len(png) > 20_000
