# shellcheck shell=bash
# Sourced by the run-*.sh scripts here: starts tests/ops-fake/server.mjs on a free port and stops
# it when the calling script exits. After start_fake: FAKE_URL, FAKE_PID, and ADMIN_TOKEN exported.
fake_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

start_fake() {
  local state="$1" work
  work="$(mktemp -d)"
  command -v node >/dev/null || { echo "ops-fake: node is required" >&2; return 1; }
  ADMIN_TOKEN="fake-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  export ADMIN_TOKEN
  node "$fake_dir/server.mjs" --port 0 --port-file "$work/port" --state "$state" >"$work/fake.log" 2>&1 &
  FAKE_PID=$!
  trap 'kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; rm -rf "'"$work"'"' EXIT
  local _
  for _ in $(seq 100); do
    [ -s "$work/port" ] && break
    kill -0 "$FAKE_PID" 2>/dev/null || { cat "$work/fake.log" >&2; return 1; }
    sleep 0.1
  done
  [ -s "$work/port" ] || { echo "ops-fake: did not start" >&2; cat "$work/fake.log" >&2; return 1; }
  FAKE_URL="http://127.0.0.1:$(cat "$work/port")"
  echo "ops-fake: $FAKE_URL (state $state)"
}

# fake_state NAME: switches the running fake to a state (see server.mjs).
fake_state() {
  curl -sS -f -m 5 -X POST -H 'Content-Type: application/json' -d "{\"state\":\"$1\"}" "$FAKE_URL/__fake/state" >/dev/null
}
