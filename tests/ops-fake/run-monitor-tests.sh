#!/usr/bin/env bash
# bin/monitor-check's scenarios (bin/test-monitor) against the fake ops API: no stack, no
# browser, only node, python3 and curl, so that CI can run it anywhere.
# Usage: tests/ops-fake/run-monitor-tests.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
test_monitor="$here/../../bin/test-monitor"
# shellcheck source=tests/ops-fake/lib.sh
. "$here/lib.sh"

start_fake healthy || exit 1
export METERED_BASE_URL="$FAKE_URL"
passed=0
failed=0

# scenario STATE ARGS...: puts the fake in STATE, then runs bin/test-monitor ARGS.
scenario() {
  local state="$1"
  shift
  if fake_state "$state" && "$test_monitor" "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}

scenario healthy healthy
scenario worker_stale expect-alert worker_heartbeat_stale
scenario webhook_failed expect-alert webhook_failed_last_hour
scenario healthy unreachable
scenario healthy wrong-token
scenario healthy undeliverable

echo "monitor: $passed passed, $failed failed"
[ "$failed" = 0 ]
