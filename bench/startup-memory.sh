#!/usr/bin/env bash
# Per service: JVM start-up time to ready, and resident memory idle and under the mixed load.
#   start-up: each service stopped and started again by bin/stack (built jars), from the process's
#             start (/proc/PID/stat) to the first 200 of its /q/health/ready (polled every 50 ms);
#             also the "started in" Quarkus logs.
#   memory:   VmRSS of each service process after IDLE_SECONDS (20) idle, then the highest of 1 s
#             samples during bench/mixed.lua at LOAD_RATE (200) req/s for LOAD_SECONDS (30).
# Usage: bench/startup-memory.sh       (needs bin/stack up; METERED_PORT_OFFSET as for the stack)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
services=(auth-service billing-service jobs-service worker-service ops-service)
declare -A base_port=([auth-service]=8081 [billing-service]=8082 [jobs-service]=8083 [worker-service]=8084 [ops-service]=8085)
offset="${METERED_PORT_OFFSET:-0}"
idle_seconds="${IDLE_SECONDS:-20}" load_rate="${LOAD_RATE:-200}" load_seconds="${LOAD_SECONDS:-30}"
tmp="$(mktemp -d)"
trap 'jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$tmp"' EXIT

pid_of() { cat "$BENCH_ROOT/.run/$1.pid"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }
# the process's start, in epoch milliseconds
started_ms() {
  local ticks btime start
  ticks="$(getconf CLK_TCK)"
  btime="$(awk '/^btime/ { print $2 }' /proc/stat)"
  start="$(awk '{ print $22 }' "/proc/$1/stat")"
  echo $(( btime * 1000 + start * 1000 / ticks ))
}

for service in "${services[@]}"; do
  port=$(( base_port[$service] + offset ))
  METERED_SKIP_BUILD=1 "$BENCH_ROOT/bin/stack" stop "$service" >/dev/null
  ( while ! curl -fs -o /dev/null -m 1 "http://127.0.0.1:$port/q/health/ready"; do sleep 0.05; done; now_ms > "$tmp/$service.ready" ) &
  watcher=$!
  METERED_SKIP_BUILD=1 "$BENCH_ROOT/bin/stack" up >/dev/null
  wait "$watcher"
  pid="$(pid_of "$service")"
  quarkus="$(grep -o 'started in [0-9.]*s' "$BENCH_ROOT/.run/$service.log" | tail -n 1)"
  echo "startup service=$service to_ready_ms=$(( $(cat "$tmp/$service.ready") - $(started_ms "$pid") )) quarkus_${quarkus// /_}"
done

sleep "$idle_seconds"
for service in "${services[@]}"; do
  echo "memory service=$service idle_rss_mib=$(rss_mib "$(pid_of "$service")")"
done

# under load: the mixed load at a fixed rate, RSS sampled every second
( for service in "${services[@]}"; do echo "$service 0"; done > "$tmp/peak"
  while :; do
    for service in "${services[@]}"; do echo "$service $(rss_mib "$(pid_of "$service")")"; done >> "$tmp/peak"
    sleep 1
  done ) &
sampler=$!
"$here/mixed-load.sh" "$load_rate" "$load_seconds" > "$tmp/load" 2>/dev/null
kill "$sampler"
for service in "${services[@]}"; do
  echo "memory service=$service load_rss_mib=$(awk -v s="$service" '$1 == s && $2 > m { m = $2 } END { print m }' "$tmp/peak") load=\"$(grep '^mixed' "$tmp/load" | head -n 1 | cut -d' ' -f2-5)\""
done
