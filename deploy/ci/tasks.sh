# Sourced by deploy/ci/test.sh: steps with their wall time, and checks run side by side
# ("lanes") whose output is kept per check and printed whole, in a fixed order.
#
#   step "title"            a step of the suite; the table at exit gives its time
#   title NAME "title"      the heading a task's output is printed under
#   lane CMD...             runs CMD in the background (a task, or a function of tasks)
#   task NAME CMD...        runs CMD with its output kept; fails as CMD does
#   wait_lanes; report NAME...
#                           waits for every lane, then prints each task's heading, time and
#                           output; fails if one failed or did not run (its lane stopped)

timings=()
task_timings=()
step_name=""
step_start=0

task_dir="$(mktemp -d)"
lanes=()
declare -A titles=()

# Milliseconds from bash's own clock (bash >= 5), without starting `date`.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
seconds() { printf '%.1f s' "$(($1 / 100))e-1"; }

step_done() {
  [ -n "$step_name" ] && timings+=("$(printf '%8s  %s' "$(seconds $(($(now_ms) - step_start)))" "$step_name")")
  timings+=("${task_timings[@]}")
  task_timings=()
  step_name=""
}

step() {
  step_done
  step_name="$*"
  step_start=$(now_ms)
  printf '\n== %s\n' "$*"
}

suite_start=$(now_ms)

summary() {
  local rc=$?
  # test.sh's own cleanup (the backends it started), when it defines one.
  if declare -F on_exit >/dev/null; then on_exit || true; fi
  step_done
  printf '\n== step times (exit %s)\n' "$rc"
  printf '%s\n' "${timings[@]}"
  printf '%8s  total\n' "$(seconds $(($(now_ms) - suite_start)))"
  rm -rf "$task_dir"
}
trap summary EXIT

title() { titles[$1]="$2"; }

task() {
  local name=$1 t0 rc=0
  shift
  t0=$(now_ms)
  "$@" >"$task_dir/$name.log" 2>&1 </dev/null || rc=$?
  echo "$rc $(($(now_ms) - t0))" >"$task_dir/$name.done"
  return "$rc"
}

lane() {
  "$@" &
  lanes+=($!)
}

wait_lanes() {
  local pid
  for pid in "${lanes[@]}"; do wait "$pid" || true; done
  lanes=()
}

report() {
  local name rc ms failed=0
  for name in "$@"; do
    if [ -f "$task_dir/$name.done" ]; then
      read -r rc ms <"$task_dir/$name.done"
      printf '\n== %s (%s)\n' "${titles[$name]:-$name}" "$(seconds "$ms")"
      cat "$task_dir/$name.log"
      task_timings+=("$(printf '%10s  %s' "$(seconds "$ms")" "$name")")
      if [ "$rc" != 0 ]; then
        printf '%s failed (exit %s)\n' "$name" "$rc"
        failed=1
      fi
    else
      printf '\n== %s: not run, a check before it in its lane failed\n' "${titles[$name]:-$name}"
      failed=1
    fi
  done
  return "$failed"
}
