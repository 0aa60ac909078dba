'use strict';
// Security review, issue 16 item 5: Auth0's api.cache holds 20 entries and 8 kB in all per
// trigger, shared with every Action bound to it. The harness enforces those limits, and a
// full cache (other Actions' entries) must not turn off ActionGuard's limits: the LLM's
// rate limit fails closed (no call), invitations are de-duplicated in the user's
// app_metadata, approval requests are not repeated, and every write that does not hold is
// audited.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { runAction } = require('../harness/run');
const api = require('../harness/api');
const { ManagementEmulator } = require('../harness/management');
const { FakeLlm } = require('../harness/llm');

const { Cache } = api;
const FIXTURE = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../scenarios/_fixtures/orgs-tenant.json'), 'utf8'));
const DOMAIN = 'actionguard-demo.eu.auth0.com';
const SECRETS = { AUTH0_DOMAIN: DOMAIN, AUTH0_CLIENT_ID: 'm2m-actionguard', AUTH0_CLIENT_SECRET: 'test-secret' };
const KB8 = 8 * 1024;

/**
 * Other Actions' entries: `entries` keys holding `bytes` bytes of keys and values in all.
 * @param {number} entries
 * @param {number} bytes
 * @returns {Record<string, string>}
 */
function othersEntries(entries, bytes) {
  /** @type {Record<string, string>} */
  const seed = {};
  const keys = Array.from({ length: entries }, (_, i) => `marketplace-action:kv:${String(i).padStart(2, '0')}`);
  const valueBytes = bytes - keys.reduce((n, k) => n + Buffer.byteLength(k), 0);
  keys.forEach((k, i) => {
    seed[k] = 'x'.repeat(Math.floor(valueBytes / entries) + (i < valueBytes % entries ? 1 : 0));
  });
  return seed;
}

/** A cache another Action filled: 20 entries, 8 kB. */
const fullCache = () => new Cache(othersEntries(20, KB8));

test('harness cache: 20 entries per trigger, then CacheSizeExceeded (an update still fits)', () => {
  let now = 1_000_000;
  const cache = new Cache({}, () => now);
  for (let i = 0; i < 20; i += 1) assert.equal(cache.set(`k${i}`, 'v').type, 'success', `entry ${i + 1}`);
  assert.deepEqual(cache.set('k20', 'v'), { type: 'error', code: 'CacheSizeExceeded' });
  assert.equal(cache.entries(), 20);
  assert.equal(cache.set('k0', 'updated').type, 'success', 'an existing key is replaced, not added');
  assert.equal(cache.delete('k1').type, 'success');
  assert.equal(cache.set('k20', 'v').type, 'success', 'a freed entry is reusable');
  cache.set('k2', 'v', { ttl: 1000 });
  now += 1001;
  assert.equal(cache.set('k21', 'v').type, 'success', 'an expired entry is gone and frees its slot');
  assert.throws(() => new Cache(othersEntries(21, 2000)), /does not fit/, 'a seed Auth0 could not hold');
});

test('harness cache: 8 kB of keys and values in all (UTF-8), then CacheSizeExceeded', () => {
  const cache = new Cache();
  // Two keys of 1 byte and two values of 4,095 bytes: exactly 8,192 bytes.
  assert.equal(cache.set('a', 'x'.repeat(4095)).type, 'success');
  assert.equal(cache.set('b', 'x'.repeat(4095)).type, 'success');
  assert.equal(cache.size(), KB8);
  assert.deepEqual(cache.set('c', ''), { type: 'error', code: 'CacheSizeExceeded' });
  assert.equal(cache.set('b', 'é'.repeat(2048)).type, 'error', 'counted in bytes: 1 + 4,096 more than fits');
  assert.equal(cache.set('b', 'y'.repeat(4095)).type, 'success', 'an update is measured with its new value in place of the old');
  assert.deepEqual(Object.keys(cache.toJSON()), ['a', 'b']);
  assert.equal(new Cache(othersEntries(20, KB8)).size(), KB8);
  assert.throws(() => new Cache(othersEntries(4, KB8 + 1)), /does not fit/);
});

test('harness cache: keys of 64 bytes, values of 4 kB, 24 hours at most; set answers errors, never throws', () => {
  const now = 1_000_000;
  const cache = new Cache({}, () => now);
  assert.equal(cache.set('k'.repeat(64), 'v').type, 'success');
  assert.deepEqual(cache.set('k'.repeat(65), 'v'), { type: 'error', code: 'CacheKeySizeExceeded' });
  assert.equal(cache.set('é'.repeat(33), 'v').code, 'CacheKeySizeExceeded', '66 bytes');
  assert.equal(cache.set('value', 'x'.repeat(4096)).type, 'success');
  assert.deepEqual(cache.set('value', 'x'.repeat(4097)), { type: 'error', code: 'CacheValueSizeExceeded' });
  const day = 24 * 3600 * 1000;
  assert.equal(cache.set('long', 'v', { ttl: 2 * day }).record?.expires_at, now + day, 'kept 24 hours at most');
  // @ts-expect-error: not a string, refused as Auth0 refuses it
  assert.deepEqual(cache.set('n', 5), { type: 'error', code: 'InvalidArgument' });
  assert.equal(api.MAX_CACHE_ENTRIES, 20);
  assert.equal(api.MAX_TOTAL_CACHE_BYTES, KB8);
  assert.equal(api.MAX_KEY_BYTES, 64);
  assert.equal(api.MAX_VALUE_BYTES, 4096);
});

// Substantial travel on a new device: score 0.475, inside the default band [0.4, 0.5).
const AMBIGUOUS = { authentication: { riskAssessment: { assessments: { ImpossibleTravel: { code: 'substantial_travel_from_last_login' }, NewDevice: { code: 'no_match' } } } } };

/**
 * Four ambiguous logins within one minute, `max_per_minute: 1`, on `cache`.
 * @param {Harness.Cache} cache
 */
async function fourAmbiguousLogins(cache) {
  const server = await new FakeLlm({ reply: 'allow' }).start();
  try {
    const secrets = { POLICY: JSON.stringify({ version: 1, llm: { enabled: true, max_per_minute: 1 } }), LLM_BASE_URL: server.url };
    const runs = [];
    for (let i = 0; i < 4; i += 1) {
      const { result } = await runAction({ trigger: 'post-login', event: AMBIGUOUS, secrets, cache, now: `2026-11-28T09:00:${String(10 + i).padStart(2, '0')}Z` });
      runs.push(result);
    }
    return { runs, calls: runs.reduce((n, r) => n + r.llm_calls, 0), requests: server.requests.length };
  } finally {
    await server.stop();
  }
}

test('llm.max_per_minute 1, 19 other entries (room for one): 4 ambiguous logins make at most 1 LLM call', async () => {
  const { runs, calls } = await fourAmbiguousLogins(new Cache(othersEntries(19, KB8 - 64)));
  assert.equal(calls, 1);
  const decisions = runs.map((r) => r.audit.find((a) => a.trigger === 'post-login'));
  assert.deepEqual(
    decisions.map((d) => d.llm.result),
    ['answered', 'rate_limited', 'rate_limited', 'rate_limited'],
  );
});

test('llm.max_per_minute 1, a full cache (20 entries, 8 kB of other Actions): no LLM call, the fallback, audited', async () => {
  const cache = fullCache();
  const { runs, calls, requests } = await fourAmbiguousLogins(cache);
  assert.equal(calls, 0, 'the rate limit cannot be stored: it fails closed');
  assert.equal(requests, 0);
  for (const r of runs) {
    assert.equal(r.outcome, 'challenge', "the band's fallback");
    const decision = r.audit.find((a) => a.trigger === 'post-login');
    assert.deepEqual(decision.llm, { asked: false, result: 'budget_unavailable' });
    assert.ok(
      decision.reasons.some((/** @type {{ code: string }} */ x) => x.code === 'llm_budget_unavailable'),
      JSON.stringify(decision.reasons),
    );
    const line = r.audit.find((a) => a.cache_unstored);
    assert.deepEqual(line?.cache_unstored, [{ key: 'actionguard:llm', code: 'CacheSizeExceeded' }]);
  }
  assert.equal(cache.entries(), 20);
});

test('an LLM budget the cache accepts but does not give back (best effort) is not trusted: no call', async () => {
  class Forgetful extends Cache {
    /** @param {string} key */
    get(key) {
      return key.startsWith('actionguard:') ? undefined : super.get(key);
    }
  }
  const { runs, calls } = await fourAmbiguousLogins(new Forgetful());
  assert.equal(calls, 0);
  const decision = runs[0].audit.find((a) => a.trigger === 'post-login');
  assert.deepEqual(decision.llm, { asked: false, result: 'budget_unavailable' });
  assert.deepEqual(runs[0].audit.find((a) => a.cache_unstored)?.cache_unstored, [{ key: 'actionguard:llm', code: 'not_read_back' }]);
});

const INVITE_SECRETS = { ...SECRETS, INVITATION_CLIENT_ID: 'app_dashboard' };
const UNVERIFIED = { user_id: 'auth0|66aa00bb11cc22dd33ee44ff', email: 'sam.lee@acme-industries.com', email_verified: false };

test('a full cache: 3 registrations of one unverified user send 1 invitation, remembered in app_metadata', async () => {
  const emu = await new ManagementEmulator(structuredClone(FIXTURE), { domain: DOMAIN, clientId: SECRETS.AUTH0_CLIENT_ID, clientSecret: SECRETS.AUTH0_CLIENT_SECRET }).start();
  try {
    const cache = fullCache();
    const results = [];
    for (let i = 0; i < 3; i += 1) {
      const { result } = await runAction({ trigger: 'post-user-registration', emulator: emu, cache, secrets: INVITE_SECRETS, event: { user: UNVERIFIED } });
      results.push(result);
    }
    assert.deepEqual(
      results.map((r) => r.audit[0].org_action),
      ['invite', 'invite', 'invite'],
    );
    assert.equal(emu.invitations.length, 1, JSON.stringify(emu.invitations));
    assert.deepEqual(
      results.map((r) => r.audit.find((a) => a.effect)?.effect),
      [undefined, 'already_invited', 'already_invited'],
    );
    const user = emu.users.find((u) => u.user_id === UNVERIFIED.user_id);
    assert.deepEqual(Object.keys(user.app_metadata.actionguard_invited), ['org_acme']);
    assert.ok(results.every((r) => !r.audit.some((a) => a.fail_mode)));
    assert.equal(cache.entries(), 20, 'no cache entry was spent on it');
  } finally {
    await emu.stop();
  }
});

test('an invitation whose mark cannot be written is not sent (no repeat possible); a failed one takes its mark back', async () => {
  const users = `/api/v2/users/${encodeURIComponent(UNVERIFIED.user_id)}`;
  const emu = await new ManagementEmulator(
    { ...structuredClone(FIXTURE), faults: [{ method: 'PATCH', path: users, status: 500, times: 3 }] },
    { domain: DOMAIN, clientId: SECRETS.AUTH0_CLIENT_ID, clientSecret: SECRETS.AUTH0_CLIENT_SECRET },
  ).start();
  try {
    const { result } = await runAction({ trigger: 'post-user-registration', emulator: emu, secrets: INVITE_SECRETS, event: { user: UNVERIFIED } });
    assert.equal(emu.invitations.length, 0);
    assert.equal(result.audit.find((a) => a.fail_mode)?.error.status, 500);
  } finally {
    await emu.stop();
  }
  const invitations = '/api/v2/organizations/org_acme/invitations';
  const down = await new ManagementEmulator(
    { ...structuredClone(FIXTURE), faults: [{ method: 'POST', path: invitations, status: 503, times: 1 }] },
    { domain: DOMAIN, clientId: SECRETS.AUTH0_CLIENT_ID, clientSecret: SECRETS.AUTH0_CLIENT_SECRET },
  ).start();
  try {
    await runAction({ trigger: 'post-user-registration', emulator: down, secrets: INVITE_SECRETS, event: { user: UNVERIFIED } });
    assert.deepEqual(down.users.find((u) => u.user_id === UNVERIFIED.user_id).app_metadata.actionguard_invited, {}, 'the mark was taken back');
    await runAction({ trigger: 'post-user-registration', emulator: down, secrets: INVITE_SECRETS, event: { user: UNVERIFIED } });
    assert.equal(down.invitations.length, 1, 'sent by the next execution');
  } finally {
    await down.stop();
  }
});

test('post-login: an invitation is remembered through api.user.setAppMetadata; the next login sends none', async () => {
  const emu = await new ManagementEmulator(structuredClone(FIXTURE), { domain: DOMAIN, clientId: SECRETS.AUTH0_CLIENT_ID, clientSecret: SECRETS.AUTH0_CLIENT_SECRET }).start();
  try {
    const cache = fullCache();
    const login = (/** @type {object} */ appMetadata) =>
      runAction({
        trigger: 'post-login',
        emulator: emu,
        cache,
        secrets: INVITE_SECRETS,
        event: { user: { ...UNVERIFIED, app_metadata: appMetadata }, stats: { logins_count: 1 } },
      });
    const first = await login({});
    assert.equal(first.result.audit.find((a) => a.trigger === 'organization-discovery')?.org_action, 'invite');
    assert.equal(emu.invitations.length, 1);
    const remembered = first.metadata.app_metadata.actionguard_invited;
    assert.deepEqual(Object.keys(remembered), ['org_acme']);
    // The next login carries what the first wrote (not its discovery marker, so discovery runs again).
    const second = await login({ actionguard_invited: remembered });
    assert.equal(second.result.audit.find((a) => a.effect)?.effect, 'already_invited');
    assert.equal(emu.invitations.length, 1);
    assert.equal(emu.calls.filter((c) => c.path.startsWith('/api/v2/users/') && c.method !== 'GET').length, 0, 'post-login writes through api.user, not the Management API');
  } finally {
    await emu.stop();
  }
});

test('a full cache: 3 sign-ups from one new domain on one instance post 1 approval request', async () => {
  /** @type {string[]} */
  const keys = [];
  const server = http.createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    req.resume();
    req.on('end', () => res.writeHead(202).end());
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  const emu = await new ManagementEmulator(
    { organizations: [], users: [] },
    { domain: DOMAIN, clientId: SECRETS.AUTH0_CLIENT_ID, clientSecret: SECRETS.AUTH0_CLIENT_SECRET },
  ).start();
  const secrets = {
    ...SECRETS,
    POLICY: '{"version":1,"organizations":{"self_serve":true}}',
    APPROVAL_WEBHOOK_URL: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/approvals`,
    APPROVAL_WEBHOOK_SECRET: 'approval-secret',
  };
  try {
    const cache = fullCache();
    const effects = [];
    for (const email of ['founder@fullcache-newco.example', 'cto@fullcache-newco.example', 'ops@fullcache-newco.example']) {
      const { result } = await runAction({
        trigger: 'post-user-registration',
        emulator: emu,
        cache,
        secrets,
        event: { user: { user_id: `auth0|${email}`, email, email_verified: true } },
      });
      assert.equal(result.audit[0]?.org_action, 'create_for_approval', JSON.stringify(result.audit));
      effects.push(result.audit.find((a) => a.effect)?.effect);
    }
    assert.equal(keys.length, 1, 'one request; another instance would repeat its idempotency key, which the receiver drops');
    assert.deepEqual(effects, ['requested', 'already_requested', 'already_requested']);
  } finally {
    await emu.stop();
    server.close();
  }
});

test('pre-user-registration with a full cache: the sign-up goes on and the unstored counters are audited', async () => {
  const { result } = await runAction({
    trigger: 'pre-user-registration',
    cache: fullCache(),
    secrets: { COUNTER_KEY: 'tenant-counter-key-0123456789' },
    event: { user: { email: 'sam.lee@acme-industries.com' } },
  });
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.audit.find((a) => a.cache_unstored)?.cache_unstored, [{ key: 'actionguard:signup:v1', code: 'CacheSizeExceeded' }]);
  assert.deepEqual(result.audit[0].warnings, []);
});

test('pre-user-registration keys its counters with COUNTER_KEY: two tenants store different keys, never the unkeyed hash', async () => {
  /** @param {Record<string, string>} secrets */
  const stored = async (secrets) => {
    const cache = new Cache();
    const { result } = await runAction({
      trigger: 'pre-user-registration',
      cache,
      secrets,
      event: { user: { email: 'sam.lee@acme-industries.com' }, request: { ip: '198.51.100.7' } },
    });
    return { value: cache.get('actionguard:signup:v1')?.value ?? '', warnings: result.audit[0].warnings };
  };
  const a = await stored({ COUNTER_KEY: 'tenant-a-counter-key-0123456789' });
  const b = await stored({ COUNTER_KEY: 'tenant-b-counter-key-0123456789' });
  assert.match(a.value, /^v2 /);
  assert.notEqual(a.value.split(' ').slice(3).join(' '), b.value.split(' ').slice(3).join(' '));
  // The hash the counters stored before issue 16: SHA-256 of a fixed prefix and the address.
  const unkeyed = require('node:crypto').createHash('sha256').update('actionguard/velocity/v1\x00198.51.100.7/32').digest('hex').slice(0, 10);
  assert.ok(!a.value.includes(unkeyed) && !b.value.includes(unkeyed), a.value);
  assert.deepEqual(a.warnings, []);
  const perInstance = await stored({});
  assert.deepEqual(perInstance.warnings, ['counters_per_instance'], 'no COUNTER_KEY: counted per instance, and said');
});
