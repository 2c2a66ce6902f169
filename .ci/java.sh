#!/usr/bin/env bash
# Make sure the Spark test has a Java runtime: PySpark (from the test extra) runs Spark in
# local mode on it. Installs Debian's openjdk-17-jre-headless only when no java is found.
# Under CI=true the Spark test fails, not skips, without Java (tests/cohort/test_spark.py).
# Exports nothing. Call from .ci/run before the test command.
set -euo pipefail

if command -v java >/dev/null 2>&1; then
    echo "java.sh: $(java -version 2>&1 | head -n 1)"
    exit 0
fi

echo "java.sh: installing openjdk-17-jre-headless"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq openjdk-17-jre-headless >/dev/null
java -version
