#!/usr/bin/env bash
# npm audit of the shipped dependencies, failing on high or critical issues.
# Some registry mirrors have no audit endpoint: that is reported and skipped,
# since it says nothing about the dependencies, but any finding still fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
output=$(npm audit --omit=dev --audit-level=high 2>&1)
status=$?
if [ $status -ne 0 ] && grep -q 'audit endpoint returned an error' <<<"$output"; then
  echo "npm audit: the registry has no audit endpoint; audit skipped" >&2
  exit 0
fi
echo "$output"
exit $status
