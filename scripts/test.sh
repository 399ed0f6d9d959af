#!/usr/bin/env bash
# `make test`: installs what is missing, type-checks, and runs every test against real
# servers (the vitest global setup starts and stops a Temporal dev server, the database
# and the worker), twice:
#   1. on SQLite (the embedded default): every test file;
#   2. on PostgreSQL: the files that touch the database (vitest.config.ts), against a
#      throwaway server that scripts/postgres.sh installs (from Debian's packages, when
#      missing), starts on a free port under .tmp/, and removes afterwards, also on failure.
# Prints one closing line summing both runs: "N passed, N failed, N skipped".
# Arguments go to both vitest runs (e.g. a file filter). TEST_POSTGRES=0 leaves out run 2,
# saying so (for a quick local loop; CI always runs both).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/setup-chromium.sh || echo "» chromium is missing (see above): test/openapi.test.ts will fail" >&2 # the docs page is loaded in headless Chromium
./scripts/setup-promtool.sh || echo "» promtool is missing (see above): test/ops/alerts.test.ts will fail" >&2 # the alert rules' checks; Debian's prometheus package
source scripts/env.sh

echo "» type-checking"
npx tsc --noEmit

mkdir -p .tmp
sqlite_report=.tmp/vitest-report.json
postgres_report=.tmp/vitest-report-postgres.json
rm -f "$sqlite_report" "$postgres_report"
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

# The closing line sums both JSON reports. A run that failed without a failed test (a crash in
# the global setup, an unhandled error, no report, PostgreSQL not starting) counts as 1 failed.
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const [label, file, code] of [["SQLite", process.argv[1], +process.argv[2]], ["PostgreSQL", process.argv[3], +process.argv[4]]]) {
    if (label === "PostgreSQL" && process.argv[5] === "skip") { console.error("» PostgreSQL: left out (TEST_POSTGRES=0)"); continue; }
    const r = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
    const p = r ? r.numPassedTests : 0, f = r ? r.numFailedTests : 0, s = r ? r.numPendingTests + r.numTodoTests : 0;
    const extra = code !== 0 && f === 0 ? 1 : 0;
    if (extra) console.error(`» the ${label} run failed (exit ${code}) without a failed test${r ? "" : " and without a report"}: counted as 1 failed`);
    console.error(`» ${label}: ${p} passed, ${f + extra} failed, ${s} skipped`);
    passed += p; failed += f + extra; skipped += s;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$PWD/$sqlite_report" "$sqlite_status" "$PWD/$postgres_report" "$postgres_status" "$([ "${TEST_POSTGRES:-1}" = 0 ] && echo skip || echo run)"

[ "$sqlite_status" = 0 ] && [ "$postgres_status" = 0 ] || status=1
exit $status
