#!/usr/bin/env bash
# ops-service on the real stack, through the gateway, as an operator and the paging monitor see it:
#   healthy -> the monitor posts nothing; the admin token works nowhere but /api/ops, and a
#   user's token not there; a Stripe refund that arrives before its payment fails -> the monitor
#   pages webhook_failed_last_hour -> in the dashboard (real Chromium) the operator reprocesses
#   it -> processed once, the credits clawed back; a dead job is requeued once, with a new hold;
#   an adjustment is made once; the worker stopped -> the monitor pages worker_heartbeat_stale.
# Needs a running local stack (bin/stack up) with the Stripe stand-in's webhook secret.
# Usage: tests/stack/ops.sh [GATEWAY_URL]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="${1:-http://localhost:${GATEWAY_PORT:-8080}}"
export METERED_BASE_URL="$base"

fail() { echo "ops: FAIL $*" >&2; exit 1; }
say() { echo "ops: $*"; }
secret() { sed -n "s/^$1=//p" "$root/.run/secrets.env" | tail -n1; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }
export ADMIN_TOKEN="${ADMIN_TOKEN:-$(secret ADMIN_TOKEN)}"
webhook_secret="${STRIPE_WEBHOOK_SECRET:-$(secret STRIPE_WEBHOOK_SECRET)}"
[ -n "$ADMIN_TOKEN" ] && [ -n "$webhook_secret" ] || fail "ADMIN_TOKEN and STRIPE_WEBHOOK_SECRET are needed (.run/secrets.env)"
admin=(-H "X-Admin-Token: $ADMIN_TOKEN" -H "X-Admin-Actor: ops-e2e")
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# wait for a fresh heartbeat (the stack may have just restarted the worker)
for _ in $(seq 60); do [ "$(status_of "$base/api/ready")" = 200 ] && break; sleep 1; done
[ "$(status_of "$base/api/ready")" = 200 ] || fail "/api/ready: $(curl -s "$base/api/ready")"
# bin/test gives its stack a fresh database; a long-lived one may carry the last hour's failures
firing=$(curl -s "${admin[@]}" "$base/api/ops/alerts" | field firing)
if [ "$firing" = "[]" ]; then
  "$root/bin/test-monitor" healthy
else
  say "skipping the healthy-monitor check: this database already has firing alerts: $firing"
fi

email="ops-$(date +%s)-$RANDOM@example.com"
curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"ops e2e password\"}" \
  "$base/api/auth/register" || fail "register"
user_token=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"ops e2e password\"}" \
  "$base/api/auth/login" | field access_token)
user_id=$(curl -sf -H "Authorization: Bearer $user_token" "$base/api/auth/me" | field user_id)

# the admin token is refused outside ops, a user's token inside it
for path in /api/billing/balance /api/jobs /api/auth/me; do
  [ "$(status_of -H "Authorization: Bearer $ADMIN_TOKEN" "$base$path")" = 401 ] || fail "the admin token was accepted by $path"
done
[ "$(status_of -H "Authorization: Bearer $user_token" "$base/api/ops/metrics")" = 401 ] || fail "a user's token was accepted by /api/ops"

# credits for the job below, made once whatever the retries
key="ops-e2e-$RANDOM$RANDOM"
body="{\"user_id\":\"$user_id\",\"amount\":4,\"reason\":\"e2e goodwill\",\"idempotency_key\":\"$key\"}"
[ "$(status_of "${admin[@]}" -H 'Content-Type: application/json' -d "$body" "$base/api/ops/credits/adjust")" = 201 ] || fail "adjust"
[ "$(status_of "${admin[@]}" -H 'Content-Type: application/json' -d "$body" "$base/api/ops/credits/adjust")" = 200 ] || fail "adjust replay"
[ "$(status_of "${admin[@]}" -H 'Content-Type: application/json' -d '{"amount":1}' "$base/api/ops/credits/adjust")" = 400 ] \
  || fail "an adjustment without a reason must be 400"

# A dead letter to requeue: a job whose provider always fails dies after its retries (~15 s).
dead_job=$(curl -sf -H "Authorization: Bearer $user_token" -H 'Content-Type: application/json' -H "Idempotency-Key: ops-dead-$RANDOM" \
  -d '{"type":"echo","input":{"simulate":{"fail_always":true}}}' "$base/api/jobs" | field job_id) || fail "submit a job"

# A refund whose payment is not applied yet fails (Stripe would retry it); then the payment arrives.
payment_intent="pi_ops_$RANDOM$RANDOM"
refund_event="evt_ops_refund_$RANDOM$RANDOM"
code=$(python3 "$root/tests/stack/stripe-event.py" "$base" "$webhook_secret" "$refund_event" charge.refunded \
  "{\"id\":\"ch_ops_$RANDOM\",\"object\":\"charge\",\"payment_intent\":\"$payment_intent\",\"amount\":300,\"amount_refunded\":300}")
[ "$code" = 500 ] || fail "the early refund should fail and be kept as failed: $code"
code=$(python3 "$root/tests/stack/stripe-event.py" "$base" "$webhook_secret" "evt_ops_paid_$RANDOM$RANDOM" checkout.session.completed \
  "{\"id\":\"cs_ops_$RANDOM$RANDOM\",\"object\":\"checkout.session\",\"payment_status\":\"paid\",\"payment_intent\":\"$payment_intent\",\"amount_total\":300,\"currency\":\"usd\",\"metadata\":{\"user_id\":\"$user_id\",\"credits\":\"3\"}}")
[ "$code" = 200 ] || fail "the payment event: $code"
"$root/bin/test-monitor" expect-alert webhook_failed_last_hour

SEEDED_FAILED_EVENT_ID="$refund_event" SCREENSHOT_PATH="$root/.run/ops-dashboard.png" "$root/bin/test-dashboard"
[ "$(curl -s "${admin[@]}" "$base/api/ops/webhook-events/$refund_event" | field status)" = processed ] || fail "the refund is not processed"
[ "$(status_of -X POST "${admin[@]}" "$base/api/ops/webhook-events/$refund_event/reprocess")" = 409 ] \
  || fail "a processed event must not be reprocessed"
credits=$(curl -s "${admin[@]}" "$base/api/ops/users/$user_id/credits")
[ "$(field balance <<<"$credits")" = "$(field ledger_sum <<<"$credits")" ] || fail "balance differs from its ledger: $credits"
say "refund reprocessed from the dashboard: applied once, balance = SUM(amount) = $(field balance <<<"$credits")"

letter=""
for _ in $(seq 60); do
  letter=$(curl -s "${admin[@]}" "$base/api/ops/dead-letters?limit=200" | python3 -c 'import json,sys
items=[i for i in json.load(sys.stdin)["items"] if i["job_id"]==sys.argv[1] and not i["requeued_at"]]
print(items[0]["id"] if items else "")' "$dead_job")
  [ -n "$letter" ] && break
  sleep 1
done
[ -n "$letter" ] || fail "job $dead_job did not reach the dead letters"
[ "$(status_of -X POST "${admin[@]}" "$base/api/ops/dead-letters/$letter/requeue")" = 200 ] || fail "requeue"
[ "$(status_of -X POST "${admin[@]}" "$base/api/ops/dead-letters/$letter/requeue")" = 409 ] || fail "a second requeue"
say "dead letter $letter requeued once"
[ "$(curl -s "${admin[@]}" "$base/api/ops/metrics" | field ledger_drift)" = 0 ] || fail "ledger drift"

"$root/bin/stack" stop worker-service >/dev/null
trap 'METERED_SKIP_BUILD=1 "$root/bin/stack" up >/dev/null' EXIT
"$root/bin/test-monitor" expect-alert worker_heartbeat_stale
"$root/bin/test-monitor" unreachable
"$root/bin/test-monitor" wrong-token
say "OK monitor: healthy, webhook failure and stopped worker paged; dashboard reprocess; requeue; adjust"
