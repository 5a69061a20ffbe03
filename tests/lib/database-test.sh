# shellcheck shell=bash disable=SC2034,SC2154  # sourced: the caller sets test_name and root, and uses stamp
# Shared by the shell tests that need Metered databases of their own (tests/backup/run.sh,
# tests/invariants/run.sh). Source it after setting test_name and root; it sets up the work
# directory and the exit trap (kills $pids, drops the databases in $created, prints PASS/FAIL).
#
# Environment: METERED_TEST_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres), a
# superuser URL of the server; METERED_DB_PASSWORD (else .run/secrets.env), the metered_* roles'
# password when the server checks passwords (bin/db-bootstrap sets it, cluster-wide, when given).

services=(auth billing jobs worker ops)
server="${METERED_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
server="${server%/*}"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

say() { echo "$test_name: $*"; }

started="$SECONDS"
stamp="$(date -u +%Y%m%d%H%M%S)_$$"
work="$(mktemp -d "${TMPDIR:-/tmp}/$test_name.XXXXXX")"
created=()          # databases this test created, dropped at the end
pids=()             # background processes (services migrating, writers), stopped at the end
checks=0

psql_at() { # psql_at DATABASE [psql arguments]
  local db="$1"
  shift
  psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$server/$db" "$@"
}

finish() {
  local status=$? db pid
  trap - EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done   # a JVM shuts down in a second or two
  for db in "${created[@]}"; do
    psql_at postgres -v db="$db" <<< 'DROP DATABASE IF EXISTS :"db" WITH (FORCE);' ||
      { echo "$test_name: could not drop $db" >&2; status=1; }
  done
  rm -rf "$work"
  if [ "$status" = 0 ]; then
    echo "$test_name: PASS ($checks checks, $((SECONDS - started))s)"
  else
    echo "$test_name: FAIL (after $checks passed checks, $((SECONDS - started))s)" >&2
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { checks=$((checks + 1)); echo "  ok   $*"; }
fail() {
  echo "  FAIL $1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/       | /' "$2" | tail -n 60 >&2; fi
  exit 1
}

# expect STATUS NAME COMMAND...: runs COMMAND, its output in $work/NAME.log; STATUS is an exit
# code or "fail" (any non-zero one).
expect() {
  local want="$1" name="$2" got=0
  shift 2
  "$@" > "$work/$name.log" 2>&1 < /dev/null || got=$?
  if [ "$want" = fail ] && [ "$got" != 0 ]; then return 0; fi
  [ "$got" = "$want" ] || fail "$name: exit $got, expected $want: $*" "$work/$name.log"
}

log_has() { # log_has NAME REGEX WHAT
  grep -Eq -e "$2" "$work/$1.log" || fail "$1: $3 (no line matches /$2/)" "$work/$1.log"
}

# new_migrated_database DB [APPS_DIR]: creates DB, bootstraps it (bin/db-bootstrap) and applies
# the five services' own Flyway migrations by running their jars (QUARKUS_INIT_AND_EXIT), in
# parallel. The jars come from APPS_DIR/<service>-service/quarkus-app/ when given, else from
# */target/quarkus-app/, copied first: another build may replace target/ while they run.
new_migrated_database() {
  local db="$1" apps_source="${2:-}" apps="$work/apps" service app password host_port jwt_key i schema
  command -v java >/dev/null || fail "java is missing: install a JDK 17"
  for service in "${services[@]}"; do
    app="$root/$service-service/target/quarkus-app"
    [ -n "$apps_source" ] && app="$apps_source/$service-service/quarkus-app"
    [ -f "$app/quarkus-run.jar" ] || fail "$app/quarkus-run.jar is missing: build the services first (./mvnw -B -DskipTests package)"
    if [ ! -d "$apps/$service-service/quarkus-app" ]; then
      mkdir -p "$apps/$service-service"
      cp -R "$app" "$apps/$service-service/quarkus-app"
    fi
  done
  created+=("$db")
  # METERED_DB_PASSWORD as the caller has it (else .run/secrets.env, else none): bin/db-bootstrap
  # sets it on the cluster-wide roles, so a made-up one would lock out a running stack.
  expect 0 bootstrap env METERED_ADMIN_DATABASE_URL="$server/$db" "$root/bin/db-bootstrap"
  password="${METERED_DB_PASSWORD:-}"
  if [ -z "$password" ] && [ -r "$root/.run/secrets.env" ]; then
    password="$(sed -n 's/^METERED_DB_PASSWORD=//p' "$root/.run/secrets.env" | tail -n1)"
  fi
  password="${password:-unused-under-trust}"
  host_port="${server#*://}"
  host_port="${host_port##*@}"
  host_port="${host_port%%\?*}"
  jwt_key="$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)"
  pids=()
  for service in "${services[@]}"; do
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
      QUARKUS_INIT_AND_EXIT=true METERED_MIGRATE_AT_START=true \
      DATABASE_URL="postgresql://metered_$service:$password@$host_port/$db" \
      AUTH_JWT_PRIVATE_KEY="$jwt_key" STRIPE_SECRET_KEY=sk_test_x STRIPE_WEBHOOK_SECRET=whsec_x \
      ADMIN_TOKEN="$test_name-admin-token-0123456789" \
      java -Xmx192m -jar "$apps/$service-service/quarkus-app/quarkus-run.jar" > "$work/migrate-$service.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!services[@]}"; do
    wait "${pids[$i]}" || fail "${services[$i]}-service did not migrate $db" "$work/migrate-${services[$i]}.log"
  done
  pids=()
  for schema in "${services[@]}"; do
    [ "$(psql_at "$db" -c "SELECT count(*) FROM $schema.flyway_schema_history WHERE success")" -gt 0 ] ||
      fail "$schema has no Flyway history after its migration"
  done
  ok "five services migrated $db with their own Flyway migrations"
}
