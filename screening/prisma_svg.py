"""The PRISMA 2020 flow diagram, drawn from :class:`screening.prisma.PrismaCounts`.

:func:`build_layout` turns the counts into plain data (boxes with position, size and lines of
text; arrows as point lists; footnotes), following the official templates T1-T4 and their
verbatim wording (prisma-spec.md 1.1-1.2). Two renderers draw that same layout:
:func:`render_svg` (ElementTree, so every user-supplied name is XML-escaped) and
:func:`render_png` (matplotlib's Agg backend, no system libraries).

Boxes whose numbers break a check (``PrismaCounts.warnings``) get a red outline and a "⚠"
marker whose ``<title>`` holds the messages; the messages are also listed under the footnotes.
"""

import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from screening.prisma import OTHER_METHODS, PrismaCounts, fmt

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"

# Geometry, in SVG user units (= CSS px at 100 %). T4, the widest template, is 1,260 wide.
MARGIN = 16
BAND_W = 34
BAND_GAP = 14
COL_GAP = 24
ARROW_GAP = 36
ROW_GAP = 34
P_W = 180
D_MAIN_W = 240
D_SIDE_W = 240
O_MAIN_W = 200
O_SIDE_W = 200
FONT = 13
HEADER_FONT = 14
FOOT_FONT = 11
LINE = 17
FOOT_LINE = 15
PAD_X = 10
PAD_Y = 9
INDENT = 14
MIN_ROW = 64
MARK_FONT = 16
ARROW_W = 1.3

WHITE = "#ffffff"
GREY = "#dcdcdc"  # Gainsboro, the PRISMA2020 package's grey boxes
YELLOW = "#ffc125"  # Goldenrod1, its title box
BLUE = "#bcd2ee"  # LightSteelBlue2, its side bands
BLACK = "#000000"
RED = "#c00000"

FOOTNOTES = (
    "*Consider, if feasible to do so, reporting the number of records identified from each "
    "database or register searched (rather than the total number across all "
    "databases/registers).",
    "**If automation tools were used, indicate how many records were excluded by a human and "
    "how many were excluded by automation tools.",
    "From: Page MJ, McKenzie JE, Bossuyt PM, Boutron I, Hoffmann TC, Mulrow CD, et al. The "
    "PRISMA 2020 statement: an updated guideline for reporting systematic reviews. BMJ "
    "2021;372:n71. doi: 10.1136/bmj.n71",
    "For more information, visit: http://www.prisma-statement.org/",
)

# DejaVu Sans advance widths (em) for ASCII 32-126, measured with matplotlib.
_WIDTH_TABLE = """
    0.318 0.401 0.46 0.838 0.636 0.95 0.78 0.275 0.39 0.39 0.5 0.838 0.318 0.361 0.318 0.337
    0.636 0.636 0.636 0.636 0.636 0.636 0.636 0.636 0.636 0.636 0.337 0.337 0.838 0.838 0.838
    0.531 1.0 0.684 0.686 0.698 0.77 0.632 0.575 0.775 0.752 0.295 0.295 0.656 0.557 0.863 0.748
    0.787 0.603 0.787 0.695 0.635 0.611 0.732 0.684 0.989 0.685 0.611 0.685 0.39 0.337 0.39
    0.838 0.5 0.5 0.613 0.635 0.55 0.635 0.615 0.352 0.635 0.634 0.278 0.278 0.579 0.278 0.974
    0.634 0.612 0.635 0.635 0.411 0.521 0.392 0.634 0.592 0.818 0.592 0.592 0.525 0.636 0.337
    0.636 0.838
"""
_WIDTHS = tuple(float(w) for w in _WIDTH_TABLE.split())
_BOLD = 1.14


def clean(text: str) -> str:
    """User text made safe for XML 1.0: control characters and non-characters dropped."""
    return "".join(
        ch
        for ch in str(text)
        if (ch >= " " or ch == "\t")
        and not ("\ud800" <= ch <= "\udfff")
        and ch not in ("\ufffe", "\uffff")
        and unicodedata.category(ch) != "Cc"
    ).strip()


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated rendered width in user units (DejaVu Sans; other fallbacks are narrower)."""
    em = 0.0
    for ch in text:
        code = ord(ch)
        if 32 <= code <= 126:
            em += _WIDTHS[code - 32]
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            em += 1.0
        elif unicodedata.combining(ch):
            continue
        else:
            em += 0.75
    return em * size * (_BOLD if bold else 1.0)


_COUNT = re.compile(r"\(n = [^)]*\)")


def _tokens(text: str) -> list[str]:
    # A count "(n = 1,200)" never breaks across lines.
    protected = _COUNT.sub(lambda m: m.group(0).replace(" ", "\x00"), text)
    return [token.replace("\x00", " ") for token in protected.split(" ") if token]


def wrap(text: str, width: float, size: float = FONT, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` user units; over-long words are cut."""
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        candidate = f"{current} {token}" if current else token
        if text_width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while text_width(token, size, bold) > width and len(token) > 1:
            cut = len(token) - 1
            while cut > 1 and text_width(token[:cut], size, bold) > width:
                cut -= 1
            lines.append(token[:cut])
            token = token[cut:]
        current = token
    if current or not lines:
        lines.append(current)
    return lines


# --- layout as data ------------------------------------------------------------------------------


@dataclass
class Line:
    """One logical line of a box; wrapped to physical lines when laid out."""

    text: str
    bold: bool = False
    indent: int = 0


@dataclass
class TextLine:
    """A physical line: ``x`` is the anchor (left edge, or centre when centred)."""

    text: str
    x: float
    y: float  # baseline
    bold: bool = False


@dataclass
class Box:
    """A box of the diagram: ``kind`` "box" (white or grey, black outline), "header" (rounded
    column title) or "band" (rounded side band, text rotated)."""

    key: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    fill: str
    lines: list[TextLine] = field(default_factory=list)
    align: str = "middle"  # SVG text-anchor: "middle" or "start"
    font_size: float = FONT
    warnings: list[str] = field(default_factory=list)

    @property
    def stroke(self) -> str:
        if self.warnings:
            return RED
        return BLACK if self.kind == "box" else self.fill

    @property
    def stroke_width(self) -> float:
        return 2.5 if self.warnings else 1

    @property
    def marker_at(self) -> tuple[float, float]:
        """Where the "⚠" of a box that breaks a check goes: top right, right-aligned."""
        return (self.x + self.w - 6, self.y + 17)


@dataclass
class Arrow:
    points: list[tuple[float, float]]


@dataclass
class TextBlock:
    kind: str  # "footnote" or "warning"
    lines: list[TextLine]
    font_size: float
    fill: str = BLACK


@dataclass
class Layout:
    width: float
    height: float
    title: str
    description: str
    boxes: list[Box]
    arrows: list[Arrow]
    texts: list[TextBlock]


@dataclass
class _Spec:
    """A box before the rows are sized: its lines are wrapped to its width."""

    key: str
    row: int
    x: float
    w: float
    lines: list[Line]
    fill: str
    align: str
    fields: tuple[str, ...]  # the PrismaCounts attributes it shows, for the warnings

    def __post_init__(self):
        self.wrapped = [
            (part, line.bold, line.indent)
            for line in self.lines
            for part in wrap(clean(line.text), self.w - 2 * PAD_X - line.indent, FONT, line.bold)
        ]
        self.needed = len(self.wrapped) * LINE + 2 * PAD_Y


def _n(value: int | None) -> str:
    return f"(n = {fmt(value)})" if value is not None else "(n = )"


def _counted(pairs, indent=INDENT) -> list[Line]:
    return [Line(f"{clean(name) or 'Unnamed'} {_n(n)}", indent=indent) for name, n in pairs]


def _reasons(pairs) -> list[Line]:
    if not pairs:
        return [Line("Reports excluded:"), Line(_n(0), indent=INDENT)]
    return [Line("Reports excluded:")] + _counted(pairs)


def _single(label: str, n: int | None) -> list[Line]:
    return [Line(label), Line(_n(n))]


def _specs(c: PrismaCounts, columns: dict[str, tuple[float, float]]) -> list[_Spec]:
    """Boxes by row: 1 identification, 2-4 screening, 5-6 included.

    ``columns`` maps a slot (P, D, D+, O, O+; "+" is the side box) to its x and width.
    """
    specs = []

    def add(key, row, slot, lines, fields, align="middle"):
        x, w = columns[slot]
        fill = GREY if slot[0] in "PO" else WHITE
        specs.append(_Spec(key, row, x, w, lines, fill, align, tuple(fields.split())))

    # Boxes with one count: (key, row, slot, verbatim label, attribute).
    singles = [
        ("screened", 2, "D", "Records screened", "records_screened"),
        ("sought", 3, "D", "Reports sought for retrieval", "reports_sought"),
        ("not_retrieved", 3, "D+", "Reports not retrieved", "reports_not_retrieved"),
        ("assessed", 4, "D", "Reports assessed for eligibility", "reports_assessed"),
    ]
    if c.has_other_methods:
        singles += [
            ("other_sought", 3, "O", "Reports sought for retrieval", "other_sought"),
            ("other_not_retrieved", 3, "O+", "Reports not retrieved", "other_not_retrieved"),
            ("other_assessed", 4, "O", "Reports assessed for eligibility", "other_assessed"),
        ]
    for key, row, slot, label, name in singles:
        add(key, row, slot, _single(label, getattr(c, name)), name)

    indented = {"indent": INDENT}
    add(
        "identified",
        1,
        "D",
        [Line("Records identified from*:"), Line(f"Databases {_n(c.identified_databases)}")]
        + _counted(c.databases)
        + [Line(f"Registers {_n(c.identified_registers)}")]
        + _counted(c.registers),
        "identified identified_databases identified_registers",
        "start",
    )
    add(
        "removed",
        1,
        "D+",
        [
            Line("Records removed before screening:"),
            Line(f"Duplicate records removed {_n(c.duplicates_removed)}", **indented),
            Line(
                f"Records marked as ineligible by automation tools {_n(c.removed_automation)}",
                **indented,
            ),
            Line(f"Records removed for other reasons {_n(c.removed_other)}", **indented),
        ],
        "duplicates_removed removed_automation removed_other removed_before_screening",
        "start",
    )
    excluded = _single("Records excluded**", c.records_excluded)
    if c.excluded_auto:  # footnote **: human and automation exclusions apart
        excluded += [
            Line(f"Excluded by a human {_n(c.excluded_human)}"),
            Line(f"Excluded by automation tools {_n(c.excluded_auto)}"),
        ]
    add("excluded", 2, "D+", excluded, "records_excluded excluded_human excluded_auto")
    add("reports_excluded", 4, "D+", _reasons(c.exclusion_reasons), "reports_excluded", "start")
    new, studies = ("new ", "New studies") if c.is_update else ("", "Studies")
    add(
        "included",
        5,
        "D",
        _single(f"{studies} included in review", c.studies_included)
        + _single(f"Reports of {new}included studies", c.reports_included),
        "studies_included reports_included reports_included_databases reports_included_other",
    )
    if c.is_update:
        add(
            "previous",
            1,
            "P",
            [
                Line(f"Studies included in previous version of review {_n(c.previous_studies)}"),
                Line(
                    "Reports of studies included in previous version of review "
                    f"{_n(c.previous_reports)}"
                ),
            ],
            "previous_studies previous_reports",
        )
        add(
            "total",
            6,
            "D",
            _single("Total studies included in review", c.total_studies)
            + _single("Reports of total included studies", c.total_reports),
            "total_studies total_reports",
        )
    if c.has_other_methods:
        methods = c.other_methods or [(name, 0) for name in OTHER_METHODS]
        add(
            "other_identified",
            1,
            "O",
            [Line("Records identified from:")] + _counted(methods, indent=0),
            "identified_other",
            "start",
        )
        add(
            "other_excluded",
            4,
            "O+",
            _reasons(c.other_exclusion_reasons),
            "other_excluded",
            "start",
        )
    return specs


def _place_lines(spec_lines, x, y, w, h, align, size=FONT, line_h=LINE) -> list[TextLine]:
    top = y + (h - len(spec_lines) * line_h) / 2
    result = []
    for i, (text, bold, indent) in enumerate(spec_lines):
        baseline = top + i * line_h + line_h - (line_h - size) / 2 - size * 0.2
        anchor = x + w / 2 if align == "middle" else x + PAD_X + indent
        result.append(TextLine(text, round(anchor, 1), round(baseline, 1), bold))
    return result


def _describe(c: PrismaCounts) -> str:
    parts = [
        f"Records identified from databases: {fmt(c.identified_databases)}, "
        f"from registers: {fmt(c.identified_registers)}",
        f"removed before screening: {fmt(c.removed_before_screening)} "
        f"(duplicates {fmt(c.duplicates_removed)}, by automation tools "
        f"{fmt(c.removed_automation)}, other reasons {fmt(c.removed_other)})",
        f"records screened: {fmt(c.records_screened)}",
        f"records excluded: {fmt(c.records_excluded)}"
        + (
            f" ({fmt(c.excluded_human)} by a human, {fmt(c.excluded_auto)} by automation tools)"
            if c.excluded_auto
            else ""
        ),
        f"reports sought for retrieval: {fmt(c.reports_sought)}",
        f"not retrieved: {fmt(c.reports_not_retrieved)}",
        f"assessed for eligibility: {fmt(c.reports_assessed)}",
        f"excluded: {fmt(c.reports_excluded)}",
    ]
    if c.has_other_methods:
        parts.append(
            f"other methods: {fmt(c.identified_other)} records identified, "
            f"{fmt(c.other_sought)} reports sought, {fmt(c.other_not_retrieved)} not retrieved, "
            f"{fmt(c.other_assessed)} assessed, {fmt(c.other_excluded)} excluded"
        )
    new = "new " if c.is_update else ""
    parts.append(
        f"{new}studies included: {fmt(c.studies_included)} ({fmt(c.reports_included)} reports)"
    )
    if c.is_update:
        parts.append(
            f"studies in the previous version: {fmt(c.previous_studies)} "
            f"({fmt(c.previous_reports)} reports); total studies included: "
            f"{fmt(c.total_studies)} ({fmt(c.total_reports)} reports)"
        )
    text = "; ".join(parts) + "."
    if c.warnings:
        text += f" {len(c.warnings)} check(s) failed: " + " ".join(w.message for w in c.warnings)
    return text


def build_layout(c: PrismaCounts, *, show_warnings: bool = True) -> Layout:
    """Positions of every box, arrow and footnote for ``c``'s template."""
    x = MARGIN + BAND_W + BAND_GAP
    columns: dict[str, tuple[float, float]] = {}  # slot -> (x, width); "+" is the side box
    spans: dict[str, tuple[float, float]] = {}  # column -> (x, width), for the headers
    if c.is_update:
        columns["P"] = spans["P"] = (x, P_W)
        x += P_W + COL_GAP
    columns["D"], columns["D+"] = (x, D_MAIN_W), (x + D_MAIN_W + ARROW_GAP, D_SIDE_W)
    spans["D"] = (x, D_MAIN_W + ARROW_GAP + D_SIDE_W)
    x += D_MAIN_W + ARROW_GAP + D_SIDE_W
    if c.has_other_methods:
        x += COL_GAP
        columns["O"], columns["O+"] = (x, O_MAIN_W), (x + O_MAIN_W + ARROW_GAP, O_SIDE_W)
        spans["O"] = (x, O_MAIN_W + ARROW_GAP + O_SIDE_W)
        x += O_MAIN_W + ARROW_GAP + O_SIDE_W
    width = x + MARGIN

    # Column headers (prisma-spec.md 1.2).
    new = "new " if c.is_update else ""
    headers = {
        "P": ("header_previous", "Previous studies", GREY),
        "D": (
            "header_databases",
            f"Identification of {new}studies via databases and registers",
            YELLOW,
        ),
        "O": ("header_other", f"Identification of {new}studies via other methods", GREY),
    }
    wrapped = {
        col: [(t, True, 0) for t in wrap(headers[col][1], w - 2 * PAD_X, HEADER_FONT, True)]
        for col, (_, w) in spans.items()
    }
    head_h = max(len(lines) for lines in wrapped.values()) * LINE + 2 * PAD_Y
    boxes: list[Box] = []
    y = MARGIN
    for col, (hx, hw) in spans.items():
        key, _, fill = headers[col]
        lines = _place_lines(wrapped[col], hx, y, hw, head_h, "middle", HEADER_FONT)
        boxes.append(Box(key, "header", hx, y, hw, head_h, fill, lines, font_size=HEADER_FONT))
    y += head_h + ROW_GAP * 0.6

    # Rows: every box in a row is as tall as the tallest.
    specs = _specs(c, columns)
    last_row = 6 if c.is_update else 5
    row_y: dict[int, float] = {}
    row_h: dict[int, float] = {}
    for row in range(1, last_row + 1):
        needed = [s.needed for s in specs if s.row == row]
        if row == 1:  # the side band's label has to fit
            needed.append(text_width("Identification", FONT, True) + 24)
        row_h[row] = max([MIN_ROW, *needed])
        row_y[row] = y
        y += row_h[row] + ROW_GAP
    diagram_bottom = y - ROW_GAP
    for s in specs:
        sy, sh = row_y[s.row], row_h[s.row]
        lines = _place_lines(s.wrapped, s.x, sy, s.w, sh, s.align)
        warnings = [w.message for w in c.warnings if set(w.boxes) & set(s.fields)]
        boxes.append(Box(s.key, "box", s.x, sy, s.w, sh, s.fill, lines, s.align, warnings=warnings))
    by_key = {box.key: box for box in boxes}

    # Side bands.
    for label, first, last in (
        ("Identification", 1, 1),
        ("Screening", 2, 4),
        ("Included", 5, last_row),
    ):
        top, bottom = row_y[first], row_y[last] + row_h[last]
        label_line = TextLine(label, MARGIN + BAND_W / 2, round((top + bottom) / 2, 1), True)
        boxes.insert(
            0,
            Box(
                f"band_{label.lower()}",
                "band",
                MARGIN,
                top,
                BAND_W,
                bottom - top,
                BLUE,
                [label_line],
            ),
        )

    # Arrows.
    def right(a: str, b: str) -> Arrow:
        a, b = by_key[a], by_key[b]
        return Arrow([(a.x + a.w, a.y + a.h / 2), (b.x, a.y + a.h / 2)])

    def down(a: str, b: str) -> Arrow:
        a, b = by_key[a], by_key[b]
        return Arrow([(a.x + a.w / 2, a.y + a.h), (a.x + a.w / 2, b.y)])

    arrows = [
        right("identified", "removed"),
        down("identified", "screened"),
        right("screened", "excluded"),
        down("screened", "sought"),
        right("sought", "not_retrieved"),
        down("sought", "assessed"),
        right("assessed", "reports_excluded"),
        down("assessed", "included"),
    ]
    included = by_key["included"]
    if c.has_other_methods:
        arrows += [
            down("other_identified", "other_sought"),
            right("other_sought", "other_not_retrieved"),
            down("other_sought", "other_assessed"),
            right("other_assessed", "other_excluded"),
        ]
        # Other methods feed "(New) studies included in review".
        oa = by_key["other_assessed"]
        cx, mid = oa.x + oa.w / 2, included.y + included.h / 2
        arrows.append(Arrow([(cx, oa.y + oa.h), (cx, mid), (included.x + included.w, mid)]))
    if c.is_update:
        # New and previous studies feed the totals.
        total, previous = by_key["total"], by_key["previous"]
        arrows.append(down("included", "total"))
        cx, mid = previous.x + previous.w / 2, total.y + total.h / 2
        arrows.append(Arrow([(cx, previous.y + previous.h), (cx, mid), (total.x, mid)]))

    # Footnotes (verbatim), then the failed checks.
    texts: list[TextBlock] = []
    y = diagram_bottom + 22

    def paragraphs(kind: str, items, fill: str = BLACK):
        nonlocal y
        for item in items:
            lines = []
            for part in wrap(clean(item), width - 2 * MARGIN, FOOT_FONT):
                lines.append(TextLine(part, MARGIN, round(y + FOOT_FONT, 1)))
                y += FOOT_LINE
            texts.append(TextBlock(kind, lines, FOOT_FONT, fill))
            y += 3

    paragraphs("footnote", FOOTNOTES)
    if show_warnings and c.warnings:
        y += 6
        paragraphs("warning", [f"\u26a0 {w.message}" for w in c.warnings], RED)
    return Layout(
        width=round(width),
        height=round(y + MARGIN - 3),
        title=c.template_title,
        description=_describe(c),
        boxes=boxes,
        arrows=arrows,
        texts=texts,
    )


# --- SVG ----------------------------------------------------------------------------------------


def _num(value) -> str:
    return f"{round(value, 1):g}" if isinstance(value, float) else str(value)


def _sub(parent, tag, text=None, **attrs):
    """A child element; ``font_size=13`` becomes ``font-size="13"``."""
    values = {key.replace("_", "-"): _num(value) for key, value in attrs.items()}
    element = ET.SubElement(parent, tag, values)
    element.text = text
    return element


def render_svg(counts: PrismaCounts, *, show_warnings: bool = True) -> str:
    """The diagram as a standalone SVG document (text, no XML declaration).

    Also fit for inlining in HTML: all text goes through ElementTree, so it is escaped.
    """
    layout = build_layout(counts, show_warnings=show_warnings)
    w, h = layout.width, layout.height
    root = ET.Element("svg", xmlns=SVG_NS)
    for name, value in {
        "width": w,
        "height": h,
        "viewBox": f"0 0 {w} {h}",
        "role": "img",
        "aria-labelledby": "prisma-title prisma-desc",
        "class": "prisma-diagram",
        "data-template": counts.template,
        "font-family": FONT_FAMILY,
        "font-size": FONT,
    }.items():
        root.set(name, _num(value))
    _sub(root, "title", layout.title, id="prisma-title")
    _sub(root, "desc", layout.description, id="prisma-desc")
    marker = _sub(
        _sub(root, "defs"),
        "marker",
        id="prisma-arrowhead",
        viewBox="0 0 10 10",
        refX=10,
        refY=5,
        markerWidth=7,
        markerHeight=7,
        orient="auto-start-reverse",
    )
    _sub(marker, "path", d="M0,0 L10,5 L0,10 z", fill=BLACK)
    _sub(root, "rect", x=0, y=0, width=w, height=h, fill=WHITE)

    for box in layout.boxes:
        group = _sub(root, "g", **{"class": f"prisma-{box.kind}", "data-box": box.key})
        rect = _sub(
            group,
            "rect",
            x=box.x,
            y=box.y,
            width=box.w,
            height=box.h,
            fill=box.fill,
            stroke=box.stroke,
            stroke_width=box.stroke_width,
        )
        if box.kind != "box":
            rect.set("rx", "8")
        if box.kind == "band":
            line = box.lines[0]
            _sub(
                group,
                "text",
                line.text,
                x=line.x,
                y=line.y,
                text_anchor="middle",
                dominant_baseline="central",
                font_weight="bold",
                transform=f"rotate(-90 {_num(line.x)} {_num(line.y)})",
            )
            continue
        text = _sub(group, "text", text_anchor=box.align, font_size=box.font_size)
        for line in box.lines:
            tspan = _sub(text, "tspan", line.text, x=line.x, y=line.y)
            if line.bold:
                tspan.set("font-weight", "bold")
        if box.warnings:
            mark = _sub(group, "g", **{"class": "prisma-warning"})
            _sub(mark, "title", " ".join(box.warnings))
            mx, my = box.marker_at
            _sub(
                mark,
                "text",
                "\u26a0",
                x=mx,
                y=my,
                text_anchor="end",
                font_size=MARK_FONT,
                font_weight="bold",
                fill=RED,
            )

    arrows = _sub(
        root, "g", fill="none", stroke=BLACK, stroke_width=ARROW_W, **{"class": "prisma-arrows"}
    )
    for arrow in layout.arrows:
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in arrow.points)
        _sub(arrows, "polyline", points=points, marker_end="url(#prisma-arrowhead)")

    for block in layout.texts:
        text = _sub(
            root,
            "text",
            font_size=block.font_size,
            fill=block.fill,
            **{"class": f"prisma-{block.kind}"},
        )
        for line in block.lines:
            _sub(text, "tspan", line.text, x=line.x, y=line.y)

    ET.indent(root, space="")
    return ET.tostring(root, encoding="unicode")


# --- PNG ----------------------------------------------------------------------------------------


def render_png(counts: PrismaCounts, *, scale: float = 2.0, show_warnings: bool = True) -> bytes:
    """The same layout drawn with matplotlib (Agg): a PNG with ``scale`` pixels per SVG unit.

    Drawn from the layout, not by rasterising the SVG, so no system library (cairo) is needed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch, Rectangle

    layout = build_layout(counts, show_warnings=show_warnings)
    # One SVG unit is one point; at 72 * scale dpi a point is `scale` pixels.
    figure = Figure(figsize=(layout.width / 72, layout.height / 72), dpi=72 * scale)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, layout.width)
    ax.set_ylim(layout.height, 0)
    ax.axis("off")

    def put(x, y, text, **style):
        ax.text(x, y, text, family="DejaVu Sans", parse_math=False, **style)

    for box in layout.boxes:
        style = {"facecolor": box.fill, "edgecolor": box.stroke, "linewidth": box.stroke_width}
        if box.kind == "box":
            ax.add_patch(Rectangle((box.x, box.y), box.w, box.h, **style))
        else:
            rounded = "round,pad=0,rounding_size=8"
            ax.add_patch(FancyBboxPatch((box.x, box.y), box.w, box.h, rounded, **style))
        if box.kind == "band":
            place = {"rotation": 90, "ha": "center", "va": "center"}
        else:
            place = {"ha": "center" if box.align == "middle" else "left", "va": "baseline"}
        for line in box.lines:
            weight = "bold" if line.bold else "normal"
            put(line.x, line.y, line.text, fontsize=box.font_size, fontweight=weight, **place)
        if box.warnings:
            mx, my = box.marker_at
            put(
                mx,
                my,
                "\u26a0",
                ha="right",
                va="baseline",
                fontsize=MARK_FONT,
                color=RED,
                fontweight="bold",
            )

    for arrow in layout.arrows:
        xs, ys = zip(*arrow.points[:-1], strict=True)
        if len(xs) > 1:
            ax.plot(xs, ys, color=BLACK, linewidth=ARROW_W)
        ax.annotate(
            "",
            xy=arrow.points[-1],
            xytext=arrow.points[-2],
            arrowprops={
                "arrowstyle": "-|>",
                "color": BLACK,
                "linewidth": ARROW_W,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 12,
            },
        )

    for block in layout.texts:
        for line in block.lines:
            put(
                line.x,
                line.y,
                line.text,
                ha="left",
                va="baseline",
                fontsize=block.font_size,
                color=block.fill,
            )

    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor=WHITE, metadata={"Software": None})
    return out.getvalue()
