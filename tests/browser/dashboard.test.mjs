// Drives the operator's dashboard (/ops/) in Chromium, against the real stack or the fake
// (tests/ops-fake/server.mjs). Plain node; exits non-zero with the failing step on failure.
//
// Env: METERED_BASE_URL (default http://localhost:8080), ADMIN_TOKEN, SEEDED_FAILED_EVENT_ID (a
// failed webhook event that the service will process when reprocessed), SCREENSHOT_PATH
// (optional), CHROMIUM_PATH (default /usr/bin/chromium). Optional steps that change data:
// ADJUST_USER_ID (adjusts that user's credits by +1 and looks them up), REQUEUE_DEAD_LETTER_ID
// (requeues it and expects either the new job or the 402/409 problem's detail on the page).
import { chromium } from 'playwright-core';

const base = (process.env.METERED_BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
const token = process.env.ADMIN_TOKEN || '';
const eventId = process.env.SEEDED_FAILED_EVENT_ID || '';
const screenshotPath = process.env.SCREENSHOT_PATH || '';
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const actor = 'dashboard-test';
const WAIT = 15000;

if (!token || !eventId) {
  console.error('dashboard.test: set ADMIN_TOKEN and SEEDED_FAILED_EVENT_ID');
  process.exit(2);
}

let passed = 0;
let phase = 'load';
const consoleErrors = [];
const foreignRequests = [];

let allowedStatuses = [];

// Expected noise: Chromium logs every HTTP error answer to a fetch as a console error. Let through
// are a 503 of /api/ready (not ready is a reading) and, in the steps that provoke them on purpose,
// the admin API's answers with the statuses the step allows (401 for a wrong token, …).
function expectedError(msg) {
  const text = msg.text();
  const url = msg.location().url || '';
  const m = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
  if (!m) return false;
  if (m[1] === '503' && url.endsWith('/api/ready')) return true;
  return allowedStatuses.includes(Number(m[1])) && url.includes('/api/ops/');
}

async function step(name, fn, { allow = [] } = {}) {
  phase = name;
  allowedStatuses = allow;
  await fn();
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

let inFlight = 0;

// Waits until no request of the page is in flight (their console messages in the current phase).
async function settle(page) {
  const deadline = Date.now() + WAIT;
  while (inFlight > 0 && Date.now() < deadline) await page.waitForTimeout(50);
  await page.waitForTimeout(250);
}

const row = (page, id) => page.locator(`#webhooks-body tr[data-event-id=${JSON.stringify(id)}]`);

// The dashboard counts its finished refreshes in <body data-refreshes>.
async function waitForRefresh(page, after = 0) {
  await page.waitForFunction((prev) => Number(document.body.dataset.refreshes || 0) > prev, after, { timeout: WAIT });
}

// The first list page, then "Load more" until the row shows up or there are no more pages.
async function findEventRow(page, id, maxPages = 5) {
  for (let i = 0; i < maxPages; i++) {
    if (await row(page, id).count()) return true;
    if (!(await page.locator('#webhooks-more').isVisible())) return false;
    const before = await page.locator('#webhooks-body tr').count();
    await page.locator('#webhooks-more').click();
    await page.waitForFunction((n) => document.querySelectorAll('#webhooks-body tr').length > n ||
      document.getElementById('webhooks-more').hidden, before, { timeout: WAIT });
  }
  return (await row(page, id).count()) > 0;
}

async function showStatus(page, status) {
  const loaded = page.waitForResponse((r) => r.url().includes('/api/ops/webhook-events?') &&
    (status ? r.url().includes(`status=${status}`) : !r.url().includes('status=')), { timeout: WAIT });
  await page.locator('#webhook-status').selectOption(status);
  await loaded;
  // the rows are rendered right after the answer's body is parsed
  await page.waitForFunction((s) => [...document.querySelectorAll('#webhooks-body tr')].every((tr) => !s || tr.dataset.status === s),
    status, { timeout: WAIT });
}

async function refreshNow(page) {
  const before = await page.evaluate(() => Number(document.body.dataset.refreshes || 0));
  await page.locator('#refresh-now').click();
  await waitForRefresh(page, before);
}

async function main() {
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !expectedError(msg)) consoleErrors.push(`[${phase}] console: ${msg.text()} (${msg.location().url || 'no url'})`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`[${phase}] page error: ${err.message}`));
    page.on('request', (req) => {
      inFlight += 1;
      if (!req.url().startsWith(`${base}/`)) foreignRequests.push(req.url());
    });
    page.on('requestfinished', () => { inFlight -= 1; });
    page.on('requestfailed', () => { inFlight -= 1; });

    await step('open /ops/ shows the sign-in form', async () => {
      const response = await page.goto(`${base}/ops/`);
      check(response && response.ok(), `GET ${base}/ops/ answered ${response && response.status()}`);
      await page.locator('#signin-form').waitFor({ state: 'visible' });
      check(await page.locator('#dashboard').isHidden(), 'the dashboard is visible before signing in');
      check(await page.locator('label[for="signin-token"]').count() === 1, 'the token input has no label');
    });

    await step('a wrong token shows an error and keeps the sign-in form', async () => {
      await page.locator('#signin-token').fill(`wrong-${Date.now()}`);
      await page.locator('#signin-submit').click();
      await page.locator('#signin-error').waitFor({ state: 'visible' });
      const text = await page.locator('#signin-error').textContent();
      check(/refused|401/i.test(text), `unexpected sign-in error: ${text}`);
      check(await page.locator('#dashboard').isHidden(), 'the dashboard opened with a wrong token');
      await settle(page);
      check(await page.evaluate(() => sessionStorage.length === 0), 'a refused token was stored');
    }, { allow: [401] });

    await step('sign in with the admin token', async () => {
      await page.locator('#signin-token').fill(token);
      await page.locator('#signin-actor').fill(actor);
      await page.locator('#signin-submit').click();
      await page.locator('#dashboard').waitFor({ state: 'visible' });
      await waitForRefresh(page);
      check((await page.locator('#whoami').textContent()).includes(actor), 'the operator name is not shown');
      check(await page.evaluate(() => localStorage.length === 0), 'something was written to localStorage');
      check(await page.locator('#signin-token').inputValue() === '', 'the token stays in the sign-in input');
    });

    await step('readiness renders', async () => {
      const state = await page.locator('#ready-state').getAttribute('data-state');
      check(state === 'ready' || state === 'not-ready', `readiness not rendered (data-state=${state}): ${await page.locator('#readiness').innerText()}`);
      for (const id of ['ready-db', 'ready-worker', 'ready-heartbeat', 'ready-queued', 'ready-running']) {
        const text = (await page.locator(`#${id}`).textContent()).trim();
        check(text && text !== '–', `#${id} is empty`);
      }
      console.log(`   readiness: ${(await page.locator('#ready-state').textContent()).trim()}, ` +
        `${await page.locator('#ready-worker').textContent()}, heartbeat ${await page.locator('#ready-heartbeat').textContent()}`);
    });

    await step('the queue-depth chart renders', async () => {
      const empty = await page.locator('#queue-chart-empty').count();
      if (empty) {
        console.log('   chart: no samples recorded yet (the empty state rendered)');
        return;
      }
      for (const series of ['queued', 'running']) {
        const line = page.locator(`#queue-chart svg polyline[data-series="${series}"]`);
        await line.waitFor({ state: 'attached' });
        const points = ((await line.getAttribute('points')) || '').trim().split(/\s+/);
        check(points.length > 0 && points.every((p) => /^-?[\d.]+,-?[\d.]+$/.test(p)), `bad ${series} points: ${points.slice(0, 3)}`);
      }
      const box = await page.locator('#queue-chart svg').boundingBox();
      check(box && box.width > 200 && box.height > 50, `the chart is too small: ${JSON.stringify(box)}`);
      console.log(`   chart: ${await page.locator('#queue-chart svg title').textContent()}`);
    });

    await step('alerts are listed, firing ones marked', async () => {
      const rows = page.locator('#alerts-body tr');
      check(await rows.count() > 0, 'no alert rows');
      const firing = await page.locator('#alerts-body tr.firing').evaluateAll((trs) => trs.map((tr) => tr.dataset.alert));
      console.log(`   alerts: ${await rows.count()} listed, firing: ${firing.join(', ') || 'none'}`);
    });

    await step(`the failed webhook events list shows ${eventId}`, async () => {
      const deadline = Date.now() + 20000;
      while (!(await findEventRow(page, eventId))) {
        check(Date.now() < deadline, `${eventId} is not in the failed list: ${await page.locator('#webhooks-body').innerText()}`);
        await refreshNow(page);
      }
      check(await row(page, eventId).getAttribute('data-status') === 'failed', `${eventId} is not shown as failed`);
    });

    await step(`Reprocess ${eventId} processes it`, async () => {
      await row(page, eventId).locator('button[data-testid="reprocess"]').click();
      await page.waitForFunction((id) => {
        const el = document.getElementById('webhooks-outcome');
        return !el.hidden && el.dataset.eventId === id;
      }, eventId, { timeout: 30000 }); // the service waits up to its reprocess-wait for billing's attempt
      const outcome = (await page.locator('#webhooks-outcome').textContent()).trim();
      const result = await page.locator('#webhooks-outcome').getAttribute('data-result');
      console.log(`   outcome: ${outcome}`);
      check(result === 'processed' || result === 'pending', `reprocessing did not process the event: ${outcome}`);

      // after the answer the dashboard reloads the failed list; a pending attempt needs refreshes
      let goneFromFailed = false;
      const deadline = Date.now() + 30000;
      while (Date.now() < deadline) {
        await row(page, eventId).waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
        if (!(await findEventRow(page, eventId))) {
          goneFromFailed = true;
          break;
        }
        await refreshNow(page);
      }
      check(goneFromFailed, `${eventId} is still in the failed list 30 s after reprocessing (outcome: ${outcome})`);

      await showStatus(page, 'processed');
      const inProcessed = await findEventRow(page, eventId);
      check(result === 'processed' || inProcessed,
        `${eventId} left the failed list but is neither reported processed nor listed as processed (outcome: ${outcome})`);
      if (inProcessed) {
        check(await row(page, eventId).getAttribute('data-status') === 'processed', `${eventId} is listed under processed with another status`);
      }
      console.log(`   gone from the failed list; ${inProcessed ? 'listed under processed' : 'not on the first pages of the processed list'}`);
      await showStatus(page, 'failed');
    });

    await step('credit adjustment: invalid fields show the problem and field errors', async () => {
      await page.locator('#adjust-user').fill('not-a-uuid');
      await page.locator('#adjust-amount').fill('0');
      await page.locator('#adjust-reason').fill('');
      const key = await page.locator('#adjust-key').inputValue();
      check(/^[A-Za-z0-9._:-]{1,128}$/.test(key), `the prefilled idempotency key is not valid: ${key}`);
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/ops/credits/adjust'));
      await page.locator('#adjust-submit').click();
      const response = await answer;
      check(response.status() === 400, `an invalid adjustment answered ${response.status()}`);
      await page.locator('#adjust-result.bad').waitFor({ state: 'visible' });
      const fieldErrors = await page.locator('#adjust-form .field-error:not([hidden])').allTextContents();
      check(fieldErrors.length > 0, `no field error shown; result: ${await page.locator('#adjust-result').innerText()}`);
      check(await page.locator('#adjust-user[aria-invalid="true"]').count() === 1, 'the user id is not marked invalid');
      console.log(`   field errors: ${fieldErrors.join(' | ')}`);
      await settle(page);
    }, { allow: [400] });

    if (process.env.ADJUST_USER_ID) {
      const userId = process.env.ADJUST_USER_ID;
      await step(`credit adjustment of +1 for ${userId}, then its ledger in the lookup`, async () => {
        await page.locator('#lookup-user').fill(userId);
        await page.locator('#lookup-submit').click();
        await page.locator('#lookup-result').waitFor({ state: 'visible' });
        const before = Number(await page.locator('#lookup-balance').textContent());
        const key = await page.locator('#adjust-key').inputValue();
        await page.locator('#adjust-user').fill(userId);
        await page.locator('#adjust-amount').fill('1');
        await page.locator('#adjust-reason').fill('dashboard browser test');
        await page.locator('#adjust-submit').click();
        await page.locator('#adjust-result.ok').waitFor({ state: 'visible' });
        const result = await page.locator('#adjust-result').textContent();
        check(result.includes(`balance now ${before + 1}`), `unexpected adjustment result (balance was ${before}): ${result}`);
        check(await page.locator('#adjust-key').inputValue() !== key, 'the idempotency key was not renewed after a booked adjustment');
        await page.waitForFunction((b) => document.getElementById('lookup-balance').textContent === String(b), before + 1);
        const entry = page.locator('#lookup-entries tr', { hasText: 'dashboard browser test' }).first();
        check((await entry.innerText()).includes(actor), 'the adjustment entry does not name the operator (X-Admin-Actor)');
        console.log(`   ${result}`);
      });
    }

    if (process.env.REQUEUE_DEAD_LETTER_ID) {
      const id = process.env.REQUEUE_DEAD_LETTER_ID;
      await step(`Requeue dead letter ${id} shows the outcome or the problem's detail`, async () => {
        const button = page.locator(`#deadletters-body tr[data-dead-letter-id=${JSON.stringify(id)}] button[data-testid="requeue"]`);
        const answer = page.waitForResponse((r) => r.url().endsWith(`/api/ops/dead-letters/${id}/requeue`));
        await button.click();
        const response = await answer;
        const body = await response.json().catch(() => ({}));
        await page.waitForFunction((i) => document.getElementById('deadletters-outcome').dataset.deadLetterId === i, id);
        const text = await page.locator('#deadletters-outcome').textContent();
        if (response.ok()) {
          check(text.includes(body.job_id), `the outcome does not name the new job ${body.job_id}: ${text}`);
        } else {
          check(body.detail && text.includes(body.detail), `the outcome does not show the problem's detail "${body.detail}": ${text}`);
        }
        console.log(`   ${response.status()}: ${text}`);
        await settle(page);
      }, { allow: [402, 409] });
    }

    if (screenshotPath) {
      await step(`screenshot to ${screenshotPath}`, async () => {
        await page.screenshot({ path: screenshotPath, fullPage: true });
      });
    }

    await step('a token refused mid-session returns to the sign-in form with a message', async () => {
      await page.evaluate(() => {
        const key = Object.keys(sessionStorage).find((k) => /token/i.test(k));
        sessionStorage.setItem(key, `revoked-${Date.now()}`);
      });
      await page.locator('#refresh-now').click();
      await page.locator('#signin').waitFor({ state: 'visible' });
      const text = await page.locator('#signin-error').textContent();
      check(/401|refused/i.test(text), `no message after a 401: ${text}`);
      check(await page.locator('#dashboard').isHidden(), 'the dashboard stayed open after a 401');
      await settle(page); // the other requests of that refresh get their 401s too
    }, { allow: [401] });

    await step('sign in again, then sign out clears the session', async () => {
      await page.locator('#signin-token').fill(token);
      await page.locator('#signin-submit').click();
      await page.locator('#dashboard').waitFor({ state: 'visible' });
      await page.locator('#signout').click();
      await page.locator('#signin').waitFor({ state: 'visible' });
      check(await page.evaluate(() => sessionStorage.length === 0), 'sign-out left data in sessionStorage');
      await page.reload();
      await page.locator('#signin-form').waitFor({ state: 'visible' });
      check(await page.locator('#dashboard').isHidden(), 'the dashboard opened after sign-out and reload');
    });

    phase = 'end';
    check(consoleErrors.length === 0, `console or page errors:\n  ${consoleErrors.join('\n  ')}`);
    check(foreignRequests.length === 0, `requests left ${base}: ${foreignRequests.join(', ')}`);
    passed += 1;
    console.log(`ok ${passed} - no console errors, no page errors, no request to another origin`);
  } catch (err) {
    if (page && screenshotPath) {
      await page.screenshot({ path: screenshotPath.replace(/(\.png)?$/, '-failure.png'), fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    await browser.close();
  }
}

main().then(() => {
  console.log(`dashboard: ${passed} passed, 0 failed`);
}, (err) => {
  console.error(`dashboard.test: FAIL in step "${phase}": ${err.message}`);
  if (consoleErrors.length) console.error(`  console or page errors so far:\n  ${consoleErrors.join('\n  ')}`);
  console.log(`dashboard: ${passed} passed, 1 failed`);
  process.exit(1);
});
