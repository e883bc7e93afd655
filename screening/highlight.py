"""Highlight a review's include and exclude terms in record text. Pure Python, no Django.

Matching is case-insensitive and on whole words; a trailing `*` matches any word ending
(`random*` matches random, randomised and randomized); the words of a phrase may be
separated by any whitespace. The text is matched as it is and every piece of it is escaped
on the way out, so a record cannot inject HTML and a term never matches inside an entity.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

INCLUDE = "include"
EXCLUDE = "exclude"


def _term_pattern(term: str) -> str | None:
    term = " ".join(term.lower().split())
    wildcard = term.endswith("*")
    term = term.rstrip("*").strip()
    if not term:
        return None
    body = r"\s+".join(re.escape(word) for word in term.split(" "))
    return rf"(?<!\w){body}{r'\w*' if wildcard else ''}(?!\w)"


@lru_cache(maxsize=64)
def _matcher(include: tuple[str, ...], exclude: tuple[str, ...]) -> re.Pattern | None:
    """One regex for all terms. Longer terms come first, so a phrase wins over a word in it;
    a term in both lists counts as an exclude term."""
    kinds: dict[str, str] = {}
    for kind, terms in ((INCLUDE, include), (EXCLUDE, exclude)):
        for term in terms:
            pattern = _term_pattern(term)
            if pattern is not None:
                kinds[pattern] = kind
    if not kinds:
        return None
    ordered = sorted(kinds, key=len, reverse=True)
    groups = "|".join(f"(?P<{kinds[p][0]}{i}>{p})" for i, p in enumerate(ordered))
    return re.compile(groups, re.IGNORECASE)


def highlight(text: str, include_terms=(), exclude_terms=()) -> str:
    """`text` as escaped HTML, with <mark class="hl-include"> / <mark class="hl-exclude">
    around the terms it contains."""
    text = text or ""
    matcher = _matcher(tuple(include_terms), tuple(exclude_terms))
    if matcher is None:
        return escape(text, quote=True)
    parts = []
    end = 0
    for match in matcher.finditer(text):
        kind = INCLUDE if match.lastgroup.startswith("i") else EXCLUDE
        parts.append(escape(text[end : match.start()], quote=True))
        parts.append(f'<mark class="hl-{kind}">{escape(match.group(), quote=True)}</mark>')
        end = match.end()
    parts.append(escape(text[end:], quote=True))
    return "".join(parts)
