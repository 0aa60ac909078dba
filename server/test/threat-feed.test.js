'use strict';
// GET /v1/threat-feed: the stored alerts as the core's payload, signed with Ed25519
// (THREAT_FEED_SIGNING_KEY), behind an optional Bearer token, kept while nothing changes
// and answered 304 to a matching If-None-Match; and `feed keygen`. The loop into the
// Actions is threat-feed-e2e.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const core = require('actionguard/control-plane');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const { createThreatFeed, feedFromEnv, signingKey, generateKeys, FORMAT } = require('../lib/feed.js');
const { BIN } = require('./helpers/spawn.js');

const TENANT = 'acme-prod';
// A fixed key: its seed is 32 bytes of 7.
const SEED = Buffer.alloc(32, 7).toString('base64');

/**
 * @param {Record<string, any>} over
 */
function alert(over = {}) {
  const now = Date.now();
  return {
    kind: 'credential_stuffing',
    severity: 'high',
    subject: { type: 'ip', value: '203.0.113.77' },
    organizations: ['org_a', 'org_b'],
    users: 3,
    events: 3,
    first_seen: new Date(now - 600_000).toISOString(),
    last_seen: new Date(now - 60_000).toISOString(),
    reasons: [{ code: 'failure_burst' }],
    targets: ['auth0|victim1', 'auth0|victim2'],
    ...over,
  };
}

/** @param {{ token?: string, nowMs?: () => number, feed?: boolean }} [o] */
async function start(o = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-feed-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const threatFeed = o.feed === false ? null : createThreatFeed({ store, signingKeyB64: SEED, token: o.token, tenant: TENANT, nowMs: o.nowMs });
  const { server } = createServer({ store, threatFeed, log: () => {} });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}/v1/threat-feed`;
  const stop = async () => {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r(undefined)));
    await store.close();
  };
  return { store, url, stop, publicKey: signingKey(SEED).publicKeyB64 };
}

test('the feed is the stored alerts, signed: the core verifies it with the public key, accounts pseudonymized', async () => {
  const t = await start();
  try {
    await t.store.upsertAlerts([
      alert(),
      alert({ kind: 'breached_password', severity: 'medium', subject: { type: 'user', value: 'auth0|leaked' }, targets: [] }),
      // Seen too long ago: not in the feed.
      alert({ subject: { type: 'ip', value: '198.51.100.9' }, first_seen: '2026-01-01T00:00:00Z', last_seen: '2026-01-01T01:00:00Z' }),
    ]);
    const res = await fetch(t.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const text = await res.text();
    const envelope = JSON.parse(text);
    assert.equal(envelope.format, FORMAT);
    // Ed25519 over the payload's UTF-8 bytes, with the raw public key the Actions hold.
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(t.publicKey, 'base64')]);
    const pub = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    assert.ok(crypto.verify(null, Buffer.from(envelope.payload, 'utf8'), pub, Buffer.from(envelope.signature, 'base64')));
    const payload = JSON.parse(envelope.payload);
    assert.equal(payload.tenant, TENANT);
    assert.deepEqual(
      payload.networks.map((/** @type {any} */ n) => [n.cidr, n.kinds, n.severity]),
      [['203.0.113.77/32', ['credential_stuffing'], 'high']],
    );
    assert.equal(payload.accounts.length, 3, 'two targets and the breached account');
    assert.doesNotMatch(envelope.payload, /auth0\||victim|leaked/);
    const expires = Date.parse(payload.expires_at) - Date.parse(payload.issued_at);
    assert.equal(expires, 3600_000);
    // What the Actions do with it: the core's verification, tenant included.
    const loaded = core.loadThreatFeed(text, t.publicKey, Date.now(), TENANT);
    assert.equal(loaded.type, 'success', JSON.stringify(loaded));
    assert.deepEqual([/** @type {any} */ (loaded).networks, /** @type {any} */ (loaded).accounts], [1, 3]);
    const other = core.loadThreatFeed(text, generateKeys().publicKey, Date.now(), TENANT);
    assert.equal(other.type, 'failure', 'another key does not verify it');
  } finally {
    await t.stop();
  }
});

test('ETag and 304; kept while nothing changes; rebuilt when an alert changes', async () => {
  let now = Date.now();
  const t = await start({ nowMs: () => now });
  try {
    await t.store.upsertAlerts([alert()]);
    const first = await fetch(t.url);
    const etag = String(first.headers.get('etag'));
    const body = await first.text();
    assert.match(etag, /^"[\w-]{27}"$/);
    const again = await fetch(t.url, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    // A second later, nothing changed: the same feed, the same signature.
    now += 1500;
    const same = await fetch(t.url);
    assert.equal(await same.text(), body);
    // An alert changes: a new feed.
    await t.store.upsertAlerts([alert({ subject: { type: 'network', value: '192.0.2.0/24' } })]);
    now += 1500;
    const changed = await fetch(t.url, { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    const payload = JSON.parse(JSON.parse(await changed.text()).payload);
    assert.deepEqual(
      payload.networks.map((/** @type {any} */ n) => n.cidr),
      ['192.0.2.0/24', '203.0.113.77/32'],
    );
    // Re-signed before half its lifetime is gone, even unchanged.
    const etag2 = String(changed.headers.get('etag'));
    now += 1800_000 + 1;
    const resigned = await fetch(t.url, { headers: { 'if-none-match': etag2 } });
    assert.equal(resigned.status, 200);
    const renewed = JSON.parse(JSON.parse(await resigned.text()).payload);
    assert.ok(Date.parse(renewed.issued_at) - Date.parse(payload.issued_at) >= 1800_000, 'issued anew');
  } finally {
    await t.stop();
  }
});

test('a token, when set, is required; without a signing key the feed is 503', async () => {
  const t = await start({ token: 'feed-token-0123456789' });
  const off = await start({ feed: false });
  try {
    assert.equal((await fetch(t.url)).status, 401);
    assert.equal((await fetch(t.url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(t.url, { headers: { authorization: 'Bearer feed-token-0123456789' } })).status, 200);
    const res = await fetch(off.url);
    assert.deepEqual([res.status, (await res.json()).error], [503, 'threat_feed_not_configured']);
    assert.equal(feedFromEnv(t.store, { env: {} }), null);
    assert.throws(() => feedFromEnv(t.store, { env: { THREAT_FEED_SIGNING_KEY: 'c2hvcnQ=' } }), /32-byte Ed25519 seed/);
    assert.throws(() => feedFromEnv(t.store, { env: { THREAT_FEED_SIGNING_KEY: SEED, THREAT_FEED_TTL_SECONDS: '5' } }), /THREAT_FEED_TTL_SECONDS/);
  } finally {
    await t.stop();
    await off.stop();
  }
});

test('feed keygen prints a key pair that signs and verifies', () => {
  const r = spawnSync(process.execPath, [BIN, 'feed', 'keygen'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stderr);
  const seed = /^THREAT_FEED_SIGNING_KEY=(\S+)$/m.exec(r.stdout)?.[1];
  const pub = /^THREAT_FEED_PUBLIC_KEY=(\S+)$/m.exec(r.stdout)?.[1];
  assert.ok(seed && pub, r.stdout);
  assert.equal(Buffer.from(seed, 'base64').length, 32);
  assert.equal(Buffer.from(pub, 'base64').length, 32);
  assert.equal(signingKey(seed).publicKeyB64, pub);
  const again = spawnSync(process.execPath, [BIN, 'feed', 'keygen'], { encoding: 'utf8' });
  assert.notEqual(/^THREAT_FEED_SIGNING_KEY=(\S+)$/m.exec(again.stdout)?.[1], seed, 'a new key each time');
});
