"""Checked on load: a pack whose names do not resolve is refused with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmpath.engine.packs import PackError, pack_at

from .conftest import EXAMPLE


def _break(folder: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) in the pack's YAML; return the 1-based line it stands on."""
    file = folder / "pack.yaml"
    text = file.read_text("utf-8")
    assert text.count(old) >= 1, old
    index = text.index(old)
    file.write_text(text[:index] + new + text[index + len(old) :], "utf-8")
    return text[:index].count("\n") + 1


def _problems(folder: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        pack_at(folder)
    return caught.value.problems


def test_the_example_pack_loads(example_pack: Path) -> None:
    pack, location = pack_at(example_pack)
    assert pack.id == "example-frail-relapse" and location.folder == example_pack.resolve()
    assert pack.regions == ["NL"]


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "when: {fact: prior_lines, eq: 1}",
            "when: {fact: prior_line, eq: 1}",
            "rules[0].when.fact",
            "unknown fact 'prior_line'; did you mean 'prior_lines'?",
        ),
        (
            "when: lenalidomide_refractory",
            "when: lenalidomide_refractroy",
            "constraints[0].when",
            "unknown fact 'lenalidomide_refractroy'; did you mean 'lenalidomide_refractory'?",
        ),
        ("regimen: Pd", "regimen: Pdd", "rules[0].options[1].regimen", "unknown regimen 'Pdd'"),
        (
            "regimen: Pd",
            "regimen: pomalidomide + carfilzomib + cyclophosphamide",
            "rules[0].options[1].regimen",
            "is not a catalogue regimen",
        ),
        (
            "applies_to: {drugs: [carfilzomib]}",
            "applies_to: {drugs: [Kyprolis]}",
            "cautions[0].applies_to.drugs[0]",
            "unknown drug 'Kyprolis'; write the INN 'carfilzomib'",
        ),
        (
            "applies_to: {drugs: [carfilzomib]}",
            "applies_to: {classes: [proteasome_inhibiter]}",
            "cautions[0].applies_to.classes[0]",
            "unknown drug class 'proteasome_inhibiter'; did you mean 'proteasome_inhibitor'?",
        ),
        (
            "applies_to: {options: [Rd]}",
            "applies_to: {options: [Rd], rules: [first-relapse-dublet]}",
            "constraints[0].applies_to.rules[0]",
            "unknown rule id 'first-relapse-dublet'",
        ),
        (
            "applies_to: {options: [Rd]}",
            "applies_to: {options: [KRd]}",
            "constraints[0].applies_to.options[0]",
            "no option 'KRd' in this pack",
        ),
        (
            "sources: [later-relapse-trial]",
            "sources: [later-relapse-trail]",
            "rules[1].sources[0]",
            "unknown quote key 'later-relapse-trail'",
        ),
        (
            "referral: clinical_trial",
            "referral: clinical_trail",
            "rules[1].options[0].referral",
            "unknown referral 'clinical_trail'",
        ),
        (
            "(here: {imwg_frailty_score})",
            "(here: {imwg_fraility_score})",
            "notes[0].text",
            "placeholder {imwg_fraility_score}: unknown fact",
        ),
        (
            "when: {fact: prior_lines, eq: 1}",
            "when: prior_lines",
            "rules[0].when",
            "prior_lines is a number fact",
        ),
        (
            "when: {fact: prior_lines, ge: 2}",
            "when: {fact: prior_lines, ge: two}",
            "rules[1].when.ge",
            "prior_lines is a number fact: compare it with a number",
        ),
        (
            "when: {fact: prior_lines, ge: 2}",
            "when: {fact: region, lt: NL}",
            "rules[1].when.lt",
            "region is a text fact: use eq, ne or in",
        ),
        (
            "when: {fact: prior_lines, ge: 2}",
            "when: {all: [relapsed, {fact: prior_lines, between: 2}]}",
            "rules[1].when.all[1]",
            "expected one of all/any/not",
        ),
        ("tier: consider", "tier: considered", "rules[1].options[0].tier", "Input should be"),
        ('    rationale: "second', '    rationales: "second', "rules[1].rationales", "unknown key"),
        ("regions: [NL]", "regions: [Netherlands]", "regions[0]", "should match pattern"),
        (
            "        tier: preferred\n      - regimen: Pd",
            "        phase: induction\n        tier: preferred\n      - regimen: Pd",
            "rules[0].options[0].phase",
            "phase 'induction' is not in phases (none declared)",
        ),
    ],
)
def test_a_name_that_does_not_resolve_refuses_the_pack_with_file_and_line(
    example_pack: Path, old: str, new: str, path: str, message: str
) -> None:
    line = _break(example_pack, old, new)
    problems = _problems(example_pack)
    file = example_pack.resolve() / "pack.yaml"
    wanted = f"{file}:{line}: {path}: "
    assert any(p.startswith(wanted) and message in p for p in problems), problems


def test_every_problem_is_reported_not_only_the_first(example_pack: Path) -> None:
    _break(example_pack, "regimen: Pd", "regimen: Pdd")
    _break(example_pack, "when: lenalidomide_refractory", "when: lenalidomide_refractroy")
    _break(example_pack, "applies_to: {drugs: [carfilzomib]}", "applies_to: {drugs: [x]}")
    assert len(_problems(example_pack)) == 3


def test_duplicate_ids_are_refused(example_pack: Path) -> None:
    line = _break(example_pack, "  - id: later-relapse-trial", "  - id: first-relapse-doublet")
    (problem,) = _problems(example_pack)
    assert f"pack.yaml:{line}: rules[1].id: duplicate id 'first-relapse-doublet'" in problem


def test_invalid_yaml_names_the_line(example_pack: Path) -> None:
    line = _break(example_pack, "  scope:\n", "  scope:\n   - [\n")
    (problem,) = _problems(example_pack)
    assert problem.startswith(f"{example_pack.resolve() / 'pack.yaml'}:")
    assert "not valid YAML" in problem
    reported = int(problem.split("pack.yaml:")[1].split(":")[0])
    assert line <= reported <= line + 3


def test_the_id_must_equal_the_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "other-name"
    folder.mkdir()
    for item in EXAMPLE.iterdir():
        if item.is_file():
            (folder / item.name).write_bytes(item.read_bytes())
    (problem,) = _problems(folder)
    assert "pack.yaml:4: id: 'example-frail-relapse' differs from its folder 'other-name'" in (
        problem
    )
