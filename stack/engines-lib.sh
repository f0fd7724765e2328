# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are used by the scripts that source this
# Settings shared by engines.sh and podman-image.sh: the engines beyond
# up.sh's dockerd that __tests__/e2e/engines.test.ts pushes through.
# Sourced after lib.sh; not meant to be run.

ENGINES_LOCK_FILE="$STACK_DIR/engines.lock"
ENGINES_JSON="$STACK_DIR/engines.json"

# --- Docker engine over TLS (the listener itself is started by the tests) ----
# ca/        the CA that signs the engine's server and client certificates
# server/    cert.pem key.pem for localhost and 127.0.0.1 (serverAuth)
# client/    ca.pem cert.pem key.pem: a DOCKER_CERT_PATH the engine accepts
# other-ca/  an unrelated CA
# client-wrong-ca/  the good client pair, but ca.pem is the unrelated CA
#                   (so the engine's server certificate is not trusted)
# client-unknown/   ca.pem is right, but the client pair is signed by the
#                   unrelated CA (so the engine refuses the client)
ENGINE_TLS_DIR="$STACK_DIR/engine-tls"

# --- Podman ------------------------------------------------------------------
# Its own store under $STACK_DIR (vfs: works on any filesystem), so the
# machine's default podman store and config are left alone. Every podman
# command that must see the service's images needs these global flags.
PODMAN_DIR="$STACK_DIR/podman"
PODMAN_SOCKET=/run/podman/podman.sock
PODMAN_PIDFILE="$PODMAN_DIR/service.pid"
PODMAN_LOG="$PODMAN_DIR/service.log"
PODMAN_RUN_DIR=/run/ecr-push-podman
PODMAN_FLAGS=(
  --root "$PODMAN_DIR/storage"
  --runroot "$PODMAN_RUN_DIR/storage"
  --tmpdir "$PODMAN_RUN_DIR/libpod"
  --storage-driver vfs
  --cgroup-manager cgroupfs
  --events-backend file
)

podman_cmd() { podman "${PODMAN_FLAGS[@]}" "$@"; }

podman_answers() {
  [ "$(curl -sf --max-time 3 --unix-socket "$PODMAN_SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
}
