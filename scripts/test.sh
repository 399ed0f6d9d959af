#!/usr/bin/env bash
# `make test`: installs what is missing, type-checks, and runs every test against real
# servers (the vitest global setup starts and stops a Temporal dev server, the database
# and the worker). Prints one closing line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/env.sh

echo "» type-checking"
npx tsc --noEmit

mkdir -p .tmp
report=.tmp/vitest-report.json
rm -f "$report"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [ -f "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$PWD/$report"
fi
exit $status
