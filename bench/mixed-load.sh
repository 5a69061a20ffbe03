#!/usr/bin/env bash
# Mixed load through the gateway at increasing fixed rates (bench/mixed.lua: logins, balances,
# submissions, status polls), each step STEP_SECONDS long, until p99 passes 100 ms or the rates
# run out. One line per step: target and achieved req/s, p50/p95/p99, error rate, CPU split.
# Usage: bench/mixed-load.sh [RATES ("100 200 300 400 500 600 800 1000")] [STEP_SECONDS (20)]
# Every wrk thread is one fresh bench user (MIXED_THREADS, 2). The worker keeps running and
# drains what is submitted. Above the rate the stack keeps up with, wrk's latencies understate
# the wait (no wrk2 here: coordinated omission), so read "achieved < target" as "does not keep up".
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
read -ra rates <<< "${1:-100 200 300 400 500 600 800 1000}"
seconds="${2:-20}"
threads="${MIXED_THREADS:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }

tokens="" logins=""
for (( t = 0; t < threads; t++ )); do
  tag="$(date +%s%N)-$RANDOM"
  email="bench-mixed-$tag@bench.invalid" password="bench-password-$tag"
  curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$GATEWAY/api/auth/register"
  token="$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "$GATEWAY/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  user_id="$(curl -fsS -H "Authorization: Bearer $token" "$GATEWAY/api/auth/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user_id"])')"
  sql -c "SELECT applied FROM billing.topup('$user_id', 10000000, 'evt_bench_mixed_$tag', 'bench')" >/dev/null
  tokens="${tokens:+$tokens,}$token" logins="${logins:+$logins,}$email:$password"
done
export BENCH_TOKENS="$tokens" BENCH_LOGINS="$logins"

vacuum_stack_tables
log "mixed: warm-up (10 s at 100/s, discarded)"
BENCH_RUN="warm-$(date +%s%N)" BENCH_RATE=100 BENCH_THREADS="$threads" \
  wrk -t "$threads" -c 64 -d 10s -s "$here/mixed.lua" "$GATEWAY" >/dev/null

for rate in "${rates[@]}"; do
  log "mixed: $rate req/s for ${seconds}s"
  cpu_snapshot "$tmp/cpu0"
  line="$(BENCH_RUN="mixed-$rate-$(date +%s%N)" BENCH_RATE="$rate" BENCH_THREADS="$threads" \
    wrk -t "$threads" -c 64 -d "${seconds}s" --latency -s "$here/mixed.lua" "$GATEWAY" | grep '^wrk ')"
  cpu_snapshot "$tmp/cpu1"
  echo "mixed target=$rate/s ${line#wrk } $(cpu_report "$tmp/cpu0" "$tmp/cpu1")"
  p99="$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' <<< "$line")"
  if python3 -c "import sys; sys.exit(0 if float('$p99') > 100 else 1)"; then
    log "mixed: p99 ${p99} ms > 100 ms at $rate req/s: stopping"
    break
  fi
  sleep 3   # the worker drains what the step queued
done
