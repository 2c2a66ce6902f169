#!/usr/bin/env bash
# Before/after HTTP bench in ONE run (issue 12): the same wrk load against two source
# trees, alternating, each server fresh with the audit ON (`mmpath serve --no-auth
# --rate-limit 0`), plus this tree with the audit OFF (bench/http/serve_no_audit.py) to
# show what the audit write still costs.
# Usage: bash bench/http/before_after.sh BEFORE_SRC [rounds=3] [seconds=10] [backend=sqlite] [conns=8]
#   (CASES="all all-unique" to run only some cases)
#   BEFORE_SRC: the src/ folder of the "before" tree (e.g. from `git archive main`);
#   "after" is this tree's src/. Cases: nl-rrmm, all (the same record every request),
#   all-unique (all, a different record id every request: new input digest each time).
#   Trees: before (audit on), after (audit on), noaudit (this tree, audit off).
# Prints one line per (round, case, tree): wrk's req/s, p50, p99, non-2xx, the server's CPU
# time per request (/proc, all threads) and the load average; summarise with
# bench/http/summarise.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$(cd "$1" && pwd)
after=$PWD/src
rounds=${2:-3}
seconds=${3:-10}
backend=${4:-sqlite}
conns=${5:-8}
python=${PYTHON:-.venv/bin/python}
port=18766
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

database() {
    if [ "$backend" = postgresql ]; then
        psql -w -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
        psql -w -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $1"
        echo "postgresql://postgres@127.0.0.1:5432/$1"
    else
        echo "sqlite:///$work/$1.sqlite3"
    fi
}

cpu_ticks() {  # utime + stime of a process (all its threads), in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

printf '%-5s %-10s %-7s %-10s %5s %8s %9s %9s %7s %9s %s\n' round case tree backend conns 'req/s' p50 p99 non2xx cpu/req load
for round in $(seq 1 "$rounds"); do
    for case in ${CASES:-nl-rrmm all all-unique}; do
        guideline=${case%-unique}
        script=bench/http/post.lua
        [ "$case" = all-unique ] && script=bench/http/post_unique.lua
        # alternate which tree goes first, so drift in machine load does not favour one
        if [ $((round % 2)) = 1 ]; then order="before after noaudit"; else order="noaudit after before"; fi
        for tree in $order; do
            src=$after
            [ "$tree" = before ] && src=$before
            name="mmpath_ba_${tree}_${round}_${case//-/_}"
            url=$(database "$name")
            if [ "$tree" = noaudit ]; then
                PYTHONPATH=$src MMPATH_NO_AUTH=1 MMPATH_RATE_PER_MINUTE=0 "$python" \
                    bench/http/serve_no_audit.py "$port" "$url" >/dev/null 2>&1 &
            else
                PYTHONPATH=$src "$python" -m mmpath serve --no-auth --rate-limit 0 \
                    --port "$port" --database-url "$url" >/dev/null 2>&1 &
            fi
            server=$!
            for _ in $(seq 1 300); do
                curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break
                sleep 0.2
            done
            endpoint="http://127.0.0.1:$port/api/v1/recommend?guideline=$guideline"
            wrk -t1 -c1 -d2s -s "$script" "$endpoint" -- examples/first-relapse-on-lenalidomide.json >/dev/null
            ticks0=$(cpu_ticks "$server")
            out=$(wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$script" "$endpoint" \
                -- examples/first-relapse-on-lenalidomide.json)
            ticks1=$(cpu_ticks "$server")
            requests=$(awk '/requests in/ {print $1}' <<<"$out")
            # server CPU (user + system, all threads) per request: insensitive to other load
            cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
                'BEGIN {printf "%.2fms", (b - a) * 1000 / hz / n}')
            rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
            p50=$(awk '$1=="50%" {print $2}' <<<"$out")
            p99=$(awk '$1=="99%" {print $2}' <<<"$out")
            bad=$(awk '/^non-2xx/ {print $2}' <<<"$out")
            load=$(cut -d' ' -f1 /proc/loadavg)
            printf '%-5s %-10s %-7s %-10s %5s %8s %9s %9s %7s %9s %s\n' "$round" "$case" "$tree" "$backend" "$conns" "$rps" "$p50" "$p99" "$bad" "$cpu" "$load"
            kill "$server"; wait "$server" 2>/dev/null || true
            if [ "$backend" = postgresql ]; then
                psql -w -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"
            fi
        done
    done
done
