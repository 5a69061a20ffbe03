#!/usr/bin/env bash
# Password guessing through the gateway, as an attacker would do it against a running stack:
#   - an unknown account and a wrong password get the same answer (no account enumeration);
#   - 40 wrong passwords for one account at once: at most AUTH_LOGIN_MAX_ATTEMPTS of them are
#     even checked (401), every other one is 429 problem+json with Retry-After (or 503 when the
#     hashing queue is full), and then the right password is refused too, in any letter case;
#   - another account is not locked, and a client-supplied X-Forwarded-For does not escape the
#     account's lock;
#   - the runbook's unlock (docs/RUNBOOK.md, "Login limits") lets the owner in again, and a
#     successful login starts the count afresh.
# Usage: tests/stack/brute-force.sh [GATEWAY_URL]  (AUTH_LOGIN_MAX_ATTEMPTS as the stack has it, 5)
set -euo pipefail
scenario=brute-force
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../reliability/lib.sh"
max_attempts="${AUTH_LOGIN_MAX_ATTEMPTS:-5}"
guesses=40
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# login EMAIL PASSWORD NAME [CURL_ARGS...]: POST /api/auth/login; NAME.headers and NAME.body in
# $work; prints the status
login() {
  local email="$1" password="$2" name="$3"
  shift 3
  curl -sS -m 30 -o "$work/$name.body" -D "$work/$name.headers" -w '%{http_code}' "$@" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "$GATEWAY/api/auth/login"
}
header() { sed -n "s/^$1: *//Ip" "$work/$2.headers" | tr -d '\r' | head -n1; }
problem_type() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("type", ""))' "$work/$1.body"; }
expect_rate_limited() {
  local name="$1"
  [ "$(header Content-Type "$name")" = application/problem+json ] || fail "$name: not problem+json: $(cat "$work/$name.body")"
  [ "$(problem_type "$name")" = urn:metered:problem:rate-limited ] || fail "$name: $(cat "$work/$name.body")"
  [[ "$(header Retry-After "$name")" =~ ^[1-9][0-9]*$ ]] || fail "$name: Retry-After '$(header Retry-After "$name")'"
}
register() {
  curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\"}" \
    "$GATEWAY/api/auth/register" || fail "register $1"
}

stamp="$(date +%s%N)-$RANDOM"
victim="victim-$stamp@brute-force.invalid" bystander="bystander-$stamp@brute-force.invalid"
password="the right password $RANDOM$RANDOM"
register "$victim" "$password"
register "$bystander" "$password"

# no enumeration: the same status and problem for an unknown account and a wrong password
unknown="$(login "nobody-$stamp@brute-force.invalid" "guess" unknown)"
wrong="$(login "$victim" "not the password" wrong)"
[ "$unknown" = 401 ] && [ "$wrong" = 401 ] || fail "unknown account $unknown, wrong password $wrong (both must be 401)"
cmp -s "$work/unknown.body" "$work/wrong.body" ||
  fail "unknown account and wrong password answer differently: $(cat "$work/unknown.body") / $(cat "$work/wrong.body")"

# the storm: all at once, each with its own connection; one wrong attempt was made above
for i in $(seq "$guesses"); do
  { login "$victim" "guess $i" "guess-$i"; echo; } > "$work/guess-$i.status" &
done
wait
statuses="$(cat "$work"/guess-*.status | sort | uniq -c | awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " }')"
checked="$(cat "$work"/guess-*.status | grep -c '^401$' || true)"
[ "$checked" -le $((max_attempts - 1)) ] ||
  fail "$checked of $guesses concurrent guesses were checked ($statuses); the limit is $max_attempts attempts"
for i in $(seq "$guesses"); do
  case "$(cat "$work/guess-$i.status")" in
    401) ;;
    429) expect_rate_limited "guess-$i" ;;
    503) [ "$(problem_type "guess-$i")" = urn:metered:problem:overloaded ] || fail "guess $i: 503 $(cat "$work/guess-$i.body")" ;;
    *) fail "guess $i: $(cat "$work/guess-$i.status") $(cat "$work/guess-$i.body")" ;;
  esac
done

# locked: the right password, in another letter case, or claiming to come from elsewhere
[ "$(login "$victim" "$password" right)" = 429 ] || fail "the right password got in during the lockout"
expect_rate_limited right
upper="$(tr '[:lower:]' '[:upper:]' <<< "$victim")"
[ "$(login "$upper" "$password" upper)" = 429 ] || fail "$upper got in during the lockout"
[ "$(login "$victim" "$password" forwarded -H 'X-Forwarded-For: 203.0.113.7')" = 429 ] ||
  fail "a client-supplied X-Forwarded-For got around the lockout"
[ "$(login "$bystander" "$password" bystander)" = 200 ] || fail "another account is locked too: $(cat "$work/bystander.body")"

# the runbook's unlock, then a fresh count
sql "DELETE FROM auth.login_throttle WHERE subject = 'account:${victim,,}'" > /dev/null
[ "$(login "$victim" "$password" unlocked)" = 200 ] || fail "after the operator's unlock: $(cat "$work/unlocked.body")"
[ "$(login "$victim" "one more guess" after)" = 401 ] || fail "after a successful login, one wrong guess: $(cat "$work/after.body")"

echo "brute-force: OK $guesses concurrent guesses: $statuses (at most $max_attempts attempts checked);" \
  "locked in any letter case and past X-Forwarded-For, other accounts unaffected, unlocked by the runbook's SQL"
