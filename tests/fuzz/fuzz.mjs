// Property-based hostile-input fuzzer and OpenAPI conformance check of the whole local stack,
// through the gateway. See README.md beside this file for what it sends and what it asserts.
//
//   node fuzz.mjs [GATEWAY_URL]
//
// Environment: GATEWAY (http://localhost:(8080+offset)), METERED_PORT_OFFSET (0), FUZZ_SEED (printed),
// FUZZ_RUNS (60 cases per operation), FUZZ_MAX_SECONDS (time budget of the fuzzing itself),
// FUZZ_SHRINK_BUDGET (requests spent shrinking each distinct violation, 30), ADMIN_TOKEN (else
// .run/secrets.env of the repository), FUZZ_REPORT (the JSON log of every violation).
import fc from 'fast-check';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, header } from './http.mjs';
import { forgeries } from './jwt.mjs';
import { Validators } from './schema.mjs';
import { caseArb, materialize, BODY_LIMIT } from './gen.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const offset = Number(process.env.METERED_PORT_OFFSET || 0);
const GATEWAY = (process.argv[2] || process.env.GATEWAY || `http://localhost:${8080 + offset}`).replace(/\/$/, '');
const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) : 20260607;
const RUNS = Number(process.env.FUZZ_RUNS || 60);
const MAX_SECONDS = Number(process.env.FUZZ_MAX_SECONDS || (RUNS <= 100 ? 120 : RUNS * 3));
const SHRINK_BUDGET = Number(process.env.FUZZ_SHRINK_BUDGET || 30);
const REPORT = process.env.FUZZ_REPORT || path.join(here, '.last-run.json');
const SERVICES = { auth: 8081, billing: 8082, jobs: 8083, worker: 8084, ops: 8085 };
const gw = new URL(GATEWAY);
const GW_HOST = gw.hostname === 'localhost' ? '127.0.0.1' : gw.hostname;
const GW_PORT = Number(gw.port || 80);

// A stack trace, an exception name or SQL in a response: patterns, case-sensitive. The fuzzer's
// own inputs never contain them, so an echo of our input cannot match.
const LEAKS = [/Exception/, /\tat /, /\bat [a-z]+\.[a-z]+\.[A-Za-z.$]+\(/, /org\.postgresql/, /io\.vertx/, /io\.netty/,
  /SQLSTATE/, /ERROR:/, /SELECT /, /INSERT INTO/, /java\./, /jakarta\./, /com\.fasterxml/, /dev\.metered\./, /Caused by/];

const started = Date.now();
const stats = { requests: 0, fuzzRequests: 0, byClass: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 } };
const state = { unhealthy: false, unhealthyNotes: [], lastBare400: 0 };
const groups = new Map(); // signature -> group of violations
const genericSeen = new Map(); // "op | status | reason" -> count
const log = [];

function die(message) {
  console.error(`fuzz: ${message}`);
  process.exit(2);
}

// Login limits count per client address, and the fuzz cases trip them: each run sends from two
// loopback addresses of its own (127.x.y.1 for the harness, 127.x.y.2 for the cases), so that
// neither an earlier run's lockout nor this run's fuzzing locks the harness out.
const loopback = /^127\./.test(GW_HOST);
const runAddress = `127.${1 + (Date.now() >> 16) % 250}.${1 + (Date.now() >> 8) % 250}`;
const SOURCE = loopback ? { harness: `${runAddress}.1`, cases: `${runAddress}.2` } : { harness: undefined, cases: undefined };

async function exchange(req, from = SOURCE.harness) {
  const res = await send({ host: GW_HOST, port: GW_PORT, timeoutMs: 25000, localAddress: from, ...req });
  stats.requests++;
  if (res.error) stats.byClass.none++;
  else stats.byClass[`${String(res.status)[0]}xx`]++;
  return res;
}

/** A plain JSON call of the harness itself (setup and final checks), not a fuzz case. */
async function call(method, target, { token, admin, body } = {}) {
  const headers = [];
  if (token) headers.push(['Authorization', `Bearer ${token}`]);
  if (admin) headers.push(['X-Admin-Token', admin]);
  let bytes = null;
  if (body !== undefined) {
    headers.push(['Content-Type', 'application/json']);
    bytes = Buffer.from(JSON.stringify(body));
  }
  const res = await exchange({ method, target, headers, body: bytes });
  let json = null;
  try { json = JSON.parse(res.body.toString('utf8')); } catch { /* not JSON */ }
  return { ...res, json };
}

function readAdminToken() {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const file = path.join(repoRoot, '.run', 'secrets.env');
  if (!fs.existsSync(file)) return null;
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('ADMIN_TOKEN='));
  return line ? line.slice('ADMIN_TOKEN='.length).trim() : null;
}

function readStackKey() {
  const file = process.env.FUZZ_JWT_PRIVATE_KEY_FILE || path.join(repoRoot, '.run', 'jwt-private.pem');
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}

async function fetchDocuments() {
  const docs = {};
  for (const [service, port] of Object.entries(SERVICES)) {
    const url = `http://127.0.0.1:${port + offset}/q/openapi?format=json`;
    let res;
    try { res = await fetch(url, { signal: AbortSignal.timeout(10000) }); } catch (e) { die(`cannot fetch ${url}: ${e.message}`); }
    if (!res.ok) die(`${url} answered ${res.status}`);
    docs[service] = await res.json();
  }
  return docs;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

function operations(docs) {
  const ops = [];
  for (const [service, doc] of Object.entries(docs)) {
    for (const [p, item] of Object.entries(doc.paths || {})) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const parameters = [...(item.parameters || []), ...(op.parameters || [])];
        const security = op.security ?? doc.security ?? [];
        ops.push({ service, method: m.toUpperCase(), path: p, key: `${m.toUpperCase()} ${p}`, parameters,
          requestBody: op.requestBody, responses: op.responses || {}, secured: security.length > 0,
          originChecked: service === 'auth' && p !== '/api/auth/jwks' });
      }
    }
  }
  return ops;
}

function seedFor(op) {
  return (SEED ^ crypto.createHash('sha256').update(op.key).digest().readInt32BE(0)) | 0;
}

// --------------------------------------------------------------------------------------------
// The judge: what every answer must satisfy.

/**
 * The statuses accepted on an operation without being declared in its OpenAPI, each only when the
 * request did what docs/API.md says leads to it. Anything else undeclared is a violation.
 */
function genericReason(op, f, status) {
  switch (status) {
    case 400:
      if (op.requestBody && f.bodyMutated) return '400: body malformed, mistyped or with invalid fields (API.md, every endpoint)';
      if (f.malformedHttp) return '400: a malformed request (bytes a request target or header cannot hold, Transfer-Encoding: identity)';
      if (f.duplicateAuthorization) return '400: two Authorization headers (the gateway refuses a malformed request)';
      if (f.oddCharset) return '400: application/json in a charset other than UTF-8';
      if (op.path.startsWith('/api/ops/') && f.actorInvalid) return '400: invalid X-Admin-Actor (API.md, every admin call)';
      return null;
    case 401: return op.secured && f.credentials !== 'good' ? '401: secured operation without valid credentials' : null;
    case 403: return op.originChecked && f.evilOrigin ? '403: Origin not allowed on auth endpoints (API.md)' : null;
    case 404: case 405: return f.pathAltered ? `${status}: the path parameter changed the path's structure (unknown path)` : null;
    case 413: return f.bodySize > BODY_LIMIT ? '413: body over 256 KiB (API.md, every endpoint)' : null;
    case 415: return f.contentType !== null && (f.nonJson || f.oddCharset) ? '415: body not application/json (API.md, every endpoint)' : null;
    case 414: return f.bigHeader ? '414: request line over 8 KiB (gateway, API.md generic answers)' : null;
    case 431: return f.bigHeader ? '431: oversized headers (gateway)' : null;
    case 503: return state.unhealthy ? '503: the stack reported itself unready' : null;
    default: return null;
  }
}

const mediaBase = (ct) => (ct || '').split(';')[0].trim().toLowerCase();
const isJsonMedia = (m) => m === 'application/json' || m.endsWith('+json');
const mediaMatches = (declared, actual) => {
  const d = declared.toLowerCase();
  if (d === '*/*') return true;
  if (d.endsWith('/*')) return actual.startsWith(d.slice(0, -1));
  return d === actual;
};

function judge(op, req, res, validators, docs) {
  const v = [];
  const f = req.facts;
  if (res.error) {
    v.push({ rule: 'no-response', detail: res.error });
    return { violations: v, generic: null };
  }
  const status = res.status;
  const ct = header(res, 'content-type');
  const media = mediaBase(ct);
  const text = res.body.toString('utf8');
  let json;
  let parsed = false;
  if (isJsonMedia(media) && res.body.length) {
    try { json = JSON.parse(text); parsed = true; } catch { v.push({ rule: 'invalid-json-body', detail: `${ct} body is not JSON` }); }
  }

  if (status >= 500 && !(status === 503 && state.unhealthy)) {
    const afterBare400 = status === 502 && Date.now() - state.lastBare400 < 2000
      ? ' (the request before it got a bare 400 from the same kind of header junk: a keep-alive connection the service had closed)' : '';
    v.push({ rule: '5xx', detail: `status ${status}${afterBare400}` });
  }
  // a control byte in a header the gateway does not check: the services' HTTP server answers 400, bare
  const documentedBare400 = status === 400 && !ct && !res.body.length && f.uncheckedControlByte;
  const leak = LEAKS.find((p) => p.test(text));
  if (leak) v.push({ rule: 'leak', detail: `body matches ${leak}` });

  if (status >= 400 && status < 500) {
    if (documentedBare400) {
      // the one documented answer that is not problem+json (docs/API.md): nginx-light cannot see it
    } else if (media !== 'application/problem+json') {
      v.push({ rule: 'problem-json', detail: `Content-Type ${ct || '(none)'}` });
    } else if (!parsed || json === null || typeof json !== 'object') {
      v.push({ rule: 'problem-json', detail: 'problem+json body is not a JSON object' });
    } else {
      const missing = ['type', 'title'].filter((k) => typeof json[k] !== 'string');
      if (missing.length) v.push({ rule: 'problem-json', detail: `no string ${missing.join(', ')}` });
      if (json.status !== status) v.push({ rule: 'problem-json', detail: `body status ${JSON.stringify(json.status)} != HTTP ${status}` });
    }
  }

  const declared = op.responses[String(status)] || op.responses[`${String(status)[0]}XX`] || null;
  let generic = null;
  if (!declared) {
    generic = genericReason(op, f, status);
    // (an undeclared 5xx is reported once, by the 5xx rule)
    if (!generic && status < 500) {
      v.push({ rule: 'undeclared-status', detail: `${status} is not declared (declared: ${Object.keys(op.responses).join(' ') || 'none'})` });
    }
    if (generic && status >= 400 && status < 500 && parsed && docs[op.service].components?.schemas?.Problem) {
      const errors = validators.validate(op.service, { $ref: '#/components/schemas/Problem' }, json);
      if (errors.length) v.push({ rule: 'schema', detail: `Problem: ${errors.join('; ')}` });
    }
  } else {
    const content = declared.content;
    if (documentedBare400) {
      // judged above
    } else if (!content || !Object.keys(content).length) {
      if (res.body.length) v.push({ rule: 'undeclared-content', detail: `${status} declares no body; got ${ct || '(no Content-Type)'} ${res.body.length} bytes` });
    } else {
      const key = Object.keys(content).find((m) => mediaMatches(m, media));
      if (!key) {
        if (!v.some((x) => x.rule === 'problem-json')) {
          v.push({ rule: 'undeclared-content-type', detail: `${ct || '(none)'} not among ${Object.keys(content).join(', ')}` });
        }
      } else if (content[key].schema && parsed && !f.pathAltered) {
        // (a path parameter that changed the path's structure may reach another operation, e.g.
        // ".../webhook-events/;" is the list: its body is that operation's, fuzzed on its own)
        const schema = content[key].schema;
        const plain = validators.validate(op.service, schema, json, 'plain');
        if (plain.length) v.push({ rule: 'schema', detail: plain.join('; ') });
        const extra = validators.validate(op.service, schema, json, 'closed').filter((e) => e.includes('additional properties'));
        if (extra.length) v.push({ rule: 'field-names', detail: `body fields the schema does not name: ${extra.join('; ')}` });
        const wire = validators.validate(op.service, schema, json, 'twin');
        if (wire.length) v.push({ rule: 'schema-wire', detail: `against the schema with snake_case names: ${wire.join('; ')}` });
      }
    }
  }

  // Security properties: no forged or foreign credential opens a secured operation, a valid one is
  // never refused, and a disallowed browser origin gets nothing from auth-service.
  if (op.secured && f.credentials === 'bad' && !f.pathAltered && status >= 200 && status < 300) {
    v.push({ rule: 'auth-bypass', detail: `${f.authKind} accepted` });
  }
  if (op.secured && f.credentials === 'good' && status === 401) v.push({ rule: 'valid-credentials-refused', detail: 'valid credentials answered 401' });
  if (op.originChecked && f.evilOrigin && status >= 200 && status < 300) v.push({ rule: 'origin-bypass', detail: `Origin ${JSON.stringify(f.origin)} got ${status}` });

  // The deprecated aliases announce their sunset on every answer of the service.
  // (Not on what the gateway answers itself — limits, malformed requests, 5xx — nor on an answer
  // without a Content-Type: reported above.)
  if (op.path.startsWith('/api/kling/') && ![413, 431, 414, 502, 504].includes(status) && ct && media !== 'text/html'
      && !(f.pathAltered && status === 404) && !f.malformedHttp && !f.duplicateAuthorization) {
    const absent = ['deprecation', 'sunset', 'link'].filter((h) => !header(res, h));
    if (absent.length) v.push({ rule: 'deprecation-headers', detail: `missing ${absent.join(', ')} on ${status}` });
  }
  return { violations: v, generic };
}

// --------------------------------------------------------------------------------------------
// Reproductions: a curl command (or printf | nc for bytes curl cannot send).

function shellBytes(buf) {
  // printf format: \xHH for bytes that are not printable ASCII, runs of one byte as head | tr
  const parts = [];
  let lit = '';
  const flush = () => { if (lit) parts.push(`printf '${lit}'`); lit = ''; };
  for (let i = 0; i < buf.length;) {
    let j = i;
    while (j < buf.length && buf[j] === buf[i]) j++;
    const n = j - i;
    const b = buf[i];
    if (n >= 64 && b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c) {
      flush();
      parts.push(`head -c ${n} /dev/zero | tr '\\0' '${String.fromCharCode(b)}'`);
      i = j;
      continue;
    }
    for (let k = i; k < j; k++) {
      const c = buf[k];
      if (c === 0x27) lit += "'\\''";
      else if (c === 0x25) lit += '%%';
      else if (c === 0x5c) lit += '\\\\';
      else if (c >= 0x20 && c < 0x7f) lit += String.fromCharCode(c);
      else lit += `\\x${c.toString(16).padStart(2, '0')}`;
    }
    i = j;
  }
  flush();
  if (!parts.length) return "printf ''";
  return parts.length === 1 ? parts[0] : `{ ${parts.join('; ')}; }`;
}

function ansiQuote(s) {
  const buf = Buffer.from(s, 'utf8');
  let out = '';
  let plain = true;
  for (const c of buf) {
    if (c === 0x27) { out += "\\'"; plain = false; } else if (c === 0x5c) { out += '\\\\'; plain = false; } else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else { out += `\\x${c.toString(16).padStart(2, '0')}`; plain = false; }
  }
  return plain ? `'${out}'` : `$'${out}'`;
}

function abbreviate(s) {
  return s.replace(/(.)\1{63,}/gs, (run, c) => `${c}…(${run.length}×)`);
}

/** Secrets and long tokens by name: the admin token is never printed. Longest first, so a forgery
 * that is a prefix of a real token ("signature removed") does not hide it. */
function redact(text, ctx) {
  const names = [[ctx.adminToken, '$ADMIN_TOKEN'], ...[...ctx.userTokens].map((t) => [t, '$USER_TOKEN']),
    ...Object.entries(ctx.forged).map(([n, t]) => [t, `<forged JWT: ${n}>`])].filter(([t]) => t).sort((a, b) => b[0].length - a[0].length);
  let out = String(text);
  for (const [token, name] of names) out = out.split(token).join(name);
  return out;
}

function reproduction(req, ctx) {
  const headers = req.headers.map(([n, v]) => [n, redact(v, ctx)]);
  const rawNeeded = req.chunked || headers.some(([, v]) => /\u0000/.test(v)) || /[\u0000-\u0020\u007f]/.test(req.target);
  const url = `${GATEWAY}`;
  const abbreviated = (s) => (s.length > 300 ? abbreviate(s) : s);
  if (rawNeeded) {
    const head = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${gw.host}`, ...headers.map(([n, v]) => `${n}: ${v}`),
      ...(req.chunked ? ['Transfer-Encoding: chunked'] : req.body !== null ? [`Content-Length: ${req.body.length}`] : []), 'Connection: close', '', ''].join('\r\n');
    let body = req.body ? `; ${shellBytes(req.body)}` : '';
    if (req.body && req.chunked) {
      const framed = [];
      for (let i = 0; i < req.body.length; i += 65536) {
        const chunk = req.body.subarray(i, i + 65536);
        framed.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
      }
      body = `; ${shellBytes(Buffer.concat(framed))}; sleep 0.2; printf '0\\r\\n\\r\\n'`;
    }
    // bash's /dev/tcp: curl cannot send a NUL in a header nor a space in the request line
    return abbreviated(`(exec 3<>/dev/tcp/${GW_HOST}/${GW_PORT}; { ${shellBytes(Buffer.from(head, 'utf8'))}${body}; } >&3; cat <&3)`);
  }
  const parts = ['curl -sS -i --path-as-is', `-X ${req.method}`, ansiQuote(`${url}${req.target}`)];
  for (const [n, v] of headers) parts.push(`-H ${ansiQuote(`${n}: ${v}`)}`);
  if (req.body !== null) {
    if (!headers.some(([n]) => n.toLowerCase() === 'content-type')) parts.push("-H 'Content-Type:'");
    if (req.chunked) parts.push("-H 'Transfer-Encoding: chunked'");
    parts.push('--data-binary @-');
    return abbreviated(`${shellBytes(req.body)} | ${parts.join(' ')}`);
  }
  return abbreviated(parts.join(' '));
}

// --------------------------------------------------------------------------------------------

const SEVERITY = ['5xx', 'no-response', 'auth-bypass', 'origin-bypass', 'leak', 'valid-credentials-refused', 'problem-json',
  'invalid-json-body', 'undeclared-status', 'undeclared-content-type', 'undeclared-content', 'schema', 'schema-wire',
  'deprecation-headers', 'field-names'];

async function main() {
  const docs = await fetchDocuments();
  const validators = new Validators();
  for (const [service, doc] of Object.entries(docs)) validators.add(service, doc);
  const ops = operations(docs);
  console.log(`fuzz: gateway ${GATEWAY}, seed ${SEED}, ${RUNS} cases per operation, ${ops.length} operations in ` +
    `${Object.entries(docs).map(([s, d]) => `${s} ${Object.keys(d.paths || {}).length}`).join(', ')} paths`);

  // --- setup: a real user with two sessions, the admin token, the forgeries
  const ready = await call('GET', '/api/ready');
  if (ready.status !== 200) die(`the stack is not ready (GET /api/ready: ${ready.status || ready.error}); start it first`);
  const adminToken = readAdminToken();
  if (!adminToken) die('no ADMIN_TOKEN in the environment or .run/secrets.env');
  const runTag = `fz${(SEED >>> 0).toString(36)}${Date.now().toString(36)}`;
  const user = { email: `${runTag}@example.com`, password: `pw-${crypto.randomBytes(9).toString('hex')}` };
  const reg = await call('POST', '/api/auth/register', { body: { email: user.email, password: user.password } });
  if (reg.status !== 201) die(`register failed: ${reg.status} ${reg.body?.toString().slice(0, 200)}`);
  user.id = reg.json.user_id;
  const login = async () => {
    const r = await call('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
    if (r.status !== 200) die(`login failed: ${r.status} ${r.body?.toString().slice(0, 200)}`);
    return r.json;
  };
  const sessionA = await login(); // the harness's own, refreshed when the access token ages
  const sessionB = await login(); // handed to the fuzz cases of /refresh and /logout
  user.token = sessionA.access_token;
  let tokenAt = Date.now();
  let refreshA = sessionA.refresh_token;
  const adminCheck = await call('GET', '/api/ops/metrics', { admin: adminToken });
  if (adminCheck.status !== 200) die(`the admin token is refused (GET /api/ops/metrics: ${adminCheck.status})`);
  const jwks = (await call('GET', '/api/auth/jwks')).json;
  const stackKey = readStackKey();
  const { forged, signedByStack } = forgeries(user.token, jwks, stackKey);
  console.log(`fuzz: user ${user.id} (${user.email}), sending from ${SOURCE.cases || "this host"}; ${Object.keys(forged).length} forged tokens` +
    `${signedByStack ? ' (claim forgeries signed with the stack key of .run/jwt-private.pem)' : ''}`);

  const ctx = { gateway: GATEWAY, docs, user, adminToken, forged, runTag, harvest: new Map(), sacrificial: sessionB.refresh_token,
    userTokens: new Set([sessionA.access_token, sessionB.access_token]) };
  ctx.sacrificialRefresh = () => ctx.sacrificial;
  // The stack's origin switches as bin/stack sets them (localhost allowed, null refused) unless the
  // environment says otherwise, as it would to the services.
  const allowlist = (process.env.AUTH_ORIGIN_ALLOWLIST || '').split(',').map((o) => o.trim()).filter(Boolean);
  ctx.originAllowed = (origin) => allowlist.includes(origin)
    || (process.env.ALLOW_LOCALHOST_ORIGINS !== 'false' && /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin))
    || (process.env.ALLOW_NULL_ORIGIN === 'true' && origin === 'null');

  async function freshToken() {
    if (Date.now() - tokenAt < 10 * 60 * 1000) return;
    const r = await call('POST', '/api/auth/refresh', { body: { refresh_token: refreshA } });
    if (r.status === 200) {
      user.token = r.json.access_token;
      ctx.userTokens.add(user.token);
      refreshA = r.json.refresh_token;
      tokenAt = Date.now();
    }
  }

  async function runCase(op, c) {
    const req = materialize(op, c, ctx);
    const res = await exchange({ method: req.method, target: req.target, headers: req.headers, body: req.body,
      chunked: req.chunked, lastChunkDelayMs: req.lastChunkDelayMs }, SOURCE.cases);
    stats.fuzzRequests++;
    const { violations, generic } = judge(op, req, res, validators, docs);
    if (!res.error && res.status === 400 && !header(res, 'content-type')) state.lastBare400 = Date.now();
    if (!res.error && res.status === 200) {
      try {
        const json = JSON.parse(res.body.toString('utf8'));
        if (typeof json?.next_cursor === 'string') {
          const list = ctx.harvest.get(op.key) || [];
          if (list.length < 20 && !list.includes(json.next_cursor)) list.push(json.next_cursor);
          ctx.harvest.set(op.key, list);
        }
        if (op.path === '/api/auth/refresh' && typeof json?.refresh_token === 'string'
            && req.body && req.body.includes(Buffer.from(ctx.sacrificial))) ctx.sacrificial = json.refresh_token;
      } catch { /* not JSON */ }
    }
    return { req, res, violations, generic };
  }

  // one distinct violation: operation, rule, status and who answered (nginx's HTML, a bare answer, problem+json...)
  const signature = (op, v, res) => `${op.key} | ${v.rule} | ${res.error ? 'no response' : `${res.status} ${mediaBase(header(res, 'content-type')) || 'no Content-Type'}`}`;

  // --- the fuzzing: one fast-check property per operation
  const deadline = started + MAX_SECONDS * 1000;
  const arbs = new Map();
  const cutShort = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    await freshToken();
    const arb = caseArb(op, ctx);
    arbs.set(op.key, arb);
    // a slow operation (password hashing) may take more than an even share, never more than half of what is left
    const remaining = Math.max(1000, deadline - Date.now());
    const share = Math.floor(remaining / 2);
    const opStarted = Date.now();
    const opStatuses = {};
    let index = -1;
    let ran = 0;
    const outcome = await fc.check(fc.asyncProperty(arb, async (c) => {
      index++;
      ran++;
      const { req, res, violations, generic } = await runCase(op, c);
      const cls = res.error ? 'none' : `${String(res.status)[0]}xx`;
      opStatuses[cls] = (opStatuses[cls] || 0) + 1;
      if (generic) genericSeen.set(`${op.key} | ${generic}`, (genericSeen.get(`${op.key} | ${generic}`) || 0) + 1);
      for (const v of violations) {
        const sig = signature(op, v, res);
        let g = groups.get(sig);
        if (!g) {
          g = { sig, op, rule: v.rule, status: res.error ? null : res.status, count: 0, first: { index, c, req, res, detail: v.detail } };
          groups.set(sig, g);
        }
        g.count++;
        if (log.length < 3000) {
          const request = reproduction(req, ctx);
          log.push({ op: op.key, rule: v.rule, status: res.error ? null : res.status, detail: v.detail, run: index,
            request: request.length > 2000 ? `${request.slice(0, 2000)}…` : request, body: res.error ? res.error : res.body.toString('utf8').slice(0, 300) });
        }
      }
      return true;
    }), { seed: seedFor(op), numRuns: RUNS, interruptAfterTimeLimit: share, markInterruptAsFailure: false, endOnFailure: true });
    // the property never returns false: a failure here is an exception, a bug of the fuzzer itself
    if (outcome.failed) die(`fuzzer error on ${op.key} (seed ${seedFor(op)}, run ${outcome.counterexamplePath}): ${outcome.errorInstance?.stack || outcome.error}`);
    if (ran < RUNS) cutShort.push(`${op.key} (${ran}/${RUNS})`);
    console.log(`  ${op.key}: ${ran} cases, ${Object.entries(opStatuses).sort().map(([k, n]) => `${k} ${n}`).join(', ')}, ` +
      `${((Date.now() - opStarted) / 1000).toFixed(1)} s`);
    const probe = await call('GET', '/api/ready');
    if (probe.status !== 200 && !state.unhealthy) {
      state.unhealthy = true;
      state.unhealthyNotes.push(`GET /api/ready answered ${probe.status || probe.error} after ${op.key}`);
    }
  }
  const fuzzSeconds = (Date.now() - started) / 1000;

  // --- shrinking: replay the first case of each distinct violation and let fast-check shrink it
  const ordered = [...groups.values()].sort((a, b) => SEVERITY.indexOf(a.rule) - SEVERITY.indexOf(b.rule));
  const shrinkDeadline = Date.now() + Math.max(30, MAX_SECONDS / 3) * 1000;
  const shrinkable = new Set(['5xx', 'no-response', 'auth-bypass', 'origin-bypass', 'leak', 'valid-credentials-refused', 'problem-json',
    'invalid-json-body', 'undeclared-status', 'undeclared-content-type']);
  for (const g of ordered) {
    if (!shrinkable.has(g.rule) || Date.now() > shrinkDeadline) continue;
    await freshToken();
    let budget = SHRINK_BUDGET;
    let smallest = null;
    await fc.check(fc.asyncProperty(arbs.get(g.op.key), async (c) => {
      if (budget <= 0) return true;
      budget--;
      const r = await runCase(g.op, c);
      const hit = r.violations.some((v) => signature(g.op, v, r.res) === g.sig);
      if (hit) smallest = { c, req: r.req, res: r.res, detail: r.violations.find((v) => signature(g.op, v, r.res) === g.sig).detail };
      return !hit;
    }), { seed: seedFor(g.op), path: String(g.first.index), numRuns: 1 });
    g.shrunk = smallest;
  }

  // --- the final checks: still healthy, and nothing was credited to the fuzz user
  const finals = [];
  tokenAt = 0;
  await freshToken();
  const readyEnd = await call('GET', '/api/ready');
  if (readyEnd.status !== 200) finals.push(`GET /api/ready answered ${readyEnd.status || readyEnd.error}: ${readyEnd.body?.toString().slice(0, 200)}`);
  const balance = await call('GET', '/api/billing/balance', { token: user.token });
  if (balance.status !== 200 || balance.json?.balance !== 0 || balance.json?.held !== 0) {
    finals.push(`GET /api/billing/balance: ${balance.status} ${balance.body?.toString().slice(0, 200)} (want balance 0, held 0)`);
  }
  const ledger = await call('GET', '/api/billing/ledger', { token: user.token });
  if (ledger.status !== 200 || !Array.isArray(ledger.json?.items) || ledger.json.items.length !== 0) {
    finals.push(`GET /api/billing/ledger: ${ledger.status} ${ledger.body?.toString().slice(0, 200)} (want no rows)`);
  }
  const credits = await call('GET', `/api/ops/users/${user.id}/credits`, { admin: adminToken });
  if (credits.status !== 200 || credits.json?.ledger_sum !== 0 || credits.json?.balance !== 0 || credits.json?.entries?.length !== 0) {
    finals.push(`GET /api/ops/users/${user.id}/credits: ${credits.status} ${credits.body?.toString().slice(0, 200)} (want no entries, balance 0)`);
  }
  const jobs = await call('GET', '/api/jobs', { token: user.token });
  if (jobs.status !== 200 || jobs.json?.items?.length !== 0) finals.push(`GET /api/jobs: ${jobs.status} ${jobs.body?.toString().slice(0, 200)} (want no jobs)`);

  // --- the report
  const total = [...groups.values()].reduce((n, g) => n + g.count, 0);
  for (const g of ordered) {
    const shown = g.shrunk || g.first;
    const body = shown.res.error ? `(no response: ${shown.res.error})` : abbreviate(shown.res.body.toString('utf8').slice(0, 300));
    console.log(`\nVIOLATION ${g.rule}: ${g.op.key} -> ${g.sig.split(' | ')[2]} (${g.count}×, first at run ${g.first.index}${g.shrunk ? ', shrunk' : ''})`);
    console.log(`  ${shown.detail}`);
    console.log(`  case: ${describe(shown.req.facts)}`);
    console.log(`  request: ${reproduction(shown.req, ctx)}`);
    console.log(`  body: ${JSON.stringify(body)}`);
  }
  if (genericSeen.size) {
    console.log('\nfuzz: returned though not declared, accepted as documented generic answers:');
    for (const [k, n] of [...genericSeen.entries()].sort()) console.log(`  ${k} (${n}×)`);
  }
  const no401 = ops.filter((op) => op.secured && !op.responses['401']).map((op) => op.key);
  if (no401.length) console.log(`\nfuzz: secured operations whose OpenAPI does not declare 401: ${no401.join(', ')}`);
  if (cutShort.length) console.log(`\nfuzz: the time budget cut these short: ${cutShort.join(', ')}`);
  if (state.unhealthyNotes.length) console.log(`\nfuzz: ${state.unhealthyNotes.join('; ')}`);
  for (const f of finals) console.log(`\nFINAL CHECK FAILED: ${f}`);
  fs.writeFileSync(REPORT, JSON.stringify({ seed: SEED, runs: RUNS, gateway: GATEWAY, violations: log }, null, 1));
  const c = stats.byClass;
  console.log(`\nfuzz: operations=${ops.length} requests=${stats.requests} fuzz_requests=${stats.fuzzRequests} ` +
    `2xx=${c['2xx']} 3xx=${c['3xx']} 4xx=${c['4xx']} 5xx=${c['5xx']} no_response=${c.none} ` +
    `violations=${total} distinct=${groups.size} final_checks=${finals.length ? 'FAILED' : 'ok'} ` +
    `seed=${SEED} runs=${RUNS} seconds=${((Date.now() - started) / 1000).toFixed(1)} (fuzzing ${fuzzSeconds.toFixed(1)})`);
  process.exit(total || finals.length ? 1 : 0);
}

function describe(f) {
  const bits = [`auth=${f.authKind}`, `body=${f.bodyHow}${f.bodySize ? `(${f.bodySize} B)` : ''}`];
  if (f.contentType && f.contentType !== 'application/json') bits.push(`content-type=${JSON.stringify(f.contentType)}`);
  if (f.pathJunk) bits.push(f.pathAltered ? 'path=junk(structural)' : 'path=junk');
  if (f.queryJunk) bits.push('query=junk');
  if (f.origin) bits.push(`origin=${JSON.stringify(f.origin)}`);
  if (f.idemKeyJunk) bits.push('idempotency-key=junk');
  if (f.actorInvalid) bits.push('x-admin-actor=invalid');
  if (f.extraHeader) bits.push(`extra-header=${f.extraHeader}`);
  if (f.malformedHttp) bits.push('malformed-http');
  if (f.bigHeader) bits.push('big-header');
  return bits.join(' ');
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
