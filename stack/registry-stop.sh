#!/usr/bin/env bash
# Usage: stack/registry-stop.sh
# Stop the stack's registry (by its pid file) and wait until it has exited.
# Tests use it to simulate an unreachable registry; registry-restart.sh or
# up.sh starts it again.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  require_root
  check_stack_dir
  [ $# -eq 0 ] || die "usage: $0"
  take_lock
  stop_registry
  log "registry stopped"
}

main "$@"
