# shellcheck shell=bash
# shellcheck disable=SC2034 # the paths below are used by the scripts that source this
# Shared settings and helpers for the local "ECR stand-in" stack:
# a Docker engine plus a TLS + htpasswd registry answering to ECR-like host names.
# Sourced by up.sh, registry-restart.sh and registry-stop.sh; not meant to be run.

# Root's PATH in CI may lack the sbin dirs where dockerd lives. Appended (not
# prepended) on purpose: we never rely on PATH for the docker CLI anyway.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

STACK_DIR="${STACK_DIR:-/var/lib/ecr-push-stack}"

# Host names the registry must answer to (certificate SANs, /etc/hosts,
# /etc/docker/certs.d). They cover the ECR endpoint shapes the action parses.
REGISTRY_HOSTS=(
  123456789012.dkr.ecr.us-east-1.amazonaws.com
  210987654321.dkr.ecr.eu-west-1.amazonaws.com
  123456789012.dkr.ecr-fips.us-east-1.amazonaws.com
  123456789012.dkr-ecr.us-east-1.on.aws
  123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn
  public.ecr.aws
)
PRIMARY_HOST="${REGISTRY_HOSTS[0]}"
REGISTRY_PORT=443
REGISTRY_USER=AWS
DOCKER_SOCKET=/var/run/docker.sock
DOCKER_PIDFILE=/var/run/docker.pid
# containerd started and supervised by dockerd (no system containerd here).
CONTAINERD_PIDFILE=/var/run/docker/containerd/containerd.pid

CA_CERT="$STACK_DIR/ca/ca.crt"
CA_KEY="$STACK_DIR/ca/ca.key"
SERVER_CERT="$STACK_DIR/tls/server.crt"
SERVER_KEY="$STACK_DIR/tls/server.key"
SERVER_SANS="$STACK_DIR/tls/server.sans"
PASSWORD_FILE="$STACK_DIR/password"
OTHER_PASSWORD_FILE="$STACK_DIR/password-other"
HTPASSWD="$STACK_DIR/htpasswd"
HTPASSWD_OTHER="$STACK_DIR/htpasswd-other"
REGISTRY_CONFIG="$STACK_DIR/registry.yml"
REGISTRY_DATA="$STACK_DIR/registry-data"
REGISTRY_LOG="$STACK_DIR/registry.log"
REGISTRY_PIDFILE="$STACK_DIR/registry.pid"
# Which htpasswd file the running registry was started with (for up.sh to
# notice a registry left on the "wrong credentials" file by a test).
REGISTRY_HTPASSWD_IN_USE="$STACK_DIR/registry.htpasswd-in-use"
DOCKERD_LOG="$STACK_DIR/dockerd.log"
LOCK_FILE="$STACK_DIR/stack.lock"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages, edits /etc/hosts and /etc/docker, binds port 443). Try: sudo $0"
}

# stack.env is written without quoting, so keep the state dir path plain.
check_stack_dir() {
  [[ "$STACK_DIR" =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "STACK_DIR must be an absolute path of [A-Za-z0-9._/-] only, got: '$STACK_DIR'"
}

# Serialise every script that changes the stack. Waits a long time because a
# cold run may be busy in apt-get for minutes.
take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>>"$LOCK_FILE" # append mode: opening does not touch the file's mtime
  flock -w 900 9 || die "timed out waiting for lock $LOCK_FILE (another up.sh stuck?)"
}

# wait_until SECONDS WHAT CMD... : poll CMD every 0.2 s until it succeeds.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || { log "gave up after ${seconds}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# pid_alive PIDFILE NAME : the pid in PIDFILE runs a program whose command line
# mentions NAME (guards against a stale pid file whose pid got reused).
pid_alive() {
  local pidfile=$1 name=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# spawn_daemon PIDFILE LOG CMD... : start CMD detached in its own session.
# All descriptors above stderr are closed first: otherwise the daemon would
# inherit the flock descriptor (holding the lock forever) or a caller's pipe
# (making e.g. Node's execSync wait for the daemon to exit).
spawn_daemon() {
  local pidfile=$1 logfile=$2; shift 2
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    # sh writes its own pid, then execs the daemon, so the pid file is exact.
    # shellcheck disable=SC2016 # $$ and $@ are for the inner sh
    exec setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1
  ) &
}

# proc_running PID : process exists and is not a zombie (pid 1 here may not
# reap orphans promptly, so /proc/PID alone is not proof of life).
proc_running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# --- Docker engine -----------------------------------------------------------

dockerd_answers() {
  [ "$(curl -sf --max-time 3 --unix-socket "$DOCKER_SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
}

# --- registry ----------------------------------------------------------------

# HTTP status of GET /v2/ on the primary host, "000" when nothing answers.
registry_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA_CERT" \
    "https://$PRIMARY_HOST:$REGISTRY_PORT/v2/" 2>/dev/null || true
}

# 401 (auth required) is the normal answer of a live registry.
registry_answers() {
  local code
  code=$(registry_status)
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

# HTTP status of GET /v2/ with the stored (full-length) password. The password
# goes through curl's stdin config so it never shows in the process list.
registry_status_with_password() {
  local password_file=${1:-$PASSWORD_FILE}
  printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$(cat "$password_file")" |
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA_CERT" -K - \
      "https://$PRIMARY_HOST:$REGISTRY_PORT/v2/" 2>/dev/null || true
}

proc_gone() { ! proc_running "$1"; }

stop_registry() {
  local pid
  if pid_alive "$REGISTRY_PIDFILE" docker-registry; then
    pid=$(cat "$REGISTRY_PIDFILE")
    log "stopping registry (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until 10 "registry pid $pid to exit" proc_gone "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 5 "registry pid $pid to die" proc_gone "$pid" || die "cannot stop registry pid $pid"
    fi
  fi
  rm -f "$REGISTRY_PIDFILE" "$REGISTRY_HTPASSWD_IN_USE"
}

registry_up_or_dead() {
  registry_answers && return 0
  # The pid file may not be written yet in the first instants after spawn.
  [ -s "$REGISTRY_PIDFILE" ] && ! pid_alive "$REGISTRY_PIDFILE" docker-registry
}

# start_registry [HTPASSWD_FILE] : (re)start and wait until /v2/ answers.
# Stops any registry recorded in the pid file first (it may be hung).
# The htpasswd path is passed as an env override of registry.yml
# (REGISTRY_AUTH_HTPASSWD_PATH), so one config file serves both credential sets.
start_registry() {
  local htpasswd_file=${1:-$HTPASSWD}
  [ -s "$htpasswd_file" ] || die "htpasswd file not found or empty: $htpasswd_file"
  stop_registry
  log "starting registry on :$REGISTRY_PORT with $htpasswd_file"
  printf '\n=== %s start with %s ===\n' "$(date -Is)" "$htpasswd_file" >>"$REGISTRY_LOG"
  spawn_daemon "$REGISTRY_PIDFILE" "$REGISTRY_LOG" \
    env REGISTRY_AUTH_HTPASSWD_PATH="$htpasswd_file" docker-registry serve "$REGISTRY_CONFIG"
  printf '%s\n' "$htpasswd_file" >"$REGISTRY_HTPASSWD_IN_USE"
  # Stop waiting early if the registry died (e.g. port 443 already taken).
  if ! wait_until 30 "registry on https://$PRIMARY_HOST/v2/" registry_up_or_dead ||
    ! registry_answers; then
    die "registry did not come up; last lines of $REGISTRY_LOG:
$(tail -n 15 "$REGISTRY_LOG")"
  fi
}

# apt_install PACKAGE... : installs without recommends, and without letting
# the packages' init scripts start anything (a dockerd on overlay2 with
# iptables, a registry on :5000) behind our back: policy-rc.d says no for
# the duration. The caller's CLEANUP array removes it again on exit.
apt_install() {
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    CLEANUP+=("rm -f /usr/sbin/policy-rc.d")
  fi
  apt-get update -q || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" ||
    die "apt-get install $* failed"
}
