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
echo "== tests"
exec npx vitest run "$@"
