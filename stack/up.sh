#!/usr/bin/env bash
# Bring up the local stack the integration tests push to:
#   - a Docker engine (dockerd 20.10 from Debian's docker.io) on /var/run/docker.sock
#   - a CNCF distribution registry on :443 with TLS and htpasswd auth (user AWS,
#     an ECR-sized password), answering to ECR-like host names mapped to 127.0.0.1
# Idempotent and safe to run concurrently (flock). A warm run changes nothing.
# State lives in $STACK_DIR (default /var/lib/ecr-push-stack); see stack.env.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CHANGES=()      # human-readable list of what this run changed
REGISTRY_STALE= # set when the registry must restart to pick up new config/cert
CLEANUP=()      # commands run on exit
run_cleanup() { local c; for c in "${CLEANUP[@]}"; do eval "$c"; done; }
trap run_cleanup EXIT

changed() { CHANGES+=("$*"); log "$*"; }

# write_if_changed FILE MODE : replace FILE with stdin only when the content
# differs. Compared before any temp file is made, so a warm run leaves files
# and directories (and their mtimes) untouched.
write_if_changed() {
  local file=$1 mode=$2 content tmp
  content=$(cat; echo .) # the dot keeps trailing newlines through $(...)
  content=${content%.}
  if [ -f "$file" ] && cmp -s "$file" <(printf '%s' "$content"); then
    return 1
  fi
  tmp=$(mktemp "$file.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$file"
}

# --- packages ------------------------------------------------------------------

# command -> Debian package that provides it
declare -A PACKAGE_OF=(
  [dockerd]=docker.io [/usr/bin/docker]=docker.io [docker-registry]=docker-registry
  [htpasswd]=apache2-utils [openssl]=openssl [curl]=curl
)

# Installs only the packages whose commands are missing: naming an installed
# package to apt-get install would upgrade it (e.g. libssl) as a side effect.
install_packages_if_missing() {
  local cmd packages=()
  for cmd in "${!PACKAGE_OF[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || packages+=("${PACKAGE_OF[$cmd]}")
  done
  [ ${#packages[@]} -eq 0 ] && return 0
  mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

  log "installing Debian packages: ${packages[*]}"
  apt_install "${packages[@]}"
  for cmd in "${!PACKAGE_OF[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' still missing after apt-get install"
  done
  changed "installed ${packages[*]}"
}

# --- TLS -----------------------------------------------------------------------

expected_sans() {
  local sans="" h
  for h in "${REGISTRY_HOSTS[@]}" localhost; do sans+="DNS:$h,"; done
  printf '%sIP:127.0.0.1\n' "$sans"
}

# The CA is made once and kept: tests and engines trust it by path.
ensure_ca() {
  [ -s "$CA_CERT" ] && [ -s "$CA_KEY" ] && return 0
  local tmp
  tmp=$(mktemp -d "$STACK_DIR/.ca.XXXXXX")
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -subj "/CN=ecr-push-stack test CA" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$tmp/openssl.log" ||
    die "CA generation failed: $(cat "$tmp/openssl.log")"
  chmod 600 "$tmp/ca.key"
  chmod 644 "$tmp/ca.crt"
  mkdir -p "$(dirname "$CA_CERT")"
  # Key first: a run killed in between leaves no certificate without its key.
  mv -f "$tmp/ca.key" "$CA_KEY"
  mv -f "$tmp/ca.crt" "$CA_CERT"
  rm -rf "$tmp"
  changed "created test CA $CA_CERT"
}

# Kept while it is signed by our CA, names every host, and is not about to expire.
server_cert_ok() {
  [ -s "$SERVER_CERT" ] && [ -s "$SERVER_KEY" ] && [ -s "$SERVER_SANS" ] &&
    [ "$(cat "$SERVER_SANS")" = "$(expected_sans)" ] &&
    openssl x509 -in "$SERVER_CERT" -noout -checkend $((7 * 86400)) >/dev/null 2>&1 &&
    openssl verify -CAfile "$CA_CERT" "$SERVER_CERT" >/dev/null 2>&1
}

ensure_server_cert() {
  server_cert_ok && return 0
  local tmp
  tmp=$(mktemp -d "$STACK_DIR/.tls.XXXXXX")
  expected_sans >"$tmp/server.sans"
  cat >"$tmp/ext.cnf" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = $(cat "$tmp/server.sans")
EOF
  {
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$PRIMARY_HOST" \
      -keyout "$tmp/server.key" -out "$tmp/server.csr" &&
      openssl x509 -req -sha256 -days 825 -in "$tmp/server.csr" \
        -CA "$CA_CERT" -CAkey "$CA_KEY" -set_serial "0x$(openssl rand -hex 16)" \
        -extfile "$tmp/ext.cnf" -out "$tmp/server.crt"
  } 2>"$tmp/openssl.log" || die "server certificate generation failed: $(cat "$tmp/openssl.log")"
  chmod 600 "$tmp/server.key"
  chmod 644 "$tmp/server.crt" "$tmp/server.sans"
  mkdir -p "$(dirname "$SERVER_CERT")"
  mv -f "$tmp/server.key" "$SERVER_KEY"
  mv -f "$tmp/server.crt" "$SERVER_CERT"
  mv -f "$tmp/server.sans" "$SERVER_SANS" # last: marks the pair complete
  rm -rf "$tmp"
  REGISTRY_STALE=1
  changed "created server certificate for: $(cat "$SERVER_SANS")"
}

# --- name resolution and engine trust -------------------------------------------

# IPs /etc/hosts gives HOST (ignoring comments), one per line.
hosts_ips_for() {
  awk -v h="$1" '$1 !~ /^#/ { for (i = 2; i <= NF; i++) { if ($i ~ /^#/) break; if ($i == h) print $1 } }' /etc/hosts
}

# /etc/hosts may be a bind mount (containers): append in place, never mv over it.
ensure_etc_hosts() {
  local h ips
  for h in "${REGISTRY_HOSTS[@]}"; do
    ips=$(hosts_ips_for "$h" | sort -u)
    [ "$ips" = 127.0.0.1 ] && continue
    [ -z "$ips" ] || die "/etc/hosts maps $h to $(echo "$ips" | tr '\n' ' ')- expected only 127.0.0.1; fix that line by hand"
    # Make sure our line does not get glued to an unterminated last line.
    [ -z "$(tail -c1 /etc/hosts)" ] || echo >>/etc/hosts
    printf '127.0.0.1 %s # ecr-push-stack\n' "$h" >>/etc/hosts
    changed "added $h to /etc/hosts"
  done
}

# The engine reads /etc/docker/certs.d/<host>/ca.crt per registry host.
ensure_engine_trust() {
  local h
  for h in "${REGISTRY_HOSTS[@]}" localhost; do
    mkdir -p "/etc/docker/certs.d/$h"
    if write_if_changed "/etc/docker/certs.d/$h/ca.crt" 644 <"$CA_CERT"; then
      changed "trusted test CA in /etc/docker/certs.d/$h"
    fi
  done
}

# --- credentials -------------------------------------------------------------------

# ECR passwords are ~2000 base64 characters; so is ours, with one twist. Text
# of only base64 characters never encodes to a '+' or '/' in standard base64
# (only '>', '?', '~' and DEL can), so a header in the wrong alphabet would
# still work. "~~~" and "???" put a '+' and a '/' into it whatever the
# offset: that makes a standard-base64 X-Registry-Auth fail, as it must.
# 2000 characters also give the header JSON a length that needs '=' padding.
ensure_password() {
  local file=$1 body
  [ -s "$file" ] && grep -q '~~~???' "$file" && return 0
  body=$(openssl rand -base64 1500 | tr -d '\n' | head -c 1994)
  (umask 077 && printf '%s~~~???%s' "${body:0:997}" "${body:997}" >"$file.tmp") && mv -f "$file.tmp" "$file"
  changed "generated password $file"
}

# bcrypt only looks at the first 72 bytes, and htpasswd refuses passwords over
# 255 characters, so the hash is made from the first 72 characters (all ASCII).
# The registry's bcrypt check truncates the same way, so it accepts the full
# password; ensure_registry verifies that for real.
ensure_htpasswd() {
  local password_file=$1 htpasswd_file=$2 prefix
  prefix=$(head -c 72 "$password_file")
  if [ -s "$htpasswd_file" ] &&
    printf '%s' "$prefix" | htpasswd -v -i "$htpasswd_file" "$REGISTRY_USER" >/dev/null 2>&1; then
    return 0
  fi
  (umask 077 && printf '%s' "$prefix" | htpasswd -n -i -B "$REGISTRY_USER" | grep -v '^$' >"$htpasswd_file.tmp") ||
    die "htpasswd failed for $password_file"
  mv -f "$htpasswd_file.tmp" "$htpasswd_file"
  [ "$htpasswd_file" = "$HTPASSWD" ] && REGISTRY_STALE=1
  changed "wrote $htpasswd_file (user $REGISTRY_USER, bcrypt)"
}

# --- registry config -------------------------------------------------------------

ensure_registry_config() {
  mkdir -p "$REGISTRY_DATA"
  if write_if_changed "$REGISTRY_CONFIG" 644 <<EOF; then
# Generated by stack/up.sh. The ECR stand-in registry.
# registry-restart.sh overrides auth.htpasswd.path via REGISTRY_AUTH_HTPASSWD_PATH.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REGISTRY_DATA
  delete:
    enabled: true
http:
  addr: 0.0.0.0:$REGISTRY_PORT
  tls:
    certificate: $SERVER_CERT
    key: $SERVER_KEY
auth:
  htpasswd:
    realm: ecr-stand-in
    path: $HTPASSWD
EOF
    REGISTRY_STALE=1
    changed "wrote $REGISTRY_CONFIG"
  fi
}

# --- daemons ---------------------------------------------------------------------

dockerd_up_or_dead() {
  dockerd_answers && return 0
  [ -s "$STACK_DIR/dockerd.pid" ] && ! pid_alive "$STACK_DIR/dockerd.pid" dockerd
}

ensure_dockerd() {
  dockerd_answers && return 0
  if pid_alive "$DOCKER_PIDFILE" dockerd; then
    log "dockerd (pid $(cat "$DOCKER_PIDFILE")) runs but does not answer yet; waiting"
    wait_until 60 "dockerd on $DOCKER_SOCKET" dockerd_answers ||
      die "dockerd (pid $(cat "$DOCKER_PIDFILE")) does not answer on $DOCKER_SOCKET; see $DOCKERD_LOG"
  else
    # A killed dockerd leaves its pid file, and while the dead process is an
    # unreaped zombie (pid 1 here is slow to reap) dockerd refuses to start
    # ("pid file found"). pid_alive said it is no dockerd, so drop the file.
    rm -f "$DOCKER_PIDFILE" "$STACK_DIR/dockerd.pid"
    # Same for the containerd that dockerd supervises: dockerd would wait 15 s
    # for a zombie's socket, then fail "timeout waiting for containerd".
    pid_alive "$CONTAINERD_PIDFILE" containerd || rm -f "$CONTAINERD_PIDFILE"
    log "starting dockerd (log: $DOCKERD_LOG)"
    printf '\n=== %s start ===\n' "$(date -Is)" >>"$DOCKERD_LOG"
    # vfs: works on any filesystem, no overlay support needed.
    # No iptables/bridge: this machine may lack netfilter; pushes need no container networking.
    spawn_daemon "$STACK_DIR/dockerd.pid" "$DOCKERD_LOG" \
      dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none
    # Stop waiting early if dockerd exits (bad flags, pid file, ...).
    if ! wait_until 60 "dockerd on $DOCKER_SOCKET" dockerd_up_or_dead || ! dockerd_answers; then
      die "dockerd did not answer on $DOCKER_SOCKET; last lines of $DOCKERD_LOG:
$(tail -n 15 "$DOCKERD_LOG")"
    fi
    changed "started dockerd"
  fi
}

ensure_registry() {
  local reason="" code in_use=""
  [ -f "$REGISTRY_HTPASSWD_IN_USE" ] && in_use=$(cat "$REGISTRY_HTPASSWD_IN_USE")
  if ! registry_answers; then
    reason="it does not answer"
  elif ! pid_alive "$REGISTRY_PIDFILE" docker-registry; then
    die "something answers on https://$PRIMARY_HOST:$REGISTRY_PORT/ but it is not the registry in $REGISTRY_PIDFILE; stop it first. Listener: $(ss -Hltnp "sport = :$REGISTRY_PORT" 2>/dev/null || true)"
  elif [ -n "$REGISTRY_STALE" ]; then
    reason="its config, certificate or htpasswd changed"
  elif [ "$in_use" != "$HTPASSWD" ]; then
    reason="it uses ${in_use:-an unknown htpasswd file}, not $HTPASSWD"
  fi

  if [ -z "$reason" ]; then
    code=$(registry_status_with_password "$PASSWORD_FILE")
    [ "$code" = 200 ] || reason="it answers HTTP $code to the stored password"
  fi
  [ -z "$reason" ] && return 0

  log "(re)starting registry because $reason"
  start_registry "$HTPASSWD"
  code=$(registry_status_with_password "$PASSWORD_FILE")
  [ "$code" = 200 ] ||
    die "registry answers HTTP $code to the full stored password (expected 200); bcrypt/htpasswd mismatch?"
  changed "started registry (pid $(cat "$REGISTRY_PIDFILE"))"
}

# --- outputs ---------------------------------------------------------------------

write_outputs() {
  local hosts_csv hosts_json h
  hosts_csv=$(IFS=,; echo "${REGISTRY_HOSTS[*]}")
  hosts_json=""
  for h in "${REGISTRY_HOSTS[@]}"; do hosts_json+="${hosts_json:+, }\"$h\""; done

  if write_if_changed "$STACK_DIR/stack.env" 644 <<EOF; then
STACK_DIR=$STACK_DIR
STACK_CA_CERT=$CA_CERT
STACK_PASSWORD_FILE=$PASSWORD_FILE
STACK_OTHER_PASSWORD_FILE=$OTHER_PASSWORD_FILE
STACK_HTPASSWD=$HTPASSWD
STACK_HTPASSWD_OTHER=$HTPASSWD_OTHER
STACK_REGISTRY_USER=$REGISTRY_USER
STACK_REGISTRY_HOSTS=$hosts_csv
STACK_REGISTRY_PRIMARY_HOST=$PRIMARY_HOST
STACK_REGISTRY_PORT=$REGISTRY_PORT
STACK_REGISTRY_PID_FILE=$REGISTRY_PIDFILE
STACK_REGISTRY_LOG=$REGISTRY_LOG
STACK_REGISTRY_DATA=$REGISTRY_DATA
STACK_DOCKER_SOCKET=$DOCKER_SOCKET
STACK_DOCKERD_LOG=$DOCKERD_LOG
STACK_SCRIPTS_DIR=$SCRIPT_DIR
EOF
    changed "wrote $STACK_DIR/stack.env"
  fi

  if write_if_changed "$STACK_DIR/stack.json" 644 <<EOF; then
{
  "stackDir": "$STACK_DIR",
  "caCert": "$CA_CERT",
  "passwordFile": "$PASSWORD_FILE",
  "otherPasswordFile": "$OTHER_PASSWORD_FILE",
  "htpasswd": "$HTPASSWD",
  "htpasswdOther": "$HTPASSWD_OTHER",
  "registryUser": "$REGISTRY_USER",
  "registryHosts": [$hosts_json],
  "registryPrimaryHost": "$PRIMARY_HOST",
  "registryPort": $REGISTRY_PORT,
  "registryPidFile": "$REGISTRY_PIDFILE",
  "registryLog": "$REGISTRY_LOG",
  "registryData": "$REGISTRY_DATA",
  "dockerSocket": "$DOCKER_SOCKET",
  "dockerdLog": "$DOCKERD_LOG",
  "scriptsDir": "$SCRIPT_DIR"
}
EOF
    changed "wrote $STACK_DIR/stack.json"
  fi
}

print_summary() {
  cat <<EOF
ecr-push-stack is up ($SECONDS s, ${#CHANGES[@]} change(s))
  docker engine : unix://$DOCKER_SOCKET (dockerd $(cat "$DOCKER_PIDFILE" 2>/dev/null || echo '?'))
  registry      : https://<host>:$REGISTRY_PORT (pid $(cat "$REGISTRY_PIDFILE")), user $REGISTRY_USER, password in $PASSWORD_FILE
  hosts         : ${REGISTRY_HOSTS[*]}
  CA            : $CA_CERT
  settings      : $STACK_DIR/stack.env, $STACK_DIR/stack.json
EOF
}

main() {
  require_root
  check_stack_dir
  take_lock
  install_packages_if_missing
  chmod 755 "$STACK_DIR"
  ensure_ca
  ensure_server_cert
  ensure_etc_hosts
  ensure_engine_trust
  ensure_password "$PASSWORD_FILE"
  ensure_password "$OTHER_PASSWORD_FILE"
  ensure_htpasswd "$PASSWORD_FILE" "$HTPASSWD"
  ensure_htpasswd "$OTHER_PASSWORD_FILE" "$HTPASSWD_OTHER"
  ensure_registry_config
  ensure_dockerd
  ensure_registry
  write_outputs
  print_summary
}

main "$@"
