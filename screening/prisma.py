"""PRISMA 2020 flow diagram counts: pure arithmetic and checks, no Django.

The boxes, their arithmetic and the checks follow prisma-spec.md section 1 (1.2 labels, 1.3
identities and checks, 1.4 what the app knows). The caller (a query on the review) fills
:class:`PrismaInputs` with what the app counts and what the owner entered by hand;
:func:`prisma_counts` derives every box, picks the template (T1-T4) and lists the checks that
fail. Nothing here raises for a failed check: a number that breaks one is shown with a warning.
Only invalid input (not a whole number, negative) raises ``ValueError``.

Spec symbols and the attribute that holds each are in :data:`SYMBOLS`.
"""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

TEMPLATE_CSV = Path(__file__).with_name("data") / "prisma2020_template.csv"

DATABASE = "database"
REGISTER = "register"
OTHER = "other"
SOURCE_KINDS = (DATABASE, REGISTER, OTHER)

# prisma-spec.md 1.1, verbatim.
TEMPLATE_TITLES = {
    "T1": "PRISMA 2020 flow diagram for new systematic reviews which included searches of "
    "databases and registers only",
    "T2": "PRISMA 2020 flow diagram for new systematic reviews which included searches of "
    "databases, registers and other sources",
    "T3": "PRISMA 2020 flow diagram for updated systematic reviews which included searches of "
    "databases and registers only",
    "T4": "PRISMA 2020 flow diagram for updated systematic reviews which included searches of "
    "databases, registers and other sources",
}

# The other-methods lines of the official templates, in their order.
OTHER_METHODS = ("Websites", "Organisations", "Citation searching")

# Labels used in messages, for inputs a person may have typed or the app counted.
LABELS = {
    "duplicates_in_app": "Duplicate records found in the app",
    "records_screened": "Records screened",
    "excluded_human": "Records excluded by a human",
    "excluded_auto": "Records excluded by automation tools",
    "reports_sought": "Reports sought for retrieval",
    "duplicates_before_import": "Duplicate records removed before import",
    "removed_automation": "Records marked as ineligible by automation tools",
    "removed_other": "Records removed for other reasons",
    "reports_not_retrieved": "Reports not retrieved",
    "reports_assessed": "Reports assessed for eligibility",
    "studies_included": "Studies included in review",
    "reports_included": "Reports of included studies",
    "other_sought": "Reports sought for retrieval (other methods)",
    "other_not_retrieved": "Reports not retrieved (other methods)",
    "other_assessed": "Reports assessed for eligibility (other methods)",
    "previous_studies": "Studies included in previous version of review",
    "previous_reports": "Reports of studies included in previous version of review",
}

# The numbers an owner enters by hand (prisma-spec.md 1.4), in form order, with their labels.
MANUAL_FIELDS = {
    name: LABELS[name]
    for name in (
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
    )
}

# prisma-spec.md 1.2/1.3 symbol -> PrismaCounts attribute.
SYMBOLS = {
    "I": "identified",
    "Idb": "identified_databases",
    "Ireg": "identified_registers",
    "Rdup": "duplicates_removed",
    "Rauto": "removed_automation",
    "Roth": "removed_other",
    "Rbefore": "removed_before_screening",
    "S": "records_screened",
    "X": "records_excluded",
    "X_human": "excluded_human",
    "X_auto": "excluded_auto",
    "Sd": "reports_sought",
    "NRd": "reports_not_retrieved",
    "Ad": "reports_assessed",
    "Ed": "reports_excluded",
    "Nr_D": "reports_included_databases",
    "Io": "identified_other",
    "So": "other_sought",
    "NRo": "other_not_retrieved",
    "Ao": "other_assessed",
    "Eo": "other_excluded",
    "Nr_O": "reports_included_other",
    "Nr": "reports_included",
    "Ns": "studies_included",
    "Ps": "previous_studies",
    "Pr": "previous_reports",
    "Ts": "total_studies",
    "Tr": "total_reports",
}

_GROUPED = re.compile(r"\d{1,3}(,\d{3})+")


def fmt(n: int) -> str:
    """A count with thousands separators, as the PRISMA2020 package prints it: 1200 -> '1,200'."""
    return f"{n:,}"


def validate_manual(name: str, value) -> int:
    """A count typed by a person, as an int; ``ValueError`` with a readable message otherwise.

    Accepts ints, whole floats, and strings of digits (optionally grouped as "1,200").
    ``name`` is the human label used in the message, e.g. "Reports assessed".
    """
    number = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        sign = -1 if text[:1] in ("-", "\u2212") else 1
        digits = text[1:].strip() if sign == -1 else text
        if _GROUPED.fullmatch(digits):
            digits = digits.replace(",", "")
        if digits.isascii() and digits.isdigit():
            number = sign * int(digits)
    if number is None:
        raise ValueError(f"{name} must be a whole number, not {value!r}.")
    if number < 0:
        raise ValueError(f"{name} must be zero or more, not {value!r}.")
    return number


def _optional(name: str, value) -> int | None:
    return None if value is None else validate_manual(name, value)


@dataclass(frozen=True)
class PrismaInputs:
    """What the app counts and what the owner entered, for one review.

    App counts (title/abstract stage, records from database and register batches only):

    * ``sources``: ``(source_name, kind, n)`` per import batch, kind ``"database"``,
      ``"register"`` or ``"other"`` (other methods). Batches with the same kind and name are
      added up. ``n`` is the raw number of records the batch brought in.
    * ``duplicates_in_app``: duplicates found and linked in the app.
    * ``records_screened`` (S): records that entered screening; ``None`` derives it from the
      identity ``S = Idb + Ireg - Rdup - Rauto - Roth``.
    * ``excluded_human`` / ``excluded_auto``: records excluded by reviewers / left unscreened by
      a stopping rule (automation). ``X = excluded_human + excluded_auto``.
    * ``reports_sought`` (Sd): title/abstract includes (maybe counts as include); ``None``
      derives ``S - X``.

    Manual numbers (``None`` where allowed means "derive it"):

    * ``duplicates_before_import``: removed outside the app (EndNote, Zotero); ``Rdup`` is this
      plus ``duplicates_in_app``.
    * ``removed_other`` (Roth), ``removed_automation`` (Rauto, classifier before screening).
    * ``reports_not_retrieved`` (NRd); ``reports_assessed`` (Ad, default ``Sd - NRd``);
      ``reports_excluded``: ``(reason, n)`` with each report under its primary reason.
    * ``studies_included`` (Ns, default Nr: one study per report); ``reports_included``
      (Nr, default ``Nr_D + Nr_O``).
    * Other methods: ``other_identified`` as ``(method, n)`` (e.g. "Websites", "Organisations",
      "Citation searching"; batches of kind "other" are added to these), ``other_sought`` (So),
      ``other_not_retrieved`` (NRo), ``other_assessed`` (Ao, default ``So - NRo``),
      ``other_excluded`` as ``(reason, n)``.
    * Previous review: ``previous_studies`` (Ps), ``previous_reports`` (Pr).
    * ``is_update`` / ``has_other_methods``: ``None`` derives them (an update has a previous
      number entered; other methods have a record, batch or number entered).
    """

    sources: Sequence[tuple[str, str, int]] = ()
    duplicates_in_app: int = 0
    records_screened: int | None = None
    excluded_human: int = 0
    excluded_auto: int = 0
    reports_sought: int | None = None

    duplicates_before_import: int = 0
    removed_automation: int = 0
    removed_other: int = 0
    reports_not_retrieved: int = 0
    reports_assessed: int | None = None
    reports_excluded: Sequence[tuple[str, int]] = ()
    studies_included: int | None = None
    reports_included: int | None = None

    other_identified: Sequence[tuple[str, int]] = ()
    other_sought: int = 0
    other_not_retrieved: int = 0
    other_assessed: int | None = None
    other_excluded: Sequence[tuple[str, int]] = ()

    previous_studies: int | None = None
    previous_reports: int | None = None

    is_update: bool | None = None
    has_other_methods: bool | None = None


@dataclass(frozen=True)
class PrismaWarning:
    """A failed check; ``boxes`` names the PrismaCounts attributes whose boxes it concerns."""

    message: str
    boxes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrismaCounts:
    """Every box of the diagram. Previous-review and total boxes are ``None`` unless an update;
    other-methods numbers are 0 when the review used no other methods."""

    template: str
    is_update: bool
    has_other_methods: bool

    databases: tuple[tuple[str, int], ...]
    registers: tuple[tuple[str, int], ...]
    identified_databases: int
    identified_registers: int
    identified: int

    duplicates_before_import: int
    duplicates_in_app: int
    duplicates_removed: int
    removed_automation: int
    removed_other: int
    removed_before_screening: int

    records_screened: int
    excluded_human: int
    excluded_auto: int
    records_excluded: int

    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    exclusion_reasons: tuple[tuple[str, int], ...]
    reports_excluded: int
    reports_included_databases: int

    other_methods: tuple[tuple[str, int], ...]
    identified_other: int
    other_sought: int
    other_not_retrieved: int
    other_assessed: int
    other_exclusion_reasons: tuple[tuple[str, int], ...]
    other_excluded: int
    reports_included_other: int

    reports_included: int
    studies_included: int
    previous_studies: int | None
    previous_reports: int | None
    total_studies: int | None
    total_reports: int | None

    warnings: tuple[PrismaWarning, ...] = field(default=())

    @property
    def template_title(self) -> str:
        return TEMPLATE_TITLES[self.template]

    def by_symbol(self) -> dict[str, int | None]:
        """The counts under the spec's symbols (S, Ad, Nr_D, ...)."""
        return {symbol: getattr(self, name) for symbol, name in SYMBOLS.items()}

    def flagged(self, box: str) -> list[str]:
        """Messages of the warnings that concern ``box`` (an attribute name)."""
        return [w.message for w in self.warnings if box in w.boxes]


def _merge(pairs) -> tuple[tuple[str, int], ...]:
    merged: dict[str, int] = {}
    for name, n in pairs:
        merged[name] = merged.get(name, 0) + n
    return tuple(merged.items())


def _named_counts(what: str, pairs) -> list[tuple[str, int]]:
    result = []
    for name, n in pairs:
        name = str(name).strip()
        result.append((name, validate_manual(f"{what} '{name}'", n)))
    return result


class _Checks:
    def __init__(self):
        self.warnings: list[PrismaWarning] = []

    def add(self, message: str, *boxes: str):
        self.warnings.append(PrismaWarning(message, boxes))

    def not_more(self, child: int, child_label: str, parent: int, parent_label: str, *boxes):
        if child > parent:
            self.add(
                f"{child_label} ({fmt(child)}) is more than {parent_label} ({fmt(parent)}).", *boxes
            )


def prisma_counts(inputs: PrismaInputs) -> PrismaCounts:
    """Derive every box from ``inputs`` (prisma-spec.md 1.3) and run the checks."""
    v = {
        name: validate_manual(label, getattr(inputs, name))
        for name, label in LABELS.items()
        if getattr(inputs, name) is not None
    }
    checks = _Checks()

    by_kind: dict[str, list[tuple[str, int]]] = {kind: [] for kind in SOURCE_KINDS}
    for name, kind, n in inputs.sources:
        if kind not in SOURCE_KINDS:
            raise ValueError(
                f"Source kind {kind!r} of {name!r} is not one of {', '.join(SOURCE_KINDS)}."
            )
        by_kind[kind].append((str(name).strip(), validate_manual(f"Records from '{name}'", n)))
    databases = _merge(by_kind[DATABASE])
    registers = _merge(by_kind[REGISTER])
    other_methods = _merge(
        by_kind[OTHER] + _named_counts("Records identified from", inputs.other_identified)
    )
    reasons = _merge(_named_counts("Reports excluded for", inputs.reports_excluded))
    other_reasons = _merge(_named_counts("Reports excluded for", inputs.other_excluded))

    # Template.
    is_update = inputs.is_update
    if is_update is None:
        is_update = inputs.previous_studies is not None or inputs.previous_reports is not None
    has_other = inputs.has_other_methods
    if has_other is None:
        has_other = (
            bool(other_methods)
            or any(
                v.get(name, 0) > 0
                for name in ("other_sought", "other_not_retrieved", "other_assessed")
            )
            or bool(other_reasons)
        )
    template = {(False, False): "T1", (False, True): "T2", (True, False): "T3"}.get(
        (is_update, has_other), "T4"
    )

    # Identification (D column).
    idb = sum(n for _, n in databases)
    ireg = sum(n for _, n in registers)
    identified = idb + ireg
    dup_before = v["duplicates_before_import"]
    dup_in_app = v["duplicates_in_app"]
    rdup = dup_before + dup_in_app
    rauto = v["removed_automation"]
    roth = v["removed_other"]
    rbefore = rdup + rauto + roth
    expected_screened = identified - rbefore
    identification_boxes = ("identified_databases", "identified_registers", "duplicates_removed")
    if rbefore > identified:
        checks.add(
            f"Records removed before screening ({fmt(rbefore)}) is more than records identified "
            f"({fmt(identified)}).",
            *identification_boxes,
        )
    screened = v.get("records_screened", expected_screened)
    if screened != expected_screened:
        checks.add(
            f"Records screened ({fmt(screened)}) should equal records identified "
            f"({fmt(identified)}) minus records removed before screening ({fmt(rbefore)}), "
            f"which is {fmt(expected_screened)}.",
            "records_screened",
            *identification_boxes,
        )

    # Screening (D column).
    x_human = v["excluded_human"]
    x_auto = v["excluded_auto"]
    excluded = x_human + x_auto
    checks.not_more(excluded, "Records excluded", screened, "records screened", "records_excluded")
    left = screened - excluded
    sought = v.get("reports_sought", left)
    if sought > left:
        checks.add(
            f"Reports sought for retrieval ({fmt(sought)}) is more than records screened minus "
            f"records excluded ({fmt(screened)} \u2212 {fmt(excluded)} = {fmt(left)}).",
            "reports_sought",
        )
    elif sought < left:
        checks.add(
            f"Reports sought for retrieval ({fmt(sought)}) should equal records screened minus "
            f"records excluded ({fmt(screened)} \u2212 {fmt(excluded)} = {fmt(left)}): "
            f"{fmt(left - sought)} records have no final decision yet (pending or in conflict).",
            "reports_sought",
        )
    not_retrieved = v["reports_not_retrieved"]
    checks.not_more(
        not_retrieved, "Reports not retrieved", sought, "reports sought", "reports_not_retrieved"
    )
    assessed = v.get("reports_assessed", sought - not_retrieved)
    if "reports_assessed" in v and assessed != sought - not_retrieved:
        checks.add(
            f"Reports assessed ({fmt(assessed)}) should equal reports sought minus reports not "
            f"retrieved ({fmt(sought)} \u2212 {fmt(not_retrieved)} = "
            f"{fmt(sought - not_retrieved)}).",
            "reports_assessed",
        )
    reports_excluded = sum(n for _, n in reasons)
    checks.not_more(
        reports_excluded, "Reports excluded", assessed, "reports assessed", "reports_excluded"
    )
    included_d = assessed - reports_excluded

    # Other methods (O column).
    identified_other = sum(n for _, n in other_methods)
    other_values = (
        v["other_sought"],
        v["other_not_retrieved"],
        v.get("other_assessed"),
        other_reasons,
    )
    if has_other:
        other_sought, other_not_retrieved = v["other_sought"], v["other_not_retrieved"]
        other_assessed = v.get("other_assessed", other_sought - other_not_retrieved)
    else:
        if other_methods or any(other_values):
            checks.add(
                "Numbers entered for other methods are not shown: the diagram has no "
                "other-methods column."
            )
        other_methods, other_reasons = (), ()
        identified_other = other_sought = other_not_retrieved = other_assessed = 0
    checks.not_more(
        other_sought,
        "Reports sought from other methods",
        identified_other,
        "records identified from other methods",
        "other_sought",
    )
    checks.not_more(
        other_not_retrieved,
        "Reports not retrieved (other methods)",
        other_sought,
        "reports sought (other methods)",
        "other_not_retrieved",
    )
    if has_other and "other_assessed" in v and other_assessed != other_sought - other_not_retrieved:
        checks.add(
            f"Reports assessed from other methods ({fmt(other_assessed)}) should equal reports "
            f"sought minus reports not retrieved ({fmt(other_sought)} \u2212 "
            f"{fmt(other_not_retrieved)} = {fmt(other_sought - other_not_retrieved)}).",
            "other_assessed",
        )
    other_excluded = sum(n for _, n in other_reasons)
    checks.not_more(
        other_excluded,
        "Reports excluded (other methods)",
        other_assessed,
        "reports assessed (other methods)",
        "other_excluded",
    )
    included_o = other_assessed - other_excluded

    # Included.
    expected_reports = included_d + included_o
    reports_included = v.get("reports_included", expected_reports)
    if reports_included != expected_reports:
        sum_text = (
            f"{fmt(included_d)} + {fmt(included_o)} = {fmt(expected_reports)}"
            if has_other
            else fmt(expected_reports)
        )
        checks.add(
            f"Reports of included studies ({fmt(reports_included)}) should equal reports "
            f"assessed minus reports excluded ({sum_text}).",
            "reports_included",
        )
    studies = v.get("studies_included", reports_included)
    if reports_included >= 0:
        checks.not_more(
            studies,
            "Studies included",
            reports_included,
            "reports of included studies",
            "studies_included",
        )
    if studies == 0 and reports_included > 0:
        checks.add(
            f"Studies included is 0, but there are {fmt(reports_included)} reports of included "
            "studies.",
            "studies_included",
        )

    previous_studies = previous_reports = total_studies = total_reports = None
    if is_update:
        previous_studies = v.get("previous_studies", 0)
        previous_reports = v.get("previous_reports", 0)
        checks.not_more(
            previous_studies,
            "Studies included in previous version of review",
            previous_reports,
            "reports of those studies",
            "previous_studies",
        )
        total_studies = previous_studies + studies
        total_reports = previous_reports + reports_included
    elif "previous_studies" in v or "previous_reports" in v:
        checks.add(
            "Numbers entered for a previous version are not shown: the review is not an update."
        )

    counts = PrismaCounts(
        template=template,
        is_update=is_update,
        has_other_methods=has_other,
        databases=databases,
        registers=registers,
        identified_databases=idb,
        identified_registers=ireg,
        identified=identified,
        duplicates_before_import=dup_before,
        duplicates_in_app=dup_in_app,
        duplicates_removed=rdup,
        removed_automation=rauto,
        removed_other=roth,
        removed_before_screening=rbefore,
        records_screened=screened,
        excluded_human=x_human,
        excluded_auto=x_auto,
        records_excluded=excluded,
        reports_sought=sought,
        reports_not_retrieved=not_retrieved,
        reports_assessed=assessed,
        exclusion_reasons=reasons,
        reports_excluded=reports_excluded,
        reports_included_databases=included_d,
        other_methods=other_methods,
        identified_other=identified_other,
        other_sought=other_sought,
        other_not_retrieved=other_not_retrieved,
        other_assessed=other_assessed,
        other_exclusion_reasons=other_reasons,
        other_excluded=other_excluded,
        reports_included_other=included_o,
        reports_included=reports_included,
        studies_included=studies,
        previous_studies=previous_studies,
        previous_reports=previous_reports,
        total_studies=total_studies,
        total_reports=total_reports,
    )
    # Global check: no count below zero. A derived count gets there only after a check above
    # failed; this marks the boxes further down that show the consequence.
    negative = [
        (name, label, getattr(counts, name))
        for name, label in _COUNT_LABELS.items()
        if getattr(counts, name) is not None and getattr(counts, name) < 0
    ]
    if negative:
        listed = ", ".join(f"{label} ({fmt(value)})" for _, label, value in negative)
        checks.add(f"Counts cannot be negative: {listed}.", *(name for name, _, _ in negative))
    return replace(counts, warnings=tuple(checks.warnings))


_COUNT_LABELS = {
    "records_screened": "Records screened",
    "reports_sought": "Reports sought for retrieval",
    "reports_assessed": "Reports assessed for eligibility",
    "reports_included_databases": "Reports included from databases and registers",
    "other_assessed": "Reports assessed for eligibility (other methods)",
    "reports_included_other": "Reports included from other methods",
    "reports_included": "Reports of included studies",
    "studies_included": "Studies included",
}


# --- exports ------------------------------------------------------------------------------------


def as_json(counts: PrismaCounts) -> dict:
    """Every count as JSON-ready data (lists of ``{"name", "n"}`` for per-source and reasons)."""
    data: dict = {"template": counts.template, "template_title": counts.template_title}
    for f in fields(counts):
        value = getattr(counts, f.name)
        if f.name == "template":
            continue
        if f.name == "warnings":
            value = [{"message": w.message, "boxes": list(w.boxes)} for w in value]
        elif isinstance(value, tuple):
            value = [{"name": name, "n": n} for name, n in value]
        data[f.name] = value
    return data


def _csv_name(name: str) -> str:
    # The PRISMA2020 package splits on ";" and takes the text before the first ",".
    name = re.sub(r"[\x00-\x1f\x7f]+", " ", name)
    return re.sub(r"\s*[,;]+\s*", " - ", name).strip(" -") or "Unnamed"


def _named_list(pairs) -> str:
    return "; ".join(f"{_csv_name(name)}, {n}" for name, n in pairs)


def _other_method_key(name: str) -> str:
    lowered = name.lower()
    if "organi" in lowered:
        return "organisation_results"
    if any(
        word in lowered for word in ("citation", "reference", "snowball", "backward", "forward")
    ):
        return "citations_results"
    # Websites and anything else (search engines, hand searching, ...): the template has only
    # these three rows, and a website is the commonest other method.
    return "website_results"


def template_rows() -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of the PRISMA2020 package's CSV template (MIT, Haddaway et al.)."""
    with TEMPLATE_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_template_rows(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def template_values(counts: PrismaCounts) -> dict[str, str]:
    """The ``n`` column of the PRISMA2020 template, by ``data`` key.

    "NA" switches a box off in the package: the previous-studies column for new reviews, the
    other-methods lines that were not used (and the whole column for T1/T3).
    """
    na = "NA"
    other = {"website_results": None, "organisation_results": None, "citations_results": None}
    for name, n in counts.other_methods:
        key = _other_method_key(name)
        other[key] = (other[key] or 0) + n
    if counts.has_other_methods and all(value is None for value in other.values()):
        other = dict.fromkeys(other, 0)
    values = {
        "previous_studies": counts.previous_studies,
        "previous_reports": counts.previous_reports,
        "database_results": counts.identified_databases,
        "database_specific_results": _named_list(counts.databases) or na,
        "register_results": counts.identified_registers,
        "register_specific_results": _named_list(counts.registers) or na,
        **other,
        "duplicates": counts.duplicates_removed,
        "excluded_automatic": counts.removed_automation,
        "excluded_other": counts.removed_other,
        "records_screened": counts.records_screened,
        "records_excluded": counts.records_excluded,
        "dbr_sought_reports": counts.reports_sought,
        "dbr_notretrieved_reports": counts.reports_not_retrieved,
        "other_sought_reports": counts.other_sought,
        "other_notretrieved_reports": counts.other_not_retrieved,
        "dbr_assessed": counts.reports_assessed,
        "dbr_excluded": _named_list(counts.exclusion_reasons) or "0",
        "other_assessed": counts.other_assessed,
        "other_excluded": _named_list(counts.other_exclusion_reasons) or "0",
        "new_studies": counts.studies_included,
        "new_reports": counts.reports_included,
        "total_studies": counts.total_studies if counts.is_update else counts.studies_included,
        "total_reports": counts.total_reports if counts.is_update else counts.reports_included,
    }
    return {key: na if value is None else str(value) for key, value in values.items()}


def to_template_csv(counts: PrismaCounts) -> str:
    """The PRISMA2020 Shiny app's CSV template with ``n`` filled from ``counts``.

    Same header, same 34 rows in the same order; every other column is kept as in the template.
    Rows the app does not compute (titles, side bands, the meta-analysis extension) keep the
    template's value.
    """
    header, rows = template_rows()
    values = template_values(counts)
    for row in rows:
        if row["data"] in values:
            row["n"] = values[row["data"]]
    return write_template_rows(header, rows)
