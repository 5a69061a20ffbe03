#!/usr/bin/env python3
"""A local fake of the part of Replicate's predictions API that worker-service's
ReplicateProvider calls, for reliability/provider-faults.sh; nothing here reaches the internet.

    POST /v1/predictions               {"version": "<owner>/<model>[:<version>]", "input": {...}}
                                       201 a prediction (id, status, urls...)
    GET  /v1/predictions/{id}          200 the prediction; 404 unknown id
    POST /v1/predictions/{id}/cancel   200 the prediction, canceled (the worker never calls it today)

Every /v1 call needs "Authorization: Bearer <--token>" (401 otherwise, as Replicate answers).
The behaviour is chosen by the model name in "version" (the part after the last "/", before ":"):

    ok        201 "starting", then "succeeded" at the first GET
    slow      the POST answers after --slow-answer-ms, the prediction succeeds --slow-run-ms after it
              was created (both shorter than the worker's timeouts)
    hang      the POST is read and never answered; the connection is held until the client closes it
    stuck     201 "starting", then "processing" for ever
    error500  every POST answers 500
    flaky     the first --flaky-failures POSTs of one input (same "key") answer 500, then as ok
    reject    every POST answers 422 (Replicate's answer to an invalid input)
    failed    201 "starting", then "failed" with an error at the first GET
    (other)   422 "invalid version", as Replicate answers for an unknown model

Not API: GET /_fake/health (200 "ok") and GET /_fake/stats: every request it saw, per model and
per input key, with times (epoch seconds) and answers, and every held connection's duration:

    {"requests": [{"model", "key", "method", "path", "status", "at", "prediction"}],
     "hangs": [{"model", "key", "accepted_at", "closed_at"}], "predictions": {id: prediction}}

Usage: fake-replicate.py --port N [--token T] [--slow-answer-ms 1000] [--slow-run-ms 3000]
       [--flaky-failures 6] [--max-hang-seconds 600] [--verbose]
"""
import argparse
import json
import random
import select
import socket
import string
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
REQUESTS = []
HANGS = []
PREDICTIONS = {}
FLAKY_SEEN = {}
SHUTTING_DOWN = threading.Event()
OPTIONS = None


def iso(at):
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def model_of(version):
    name = str(version or "")
    return name.split(":", 1)[0].rsplit("/", 1)[-1]


def key_of(body_input):
    if isinstance(body_input, dict) and "key" in body_input:
        return str(body_input["key"])
    return json.dumps(body_input, sort_keys=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-replicate/1"

    def log_message(self, fmt, *args):  # noqa: N802 (http.server's name)
        if OPTIONS.verbose:
            sys.stderr.write("fake-replicate: %s %s\n" % (self.address_string(), fmt % args))

    # -- plumbing -------------------------------------------------------------------------------
    def answer(self, status, payload, model="-", key="-", prediction=None):
        body = json.dumps(payload).encode()
        with LOCK:
            REQUESTS.append({"model": model, "key": key, "method": self.command, "path": self.path,
                             "status": status, "at": time.time(), "prediction": prediction})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def problem(self, status, title, detail, model="-", key="-"):
        self.answer(status, {"title": title, "detail": detail, "status": status}, model, key)

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def authorized(self):
        if OPTIONS.token is None:
            return True
        return self.headers.get("Authorization", "") == "Bearer " + OPTIONS.token

    def hold(self, model, key):
        """Never answers: waits until the client closes the connection (or the fake stops)."""
        accepted = time.time()
        deadline = accepted + OPTIONS.max_hang_seconds
        with LOCK:
            REQUESTS.append({"model": model, "key": key, "method": self.command, "path": self.path,
                             "status": None, "at": accepted, "prediction": None})
        while time.time() < deadline and not SHUTTING_DOWN.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        break  # EOF: the client gave up on this request
                except OSError:
                    break
                time.sleep(0.2)  # bytes of another request on a held connection: still no answer
        with LOCK:
            HANGS.append({"model": model, "key": key, "accepted_at": accepted, "closed_at": time.time()})
        self.close_connection = True

    # -- predictions ------------------------------------------------------------------------------
    def prediction_view(self, prediction):
        """The prediction as Replicate shows it now (status moves with time for slow ones)."""
        now = time.time()
        view = dict(prediction)
        behaviour = prediction["_behaviour"]
        if view["status"] not in ("succeeded", "failed", "canceled"):
            if behaviour in ("ok", "flaky") and prediction["_gets"] >= 1:
                view["status"] = "succeeded"
            elif behaviour == "slow":
                if now >= prediction["_created"] + OPTIONS.slow_run_ms / 1000.0:
                    view["status"] = "succeeded"
                elif now >= prediction["_created"] + 0.2:
                    view["status"] = "processing"
            elif behaviour == "stuck" and prediction["_gets"] >= 1:
                view["status"] = "processing"
            elif behaviour == "failed" and prediction["_gets"] >= 1:
                view["status"] = "failed"
                view["error"] = "CUDA out of memory (fake)"
        if view["status"] == "succeeded" and view["output"] is None:
            view["output"] = ["https://replicate.delivery/fake/%s/out-0.png" % view["id"]]
            view["completed_at"] = iso(now)
            view["metrics"] = {"predict_time": round(now - prediction["_created"], 3)}
        if view["status"] != prediction["status"]:
            prediction.update({k: view[k] for k in ("status", "output", "error", "completed_at", "metrics")
                               if k in view})
        return {k: v for k, v in view.items() if not k.startswith("_")}

    def create(self):
        body = self.read_json()
        if not isinstance(body, dict):
            return self.problem(400, "Invalid JSON", "The request body is not a JSON object.")
        model = model_of(body.get("version"))
        key = key_of(body.get("input"))
        if model == "hang":
            return self.hold(model, key)
        if model == "error500":
            return self.problem(500, "Internal Server Error", "fake: this model always fails", model, key)
        if model == "reject":
            return self.problem(422, "Input validation failed", "input.prompt: fake: this model rejects every input",
                                model, key)
        if model == "flaky":
            with LOCK:
                seen = FLAKY_SEEN.get(key, 0)
                FLAKY_SEEN[key] = seen + 1
            if seen < OPTIONS.flaky_failures:
                return self.problem(500, "Internal Server Error", "fake: flaky, failure %d of %d"
                                    % (seen + 1, OPTIONS.flaky_failures), model, key)
        if model not in ("ok", "slow", "stuck", "flaky", "failed"):
            return self.problem(422, "Invalid version", "The specified version does not exist (or perhaps you "
                                "don't have permission to use it?)", model, key)
        if model == "slow":
            time.sleep(OPTIONS.slow_answer_ms / 1000.0)
        now = time.time()
        prediction_id = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(26))
        base = "http://%s:%d" % self.server.server_address[:2]
        prediction = {
            "id": prediction_id, "model": str(body.get("version")).split(":", 1)[0],
            "version": body.get("version"), "input": body.get("input"), "logs": "", "output": None,
            "data_removed": False, "error": None, "status": "starting", "source": "api",
            "created_at": iso(now), "urls": {
                "get": "%s/v1/predictions/%s" % (base, prediction_id),
                "cancel": "%s/v1/predictions/%s/cancel" % (base, prediction_id),
                "stream": "%s/v1/stream/%s" % (base, prediction_id)},
            "_behaviour": model, "_key": key, "_created": now, "_gets": 0}
        with LOCK:
            PREDICTIONS[prediction_id] = prediction
            view = self.prediction_view(prediction)
        return self.answer(201, view, model, key, prediction_id)

    def show(self, prediction_id, cancel=False):
        with LOCK:
            prediction = PREDICTIONS.get(prediction_id)
            if prediction is not None:
                if cancel and prediction["status"] not in ("succeeded", "failed", "canceled"):
                    prediction["status"] = "canceled"
                if not cancel:
                    prediction["_gets"] += 1
                view = self.prediction_view(prediction)
        if prediction is None:
            return self.problem(404, "Not found", "Not found.")
        return self.answer(200, view, prediction["_behaviour"], prediction["_key"], prediction_id)

    # -- routes ---------------------------------------------------------------------------------
    def do_GET(self):  # noqa: N802
        if self.path == "/_fake/health":
            return self.answer(200, "ok")
        if self.path == "/_fake/stats":
            with LOCK:
                payload = {"requests": list(REQUESTS), "hangs": list(HANGS),
                           "predictions": {k: {kk: vv for kk, vv in v.items() if kk in ("status", "_key",
                                                                                     "_behaviour", "_created")}
                                           for k, v in PREDICTIONS.items()}}
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if not self.authorized():
            return self.problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["v1", "predictions"]:
            return self.show(parts[2])
        return self.problem(404, "Not found", "Not found.")

    def do_POST(self):  # noqa: N802
        if not self.authorized():
            self.read_json()
            return self.problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if parts == ["v1", "predictions"]:
            return self.create()
        if len(parts) == 4 and parts[:2] == ["v1", "predictions"] and parts[3] == "cancel":
            self.read_json()
            return self.show(parts[2], cancel=True)
        self.read_json()
        return self.problem(404, "Not found", "Not found.")


def main():
    global OPTIONS
    parser = argparse.ArgumentParser(description="A local fake of Replicate's predictions API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default=None, help="the only accepted bearer token (default: any)")
    parser.add_argument("--slow-answer-ms", type=int, default=1000)
    parser.add_argument("--slow-run-ms", type=int, default=3000)
    parser.add_argument("--flaky-failures", type=int, default=6)
    parser.add_argument("--max-hang-seconds", type=float, default=600)
    parser.add_argument("--verbose", action="store_true")
    OPTIONS = parser.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer((OPTIONS.host, OPTIONS.port), Handler)
    sys.stderr.write("fake-replicate: listening on http://%s:%d\n" % (OPTIONS.host, OPTIONS.port))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        SHUTTING_DOWN.set()
        server.server_close()


if __name__ == "__main__":
    main()
