"""The term highlighter is pure: these tests need no database."""

from screening.highlight import highlight

INC = '<mark class="hl-include">'
EXC = '<mark class="hl-exclude">'
END = "</mark>"


def test_highlight_without_terms_only_escapes():
    assert highlight("a < b & c", (), ()) == "a &lt; b &amp; c"
    assert highlight("", ["trial"], []) == ""
    assert highlight(None, ["trial"], []) == ""


def test_highlight_marks_include_green_and_exclude_red():
    assert highlight("A trial in mice", ["trial"], ["mice"]) == (
        f"A {INC}trial{END} in {EXC}mice{END}"
    )


def test_highlight_is_case_insensitive_and_keeps_the_original_case():
    assert highlight("TRIAL, Trial and trial", ["tRiAl"], []) == (
        f"{INC}TRIAL{END}, {INC}Trial{END} and {INC}trial{END}"
    )


def test_highlight_matches_whole_words_only():
    assert highlight("rat, rats, pirate, rat-based", [], ["rat"]) == (
        f"{EXC}rat{END}, rats, pirate, {EXC}rat{END}-based"
    )


def test_highlight_suffix_wildcard():
    text = "We randomised and randomized; random order; a nonrandom study; Random."
    assert highlight(text, ["random*"], []) == (
        f"We {INC}randomised{END} and {INC}randomized{END}; {INC}random{END} order; "
        f"a nonrandom study; {INC}Random{END}."
    )


def test_highlight_phrases_allow_any_whitespace_and_win_over_their_words():
    text = "a randomized\ncontrolled  trial and a trial"
    assert highlight(text, ["trial", "randomized controlled trial"], []) == (
        f"a {INC}randomized\ncontrolled  trial{END} and a {INC}trial{END}"
    )


def test_highlight_escapes_the_record_text():
    text = '<script>alert("trial")</script> & <b onclick=x>mice</b>'
    assert highlight(text, ["trial"], ["mice"]) == (
        f"&lt;script&gt;alert(&quot;{INC}trial{END}&quot;)&lt;/script&gt; &amp; "
        f"&lt;b onclick=x&gt;{EXC}mice{END}&lt;/b&gt;"
    )


def test_highlight_never_matches_inside_escaped_entities():
    assert highlight("salt & pepper", ["amp", "quot"], []) == "salt &amp; pepper"


def test_highlight_terms_are_regex_safe_and_escaped():
    assert highlight("C++ (adults) and c.", ["c++", "(adults)"], []) == (
        f"{INC}C++{END} {INC}(adults){END} and c."
    )
    assert highlight("<b> tag", ["<b>"], []) == f"{INC}&lt;b&gt;{END} tag"
    assert highlight("a.b and axb", ["a.b"], []) == f"{INC}a.b{END} and axb"


def test_highlight_ignores_empty_and_bare_wildcard_terms():
    assert highlight("any text", ["", "  ", "*"], ["**"]) == "any text"


def test_highlight_a_term_in_both_lists_counts_as_exclude():
    assert highlight("placebo", ["placebo"], ["Placebo"]) == f"{EXC}placebo{END}"


def test_highlight_unicode_words():
    assert highlight("Étude randomisée", ["étude", "randomis*"], []) == (
        f"{INC}Étude{END} {INC}randomisée{END}"
    )
