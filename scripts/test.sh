#!/usr/bin/env bash
# `make test`: installs what is missing, type-checks, and runs every test against real
# servers (the vitest global setup starts and stops a Temporal dev server, the database
# and the worker), twice:
#   1. on SQLite (the embedded default): every test file;
#   2. on PostgreSQL: the files that touch the database (vitest.config.ts), against a
#      throwaway server that scripts/postgres.sh installs (from Debian's packages, when
#      missing), starts on a free port under .tmp/, and removes afterwards, also on failure.
#   3. on a Temporal cluster: test/cluster (vitest.cluster.config.ts), whose global setup starts
#      one cluster (scripts/cluster.sh: PostgreSQL, four services, mutual TLS; built by
#      scripts/setup-cluster.sh when missing) for its files, and removes it afterwards.
# Prints one closing line summing the runs: "N passed, N failed, N skipped".
# Arguments go to the first two vitest runs (e.g. a file filter); with arguments, run 3 runs
# only when TEST_CLUSTER=1. TEST_POSTGRES=0 / TEST_CLUSTER=0 leave out run 2 / run 3, saying
# so (for a quick local loop; CI runs all three).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-chromium.sh || echo "» chromium is missing (see above): test/openapi.test.ts and test/web-ui.test.ts will fail" >&2 # the docs page and the Temporal Web UI are loaded in headless Chromium
./scripts/setup-promtool.sh || echo "» promtool is missing (see above): test/ops/alerts.test.ts will fail" >&2 # the alert rules' checks; Debian's prometheus package
source scripts/env.sh

echo "» type-checking"
npx tsc --noEmit

mkdir -p .tmp
sqlite_report=.tmp/vitest-report.json
postgres_report=.tmp/vitest-report-postgres.json
cluster_report=.tmp/vitest-report-cluster.json
rm -f "$sqlite_report" "$postgres_report" "$cluster_report"
status=0

echo "» tests on SQLite"
sqlite_status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$sqlite_report" "$@" || sqlite_status=$?

postgres_status=0
if [ "${TEST_POSTGRES:-1}" = 0 ]; then
  echo "» tests on PostgreSQL: LEFT OUT (TEST_POSTGRES=0)" >&2
else
  echo "» tests on PostgreSQL"
  pg_dir=".tmp/postgres-$$"
  trap './scripts/postgres.sh stop "$pg_dir"' EXIT
  trap 'exit 130' INT TERM # still runs the EXIT trap: the server never outlives the tests
  if pg_url=$(./scripts/postgres.sh start "$pg_dir"); then
    # --passWithNoTests: a file filter may match only database-free files, which this run leaves out.
    TEST_DATABASE_URL="$pg_url" npx vitest run --passWithNoTests --reporter=default --reporter=json \
      --outputFile.json="$postgres_report" "$@" || postgres_status=$?
  else
    echo "» PostgreSQL could not be started: the PostgreSQL run FAILED (see above)" >&2
    postgres_status=1
  fi
  ./scripts/postgres.sh stop "$pg_dir"
  trap - EXIT INT TERM
fi

cluster_run=${TEST_CLUSTER:-$([ $# -eq 0 ] && echo 1 || echo 0)}
cluster_status=0
if [ "$cluster_run" = 0 ]; then
  echo "» tests on a Temporal cluster: LEFT OUT (TEST_CLUSTER=0, or a file filter without TEST_CLUSTER=1)" >&2
else
  echo "» tests on a Temporal cluster"
  if ./scripts/setup-cluster.sh; then
    npx vitest run -c vitest.cluster.config.ts --reporter=default --reporter=json --outputFile.json="$cluster_report" || cluster_status=$?
  else
    echo "» the cluster's tools could not be installed: the cluster run FAILED (see above)" >&2
    cluster_status=1
  fi
fi

# The closing line sums the JSON reports. A run that failed without a failed test (a crash in
# the global setup, an unhandled error, no report, PostgreSQL not starting) counts as 1 failed.
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const [label, file, code] of [["SQLite", process.argv[1], +process.argv[2]], ["PostgreSQL", process.argv[3], +process.argv[4]], ["cluster", process.argv[6], +process.argv[7]]]) {
    if (label === "PostgreSQL" && process.argv[5] === "skip") { console.error("» PostgreSQL: left out (TEST_POSTGRES=0)"); continue; }
    if (label === "cluster" && process.argv[8] === "0") { console.error("» cluster: left out"); continue; }
    const r = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
    const p = r ? r.numPassedTests : 0, f = r ? r.numFailedTests : 0, s = r ? r.numPendingTests + r.numTodoTests : 0;
    const extra = code !== 0 && f === 0 ? 1 : 0;
    if (extra) console.error(`» the ${label} run failed (exit ${code}) without a failed test${r ? "" : " and without a report"}: counted as 1 failed`);
    // Name each failed test and the first line of its failure here, at the end, at the tail of a CI log.
    for (const file of r ? r.testResults : []) if (file.status === "failed" && file.message) console.error(`» FAILED (${label}) ${file.name.replace(process.cwd() + "/", "")}: ${file.message.split("\n")[0].slice(0, 300)}`);
    for (const file of r ? r.testResults : []) for (const t of file.assertionResults) if (t.status === "failed") {
      const first = (t.failureMessages[0] ?? "").split("\n")[0].slice(0, 300);
      console.error(`» FAILED (${label}) ${file.name.replace(process.cwd() + "/", "")} > ${t.fullName}\n»   ${first}`);
    }
    console.error(`» ${label}: ${p} passed, ${f + extra} failed, ${s} skipped`);
    passed += p; failed += f + extra; skipped += s;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$PWD/$sqlite_report" "$sqlite_status" "$PWD/$postgres_report" "$postgres_status" "$([ "${TEST_POSTGRES:-1}" = 0 ] && echo skip || echo run)" \
  "$PWD/$cluster_report" "$cluster_status" "$cluster_run"

[ "$sqlite_status" = 0 ] && [ "$postgres_status" = 0 ] && [ "$cluster_status" = 0 ] || status=1
exit $status
