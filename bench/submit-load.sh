#!/usr/bin/env bash
# Submission: POST /api/jobs through the gateway.
#   1. wrk, closed loop, a fixed number of connections (bench/submit.lua: unique Idempotency-Keys):
#      the most it takes, with p50/p99 at that load.
#   2. wrk paced by submit.lua at a fixed rate (default 500/s) on 64 connections: p50/p99 at that
#      rate (open loop while a connection is free at each slot: 64 x 4 ms = 256 ms of headroom).
# Usage: bench/submit-load.sh [SECONDS] [WRK_CONNECTIONS] [RATE] [USERS]
# USERS (default 1): submissions go to USERS bench users in turn. With 1, every submission (and
# every capture of the worker) queues for the same billing.accounts row lock (billing.hold).
# The worker keeps running (it drains what is submitted): the numbers are the stack's, on shared cores.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

seconds="${1:-20}"
connections="${2:-16}"
rate="${3:-500}"
users="${4:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }

tokens=""
for (( u = 0; u < users; u++ )); do
  read -r _user_id token < <(bench_user 1000000)
  tokens="${tokens:+$tokens,}$token"
done
export BENCH_TOKENS="$tokens"

log "submit: warm-up (5 s, discarded)"
BENCH_RUN="warm-$(date +%s%N)" wrk -t 2 -c "$connections" -d 5s -s "$here/submit.lua" "$GATEWAY" >/dev/null

log "submit: wrk -t 2 -c $connections -d ${seconds}s"
cpu_snapshot "$tmp/cpu0"
times > "$tmp/t0"
BENCH_RUN="wrk-$(date +%s%N)" wrk -t 2 -c "$connections" -d "${seconds}s" --latency -s "$here/submit.lua" "$GATEWAY" \
  | grep '^wrk ' | sed "s/^wrk /submit wrk users=$users connections=$connections /"
times > "$tmp/t1"
cpu_snapshot "$tmp/cpu1"
echo "submit wrk $(cpu_report "$tmp/cpu0" "$tmp/cpu1") $(children_cpu "$tmp/t0" "$tmp/t1" "$seconds")"

sleep 3   # let the worker drain what wrk queued
log "submit: wrk paced at $rate/s for ${seconds}s (64 connections)"
cpu_snapshot "$tmp/cpu0"
times > "$tmp/t0"
BENCH_RUN="rate-$(date +%s%N)" BENCH_RATE="$rate" BENCH_THREADS=2 \
  wrk -t 2 -c 64 -d "${seconds}s" --latency -s "$here/submit.lua" "$GATEWAY" \
  | grep '^wrk ' | sed "s/^wrk /submit wrk-paced users=$users target=$rate\/s connections=64 /"
times > "$tmp/t1"
cpu_snapshot "$tmp/cpu1"
echo "submit wrk-paced $(cpu_report "$tmp/cpu0" "$tmp/cpu1") $(children_cpu "$tmp/t0" "$tmp/t1" "$seconds")"
