"""The character check of record text (record/decode.py) against its definition.

``_REFUSED`` scans a string at C speed; ``_char_problem`` says why one character is
refused. Every code point is checked: the regular expression refuses exactly the
characters ``_char_problem`` has a reason for, so the fast scan and the definition
(docs/record-validation.md, "Limits") cannot drift apart.
"""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from mmpath.record.decode import _REFUSED, MAX_STRING, _char_problem, _text_problem, limit_problems


def test_the_scan_refuses_exactly_the_characters_with_a_reason() -> None:
    scanned = {c for c in range(sys.maxunicode + 1) if _REFUSED.fullmatch(chr(c))}
    defined = {c for c in range(sys.maxunicode + 1) if _char_problem(chr(c)) is not None}
    assert scanned == defined
    assert {0x00, 0x0B, 0x1B, 0x7F, 0x85, 0x9F, 0xD800, 0xDFFF, 0x202E, 0x2066} <= scanned
    assert not {0x09, 0x0A, 0x0D, 0x20, 0xA0, 0xE9, 0x200B, 0x1F600} & scanned


def _first_problem_by_loop(text: str) -> str | None:
    """The definition read literally: the first refused character, left to right."""
    if len(text) > MAX_STRING:
        return f"text longer than {MAX_STRING} characters ({len(text)})"
    for char in text:
        problem = _char_problem(char)
        if problem is not None:
            return problem
    return None


_ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates included
_REFUSED_ONES = st.sampled_from("\x00\x07\x0b\x1f\x7f\x85\ud800\udfff\u200e\u202e\u2066\u2069")


@given(
    st.text(
        alphabet=st.one_of(_ANY_CHARACTER, _REFUSED_ONES, st.sampled_from("\t\n\r a")), max_size=60
    )
)
def test_the_first_refused_character_is_reported(text: str) -> None:
    assert _text_problem(text) == _first_problem_by_loop(text)


def test_problems_name_the_field_and_the_character() -> None:
    record = {"notes": "ok\u202eevil", "labs": [{"test": "ldh\x07"}], "a\x00": 1, "fine": "é\t\n"}
    problems = {(p.path, p.message) for p in limit_problems(record)}
    assert problems == {
        ("notes", "text contains the bidirectional control U+202E"),
        ("labs[0].test", "text contains the control character U+0007"),
        ("a\x00", "field name: text contains the control character U+0000"),
    }


def test_paths_of_nested_lists_long_keys_and_the_top() -> None:
    long_key = "k" * 70
    value = [{"x": [["ok", "\x1b"]]}, {long_key: {"y": float("nan")}}]
    assert [(p.path, p.message) for p in limit_problems(value)] == [
        ("[0].x[0][1]", "text contains the control character U+001B"),
        (f"[1].{'k' * 60}….y", "expected a finite number"),
    ]
    assert [(p.path, p.message) for p in limit_problems("\u2066")] == [
        ("", "text contains the bidirectional control U+2066")
    ]
