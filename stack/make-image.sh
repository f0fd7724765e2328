#!/usr/bin/env bash
# Usage: stack/make-image.sh NAME:TAG SIZE_MB [LAYERS]
# Create a local image in the engine without pulling anything, filled with
# random (incompressible) bytes so that push sizes are what they say.
#   LAYERS=1 (default): `docker import` of a tar holding one SIZE_MB file.
#   LAYERS>1          : FROM scratch build with one COPY per layer, each a
#                       file of SIZE_MB/LAYERS (SIZE_MB 0 gives 1 KiB files).
# Prints the image ID (sha256:...) on stdout; progress goes to stderr.
# REUSE=1: if NAME:TAG already exists, just print its ID.
# Note: with the vfs storage driver each layer stores a full copy of the ones
# below, so disk use grows as LAYERS^2 * layer size.
set -euo pipefail

DOCKER=/usr/bin/docker # the Debian CLI; /usr/local/bin/docker may lack the legacy builder

die() { printf '[make-image] ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf '[make-image] %s\n' "$*" >&2; }

image_id() { "$DOCKER" image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

# random_file PATH BYTES
random_file() { head -c "$2" /dev/urandom >"$1"; }

import_single_layer() {
  local ref=$1 bytes=$2 work=$3
  mkdir "$work/rootfs"
  random_file "$work/rootfs/data.bin" "$bytes"
  tar -C "$work/rootfs" -cf "$work/layer.tar" data.bin
  "$DOCKER" import --message "make-image.sh" "$work/layer.tar" "$ref" >/dev/null
}

build_layers() {
  local ref=$1 bytes=$2 layers=$3 work=$4 i
  mkdir "$work/context"
  echo "FROM scratch" >"$work/context/Dockerfile"
  for ((i = 1; i <= layers; i++)); do
    random_file "$work/context/layer$i.bin" "$bytes"
    echo "COPY layer$i.bin /layer$i.bin" >>"$work/context/Dockerfile"
  done
  # Legacy builder: the Debian engine/CLI have no buildx, and it needs nothing pulled.
  DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --tag "$ref" "$work/context" >/dev/null
}

main() {
  if [ $# -lt 2 ] || [ $# -gt 3 ]; then die "usage: $0 NAME:TAG SIZE_MB [LAYERS]"; fi
  local ref=$1 size_mb=$2 layers=${3:-1} id bytes
  [[ "$size_mb" =~ ^[0-9]+$ ]] || die "SIZE_MB must be a whole number, got '$size_mb'"
  [[ "$layers" =~ ^[1-9][0-9]*$ ]] || die "LAYERS must be a whole number >= 1, got '$layers'"
  [ -x "$DOCKER" ] || die "$DOCKER not found: run stack/up.sh first"

  if [ "${REUSE:-}" = 1 ] && id=$(image_id "$ref"); then
    log "reusing existing $ref"
    echo "$id"
    return 0
  fi

  bytes=$((size_mb * 1024 * 1024 / layers))
  [ "$bytes" -gt 0 ] || bytes=1024

  # Global, not local: the EXIT trap runs after main has returned.
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/make-image.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  log "creating $ref: $layers layer(s) of $bytes random bytes"
  if [ "$layers" -eq 1 ]; then
    import_single_layer "$ref" "$bytes" "$WORK"
  else
    build_layers "$ref" "$bytes" "$layers" "$WORK"
  fi
  id=$(image_id "$ref") || die "image $ref not found after creating it"
  echo "$id"
}

main "$@"
