#!/usr/bin/env bash
# Metered's queue beside two peer PostgreSQL queues, in one run on the same server: N jobs drained
#   - by pgbench running the worker's own SQL (bench/pgbench-queue.sh drain: the physical limit),
#   - by Metered's worker (bench/queue-drain.sh, defaults: concurrency 16, batch 32),
#   - by pg-boss 10 and graphile-worker 0.16 (bench/peers/drain.mjs: no-op handlers, 10 at a
#     time), each in a throw-away database `bench_peers` on the same server,
# and prints each rate and its ratio to the pgbench limit. Metered's jobs also hold and capture
# credits (two ledger rows and an account update per job); the peers' do nothing but finish.
# Usage: bench/peer-queues.sh [N (20000)]     (needs bin/stack up, node and npm)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
n="${1:-20000}"
here="$(cd "$(dirname "$0")" && pwd)"
peers_url="postgresql://${PGSUPERUSER:-postgres}@$PGHOST:$PGPORT/bench_peers"
[ -d "$here/peers/node_modules" ] || (cd "$here/peers" && npm ci --no-audit --no-fund >/dev/null)

rate_of() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | head -n 1; }

log "peers: the pgbench limit"
limit="$("$here/pgbench-queue.sh" drain "$n" 32 10 | tee /dev/stderr | grep '^pgbench drain batch' | rate_of ledger_jobs_per_s)"
log "peers: Metered's worker"
metered="$("$here/queue-drain.sh" "$n" 16 32 | tee /dev/stderr | grep '^drain n=' | rate_of ledger_jobs_per_s)"
declare -A peer_rate=()
for peer in pg-boss graphile-worker; do
  sql -d postgres -c 'DROP DATABASE IF EXISTS bench_peers' -c 'CREATE DATABASE bench_peers' >/dev/null
  log "peers: $peer"
  line="$(node "$here/peers/drain.mjs" "$peer" "$peers_url" "$n" 10)"
  echo "$line" >&2
  peer_rate[$peer]="$(rate_of jobs_per_s <<< "$line")"
done
sql -d postgres -c 'DROP DATABASE IF EXISTS bench_peers' >/dev/null
python3 - "$n" "$limit" "$metered" "${peer_rate[pg-boss]}" "${peer_rate[graphile-worker]}" <<'PY'
import sys
n, limit, *rates = sys.argv[1], *map(float, sys.argv[2:])
for name, rate in zip(("metered", "pg-boss", "graphile-worker"), rates):
    print(f"peers n={n} queue={name} jobs_per_s={rate:.0f} of_pgbench_limit={100 * rate / limit:.0f}% pgbench_limit_jobs_per_s={limit:.0f}")
PY
