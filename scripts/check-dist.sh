#!/usr/bin/env bash
# Fails when dist/ is not the bundle of the source as it is now: the action
# runs dist/index.js, so a stale bundle would ship code nobody reviewed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
npx ncc build src/index.ts --out "$fresh" --license licenses.txt --target es2023 >/dev/null
if ! diff -r -q "$fresh" dist >/dev/null; then
  diff -r -q "$fresh" dist || true
  echo "dist/ differs from a fresh build of src/. Run 'npm run build' and commit dist/." >&2
  exit 1
fi
echo "dist/ is the bundle of src/"
