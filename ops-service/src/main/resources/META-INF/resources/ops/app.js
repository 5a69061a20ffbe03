'use strict';
// The operator's dashboard. No framework and nothing inline: the page is served under
// Content-Security-Policy default-src 'self'. Data only ever reaches the DOM as textContent.
(() => {
  const TOKEN_KEY = 'metered.ops.adminToken';
  const ACTOR_KEY = 'metered.ops.actor';
  const REFRESH_MS = 15000;
  const PAGE_SIZE = 50;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  // A sign-out bumps the generation so that answers to requests of an earlier session are dropped.
  let generation = 0;
  let refreshTimer = null;
  let refreshing = null;
  let refreshAgain = null;
  let refreshCount = 0;

  class Unauthorized extends Error {}

  function session() {
    return { token: sessionStorage.getItem(TOKEN_KEY), actor: sessionStorage.getItem(ACTOR_KEY) || '' };
  }

  function adminHeaders(token, actor) {
    const headers = { 'X-Admin-Token': token, Accept: 'application/json, application/problem+json' };
    if (actor) headers['X-Admin-Actor'] = actor;
    return headers;
  }

  // Resolves to {status, ok, body} whatever the status; a body that is not JSON becomes null.
  async function request(path, { method = 'GET', body, headers = {} } = {}) {
    const init = { method, headers: { ...headers }, cache: 'no-store', credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let parsed = null;
    const type = response.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      try { parsed = await response.json(); } catch { parsed = null; }
    }
    return { status: response.status, ok: response.ok, body: parsed };
  }

  // An admin call: a 401 ends the session and throws, so callers only see the other answers.
  async function admin(path, options = {}) {
    const { token, actor } = session();
    if (!token) throw new Unauthorized();
    const myGeneration = generation;
    const result = await request(path, { ...options, headers: adminHeaders(token, actor) });
    if (myGeneration !== generation) throw new Unauthorized();
    if (result.status === 401) {
      signOut('The admin token was refused (401 Unauthorized). Sign in again.');
      throw new Unauthorized();
    }
    return result;
  }

  function problemText(result) {
    const p = result.body || {};
    const title = p.title || `HTTP ${result.status}`;
    return p.detail ? `${result.status} ${title}: ${p.detail}` : `${result.status} ${title}`;
  }

  function networkText(err) {
    return `Could not reach the service (${err && err.message ? err.message : err}).`;
  }

  function show(el, text, kind) {
    el.textContent = text;
    el.classList.remove('ok', 'bad', 'warn');
    if (kind) el.classList.add(kind);
    el.hidden = !text;
  }

  function clearChildren(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function td(text, className) {
    const cell = document.createElement('td');
    cell.textContent = text === null || text === undefined || text === '' ? '–' : String(text);
    if (className) cell.className = className;
    return cell;
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function formatTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function timeCell(iso) {
    const cell = document.createElement('td');
    if (!iso) {
      cell.textContent = '–';
      return cell;
    }
    const time = document.createElement('time');
    time.dateTime = iso;
    time.title = iso;
    time.textContent = formatTime(iso);
    cell.appendChild(time);
    return cell;
  }

  function formatAge(seconds) {
    if (seconds === null || seconds === undefined) return 'no heartbeat recorded';
    const s = Math.round(Number(seconds));
    if (s < 120) return `${s} s ago`;
    if (s < 7200) return `${Math.round(s / 60)} min ago`;
    return `${Math.round(s / 3600)} h ago`;
  }

  function yesNo(el, value, goodText, badText) {
    el.textContent = value ? goodText : badText;
    el.classList.toggle('good', Boolean(value));
    el.classList.toggle('bad-text', !value);
  }

  // Key characters allowed by the API: [A-Za-z0-9._:-]{1,128}.
  function randomKey() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return `ops-adjust-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }

  // ---- sign-in ----

  function showSignIn(message, kind = 'bad') {
    $('dashboard').hidden = true;
    $('session').hidden = true;
    $('signin').hidden = false;
    show($('signin-error'), message || '', kind);
    $('signin-token').focus();
  }

  function showDashboard() {
    const { actor } = session();
    $('signin').hidden = true;
    $('dashboard').hidden = false;
    $('session').hidden = false;
    $('whoami').textContent = actor ? `Signed in as ${actor}` : 'Signed in';
    if (!$('adjust-key').value) $('adjust-key').value = randomKey();
    refreshAll();
    clearInterval(refreshTimer);
    refreshTimer = setInterval(() => {
      if (!document.hidden) refreshAll();
    }, REFRESH_MS);
  }

  function signOut(message, kind) {
    generation += 1;
    clearInterval(refreshTimer);
    refreshTimer = null;
    refreshing = null;
    refreshAgain = null;
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACTOR_KEY);
    for (const id of ['alerts-body', 'webhooks-body', 'deadletters-body', 'lookup-entries', 'queue-chart', 'metrics-facts']) {
      clearChildren($(id));
    }
    for (const id of ['webhooks-outcome', 'deadletters-outcome', 'adjust-result', 'lookup-error']) show($(id), '');
    $('lookup-result').hidden = true;
    showSignIn(message, kind);
  }

  async function onSignIn(event) {
    event.preventDefault();
    const token = $('signin-token').value.trim();
    const actor = $('signin-actor').value.trim();
    if (!token) {
      show($('signin-error'), 'Enter the admin token.', 'bad');
      return;
    }
    // the service refuses any other X-Admin-Actor; a header value must be printable ASCII anyway
    if (actor && !/^[A-Za-z0-9 ._@+-]{1,64}$/.test(actor)) {
      show($('signin-error'), 'Your name may have up to 64 letters, digits, spaces or . _ @ + - (other characters are refused by the service).', 'bad');
      return;
    }
    if (!/^[\x21-\x7e]+$/.test(token)) {
      show($('signin-error'), 'The admin token may contain only printable ASCII characters without spaces.', 'bad');
      return;
    }
    const button = $('signin-submit');
    button.disabled = true;
    show($('signin-error'), '');
    try {
      const result = await request('/api/ops/alerts', { headers: adminHeaders(token, actor) });
      if (result.status === 401 || result.status === 403) {
        show($('signin-error'), `That admin token was refused (${result.status} ${result.status === 401 ? 'Unauthorized' : 'Forbidden'}).`, 'bad');
        return;
      }
      if (!result.ok) {
        show($('signin-error'), `The service answered ${problemText(result)}.`, 'bad');
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, token);
      if (actor) sessionStorage.setItem(ACTOR_KEY, actor);
      else sessionStorage.removeItem(ACTOR_KEY);
      $('signin-token').value = '';
      showDashboard();
    } catch (err) {
      show($('signin-error'), networkText(err), 'bad');
    } finally {
      button.disabled = false;
    }
  }

  // ---- sections ----

  async function loadReadiness() {
    const errorEl = $('readiness-error');
    let result;
    try {
      result = await request('/api/ready');
    } catch (err) {
      show(errorEl, networkText(err), 'bad');
      return;
    }
    const r = result.body;
    if ((result.status !== 200 && result.status !== 503) || !r || typeof r.ready !== 'boolean') {
      show(errorEl, `Readiness: unexpected answer ${problemText(result)}`, 'bad');
      return;
    }
    show(errorEl, '');
    const state = $('ready-state');
    state.textContent = r.ready ? 'Ready' : 'Not ready';
    state.dataset.state = r.ready ? 'ready' : 'not-ready';
    state.classList.toggle('ok', r.ready);
    state.classList.toggle('bad', !r.ready);
    yesNo($('ready-db'), r.db_ok, 'database ok', 'database DOWN');
    yesNo($('ready-worker'), r.worker_ok, 'worker ok', 'worker NOT ok');
    $('ready-heartbeat').textContent = r.worker_last_heartbeat
      ? `${formatAge(r.worker_heartbeat_age_seconds)} (${formatTime(r.worker_last_heartbeat)})`
      : formatAge(null);
    const depth = r.queue_depth || {};
    $('ready-queued').textContent = depth.queued ?? '–';
    $('ready-running').textContent = depth.running ?? '–';
  }

  async function loadMetrics() {
    const errorEl = $('metrics-error');
    const result = await admin('/api/ops/metrics');
    if (!result.ok || !result.body) {
      show(errorEl, `Metrics: ${problemText(result)}`, 'bad');
      return;
    }
    show(errorEl, '');
    const m = result.body;
    const depth = m.queue_depth || {};
    const worker = m.worker || {};
    const workers = Array.isArray(worker.workers) ? worker.workers : [];
    const facts = [
      ['Queue by status', ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead']
        .map((k) => `${k} ${depth[k] ?? '–'}`).join(' · ')],
      ['Jobs failed, last hour', m.jobs_failed_last_hour],
      ['Webhooks failed, last hour', m.webhook_failed_last_hour],
      ['Dead letters, last 24 h', m.dead_letters_last_24h],
      ['Ledger drift (accounts)', m.ledger_drift],
      ['Workers', workers.length
        ? workers.map((w) => `${w.worker_id} (${w.in_flight} in flight, beat ${formatTime(w.last_beat)})`).join('; ')
        : 'none reporting'],
      ['Last recovery', worker.recovered_last_summary ? JSON.stringify(worker.recovered_last_summary) : 'none'],
    ];
    const dl = $('metrics-facts');
    clearChildren(dl);
    for (const [name, value] of facts) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value === null || value === undefined ? '–' : String(value);
      if ((name === 'Ledger drift (accounts)' && value > 0) || (name === 'Webhooks failed, last hour' && value > 0)) {
        dd.classList.add('bad-text');
      }
      dl.append(dt, dd);
    }
  }

  function svg(name, attrs, text) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function niceMax(value) {
    if (value <= 4) return 4;
    const magnitude = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (step * magnitude >= value) return step * magnitude;
    }
    return 10 * magnitude;
  }

  function drawChart(samples) {
    const box = $('queue-chart');
    clearChildren(box);
    if (!samples.length) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.id = 'queue-chart-empty';
      p.textContent = 'No queue depth samples recorded yet.';
      box.appendChild(p);
      return;
    }
    const W = 720;
    const H = 220;
    const left = 40;
    const right = 12;
    const top = 10;
    const bottom = 26;
    const plotW = W - left - right;
    const plotH = H - top - bottom;
    const times = samples.map((s) => Date.parse(s.sampled_at));
    const t0 = times[0];
    const t1 = times[times.length - 1];
    const span = Math.max(t1 - t0, 1);
    const max = niceMax(Math.max(1, ...samples.map((s) => Math.max(Number(s.queued) || 0, Number(s.running) || 0))));
    const x = (t) => left + (samples.length === 1 ? plotW / 2 : ((t - t0) / span) * plotW);
    const y = (v) => top + plotH - (Math.max(0, Number(v) || 0) / max) * plotH;

    const last = samples[samples.length - 1];
    const root = svg('svg', {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-labelledby': 'queue-chart-title',
      preserveAspectRatio: 'xMidYMid meet',
    });
    root.appendChild(svg('title', { id: 'queue-chart-title' },
      `Queue depth: ${samples.length} samples from ${formatTime(samples[0].sampled_at)} to ${formatTime(last.sampled_at)}; ` +
      `latest queued ${last.queued}, running ${last.running}; highest ${Math.max(...samples.map((s) => s.queued))} queued.`));

    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i;
      const yy = y(v);
      root.appendChild(svg('line', { class: i === 0 ? 'axis' : 'gridline', x1: left, x2: W - right, y1: yy, y2: yy }));
      root.appendChild(svg('text', { class: 'tick', x: left - 6, y: yy + 4, 'text-anchor': 'end' },
        Number.isInteger(v) ? String(v) : v.toFixed(1)));
    }
    root.appendChild(svg('line', { class: 'axis', x1: left, x2: left, y1: top, y2: top + plotH }));
    const timeLabel = (iso) => formatTime(iso).slice(11, 16);
    root.appendChild(svg('text', { class: 'tick', x: left, y: H - 6, 'text-anchor': 'start' }, timeLabel(samples[0].sampled_at)));
    root.appendChild(svg('text', { class: 'tick', x: W - right, y: H - 6, 'text-anchor': 'end' }, timeLabel(last.sampled_at)));

    for (const series of ['queued', 'running']) {
      const points = samples.map((s, i) => `${x(times[i]).toFixed(1)},${y(s[series]).toFixed(1)}`).join(' ');
      root.appendChild(svg('polyline', { class: `series ${series}`, points, 'data-series': series }));
      root.appendChild(svg('circle', { class: `dot ${series}`, cx: x(t1).toFixed(1), cy: y(last[series]).toFixed(1), r: 3 }));
    }
    box.appendChild(root);
  }

  async function loadChart() {
    const errorEl = $('queue-error');
    const result = await admin('/api/ops/queue-depth/samples?minutes=60');
    if (!result.ok || !result.body || !Array.isArray(result.body.samples)) {
      show(errorEl, `Queue depth: ${problemText(result)}`, 'bad');
      return;
    }
    show(errorEl, '');
    drawChart(result.body.samples);
  }

  async function loadAlerts() {
    const errorEl = $('alerts-error');
    const result = await admin('/api/ops/alerts');
    if (!result.ok || !result.body || !Array.isArray(result.body.alerts)) {
      show(errorEl, `Alerts: ${problemText(result)}`, 'bad');
      return;
    }
    show(errorEl, '');
    const alerts = [...result.body.alerts].sort((a, b) => Number(b.firing) - Number(a.firing));
    const firing = alerts.filter((a) => a.firing);
    const summary = $('alerts-summary');
    summary.textContent = firing.length
      ? `${firing.length} firing: ${firing.map((a) => a.name).join(', ')}`
      : 'No alert is firing.';
    summary.className = firing.length ? 'message bad' : 'message ok';
    const body = $('alerts-body');
    clearChildren(body);
    for (const a of alerts) {
      const row = document.createElement('tr');
      row.dataset.alert = a.name;
      row.dataset.firing = String(Boolean(a.firing));
      if (a.firing) row.classList.add('firing');
      row.append(td(a.name, 'id'), td(a.firing ? 'FIRING' : 'ok', 'state'), td(a.value, 'num'), td(a.threshold, 'num'),
        td(a.description));
      body.appendChild(row);
    }
  }

  // A paged list: the first page replaces the table, "load more" appends the next one.
  function pagedList({ url, bodyId, moreId, emptyId, errorId, label, renderRow }) {
    // only the latest load renders: an earlier answer (another status filter) arriving late is dropped
    const state = { cursor: null, seq: 0 };
    async function load(append) {
      const errorEl = $(errorId);
      const { path, query } = url();
      const params = new URLSearchParams(query);
      params.set('limit', String(PAGE_SIZE));
      if (append && state.cursor) params.set('cursor', state.cursor);
      const seq = ++state.seq;
      const result = await admin(`${path}?${params}`);
      if (seq !== state.seq) return;
      if (!result.ok || !result.body || !Array.isArray(result.body.items)) {
        show(errorEl, `${label}: ${problemText(result)}`, 'bad');
        return;
      }
      show(errorEl, '');
      const body = $(bodyId);
      if (!append) clearChildren(body);
      for (const item of result.body.items) body.appendChild(renderRow(item));
      state.cursor = result.body.next_cursor || null;
      $(moreId).hidden = !state.cursor;
      $(emptyId).hidden = body.childElementCount > 0;
    }
    $(moreId).addEventListener('click', () => load(true).catch(reportUnexpected));
    return load;
  }

  function actionCell(buttonText, testId, onClick) {
    const cell = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = buttonText;
    button.dataset.testid = testId;
    const outcome = document.createElement('span');
    outcome.className = 'outcome-text';
    outcome.dataset.testid = 'row-outcome';
    outcome.setAttribute('aria-live', 'polite');
    button.addEventListener('click', () => onClick(button, outcome).catch(reportUnexpected));
    cell.append(button, outcome);
    return { cell, button, outcome };
  }

  function setOutcome(el, text, kind) {
    el.textContent = text;
    el.classList.remove('ok', 'bad', 'warn');
    if (kind) el.classList.add(kind);
  }

  async function reprocessEvent(id, button, outcome) {
    button.disabled = true;
    setOutcome(outcome, 'Reprocessing…');
    let result;
    try {
      result = await admin(`/api/ops/webhook-events/${encodeURIComponent(id)}/reprocess`, { method: 'POST' });
    } catch (err) {
      if (err instanceof Unauthorized) return;
      setOutcome(outcome, networkText(err), 'bad');
      button.disabled = false;
      return;
    }
    let text;
    let kind;
    const event = result.body || {};
    if (result.status === 200 && event.status === 'failed') {
      text = `Event ${id} reprocessed: failed again — ${event.last_error || 'no error recorded'}`;
      kind = 'bad';
    } else if (result.status === 200) {
      text = `Event ${id} reprocessed: ${event.status}`;
      kind = 'ok';
    } else if (result.status === 202) {
      text = `Event ${id}: the attempt is still pending (status ${event.status || 'unknown'}); the list will show its result`;
      kind = 'warn';
    } else {
      text = `Event ${id}: ${problemText(result)}`;
      kind = 'bad';
    }
    setOutcome(outcome, text, kind);
    const summary = $('webhooks-outcome');
    show(summary, text, kind);
    summary.dataset.eventId = id;
    // processed | ignored | failed (the attempt failed again) | pending (202) | http-NNN (a problem)
    summary.dataset.result = result.status === 200 ? String(event.status) : result.status === 202 ? 'pending' : `http-${result.status}`;
    await refreshAll();
  }

  function webhookRow(e) {
    const row = document.createElement('tr');
    row.dataset.eventId = e.id;
    row.dataset.status = e.status;
    row.append(td(e.id, 'id'), td(e.type), td(e.status), td(e.attempts, 'num'), td(e.last_error, 'error-text'),
      timeCell(e.received_at), timeCell(e.processed_at));
    if (e.status === 'failed' || e.status === 'received') {
      const { cell } = actionCell('Reprocess', 'reprocess', (button, outcome) => reprocessEvent(e.id, button, outcome));
      cell.querySelector('button').setAttribute('aria-label', `Reprocess event ${e.id}`);
      row.appendChild(cell);
    } else {
      row.appendChild(td(''));
    }
    return row;
  }

  const loadWebhooks = pagedList({
    url: () => {
      const status = $('webhook-status').value;
      return { path: '/api/ops/webhook-events', query: status ? { status } : {} };
    },
    bodyId: 'webhooks-body',
    moreId: 'webhooks-more',
    emptyId: 'webhooks-empty',
    errorId: 'webhooks-error',
    label: 'Webhook events',
    renderRow: webhookRow,
  });

  async function requeueDeadLetter(id, button, outcome) {
    button.disabled = true;
    setOutcome(outcome, 'Requeueing…');
    let result;
    try {
      result = await admin(`/api/ops/dead-letters/${encodeURIComponent(id)}/requeue`, { method: 'POST' });
    } catch (err) {
      if (err instanceof Unauthorized) return;
      setOutcome(outcome, networkText(err), 'bad');
      button.disabled = false;
      return;
    }
    let text;
    let kind;
    if (result.ok) {
      const r = result.body || {};
      text = `Dead letter ${id} requeued as job ${r.job_id} (${r.status})`;
      kind = 'ok';
    } else {
      text = `Dead letter ${id}: ${problemText(result)}`;
      kind = 'bad';
      button.disabled = false;
    }
    setOutcome(outcome, text, kind);
    const summary = $('deadletters-outcome');
    show(summary, text, kind);
    summary.dataset.deadLetterId = String(id);
    summary.dataset.result = result.ok ? 'queued' : `http-${result.status}`;
    if (result.ok || result.status === 409) await refreshAll();
  }

  function deadLetterRow(d) {
    const row = document.createElement('tr');
    row.dataset.deadLetterId = String(d.id);
    row.append(td(d.id, 'num'), td(d.job_id, 'id'), td(d.user_id, 'id'), td(d.type), td(d.attempts, 'num'),
      td(d.last_error, 'error-text'), timeCell(d.created_at), timeCell(d.requeued_at));
    if (d.requeued_at) {
      row.appendChild(td('requeued'));
    } else {
      const { cell } = actionCell('Requeue', 'requeue', (button, outcome) => requeueDeadLetter(d.id, button, outcome));
      cell.querySelector('button').setAttribute('aria-label', `Requeue dead letter ${d.id}`);
      row.appendChild(cell);
    }
    return row;
  }

  const loadDeadLetters = pagedList({
    url: () => ({ path: '/api/ops/dead-letters', query: {} }),
    bodyId: 'deadletters-body',
    moreId: 'deadletters-more',
    emptyId: 'deadletters-empty',
    errorId: 'deadletters-error',
    label: 'Dead letters',
    renderRow: deadLetterRow,
  });

  // ---- credits ----

  const ADJUST_FIELDS = {
    userid: 'adjust-user',
    amount: 'adjust-amount',
    reason: 'adjust-reason',
    idempotencykey: 'adjust-key',
  };

  function fieldFor(name) {
    const last = String(name || '').split(/[.[\]/]/).filter(Boolean).pop() || '';
    return ADJUST_FIELDS[last.replace(/_/g, '').toLowerCase()] || null;
  }

  // "errors" may be a list of {field|name|path|property, message|detail|reason} or a map field -> message(s).
  function normaliseErrors(errors) {
    const out = [];
    if (Array.isArray(errors)) {
      for (const e of errors) {
        if (e && typeof e === 'object') {
          out.push({ field: e.field ?? e.name ?? e.path ?? e.property ?? e.pointer ?? '',
            message: e.message ?? e.detail ?? e.reason ?? e.title ?? JSON.stringify(e) });
        } else {
          out.push({ field: '', message: String(e) });
        }
      }
    } else if (errors && typeof errors === 'object') {
      for (const [field, message] of Object.entries(errors)) {
        out.push({ field, message: Array.isArray(message) ? message.join('; ') : String(message) });
      }
    }
    return out;
  }

  function clearFieldErrors() {
    for (const inputId of Object.values(ADJUST_FIELDS)) {
      $(inputId).removeAttribute('aria-invalid');
      show($(`${inputId}-error`), '');
    }
  }

  function showAdjustResult(text, kind, extraLines) {
    const box = $('adjust-result');
    clearChildren(box);
    const p = document.createElement('span');
    p.textContent = text;
    box.appendChild(p);
    if (extraLines && extraLines.length) {
      const ul = document.createElement('ul');
      for (const line of extraLines) {
        const li = document.createElement('li');
        li.textContent = line;
        ul.appendChild(li);
      }
      box.appendChild(ul);
    }
    box.classList.remove('ok', 'bad', 'warn');
    box.classList.add(kind);
    box.hidden = false;
  }

  async function onAdjust(event) {
    event.preventDefault();
    clearFieldErrors();
    const rawAmount = $('adjust-amount').value.trim();
    const payload = {
      user_id: $('adjust-user').value.trim(),
      // anything that is not a whole number goes as typed, so the service's validation answers it
      amount: /^[-+]?\d+$/.test(rawAmount) ? Number(rawAmount) : rawAmount,
      reason: $('adjust-reason').value.trim(),
      idempotency_key: $('adjust-key').value.trim(),
    };
    const button = $('adjust-submit');
    button.disabled = true;
    try {
      const result = await admin('/api/ops/credits/adjust', { method: 'POST', body: payload });
      if (result.status === 201 || result.status === 200) {
        const r = result.body || {};
        const again = result.status === 200 ? ' (a repeat of an earlier adjustment with this key: nothing new was booked)' : '';
        showAdjustResult(`Ledger entry ${r.entry_id}: ${r.amount > 0 ? '+' : ''}${r.amount} credits for ${r.user_id}; balance now ${r.balance}${again}.`, 'ok');
        if (result.status === 201) $('adjust-key').value = randomKey();
        if ($('lookup-user').value.trim().toLowerCase() === String(r.user_id).toLowerCase() && !$('lookup-result').hidden) {
          await lookup(r.user_id);
        }
        return;
      }
      const errors = normaliseErrors(result.body && result.body.errors);
      const general = [];
      for (const e of errors) {
        const inputId = fieldFor(e.field);
        if (inputId) {
          $(inputId).setAttribute('aria-invalid', 'true');
          const el = $(`${inputId}-error`);
          show(el, el.textContent ? `${el.textContent}; ${e.message}` : e.message);
        }
        general.push(e.field ? `${e.field}: ${e.message}` : e.message);
      }
      showAdjustResult(problemText(result), 'bad', general);
    } catch (err) {
      if (!(err instanceof Unauthorized)) showAdjustResult(networkText(err), 'bad');
    } finally {
      button.disabled = false;
    }
  }

  async function lookup(userId) {
    const errorEl = $('lookup-error');
    const result = await admin(`/api/ops/users/${encodeURIComponent(userId)}/credits`);
    if (!result.ok || !result.body) {
      show(errorEl, problemText(result), 'bad');
      $('lookup-result').hidden = true;
      return;
    }
    show(errorEl, '');
    const c = result.body;
    $('lookup-balance').textContent = String(c.balance);
    $('lookup-held').textContent = String(c.held);
    const sum = $('lookup-ledger-sum');
    const drift = Number(c.ledger_sum) !== Number(c.balance);
    sum.textContent = drift ? `${c.ledger_sum} (differs from the balance!)` : String(c.ledger_sum);
    sum.classList.toggle('bad-text', drift);
    const body = $('lookup-entries');
    clearChildren(body);
    for (const e of c.entries || []) {
      const row = document.createElement('tr');
      row.dataset.entryId = String(e.id);
      row.append(td(e.id, 'num'), td(e.amount, 'num'), td(e.kind), td(e.reference, 'id'), td(e.actor), td(e.reason),
        timeCell(e.created_at));
      body.appendChild(row);
    }
    $('lookup-result').hidden = false;
  }

  async function onLookup(event) {
    event.preventDefault();
    const userId = $('lookup-user').value.trim();
    if (!userId) return;
    const button = $('lookup-submit');
    button.disabled = true;
    try {
      await lookup(userId);
    } catch (err) {
      if (!(err instanceof Unauthorized)) show($('lookup-error'), networkText(err), 'bad');
    } finally {
      button.disabled = false;
    }
  }

  // ---- refresh ----

  function reportUnexpected(err) {
    if (err instanceof Unauthorized) return;
    show($('readiness-error'), networkText(err), 'bad');
  }

  // A refresh asked for while one runs is done after it, so it sees the latest writes.
  function refreshAll() {
    if (refreshing) {
      if (!refreshAgain) {
        const myGeneration = generation;
        refreshAgain = refreshing.then(() => {
          refreshAgain = null;
          return myGeneration === generation ? refreshAll() : undefined;
        });
      }
      return refreshAgain;
    }
    const myGeneration = generation;
    const sections = [
      [loadReadiness, 'readiness-error'],
      [loadMetrics, 'metrics-error'],
      [loadChart, 'queue-error'],
      [loadAlerts, 'alerts-error'],
      [() => loadWebhooks(false), 'webhooks-error'],
      [() => loadDeadLetters(false), 'deadletters-error'],
    ];
    refreshing = Promise.all(sections.map(([load, errorId]) => load().catch((err) => {
      if (!(err instanceof Unauthorized) && myGeneration === generation) show($(errorId), networkText(err), 'bad');
    }))).then(() => {
      if (myGeneration !== generation) return;
      refreshing = null;
      refreshCount += 1;
      $('last-refresh').textContent = `Updated ${formatTime(new Date().toISOString()).slice(11)}`;
      // lets a test wait for the end of a refresh
      document.body.dataset.refreshes = String(refreshCount);
    });
    return refreshing;
  }

  function start() {
    $('signin-form').addEventListener('submit', onSignIn);
    $('signout').addEventListener('click', () => signOut('Signed out.', 'ok'));
    $('refresh-now').addEventListener('click', () => refreshAll());
    $('webhook-status').addEventListener('change', () => {
      loadWebhooks(false).catch(reportUnexpected);
    });
    $('adjust-form').addEventListener('submit', onAdjust);
    $('adjust-new-key').addEventListener('click', () => {
      $('adjust-key').value = randomKey();
    });
    $('lookup-form').addEventListener('submit', onLookup);
    if (session().token) showDashboard();
    else showSignIn('');
  }

  start();
})();
