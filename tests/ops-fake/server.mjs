#!/usr/bin/env node
// A stand-in for ops-service's HTTP API (the spec the dashboard and the monitor are written
// against), so both can be tested without the stack. Plain node, no dependencies.
//
//   node tests/ops-fake/server.mjs [--port N] [--port-file FILE] [--token T] [--state NAME]
//                                  [--seeded-failed-event ID] [--static DIR]
//
// Env fallbacks: PORT, ADMIN_TOKEN, FAKE_STATE, SEEDED_FAILED_EVENT_ID. Port 0 (the default)
// picks a free port; the port is printed and written to --port-file.
//
// States (at start with --state, later with POST /__fake/state {"state": NAME}); each one
// rebuilds the data from scratch:
//   healthy         ready, fresh worker heartbeat, no failed webhook event, no alert firing
//   worker_stale    /api/ready 503 (worker_ok false, heartbeat 300 s old); worker_heartbeat_stale fires
//   webhook_failed  ready; failed webhook events, webhook_failed_last_hour fires. Reprocessing
//                   the seeded event processes it; evt_fake_fails_again fails again;
//                   evt_fake_slow answers 202 and is processed 3 s later
// POST /__fake/state also takes {"alerts_error": 500 | "html" | null}: /api/ops/alerts then
// answers a 500 problem or an HTML page, for the monitor's "unexpected answer" path.
// GET /__fake/state shows the current state. /ops/ serves the dashboard's static files with the
// Content-Security-Policy the real service is meant to send.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    out[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const config = {
  port: Number(args.port ?? process.env.PORT ?? 0),
  portFile: args['port-file'],
  token: args.token ?? process.env.ADMIN_TOKEN ?? 'fake-admin-token',
  state: args.state ?? process.env.FAKE_STATE ?? 'healthy',
  seededFailedEvent: args['seeded-failed-event'] ?? process.env.SEEDED_FAILED_EVENT_ID ?? 'evt_fake_seeded_failed',
  staticDir: path.resolve(args.static ?? path.join(here, '../../ops-service/src/main/resources/META-INF/resources/ops')),
};

const STATES = ['healthy', 'worker_stale', 'webhook_failed'];
const USER_A = '11111111-1111-4111-8111-111111111111';
const USER_BROKE = '22222222-2222-4222-8222-222222222222';
const MINUTE = 60_000;
const iso = (ms) => new Date(ms).toISOString();

let db;

function buildState(name) {
  const now = Date.now();
  const users = new Map([
    [USER_A, { balance: 20, held: 0, entries: [] }],
    [USER_BROKE, { balance: 0, held: 0, entries: [] }],
  ]);
  let entryId = 100;
  const entry = (user, amount, kind, reference, actor, reason, at) =>
    users.get(user).entries.push({ id: ++entryId, amount, kind, reference, actor, reason, created_at: iso(at) });
  entry(USER_A, 25, 'topup', 'stripe:evt_fake_topup:topup', null, null, now - 50 * MINUTE);
  entry(USER_A, -5, 'hold', 'job:0b7c1a4e-6c55-4a53-9d59-5f3f2b0a9c11:hold', null, null, now - 40 * MINUTE);
  entry(USER_A, 0, 'capture', 'job:0b7c1a4e-6c55-4a53-9d59-5f3f2b0a9c11:capture', null, null, now - 39 * MINUTE);

  const events = [
    { id: 'evt_fake_ok_1', type: 'checkout.session.completed', status: 'processed', attempts: 1, last_error: null,
      received_at: iso(now - 30 * MINUTE), processed_at: iso(now - 30 * MINUTE + 800) },
    { id: 'evt_fake_ignored_1', type: 'customer.created', status: 'ignored', attempts: 1, last_error: null,
      received_at: iso(now - 20 * MINUTE), processed_at: iso(now - 20 * MINUTE + 300) },
  ];
  if (name === 'webhook_failed') {
    events.push(
      { id: config.seededFailedEvent, type: 'checkout.session.completed', status: 'failed', attempts: 1,
        last_error: 'billing.topup: connection refused', received_at: iso(now - 10 * MINUTE), processed_at: null },
      { id: 'evt_fake_fails_again', type: 'checkout.session.async_payment_succeeded', status: 'failed', attempts: 2,
        last_error: 'unknown checkout session cs_test_fake', received_at: iso(now - 8 * MINUTE), processed_at: null },
      { id: 'evt_fake_slow', type: 'checkout.session.completed', status: 'failed', attempts: 1,
        last_error: 'statement timeout', received_at: iso(now - 6 * MINUTE), processed_at: null },
    );
  }

  const deadLetters = [
    { id: 1, job_id: 'a1a1a1a1-0000-4000-8000-000000000001', user_id: USER_A, type: 'echo', attempts: 5,
      last_error: 'provider timeout after 120 s', created_at: iso(now - 3 * 60 * MINUTE), requeued_at: null },
    { id: 2, job_id: 'a1a1a1a1-0000-4000-8000-000000000002', user_id: USER_BROKE, type: 'image', attempts: 5,
      last_error: 'provider 500', created_at: iso(now - 2 * 60 * MINUTE), requeued_at: null },
    { id: 3, job_id: 'a1a1a1a1-0000-4000-8000-000000000003', user_id: USER_A, type: 'echo', attempts: 5,
      last_error: 'provider 500', created_at: iso(now - 5 * 60 * MINUTE), requeued_at: iso(now - 4 * 60 * MINUTE) },
  ];

  return {
    name,
    alertsError: null,
    startedAt: now,
    workerStaleSince: name === 'worker_stale' ? now - 300_000 : null,
    users,
    nextEntryId: entryId,
    events,
    deadLetters,
    adjustKeys: new Map(),
    queued: 3,
    running: 1,
  };
}

function workerLastBeat(now) {
  return db.workerStaleSince ?? now - 2000;
}

function queueSamples(minutes, now) {
  const samples = [];
  const count = Math.max(1, Math.min(minutes, 24 * 60));
  for (let i = count - 1; i >= 0; i--) {
    const at = Math.floor((now - i * MINUTE) / MINUTE) * MINUTE;
    const k = at / MINUTE;
    let queued = Math.max(0, Math.round(4 + 3 * Math.sin(k / 6) + ((k * 7) % 3)));
    let running = 1 + (k % 3);
    if (db.workerStaleSince && at >= db.workerStaleSince) {
      queued = 6 + Math.round((at - db.workerStaleSince) / MINUTE) * 2;
      running = 0;
    }
    samples.push({ sampled_at: iso(at), queued, running });
  }
  return samples;
}

function readiness(now) {
  const beat = workerLastBeat(now);
  const age = Math.round((now - beat) / 1000);
  const workerOk = age <= 60;
  return {
    ready: workerOk,
    db_ok: true,
    worker_ok: workerOk,
    worker_last_heartbeat: iso(beat),
    worker_heartbeat_age_seconds: age,
    queue_depth: { queued: db.workerStaleSince ? 12 : db.queued, running: db.workerStaleSince ? 0 : db.running },
  };
}

function counts(now) {
  const hourAgo = now - 60 * MINUTE;
  return {
    webhookFailed: db.events.filter((e) => e.status === 'failed' && Date.parse(e.received_at) >= hourAgo).length,
    deadLetters24h: db.deadLetters.filter((d) => Date.parse(d.created_at) >= now - 24 * 60 * MINUTE).length,
    jobsFailed: 1,
  };
}

function alerts(now) {
  const r = readiness(now);
  const c = counts(now);
  const list = [
    { name: 'webhook_failed_last_hour', value: c.webhookFailed, threshold: 0,
      description: 'Stripe webhook events that failed in the last hour' },
    { name: 'jobs_failed_last_hour', value: c.jobsFailed, threshold: 5, description: 'jobs failed in the last hour' },
    { name: 'worker_heartbeat_stale', value: r.worker_heartbeat_age_seconds, threshold: 60,
      description: 'seconds since the newest worker heartbeat' },
    { name: 'queue_growing', value: db.workerStaleSince ? 4 : 0, threshold: 10,
      description: 'minutes the queued count has grown without a break' },
    { name: 'dead_letters_last_24h', value: c.deadLetters24h, threshold: 10,
      description: 'jobs dead-lettered in the last 24 hours' },
    { name: 'ledger_drift', value: 0, threshold: 0, description: 'accounts whose balance differs from SUM(amount)' },
  ].map((a) => ({ name: a.name, firing: a.value > a.threshold, value: a.value, threshold: a.threshold, description: a.description }));
  return { alerts: list, firing: list.filter((a) => a.firing).map((a) => a.name) };
}

function metrics(now) {
  const r = readiness(now);
  const c = counts(now);
  const beat = workerLastBeat(now);
  return {
    queue_depth: { ...r.queue_depth, succeeded: 42, failed: 1, cancelled: 2, dead: db.deadLetters.length },
    jobs_failed_last_hour: c.jobsFailed,
    webhook_failed_last_hour: c.webhookFailed,
    dead_letters_last_24h: c.deadLetters24h,
    worker_last_heartbeat: r.worker_last_heartbeat,
    worker_heartbeat_age_seconds: r.worker_heartbeat_age_seconds,
    worker: {
      recovered_last_summary: { recovered: 0, dead_lettered: 0, at: iso(db.startedAt) },
      workers: [{ worker_id: 'fake-worker-1', last_beat: iso(beat), in_flight: r.queue_depth.running }],
    },
    ledger_drift: 0,
  };
}

function page(items, url) {
  const limit = Math.min(Math.max(Number(url.searchParams.get('limit') || 50) || 50, 1), 200);
  const offset = Math.max(Number(url.searchParams.get('cursor') || 0) || 0, 0);
  const slice = items.slice(offset, offset + limit);
  return { items: slice, next_cursor: offset + limit < items.length ? String(offset + limit) : null };
}

class Problem extends Error {
  constructor(status, title, detail, extra = {}) {
    super(detail);
    Object.assign(this, { status, title, detail, extra });
  }
}

const send = (res, status, body, type = 'application/json') => {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': data.length, 'Cache-Control': 'no-store' });
  res.end(data);
};
const sendProblem = (res, p) =>
  send(res, p.status, { type: 'about:blank', title: p.title, status: p.status, detail: p.detail, ...p.extra },
    'application/problem+json');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req) {
  const text = await readBody(req);
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new Problem(400, 'Bad Request', 'the body is not JSON');
  }
}

function requireAdmin(req) {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  const given = req.headers['x-admin-token'] ?? (bearer && bearer[1]);
  const ok = typeof given === 'string' && given.length === config.token.length &&
    crypto.timingSafeEqual(Buffer.from(given), Buffer.from(config.token));
  if (!ok) throw new Problem(401, 'Unauthorized', 'a valid admin token is required');
  const actor = req.headers['x-admin-actor'];
  if (actor !== undefined && !/^[A-Za-z0-9 ._@+-]{1,64}$/.test(actor)) {
    throw new Problem(400, 'Bad Request', 'The request has invalid fields.',
      { errors: [{ field: 'X-Admin-Actor', message: 'must be 1 to 64 letters, digits, spaces or ._@+-' }] });
  }
  return actor || 'admin';
}

function reprocess(event) {
  if (event.status === 'processed' || event.status === 'ignored') {
    throw new Problem(409, 'Conflict', `event ${event.id} was already ${event.status}`);
  }
  event.attempts += 1;
  if (event.id === 'evt_fake_fails_again') {
    event.status = 'failed';
    event.last_error = `unknown checkout session cs_test_fake (attempt ${event.attempts})`;
    return [200, event];
  }
  if (event.id === 'evt_fake_slow') {
    event.status = 'received';
    const generation = db;
    setTimeout(() => {
      if (db !== generation) return;
      event.status = 'processed';
      event.last_error = null;
      event.processed_at = iso(Date.now());
    }, 3000).unref();
    return [202, event];
  }
  event.status = 'processed';
  event.last_error = null;
  event.processed_at = iso(Date.now());
  return [200, event];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function adjust(body, actor) {
  const errors = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Problem(400, 'Bad Request', 'the body must be a JSON object');
  }
  const { user_id: userId, amount, reason, idempotency_key: key } = body;
  if (typeof userId !== 'string' || !UUID.test(userId)) errors.push({ field: 'user_id', message: 'must be a UUID' });
  if (!Number.isInteger(amount) || amount === 0) errors.push({ field: 'amount', message: 'must be a non-zero integer' });
  if (typeof reason !== 'string' || !reason.trim()) errors.push({ field: 'reason', message: 'must not be blank' });
  if (typeof key !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(key)) {
    errors.push({ field: 'idempotency_key', message: 'must match [A-Za-z0-9._:-]{1,128}' });
  }
  if (errors.length) throw new Problem(400, 'Bad Request', 'The request has invalid fields.', { errors });

  const fingerprint = JSON.stringify([userId.toLowerCase(), amount, reason]);
  const earlier = db.adjustKeys.get(key);
  if (earlier) {
    if (earlier.fingerprint !== fingerprint) {
      throw new Problem(409, 'Conflict', `idempotency key ${key} was already used for another adjustment`);
    }
    return [200, earlier.response];
  }
  const user = db.users.get(userId.toLowerCase());
  if (!user) throw new Problem(404, 'Not Found', `no user ${userId}`);
  if (user.balance + amount < 0) {
    throw new Problem(402, 'Payment Required', `the balance ${user.balance} cannot go below zero`);
  }
  user.balance += amount;
  const id = ++db.nextEntryId;
  user.entries.push({ id, amount, kind: 'adjustment', reference: `admin:${key}`, actor, reason, created_at: iso(Date.now()) });
  const response = { entry_id: id, user_id: userId.toLowerCase(), amount, balance: user.balance };
  db.adjustKeys.set(key, { fingerprint, response });
  return [201, response];
}

function requeue(id) {
  const dl = db.deadLetters.find((d) => d.id === id);
  if (!dl) throw new Problem(404, 'Not Found', `no dead letter ${id}`);
  if (dl.requeued_at) throw new Problem(409, 'Conflict', `dead letter ${id} was already requeued at ${dl.requeued_at}`);
  const user = db.users.get(dl.user_id);
  if (user.balance < 1) {
    throw new Problem(402, 'Payment Required', `user ${dl.user_id} has 0 credits available: the new job's hold of 1 cannot be placed`);
  }
  const jobId = crypto.randomUUID();
  user.balance -= 1;
  user.held += 1;
  user.entries.push({ id: ++db.nextEntryId, amount: -1, kind: 'hold', reference: `job:${jobId}:hold`, actor: null,
    reason: null, created_at: iso(Date.now()) });
  dl.requeued_at = iso(Date.now());
  return { dead_letter_id: id, job_id: jobId, status: 'queued' };
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
};

function serveStatic(res, pathname) {
  if (pathname === '/ops') {
    res.writeHead(302, { Location: '/ops/' });
    return res.end();
  }
  const rel = decodeURIComponent(pathname.slice('/ops/'.length)) || 'index.html';
  const file = path.resolve(config.staticDir, rel);
  if (!file.startsWith(config.staticDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new Problem(404, 'Not Found', `no file ${pathname}`);
  }
  const data = fs.readFileSync(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream',
    'Content-Length': data.length,
    'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  res.end(data);
}

async function route(req, res) {
  const url = new URL(req.url, 'http://fake');
  const p = url.pathname;
  const m = req.method;
  const now = Date.now();
  let match;

  if (p === '/__fake/state' && m === 'GET') return send(res, 200, { state: db.name, alerts_error: db.alertsError });
  if (p === '/__fake/state' && m === 'POST') {
    const body = (await readJson(req)) || {};
    if (body.state !== undefined) {
      if (!STATES.includes(body.state)) throw new Problem(400, 'Bad Request', `state must be one of ${STATES.join(', ')}`);
      db = buildState(body.state);
    }
    if (body.alerts_error !== undefined) db.alertsError = body.alerts_error;
    return send(res, 200, { state: db.name, alerts_error: db.alertsError });
  }

  if (p === '/ops' || p.startsWith('/ops/')) {
    if (m !== 'GET' && m !== 'HEAD') throw new Problem(405, 'Method Not Allowed', `${m} ${p}`);
    return serveStatic(res, p);
  }

  if (p === '/api/health' && m === 'GET') return send(res, 200, { status: 'ok', db_ok: true });
  if (p === '/api/ready' && m === 'GET') {
    const r = readiness(now);
    return send(res, r.ready ? 200 : 503, r);
  }

  if (!p.startsWith('/api/ops/')) throw new Problem(404, 'Not Found', `no route ${m} ${p}`);
  const actor = requireAdmin(req);

  if (p === '/api/ops/metrics' && m === 'GET') return send(res, 200, metrics(now));
  if (p === '/api/ops/alerts' && m === 'GET') {
    if (db.alertsError === 500) throw new Problem(500, 'Internal Server Error', 'fake: alerts failed on purpose');
    if (db.alertsError === 'html') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('<html><body>Welcome to nginx!</body></html>');
    }
    return send(res, 200, alerts(now));
  }
  if (p === '/api/ops/queue-depth/samples' && m === 'GET') {
    const minutes = Number(url.searchParams.get('minutes') || 60);
    if (!Number.isInteger(minutes) || minutes < 1) throw new Problem(400, 'Bad Request', 'minutes must be a positive integer');
    return send(res, 200, { samples: queueSamples(minutes, now) });
  }
  if (p === '/api/ops/dead-letters' && m === 'GET') {
    const items = [...db.deadLetters].sort((a, b) => b.id - a.id);
    return send(res, 200, page(items, url));
  }
  if ((match = /^\/api\/ops\/dead-letters\/([^/]+)\/requeue$/.exec(p)) && m === 'POST') {
    const id = Number(match[1]);
    if (!Number.isInteger(id)) throw new Problem(404, 'Not Found', `no dead letter ${match[1]}`);
    return send(res, 200, requeue(id));
  }
  if (p === '/api/ops/webhook-events' && m === 'GET') {
    const status = url.searchParams.get('status');
    if (status && !['failed', 'processed', 'ignored', 'received'].includes(status)) {
      throw new Problem(400, 'Bad Request', 'status must be failed, processed, ignored or received');
    }
    const items = db.events.filter((e) => !status || e.status === status)
      .sort((a, b) => b.received_at.localeCompare(a.received_at));
    return send(res, 200, page(items, url));
  }
  if ((match = /^\/api\/ops\/webhook-events\/([^/]+)\/reprocess$/.exec(p)) && m === 'POST') {
    const event = db.events.find((e) => e.id === decodeURIComponent(match[1]));
    if (!event) throw new Problem(404, 'Not Found', `no webhook event ${match[1]}`);
    const [status, body] = reprocess(event);
    return send(res, status, body);
  }
  if (p === '/api/ops/credits/adjust' && m === 'POST') {
    const [status, body] = adjust(await readJson(req), actor);
    return send(res, status, body);
  }
  if ((match = /^\/api\/ops\/users\/([^/]+)\/credits$/.exec(p)) && m === 'GET') {
    const userId = decodeURIComponent(match[1]).toLowerCase();
    if (!UUID.test(userId)) throw new Problem(400, 'Bad Request', 'user_id must be a UUID');
    const user = db.users.get(userId);
    if (!user) throw new Problem(404, 'Not Found', `no user ${userId}`);
    const ledgerSum = user.entries.reduce((s, e) => s + e.amount, 0);
    return send(res, 200, {
      user_id: userId, balance: user.balance, held: user.held, ledger_sum: ledgerSum,
      entries: [...user.entries].reverse(),
    });
  }
  throw new Problem(404, 'Not Found', `no route ${m} ${p}`);
}

if (!STATES.includes(config.state)) {
  console.error(`ops-fake: --state must be one of ${STATES.join(', ')}`);
  process.exit(64);
}
db = buildState(config.state);

const server = http.createServer((req, res) => {
  route(req, res).catch((err) => {
    if (err instanceof Problem) return sendProblem(res, err);
    console.error('ops-fake:', err);
    sendProblem(res, new Problem(500, 'Internal Server Error', 'fake: unexpected error'));
  });
});

server.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address();
  if (config.portFile) {
    fs.writeFileSync(config.portFile + '.tmp', String(port));
    fs.renameSync(config.portFile + '.tmp', config.portFile);
  }
  console.log(`ops-fake: listening on http://127.0.0.1:${port} (state ${db.name})`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
