#!/usr/bin/env bash
# The "floor" contender: the Engine API calls the action makes, and nothing
# else (no Node start-up, no ECR call, no docker CLI), from one bash process.
#
# Usage: floor.sh HEADER_FILE IMAGE_ID REPOSITORY TAG...
#   HEADER_FILE  a file holding the line "X-Registry-Auth: <base64url>"; read
#                by curl (-H @file) so that the credential never appears in
#                a process's argument list (/proc/<pid>/cmdline is world-readable)
#   REPOSITORY   registry host and path, e.g. 1234....amazonaws.com/bench-x
# For each tag: POST /images/{id}/tag, then POST /images/{repo}/push. The
# engine answers 200 even when a push fails, so the whole stream is read and
# must hold a "digest: sha256:" line for the tag; otherwise exit 1.
# The push streams go to stdout for the caller to inspect.
set -euo pipefail

socket=/var/run/docker.sock
api=http://localhost/v1.41

header_file=$1 image=$2 repository=$3
shift 3

for tag in "$@"; do
  # The names are made by the bench ([a-z0-9.-/]), so they need no escaping.
  curl -sS --fail --unix-socket "$socket" -X POST \
    "$api/images/$image/tag?repo=$repository&tag=$tag"
  stream=$(curl -sS --fail --unix-socket "$socket" -X POST -H @"$header_file" \
    "$api/images/$repository/push?tag=$tag")
  printf '%s\n' "$stream"
  if [[ $stream != *"digest: sha256:"* ]]; then
    echo "floor.sh: the push stream of $repository:$tag has no digest" >&2
    exit 1
  fi
done
