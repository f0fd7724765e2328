#!/usr/bin/env bash
# Usage: stack/registry-restart.sh [HTPASSWD_FILE]
# Stop the stack's registry (by its pid file) and start it again with the given
# htpasswd file (default: the normal one, $STACK_DIR/htpasswd), then wait until
# it answers. Tests use "$STACK_DIR/htpasswd-other" to make the registry reject
# the stored password, and run this without argument to restore it.
# Needs a prior stack/up.sh (config, certificate, credentials).
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  require_root
  check_stack_dir
  local htpasswd_file=${1:-$HTPASSWD}
  [ $# -le 1 ] || die "usage: $0 [HTPASSWD_FILE]"
  # Absolute path: the registry resolves it from its own working directory.
  htpasswd_file=$(realpath -e -- "$htpasswd_file" 2>/dev/null) || die "no such htpasswd file: ${1:-$HTPASSWD}"
  [ -s "$REGISTRY_CONFIG" ] || die "$REGISTRY_CONFIG missing: run stack/up.sh first"
  take_lock
  start_registry "$htpasswd_file"
  log "registry up (pid $(cat "$REGISTRY_PIDFILE")) with $htpasswd_file"
}

main "$@"
