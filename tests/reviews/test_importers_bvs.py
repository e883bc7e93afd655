"""Virtual Health Library (BVS/LILACS) results page copied as text (reviews/importers/bvs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviews.importers import bvs, medline, ris
from reviews.importers.base import ParseError

SEED = Path(__file__).resolve().parent.parent / "data" / "bvs" / "vhl_results_page.txt"


def parse(text: str) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(bvs.parse(text, warnings)), warnings


def seed() -> str:
    return SEED.read_bytes().decode("utf-8")


def test_parse_seed_all_records():
    records, warnings = parse(seed())
    assert [r.raw["number"] for r in records] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    assert [r.position for r in records] == list(range(1, 11))
    assert [r.pmid for r in records] == [
        "38418998",
        "37550650",
        "37032810",
        "35767691",
        "35511900",
        "35267053",
        "35090418",
        "35081929",
        "33914750",
        "32857218",
    ]
    assert [r.year for r in records] == [2024, 2023, 2023, 2022, 2022, 2022, 2022, 2022, 2021, 2021]
    assert all(r.abstract for r in records)
    assert all(r.title == "" and "no title" in r.warnings for r in records)
    # Records 3 and 4 have no 'Subject(s)'; the page chrome after record 11 is not a subject.
    assert [len(r.mesh_terms) for r in records] == [6, 5, 0, 0, 6, 11, 6, 6, 11, 7]
    assert warnings == ["The page announces 11 results (1-11) but holds 10: number 9 is missing."]


def test_parse_seed_record_1():
    first = parse(seed())[0][0]
    assert first.line == 18
    assert first.title == ""
    assert first.journal == "BMC Med"
    assert (first.volume, first.issue, first.pages, first.year) == ("22", "1", "72", 2024)
    assert first.language == "English"
    assert first.publication_type == "Article"
    assert first.pmid == "38418998"
    assert first.other_ids == {}
    assert first.abstract.startswith(
        "BACKGROUND: Peer support for mental health is recommended across international policy "
        "guidance and provision."
    )
    assert first.abstract.endswith(
        "Future research should reflect the priorities of providers/service users involved in "
        "peer support."
    )
    assert first.mesh_terms == (
        "Mental Health",
        "Workplace",
        "Female",
        "Humans",
        "Pregnancy",
        "Systematic Reviews as Topic",
    )
    assert first.authors == ()
    assert first.raw["citation"] == "BMC Med ; 22(1): 72, 2024 Feb 29."
    assert first.raw["id"] == "mdl-38418998"
    assert first.raw["databases"] == ["MEDLINE"]
    assert first.warnings == ("no title",)


def test_parse_seed_record_7():
    seventh = parse(seed())[0][6]
    assert seventh.raw["number"] == 7
    assert seventh.line == 78
    assert seventh.journal == "BMC Psychiatry"
    assert (seventh.volume, seventh.issue, seventh.pages, seventh.year) == ("22", "1", "72", 2022)
    assert seventh.pmid == "35090418"
    assert seventh.language == "English"
    assert seventh.abstract.startswith(
        "BACKGROUND: Individuals with Complex Emotional Needs (CEN) services, a working "
        "description to refer to the needs experienced by people"
    )
    assert seventh.mesh_terms == (
        "Community Mental Health Services",
        "Mental Health Services",
        "Health Personnel",
        "Humans",
        "Personality Disorders",
        "Qualitative Research",
    )
    assert seventh.raw["id_line"] == "Article in English | MEDLINE | ID: mdl-35090418"


def test_parse_seed_citation_variants():
    records = parse(seed())[0]
    third, sixth = records[2], records[5]
    assert (third.journal, third.volume, third.issue, third.pages) == (
        "Front Sociol",
        "8",
        "",
        "996585",
    )
    assert (sixth.journal, sixth.pages) == ("Soc Psychiatry Psychiatr Epidemiol", "1291-1303")


PORTUGUESE = """\
Resultados 1 - 3 de 3
Filtrar
1.
Fatores associados à depressão em idosos
Silva, Ana; Souza, Bruno.
Rev. saúde pública ; 55: 12-20, 2021.
Artigo em Português | LILACS | ID: biblio-1234567
Biblioteca responsável: BR1.1
RESUMO
Objetivo: avaliar fatores.
Métodos: estudo transversal.
Assuntos
Depressão , Idoso , Humanos
Texto completo
2.
Depresión en adultos mayores
Rev. méd. Chile ; 148(3): 341-349, mar. 2020.
Artículo en Español | LILACS | ID: lil-765432
RESUMEN
Se estudió la depresión.
Asunto(s)
Depresión , Anciano
3.
Tese sem revista
São Paulo; s.n; 2019. 89 p.
Tese em Português | LILACS | ID: biblio-999
SELEÇÃO DE REFERÊNCIAS
DETALHE DA PESQUISA
"""


def test_parse_portuguese_and_spanish_page():
    records, warnings = parse(PORTUGUESE)
    assert warnings == []
    first, second, third = records
    assert first.title == "Fatores associados à depressão em idosos"
    assert first.authors == ("Silva, Ana", "Souza, Bruno.")
    assert (first.journal, first.volume, first.issue, first.pages, first.year) == (
        "Rev. saúde pública",
        "55",
        "",
        "12-20",
        2021,
    )
    assert first.language == "Portuguese"
    assert first.publication_type == "Artigo"
    assert first.pmid == ""
    assert first.other_ids == {"lilacs": "biblio-1234567"}
    assert first.abstract == "Objetivo: avaliar fatores.\nMétodos: estudo transversal."
    assert first.mesh_terms == ("Depressão", "Idoso", "Humanos")
    assert first.raw["other"] == ["Biblioteca responsável: BR1.1", "Texto completo"]
    assert first.warnings == ()

    assert second.title == "Depresión en adultos mayores"
    assert (second.journal, second.volume, second.issue, second.pages, second.year) == (
        "Rev. méd. Chile",
        "148",
        "3",
        "341-349",
        2020,
    )
    assert second.language == "Spanish"
    assert second.other_ids == {"lilacs": "lil-765432"}
    assert second.abstract == "Se estudió la depresión."
    assert second.mesh_terms == ("Depresión", "Anciano")

    # A thesis: the citation line gives the year, but there is no journal; chrome is dropped.
    assert (third.title, third.journal, third.year) == ("Tese sem revista", "", 2019)
    assert third.raw["citation"] == "São Paulo; s.n; 2019. 89 p."
    assert third.warnings == ("no abstract",)
    assert third.raw["other"] == []


def test_parse_page_holding_fewer_than_its_range():
    text = PORTUGUESE.replace("Resultados 1 - 3 de 3", "Resultados 1 - 5 de 40")
    _, warnings = parse(text)
    assert warnings == ["The page announces 40 results (1-5) but holds 3: numbers 4-5 are missing."]


def test_parse_first_page_of_many():
    text = PORTUGUESE.replace("Resultados 1 - 3 de 3", "Resultados 1 - 3 de 113")
    _, warnings = parse(text)
    assert warnings == [
        "The page shows results 1-3 of 113: the other 110 are on other pages of the search."
    ]


def test_parse_numbered_list_inside_abstract_is_not_a_record():
    text = (
        "5.\nJ Test ; 1(1): 1-2, 2020.\nArticle in English | MEDLINE | ID: mdl-1\n"
        "ABSTRACT\nAims:\n1. To test.\n2. To test again.\nPublished\n2020.\n"
        "6.\nJ Test ; 2(1): 3-4, 2021.\nArticle in English | MEDLINE | ID: mdl-2\n"
        "Subject(s)\nHumans , Adult\nFilter\n"
    )
    records, _ = parse(text)
    assert [r.pmid for r in records] == ["1", "2"]
    assert records[0].abstract == "Aims:\n1. To test.\n2. To test again.\nPublished\n2020."
    # The subject terms are one line: what follows is not a term.
    assert records[1].mesh_terms == ("Humans", "Adult")
    assert records[1].raw["other"] == ["Filter"]


@pytest.mark.parametrize(
    "transform",
    [lambda t: t.replace("\n", "\r\n"), lambda t: t.replace("\n", "\r"), lambda t: "\ufeff" + t],
    ids=["crlf", "bare-cr", "bom"],
)
def test_parse_line_ends_and_bom(transform):
    records, warnings = parse(transform(seed()))
    assert len(records) == 10
    assert records[0].mesh_terms[0] == "Mental Health"
    assert len(warnings) == 1


def test_parse_empty_or_foreign_text_refused():
    with pytest.raises(ParseError, match="empty"):
        parse("")
    with pytest.raises(ParseError, match="no records"):
        parse("Your browser doesn't support javascript.\nloading\n")


def test_looks_like():
    head = seed()[:65536]
    assert bvs.looks_like(head)
    assert not ris.looks_like(head)
    assert not medline.looks_like(head)
    assert bvs.looks_like(PORTUGUESE)
    assert not bvs.looks_like("TY  - JOUR\nTI  - T\nER  - \n")
    assert not bvs.looks_like("PMID- 1\nTI  - T\n")
