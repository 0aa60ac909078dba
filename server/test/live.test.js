'use strict';
// Live detection on the control plane: every accepted log body goes through one
// long-lived analyzer; its alerts are stored (merged per kind and subject), announced on
// the alert webhook (Slack JSON, one notice per alert within the cooldown, retried on 429
// and 5xx, never blocking ingestion), and answered with write responses that are only
// ever approval requests, executed through the (emulated) Management API after a person
// approved them. The threat feed's endpoint is threat-feed.test.js; the whole loop into
// the Actions is threat-feed-e2e.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const core = require('actionguard/control-plane');
const { ManagementClient } = require('auth0');
const { ManagementEmulator } = require('../../actions-js/harness/management');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const { createMetrics } = require('../lib/metrics.js');
const { LiveDetection, cooldownSeconds } = require('../lib/live.js');
const { createNotifier, retryAfterMs } = require('../lib/notify.js');
const { importLogs } = require('../lib/import.js');
const approvals = require('../lib/approvals.js');
const { databases } = require('./helpers/databases.js');

const LOG_TOKEN = 'Bearer stream-token-0123456789';
const TENANT = 'acme-prod';
const DOMAIN = 'acme.eu.auth0.test';
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

/**
 * A log line as Auth0's custom webhook stream sends it.
 * @param {string} id
 * @param {number} atMs
 * @param {Record<string, unknown>} data
 */
const line = (id, atMs, data) => JSON.stringify({ log_id: id, data: { date: new Date(atMs).toISOString(), ...data } });

/**
 * A credential-stuffing campaign from one address: `users` accounts of three
 * organizations, one wrong password each, 20 s apart; and a leaked password of another.
 * @param {{ ip?: string, users?: number, startMs?: number, prefix?: string }} [o]
 */
function campaign({ ip = '203.0.113.77', users = 30, startMs = T0, prefix = 'c' } = {}) {
  const lines = [];
  for (let i = 0; i < users; i++) {
    lines.push(
      line(`${prefix}${i}`, startMs + i * 20_000, { type: 'fp', ip, user_id: `auth0|victim${i}`, user_name: `victim${i}@corp${i % 3}.example`, organization_id: `org_${i % 3}` }),
    );
  }
  return lines;
}

/** Benign traffic: people logging in from their own addresses. */
function ordinary(n, startMs = T0) {
  return Array.from({ length: n }, (_, i) =>
    line(`o${i}`, startMs + i * 7000, { type: 's', ip: `198.51.100.${i + 1}`, user_id: `auth0|person${i}`, organization_id: `org_${i % 3}` }),
  );
}

/**
 * A local webhook receiver: answers each request with the next of `answers` (then 200),
 * keeps every body and when it came.
 * @param {{ status: number, headers?: Record<string, string> }[]} [answers]
 */
async function webhookReceiver(answers = []) {
  /** @type {{ body: any, atMs: number, status: number }[]} */
  const requests = [];
  const queue = [...answers];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const answer = queue.shift() ?? { status: 200 };
      requests.push({ body: JSON.parse(text), atMs: Date.now(), status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) }).end(answer.status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}/hook`;
  return {
    url,
    requests,
    delivered: () => requests.filter((r) => r.status === 200).map((r) => r.body),
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}

/**
 * A control plane with live detection, in this process, on a fresh SQLite file.
 * @param {{ webhookUrl?: string, notifier?: Partial<import('../lib/notify.js').NotifierOptions>, cooldownS?: number, nowMs?: () => number }} [o]
 */
async function controlPlane(o = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-live-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const metrics = createMetrics(store);
  /** @type {Record<string, unknown>[]} */
  const logged = [];
  const log = (/** @type {Record<string, unknown>} */ e) => logged.push(e);
  const notifier = o.webhookUrl ? createNotifier({ url: o.webhookUrl, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000, metrics, log, ...o.notifier }) : null;
  const live = new LiveDetection({ store, tenant: TENANT, notifier, cooldownS: o.cooldownS ?? 3600, metrics, log, nowMs: o.nowMs });
  const { server } = createServer({ store, logToken: LOG_TOKEN, metrics, live, log });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`;
  /** @param {string[]} lines */
  const stream = async (lines) => {
    const res = await fetch(`${url}/v1/auth0/logs`, { method: 'POST', body: lines.join('\n'), headers: { authorization: LOG_TOKEN } });
    return { status: res.status, body: await res.json() };
  };
  const stop = async () => {
    live.close();
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r(undefined)));
    await store.close();
  };
  return { store, live, metrics, url, stream, stop, logged, dir };
}

/** @param {ReturnType<typeof createMetrics>} metrics @param {string} name */
async function counter(metrics, name) {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return Object.fromEntries((m?.values ?? []).map((v) => [Object.values(v.labels).join(','), v.value]));
}

test('a stuffing campaign streamed in: one alert stored with its targets, one webhook notice, responses only proposed', async () => {
  const hook = await webhookReceiver();
  const cp = await controlPlane({ webhookUrl: hook.url });
  try {
    const attack = campaign();
    // Three batches, benign logins mixed in, and a leaked password caught by Auth0.
    const leak = line('leak1', T0 + 5000, { type: 'pwd_leak', ip: '192.0.2.44', user_id: 'auth0|leaked', user_name: 'sam@corp1.example', organization_id: 'org_1' });
    for (const batch of [[...attack.slice(0, 12), ...ordinary(5)], [...attack.slice(12, 24), leak], attack.slice(24)]) {
      const r = await cp.stream(batch);
      assert.equal(r.status, 200);
    }
    await cp.live.idle();

    const alerts = await cp.store.listAlerts();
    assert.deepEqual(alerts.map((a) => [a.kind, a.subject_type, a.subject_value, a.severity]).sort(), [
      ['breached_password', 'user', 'auth0|leaked', 'medium'],
      ['credential_stuffing', 'ip', '203.0.113.77', 'medium'],
    ]);
    const stuffing = /** @type {any} */ (alerts.find((a) => a.kind === 'credential_stuffing'));
    assert.equal(stuffing.users, 30);
    assert.equal(stuffing.events, 30);
    assert.deepEqual(stuffing.organizations, ['org_0', 'org_1', 'org_2']);
    assert.equal(stuffing.targets.length, 30, 'every account it failed against, for the feed and responses');
    assert.ok(stuffing.targets.includes('auth0|victim29'));
    assert.ok(stuffing.version >= 2, 'updated by the later batches');

    // One notice per alert, however often the alert changed, within the cooldown.
    const notices = hook.delivered();
    assert.equal(notices.length, 2, JSON.stringify(notices));
    const byKind = Object.fromEntries(notices.map((n) => [n.text.includes('credential_stuffing') ? 'stuffing' : 'breached', n]));
    assert.match(byKind.stuffing.text, /^ActionGuard: medium credential_stuffing on ip 203\.0\.113\.77 \(\d+ users/);
    assert.ok(Array.isArray(byKind.stuffing.blocks) && byKind.stuffing.blocks.length >= 2, 'Slack blocks');
    // No raw user id anywhere: the breached user as its pseudonym, stuffing targets only counted.
    const all = JSON.stringify(notices);
    assert.doesNotMatch(all, /auth0\|/);
    assert.doesNotMatch(all, /victim|sam@/);
    assert.match(byKind.breached.text, /on user u_[0-9a-f]{24} /);

    // Responses: proposed, pending, never executed by detection.
    const queued = await cp.store.listApprovals({});
    assert.deepEqual(queued.map((r) => [r.kind, r.status, r.request.proposal.target.value]).sort(), [
      ['block_ip', 'pending', '203.0.113.77/32'],
      ['force_password_reset', 'pending', 'auth0|leaked'],
    ]);
    assert.equal(queued.find((r) => r.kind === 'block_ip')?.request.requested_by, 'actionguard-detection');
    assert.deepEqual(await counter(cp.metrics, 'actionguard_alert_notices_total'), { sent: 2 });
    const changed = await counter(cp.metrics, 'actionguard_alerts_total');
    assert.equal(changed['credential_stuffing,new'], 1);
    assert.ok(changed['credential_stuffing,updated'] >= 1);

    // The same batches again (Auth0 redelivering): nothing new anywhere.
    const before = JSON.stringify(await cp.store.listAlerts());
    await cp.stream(attack.slice(0, 12));
    await cp.live.idle();
    assert.equal(JSON.stringify(await cp.store.listAlerts()), before);
    assert.equal(hook.delivered().length, 2);
  } finally {
    await cp.stop();
    await hook.close();
  }
});

test('the cooldown is per alert and shared: a worse severity is announced at once, the same one after the cooldown', async () => {
  const hook = await webhookReceiver();
  let now = T0;
  const cp = await controlPlane({ webhookUrl: hook.url, cooldownS: 600, nowMs: () => now });
  try {
    await cp.stream(campaign({ users: 12 }));
    await cp.live.idle();
    assert.equal(hook.delivered().length, 1);
    // The attacker gets in: the alert turns high, announced within the cooldown.
    now += 60_000;
    await cp.stream([line('in1', T0 + 300_000, { type: 's', ip: '203.0.113.77', user_id: 'auth0|victim3', organization_id: 'org_0' })]);
    await cp.live.idle();
    assert.equal(hook.delivered().length, 2);
    assert.match(hook.delivered()[1].text, /^ActionGuard: high credential_stuffing/);
    // More failures within the cooldown: stored, not announced; after it, announced again.
    now += 60_000;
    await cp.stream(campaign({ users: 20, prefix: 'd', startMs: T0 + 400_000 }).slice(12));
    await cp.live.idle();
    assert.equal(hook.delivered().length, 2);
    now += 600_000;
    await cp.stream([line('late1', T0 + 900_000, { type: 'fu', ip: '203.0.113.77', user_name: 'nobody@corp9.example', organization_id: 'org_2' })]);
    await cp.live.idle();
    assert.equal(hook.delivered().length, 3);
    assert.equal(cooldownSeconds(undefined), 3600);
    assert.throws(() => cooldownSeconds('soon'), /ALERT_COOLDOWN_SECONDS/);
  } finally {
    await cp.stop();
    await hook.close();
  }
});

test('the webhook is retried after a 503 and waits out a 429 as Retry-After says', async () => {
  const hook = await webhookReceiver([{ status: 503 }, { status: 429, headers: { 'retry-after': '1' } }]);
  const metrics = createMetrics(/** @type {any} */ ({ approvalStats: async () => ({}) }));
  const notifier = createNotifier({ url: hook.url, baseDelayMs: 10, maxDelayMs: 50, metrics });
  try {
    const notice = core.alertNotice(
      { kind: 'credential_stuffing', severity: 'high', subject: { type: 'ip', value: '203.0.113.77' }, first_seen: '2026-11-02T09:00:00Z', last_seen: '2026-11-02T09:10:00Z' },
      TENANT,
    );
    assert.equal(notice.type, 'success');
    const started = Date.now();
    assert.equal(notifier.send({ text: /** @type {any} */ (notice).text, blocks: /** @type {any} */ (notice).blocks }), true);
    await notifier.idle();
    assert.deepEqual(
      hook.requests.map((r) => r.status),
      [503, 429, 200],
    );
    const [, limited, sent] = hook.requests;
    assert.ok(sent.atMs - limited.atMs >= 950, `waited ${sent.atMs - limited.atMs} ms after the 429, Retry-After said 1 s`);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(hook.delivered()[0].text, /** @type {any} */ (notice).text);
    assert.deepEqual(await counter(metrics, 'actionguard_alert_notice_attempts_total'), { '5xx': 1, 429: 1, '2xx': 1 });
    // Retry-After as a date, and what is not one.
    assert.equal(retryAfterMs('120', 0), 120_000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('later', 0), null);
  } finally {
    notifier.close();
    await hook.close();
  }
});

test('a 4xx is given up at once, retries are bounded, and a full queue drops the oldest', async () => {
  const hook = await webhookReceiver([{ status: 404 }, { status: 500 }, { status: 500 }, { status: 500 }]);
  const notifier = createNotifier({ url: hook.url, baseDelayMs: 5, maxDelayMs: 10, maxAttempts: 3, maxQueue: 2 });
  try {
    notifier.send({ text: 'one' });
    await notifier.idle();
    assert.deepEqual(
      hook.requests.map((r) => r.status),
      [404],
      'a revoked webhook is not retried',
    );
    notifier.send({ text: 'two' });
    await notifier.idle();
    assert.deepEqual(
      hook.requests.map((r) => r.status),
      [404, 500, 500, 500],
      'three attempts, then given up',
    );
    // The sender is busy with the first; the queue holds two; the third pushes one out.
    const kept = [notifier.send({ text: 'a' }), notifier.send({ text: 'b' }), notifier.send({ text: 'c' }), notifier.send({ text: 'd' })];
    assert.deepEqual(kept, [true, true, true, false]);
    await notifier.idle();
    assert.deepEqual(
      hook.delivered().map((b) => b.text),
      ['a', 'c', 'd'],
    );
  } finally {
    notifier.close();
    await hook.close();
  }
});

test('an unreachable webhook loses no event and blocks nothing', async () => {
  // A port nobody listens on.
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {any} */ (closed.address()).port;
  await new Promise((r) => closed.close(() => r(undefined)));
  const cp = await controlPlane({ webhookUrl: `http://127.0.0.1:${port}/hook`, notifier: { baseDelayMs: 2000, maxDelayMs: 2000 } });
  try {
    const attack = campaign();
    const started = Date.now();
    for (let i = 0; i < attack.length; i += 10) {
      const r = await cp.stream(attack.slice(i, i + 10));
      assert.equal(r.status, 200);
    }
    assert.ok(Date.now() - started < 2000, 'acknowledged without waiting for the webhook');
    assert.equal((await cp.store.stats()).logs, 30, 'every event stored');
    // Stored and proposed, whatever the webhook does.
    for (let i = 0; i < 100 && (await cp.store.listAlerts()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await cp.store.listAlerts()).length, 1);
    assert.equal((await cp.store.listApprovals({})).length, 1);
    // The first attempt follows the alert's commit asynchronously: wait for it, do not race it.
    const attempts = async () => (await counter(cp.metrics, 'actionguard_alert_notice_attempts_total')).network ?? 0;
    for (let i = 0; i < 100 && (await attempts()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok((await attempts()) >= 1, 'the webhook was tried');
  } finally {
    await cp.stop();
  }
});

test('logs import goes through live detection too', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-live-import-'));
  const file = path.join(dir, 'campaign.ndjson');
  fs.writeFileSync(file, `${[...ordinary(40), ...campaign({ ip: '2001:db8:77::1', users: 25 })].join('\n')}\n`);
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const live = new LiveDetection({ store, tenant: TENANT });
  try {
    const totals = await importLogs(store, file, { batchLines: 7, live });
    await live.idle();
    assert.equal(totals.stored, 65);
    const alerts = await store.listAlerts();
    assert.deepEqual(
      alerts.map((a) => [a.kind, a.subject_value]),
      [['credential_stuffing', '2001:db8:77::1']],
    );
    const [request] = await store.listApprovals({});
    assert.equal(request.request.proposal.target.value, '2001:db8:77::1/128');
    assert.equal(live.counts.events, 65);
  } finally {
    live.close();
    await store.close();
  }
});

test('a store away during a flush: the alerts are kept and stored by the next one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-live-away-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const real = store.upsertAlerts.bind(store);
  let away = true;
  store.upsertAlerts = async (...args) => {
    if (away) throw Object.assign(new Error('gone'), { code: 'store_unavailable' });
    return real(...args);
  };
  const live = new LiveDetection({ store, tenant: TENANT });
  try {
    live.feed(campaign({ users: 12 }).join('\n'));
    await live.idle();
    assert.equal((await store.listAlerts()).length, 0);
    assert.equal(live.pending.size, 1);
    away = false;
    live.feed(ordinary(1).join('\n'));
    await live.idle();
    assert.deepEqual(
      (await store.listAlerts()).map((a) => a.subject_value),
      ['203.0.113.77'],
    );
    assert.equal(live.pending.size, 0);
    // A body the core cannot read at all is counted, never thrown.
    live.feed('');
  } finally {
    live.close();
    await store.close();
  }
});

test('responses run only after a person approves, through the Management API, once', async () => {
  const cp = await controlPlane();
  const emu = await new ManagementEmulator(
    {
      users: [
        { user_id: 'auth0|leaked', email: 'sam@corp1.example', identities: [{ provider: 'auth0', connection: 'Username-Password-Authentication', user_id: 'leaked' }] },
        { user_id: 'google-oauth2|123', email: 'g@corp1.example', identities: [{ provider: 'google-oauth2', connection: 'google-oauth2', user_id: '123' }] },
        { user_id: 'auth0|fatigued', email: 'kim@corp2.example', identities: [{ provider: 'auth0', connection: 'Username-Password-Authentication', user_id: 'fatigued' }] },
      ],
    },
    { domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' },
  ).start();
  const realFetch = globalThis.fetch;
  // The SDK calls https://<domain>/...: route it to the emulator.
  globalThis.fetch = (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (href.startsWith(`https://${DOMAIN}/`)) return realFetch(`${emu.origin}/${href.slice(`https://${DOMAIN}/`.length)}`, init);
    return realFetch(input, init);
  };
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret', maxRetries: 0 });
  try {
    const leak = line('leak1', T0, { type: 'pwd_leak', ip: '192.0.2.44', user_id: 'auth0|leaked', organization_id: 'org_1' });
    const social = line('leak2', T0, { type: 'pwd_leak', ip: '192.0.2.45', user_id: 'google-oauth2|123', organization_id: 'org_1' });
    // MFA push bombing that ends in an accepted push: high, so block_user too.
    const bombing = [];
    for (let i = 0; i < 6; i++) {
      bombing.push(line(`gd${i}`, T0 + i * 30_000, { type: 'gd_send_pn', user_id: 'auth0|fatigued', organization_id: 'org_2' }));
      if (i < 3) bombing.push(line(`gr${i}`, T0 + i * 30_000 + 10_000, { type: 'gd_auth_rejected', user_id: 'auth0|fatigued', organization_id: 'org_2' }));
    }
    bombing.push(
      line('gs1', T0 + 200_000, {
        type: 's',
        ip: '192.0.2.99',
        user_id: 'auth0|fatigued',
        organization_id: 'org_2',
        details: { prompts: [{ name: 'mfa', performed_amr: ['mfa'] }] },
      }),
    );
    await cp.stream([...campaign({ users: 12 }), leak, social, ...bombing]);
    await cp.live.idle();
    const byKind = async () => (await cp.store.listApprovals({})).map((r) => `${r.kind} ${r.request.proposal.target.value} ${r.status}`).sort();
    const mfaAlert = (await cp.store.listAlerts()).find((a) => a.kind === 'mfa_fatigue');
    assert.equal(mfaAlert?.severity, 'high', JSON.stringify(await cp.store.listAlerts()));
    assert.deepEqual(await byKind(), [
      'block_ip 203.0.113.77/32 pending',
      'block_user auth0|fatigued pending',
      'force_password_reset auth0|fatigued pending',
      'force_password_reset auth0|leaked pending',
      'force_password_reset google-oauth2|123 pending',
    ]);

    // Nothing runs before a person decides.
    assert.deepEqual(await approvals.execute(cp.store, mgmt), []);
    assert.equal(emu.calls.filter((c) => c.path.startsWith('/api/v2/')).length, 0, 'no Management API call');

    const rows = await cp.store.listApprovals({});
    const key = (/** @type {string} */ kind, /** @type {string} */ target) =>
      /** @type {string} */ (rows.find((r) => r.kind === kind && r.request.proposal.target.value === target)?.dedupe_key);
    await approvals.decide(cp.store, key('block_ip', '203.0.113.77/32'), 'approve', 'Sam (security)');
    await approvals.decide(cp.store, key('force_password_reset', 'auth0|leaked'), 'approve', 'Sam (security)');
    await approvals.decide(cp.store, key('force_password_reset', 'google-oauth2|123'), 'approve', 'Sam (security)');
    await approvals.decide(cp.store, key('block_user', 'auth0|fatigued'), 'approve', 'Sam (security)');
    await approvals.decide(cp.store, key('force_password_reset', 'auth0|fatigued'), 'reject', 'Sam (security)');
    const done = await approvals.execute(cp.store, mgmt);
    assert.equal(done.length, 4, JSON.stringify(done));
    assert.deepEqual(
      emu.networkAcls.map((a) => [a.active, a.rule.action.block, a.rule.scope, a.rule.match.ipv4_cidrs]),
      [[true, true, 'authentication', ['203.0.113.77/32']]],
    );
    assert.match(emu.networkAcls[0].description, /^ActionGuard [0-9a-f]{32}:[0-9a-f]{32}$/);
    const users = Object.fromEntries(emu.users.map((/** @type {any} */ u) => [u.user_id, u]));
    assert.equal(users['auth0|fatigued'].blocked, true);
    assert.ok(users['auth0|fatigued'].sessions_revoked_at);
    assert.ok(users['auth0|leaked'].password_set_at, `the leaked password replaced: ${JSON.stringify(done)}`);
    assert.ok(users['auth0|leaked'].sessions_revoked_at);
    assert.equal(users['auth0|leaked'].blocked, undefined, 'reset, not blocked');
    assert.equal(users['google-oauth2|123'].password_set_at, undefined);
    const failed = done.find((d) => d.key === key('force_password_reset', 'google-oauth2|123'));
    assert.match(String(failed?.error), /no database identity/);
    assert.deepEqual(await byKind(), [
      'block_ip 203.0.113.77/32 done',
      'block_user auth0|fatigued done',
      'force_password_reset auth0|fatigued rejected',
      'force_password_reset auth0|leaked done',
      'force_password_reset google-oauth2|123 failed',
    ]);
    // Executed once: a second run finds nothing approved.
    assert.deepEqual(await approvals.execute(cp.store, mgmt), []);
    assert.equal(emu.networkAcls.length, 1);
    // The password never reaches the emulator's records.
    assert.doesNotMatch(JSON.stringify(emu.calls), /aA1!/);
  } finally {
    globalThis.fetch = realFetch;
    await emu.stop();
    await cp.stop();
  }
});

test('a response row edited in the database is refused, and a retried block_ip finds its own rule', async () => {
  const cp = await controlPlane();
  const emu = await new ManagementEmulator({ users: [] }, { domain: DOMAIN }).start();
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (href.startsWith(`https://${DOMAIN}/`)) return realFetch(`${emu.origin}/${href.slice(`https://${DOMAIN}/`.length)}`, init);
    return realFetch(input, init);
  };
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret', maxRetries: 0 });
  try {
    await cp.stream([...campaign({ users: 12 }), ...campaign({ users: 12, ip: '198.18.0.88', prefix: 'e' })]);
    await cp.live.idle();
    const rows = await cp.store.listApprovals({});
    assert.equal(rows.length, 2);
    // Someone with database access widens one to a whole /8.
    const [edited, honest] = rows;
    const tampered = { ...edited.request, proposal: { ...edited.request.proposal, target: { type: 'network', value: '10.0.0.0/8' } } };
    const dbFile = path.join(cp.dir, 'ag.db');
    const Database = require('better-sqlite3');
    const raw = new Database(dbFile);
    raw.prepare('UPDATE approvals SET request = ? WHERE dedupe_key = ?').run(JSON.stringify(tampered), edited.dedupe_key);
    raw.close();
    for (const r of rows) await approvals.decide(cp.store, r.dedupe_key, 'approve', 'Sam');
    // The honest one's rule already exists with its marker (a run that died after creating it).
    await cp.store.setCreationMarker(honest.dedupe_key, `${honest.dedupe_key}:${'0'.repeat(32)}`);
    emu.networkAcls.push({ id: 'acl_prior', description: `ActionGuard ${honest.dedupe_key}:${'0'.repeat(32)}`, active: true, rule: {} });
    const done = Object.fromEntries((await approvals.execute(cp.store, mgmt)).map((d) => [d.key, d]));
    assert.match(String(done[edited.dedupe_key].error), /not a response this executor takes \(dedupe_key/);
    assert.match(String(done[honest.dedupe_key].done), /acl_prior already blocks/);
    assert.equal(emu.networkAcls.length, 1, 'no rule for the edited row, no second rule for the honest one');
  } finally {
    globalThis.fetch = realFetch;
    await emu.stop();
    await cp.stop();
  }
});

test('two instances on one database, each seeing the campaign: one alert row, one notice, one proposal', async (t) => {
  for (const db of await databases()) {
    await t.test(db.dialect, { skip: db.skip }, async () => {
      const hook = await webhookReceiver();
      const url = db.newUrl();
      const stores = [await openStore(url), await openStore(url)];
      const lives = stores.map((store) => new LiveDetection({ store, tenant: TENANT, notifier: createNotifier({ url: hook.url, baseDelayMs: 10 }) }));
      try {
        // Auth0 delivered some batches to both (a retry after a timeout), the rest to one or the other.
        const attack = campaign();
        const batches = [attack.slice(0, 10), attack.slice(10, 20), attack.slice(20)];
        lives[0].feed(batches[0].join('\n'));
        lives[1].feed(batches[0].join('\n'));
        lives[0].feed(batches[1].join('\n'));
        lives[1].feed([...batches[1], ...batches[2]].join('\n'));
        lives[0].feed(batches[2].join('\n'));
        await Promise.all(lives.map((l) => l.idle()));
        const alerts = await stores[0].listAlerts();
        assert.equal(alerts.length, 1);
        assert.equal(alerts[0].users, 30, 'the larger view');
        assert.equal(alerts[0].targets.length, 30);
        assert.equal(hook.delivered().length, 1, 'one notice, whichever instance sent it');
        const queued = await stores[1].listApprovals({});
        assert.deepEqual(
          queued.map((r) => [r.kind, r.requests_seen]),
          [['block_ip', 1]],
        );
      } finally {
        for (const l of lives) l.close();
        for (const s of stores) await s.close();
        await hook.close();
        await db.cleanup();
      }
    });
  }
});
