'use strict';
// The threat feed in the real Actions (issue 19): a local control plane serves a feed signed
// with node:crypto, as the server signs it; post-login and pre-user-registration fetch it once
// per instance (single flight), again past its maximum age, within a time budget, and decide
// with it. Whatever the feed endpoint does (down, slow, 500, garbage, another key, expired), an
// execution decides without it, says why in its audit record, and never crashes.
//
// Each test runs the Action files on a cold instance of its own (loaded here).

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const path = require('node:path');
// The feed is built by the control plane's module, as the server builds it.
const { buildThreatFeed } = require('actionguard/control-plane');
const { runAction, ACTIONS_DIR } = require('../harness/run');
const { loadAction } = require('../harness/loader');
const { Cache } = require('../harness/api');
const { TENANT } = require('../harness/events');

const STUFFER = '198.51.100.77';
const VICTIM = 'auth0|victim-of-stuffing';
const KEYS = crypto.generateKeyPairSync('ed25519');
const OTHER_KEYS = crypto.generateKeyPairSync('ed25519');
/** @param {crypto.KeyObject} key */
const rawPublic = (key) => key.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');

/**
 * A payload built by the core from alerts, as the control plane builds it.
 * @param {{ issuedAt?: number, ttl?: number, tenant?: string | null, network?: string, targets?: string[] }} [o]
 */
function payload({ issuedAt = Date.now(), ttl = 3600, tenant = TENANT, network = STUFFER, targets = [] } = {}) {
  const built = buildThreatFeed({
    tenant,
    issued_at: new Date(issuedAt).toISOString(),
    ttl_seconds: ttl,
    alerts: [{ kind: 'credential_stuffing', severity: 'high', subject: { type: 'ip', value: network }, targets }],
  });
  assert.equal(built.type, 'success');
  return built.type === 'success' ? built.payload : '';
}

/**
 * The envelope the control plane serves.
 * @param {string} text
 * @param {crypto.KeyObject} [privateKey]
 */
function envelope(text, privateKey = KEYS.privateKey) {
  return JSON.stringify({ format: 'actionguard-threat-feed/1', payload: text, signature: crypto.sign(null, Buffer.from(text), privateKey).toString('base64') });
}

/**
 * A threat-feed endpoint: `respond()` makes each answer ({ status, body, delayMs }); requests
 * are counted and their authorization kept.
 * @param {() => { status?: number, body: string, delayMs?: number }} respond
 */
async function feedServer(respond) {
  const seen = { requests: 0, authorization: /** @type {(string | undefined)[]} */ ([]) };
  const server = http.createServer((req, res) => {
    seen.requests += 1;
    seen.authorization.push(req.headers.authorization);
    const { status = 200, body, delayMs = 0 } = respond();
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    }, delayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/v1/threat-feed`,
    seen,
    stop: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/** @param {'post-login' | 'pre-user-registration'} trigger */
function coldInstance(trigger) {
  return loadAction(path.join(ACTIONS_DIR, `${trigger}.js`), trigger);
}

/**
 * Executions started together on one instance.
 * @param {object} o
 * @param {'post-login' | 'pre-user-registration'} o.trigger
 * @param {import('../harness/loader').LoadedAction} o.instance
 * @param {Record<string, string>} o.secrets
 * @param {any[]} o.events
 * @param {string} [o.now]
 * @param {Harness.Cache} [o.cache]
 */
function together({ trigger, instance, secrets, events, now, cache }) {
  return Promise.all(events.map((event) => runAction({ trigger, instance, secrets, event, now, cache }).then((r) => r.result)));
}

const login = (/** @type {string} */ ip, user = 'auth0|bystander') => ({ request: { ip }, user: { user_id: user } });
const signup = (/** @type {string} */ ip) => ({ request: { ip } });
/** The deciding record of an execution. */
const decided = (/** @type {Harness.Result} */ r) => r.audit.find((a) => a.trigger === r.trigger && Array.isArray(a.reasons));
const reasons = (/** @type {Harness.Result} */ r) => (decided(r)?.reasons ?? []).map((x) => x.code);
const warnings = (/** @type {Harness.Result} */ r) => /** @type {string[]} */ (decided(r)?.warnings ?? []).filter((w) => w.startsWith('threat_feed'));
const later = (/** @type {number} */ ms) => new Date(Date.now() + ms).toISOString();
/** @param {string} url */
const secretsFor = (url, key = rawPublic(KEYS.publicKey), extra = {}) => ({ THREAT_FEED_URL: url, THREAT_FEED_PUBLIC_KEY: key, ...extra });

test('a login from a listed network is challenged, one from elsewhere is not; a listed account is challenged anywhere; the token is sent', async () => {
  const feed = await feedServer(() => ({ body: envelope(payload({ targets: [VICTIM] })) }));
  try {
    const instance = await coldInstance('post-login');
    const secrets = secretsFor(feed.url, undefined, { THREAT_FEED_TOKEN: 'feed-token-1' });
    const cache = new Cache();
    const [listed, elsewhere, account] = await together({
      trigger: 'post-login',
      instance,
      secrets,
      cache,
      events: [login(STUFFER), login('192.0.2.10'), login('192.0.2.11', VICTIM)],
    });
    assert.equal(listed.outcome, 'challenge');
    assert.ok(reasons(listed).includes('network_under_attack'), JSON.stringify(decided(listed)));
    assert.equal(elsewhere.outcome, 'allow');
    assert.ok(!reasons(elsewhere).includes('network_under_attack'));
    assert.equal(account.outcome, 'challenge');
    assert.ok(reasons(account).includes('account_under_attack'));
    for (const r of [listed, elsewhere, account]) assert.deepEqual(warnings(r), []);
    assert.equal(feed.seen.requests, 1);
    assert.deepEqual(feed.seen.authorization, ['Bearer feed-token-1']);
    // The feed lives in the instance: nothing of it in api.cache.
    for (const [key, record] of cache.data) assert.ok(!/threat|feed/i.test(key) && !record.value.includes(STUFFER), `api.cache holds ${key}`);
  } finally {
    await feed.stop();
  }
});

test('a sign-up from a listed network cites it; with the policy weighing it 0.8 it is refused', async () => {
  const feed = await feedServer(() => ({ body: envelope(payload()) }));
  try {
    const secrets = secretsFor(feed.url);
    const [cited] = await together({ trigger: 'pre-user-registration', instance: await coldInstance('pre-user-registration'), secrets, events: [signup(STUFFER)] });
    assert.equal(cited.outcome, 'allow', 'soft evidence alone does not refuse');
    assert.ok(reasons(cited).includes('network_under_attack'));
    const strict = { ...secrets, POLICY: JSON.stringify({ version: 1, threat_feed: { weights: { network_under_attack: 0.8 } } }) };
    const instance = await coldInstance('pre-user-registration');
    const [refused, elsewhere] = await together({ trigger: 'pre-user-registration', instance, secrets: strict, events: [signup(STUFFER), signup('192.0.2.10')] });
    assert.equal(refused.outcome, 'deny');
    assert.ok(reasons(refused).includes('risk_too_high'));
    assert.equal(elsewhere.outcome, 'allow');
  } finally {
    await feed.stop();
  }
});

test('20 concurrent executions on a cold instance: one fetch, and every one decides with the feed', async (t) => {
  const feed = await feedServer(() => ({ body: envelope(payload()), delayMs: 50 }));
  try {
    const events = Array.from({ length: 20 }, (_, i) => login(i % 2 ? STUFFER : `192.0.2.${i}`));
    const results = await together({ trigger: 'post-login', instance: await coldInstance('post-login'), secrets: secretsFor(feed.url), events });
    t.diagnostic(`fetches for 20 concurrent cold executions: ${feed.seen.requests}`);
    assert.equal(feed.seen.requests, 1);
    for (const [i, r] of results.entries()) assert.equal(r.outcome, i % 2 ? 'challenge' : 'allow', JSON.stringify(decided(r)));
  } finally {
    await feed.stop();
  }
});

test('past half its maximum age the feed is fetched again in the background, past the maximum an execution waits for the new one', async () => {
  let version = 0;
  // The first feed lists the stuffing network; from the second on, also the victim's account.
  const feed = await feedServer(() => {
    version += 1;
    return { body: envelope(payload({ targets: version > 1 ? [VICTIM] : [] })) };
  });
  try {
    const instance = await coldInstance('post-login');
    const secrets = secretsFor(feed.url, undefined, { POLICY: JSON.stringify({ version: 1, threat_feed: { max_age_seconds: 60 } }) });
    const run = (/** @type {number} */ ms) => together({ trigger: 'post-login', instance, secrets, now: later(ms), events: [login('192.0.2.20', VICTIM)] });
    const [first] = await run(0);
    assert.deepEqual([first.outcome, feed.seen.requests], ['allow', 1]);
    const [young] = await run(20_000);
    assert.deepEqual([young.outcome, feed.seen.requests], ['allow', 1], 'under half its age: the held feed, no request');
    // 61 s old: past the maximum, the execution waits for the refresh and decides with it.
    const [refreshed] = await run(61_000);
    assert.equal(feed.seen.requests, 2);
    assert.equal(refreshed.outcome, 'challenge');
    assert.ok(reasons(refreshed).includes('account_under_attack'));
  } finally {
    await feed.stop();
  }
});

test('a slow endpoint: the login is decided within the budget without the feed, and the fetch lands for the next one', async (t) => {
  const feed = await feedServer(() => ({ body: envelope(payload()), delayMs: 1500 }));
  try {
    const instance = await coldInstance('post-login');
    const secrets = secretsFor(feed.url, undefined, { POLICY: JSON.stringify({ version: 1, threat_feed: { budget_ms: 200 } }) });
    const started = performance.now();
    const [late] = await together({ trigger: 'post-login', instance, secrets, events: [login(STUFFER)] });
    const elapsed = performance.now() - started;
    t.diagnostic(`cold login against a 1500 ms endpoint, budget 200 ms: ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 1000, `${elapsed} ms`);
    assert.equal(late.outcome, 'allow', 'decided without the feed');
    assert.deepEqual(warnings(late), ['threat_feed_timeout']);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const [next] = await together({ trigger: 'post-login', instance, secrets, events: [login(STUFFER)] });
    assert.equal(next.outcome, 'challenge', 'the fetch went on and serves the next execution');
    assert.equal(feed.seen.requests, 1);
  } finally {
    await feed.stop();
  }
});

/** Failures of the endpoint or the feed, each on a cold instance: decided without it, the code audited, no crash. */
const FAILURES = [
  { name: 'a signature by another key', code: 'threat_feed_signature', respond: () => ({ body: envelope(payload(), OTHER_KEYS.privateKey) }) },
  { name: 'the wrong public key in the secret', code: 'threat_feed_signature', key: rawPublic(OTHER_KEYS.publicKey), respond: () => ({ body: envelope(payload()) }) },
  { name: 'a public key that is not one', code: 'threat_feed_key_invalid', key: 'not-a-key', respond: () => ({ body: envelope(payload()) }) },
  { name: 'an expired feed', code: 'threat_feed_expired', respond: () => ({ body: envelope(payload({ issuedAt: Date.now() - 7200_000, ttl: 3600 })) }) },
  { name: 'another tenant s feed', code: 'threat_feed_tenant_mismatch', respond: () => ({ body: envelope(payload({ tenant: 'someone-else' })) }) },
  { name: 'a 500', code: 'threat_feed_http_error', respond: () => ({ status: 500, body: '{"error":"boom"}' }) },
  { name: 'an HTML error page', code: 'threat_feed_malformed', respond: () => ({ body: '<html><body>502 Bad Gateway</body></html>' }) },
  { name: 'a payload edited after signing', code: 'threat_feed_signature', respond: () => ({ body: envelope(payload()).replace(STUFFER, '192.0.2.99') }) },
  { name: 'a body over the core s bound', code: 'threat_feed_oversized', respond: () => ({ body: 'x'.repeat(3 * 1024 * 1024) }) },
];

for (const failure of FAILURES) {
  test(`${failure.name}: the login is decided without the feed, ${failure.code} in its audit record`, async () => {
    const feed = await feedServer(failure.respond);
    try {
      const instance = await coldInstance('post-login');
      const secrets = secretsFor(feed.url, failure.key);
      const [r] = await together({ trigger: 'post-login', instance, secrets, events: [login(STUFFER)] });
      assert.equal(r.error, undefined);
      assert.equal(r.outcome, 'allow', 'a listed network, but no usable feed');
      assert.deepEqual(warnings(r), [failure.code]);
      assert.ok(!r.audit.some((a) => a.fail_mode), 'not the fail mode: the core decided');
      // Within the backoff the next execution does not ask again, and says why it has no feed.
      const [again] = await together({ trigger: 'post-login', instance, secrets, events: [login(STUFFER)] });
      assert.deepEqual([again.outcome, warnings(again), feed.seen.requests], ['allow', [failure.code], 1]);
    } finally {
      await feed.stop();
    }
  });
}

test('an unreachable endpoint and a plain-http remote one: decided without the feed, with the code', async () => {
  const closed = await feedServer(() => ({ body: '' }));
  await closed.stop();
  for (const [url, code] of [
    [closed.url, 'threat_feed_unreachable'],
    ['http://control-plane.example/v1/threat-feed', 'threat_feed_url_insecure'],
  ]) {
    const [r] = await together({ trigger: 'post-login', instance: await coldInstance('post-login'), secrets: secretsFor(url), events: [login(STUFFER)] });
    assert.deepEqual([r.outcome, warnings(r)], ['allow', [code]], url);
  }
});

test('an older feed than the one held is refused, and the newer one keeps serving', async () => {
  const newer = envelope(payload({ issuedAt: Date.now() }));
  const older = envelope(payload({ issuedAt: Date.now() - 600_000, network: '192.0.2.200' }));
  let served = 0;
  const feed = await feedServer(() => ({ body: served++ === 0 ? newer : older }));
  try {
    const instance = await coldInstance('post-login');
    const secrets = secretsFor(feed.url, undefined, { POLICY: JSON.stringify({ version: 1, threat_feed: { max_age_seconds: 60 } }) });
    const [first] = await together({ trigger: 'post-login', instance, secrets, events: [login(STUFFER)] });
    assert.equal(first.outcome, 'challenge');
    const [replayed] = await together({ trigger: 'post-login', instance, secrets, now: later(61_000), events: [login(STUFFER)] });
    assert.equal(feed.seen.requests, 2);
    assert.equal(replayed.outcome, 'challenge', 'the newer feed still lists the network');
    assert.deepEqual(warnings(replayed), ['threat_feed_rollback']);
  } finally {
    await feed.stop();
  }
});

test('without THREAT_FEED_URL or its key, or with the feed switched off by the policy: no request, and the same decisions as before', async () => {
  const feed = await feedServer(() => ({ body: envelope(payload({ targets: [VICTIM] })) }));
  try {
    const events = [login(STUFFER), login('192.0.2.10'), login('192.0.2.11', VICTIM)];
    const baseline = await together({ trigger: 'post-login', instance: await coldInstance('post-login'), secrets: {}, events });
    const decisions = (/** @type {Harness.Result[]} */ rs) => rs.map((r) => [r.outcome, reasons(r), decided(r)?.warnings]);
    for (const secrets of [
      { THREAT_FEED_URL: feed.url },
      { THREAT_FEED_PUBLIC_KEY: rawPublic(KEYS.publicKey) },
      { ...secretsFor(feed.url), POLICY: JSON.stringify({ version: 1, threat_feed: { enabled: false } }) },
    ]) {
      const got = await together({ trigger: 'post-login', instance: await coldInstance('post-login'), secrets, events });
      // The POLICY secret changes the record's digest, not the decisions.
      assert.deepEqual(decisions(got), decisions(baseline), JSON.stringify(Object.keys(secrets)));
    }
    assert.deepEqual(
      decisions(baseline).map((d) => d[0]),
      ['allow', 'allow', 'allow'],
    );
    assert.equal(feed.seen.requests, 0);
    const [signupBaseline] = await together({ trigger: 'pre-user-registration', instance: await coldInstance('pre-user-registration'), secrets: {}, events: [signup(STUFFER)] });
    assert.deepEqual([signupBaseline.outcome, reasons(signupBaseline)], ['allow', []]);
  } finally {
    await feed.stop();
  }
});
