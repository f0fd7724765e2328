#!/usr/bin/env bash
# The engines beyond up.sh's dockerd that __tests__/e2e/engines.test.ts
# pushes through, on top of up.sh's stack (which this runs first):
#   - TLS material for the Docker engine reached over tcp:// with client
#     certificates (a CA, a server pair for localhost/127.0.0.1, client
#     pairs); the TLS listener itself is started by the tests
#     (stack/engine-forwarder.mjs), on a port of their own
#   - Podman's Docker-compatible API service on unix:///run/podman/podman.sock,
#     with its own vfs store under $STACK_DIR/podman, trusting the test
#     registry's CA (Debian's podman package is installed when missing)
# Writes $STACK_DIR/engines.json. Root only, Debian 12, no systemd needed.
# Idempotent and flock-serialised; a warm run changes nothing.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
# shellcheck source=engines-lib.sh
. "$SCRIPT_DIR/engines-lib.sh"

CHANGES=()
CLEANUP=()
run_cleanup() { local c; for c in "${CLEANUP[@]}"; do eval "$c"; done; }
trap run_cleanup EXIT
changed() { CHANGES+=("$*"); log "$*"; }

# Own lock (not up.sh's, which up.sh takes itself while this runs it).
take_engines_lock() {
  mkdir -p "$STACK_DIR"
  exec 8>>"$ENGINES_LOCK_FILE"
  flock -w 900 8 || die "timed out waiting for lock $ENGINES_LOCK_FILE"
}

# --- Docker engine TLS material ------------------------------------------------

TLS_FILES=(
  ca/ca.pem ca/ca.key other-ca/ca.pem other-ca/ca.key
  server/cert.pem server/key.pem
  client/ca.pem client/cert.pem client/key.pem
  client-wrong-ca/ca.pem client-wrong-ca/cert.pem client-wrong-ca/key.pem
  client-unknown/ca.pem client-unknown/cert.pem client-unknown/key.pem
)

cert_fresh() { openssl x509 -in "$1" -noout -checkend $((7 * 86400)) >/dev/null 2>&1; }

engine_tls_ok() {
  local d=$ENGINE_TLS_DIR f
  for f in "${TLS_FILES[@]}"; do [ -s "$d/$f" ] || return 1; done
  for f in server client client-unknown; do cert_fresh "$d/$f/cert.pem" || return 1; done
  openssl verify -CAfile "$d/ca/ca.pem" "$d/server/cert.pem" "$d/client/cert.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$d/other-ca/ca.pem" "$d/client-unknown/cert.pem" >/dev/null 2>&1 &&
    cmp -s "$d/ca/ca.pem" "$d/client/ca.pem" &&
    cmp -s "$d/other-ca/ca.pem" "$d/client-wrong-ca/ca.pem"
}

# make_ca DIR CN
make_ca() {
  mkdir -p "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$2" \
    -keyout "$1/ca.key" -out "$1/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# make_pair CA_DIR OUT_DIR CN EXTENSIONS : key.pem and cert.pem signed by CA_DIR.
make_pair() {
  local ca=$1 out=$2 cn=$3 ext=$4
  mkdir -p "$out"
  printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n%s\n' \
    "$ext" >"$out/ext.cnf"
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$cn" \
    -keyout "$out/key.pem" -out "$out/req.csr"
  openssl x509 -req -sha256 -days 825 -in "$out/req.csr" \
    -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -extfile "$out/ext.cnf" -out "$out/cert.pem"
  rm -f "$out/req.csr" "$out/ext.cnf"
}

generate_engine_tls() {
  local t=$1
  make_ca "$t/ca" "ecr-push-stack engine CA"
  make_ca "$t/other-ca" "ecr-push-stack unrelated CA"
  make_pair "$t/ca" "$t/server" localhost \
    "extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1"
  make_pair "$t/ca" "$t/client" ecr-push-action-client "extendedKeyUsage = clientAuth"
  cp "$t/ca/ca.pem" "$t/client/ca.pem"
  mkdir -p "$t/client-wrong-ca"
  cp "$t/other-ca/ca.pem" "$t/client-wrong-ca/ca.pem"
  cp "$t/client/cert.pem" "$t/client/key.pem" "$t/client-wrong-ca/"
  make_pair "$t/other-ca" "$t/client-unknown" ecr-push-action-stranger "extendedKeyUsage = clientAuth"
  cp "$t/ca/ca.pem" "$t/client-unknown/ca.pem"
}

ensure_engine_tls() {
  engine_tls_ok && return 0
  local tmp
  tmp=$(mktemp -d "$STACK_DIR/.engine-tls.XXXXXX")
  generate_engine_tls "$tmp" 2>"$tmp.log" || {
    rm -rf "$tmp"
    die "engine TLS generation failed: $(cat "$tmp.log")"
  }
  rm -f "$tmp.log"
  find "$tmp" -type d -exec chmod 755 {} +
  find "$tmp" -type f -exec chmod 644 {} +
  find "$tmp" -type f \( -name '*.key' -o -name key.pem \) -exec chmod 600 {} +
  rm -rf "$ENGINE_TLS_DIR.old"
  [ ! -e "$ENGINE_TLS_DIR" ] || mv "$ENGINE_TLS_DIR" "$ENGINE_TLS_DIR.old"
  mv "$tmp" "$ENGINE_TLS_DIR"
  rm -rf "$ENGINE_TLS_DIR.old"
  engine_tls_ok || die "engine TLS material in $ENGINE_TLS_DIR does not verify after generation"
  changed "created engine TLS material in $ENGINE_TLS_DIR"
}

# --- Podman -------------------------------------------------------------------------

ensure_podman_installed() {
  command -v podman >/dev/null 2>&1 && return 0
  log "installing Debian package podman"
  # Recommends (buildah, fuse-overlayfs, slirp4netns, ...) are for running
  # containers, rootless; the API service and image push need none of them.
  apt_install podman
  command -v podman >/dev/null 2>&1 || die "podman still missing after apt-get install"
  changed "installed podman ($(podman --version))"
}

# Podman (containers/image) verifies registry certificates, unlike dockerd
# for loopback registries; it reads /etc/containers/certs.d/<host>/ca.crt.
ensure_podman_trust() {
  local h
  for h in "${REGISTRY_HOSTS[@]}"; do
    mkdir -p "/etc/containers/certs.d/$h"
    if ! cmp -s "$CA_CERT" "/etc/containers/certs.d/$h/ca.crt"; then
      install -m 644 "$CA_CERT" "/etc/containers/certs.d/$h/ca.crt"
      changed "trusted test CA in /etc/containers/certs.d/$h"
    fi
  done
}

podman_up_or_dead() {
  podman_answers && return 0
  [ -s "$PODMAN_PIDFILE" ] && ! pid_alive "$PODMAN_PIDFILE" podman
}

ensure_podman_service() {
  if podman_answers; then
    pid_alive "$PODMAN_PIDFILE" "$PODMAN_DIR/storage" && return 0
    die "something answers on $PODMAN_SOCKET but it is not the podman service in $PODMAN_PIDFILE (another podman with another store?); stop it first"
  fi
  if pid_alive "$PODMAN_PIDFILE" "$PODMAN_DIR/storage"; then
    log "podman service (pid $(cat "$PODMAN_PIDFILE")) runs but does not answer; restarting it"
    kill -TERM "$(cat "$PODMAN_PIDFILE")" 2>/dev/null || true
    wait_until 10 "podman service to exit" proc_gone "$(cat "$PODMAN_PIDFILE")" ||
      kill -KILL "$(cat "$PODMAN_PIDFILE")" 2>/dev/null || true
  fi
  rm -f "$PODMAN_PIDFILE" "$PODMAN_SOCKET"
  mkdir -p "$PODMAN_DIR" "$(dirname "$PODMAN_SOCKET")" "$PODMAN_RUN_DIR"
  log "starting podman service on unix://$PODMAN_SOCKET (log: $PODMAN_LOG)"
  printf '\n=== %s start ===\n' "$(date -Is)" >>"$PODMAN_LOG"
  spawn_daemon "$PODMAN_PIDFILE" "$PODMAN_LOG" \
    podman "${PODMAN_FLAGS[@]}" system service --time=0 "unix://$PODMAN_SOCKET"
  if ! wait_until 60 "podman on $PODMAN_SOCKET" podman_up_or_dead || ! podman_answers; then
    die "podman service did not answer on $PODMAN_SOCKET; last lines of $PODMAN_LOG:
$(tail -n 15 "$PODMAN_LOG")"
  fi
  changed "started podman service (pid $(cat "$PODMAN_PIDFILE"))"
}

# --- outputs ----------------------------------------------------------------------

write_engines_json() {
  local content
  content=$(
    cat <<EOF
{
  "engineTlsDir": "$ENGINE_TLS_DIR",
  "engineServerCert": "$ENGINE_TLS_DIR/server/cert.pem",
  "engineServerKey": "$ENGINE_TLS_DIR/server/key.pem",
  "engineCa": "$ENGINE_TLS_DIR/ca/ca.pem",
  "clientCertPath": "$ENGINE_TLS_DIR/client",
  "clientWrongCaCertPath": "$ENGINE_TLS_DIR/client-wrong-ca",
  "clientUnknownCertPath": "$ENGINE_TLS_DIR/client-unknown",
  "podmanSocket": "$PODMAN_SOCKET",
  "podmanPidFile": "$PODMAN_PIDFILE",
  "podmanLog": "$PODMAN_LOG",
  "podmanVersion": "$(podman --version | awk '{print $NF}')",
  "scriptsDir": "$SCRIPT_DIR"
}
EOF
  )
  if ! cmp -s "$ENGINES_JSON" <(printf '%s\n' "$content"); then
    printf '%s\n' "$content" >"$ENGINES_JSON.tmp"
    chmod 644 "$ENGINES_JSON.tmp"
    mv -f "$ENGINES_JSON.tmp" "$ENGINES_JSON"
    changed "wrote $ENGINES_JSON"
  fi
}

main() {
  require_root
  check_stack_dir
  bash "$SCRIPT_DIR/up.sh" >/dev/null
  take_engines_lock
  ensure_engine_tls
  ensure_podman_installed
  ensure_podman_trust
  ensure_podman_service
  write_engines_json
  cat <<EOF
ecr-push-stack engines are up ($SECONDS s, ${#CHANGES[@]} change(s))
  docker over TLS : certificates in $ENGINE_TLS_DIR (DOCKER_CERT_PATH=$ENGINE_TLS_DIR/client)
  podman          : unix://$PODMAN_SOCKET (pid $(cat "$PODMAN_PIDFILE")), store $PODMAN_DIR/storage
  settings        : $ENGINES_JSON
EOF
}

main "$@"
