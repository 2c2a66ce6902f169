#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 as user postgres without a
# password, for the API tests (tests/api default to
# postgresql://postgres@127.0.0.1:5432/postgres; under CI=true they fail, not skip, when
# it is unreachable). Uses the running server when there is one; otherwise installs
# Debian's postgresql, creates/starts a cluster and allows trust auth from 127.0.0.1.
# Exports nothing. Called from .ci/run before the test command.
set -euo pipefail

ready() {
    command -v psql >/dev/null 2>&1 &&
        PGCONNECT_TIMEOUT=3 psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'select 1' \
            >/dev/null 2>&1
}

if ready; then
    echo "postgres.sh: PostgreSQL already answers on 127.0.0.1:5432"
    exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "postgres.sh: installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    pg_createcluster "$version" main >/dev/null
fi

hba=$(ls /etc/postgresql/"$version"/main/pg_hba.conf)
if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    # first matching line wins: put the test rule before Debian's password rules
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
fi

if pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$version" main reload
else
    pg_ctlcluster "$version" main start
fi

for _ in $(seq 1 30); do
    if ready; then
        echo "postgres.sh: PostgreSQL $version running on 127.0.0.1:5432"
        exit 0
    fi
    sleep 1
done
echo "postgres.sh: PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1
