#!/usr/bin/env bash
# Usage: stack/podman-image.sh NAME:TAG SIZE_MB
# Makes an image in the store of engines.sh's podman service without pulling
# anything: `podman import` of a tar holding one SIZE_MB file of random bytes
# (SIZE_MB 0 gives 1 KiB). Prints the image ID (sha256:...) on stdout.
# REUSE=1: if NAME:TAG already exists, just print its ID.
# Unqualified names are stored as localhost/NAME:TAG, as podman does.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
# shellcheck source=engines-lib.sh
. "$SCRIPT_DIR/engines-lib.sh"

image_id() { podman_cmd image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

main() {
  [ $# -eq 2 ] || die "usage: $0 NAME:TAG SIZE_MB"
  local ref=$1 size_mb=$2 id bytes
  [[ "$size_mb" =~ ^[0-9]+$ ]] || die "SIZE_MB must be a whole number, got '$size_mb'"
  command -v podman >/dev/null 2>&1 || die "podman not found: run stack/engines.sh first"

  if [ "${REUSE:-}" = 1 ] && id=$(image_id "$ref"); then
    echo "sha256:${id#sha256:}"
    return 0
  fi
  bytes=$((size_mb * 1024 * 1024))
  [ "$bytes" -gt 0 ] || bytes=1024

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/podman-image.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  mkdir "$WORK/rootfs"
  head -c "$bytes" /dev/urandom >"$WORK/rootfs/data.bin"
  tar -C "$WORK/rootfs" -cf "$WORK/layer.tar" data.bin
  podman_cmd import --quiet --message podman-image.sh "$WORK/layer.tar" "$ref" >/dev/null ||
    die "podman import of $ref failed"
  id=$(image_id "$ref") || die "image $ref not found after importing it"
  echo "sha256:${id#sha256:}"
}

main "$@"
