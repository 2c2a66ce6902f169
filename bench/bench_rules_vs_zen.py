"""Rule evaluation alone: mmpath's Kleene conditions vs GoRules zen-engine, same logic, same facts.

What is compared, per call, for one patient's facts given as a plain dict
(fact name -> true / false / null / number; a missing key means null):

- mmpath: ``evaluate(condition, facts)`` for every condition mmpath evaluates for a patient
  with the nl-rrmm pack (applicability, rules, options, exclusions, constraints, cautions,
  dose notes of the pack and of the drug-level dose-note file, notes), where ``facts`` is
  a tiny object whose ``value(name)`` is ``dict.get``. Each result is the value *and* the
  set of unknown facts that would settle it.
- zen-engine: the same conditions translated by bench/zen_translate.py into one JDM
  expression node (one output per condition, Kleene-encoded), evaluated with the keyed
  ``ZenEngine.evaluate(key, context)`` path and the built-in static loader (zen's fastest
  path; the cached ``ZenDecisionContent`` loader is shown too). Each result is the value.

Before timing, equivalence is checked: for every generated fact assignment (random
three-valued booleans, missing keys, numbers around every comparison's boundary) and for
the fixture patient's derived facts, zen's output must equal mmpath's value for every
condition. Any mismatch stops the script (exit 1) before anything is timed.

For context, the full per-patient ``recommend`` (fact derivation from the record, the
engine, output models) is timed in the same run.

Run: python bench/bench_rules_vs_zen.py [--assignments 2000] [--iterations 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from typing import Any

from _common import FIXTURE, HEADER, machine_info, measure, use_checkout_source

JDM_KEY = "nl-rrmm-conditions.json"


class PlainFacts:
    """The least a condition needs: ``value(name)`` over a dict (missing -> unknown)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def value(self, name: str) -> Any:
        return self.values.get(name)


def zen_performance_us(text: str) -> float:
    """zen's ``performance`` string (e.g. ``'38.5µs'``, ``'1.2ms'``, ``'900ns'``) in µs."""
    for unit, factor in (("ns", 1e-3), ("µs", 1.0), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(f"unexpected zen performance value {text!r}")


def boundaries(conditions: list[Any]) -> dict[str, list[float]]:
    """Per number fact: each compared operand, and values just either side of it."""
    from mmpath.engine.conditions import All, AnyOf, Compare, Not

    def leaves(condition: Any) -> Any:
        if isinstance(condition, All | AnyOf):
            for item in condition.items:
                yield from leaves(item)
        elif isinstance(condition, Not):
            yield from leaves(condition.item)
        else:
            yield condition

    found: dict[str, set[float]] = {}
    for condition in conditions:
        for leaf in leaves(condition):
            if isinstance(leaf, Compare):
                operands = leaf.operand if leaf.op == "in" else (leaf.operand,)
                for v in operands:
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        found.setdefault(leaf.fact, set()).update(
                            {v - 1, v - 0.5, v, v + 0.5, v + 1}
                        )
    return {name: sorted(values) for name, values in found.items()}


TEXTS: dict[str, list[str]] = {}
"""per text fact, the values the conditions compare it with (filled by ``main``)"""


def texts(conditions: list[Any]) -> dict[str, list[str]]:
    from mmpath.engine.conditions import All, AnyOf, Compare, Not

    found: dict[str, set[str]] = {}

    def walk(c: Any) -> None:
        if isinstance(c, Compare):
            values = c.operand if isinstance(c.operand, tuple) else (c.operand,)
            found.setdefault(c.fact, set()).update(v for v in values if isinstance(v, str))
        elif isinstance(c, All | AnyOf):
            for item in c.items:
                walk(item)
        elif isinstance(c, Not):
            walk(c.item)

    for condition in conditions:
        walk(condition)
    return {name: sorted(values) for name, values in found.items() if values}


def assignments(
    rng: random.Random,
    names: list[str],
    kinds: dict[str, str],
    edges: dict[str, list[float]],
    n: int,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{}, {name: None for name in names}]  # all unknown, both ways
    while len(out) < n:
        ctx: dict[str, Any] = {}
        for name in names:
            r = rng.random()
            if r < 0.1:
                continue  # key missing: unknown
            if r < 0.3:
                ctx[name] = None
            elif kinds[name] == "boolean":
                ctx[name] = rng.random() < 0.5
            elif kinds[name] == "number":
                choices = edges.get(name, [0.0])
                ctx[name] = (
                    rng.choice(choices)
                    if rng.random() < 0.6
                    else rng.choice(
                        [
                            rng.randint(0, int(max(choices)) + 2),
                            rng.uniform(0, 2 * max(choices) + 1),
                        ]
                    )
                )
            elif kinds[name] == "string":
                # the texts the conditions compare with, and one they never name
                ctx[name] = rng.choice([*TEXTS.get(name, []), "other"])
            else:
                raise SystemExit(f"no generator for {name} of kind {kinds[name]}")
        out.append(ctx)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignments", type=int, default=2_000)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--show-jdm", action="store_true", help="print the JDM and exit")
    args = parser.parse_args()

    use_checkout_source()
    import zen
    from zen_translate import build_jdm, pack_conditions

    from mmpath.assess import FACTS, Assessment
    from mmpath.engine.conditions import evaluate, fact_names

    try:  # conditions compiled to Python: one program per pack, as the engine runs them
        from mmpath.engine.codegen import compile_program
    except ImportError:  # older trees
        compile_program = None
    try:  # closures (issue 12, first form); absent from older and newer trees
        from mmpath.engine.conditions import compile_condition
    except ImportError:
        compile_condition = None
    from mmpath.engine.drug_notes import drug_notes
    from mmpath.engine.packs import select
    from mmpath.record.load import parse_record
    from mmpath.service import recommend

    pack = select("nl-rrmm")[0]
    entries = pack_conditions(pack, drug_notes())
    conditions = [c for _, _, c in entries]
    keys = [k for k, _, _ in entries]
    kinds = {name: spec.kind for name, spec in FACTS.items()}
    names = sorted({n for c in conditions for n in fact_names(c)})
    jdm = build_jdm([(k, c) for k, _, c in entries], kinds)
    if args.show_jdm:
        print(json.dumps(jdm, indent=2))
        return

    static = zen.ZenEngine({"loader": {"type": "static", "content": {JDM_KEY: jdm}}})
    cached = {JDM_KEY: zen.ZenDecisionContent(json.dumps(jdm))}
    with_content = zen.ZenEngine({"loader": lambda key: cached[key]})

    # -- inputs -------------------------------------------------------------------------
    rng = random.Random(args.seed)
    TEXTS.update(texts(conditions))
    contexts = assignments(rng, names, kinds, boundaries(conditions), args.assignments)
    record = parse_record(json.loads(FIXTURE.read_text("utf-8")))
    patient = Assessment(record)
    patient_facts = {name: patient.value(name) for name in names}
    checked = [*contexts, patient_facts]

    # -- equivalence: refuse to time anything if zen and mmpath disagree anywhere --------
    mismatches = []
    functions = (
        {k: compile_condition(c) for k, c in zip(keys, conditions, strict=True)}
        if compile_condition
        else {}
    )
    program = compile_program(conditions) if compile_program else None
    unknown_outputs = 0
    for ctx in checked:
        got = static.evaluate(JDM_KEY, ctx)["result"]
        also = with_content.evaluate(JDM_KEY, ctx)["result"]
        facts = PlainFacts(ctx)
        outcomes = program(facts) if program else ()
        for i, (key, condition) in enumerate(zip(keys, conditions, strict=True)):
            if program and outcomes[i] != evaluate(condition, facts):
                mismatches.append((key, ctx, None, "compiled program differs"))
            want = evaluate(condition, facts)[0]
            unknown_outputs += want is None
            if functions and functions[key](facts) != evaluate(condition, facts):
                mismatches.append((key, ctx, want, "compiled closure differs"))
            if got.get(key) is not want or also.get(key) is not want:
                mismatches.append((key, ctx, want, got.get(key)))
    for key, condition in zip(keys, conditions, strict=True):  # the derived facts themselves
        if evaluate(condition, patient)[0] is not evaluate(condition, PlainFacts(patient_facts))[0]:
            mismatches.append((key, "fixture: Assessment vs plain dict", None, None))
    total = len(checked) * len(conditions)

    print(machine_info(("zen-engine", "pydantic", "PyYAML")))
    print(
        f"nl-rrmm v{pack.version}: {len(conditions)} conditions (pack + dose notes) over "
        f"{len(names)} facts ({sum(kinds[n] == 'number' for n in names)} numeric); "
        f"JDM {len(json.dumps(jdm)):,} bytes"
    )
    print(
        f"equivalence: {len(checked):,} fact assignments ({args.assignments:,} generated, "
        f"seed {args.seed}, + the fixture patient's derived facts) x {len(conditions)} "
        f"conditions = {total:,} outputs compared, {unknown_outputs:,} of them unknown (null); "
        f"{len(mismatches)} mismatches"
    )
    if mismatches:
        for key, ctx, want, got in mismatches[:5]:
            where = next(w for k, w, _ in entries if k == key)
            print(f"  MISMATCH {key} ({where}): mmpath {want!r}, zen {got!r}, facts {ctx}")
        print("refusing to report timings: the two evaluations are not equivalent")
        sys.exit(1)

    # -- timing ---------------------------------------------------------------------------
    plain = [PlainFacts(ctx) for ctx in contexts]
    print(
        f"{args.iterations:,} timed calls after {args.warmup:,} warm-up calls each; one call = all "
        f"{len(conditions)} conditions for one patient\n"
    )

    def ours(facts: PlainFacts) -> list[Any]:
        return [evaluate(c, facts) for c in conditions]

    closures = [compile_condition(c) for c in conditions] if compile_condition else []

    def compiled(facts: PlainFacts) -> list[Any]:
        return [check(facts) for check in closures]

    timing = dict(iterations=args.iterations, warmup=args.warmup)
    rows = [
        measure("mmpath evaluate(), generated facts", ours, plain, **timing),
        measure(
            "zen evaluate(key), static loader, generated facts",
            lambda ctx: static.evaluate(JDM_KEY, ctx),
            contexts,
            **timing,
        ),
        measure(
            "zen evaluate(key), cached ZenDecisionContent loader, generated facts",
            lambda ctx: with_content.evaluate(JDM_KEY, ctx),
            contexts,
            **timing,
        ),
        measure(
            "mmpath evaluate(), fixture patient's facts",
            ours,
            [PlainFacts(patient_facts)],
            **timing,
        ),
        measure(
            "zen evaluate(key), static loader, fixture patient's facts",
            lambda ctx: static.evaluate(JDM_KEY, ctx),
            [patient_facts],
            **timing,
        ),
        measure(
            "context: full recommend(PatientRecord), fixture record",
            lambda r: recommend(r, "nl-rrmm"),
            [record],
            iterations=max(1, args.iterations // 4),
            warmup=max(1, args.warmup // 4),
        ),
    ]
    pairs = [(rows[0], rows[1]), (rows[3], rows[4])]
    if closures:
        extra = [
            measure("mmpath compiled closures, generated facts", compiled, plain, **timing),
            measure(
                "mmpath compiled closures, fixture patient's facts",
                compiled,
                [PlainFacts(patient_facts)],
                **timing,
            ),
        ]
        pairs += [(extra[0], rows[1]), (extra[1], rows[4])]
        rows += extra
    if program:
        extra = [
            measure("mmpath compiled program, generated facts", program, plain, **timing),
            measure(
                "mmpath compiled program, fixture patient's facts",
                program,
                [PlainFacts(patient_facts)],
                **timing,
            ),
        ]
        pairs += [(extra[0], rows[1]), (extra[1], rows[4])]
        rows += extra
    print(HEADER)
    for row in rows:
        print(row.row())
    engine_own = [
        zen_performance_us(static.evaluate(JDM_KEY, ctx)["performance"]) for ctx in contexts
    ]
    print(
        f"\nzen's own 'performance' field (engine time without the Python binding), median "
        f"{statistics.median(engine_own):.1f} µs"
    )
    for ours_row, zen_row in pairs:
        ratio = zen_row.median_us / ours_row.median_us
        verdict = "no slower than" if ours_row.median_us <= zen_row.median_us else "SLOWER than"
        print(
            f"{ours_row.label}: median {ours_row.median_us:.1f} µs vs zen {zen_row.median_us:.1f} µs "
            f"-> mmpath is {verdict} zen (zen/mmpath = {ratio:.2f})"
        )


if __name__ == "__main__":
    main()
