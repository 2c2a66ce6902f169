"""Byte-identical check of recommend() output before and after an engine change.

Dumps the JSON of ``recommend(record, "all")`` (and of the record's own guideline, when it
names one) for every vignette (tests/vignettes/*/*.json), every review case
(review/*/*.json), every shipped example (src/mmpath/examples/*) and the bench fixture,
to one JSON file; ``--against`` compares a new dump with an old one and lists every
record whose output differs (exit status 1 then).

    python bench/compare_outputs.py --out /tmp/before.json          # before the change
    python bench/compare_outputs.py --out /tmp/after.json --against /tmp/before.json

The decision date is fixed (records without ``as_of`` are read at 2026-11-30) so that two
runs on different days compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

TODAY = dt.date(2026, 11, 30)


def records() -> list[tuple[str, dict[str, object], str | None]]:
    """(file, record dict, the guideline it names) for every record file."""
    import yaml

    found: list[tuple[str, dict[str, object], str | None]] = []
    files = sorted(ROOT.glob("tests/vignettes/*/*.json")) + sorted(ROOT.glob("review/*/*.json"))
    files += sorted((ROOT / "src/mmpath/examples").iterdir())
    files.append(HERE / "record_6_courses_20_labs.json")
    for file in files:
        if file.suffix not in (".json", ".yaml", ".yml"):
            continue
        text = file.read_text("utf-8")
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
        record = data.get("record", data) if isinstance(data, dict) else data
        guideline = data.get("guideline") if "record" in data else None
        found.append((str(file.relative_to(ROOT)), record, guideline))
    return found


def dump() -> dict[str, str]:
    from mmpath.record.errors import RecordError
    from mmpath.record.load import parse_record
    from mmpath.service import recommend

    out: dict[str, str] = {}
    for name, raw, guideline in records():
        try:
            record = parse_record(raw)
        except RecordError as error:  # review cases may hold deliberately invalid records
            out[name] = f"RecordError: {error}"
            continue
        for which in dict.fromkeys(["all", *([guideline] if guideline else [])]):
            try:
                text = recommend(record, which, today=TODAY).model_dump_json()
            except Exception as error:
                text = f"{type(error).__name__}: {error}"
            out[f"{name} [{which}]"] = text
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    outputs = dump()
    args.out.write_text(json.dumps(outputs, indent=0, sort_keys=True), "utf-8")
    print(f"{len(outputs)} outputs written to {args.out}")
    if args.against is None:
        return 0
    before: dict[str, str] = json.loads(args.against.read_text("utf-8"))
    differ = sorted(k for k in before.keys() | outputs.keys() if before.get(k) != outputs.get(k))
    for key in differ:
        print(f"DIFFERS: {key}")
    print(f"{len(outputs) - len(differ)} of {len(outputs)} identical, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
