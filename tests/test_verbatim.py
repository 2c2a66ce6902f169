"""Quotes must be verbatim modulo the extraction artefacts of the seeds."""

from __future__ import annotations

from mmpath.engine.verbatim import appears

SOURCE = "the pro-\ngression-free\n  survival; DT-\nPACE can be used; insuf\ufffdcient data"


def test_whitespace_and_soft_hyphens() -> None:
    assert appears("the progression-free survival;", SOURCE)
    assert appears("the pro- gression-free survival;", SOURCE)


def test_real_hyphen_at_a_line_end() -> None:
    assert appears("DT-PACE can be used", SOURCE)


def test_lost_fi_ligature() -> None:
    assert appears("insufficient data", SOURCE)
    assert appears("insuf\ufffdcient data", SOURCE)


def test_paraphrase_and_empty_quotes_fail() -> None:
    assert not appears("progression free survival", SOURCE)
    assert not appears("   ", SOURCE)
    # one quote may not need the soft reading in one place and the hard one in another
    assert not appears("progression-free survival; DT-PACE", SOURCE)
