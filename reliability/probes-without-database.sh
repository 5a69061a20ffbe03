#!/usr/bin/env bash
# Kubernetes restarts a pod whose liveness probe fails: a database outage must make the
# services not ready, never not live. Starts each service's jar with PostgreSQL unreachable
# (DATABASE_URL on a closed port, no migration at start) and checks, as the probes in
# deploy/k8s would: /q/health/started 200, /q/health/live 200, /q/health/ready 503.
# Needs the built jars (./mvnw package); uses free ports, so it can run beside a stack.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
services=(auth-service billing-service jobs-service worker-service ops-service)
work="$(mktemp -d)"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "probes-without-database: FAIL $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

status_of() { curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$1/q/health/$2" || true; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
declare -A port_of=()
for service in "${services[@]}"; do
  jar="$root/$service/target/quarkus-app/quarkus-run.jar"
  [ -f "$jar" ] || fail "$jar is missing: run ./mvnw -B -DskipTests package first"
  port="$(free_port)"
  port_of[$service]="$port"
  env -i PATH="$PATH" HOME="$work" QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port" \
    DATABASE_URL="postgresql://metered_${service%-service}:x@127.0.0.1:1/metered" \
    METERED_MIGRATE_AT_START=false AUTH_JWT_PRIVATE_KEY="$(cat "$work/key.pem")" \
    AUTH_JWKS_URL=http://127.0.0.1:1/api/auth/jwks STRIPE_SECRET_KEY=sk_test_unused \
    STRIPE_WEBHOOK_SECRET=whsec_unused ADMIN_TOKEN=probes-test-admin-token-0123456789 \
    java -Xmx128m -jar "$jar" > "$work/$service.log" 2>&1 &
  pids+=($!)
done

for service in "${services[@]}"; do
  port="${port_of[$service]}"
  for _ in $(seq 90); do
    [ "$(status_of "$port" started)" = 200 ] && break
    sleep 1
  done
  started="$(status_of "$port" started)" live="$(status_of "$port" live)" ready="$(status_of "$port" ready)"
  printf '%-16s started %s  live %s  ready %s\n' "$service" "$started" "$live" "$ready"
  if [ "$started" != 200 ] || [ "$live" != 200 ] || [ "$ready" != 503 ]; then
    tail -n 20 "$work/$service.log" >&2
    fail "$service: expected started 200, live 200, ready 503 with the database unreachable"
  fi
done
echo "probes-without-database: PASS (5 services live and not ready without their database)"
