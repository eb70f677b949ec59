#!/usr/bin/env bash
# Records (write) or checks (check) the SHA-256 of every input and output of
# `task generate`, so the test task can prove gen/ is fresh and untouched
# without building the generators (minutes on a cold machine).
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=gen/manifest.sha256

files() {
  {
    printf '%s\n' openapi.yaml sqlc.yaml
    find schema queries -type f -name '*.sql'
    find gen -type f ! -path "$manifest" ! -path 'gen/ts/node_modules/*'
  } | LC_ALL=C sort
}

case "${1:-}" in
  write)
    files | xargs sha256sum > "$manifest"
    ;;
  check)
    if ! diff <(files) <(awk '{print $2}' "$manifest") >/dev/null; then
      echo "gen/ is stale: the set of generated or input files changed; run: go tool task generate" >&2
      diff <(files) <(awk '{print $2}' "$manifest") >&2 || true
      exit 1
    fi
    if ! sha256sum --quiet --strict -c "$manifest" >&2; then
      echo "gen/ is stale or hand-edited (files above differ from the last generate); run: go tool task generate" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 write|check" >&2
    exit 2
    ;;
esac
