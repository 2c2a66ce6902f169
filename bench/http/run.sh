#!/usr/bin/env bash
# Load test of POST /api/v1/recommend with wrk from a second process (bench only: not a test).
# Usage: bash bench/http/run.sh [seconds per run, default 15] [backend: sqlite|postgresql] [workers, default 1] [guideline, default all]
# Needs: apt-get install -y wrk; PostgreSQL on 127.0.0.1:5432 for the postgresql backend.
# Prints one line per (audit, connections): requests/s, p50, p99, non-2xx.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-15}
backend=${2:-sqlite}
workers=${3:-1}
guideline=${4:-all}
endpoint="/api/v1/recommend?guideline=$guideline"
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
export PYTHONPATH=src
port=18765
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

database() {
    if [ "$backend" = postgresql ]; then
        local name="mmpath_bench_$1"
        psql -w -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
        psql -w -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $name"
        echo "postgresql://postgres@127.0.0.1:5432/$name"
    else
        echo "sqlite:///$work/$1.sqlite3"
    fi
}

wait_up() {
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && return 0
        sleep 0.1
    done
    echo "server did not start" >&2
    exit 1
}

printf '%-8s %-18s %-7s %-6s %5s %10s %9s %9s %8s\n' backend guideline workers audit conns 'req/s' p50 p99 non-2xx
for audit in on off; do
    url=$(database "audit_$audit")
    if [ "$audit" = on ]; then
        # no sign-in and no rate limit (since issue 11 both are on by default: every
        # request would be a 401, or a 429 past 1200 a minute)
        "$python" -m mmpath serve --no-auth --rate-limit 0 --port "$port" --database-url "$url" \
            --workers "$workers" >/dev/null 2>&1 &
    else
        MMPATH_NO_AUTH=1 MMPATH_RATE_PER_MINUTE=0 "$python" bench/http/serve_no_audit.py "$port" "$url" "$workers" &
    fi
    server=$!
    wait_up
    # warm-up (imports, caches, connection pool)
    wrk -t1 -c1 -d2s -s bench/http/post.lua "http://127.0.0.1:$port$endpoint" \
        -- examples/first-relapse-on-lenalidomide.json >/dev/null
    for conns in 1 8 32; do
        threads=$((conns < 2 ? conns : 2))
        out=$(wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency -s bench/http/post.lua \
            "http://127.0.0.1:$port$endpoint" -- examples/first-relapse-on-lenalidomide.json)
        rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1=="50%" {print $2}' <<<"$out")
        p99=$(awk '$1=="99%" {print $2}' <<<"$out")
        bad=$(awk '/^non-2xx/ {print $2}' <<<"$out")
        socket=$(grep -c 'Socket errors' <<<"$out" || true)
        printf '%-8s %-18s %-7s %-6s %5s %10s %9s %9s %8s%s\n' "$backend" "$guideline" "$workers" "$audit" "$conns" "$rps" "$p50" "$p99" "$bad" \
            "$([ "$socket" != 0 ] && echo "  ($(grep 'Socket errors' <<<"$out"))")"
    done
    if [ "$audit" = on ]; then
        rows=$("$python" -m mmpath audit list --limit 1 --json --database-url "$url" | "$python" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
        echo "audit rows written in this run: $rows"
    fi
    kill "$server"; wait "$server" 2>/dev/null || true
    if [ "$backend" = postgresql ]; then
        psql -w -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS mmpath_bench_audit_$audit WITH (FORCE)"
    fi
done
