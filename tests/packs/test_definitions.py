"""Named definitions (``defines:``) in a pack and in libraries (``imports: [id@version]``):
resolved at load with file:line, evaluated with Kleene logic, shown with their reason."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mmpath.assess import FACTS, Assessment
from mmpath.assess.fact import kleene_and, kleene_or
from mmpath.engine.pack_schema import pack_schema
from mmpath.engine.packs import PackError, pack_at, use_folders
from mmpath.record.load import parse_record
from mmpath.service import recommend

from .conftest import EXAMPLE_ID

DEFINES = """\
imports: [mm-common@1]
defines:
  frail_relapse:
    definition: "relapsed and frail (the protocol's scope)"
    sources: [scope]
    means: {all: [relapsed, frail]}
  frail_relapse_not_double:
    definition: "in scope and not double-refractory"
    sources: [scope]
    means: {all: [frail_relapse, {not: double_refractory}]}

"""


def _edit(folder: Path, old: str, new: str) -> int:
    file = folder / "pack.yaml"
    text = file.read_text("utf-8")
    assert old in text, old
    index = text.index(old)
    file.write_text(text[:index] + new + text[index + len(old) :], "utf-8")
    return text[:index].count("\n") + 1


def _with_defines(folder: Path, defines: str = DEFINES) -> None:
    _edit(folder, "rules:\n", defines + "rules:\n")
    _edit(folder, "when: {all: [relapsed, frail]}", "when: frail_relapse_not_double")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        pack_at(folder)
    return caught.value.problems


def _record(folder: Path) -> dict[str, object]:
    vignette = json.loads((folder / "vignettes" / "first-relapse-frail.json").read_text("utf-8"))
    record: dict[str, object] = vignette["record"]
    return record


def test_a_pack_definition_is_evaluated_and_shown_with_its_reasons(example_pack: Path) -> None:
    _with_defines(example_pack)
    pack, _ = pack_at(example_pack)
    assert set(pack.defines) == {"frail_relapse", "frail_relapse_not_double"}
    use_folders([example_pack.parent])
    result = recommend(parse_record(_record(example_pack)), EXAMPLE_ID).results[0]
    assert result.applicable is True and [o.id for o in result.options][:3] == ["Kd", "Pd", "Rd"]
    shown = result.facts["frail_relapse"]
    assert shown.value is True
    assert shown.definition == "relapsed and frail (the protocol's scope)"
    assert shown.why.startswith("relapsed: ") and "; frail: " in shown.why
    assert result.facts["frail_relapse_not_double"].why.startswith("frail_relapse: ")


def test_a_not_frail_patient_is_out_of_scope_through_the_definition(example_pack: Path) -> None:
    _with_defines(example_pack)
    use_folders([example_pack.parent])
    record = _record(example_pack)
    record["frailty"] = {"charlson_index": 0, "katz_adl": 6, "lawton_iadl": 8}
    record["age"] = 60
    result = recommend(parse_record(record), EXAMPLE_ID).results[0]
    assert result.applicable is False and result.facts["frail_relapse"].value is False


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "means: {all: [relapsed, frail]}",
            "means: {all: [relapsed, fraill]}",
            "defines.frail_relapse.means.all[1]",
            "unknown fact 'fraill'; did you mean 'frail'?",
        ),
        (
            "means: {all: [relapsed, frail]}",
            "means: {all: [relapsed, frail_relapse_not_double]}",
            "defines.frail_relapse.means",
            "definition cycle: frail_relapse -> frail_relapse_not_double -> frail_relapse",
        ),
        (
            "means: {all: [relapsed, frail]}",
            "means: {all: [relapsed, {fact: age, ge: old}]}",
            "defines.frail_relapse.means.all[1].ge",
            "age is a number fact: compare it with a number",
        ),
        (
            "sources: [scope]\n    means: {all: [relapsed, frail]}",
            "sources: [scop]\n    means: {all: [relapsed, frail]}",
            "defines.frail_relapse.sources[0]",
            "unknown quote key 'scop'",
        ),
        ("imports: [mm-common@1]", "imports: [mm-common@2]", "imports[0]", "is version 1"),
        ("imports: [mm-common@1]", "imports: [mm-commons@1]", "imports[0]", "unknown library"),
        (
            "frail_relapse:\n    definition",
            "frail:\n    definition",
            "defines.frail",
            "'frail' is already a fact",
        ),
    ],
)
def test_a_broken_definition_is_refused_with_its_line(
    example_pack: Path, old: str, new: str, path: str, message: str
) -> None:
    _with_defines(example_pack)
    line = _edit(example_pack, old, new)
    problems = _problems(example_pack)
    assert any(f"pack.yaml:{line}: {path}: " in p and message in p for p in problems), problems


def test_library_definitions_are_read_only_by_packs_that_import_the_library(
    example_pack: Path,
) -> None:
    _with_defines(example_pack, DEFINES.replace("imports: [mm-common@1]\n", ""))
    problems = _problems(example_pack)
    assert any("unknown fact 'double_refractory'" in p for p in problems), problems


def test_a_library_on_the_search_path_is_imported(example_pack: Path) -> None:
    library = example_pack.parent / "hospital-defs"
    library.mkdir()
    (library / "library.yaml").write_text(
        textwrap.dedent(
            """\
            id: hospital-defs
            version: 3
            title: "Example Hospital definitions"
            quotes:
              scope:
                document: source.txt
                section: "1. Scope"
                quote: "who are frail"
                english: "who are frail"
            defines:
              frail_relapse_hospital:
                definition: "relapsed and frail"
                sources: [scope]
                means: {all: [relapsed, frail]}
            """
        ),
        "utf-8",
    )
    _edit(example_pack, "rules:\n", "imports: [hospital-defs@3]\n\nrules:\n")
    _edit(example_pack, "when: {all: [relapsed, frail]}", "when: frail_relapse_hospital")
    use_folders([example_pack.parent])
    pack, _ = pack_at(example_pack)
    assert "frail_relapse_hospital" in pack.scope
    result = recommend(parse_record(_record(example_pack)), EXAMPLE_ID).results[0]
    assert result.applicable is True
    assert result.facts["frail_relapse_hospital"].value is True


def test_a_library_with_an_unknown_name_is_refused_with_its_line(example_pack: Path) -> None:
    library = example_pack.parent / "bad-defs"
    library.mkdir()
    (library / "library.yaml").write_text(
        'id: bad-defs\nversion: 1\ntitle: "x"\nquotes:\n  q: {document: d, section: s, '
        'quote: q, english: e}\ndefines:\n  x_def:\n    definition: "x"\n    sources: [q]\n'
        "    means: {any: [relapsed, relapsd]}\n",
        "utf-8",
    )
    _edit(example_pack, "rules:\n", "imports: [bad-defs@1]\n\nrules:\n")
    use_folders([example_pack.parent])
    problems = _problems(example_pack)
    assert any("library.yaml:10: defines.x_def.means.any[1]: unknown fact" in p for p in problems)


def _kleene(name: str, a: Assessment) -> object:
    parts = {
        "double_refractory": (kleene_and, ["pi_refractory", "imid_refractory"]),
        "triple_class_refractory": (
            kleene_and,
            ["pi_refractory", "imid_refractory", "anti_cd38_refractory"],
        ),
        "obstructive_lung_disease": (kleene_or, ["copd", "asthma"]),
        "second_asct_candidate": (
            kleene_and,
            ["second_asct_remission_criteria", "stem_cells_sufficient"],
        ),
    }
    combine, names = parts[name]
    return combine([a.value(n) for n in names])


@pytest.mark.parametrize(
    "name",
    [
        "double_refractory",
        "triple_class_refractory",
        "obstructive_lung_disease",
        "second_asct_candidate",
    ],
)
def test_mm_common_definitions_are_facts_equal_to_their_kleene_combination(name: str) -> None:
    assert FACTS[name].library == "mm-common"
    root = Path(__file__).resolve().parents[2]
    for file in sorted(root.glob("tests/vignettes/*/*.json")):
        record = parse_record(json.loads(file.read_text("utf-8"))["record"])
        a = Assessment(record)
        assert a.value(name) == _kleene(name, a), file.name


def test_the_schema_knows_defines_and_imports() -> None:
    schema = pack_schema()
    assert {"defines", "imports"} <= set(schema["properties"])
    means = schema["$defs"]["Definition"]["properties"]["means"]
    assert means.get("$ref") == "#/$defs/Condition" or "allOf" in means


def _library_with_safety(folder: Path, safety: str) -> None:
    library = folder.parent / "safety-defs"
    library.mkdir()
    (library / "library.yaml").write_text(
        'id: safety-defs\nversion: 1\ntitle: "x"\nquotes: {}\ndefines: {}\nsafety:\n' + safety,
        "utf-8",
    )
    _edit(folder, "rules:\n", "imports: [safety-defs@1]\n\nrules:\n")
    use_folders([folder.parent])


@pytest.mark.parametrize(
    ("safety", "where", "message"),
    [
        (
            "  refractory:\n    text: 'Refractory to {drug}: {reason}.'\n",
            "library.yaml:8: safety.refractory.text: ",
            "placeholder {reason} not known here ({drug}, {why})",
        ),
        (
            "  refractoriness:\n    text: 'x'\n",
            "library.yaml:7: safety.refractoriness: ",
            "unknown safety rule 'refractoriness'",
        ),
    ],
)
def test_a_safety_text_with_an_unknown_name_is_refused_with_its_line(
    example_pack: Path, safety: str, where: str, message: str
) -> None:
    _library_with_safety(example_pack, safety)
    problems = _problems(example_pack)
    assert any(where in p and message in p for p in problems), problems


def test_mmpaths_own_rules_take_their_words_from_mm_common() -> None:
    from mmpath.assess.defined import SHIPPED_LIBRARY

    assert SHIPPED_LIBRARY is not None
    rules = {t.rule for t in SHIPPED_LIBRARY.safety.values() if t.rule}
    root = Path(__file__).resolve().parents[2]
    seen: set[str] = set()
    for file in sorted(root.glob("tests/vignettes/*/*.json")):
        record = parse_record(json.loads(file.read_text("utf-8"))["record"])
        for result in recommend(record, "all").results:
            for option in result.options:
                for caution in [*option.cautions, *option.dosing]:
                    if caution.provenance == "mmpath_rule":
                        assert caution.source in rules, (file.name, caution.id)
                        seen.add(caution.source or "")
            for excluded in result.excluded:
                if excluded.provenance == "mmpath_rule":
                    assert excluded.source in rules, (file.name, excluded.id)
                    seen.add(excluded.source or "")
    assert len(seen) >= 4  # refractory, refractory_all, intolerance, class, contraindication


def test_lint_checks_library_quotes_verbatim_and_cited(tmp_path: Path) -> None:
    from mmpath.engine.lint import check_libraries

    library = tmp_path / "libs" / "hospital-defs"
    library.mkdir(parents=True)
    (library / "source.txt").write_text("Patients who are frail, with relapsed disease.", "utf-8")
    (library / "library.yaml").write_text(
        "id: hospital-defs\nversion: 1\ntitle: x\nquotes:\n"
        "  ok: {document: source.txt, section: s, quote: 'who are frail', english: e}\n"
        "  bad: {document: source.txt, section: s, quote: 'who are not frail', english: e}\n"
        "  unused: {document: source.txt, section: s, quote: 'relapsed disease', english: e}\n"
        "defines:\n  x_def: {definition: x, sources: [ok, bad], means: relapsed}\n",
        "utf-8",
    )
    use_folders([tmp_path / "libs"])
    errors = check_libraries(None)
    assert errors == [
        "hospital-defs: quote 'bad' is not verbatim in source.txt: 'who are not frail'",
        "hospital-defs: quote 'unused' is not cited by any definition",
    ]
    use_folders(())
    assert check_libraries(Path("/work/shared/seeds")) == []  # mm-common, against the seeds
