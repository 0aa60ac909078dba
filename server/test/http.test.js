'use strict';
// The receivers over HTTP, on the embedded store: who may post, what is kept, what is
// answered. The stores' own contract is store.test.js; crashes and outages are
// reliability.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const webhook = require('actionguard/webhook.js');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');

const LOG_TOKEN = 'Bearer stream-token-0123456789';
const AUDIT_SECRET = 'audit-secret';
const APPROVAL_SECRET = 'approval-secret';

/** @param {Partial<import('../lib/http.js').ServerOptions>} [options] */
async function start(options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-http-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  /** @type {Record<string, unknown>[]} */
  const logged = [];
  const { server } = createServer({ store, logToken: LOG_TOKEN, auditSecret: AUDIT_SECRET, approvalSecret: APPROVAL_SECRET, log: (e) => logged.push(e), ...options });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`;
  /** @param {string} route @param {string} body @param {Record<string, string>} [headers] */
  const post = async (route, body, headers = {}) => {
    const res = await fetch(`${url}${route}`, { method: 'POST', body, headers });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const stop = async () => {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r(undefined)));
    await store.close();
  };
  return { url, store, post, stop, logged };
}

const log = (id, extra = {}) =>
  JSON.stringify({ log_id: id, data: { type: 's', date: '2026-11-02T09:00:00.000Z', ip: '203.0.113.9', user_id: 'auth0|u1', organization_id: 'org_a', ...extra } });

test('a log stream batch is stored once per log_id, bad lines kept as rejects, and acknowledged after commit', async () => {
  const t = await start();
  try {
    const body = [log('l1'), 'not json', log('l2'), log('l1'), '{"log_id":"x"}'].join('\n');
    const r = await t.post('/v1/auth0/logs', body, { authorization: LOG_TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { events: 2, stored: 2, duplicates: 1, rejected: 2 });
    // Auth0 retries a batch it saw no answer to: nothing is stored twice.
    const again = await t.post('/v1/auth0/logs', body, { authorization: LOG_TOKEN });
    assert.deepEqual(again.body, { events: 2, stored: 0, duplicates: 3, rejected: 2 });
    const stats = await t.store.stats();
    assert.equal(stats.logs, 2);
    assert.equal(stats.rejects, 4);
    // The JSON array form and the EventBridge form.
    const array = JSON.stringify([
      { log_id: 'l3', data: { type: 'f', date: '2026-11-02T09:00:01Z' } },
      { detail: { log_id: 'l4', data: { type: 'fp', date: '2026-11-02T09:00:02Z' } } },
    ]);
    assert.deepEqual((await t.post('/v1/auth0/logs', array, { authorization: LOG_TOKEN })).body, { events: 2, stored: 2, duplicates: 0, rejected: 0 });
    assert.equal((await t.store.stats()).logs, 4);
  } finally {
    await t.stop();
  }
});

test('each log is stored byte for byte as it was sent: big integers, spacing, multi-byte text and CRLF', async () => {
  const t = await start();
  try {
    const entry = (id, extra = '') => `{ "log_id" :"${id}",  "data":{"type":"s","date":"2026-11-02T09:00:00Z","n": 12345678901234567890123${extra} } }`;
    const array = ` [\n  ${entry('arr1')} ,\t${entry('arr2', ', "x": 1.50')}\n]\n`;
    assert.deepEqual((await t.post('/v1/auth0/logs', array, { authorization: LOG_TOKEN })).body, { events: 2, stored: 2, duplicates: 0, rejected: 0 });
    assert.equal((await t.store.getLog('arr1')).raw, entry('arr1'));
    assert.equal((await t.store.getLog('arr2')).raw, entry('arr2', ', "x": 1.50'));
    const lines = `${entry('jl1')}\n\n  ${entry('jl2')}  \n`;
    assert.deepEqual((await t.post('/v1/auth0/logs', lines, { authorization: LOG_TOKEN })).body, { events: 2, stored: 2, duplicates: 0, rejected: 0 });
    assert.equal((await t.store.getLog('jl1')).raw, entry('jl1'));
    assert.equal((await t.store.getLog('jl2')).raw, `  ${entry('jl2')}  `);
    // UTF-8 offsets, not UTF-16 ones: text after multi-byte characters, lines ending in CRLF.
    const wide = (id) => entry(id, ', "user_name": "Zoë 😀 日本"');
    const crlf = `${wide('mb1')}\r\nnot json 😀\r\n${wide('mb2')}\r\n`;
    assert.deepEqual((await t.post('/v1/auth0/logs', crlf, { authorization: LOG_TOKEN })).body, { events: 2, stored: 2, duplicates: 0, rejected: 1 });
    assert.equal((await t.store.getLog('mb1')).raw, wide('mb1'));
    assert.equal((await t.store.getLog('mb2')).raw, wide('mb2'));
    assert.deepEqual(
      (await t.store.listRejects()).map((r) => [r.line_index, r.excerpt]),
      [[1, 'not json 😀']],
    );
  } finally {
    await t.stop();
  }
});

test('the log stream needs its exact Authorization value, and an oversized body is 413', async () => {
  const t = await start({ maxLogBody: 4096 });
  try {
    for (const authorization of [undefined, '', 'Bearer stream-token-012345678', `${LOG_TOKEN}0`, LOG_TOKEN.toLowerCase(), 'stream-token-0123456789']) {
      const headers = authorization === undefined ? {} : { authorization };
      const r = await t.post('/v1/auth0/logs', log('l1'), headers);
      assert.deepEqual([r.status, r.body.error], [401, 'unauthorized'], String(authorization));
    }
    const big = Array.from({ length: 100 }, (_, i) => log(`big${i}`)).join('\n');
    const r = await t.post('/v1/auth0/logs', big, { authorization: LOG_TOKEN });
    assert.deepEqual([r.status, r.body.error], [413, 'too_large']);
    assert.equal((await t.store.stats()).logs, 0);
    // Neither the token nor a body reaches the service's own log.
    const written = JSON.stringify(t.logged);
    assert.ok(!written.includes('stream-token'), written);
    assert.ok(!written.includes('203.0.113.9'), written);
  } finally {
    await t.stop();
  }
});

test('a receiver whose secret is not configured refuses with 503 rather than accept unsigned data', async () => {
  const t = await start({ logToken: undefined, auditSecret: undefined, approvalSecret: undefined });
  try {
    assert.deepEqual((await t.post('/v1/auth0/logs', log('l1'), { authorization: '' })).body, { error: 'log_stream_not_configured' });
    assert.equal((await t.post('/v1/audit', '{}')).status, 503);
    assert.equal((await t.post('/v1/approvals', '{}')).status, 503);
  } finally {
    await t.stop();
  }
});

test('a source that sends too fast gets 429 with Retry-After before the database is touched', async () => {
  const t = await start({ rateLimit: { perSecond: 1, burst: 3 } });
  try {
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await t.post('/v1/auth0/logs', log(`r${i}`), { authorization: LOG_TOKEN })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const r = await t.post('/v1/auth0/logs', log('r9'), { authorization: LOG_TOKEN });
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal((await t.store.stats()).logs, 3);
  } finally {
    await t.stop();
  }
});

const record = (id, extra = {}) => JSON.stringify({ actionguard_audit: 1, id, trigger: 'post-login', outcome: 'deny', organization: 'org_a', ts_ms: 1793610000000, ...extra });

test('audit records are taken only signed and fresh, and stored once per id', async () => {
  const t = await start();
  try {
    const body = `${record('0123456789abcdef01234567')}\n${record('0123456789abcdef01234568', { outcome: 'allow' })}\nnot a record\n`;
    const signed = { [webhook.SIGNATURE_HEADER]: webhook.sign(AUDIT_SECRET, body) };
    const r = await t.post('/v1/audit', body, signed);
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.stored, r.body.duplicates, r.body.rejected, r.body.rejects[0].reason_code], [2, 0, 1, 'not_json']);
    // The Actions try once more after a 5xx: the same records are not stored twice.
    const again = await t.post('/v1/audit', body, { [webhook.SIGNATURE_HEADER]: webhook.sign(AUDIT_SECRET, body) });
    assert.deepEqual([again.body.stored, again.body.duplicates], [0, 2]);
    assert.equal((await t.store.stats()).audit, 2);
    const refusals = [
      [{}, 'missing_signature'],
      [{ [webhook.SIGNATURE_HEADER]: webhook.sign('another-secret', body) }, 'bad_signature'],
      [{ [webhook.SIGNATURE_HEADER]: webhook.sign(AUDIT_SECRET, body, Date.now() - 3_600_000) }, 'signature_expired'],
      [{ [webhook.SIGNATURE_HEADER]: webhook.sign(AUDIT_SECRET, body, Date.now() + 3_600_000) }, 'signature_in_future'],
      [{ [webhook.SIGNATURE_HEADER]: webhook.sign(AUDIT_SECRET, `${body} `) }, 'bad_signature'],
    ];
    for (const [headers, error] of refusals) {
      const x = await t.post('/v1/audit', body, /** @type {any} */ (headers));
      assert.deepEqual([x.status, x.body.error], [401, error]);
    }
  } finally {
    await t.stop();
  }
});

test('the real Actions post their audit records to the receiver and each is stored once', async () => {
  const { runAction } = require('../../actions-js/harness/run');
  const t = await start();
  try {
    const secrets = { AUDIT_WEBHOOK_URL: `${t.url}/v1/audit`, AUDIT_WEBHOOK_SECRET: AUDIT_SECRET };
    const ids = [];
    for (const trigger of /** @type {const} */ (['post-login', 'pre-user-registration', 'credentials-exchange'])) {
      const { result } = await runAction({ trigger, event: {}, secrets });
      assert.notEqual(result.outcome, 'error', result.error);
      ids.push(...result.audit.map((/** @type {any} */ a) => a.id));
    }
    assert.ok(ids.length >= 3);
    assert.equal((await t.store.stats()).audit, new Set(ids).size);
  } finally {
    await t.stop();
  }
});

test('GET /healthz and /metrics answer, with the counters the issue names', async () => {
  const t = await start();
  try {
    const health = await fetch(`${t.url}/healthz`);
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok', store: 'sqlite' }]);
    await t.post('/v1/auth0/logs', [log('m1'), log('m1'), 'bad'].join('\n'), { authorization: LOG_TOKEN });
    await t.post('/v1/auth0/logs', log('m1'), { authorization: LOG_TOKEN });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    assert.equal(value('actionguard_logs_ingested_total'), 1);
    assert.equal(value('actionguard_logs_duplicates_total'), 2);
    assert.equal(value('actionguard_logs_rejected_total'), 1);
    assert.match(text, /^actionguard_approvals\{state="pending"\} 0$/m);
    assert.match(text, /^actionguard_audit_records_stored_total 0$/m);
    assert.match(text, /^actionguard_ingest_duration_seconds_count 2$/m);
    assert.equal((await fetch(`${t.url}/nowhere`)).status, 404);
    assert.equal((await fetch(`${t.url}/v1/auth0/logs`)).status, 405);
  } finally {
    await t.stop();
  }
});

test('slow senders together cannot hold more body bytes than the budget: the rest get 503 and come back', async () => {
  const t = await start({ maxBodyBytesInFlight: 64 * 1024 });
  const http = require('node:http');
  const { port } = new URL(t.url);
  /** @type {import('node:http').ClientRequest[]} */
  const held = [];
  try {
    // Three senders each send 30 kB of a body and stall; the third goes over 64 kB.
    const answers = [];
    for (let i = 0; i < 3; i += 1) {
      const req = http.request({ port, method: 'POST', path: '/v1/auth0/logs', headers: { authorization: LOG_TOKEN, 'content-length': 1_000_000 } });
      req.on('error', () => {});
      answers.push(new Promise((resolve) => req.on('response', (res) => resolve(res.statusCode))));
      req.write('x'.repeat(30 * 1024));
      held.push(req);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await answers[2], 503);
    // The stalled ones hang up: their bytes are given back, and a normal batch goes through.
    for (const req of held) req.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await t.post('/v1/auth0/logs', log('after'), { authorization: LOG_TOKEN })).status, 200);
  } finally {
    for (const req of held) req.destroy();
    await t.stop();
  }
});
