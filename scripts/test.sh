#!/usr/bin/env bash
# What `npm test` runs after setup: build, lint and format check, type-check the tests, run every suite.
# The last line printed is "N passed, N failed" (CI reads it).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== build"
npx tsc -b
echo "== lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== typecheck tests"
npx tsc -p tsconfig.test.json
if [[ $# -gt 0 ]]; then
  exec npx vitest run "$@"
fi

# Load and browser tests measure real-time audio and video, so they run after the other suites,
# one file at a time, rather than beside them on a machine with few cores. Each run ends with "N passed, N failed"; the
# last line printed here adds them up.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
echo "== unit and integration tests"
npx vitest run --project unit --project integration 2>&1 | tee -a "$log" || status=1
echo "== load tests"
npx vitest run --project load --maxWorkers=1 --minWorkers=1 2>&1 | tee -a "$log" || status=1
echo "== browser tests"
npx vitest run --project e2e --maxWorkers=1 --minWorkers=1 2>&1 | tee -a "$log" || status=1
totals=$({ grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" || true; } | awk '{p += $1; f += $3} END {print p+0, f+0}')
read -r passed failed <<<"$totals"
[[ "$failed" -eq 0 ]] || status=1
echo
echo "$passed passed, $failed failed"
exit "$status"
