// What a hostile client sends: fast-check arbitraries of request cases, one per operation.
// A case is plain data (so fast-check can shrink it and the report can print it); materialize()
// turns it into the bytes of one HTTP request plus the facts the judge needs about it.
import fs from 'node:fs';
import fc from 'fast-check';
import { resolve, snake, valueArb } from './schema.mjs';

/**
 * The headers whose (first) value the gateway checks for control bytes: the $http_* names of
 * bin/gateway-config's $metered_bad_header map, read from there so that the two cannot drift.
 */
const GATEWAY_CHECKED_HEADERS = (() => {
  const config = fs.readFileSync(new URL('../../bin/gateway-config', import.meta.url), 'utf8');
  const line = config.split('\n').find((l) => l.includes('\\$metered_bad_header {'));
  if (!line) throw new Error('bin/gateway-config: no $metered_bad_header map');
  return new Set([...line.matchAll(/\$http_([a-z0-9_]+)/g)].map((m) => m[1].replaceAll('_', '-')));
})();

export const BODY_LIMIT = 256 * 1024;

// None of these spell a word the leak check looks for (Exception, SELECT, java., ...): anything
// like that in a response must have come from the server, not from an echo of our input.
const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\u0001\u0002\u0003\u001f\u007f', '\t\r\n', '\u2028\u2029', '\ufeff',
  '\ud800', 'x\udfffy', '\ud83d\ude00', '\u202eevil', 'e\u0301', '\u200b', '\uffff', '\u00ff\u00fe',
  "' or '1'='1", "'; drop table users; --", '"; --', '$1', '%s%s%s%n', '{{7*7}}', '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>', '../../../../etc/passwd', '\\', '"', 'null', 'undefined', 'NaN', '-0', '1e400',
  'true', '[]', '{}', 'AAAA'.repeat(64), 'é'.repeat(100), '😀'.repeat(50),
];

const RAW_NUMBERS = ['9223372036854775808', '-9223372036854775809', '9223372036854775807', '2147483648', '-2147483649',
  '1e308', '1e400', '-1e400', '-0', '0', '-1', '0.5', '1.5', '-1.5', '1E+2', '123456789012345678901234567890',
  '0.0000000000000000000001', '1e-400', '100000000000000000000000000000000000000000.0'];

const WRONG_TYPES = [123, -1, 1.5, true, false, null, [], {}, 'str', ['a'], { $gt: '' }, [[[]]], { '': null }];

const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead'];
const WEBHOOK_STATUSES = ['received', 'processed', 'ignored', 'failed'];
const ENUM_JUNK = ['QUEUED', 'queued ', ' queued', 'queued\u0000', 'all', '*', '%', 'queued,running', "queued' or '1'='1",
  'échec', '', 'null', 'x'.repeat(300)];

const nasty = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\u2028', '\ufeff', '\ud800', '\udc00',
    'é', '😀', 'a', 'Z', '"', '\\', '/', '%', "'", ' ', '\n', '<', '&', '\u202e'), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** Junk for a header value: visible, non-ASCII and control bytes (never CR or LF: no header injection). */
const headerJunk = fc.oneof(
  fc.constantFrom('', ' ', 'x', 'Bearer', 'Bearer ', 'Bearer  ', 'bearer x', 'Basic YWRtaW46YWRtaW4=', 'Bearer null',
    'Bearer undefined', 'Bearer ' + 'A'.repeat(3000), '\u00e9\u00e8', 'ключ', '😀', '\t', 'a\u0001b', 'a\u007fb'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('a', '0', '.', '-', '_', ' ', ':', ';', ',', '=', '"', '\u0001', '\u001f', '\u007f',
    '\u00e9', '\u4e2d', '\u0000'), maxLength: 40 }),
);

const pathJunk = fc.oneof(
  fc.constantFrom('not-a-uuid', '0', '-1', '9223372036854775808', '1e3', 'null', 'undefined', 'true', '%00', 'a%00b', '%ZZ', '%',
    '%2e%2e%2f', '..%2f..%2fq%2fhealth', '..%2F..%2F..%2Fq%2Fmetrics', '../', '..', '.', '%2F', '%2f', ';', ';x=1', 'a;b',
    'a/b', '%u0041', '%C3%A9', '%C0%AE%C0%AE', '%ED%A0%80', '%FF%FE', "1'%20or%20'1'='1", '%20', '+', '*', '~', '$', '@',
    '%7B%7D', '{id}', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '{00000000-0000-0000-0000-000000000000}', '00000000-0000-0000-0000-0000000000000', '00000000000000000000000000000000',
    '0x10', '%E2%80%AE', '\u00e9', '\u4e2d\u6587', 'a'.repeat(3000), 'a'.repeat(10000), '%41'.repeat(1000)),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `${u}x`),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }).map(pct),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map(pct),
);

const TIMESTAMPS = ['+294277-01-01T00:00:00Z', '+300000-06-01T00:00:00Z', '+999999999-12-31T23:59:59.999999999Z',
  '-999999999-01-01T00:00:00Z', '+1000000-01-01T00:00:00Z', '-4714-11-23T00:00:00Z', '-5000-01-01T00:00:00Z',
  '+294276-12-31T23:59:59Z', '-4713-11-24T00:00:00Z', '0000-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '2024-02-30T00:00:00Z',
  '2025-01-01T00:00:00+18:00', '2025-01-01T00:00:00-18:00', '9999-12-31T23:59:59.999999999Z', 'now', ''];
const CURSOR_IDS = ['x', '\u0000', '9223372036854775808', '-1', '0', "1' or '1'='1", 'a'.repeat(5000), '\ud800',
  '00000000-0000-0000-0000-000000000000', '12345', 'evt_1', 'a|b'];
/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD; encodeURIComponent throws). */
function pct(s) {
  let out = '';
  for (const byte of Buffer.from(String(s), 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64url');

// A cursor is base64url("created_at|id"): well-formed ones carrying a timestamp PostgreSQL cannot
// hold or an id of the wrong kind reach the SQL; '$REAL' is an id of the kind the operation uses.
const cursorJunk = fc.oneof({ withCrossShrink: true },
  { weight: 4, arbitrary: fc.record({ ts: fc.constantFrom(...TIMESTAMPS), id: fc.oneof({ weight: 3, arbitrary: fc.constant('$REAL') },
    { weight: 2, arbitrary: fc.constantFrom(...CURSOR_IDS) }, { weight: 1, arbitrary: fc.uuid() }) })
    .map(({ ts, id }) => ({ kind: 'structured', ts, id })) },
  { weight: 1, arbitrary: fc.constantFrom('x', '!!!', '====', 'a', '%00', '%ZZ', 'AAAA', b64('|'), b64('2025-01-01T00:00:00Z|'),
    b64('2025-01-01T00:00:00Z'), 'a'.repeat(6000), '%2B%2F%3D').map((raw) => ({ kind: 'junk', raw })) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 60 }).map((s) => ({ kind: 'base64', raw: pct(s) })) },
  { weight: 1, arbitrary: fc.record({ i: fc.nat(19), suffix: fc.constantFrom('A', '=', '%00', 'x'.repeat(50), '') })
    .map((v) => ({ kind: 'harvest-mutated', ...v })) },
);

const numberJunk = fc.oneof(fc.constantFrom('', '-1', '0', '201', '10081', '2147483648', '9223372036854775808', '1e3', '1.5', '0x10',
  ' 5', '5 ', '+5', '%00', 'abc', '\u0665', 'NaN', 'Infinity', '1'.repeat(400), '-0', '%2B1'), fc.string({ maxLength: 10 }).map(pct));

/** One value for each declared query parameter: valid-ish or junk (raw, already percent-encoded). */
function queryArb(op, ctx) {
  const params = (op.parameters || []).filter((p) => p.in === 'query');
  const entries = {};
  for (const p of params) {
    const valid = validQuery(op, p.name, ctx);
    let junk;
    if (p.name === 'cursor') junk = cursorJunk;
    else if (p.name === 'limit' || p.name === 'minutes') junk = numberJunk.map((raw) => ({ kind: 'junk', raw }));
    else if (p.name === 'status') junk = fc.constantFrom(...ENUM_JUNK).map((s) => ({ kind: 'junk', raw: pct(s) }));
    else junk = fc.oneof(nasty.map((s) => ({ kind: 'junk', raw: pct(s) })), pathJunk.map((raw) => ({ kind: 'junk', raw })));
    entries[p.name] = fc.oneof({ withCrossShrink: true }, { weight: 5, arbitrary: fc.constant({ kind: 'absent' }) },
      { weight: 3, arbitrary: valid }, { weight: 3, arbitrary: junk },
      { weight: 1, arbitrary: fc.tuple(valid, junk).map(([a, b]) => ({ kind: 'repeated', first: a, second: b })) });
  }
  const extra = fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom('x=1', '%00=%00', 'limit', 'a[b]=c', '__proto__[x]=1', '&&&', '=', 'a=' + 'b'.repeat(3000)) });
  return fc.record({ params: fc.record(entries), extra });
}

function validQuery(op, name, ctx) {
  switch (name) {
    case 'limit': return fc.integer({ min: 1, max: 200 }).map((n) => ({ kind: 'valid', raw: String(n) }));
    case 'minutes': return fc.integer({ min: 1, max: 10080 }).map((n) => ({ kind: 'valid', raw: String(n) }));
    case 'cursor': return fc.nat(19).map((i) => ({ kind: 'harvest', i }));
    case 'status': return fc.constantFrom(...(op.path.includes('webhook') ? WEBHOOK_STATUSES : JOB_STATUSES))
      .map((s) => ({ kind: 'valid', raw: s }));
    case 'email': return fc.oneof(fc.constant(ctx.user.email), fc.emailAddress())
      .map((e) => ({ kind: 'valid', raw: pct(e) }));
    default: return fc.string({ unit: 'grapheme-ascii', maxLength: 10 }).map((s) => ({ kind: 'valid', raw: pct(s) }));
  }
}

function pathArb(op, ctx) {
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const out = {};
  for (const name of names) {
    let valid = fc.uuid();
    if (op.path.startsWith('/api/ops/users/')) valid = fc.oneof(fc.constant(ctx.user.id), fc.uuid());
    if (op.path.startsWith('/api/ops/dead-letters/')) valid = fc.oneof(fc.nat(1000).map(String), fc.uuid());
    if (op.path.startsWith('/api/ops/webhook-events/')) valid = fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })
      .map((s) => `evt_${s}`), fc.nat(1000).map(String));
    out[name] = fc.oneof({ withCrossShrink: true },
      { weight: 7, arbitrary: valid.map((v) => ({ kind: 'valid', raw: pct(v) })) },
      { weight: 3, arbitrary: pathJunk.map((raw) => ({ kind: 'junk', raw })) });
  }
  return fc.record(out);
}

/** Hints: field values the schema cannot tell, so that valid-ish bodies get past validation. */
function hints(op, ctx) {
  const key = (k) => fc.oneof(fc.nat(3).map((i) => `${ctx.runTag}-k${i}`), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }));
  const url = fc.oneof(fc.constantFrom(`${ctx.gateway}/billing/ok`, `${ctx.gateway}/billing/ok?session_id={CHECKOUT_SESSION_ID}`,
    'https://evil.example/x', 'javascript:alert(1)', '//evil.example', 'http://localhost:1/x', 'ftp://localhost/x', 'http://[::1]/x',
    `${ctx.gateway}@evil.example/`, 'http://localhost%00.evil.example/'), fc.webUrl());
  return {
    email: fc.oneof(fc.constant(ctx.user.email), fc.constant(ctx.user.email.toUpperCase() + ' '), fc.emailAddress()),
    password: fc.oneof(fc.constant(ctx.user.password), fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 64 })),
    refresh_token: fc.oneof(fc.constant('$SACRIFICIAL'), fc.constant('$ACCESS'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 80 })),
    type: fc.oneof(fc.constantFrom('echo', 'video.kling'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })),
    input: fc.dictionary(fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    idempotency_key: key(),
    credits: fc.oneof(fc.integer({ min: 1, max: 100000 }), fc.constantFrom(0, 100001, -1)),
    success_url: url,
    cancel_url: url,
    // never the fuzz user: an adjustment must not credit the account whose balance is checked at the end
    user_id: fc.uuid(),
    amount: fc.oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(1, -1, 1e9, -1e9)),
    reason: fc.string({ minLength: 1, maxLength: 40 }),
  };
}

function validBodyArb(op, ctx) {
  const doc = ctx.docs[op.service];
  const media = op.requestBody?.content || {};
  const schema = (media['application/json'] || media['*/*'] || Object.values(media)[0] || {}).schema || {};
  if (op.path === '/api/billing/webhook') return webhookEventArb;
  if (/\/JsonNode$/.test(schema.$ref || '')) {
    return fc.record({ prompt: fc.string({ maxLength: 30 }), duration: fc.integer({ min: 1, max: 10 }),
      idempotency_key: fc.nat(3).map((i) => `${ctx.runTag}-k${i}`) }, { requiredKeys: ['prompt'] });
  }
  const h = hints(op, ctx);
  const s = resolve(doc, schema);
  if (s.type === 'object' && s.properties) {
    const record = {};
    const required = new Set((s.required || []).map(snake));
    for (const [p, ps] of Object.entries(s.properties)) {
      const wire = snake(p);
      const ref = ps.$ref || '';
      record[wire] = h[wire] || (/\/JsonNode$/.test(ref) ? h.input : valueArb(doc, ps, h, wire));
    }
    return fc.record(record, { requiredKeys: Object.keys(record).filter((k) => required.has(k)) });
  }
  return valueArb(doc, schema, h);
}

const EVENT_TYPES = ['checkout.session.completed', 'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed', 'charge.refunded', 'charge.dispute.created', 'customer.created', 'fuzz.unknown'];
const webhookEventArb = fc.record({
  id: fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 24 }).map((s) => `evt_${s}`), fc.constant('')),
  object: fc.constant('event'),
  type: fc.constantFrom(...EVENT_TYPES),
  created: fc.integer({ min: 0, max: 2 ** 31 }),
  data: fc.record({ object: fc.record({ id: fc.string({ maxLength: 20 }).map((s) => `cs_${s}`), amount_total: fc.integer(),
    payment_status: fc.constantFrom('paid', 'unpaid'), client_reference_id: fc.uuid(),
    metadata: fc.record({ user_id: fc.uuid(), credits: fc.oneof(fc.nat(), fc.constant('9223372036854775808')) }) }) }),
});

/** A mutation of a valid body: the "how" is printed in the report, the value sent is computed at materialize time. */
function bodyArb(op, ctx) {
  const valid = validBodyArb(op, ctx);
  const field = fc.nat(20);
  const mutations = [
    fc.record({ how: fc.constant('wrong-type'), v: valid, f: field, x: fc.constantFrom(...WRONG_TYPES) }),
    fc.record({ how: fc.constant('missing-field'), v: valid, f: field }),
    fc.record({ how: fc.constant('null-field'), v: valid, f: field }),
    fc.record({ how: fc.constant('huge-string'), v: valid, f: field, n: fc.constantFrom(102400, 200000), c: fc.constantFrom('x', 'é', '\u0000', '😀') }),
    fc.record({ how: fc.constant('raw-number'), v: valid, f: field, x: fc.constantFrom(...RAW_NUMBERS) }),
    fc.record({ how: fc.constant('nasty-string'), v: valid, f: field, x: nasty }),
    fc.record({ how: fc.constant('unknown-enum'), v: valid, f: field, x: fc.constantFrom(...ENUM_JUNK, 'ECHO', 'echo ', 'video.kling\u0000', 'Video.Kling') }),
    fc.record({ how: fc.constant('extra-fields'), v: valid, x: fc.constantFrom(
      { cost: -100 }, { cost: 0, status: 'succeeded' }, { user_id: '00000000-0000-0000-0000-000000000000' }, { balance: 1e9 },
      { __proto__x: { admin: true } }, { '': 1 }, { constructor: { prototype: {} } }, { groups: ['admin'] }, { a: 'b'.repeat(1000) }) }),
    fc.record({ how: fc.constant('deep'), depth: fc.constantFrom(100, 999, 1001, 5000, 50000), shape: fc.constantFrom('array', 'object'),
      where: fc.constantFrom('body', 'field'), v: valid, f: field }),
    fc.record({ how: fc.constant('invalid-json'), v: valid, x: fc.constantFrom('truncated', 'trailing-garbage', 'trailing-json', 'bom',
      'duplicate-keys', 'single-quotes', 'comment', 'nan', 'trailing-comma', 'unquoted-keys', 'raw-control-char', 'invalid-utf8',
      'overlong-utf8', 'cesu-surrogate', 'utf16le', 'lone-surrogate-escape', 'nul-escape', 'unclosed', 'only-bom'), cut: fc.nat(1000) }),
    fc.record({ how: fc.constant('top-level'), x: fc.constantFrom('[]', '"str"', '1', 'true', 'null', '{}', '[{}]', '""', ' ', '\n', '0') }),
    fc.record({ how: fc.constant('empty') }),
    fc.record({ how: fc.constant('array-of-valid'), v: valid }),
    fc.record({ how: fc.constant('string-of-valid'), v: valid }),
    fc.record({ how: fc.constant('camelCase-names'), v: valid }),
    fc.record({ how: fc.constant('oversize'), size: fc.constantFrom(BODY_LIMIT + 1, 300 * 1024, 2 * 1024 * 1024), chunked: fc.boolean(), v: valid }),
    fc.record({ how: fc.constant('at-limit'), v: valid, chunked: fc.boolean(), size: fc.constantFrom(BODY_LIMIT, BODY_LIMIT - 1, BODY_LIMIT - 100) }),
  ];
  const takesBody = Boolean(op.requestBody);
  return fc.oneof({ withCrossShrink: true },
    { weight: takesBody ? 0 : 12, arbitrary: fc.constant({ how: 'none' }) },
    { weight: takesBody ? 5 : 0, arbitrary: valid.map((v) => ({ how: 'valid', v })) },
    ...mutations.map((arbitrary) => ({ weight: 1, arbitrary })));
}

const contentTypeArb = fc.oneof({ withCrossShrink: true },
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 4, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '(none)', 'multipart/form-data; boundary=x',
    'application/xml', 'application/problem+json', 'application/jsonx', '*/*', 'text/json', 'application/octet-stream',
    'application/json; charset=utf-16', 'application/json; charset=x-junk', 'APPLICATION/JSON', 'application/json;charset=UTF-8',
    'application/json, text/plain', '', 'application/json\u0001', 'ключ/json') });

const ORIGINS = ['https://evil.example', 'null', 'http://localhost.evil.example', 'https://localhost@evil.example',
  'http://127.0.0.1.evil.example', 'file://', 'x', 'http://localhost:1', 'http://127.0.0.1:8480', 'https://ЕVIL.example', '*'];
const originArb = fc.oneof({ withCrossShrink: true }, { weight: 6, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constantFrom(...ORIGINS) }, { weight: 1, arbitrary: headerJunk });

function stripeSignatureArb() {
  const now = Math.floor(Date.now() / 1000);
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  return fc.oneof({ withCrossShrink: true },
    fc.constant(null),
    hex.map((h) => `t=${now},v1=${h}`),
    fc.constantFrom('', 't=abc', 't=', 't', 'v1=abc', 't=9223372036854775807,v1=00', 't=99999999999999999999,v1=00',
      't=-1,v1=00', `t=${now + 100000},v1=00`, `t=${now - 100000},v1=00`, `t=${now},v0=00`, `t=${now}`, 't=1e3,v1=00',
      `t=${now},${'v1=00,'.repeat(600)}`, 'x'.repeat(5000), ',,,,', '=', `t=${now},v1=${'0'.repeat(5000)}`, `t= ${now} ,v1=00`),
    headerJunk);
}

const idemKeyArb = (ctx) => fc.oneof({ withCrossShrink: true },
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: fc.nat(3).map((i) => `${ctx.runTag}-h${i}`) },
  { weight: 3, arbitrary: fc.oneof(fc.constantFrom('', ' ', 'x'.repeat(255), 'x'.repeat(256), 'k'.repeat(10240), 'ключ', 'a b', 'a\u0001b',
    'a\u007fb', '\u00e9', 'a\u0000b'), headerJunk) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(3), headerJunk).map(([i, j]) => ({ duplicate: [`${ctx.runTag}-h${i}`, j] })) });

const actorArb = fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('fuzz', 'ops fuzz@example.com') },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom('', 'x'.repeat(65), 'a\u0001', 'ключ', '<b>', 'a;b', '\u0000'), headerJunk) });

/** Authorization: mostly the right credentials (deeper code), else one of many wrong ones. */
function authArb(op, ctx) {
  const wrong = fc.oneof(
    fc.constant({ kind: 'none' }),
    fc.constantFrom(...Object.keys(ctx.forged)).map((name) => ({ kind: 'forged', name })),
    fc.constant({ kind: 'admin-token-as-bearer' }),
    fc.constant({ kind: 'user-token' }),
    fc.constant({ kind: 'admin-token-x-header' }),
    headerJunk.map((value) => ({ kind: 'raw', value })),
    fc.constantFrom('Bearer ', 'Bearer', 'bearer ', 'BEARER ', 'Token ').chain((prefix) =>
      fc.string({ unit: 'grapheme-ascii', maxLength: 200 }).map((s) => ({ kind: 'raw', value: prefix + s }))),
    fc.constant({ kind: 'raw', value: 'Bearer ' + 'A'.repeat(20000) }),
    fc.constantFrom('first', 'second').map((order) => ({ kind: 'duplicate', order })),
    fc.constantFrom('lowercase-scheme', 'extra-spaces', 'trailing-junk').map((how) => ({ kind: 'near-miss', how })),
  );
  return fc.oneof({ withCrossShrink: true }, { weight: 7, arbitrary: fc.constantFrom('x-header', 'bearer').map((via) => ({ kind: 'good', via })) }, { weight: 3, arbitrary: wrong });
}

const extraHeaderArb = fc.oneof({ withCrossShrink: true }, { weight: 10, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(['X-Fuzz', 'y'.repeat(20000)], ['X-Forwarded-For', 'junk, 1.2.3.4'], ['X-Request-Id', 'a'.repeat(300)],
    ['Cookie', 'a=' + 'b'.repeat(3000)], ['X-HTTP-Method-Override', 'DELETE'], ['Accept-Encoding', 'gzip, x'],
    ['Expect', '100-continue'], ['Transfer-Encoding', 'identity'], ['Content-Encoding', 'gzip'], ['X-Fuzz', 'a\u0000b'], ['Range', 'bytes=0-1']) });

export function caseArb(op, ctx) {
  const parts = {
    auth: authArb(op, ctx),
    path: pathArb(op, ctx),
    query: queryArb(op, ctx),
    body: bodyArb(op, ctx),
    contentType: contentTypeArb,
    origin: originArb,
    extra: extraHeaderArb,
  };
  const params = (op.parameters || []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase());
  if (params.includes('idempotency-key') || op.method === 'POST') parts.idempotencyKey = idemKeyArb(ctx);
  if (params.includes('stripe-signature')) parts.stripeSignature = stripeSignatureArb();
  if (op.path.startsWith('/api/ops/')) parts.actor = actorArb;
  return fc.record(parts);
}

// ---------------------------------------------------------------------------------------------

function pick(obj, f) {
  const keys = obj && typeof obj === 'object' && !Array.isArray(obj) ? Object.keys(obj) : [];
  return keys.length ? keys[f % keys.length] : null;
}

const PLACEHOLDER = JSON.stringify('\u0000fuzz-raw\u0000');

/** The body bytes of a case, and what kind of body it is. */
function bodyBytes(c, ctx) {
  const b = c.body;
  const sub = (v) => JSON.parse(JSON.stringify(v ?? {}, (k, x) => (x === '$SACRIFICIAL' ? ctx.sacrificialRefresh()
    : x === '$ACCESS' ? ctx.user.token : x)));
  const json = (v) => Buffer.from(JSON.stringify(v), 'utf8');
  const withField = (v, f, value) => {
    const o = sub(v);
    const k = pick(o, f);
    if (k === null) return value;
    o[k] = value;
    return o;
  };
  switch (b.how) {
    case 'none': return { bytes: null, valid: true };
    case 'valid': return { bytes: json(sub(b.v)), valid: true };
    case 'wrong-type': return { bytes: json(withField(b.v, b.f, b.x)) };
    case 'null-field': return { bytes: json(withField(b.v, b.f, null)) };
    case 'missing-field': {
      const o = sub(b.v);
      const k = pick(o, b.f);
      if (k !== null) delete o[k];
      return { bytes: json(o) };
    }
    case 'huge-string': return { bytes: json(withField(b.v, b.f, b.c.repeat(Math.floor(b.n / Buffer.byteLength(b.c))))) };
    case 'raw-number': return { bytes: Buffer.from(JSON.stringify(withField(b.v, b.f, '\u0000fuzz-raw\u0000')).replace(PLACEHOLDER, b.x)) };
    case 'nasty-string': case 'unknown-enum': return { bytes: json(withField(b.v, b.f, b.x)) };
    case 'extra-fields': {
      const base = JSON.stringify(sub(b.v));
      const more = JSON.stringify(b.x).slice(1, -1).replace('"__proto__x"', '"__proto__"');
      if (!base.startsWith('{') || base === '{}') return { bytes: Buffer.from(`{${more}}`) };
      return { bytes: Buffer.from(`${base.slice(0, -1)},${more}}`) };
    }
    case 'deep': {
      const open = b.shape === 'array' ? '['.repeat(b.depth) : '{"a":'.repeat(b.depth);
      const close = b.shape === 'array' ? ']'.repeat(b.depth) : '}'.repeat(b.depth);
      const nested = `${open}1${close}`;
      if (b.where === 'body') return { bytes: Buffer.from(nested) };
      return { bytes: Buffer.from(JSON.stringify(withField(b.v, b.f, '\u0000fuzz-raw\u0000')).replace(PLACEHOLDER, nested)) };
    }
    case 'invalid-json': return { bytes: invalidJson(JSON.stringify(sub(b.v)), b.x, b.cut) };
    case 'top-level': return { bytes: Buffer.from(b.x) };
    case 'empty': return { bytes: Buffer.alloc(0) };
    case 'array-of-valid': return { bytes: json([sub(b.v)]) };
    case 'string-of-valid': return { bytes: json(JSON.stringify(sub(b.v))) };
    case 'camelCase-names': {
      const o = sub(b.v);
      const camel = (k) => k.replace(/_([a-z])/g, (_, x) => x.toUpperCase());
      return { bytes: json(o && typeof o === 'object' && !Array.isArray(o) ? Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v])) : o) };
    }
    case 'oversize': case 'at-limit': {
      const size = b.size;
      const base = JSON.stringify(sub(b.v) ?? {});
      const head = base === '{}' || !base.startsWith('{') ? '{"pad":"' : `${base.slice(0, -1)},"pad":"`;
      const fill = Math.max(0, size - head.length - 2);
      return { bytes: Buffer.from(`${head}${'p'.repeat(fill)}"}`), chunked: Boolean(b.chunked) };
    }
    default: throw new Error(`unknown body mutation ${b.how}`);
  }
}

function invalidJson(text, how, cut) {
  const t = text.length > 2 ? text : '{"a":"b"}';
  switch (how) {
    case 'truncated': return Buffer.from(t.slice(0, 1 + (cut % (t.length - 1))));
    case 'trailing-garbage': return Buffer.from(`${t}x`);
    case 'trailing-json': return Buffer.from(`${t} {}`);
    case 'bom': return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)]);
    case 'only-bom': return Buffer.from([0xef, 0xbb, 0xbf]);
    case 'duplicate-keys': {
      const m = /^\{"([^"]+)":/.exec(t);
      return Buffer.from(m ? `{"${m[1]}":"dup",${t.slice(1)}` : '{"a":1,"a":2}');
    }
    case 'single-quotes': return Buffer.from(t.replace(/"/g, "'"));
    case 'comment': return Buffer.from(`/* c */${t}`);
    case 'nan': return Buffer.from(t.replace(/:("[^"]*"|[^,}]+)/, ':NaN'));
    case 'trailing-comma': return Buffer.from(t.replace(/}$/, ',}'));
    case 'unquoted-keys': return Buffer.from(t.replace(/"([a-z_]+)":/g, '$1:'));
    case 'raw-control-char': return Buffer.from(t.replace(/":"/, '":"\u0001\u0000'));
    case 'invalid-utf8': return Buffer.concat([Buffer.from(t.slice(0, -1) + ',"x":"'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')]);
    case 'overlong-utf8': return Buffer.concat([Buffer.from(t.slice(0, -1) + ',"x":"'), Buffer.from([0xc0, 0x80, 0xe0, 0x80, 0xaf]), Buffer.from('"}')]);
    case 'cesu-surrogate': return Buffer.concat([Buffer.from(t.slice(0, -1) + ',"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    case 'utf16le': return Buffer.from(t, 'utf16le');
    case 'lone-surrogate-escape': return Buffer.from(t.replace(/":"/, '":"\\ud800'));
    case 'nul-escape': return Buffer.from(t.replace(/":"/, '":"\\u0000'));
    case 'unclosed': return Buffer.from('{'.repeat(2000));
    default: throw new Error(how);
  }
}

function queryString(c, ctx, op) {
  const out = [];
  const harvested = ctx.harvest.get(op.key) || [];
  const render = (name, v) => {
    if (v.kind === 'absent') return;
    if (v.kind === 'harvest') { if (harvested.length) out.push(`${name}=${pct(harvested[v.i % harvested.length])}`); return; }
    if (v.kind === 'harvest-mutated') {
      const base = harvested.length ? harvested[v.i % harvested.length] : b64('2025-01-01T00:00:00Z|x');
      out.push(`${name}=${pct(base)}${v.suffix}`);
      return;
    }
    if (v.kind === 'repeated') { render(name, v.first); render(name, v.second); return; }
    if (v.kind === 'structured') {
      let id = v.id;
      if (id === '$REAL') {
        const real = harvested.length ? Buffer.from(harvested[0], 'base64url').toString('utf8').split('|')[1] : null;
        id = real || (/\/(jobs|kling)/.test(op.path) ? '00000000-0000-0000-0000-000000000000' : op.path.includes('webhook') ? 'evt_1' : '1');
      }
      out.push(`${name}=${pct(b64(`${v.ts}|${id}`))}`);
      return;
    }
    out.push(`${name}=${v.raw}`);
  };
  for (const [name, v] of Object.entries(c.query.params)) render(name, v);
  if (c.query.extra) out.push(c.query.extra);
  return out.length ? `?${out.join('&')}` : '';
}

const STRUCTURAL = /\/|\.\.|%2f|%2e|^\.$|;|%00|^$|\\|%5c/i;

/**
 * The request bytes of a case, and the facts about it that decide which answers are acceptable:
 * {method, target, headers, body, chunked, facts}.
 */
export function materialize(op, c, ctx) {
  const facts = { bodyMutated: false, bodySize: 0, contentType: null, nonJson: false, oddCharset: false,
    pathAltered: false, pathJunk: false, queryJunk: false, malformedHttp: false, uncheckedControlByte: false, bigHeader: false,
    credentials: 'n/a', evilOrigin: false, actorInvalid: false, idemKeyJunk: false, notes: [] };
  let path = op.path;
  for (const [name, v] of Object.entries(c.path)) {
    if (v.kind === 'junk') {
      facts.pathJunk = true;
      if (STRUCTURAL.test(v.raw)) facts.pathAltered = true;
      if (/[\u0000-\u0020\u007f]/.test(v.raw) || /%00/i.test(v.raw)) facts.malformedHttp = true;
    }
    path = path.replace(`{${name}}`, v.raw);
  }
  if (Buffer.byteLength(path) > 2000) facts.bigHeader = true;
  const query = queryString(c, ctx, op);
  if (Object.values(c.query.params).some((v) => v.kind !== 'absent' && v.kind !== 'valid' && v.kind !== 'harvest') || c.query.extra) facts.queryJunk = true;
  if (Buffer.byteLength(query) > 2000) facts.bigHeader = true;
  const target = path + query;
  // bytes RFC 3986 does not allow raw in a request target: a malformed request
  if (/[^\u0021-\u007e]|[{}|\\^`"<>[\]#]|%(?![0-9A-Fa-f]{2})/.test(target)) facts.malformedHttp = true;

  const headers = [];
  const admin = op.path.startsWith('/api/ops/');
  const secured = op.secured;
  const good = admin ? ['X-Admin-Token', ctx.adminToken] : ['Authorization', `Bearer ${ctx.user.token}`];
  const a = c.auth;
  facts.authKind = a.kind === 'forged' ? `forged: ${a.name}` : a.kind;
  switch (a.kind) {
    case 'good': headers.push(admin && a.via === 'bearer' ? ['Authorization', `Bearer ${ctx.adminToken}`] : good); facts.credentials = 'good'; break;
    case 'none': facts.credentials = 'bad'; break;
    case 'forged': headers.push(['Authorization', `Bearer ${ctx.forged[a.name]}`]); facts.credentials = 'bad'; break;
    case 'admin-token-as-bearer': headers.push(['Authorization', `Bearer ${ctx.adminToken}`]); facts.credentials = admin ? 'good' : 'bad'; break;
    case 'admin-token-x-header': headers.push(['X-Admin-Token', ctx.adminToken]); facts.credentials = admin ? 'good' : 'bad'; break;
    case 'user-token': headers.push(['Authorization', `Bearer ${ctx.user.token}`]); facts.credentials = admin ? 'bad' : 'good'; break;
    case 'raw': headers.push(['Authorization', a.value]); facts.credentials = 'bad'; break;
    case 'duplicate': {
      const junk = ['Authorization', 'Bearer junk'];
      headers.push(...(a.order === 'first' ? [good, junk] : [junk, good]));
      facts.credentials = 'ambiguous';
      facts.duplicateAuthorization = true;
      break;
    }
    case 'near-miss': {
      const token = admin ? ctx.adminToken : ctx.user.token;
      const value = a.how === 'lowercase-scheme' ? `bearer ${token}` : a.how === 'extra-spaces' ? `Bearer   ${token}  ` : `Bearer ${token}x`;
      headers.push(['Authorization', value]);
      facts.credentials = a.how === 'trailing-junk' ? 'bad' : 'ambiguous';
      break;
    }
    default: throw new Error(a.kind);
  }
  if (!secured) facts.credentials = 'n/a';

  const { bytes, valid, chunked } = bodyBytes(c, ctx);
  facts.bodyMutated = !valid;
  facts.bodyHow = c.body.how;
  facts.bodySize = bytes ? bytes.length : 0;
  if (bytes !== null) {
    const ct = c.contentType;
    facts.contentType = ct;
    if (ct !== '(none)') headers.push(['Content-Type', ct]);
    const base = ct.split(';')[0].trim().toLowerCase();
    facts.nonJson = base !== 'application/json';
    facts.oddCharset = !facts.nonJson && /charset=(?!utf-8)/i.test(ct);
    if (/[\u0000-\u001f\u007f]/.test(ct)) facts.malformedHttp = true;
  }
  if (c.origin !== null && c.origin !== undefined) {
    headers.push(['Origin', c.origin]);
    facts.origin = c.origin;
    // what the server sees: HTTP drops the spaces and tabs around a header value
    const seen = c.origin.replace(/^[ \t]+|[ \t]+$/g, '');
    facts.evilOrigin = seen !== '' && !ctx.originAllowed(seen);
  }
  if (c.idempotencyKey !== undefined && c.idempotencyKey !== null) {
    if (typeof c.idempotencyKey === 'object') {
      for (const v of c.idempotencyKey.duplicate) headers.push(['Idempotency-Key', v]);
      facts.idemKeyJunk = true;
    } else {
      headers.push(['Idempotency-Key', c.idempotencyKey]);
      facts.idemKeyJunk = !c.idempotencyKey.startsWith(ctx.runTag);
    }
  }
  if (c.stripeSignature !== undefined && c.stripeSignature !== null) headers.push(['Stripe-Signature', c.stripeSignature]);
  if (c.actor !== undefined && c.actor !== null) {
    headers.push(['X-Admin-Actor', c.actor]);
    facts.actorInvalid = !/^[A-Za-z0-9 ._@+-]{1,64}$/.test(c.actor.replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  if (c.extra) headers.push(c.extra);
  const named = new Set();
  for (const [name, value] of headers) {
    const v = String(value);
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v)) {
      facts.malformedHttp = true;
      // the gateway checks the first header of the names the API reads; a control byte elsewhere
      // reaches the services' HTTP server, whose 400 has no body (docs/API.md, "malformed requests")
      if (!GATEWAY_CHECKED_HEADERS.has(name.toLowerCase()) || named.has(name.toLowerCase())) facts.uncheckedControlByte = true;
    }
    named.add(name.toLowerCase());
    if (Buffer.byteLength(v) + name.length > 7000) facts.bigHeader = true;
    if (/[^\u0000-\u00ff]/.test(v) || /[\u0080-\u00ff]/.test(v)) facts.nonAsciiHeader = true;
    if (/^\s|\s$/.test(v)) facts.padded = true;
  }
  if (c.extra) facts.extraHeader = c.extra[0];
  if (c.extra && c.extra[0] === 'Transfer-Encoding') facts.malformedHttp = true; // identity is no transfer coding (RFC 9112)
  // a chunked body's last chunk comes 150 ms later: how a slow client (or a slow network) sends it
  return { method: op.method, target, headers, body: bytes, chunked: Boolean(chunked), lastChunkDelayMs: chunked ? 150 : 0, facts };
}
