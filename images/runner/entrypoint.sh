#!/usr/bin/env bash
# Entrypoint of the runner image (PID 1 is tini, which hands signals to this script only).
# Starts Docker the way DOCKER_MODE asks, waits until it answers, runs the one-job Actions runner
# with the JIT config, forwards SIGTERM/SIGINT to it, stops Docker and exits with the runner's code.
#
# Never add `set -x` or print the environment: RUNNER_JITCONFIG is a credential.
set -euo pipefail

log() { printf 'entrypoint: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# Take the JIT config out of the environment before anything is started, so only run.sh (as an
# argument, the way the runner expects it) ever sees it.
if [ -z "${RUNNER_JITCONFIG:-}" ]; then
  die "RUNNER_JITCONFIG is not set (the pod passes it from its Secret)"
fi
jitconfig=$RUNNER_JITCONFIG
unset RUNNER_JITCONFIG

[ -n "${RUNNER_VERSION:-}" ] || die "RUNNER_VERSION is not set (the runner version cached in this image)"
# The version becomes a path; refuse anything that could leave the cache directory.
[[ $RUNNER_VERSION =~ ^[0-9A-Za-z][0-9A-Za-z._-]*$ ]] || die "RUNNER_VERSION is not a version: ${RUNNER_VERSION}"

runner_home=${RUNNER_HOME:-/home/runner}
run_sh="$runner_home/actions-runner/cached/$RUNNER_VERSION/run.sh"
if [ ! -x "$run_sh" ]; then
  cached=("$runner_home"/actions-runner/cached/*/run.sh)
  [ -e "${cached[0]}" ] || cached=()
  cached=("${cached[@]%/run.sh}")
  die "RUNNER_VERSION=$RUNNER_VERSION is not in this image (no $run_sh; cached: ${cached[*]##*/})"
fi

mode=${DOCKER_MODE:-privileged}
case "$mode" in
  privileged | rootless | none) ;;
  *) die "DOCKER_MODE must be privileged, rootless or none, not '$mode'" ;;
esac

mtu=${DOCKER_MTU:-1450}
if ! [[ $mtu =~ ^[0-9]{2,5}$ ]] || ((10#$mtu < 68 || 10#$mtu > 65535)); then
  die "DOCKER_MTU must be a number from 68 to 65535, not '$mtu'"
fi
mtu=$((10#$mtu))

wait_s=${RUNNER_WAIT_FOR_DOCKER_IN_SECONDS:-60}
[[ $wait_s =~ ^[0-9]{1,6}$ ]] || die "RUNNER_WAIT_FOR_DOCKER_IN_SECONDS must be a whole number of seconds, not '$wait_s'"
wait_s=$((10#$wait_s))

log_dir=${DOCKER_LOG_DIR:-/tmp}
dockerd_log="$log_dir/dockerd.log"
containerd_log="$log_dir/containerd.log"
uid=$(id -u)
dockerd_pid=
containerd_pid=

# A prefix, not a function: `func &` would fork a subshell, and `$!` would then be the subshell's
# pid instead of the daemon's (or sudo's, which relays signals to it).
as_root=()
[ "$uid" = 0 ] || as_root=(sudo -n)

now_ms() {
  local us=${EPOCHREALTIME//[!0-9]/}
  echo $((10#$us / 1000))
}

# A zombie still has a /proc entry, so look at its state; /proc/PID/stat is readable even for
# processes of root, which `kill -0` from the runner user is not allowed to probe.
alive() {
  local stat
  [ -n "$1" ] && read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# shellcheck disable=SC2317 # reached from the EXIT trap, which shellcheck does not follow
signal_daemon() {
  # The runner user may not signal root's processes itself.
  if [ "$mode" = privileged ]; then
    "${as_root[@]}" kill -"$1" "$2" 2>/dev/null || true
  else
    kill -"$1" "$2" 2>/dev/null || true
  fi
}

# shellcheck disable=SC2317
stop_daemon() {
  local name=$1 pid=$2 deadline
  alive "$pid" || return 0
  log "stopping $name"
  signal_daemon TERM "$pid"
  deadline=$(($(now_ms) + 15000))
  while alive "$pid" && (($(now_ms) < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    log "$name did not stop within 15s; killing it"
    signal_daemon KILL "$pid"
  fi
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317
cleanup() {
  local rc=$?
  trap - EXIT TERM INT
  stop_daemon dockerd "$dockerd_pid"
  stop_daemon containerd "$containerd_pid"
  exit "$rc"
}
trap cleanup EXIT
# Until the runner runs, a signal just ends the script (and the EXIT trap stops Docker).
trap 'exit 143' TERM
trap 'exit 130' INT

# cgroup v2 forbids enabling controllers for children of a cgroup that holds processes, and a
# container starts in the root of its cgroup namespace; move everything into a leaf first so
# dockerd can create container cgroups with limits.
nest_cgroup_v2() {
  local root=${CGROUP_ROOT:-/sys/fs/cgroup} self=${CGROUP_SELF_FILE:-/proc/self/cgroup}
  [ -f "$root/cgroup.controllers" ] || return 0
  # Only inside a private cgroup namespace ("0::/"), never on a host's own hierarchy.
  [ "$(cat "$self" 2>/dev/null)" = "0::/" ] || return 0
  [ ! -e "$root/init" ] || return 0
  "${as_root[@]}" mkdir -p "$root/init"
  # shellcheck disable=SC2016 # expanded by the inner shell
  "${as_root[@]}" sh -c 'xargs -rn1 <"$1/cgroup.procs" >"$1/init/cgroup.procs" 2>/dev/null || :' sh "$root"
  # shellcheck disable=SC2016
  "${as_root[@]}" sh -c 'sed -e "s/ / +/g" -e "s/^/+/" <"$1/cgroup.controllers" >"$1/cgroup.subtree_control"' sh "$root"
}

# The node's kernel may use legacy iptables while Ubuntu defaults to nf_tables; dockerd must use
# the one the node uses or its NAT rules do nothing.
daemon_path() {
  local legacy=${DOCKER_IPTABLES_LEGACY:-}
  if [ -z "$legacy" ] && [ -s /proc/net/ip_tables_names ]; then legacy=1; fi
  if [ "$legacy" = 1 ] && [ -d /usr/local/lib/iptables-legacy ]; then
    echo "/usr/local/lib/iptables-legacy:$PATH"
  else
    echo "$PATH"
  fi
}

start_privileged() {
  if [ "$uid" != 0 ] && ! command -v sudo >/dev/null; then
    die "DOCKER_MODE=privileged needs root or sudo"
  fi
  nest_cgroup_v2
  local path
  path=$(daemon_path)
  log "starting containerd and dockerd (privileged, mtu $mtu; logs in $log_dir)"
  # sudo resets PATH to its secure_path; pass ours so the iptables choice holds.
  "${as_root[@]}" env PATH="$path" containerd >"$containerd_log" 2>&1 &
  containerd_pid=$!
  "${as_root[@]}" env PATH="$path" dockerd --mtu="$mtu" --host=unix:///var/run/docker.sock \
    --containerd=/run/containerd/containerd.sock >"$dockerd_log" 2>&1 &
  dockerd_pid=$!
}

start_rootless() {
  [ "$uid" != 0 ] || die "DOCKER_MODE=rootless must run as a non-root user (the image runs as runner)"
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$uid}
  if ! mkdir -p "$XDG_RUNTIME_DIR" 2>/dev/null || ! chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null; then
    die "XDG_RUNTIME_DIR $XDG_RUNTIME_DIR cannot be created by uid $uid"
  fi
  export DOCKER_HOST="unix://$XDG_RUNTIME_DIR/docker.sock"
  log "starting rootless dockerd (mtu $mtu; DOCKER_HOST=$DOCKER_HOST; log in $dockerd_log)"
  dockerd-rootless.sh --mtu="$mtu" >"$dockerd_log" 2>&1 &
  dockerd_pid=$!
}

docker_failed() {
  log "$1"
  if [ -s "$dockerd_log" ]; then
    log "last lines of $dockerd_log:"
    tail -n 20 "$dockerd_log" | sed 's/^/  /' >&2
  fi
  exit 1
}

wait_for_docker() {
  local deadline=$(($(now_ms) + wait_s * 1000))
  until docker info >/dev/null 2>&1; do
    alive "$dockerd_pid" || docker_failed "dockerd exited before docker answered"
    (($(now_ms) < deadline)) || docker_failed "docker did not answer within ${wait_s}s"
    sleep 0.2
  done
  log "docker is ready"
}

case "$mode" in
  privileged) start_privileged ;;
  rootless) start_rootless ;;
  none)
    # Nothing to wait for, and the runner's own wait for `docker ps` would only time out.
    unset RUNNER_WAIT_FOR_DOCKER_IN_SECONDS
    ;;
esac
[ "$mode" = none ] || wait_for_docker

cd "$runner_home"

# The traps go in before the runner starts, so a signal arriving at any moment reaches it.
runner_pid=
pending=
forwarded=0
# shellcheck disable=SC2317
forward() {
  forwarded=1
  if [ -z "$runner_pid" ]; then
    pending=$1
    return
  fi
  log "forwarding SIG$1 to the runner"
  kill -s "$1" "$runner_pid" 2>/dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT

log "starting runner $RUNNER_VERSION"
# Job control gives the runner its own process group with default signal handling; without it
# bash starts background commands with SIGINT ignored, and it could never be forwarded.
set -m
"$run_sh" --jitconfig "$jitconfig" &
runner_pid=$!
set +m
unset jitconfig
if [ -n "$pending" ]; then forward "$pending"; fi

# `wait` returns early (>128) when a trapped signal arrives; wait again for the real status.
while :; do
  rc=0
  wait "$runner_pid" || rc=$?
  if ((rc > 128)) && [ "$forwarded" = 1 ]; then
    forwarded=0
    continue
  fi
  break
done
log "runner exited with $rc"
exit "$rc"
