# Sourced by deploy/ci/test.sh (after tasks.sh): sets of local backends (etcd, DynamoDB Local,
# the SQS emulator; deploy/local/backends-cli.ts) started in the background, so that their
# start (a JVM's above all) runs beside other work instead of in a tier's global setup.
#
#   start_backends NAME [FLAG...]  starts a set; returns at once (its endpoints come when it
#                         is ready); FLAGs go to backends-cli.ts (--short-lived)
#   use_backends NAME     waits until the set is ready, exports CHRONORING_TEST_ENDPOINTS
#                         (test/support/global-setup.ts then starts none), prints its log
#   stop_backends NAME    stops it (also done for every set at exit)
#
# A set may be started from a lane (a subshell): its pid is kept in a file, not a variable.

backend_sets=()

start_backends() {
  node --import tsx deploy/local/backends-cli.ts "${@:2}" >"$task_dir/$1.endpoints" 2>"$task_dir/$1.backends.log" &
  echo $! >"$task_dir/$1.pid"
}

use_backends() {
  local pid
  pid="$(cat "$task_dir/$1.pid")"
  backend_sets+=("$1")
  until grep -q '}' "$task_dir/$1.endpoints" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$task_dir/$1.backends.log"
      echo "backends $1 did not start" >&2
      return 1
    fi
    sleep 0.2
  done
  cat "$task_dir/$1.backends.log"
  CHRONORING_TEST_ENDPOINTS="$(head -n 1 "$task_dir/$1.endpoints")"
  export CHRONORING_TEST_ENDPOINTS
}

stop_backends() {
  local pid
  pid="$(cat "$task_dir/$1.pid" 2>/dev/null)" || return 0
  rm -f "$task_dir/$1.pid"
  kill -TERM "$pid" 2>/dev/null || return 0
  # Not necessarily this shell's child (started from a lane): wait by polling.
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

on_exit() {
  local f
  for f in "$task_dir"/*.pid; do
    [ -e "$f" ] && stop_backends "$(basename "$f" .pid)"
  done
  return 0
}
