#!/usr/bin/env python3
"""Posts one Stripe event, signed the way Stripe signs (Stripe-Signature: t=...,v1=HMAC-SHA256
of "t.payload" with the endpoint secret), to the webhook behind a gateway. Prints the HTTP status.

usage: stripe-event.py BASE_URL SECRET EVENT_ID TYPE OBJECT_JSON
"""
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request

base, secret, event_id, event_type, obj = sys.argv[1:6]
payload = json.dumps({"id": event_id, "object": "event", "type": event_type, "api_version": "2025-01-27",
                      "created": int(time.time()), "data": {"object": json.loads(obj)}}).encode()
timestamp = str(int(time.time()))
signature = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()
request = urllib.request.Request(base + "/api/billing/webhook", data=payload, method="POST", headers={
    "Content-Type": "application/json", "Stripe-Signature": f"t={timestamp},v1={signature}"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        print(response.status)
except urllib.error.HTTPError as error:
    print(error.code)
