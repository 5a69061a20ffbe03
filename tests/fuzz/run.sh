#!/usr/bin/env bash
# Hostile-input fuzzer and OpenAPI conformance check of a running stack, through its gateway.
#
#   tests/fuzz/run.sh [GATEWAY_URL]
#
# GATEWAY_URL defaults to http://localhost:(8080 + METERED_PORT_OFFSET). The services' own ports
# (8081..8085 + METERED_PORT_OFFSET) serve the OpenAPI documents (/q/* is not routed by the
# gateway). FUZZ_SEED (printed) and FUZZ_RUNS (cases per operation, 60) make the short form;
# e.g. FUZZ_RUNS=1000 FUZZ_SEED=$RANDOM for a long one. Exit 0 only with no violation and the
# final checks (stack ready, nothing credited to the fuzz user) passing; 1 on violations, 2 when
# it could not run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v node >/dev/null || { echo "fuzz: node is missing (Node.js 20)" >&2; exit 2; }
command -v npm >/dev/null || { echo "fuzz: npm is missing" >&2; exit 2; }

if [ ! -d "$here/node_modules" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

cd "$here"
exec node fuzz.mjs "$@"
