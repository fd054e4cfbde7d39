#!/usr/bin/env bash
# Installs what Palaver needs and is missing, then the npm packages. Idempotent: when everything
# is present it only checks, which takes about a second.
#   bash scripts/setup.sh          what `npm start` needs
#   bash scripts/setup.sh --tests  plus what `npm test` needs (a PostgreSQL server for the store tests)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the product needs at run time (Janus is the media engine; janus-tools has
# janus-pp-rec, which unpacks recordings; ffmpeg converts and composes them).
runtime_packages=(janus janus-tools ffmpeg)
# Debian packages only the test suite needs (a PostgreSQL server for the store tests, espeak-ng for
# spoken test audio, Chromium for the browser end-to-end tests).
test_packages=(postgresql espeak-ng chromium)

wanted=("${runtime_packages[@]}")
if [[ "${1:-}" == "--tests" ]]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "palaver setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "Installing them needs root. Run once as root, then run this command again:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "palaver setup: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the installed tree is older than the lock file (or absent).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "palaver setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
