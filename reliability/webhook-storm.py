#!/usr/bin/env python3
"""The storm of reliability/webhook-storm.sh: creates real Checkout Sessions for the storm's users,
then posts signed Stripe events (signed as Stripe signs them, like tests/stack/stripe-event.py) to
POST /api/billing/webhook through the gateway from many threads at once, and judges every answer.

What it sends (the event ids all start with evt_storm_<run>_, so the database check can find
strays):
  paid          checkout.session.completed (paid) of a real session, 2-3 copies
  paid_twice    the same plus checkout.session.async_payment_succeeded for the session (another
                event id): the session still tops up once
  refund_after  a paid session and a charge.refunded (full or partial), sent only once the
                payment was acknowledged; refund_twice: two refunds of the charge (cumulative
                amount_refunded) racing; dispute_after: a charge.dispute.created instead
  refund_before a charge.refunded whose every copy is answered before its payment is sent:
                it must fail (500 problem+json, stored failed, attempts = copies); the payment
                then tops up normally
  delayed_fail  checkout.session.completed unpaid + async_payment_failed: no credits
  forged        a real session whose only paid event has a bad signature: never credited
  unknown_*     sessions or payment intents billing never saw (no metadata, a client_reference_id
                only, malformed metadata, unpaid, async_payment_failed, refunds and disputes);
                unknown_ghost: signed metadata naming a user id that auth does not know
  ignored       event types billing does not handle, 1-2 copies
  bad_signature wrong secret, tampered body, stale or future timestamp, missing or garbage
                header, v0 only: 400 problem+json, nothing stored
  malformed     correctly signed bodies that are not Stripe events: 400, nothing stored
Copies and events are shuffled together; some copies are sent back to back so that they race.

It writes, into --out: events.tsv (event_id, category, type, expected status, copies, session),
sessions.tsv (session, user, credits, category, credited, clawback, expected status, paid event ids,
refund event ids), users.tsv (user, kind, expected balance change) and summary.json, and prints
the problems it saw in the answers (exit 1 when there are any).

usage: webhook-storm.py --gateway URL --users FILE --out DIR --database-url URL
                        [--events N] [--concurrency N] [--seed N] [--deadline SECONDS]
The webhook secret comes from STRIPE_WEBHOOK_SECRET.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

WEIGHTS = [("paid", 36), ("paid_twice", 7), ("refund_after", 13), ("refund_twice", 5), ("dispute_after", 4),
           ("refund_before", 9), ("delayed_fail", 4), ("forged", 2), ("unknown", 9), ("ignored", 8),
           ("bad_signature", 2), ("malformed", 1)]
UNKNOWN_VARIANTS = ["no_metadata", "client_reference_only", "bad_user_id", "zero_credits", "unpaid",
                    "async_failed", "refund", "dispute", "ghost"]
BAD_SIGNATURES = ["wrong_secret", "tampered", "stale", "future", "missing", "garbage", "v0_only"]
MALFORMED = ["no_data_object", "numeric_id", "long_id", "not_json", "array"]
IGNORED_TYPES = ["customer.created", "invoice.paid", "payment_intent.succeeded", "charge.succeeded",
                 "checkout.session.expired", "product.updated", "customer.subscription.updated"]


def sign(secret, payload, timestamp):
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()


def post(url, body, headers, timeout):
    """(status, content_type, parsed JSON or None); status 0 when no answer came."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, ctype, raw = response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        status, ctype, raw = error.code, error.headers.get("Content-Type", ""), error.read()
    except Exception as error:  # timeout, refused, reset: no answer
        return 0, "", {"error": repr(error)}
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    return status, ctype or "", parsed


class Event:
    """One event id (or one rejected body) and how it must end."""

    def __init__(self, event_id, category, type_, obj, expect, copies, session="-"):
        self.id, self.category, self.type, self.expect, self.copies = event_id, category, type_, expect, copies
        self.session = session
        self.payload = json.dumps({"id": event_id, "object": "event", "api_version": "2025-01-27",
                                   "created": int(time.time()), "livemode": False, "type": type_,
                                   "data": {"object": obj}}).encode() if obj is not None else None
        self.signature = "good"   # or one of BAD_SIGNATURES
        self.raw = None            # a malformed body, signed as it is
        self.answers = []          # (status, result or problem type, content_type)
        self.gate = None           # sent only once this gate is open
        self.opens = None          # its acknowledgement opens this gate
        self.burst = False         # copies sent back to back


class Storm:
    def __init__(self, args, users):
        self.args, self.users = args, users
        self.secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
        if not self.secret:
            sys.exit("webhook-storm.py: STRIPE_WEBHOOK_SECRET is not set")
        self.random = random.Random(args.seed)
        self.run = "%x%04x" % (int(time.time()), self.random.randrange(0x10000))
        self.serial = 0
        self.events, self.sessions, self.ghosts, self.problems = [], [], {}, []

    def next_id(self, prefix):
        self.serial += 1
        return "%s_storm_%s_%05d" % (prefix, self.run, self.serial)

    def problem(self, text):
        self.problems.append(text)

    # ---- the plan -----------------------------------------------------------------------------
    def plan(self):
        """Units of the categories (one of each first, then by weight) until --events deliveries."""
        budget, units = self.args.events, []
        sends = {"paid": 2.5, "paid_twice": 4.5, "refund_after": 4.5, "refund_twice": 6.5, "dispute_after": 4.5,
                 "refund_before": 4.5, "delayed_fail": 4, "forged": 1, "unknown": 2, "ignored": 1.5,
                 "bad_signature": 1, "malformed": 1}
        for variant in BAD_SIGNATURES:
            units.append(("bad_signature", variant))
        for variant in MALFORMED:
            units.append(("malformed", variant))
        for variant in UNKNOWN_VARIANTS:
            units.append(("unknown", variant))
        for category, _ in WEIGHTS:
            if category not in ("bad_signature", "malformed", "unknown"):
                units.append((category, None))
        used = sum(sends[c] for c, _ in units)
        names, weights = [c for c, _ in WEIGHTS], [w for _, w in WEIGHTS]
        while used < budget - 12:
            category = self.random.choices(names, weights)[0]
            variant = {"bad_signature": lambda: self.random.choice(BAD_SIGNATURES),
                       "malformed": lambda: self.random.choice(MALFORMED),
                       "unknown": lambda: self.random.choice(UNKNOWN_VARIANTS)}.get(category, lambda: None)()
            units.append((category, variant))
            used += sends[category]
        return units

    def session_needed(self, category):
        return category not in ("unknown", "ignored", "bad_signature", "malformed")

    # ---- Checkout Sessions, as their users create them ---------------------------------------------
    def create_sessions(self, count):
        results, lock = [None] * count, threading.Lock()
        work = list(range(count))
        amounts = [self.random.randint(1, 60) for _ in range(count)]  # drawn here: the seed decides them

        def worker():
            while True:
                with lock:
                    if not work:
                        return
                    n = work.pop()
                user = self.users[n % len(self.users)]
                credits = amounts[n]
                key = "storm-%s-%d" % (self.run, n)
                body = json.dumps({"credits": credits}).encode()
                headers = {"Content-Type": "application/json", "Authorization": "Bearer " + user["token"],
                           "Idempotency-Key": key}
                status, _, answer = post(self.args.gateway + "/api/billing/checkout-session", body, headers, 20)
                if status != 201 or not isinstance(answer, dict) or not answer.get("session_id"):
                    self.problem("checkout-session for user %s: %s %s" % (user["user_id"], status, answer))
                    continue
                if n % 10 == 0:  # the same request again: the same session, no second Stripe call
                    again = post(self.args.gateway + "/api/billing/checkout-session", body, headers, 20)
                    if again[0] != 201 or (again[2] or {}).get("session_id") != answer["session_id"]:
                        self.problem("checkout-session repeat with key %s: %s %s, first %s" %
                                     (key, again[0], again[2], answer["session_id"]))
                results[n] = {"session": answer["session_id"], "user_id": user["user_id"], "credits": credits}

        threads = [threading.Thread(target=worker) for _ in range(min(8, count))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        created = [r for r in results if r]
        if len(created) != count:
            return None
        # billing's own record of them: the amount the events carry is the one it charged
        ids = ",".join("'%s'" % r["session"] for r in created)
        rows = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d",
                               self.args.database_url, "-c",
                               "SELECT stripe_session_id, user_id, credits, amount_cents, status FROM "
                               "billing.checkout_sessions WHERE stripe_session_id IN (%s)" % ids],
                              capture_output=True, text=True, timeout=30, check=True).stdout.split("\n")
        known = {}
        for row in filter(None, rows):
            sid, user_id, credits, amount, status = row.split("\t")
            known[sid] = (user_id, int(credits), int(amount), status)
        for r in created:
            k = known.get(r["session"])
            if k is None or k[0] != r["user_id"] or k[1] != r["credits"] or k[3] != "open":
                self.problem("billing does not know session %s as created: %s" % (r["session"], k))
                return None
            r["amount"] = k[2]
        return created

    # ---- events -------------------------------------------------------------------------------
    def session_object(self, s, payment_status="paid", pi=None, metadata=None, reference=True):
        obj = {"id": s["session"], "object": "checkout.session", "amount_subtotal": s["amount"],
               "amount_total": s["amount"], "currency": "usd", "mode": "payment",
               "metadata": metadata if metadata is not None else
               {"user_id": s["user_id"], "credits": str(s["credits"])},
               "payment_intent": pi, "payment_status": payment_status,
               "status": "complete" if payment_status == "paid" else "open"}
        if reference:
            obj["client_reference_id"] = s["user_id"]
        return obj

    def charge_object(self, s, refunded):
        return {"id": s["charge"], "object": "charge", "amount": s["amount"], "amount_captured": s["amount"],
                "amount_refunded": refunded, "currency": "usd", "payment_intent": s["pi"], "paid": True,
                "refunded": refunded == s["amount"], "status": "succeeded",
                "metadata": {"user_id": s["user_id"], "credits": str(s["credits"])}}

    def add(self, event):
        self.events.append(event)
        return event

    @staticmethod
    def share(credits, refunded, paid):
        """billing's clawback target: the refunded share of the credits, rounded up."""
        return min(credits, -(-credits * min(refunded, paid) // paid))

    def build(self, units, sessions):
        pool = iter(sessions)
        for category, variant in units:
            s = next(pool) if self.session_needed(category) else None
            if s is not None:
                s.update(category=category, credited=True, clawback=0, status="completed", paid_events=[],
                         refund_events=[], pi=self.next_id("pi"), charge=self.next_id("ch"))
                self.sessions.append(s)
                sid = s["session"]
            copies = lambda: self.random.randint(2, 3)  # noqa: E731
            if category in ("paid", "paid_twice", "refund_after", "refund_twice", "dispute_after", "refund_before"):
                paid = self.add(Event(self.next_id("evt"), category, "checkout.session.completed",
                                      self.session_object(s, pi=s["pi"]), "processed", copies(), sid))
                paid.opens = "paid:" + sid
                s["paid_events"].append(paid.id)
                if category == "paid_twice":
                    other = self.add(Event(self.next_id("evt"), category, "checkout.session.async_payment_succeeded",
                                           self.session_object(s, pi=s["pi"]), "processed", 2, sid))
                    other.opens = "paid:" + sid
                    s["paid_events"].append(other.id)
                if category in ("refund_after", "refund_twice"):
                    amounts = sorted({self.random.choice([s["amount"], self.random.randint(1, s["amount"])])
                                      for _ in range(2 if category == "refund_twice" else 1)})
                    if category == "refund_twice" and len(amounts) == 1:
                        amounts = [max(1, amounts[0] // 2), s["amount"]] if amounts[0] > 1 else [1, 1]
                    for refunded in amounts:
                        refund = self.add(Event(self.next_id("evt"), category, "charge.refunded",
                                                self.charge_object(s, refunded), "processed", 2, sid))
                        refund.gate = "paid:" + sid
                        s["refund_events"].append(refund.id)
                        s["clawback"] = max(s["clawback"], self.share(s["credits"], refunded, s["amount"]))
                if category == "dispute_after":
                    disputed = self.random.choice([s["amount"], self.random.randint(1, s["amount"])])
                    dispute = self.add(Event(self.next_id("evt"), category, "charge.dispute.created", {
                        "id": self.next_id("dp"), "object": "dispute", "amount": disputed, "charge": s["charge"],
                        "currency": "usd", "payment_intent": s["pi"], "reason": "fraudulent",
                        "status": "needs_response"}, "processed", 2, sid))
                    dispute.gate = "paid:" + sid
                    s["refund_events"].append(dispute.id)
                    s["clawback"] = self.share(s["credits"], disputed, s["amount"])
                if category == "refund_before":
                    early = self.add(Event(self.next_id("evt"), category, "charge.refunded",
                                           self.charge_object(s, s["amount"]), "failed", 2, sid))
                    early.opens = "early:" + sid
                    paid.gate = "early:" + sid
            elif category == "delayed_fail":
                s.update(credited=False, status="payment_failed")
                self.add(Event(self.next_id("evt"), category, "checkout.session.completed",
                               self.session_object(s, payment_status="unpaid", pi=s["pi"]), "processed", 2, sid))
                self.add(Event(self.next_id("evt"), category, "checkout.session.async_payment_failed",
                               self.session_object(s, payment_status="unpaid", pi=s["pi"]), "processed", 2, sid))
            elif category == "forged":
                s.update(credited=False, status="open")
                forged = self.add(Event(self.next_id("evt"), category, "checkout.session.completed",
                                        self.session_object(s, pi=s["pi"]), "absent", 1, sid))
                forged.signature = "wrong_secret"
            elif category == "unknown":
                self.unknown(variant)
            elif category == "ignored":
                self.add(Event(self.next_id("evt"), category, self.random.choice(IGNORED_TYPES),
                               {"id": self.next_id("obj"), "object": "unknown"}, "ignored", self.random.randint(1, 2)))
            elif category == "bad_signature":
                # a paid event of an unknown session whose signed metadata names a real user: were it
                # accepted, that user would be credited, and the balance check would see it
                user = self.random.choice(self.users)
                bad = self.add(Event(self.next_id("evt"), "bad_signature", "checkout.session.completed", {
                    "id": self.next_id("cs"), "object": "checkout.session", "payment_status": "paid",
                    "amount_total": 900, "currency": "usd", "payment_intent": self.next_id("pi"),
                    "metadata": {"user_id": user["user_id"], "credits": "9"}}, "absent", 1))
                bad.signature = variant
            elif category == "malformed":
                eid = self.next_id("evt")
                body = {"no_data_object": {"id": eid, "object": "event", "type": "checkout.session.completed",
                                           "data": {}},
                        "numeric_id": {"id": 10 ** 15 + self.serial, "object": "event", "type": "charge.refunded",
                                       "data": {"object": {"id": eid}}},
                        "long_id": {"id": eid + "_" + "x" * 260, "object": "event", "type": "invoice.paid",
                                    "data": {"object": {"id": eid}}},
                        "array": [{"id": eid, "type": "invoice.paid", "data": {"object": {}}}]}.get(variant)
                bad = self.add(Event(eid, "malformed", "-", None, "absent", 1))
                bad.raw = (json.dumps(body) if body is not None else "id=%s&type=not-json" % eid).encode()
                bad.type = variant
        # exactly --events deliveries: the rest are ignored types, sent once or twice
        total = sum(e.copies for e in self.events)
        while total < self.args.events:
            copies = min(self.random.randint(1, 2), self.args.events - total)
            self.add(Event(self.next_id("evt"), "ignored", self.random.choice(IGNORED_TYPES),
                           {"id": self.next_id("obj"), "object": "unknown"}, "ignored", copies))
            total += copies
        for event in self.events:
            if total > self.args.events and event.category == "paid" and event.copies == 3:
                event.copies, total = 2, total - 1
        for event in self.events:  # a quarter of the multi-copy events race their copies back to back
            event.burst = event.copies > 1 and self.random.random() < 0.25

    def unknown(self, variant):
        real = self.random.choice(self.users)
        sid, pi = self.next_id("cs"), self.next_id("pi")
        base = {"id": sid, "object": "checkout.session", "amount_total": 1200, "currency": "usd",
                "payment_intent": pi, "payment_status": "paid", "status": "complete", "mode": "payment"}
        if variant == "no_metadata":
            obj, type_, expect = dict(base, metadata={}), "checkout.session.completed", "ignored"
        elif variant == "client_reference_only":  # billing trusts signed metadata only, not client_reference_id
            obj, type_, expect = dict(base, client_reference_id=real["user_id"]), "checkout.session.completed", "ignored"
        elif variant == "bad_user_id":
            obj = dict(base, metadata={"user_id": "user-" + real["user_id"][:8], "credits": "12"})
            type_, expect = "checkout.session.completed", "ignored"
        elif variant == "zero_credits":
            obj = dict(base, metadata={"user_id": real["user_id"], "credits": self.random.choice(["0", "-12", "twelve"])})
            type_, expect = "checkout.session.completed", "ignored"
        elif variant == "unpaid":
            obj, type_, expect = dict(base, payment_status="unpaid", metadata={}), "checkout.session.completed", "ignored"
        elif variant == "async_failed":
            obj = dict(base, payment_status="unpaid", metadata={})
            type_, expect = "checkout.session.async_payment_failed", "ignored"
        elif variant == "refund":
            obj = {"id": self.next_id("ch"), "object": "charge", "amount": 1200, "amount_refunded": 1200,
                   "currency": "usd", "payment_intent": pi, "metadata": {"user_id": real["user_id"], "credits": "12"}}
            type_, expect = "charge.refunded", "failed"
        elif variant == "dispute":
            obj = {"id": self.next_id("dp"), "object": "dispute", "amount": 1200, "charge": self.next_id("ch"),
                   "currency": "usd", "payment_intent": pi, "reason": "fraudulent"}
            type_, expect = "charge.dispute.created", "failed"
        else:  # ghost: signed metadata naming a user id that auth-service never issued
            ghost, credits = str(uuid.UUID(int=self.random.getrandbits(128), version=4)), self.random.randint(1, 9)
            obj = dict(base, amount_total=credits * 100, metadata={"user_id": ghost, "credits": str(credits)})
            type_, expect = "checkout.session.completed", "processed"
            self.ghosts[ghost] = credits
        self.add(Event(self.next_id("evt"), "unknown_" + variant, type_, obj, expect, 2,
                       sid if variant == "ghost" else "-"))

    # ---- the storm ----------------------------------------------------------------------------
    def delivery(self, event):
        """The body and headers of one delivery, signed now (as Stripe signs each retry anew)."""
        now = int(time.time())
        body = event.raw if event.raw is not None else event.payload
        timestamp, secret, scheme = now, self.secret, "v1"
        kind = event.signature
        if kind == "wrong_secret":
            secret = "whsec_" + hashlib.sha256(self.secret.encode()).hexdigest()[:32]
        elif kind == "stale":
            timestamp = now - 900
        elif kind == "future":
            timestamp = now + 900
        elif kind == "v0_only":
            scheme = "v0"
        header = "t=%d,%s=%s" % (timestamp, scheme, sign(secret, body, timestamp))
        if kind == "tampered":  # signed, then the credits raised in transit
            body = body.replace(b'"credits": "9"', b'"credits": "90"')
        elif kind == "garbage":
            header = "t=soon,v1=" + "0" * 64
        headers = {"Content-Type": "application/json", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        if kind != "missing":
            headers["Stripe-Signature"] = header
        return body, headers

    def storm(self, out):
        ready, held, lock = [], {}, threading.Condition()
        state = {"in_flight": 0, "early_left": {}, "open": set(), "max_in_flight": 0}
        intervals = {}

        def place(event, into):
            if event.burst:
                into.append([event] * event.copies)
            else:
                into.extend([event] for _ in range(event.copies))

        groups = []
        for event in self.events:
            if event.opens and event.opens.startswith("early:"):
                state["early_left"][event.opens] = event.copies
            if event.gate:
                place(event, held.setdefault(event.gate, []))
            else:
                place(event, groups)
        self.random.shuffle(groups)
        for group in groups:
            ready.extend(group)
        ready.reverse()  # popped from the end
        url = self.args.gateway + "/api/billing/webhook"

        def open_gate(name):
            if name in state["open"]:
                return
            state["open"].add(name)
            for group in held.pop(name, []):
                at = self.random.randint(0, len(ready))
                ready[at:at] = group

        def worker():
            while True:
                with lock:
                    while not ready and state["in_flight"] > 0 and time.monotonic() < deadline:
                        lock.wait(0.5)
                    if not ready or time.monotonic() >= deadline:
                        lock.notify_all()
                        return
                    event = ready.pop()
                    state["in_flight"] += 1
                    state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
                body, headers = self.delivery(event)
                began = time.monotonic()
                status, ctype, answer = post(url, body, headers, self.args.timeout)
                ended = time.monotonic()
                if status == 200 and isinstance(answer, dict):
                    outcome = answer.get("result")
                    if answer.get("event_id") != event.id or answer.get("received") is not True:
                        self.problem("event %s: 200 with a foreign receipt %s" % (event.id, answer))
                elif isinstance(answer, dict):
                    outcome = answer.get("type") or answer.get("error")
                else:
                    outcome = None
                with lock:
                    event.answers.append((status, outcome, ctype.split(";")[0].strip()))
                    intervals.setdefault(event.id, []).append((began, ended))
                    state["in_flight"] -= 1
                    if event.opens and event.opens.startswith("paid:") and status == 200:
                        open_gate(event.opens)
                    if event.opens and event.opens.startswith("early:"):
                        state["early_left"][event.opens] -= 1
                        if state["early_left"][event.opens] == 0:
                            open_gate(event.opens)
                    lock.notify_all()

        # ready: the sessions exist; the caller says go (its jobs are in flight by then), or 60 s pass
        with open(os.path.join(out, "ready"), "w") as marker:
            marker.write("%d\n" % sum(e.copies for e in self.events))
        for _ in range(600):
            if os.path.exists(os.path.join(out, "go")):
                break
            time.sleep(0.1)
        deadline = time.monotonic() + self.args.deadline
        self.began_at = time.time()
        began = time.monotonic()
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(1, deadline - time.monotonic() + self.args.timeout + 5))
        seconds = time.monotonic() - began
        self.ended_at = time.time()
        with open(os.path.join(out, "storm-over"), "w") as marker:
            marker.write("%.3f\n" % self.ended_at)
        if any(thread.is_alive() for thread in threads) or time.monotonic() >= deadline:
            self.problem("the storm did not finish within %d s" % self.args.deadline)
        never = sum(len(g) for groups_ in held.values() for g in groups_) + len(ready)
        if never:
            self.problem("%d deliveries were never sent (their payment was never acknowledged)" % never)
        racing = sum(1 for spans in intervals.values() if len(spans) > 1 and any(
            a[0] < b[1] and b[0] < a[1] for i, a in enumerate(spans) for b in spans[i + 1:]))
        return seconds, racing, state["max_in_flight"]

    # ---- the answers ----------------------------------------------------------------------------
    def judge(self):
        for e in self.events:
            codes = [a[0] for a in e.answers]
            if len(e.answers) != e.copies:
                self.problem("event %s (%s): %d of %d copies answered" % (e.id, e.category, len(e.answers), e.copies))
                continue
            if e.expect in ("processed", "ignored"):
                results = sorted(a[1] for a in e.answers)
                want = sorted([e.expect] + ["already_done"] * (e.copies - 1))
                if codes != [200] * e.copies or results != want:
                    self.problem("event %s (%s, %s): answers %s, expected one %s and the rest already_done" %
                                 (e.id, e.category, e.type, e.answers, e.expect))
            elif e.expect == "failed":
                if any(a != (500, "urn:metered:problem:webhook-failed", "application/problem+json") for a in e.answers):
                    self.problem("event %s (%s): answers %s, expected 500 webhook-failed problem+json" %
                                 (e.id, e.category, e.answers))
            else:
                want = "urn:metered:problem:invalid-signature" if e.category in ("bad_signature", "forged") \
                    else "urn:metered:problem:validation"
                if any(a != (400, want, "application/problem+json") for a in e.answers):
                    self.problem("rejected %s (%s %s): answers %s, expected 400 %s problem+json" %
                                 (e.id, e.category, e.signature if e.raw is None else e.type, e.answers, want))

    def write(self, out, seconds, racing, max_in_flight):
        with open(os.path.join(out, "events.tsv"), "w") as f:
            for e in self.events:
                f.write("\t".join([e.id, e.category, e.type, e.expect, str(e.copies), e.session]) + "\n")
        with open(os.path.join(out, "sessions.tsv"), "w") as f:
            for s in self.sessions:
                f.write("\t".join([s["session"], s["user_id"], str(s["credits"]), s["category"],
                                   "t" if s["credited"] else "f", str(s["clawback"]), s["status"],
                                   ",".join(s["paid_events"]) or "-", ",".join(s["refund_events"]) or "-"]) + "\n")
        deltas = {u["user_id"]: 0 for u in self.users}
        for s in self.sessions:
            deltas[s["user_id"]] += (s["credits"] if s["credited"] else 0) - s["clawback"]
        with open(os.path.join(out, "users.tsv"), "w") as f:
            for user, delta in deltas.items():
                f.write("%s\tstorm\t%d\n" % (user, delta))
            for ghost, credits in self.ghosts.items():
                f.write("%s\tghost\t%d\n" % (ghost, credits))
        stored = [e for e in self.events if e.expect != "absent"]
        summary = {
            "run": self.run, "seed": self.args.seed,
            "sent": sum(len(e.answers) for e in self.events),
            "distinct": len(stored),
            "processed": sum(e.expect == "processed" for e in self.events),
            "failed": sum(e.expect == "failed" for e in self.events),
            "ignored": sum(e.expect == "ignored" for e in self.events),
            "rejected": sum(len(e.answers) for e in self.events if e.expect == "absent"),
            "duplicates": sum(len(e.answers) - 1 for e in stored if e.answers),
            "racing": racing, "max_in_flight": max_in_flight,
            "sessions": len(self.sessions), "storm_seconds": round(seconds, 1),
            "began_at": round(self.began_at, 3), "ended_at": round(self.ended_at, 3),
            "out_of_order": sum(e.expect == "failed" and e.category == "refund_before" for e in self.events),
            "refunds_after": sum(e.category in ("refund_after", "refund_twice", "dispute_after")
                                 and e.type.startswith("charge.") for e in self.events),
            "unknown": sum(e.category.startswith("unknown_") for e in self.events),
        }
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summary, f)
        return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--users", required=True, help="lines of USER_ID TOKEN")
    parser.add_argument("--out", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--deadline", type=int, default=90, help="seconds the storm may take")
    parser.add_argument("--timeout", type=int, default=15, help="seconds one delivery may take")
    args = parser.parse_args()
    if args.events < 60:
        sys.exit("webhook-storm.py: --events must be at least 60 (one of each kind)")
    with open(args.users) as f:
        users = [dict(zip(("user_id", "token"), line.split())) for line in f if line.strip()]
    storm = Storm(args, users)
    units = storm.plan()
    needed = sum(storm.session_needed(c) for c, _ in units)
    began = time.monotonic()
    sessions = storm.create_sessions(needed)
    if sessions is None:
        print("\n".join(storm.problems[:20]), file=sys.stderr)
        sys.exit("webhook-storm.py: the Checkout Sessions could not be created")
    print("%d Checkout Sessions created in %.1f s (seed %d)" % (needed, time.monotonic() - began, args.seed),
          file=sys.stderr, flush=True)
    storm.build(units, sessions)
    seconds, racing, max_in_flight = storm.storm(args.out)
    storm.judge()
    summary = storm.write(args.out, seconds, racing, max_in_flight)
    print(json.dumps(summary))
    if storm.problems:
        for text in storm.problems[:20]:
            print("webhook-storm: " + text, file=sys.stderr)
        if len(storm.problems) > 20:
            print("webhook-storm: ... and %d more" % (len(storm.problems) - 20), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
