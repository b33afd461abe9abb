# Shared by the benchmark scripts (sourced, not run): waiting for a server's port.

# Returns once something listens on 127.0.0.1:$1, or fails after 60 s.
wait_for_port() {
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "port $1 did not open" >&2
  return 1
}

# Stops process $1 (if set) with signal $2 (TERM unless given) and waits for it.
stop_process() {
  [ -n "${1:-}" ] || return 0
  kill -"${2:-TERM}" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
