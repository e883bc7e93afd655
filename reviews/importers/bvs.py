"""Virtual Health Library (BVS / VHL, LILACS) results page, copied from the browser as text.

The portal has no export for a results list, so people select the page and paste it. A record
is a number line ('1.'), an optional title line (and authors line), a citation line
('BMC Med ; 22(1): 72, 2024 Feb 29.'), an id line ('Article in English | MEDLINE | ID:
mdl-38418998'), then sections: 'ABSTRACT' (RESUMO, RESUMEN) with the abstract paragraphs and
'Subject(s)' (Assuntos, Asunto(s)) with terms separated by ' , '. Quirks handled:

- English, Portuguese and Spanish pages ('Resultados 1 - 20 de 113', 'Artigo em Português',
  'Artículo en Español'); the English page says 'Results 1 - 11 de 11'.
- Page chrome before the first record (filters, 'Show: 20 | 50 | 100') and after the last one
  ('SELECTION OF CITATIONS', 'SEARCH DETAIL', ...) is not a record; 'Full text' / 'Texto
  completo' link lines are kept in raw only.
- Ids: 'mdl-NNN' is a MEDLINE PMID; 'biblio-NNN' and 'lil-NNN' (or any id of a LILACS record)
  go to other_ids lilacs, other prefixes to other_ids accession; the full id stays in raw.
- The header's announced range is checked against the numbers on the page; a gap (a record
  that did not copy) is a file-level warning naming the missing numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .base import ParsedRecord, ParseError
from .normalize import clean, expand_pages, number_ranges, parse_year

FORMAT = "bvs"

_RESULTS = re.compile(
    r"^(?:Results|Resultados|Resultats)\s+(\d[\d.,]*)\s*-\s*(\d[\d.,]*)\s+(?:de|of|sur)\s+(\d[\d.,]*)",
    re.I,
)
_NUMBER = re.compile(r"(\d{1,6})\.(?:\s+(\S.*))?")
# 'Article in English | MEDLINE | ID: mdl-38418998'; the id is the last '|' part.
_ID_PART = re.compile(r"ID:\s*(\S+)")
_KIND_LANGUAGE = re.compile(r"(.+?)\s+(?:in|em|en)\s+(.+)")
_HEAD_ID_LINE = re.compile(r"^.*\|\s*ID:\s*[a-z]+-\S+\s*$", re.M)
# 'BMC Med ; 22(1): 72, 2024 Feb 29.' after the journal: volume(issue): pages, date.
_CITATION = re.compile(
    r"(?P<volume>[^():,]*?)\s*(?:\((?P<issue>[^)]*)\))?\s*(?::\s*(?P<pages>[^,]*?))?"
    r"\s*(?:,\s*(?P<date>.*?))?\s*\.?\s*"
)

_ABSTRACT_HEADINGS = frozenset(("ABSTRACT", "RESUMO", "RESUMEN", "RÉSUMÉ", "RESUME"))
_SUBJECT_HEADINGS = frozenset(
    ("subject(s)", "subjects", "assuntos", "assunto(s)", "asunto(s)", "asuntos", "sujet(s)")
)
# Link lines under a record: kept in raw, never part of the abstract or subjects.
_LINK_LINES = frozenset(
    (
        "full text",
        "texto completo",
        "texte intégral",
        "similar",
        "similares",
        "more",
        "mais",
        "más",
        "select",
        "selecionar",
        "seleccionar",
        "export",
        "exportar",
    )
)
# Page chrome after the last record.
_CHROME = frozenset(
    (
        "selection of citations",
        "search detail",
        "seleção de referências",
        "seleção de citações",
        "detalhe da pesquisa",
        "selección de referencias",
        "selección de citas",
        "detalle de la búsqueda",
    )
)
_LANGUAGES = {
    "inglês": "English",
    "inglés": "English",
    "português": "Portuguese",
    "portugués": "Portuguese",
    "espanhol": "Spanish",
    "español": "Spanish",
    "francês": "French",
    "francés": "French",
    "alemão": "German",
    "alemán": "German",
    "italiano": "Italian",
}
_LILACS_PREFIXES = ("biblio-", "lil-")
# Labelled lines under a record ('Responsible library: BR1.1'): raw only, and they end a section.
_LABELS = ("responsible library", "biblioteca responsável", "biblioteca responsable")


def looks_like(text_head: str) -> bool:
    """A VHL id line ('... | ID: mdl-38418998') and a record number line."""
    if not _HEAD_ID_LINE.search(text_head):
        return False
    lines = text_head.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return any(_NUMBER.fullmatch(line.strip()) for line in lines)


def parse(text: str, warnings: list[str]) -> Iterator[ParsedRecord]:
    if text[:1] == "\ufeff":
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    announced: tuple[int, int, int] | None = None
    numbers: list[int] = []
    position = 0
    for block in _blocks(lines):
        if isinstance(block, tuple):
            announced = announced or block
            continue
        position += 1
        numbers.append(block["number"])
        yield _record(position, block)
    if not position:
        if not text.strip():
            raise ParseError("the file is empty", line=1, expected="a VHL results page")
        raise ParseError(
            "no records found on this page",
            line=1,
            expected="numbered records with a line like 'Article in English | MEDLINE | ID: ...'",
        )
    if announced:
        warnings.extend(_count_warnings(announced, numbers))


def _blocks(lines: list[str]) -> Iterator[Any]:
    """The header's (first, last, total) once, then one dict per record with its lines sorted."""
    block: dict[str, Any] | None = None
    section = ""  # "", "abstract" or "subjects" inside a record's body
    last_number = 0
    first, last = 1, 0  # the announced range, once the header is seen
    for line_no, text in enumerate(lines, 1):
        line = text.strip()
        number = _NUMBER.fullmatch(line)
        if number and _starts_record(
            int(number.group(1)), last_number, first, last, number.group(2), section
        ):
            if block:
                yield block
            last_number = int(number.group(1))
            block = {"number": last_number, "line": line_no, "head": [], "id_line": ""}
            block.update(abstract=[], subjects=[], other=[])
            if number.group(2):
                block["head"].append(number.group(2).strip())
            section = ""
            continue
        if block is None:
            if not last and (match := _RESULTS.match(line)):
                first, last, total = (int(re.sub(r"[.,]", "", part)) for part in match.groups())
                yield first, last, total
            continue
        if line.lower() in _CHROME:
            yield block
            block, section = None, ""
            continue
        if not block["id_line"]:
            if "|" in line and _ID_PART.fullmatch(line.rsplit("|", 1)[1].strip()):
                block["id_line"] = line
            elif line:
                block["head"].append(line)
            continue
        heading = line.rstrip(":")
        if heading.upper() in _ABSTRACT_HEADINGS and heading.isupper():
            section = "abstract"
            block["abstract"].append([])
        elif heading.lower() in _SUBJECT_HEADINGS:
            section = "subjects"
        elif line.lower() in _LINK_LINES or line.lower().startswith(_LABELS):
            section = ""
            block["other"].append(line)
        elif not line:
            continue
        elif section == "abstract":
            block["abstract"][-1].append(line)
        elif section == "subjects":
            # The terms are one line on the page; what follows is something else.
            block["subjects"].append(line)
            section = ""
        else:
            block["other"].append(line)
    if block:
        yield block


def _starts_record(
    number: int, last_number: int, first: int, last: int, title: str | None, section: str
) -> bool:
    """Whether a line 'N.' (or 'N. Title') starts record N.

    Numbers rise, stay in the announced range (or close to the last one when there is no
    header), and 'N. Title' does not count inside an abstract: so a numbered list or a lone
    '2020.' in an abstract is not taken for a record.
    """
    if number <= last_number or (title is not None and section == "abstract"):
        return False
    if last:
        return first <= number <= last
    return not last_number or number <= last_number + 10


def _record(position: int, block: dict[str, Any]) -> ParsedRecord:
    notes: list[str] = []
    head: list[str] = list(block["head"])
    # Head lines: [title, [authors...],] citation. A lone line that does not look like a
    # citation (no ' ; ', no year) is a title.
    citation = ""
    if head and (" ; " in head[-1] or parse_year(head[-1])) and (len(head) > 1 or block["id_line"]):
        citation = head.pop()
    title = clean(head[0]) if head else ""
    author_lines = head[1:]
    authors = tuple(
        name for line in author_lines for part in line.split(";") if (name := clean(part))
    )

    journal = volume = issue = pages = ""
    year = None
    if citation:
        source, _, rest = citation.partition(" ; ")
        if rest:
            journal = clean(source)
            if match := _CITATION.fullmatch(rest.strip()):
                volume = clean(match.group("volume"))
                issue = clean(match.group("issue"))
                pages = expand_pages(match.group("pages"))
                year = parse_year(match.group("date"))
        year = year or parse_year(rest or citation)

    kind = language = record_id = ""
    databases: list[str] = []
    if block["id_line"]:
        parts = [part.strip() for part in block["id_line"].split("|")]
        record_id = _ID_PART.fullmatch(parts[-1]).group(1)
        databases = [name for part in parts[1:-1] for name in part.split(", ") if name]
        if match := _KIND_LANGUAGE.fullmatch(parts[0]):
            kind = match.group(1)
            language = ", ".join(
                _LANGUAGES.get(name.strip().lower(), name.strip())
                for name in match.group(2).split(",")
            )
        else:
            kind = parts[0]

    pmid = ""
    other_ids: dict[str, str] = {}
    if record_id.startswith("mdl-") and record_id[4:].isdigit():
        pmid = record_id[4:]
    elif record_id.startswith(_LILACS_PREFIXES) or "LILACS" in databases:
        other_ids["lilacs"] = record_id
    elif record_id:
        other_ids["accession"] = record_id

    abstracts = ["\n".join(paragraphs) for paragraphs in block["abstract"] if paragraphs]
    abstract = abstracts[0] if abstracts else ""
    subjects = tuple(
        term for line in block["subjects"] for part in line.split(" , ") if (term := clean(part))
    )

    if not title:
        notes.append("no title")
    if not abstract:
        notes.append("no abstract")
    if year is None:
        notes.append("no year")
    if not record_id:
        notes.append("no id line ('Article in ... | ID: ...')")

    raw = {
        "number": block["number"],
        "title_lines": head,
        "citation": citation,
        "id_line": block["id_line"],
        "id": record_id,
        "databases": databases,
        "abstracts": abstracts,
        "subjects": block["subjects"],
        "other": block["other"],
    }
    return ParsedRecord(
        position=position,
        line=block["line"],
        title=title,
        abstract=abstract,
        authors=authors,
        year=year,
        journal=journal,
        volume=volume,
        issue=issue,
        pages=pages,
        pmid=pmid,
        other_ids=other_ids,
        mesh_terms=subjects,
        language=language,
        publication_type=kind,
        raw=raw,
        warnings=tuple(notes),
    )


def _count_warnings(announced: tuple[int, int, int], numbers: list[int]) -> list[str]:
    first, last, total = announced
    last = min(last, total)
    held = set(numbers)
    missing = [n for n in range(first, last + 1) if n not in held]
    expected = last - first + 1
    warnings = []
    if missing:
        count = len([n for n in numbers if first <= n <= last])
        which = (
            f"number {missing[0]} is missing"
            if len(missing) == 1
            else f"numbers {number_ranges(missing)} are missing"
        )
        warnings.append(
            f"The page announces {total} results ({first}-{last}) but holds {count}: {which}."
        )
    elif total > expected:
        warnings.append(
            f"The page shows results {first}-{last} of {total}: "
            f"the other {total - expected} are on other pages of the search."
        )
    return warnings
