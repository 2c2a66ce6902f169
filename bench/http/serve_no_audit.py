"""Serve the app WITHOUT the audit write, for the benchmark comparison only.

Not reachable from the ``mmpath`` command or any documented setting: the product always
audits. Usage: python bench/http/serve_no_audit.py PORT DATABASE_URL [WORKERS]
"""

from __future__ import annotations

import os
import sys

import uvicorn
from fastapi import FastAPI

from mmpath.api import heap
from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.store import Store
from mmpath.store.url import ENV_VAR


def no_audit_app() -> FastAPI:
    app = create_app(Settings(audit=False))
    heap.settle()  # as `mmpath serve` does
    return app


if __name__ == "__main__":
    port, url = int(sys.argv[1]), sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    Store(url).close()  # migrate once before the workers start
    os.environ[ENV_VAR] = url
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    uvicorn.run(
        "serve_no_audit:no_audit_app",
        factory=True,
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
