#!/usr/bin/env bash
# Validates deploy/compose/compose.yaml offline and keeps it in step with bin/stack:
#   - docker-compose config accepts it (no engine needed);
#   - the same five services on the same ports as bin/stack, the gateway in front, the worker
#     enabled only in worker-service (the runbook's MVP_WORKER_ENABLED split);
#   - every variable handed to a service is one that service reads.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

command -v docker-compose >/dev/null || { echo "compose check: docker-compose is missing (apt-get install docker-compose)" >&2; exit 1; }

resolved="$(mktemp)"
trap 'rm -f "$resolved"' EXIT
# placeholders for the secrets bin/compose would export; only the file's shape is checked
POSTGRES_PASSWORD=x METERED_DB_PASSWORD=x AUTH_JWT_PRIVATE_KEY=x STRIPE_SECRET_KEY=x \
  STRIPE_WEBHOOK_SECRET=whsec_x ADMIN_TOKEN=x COMPOSE_PROFILES=standin \
  docker-compose -f deploy/compose/compose.yaml config > "$resolved"
echo "compose check: docker-compose config accepts deploy/compose/compose.yaml"

python3 - "$resolved" <<'PY'
import glob, re, sys, yaml

compose = yaml.safe_load(open(sys.argv[1]))["services"]
stack = open("bin/stack").read()
# bin/stack writes each port as $((BASE + port_offset)); the base is the default port
ports = dict(re.findall(r"\[([a-z]+-service)\]=\$\(\((\d+) \+ port_offset\)\)", stack))
problems = []

def reads(service):
    """The variables a service reads: ${NAME...} in its properties and the shared runtime's."""
    files = [f"{service}/src/main/resources/application.properties",
             "service-runtime/src/main/resources/META-INF/microprofile-config.properties"]
    names = set()
    for f in files:
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", open(f).read()))
    # read by code rather than through a ${...} reference
    names |= {"DATABASE_URL"}
    # the runbook's web/worker split: web processes get MVP_WORKER_ENABLED=false, and billing
    # and jobs, which have no queue worker of their own, accept it as the runbook's marker
    names |= {"MVP_WORKER_ENABLED"}
    if service == "auth-service":
        names |= {"AUTH_JWT_PRIVATE_KEY", "AUTH_JWT_PREVIOUS_PUBLIC_KEYS"}
    return names

for service, port in sorted(ports.items()):
    spec = compose.get(service)
    if spec is None:
        problems.append(f"{service} runs in bin/stack but not in compose")
        continue
    if [str(p) for p in spec.get("expose", [])] != [port]:
        problems.append(f"{service}: exposes {spec.get('expose')}, bin/stack uses port {port}")
    env = spec.get("environment", {})
    unknown = sorted(set(env) - reads(service))
    if unknown:
        problems.append(f"{service}: sets variables it never reads: {', '.join(unknown)}")
    if service in ("worker-service", "billing-service", "jobs-service"):
        expected = "true" if service == "worker-service" else "false"
        if str(env.get("MVP_WORKER_ENABLED")).lower() != expected:
            problems.append(f"{service}: MVP_WORKER_ENABLED should be {expected}")
    if not env.get("DATABASE_URL", "").startswith(f"postgresql://metered_{service[:-len('-service')]}:"):
        problems.append(f"{service}: DATABASE_URL does not use its own role")
for extra in sorted(set(compose) - set(ports) - {"postgres", "gateway", "stripe-standin"}):
    problems.append(f"compose runs {extra}, which bin/stack does not know")

for problem in problems:
    print("compose check: " + problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"compose check: {len(ports)} services on bin/stack's ports, variables all read, worker split as in the runbook")
PY
