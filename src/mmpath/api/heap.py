"""A server process's heap after start-up: warmed, then frozen for the garbage collector.

CPython's cyclic garbage collector scans the oldest generation whenever it has grown by a
quarter since the last full collection. A server process holds ~10^5 long-lived objects
(FastAPI, SQLAlchemy, pydantic schemas, the packs, their compiled programs, the
catalogue), and every request's output objects pass through the younger generations, so a
full collection — every thread stopped for 10 ms or more — came every few dozen requests:
that was most of the HTTP benchmark's p99 (bench/README.md, "HTTP: the garbage collector").

``settle()`` evaluates one shipped example record for every installed pack (loading the
packs, their compiled programs and the catalogue as the first request would), collects,
then calls ``gc.freeze()``: "Freeze all the objects tracked by the garbage collector; move
them to a permanent generation and ignore them in all the future collections" (Python
documentation, ``gc.freeze``). A request's objects are still freed, by reference
counting (the engine makes no reference cycles) or by the younger generations. The first
generation's threshold is raised from 700 to :data:`YOUNG_THRESHOLD` allocations so that
one request's objects, alive while it runs, are not promoted by collections in its midst.

Only for a long-running server: the CLI's one-shot commands and the tests do not call it.
"""

from __future__ import annotations

import gc
import json
from importlib import resources

from mmpath.record.load import parse_record

#: Allocations (net of deallocations) between collections of the youngest generation.
YOUNG_THRESHOLD = 10_000
#: Collections of one generation between collections of the next (CPython's default: 10).
OLDER_THRESHOLD = 20
#: The shipped example evaluated once at start-up (mmpath/examples; synthetic, no patient).
WARM_UP_EXAMPLE = "first-relapse-on-lenalidomide.json"


def settle() -> None:
    """Warm the process as its first request would, then freeze its heap (module docstring)."""
    from mmpath.service import recommend

    example = resources.files("mmpath").joinpath("examples", WARM_UP_EXAMPLE)
    recommend(parse_record(json.loads(example.read_text("utf-8"))), "all")
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
