'use strict';
// The organization index of one Action instance under load (security review, issue 16,
// items 3 and 4): one build at a time that concurrent executions wait for, one token
// request in flight, the token in the instance (never in api.cache), a ceiling on live
// paging, exponential backoff after a failed build, a snapshot downloaded once and never
// again while its pin is the same, and an index too old to join on.
//
// Each test runs the real Action files on an instance of their own, loaded here: the
// executions started together are concurrent executions on one cold instance.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const path = require('node:path');
const ag = require('actionguard');
const { ManagementEmulator } = require('../harness/management');
const { installFetch, runAction, ACTIONS_DIR } = require('../harness/run');
const { loadAction } = require('../harness/loader');
const { Cache } = require('../harness/api');

const DOMAIN = 'flight.eu.auth0.test';
const SECRETS = { AUTH0_DOMAIN: DOMAIN, AUTH0_CLIENT_ID: 'm2m', AUTH0_CLIENT_SECRET: 'flight-secret' };

/**
 * A tenant of `n` organizations, `org_00000`.., each verified `org<i>.example`.
 * @param {number} n
 * @returns {Harness.TenantFixture}
 */
function tenant(n) {
  return {
    roles: [{ id: 'rol_member', name: 'Member' }],
    // The people the tests sign up (auth0|u0..): a member must exist.
    users: Array.from({ length: 32 }, (_, i) => ({ user_id: `auth0|u${i}`, email: `person${i}@org${i}.example` })),
    organizations: Array.from({ length: n }, (_, i) => ({
      id: `org_${String(i).padStart(5, '0')}`,
      name: `org-${i}`,
      metadata: { ag_roles: 'rol_member' },
      discovery_domains: [{ domain: `org${i}.example`, status: 'verified', use_for_organization_discovery: true }],
      members: [],
    })),
  };
}

/** @param {number} n */
async function emulator(n) {
  return new ManagementEmulator(tenant(n), { domain: DOMAIN, clientId: SECRETS.AUTH0_CLIENT_ID, clientSecret: SECRETS.AUTH0_CLIENT_SECRET }).start();
}

/**
 * The emulator's requests by route.
 * @param {Harness.ManagementCall[]} calls
 */
function requests(calls) {
  const get = (/** @type {RegExp} */ re) => calls.filter((c) => c.method === 'GET' && re.test(c.path));
  return {
    token: calls.filter((c) => c.method === 'POST' && c.path === '/oauth/token').length,
    list_pages: get(/^\/api\/v2\/organizations(\?|$)/).length,
    discovery_domains: get(/^\/api\/v2\/organizations\/[^/]+\/discovery-domains/).length,
    enabled_connections: get(/^\/api\/v2\/organizations\/[^/]+\/enabled_connections/).length,
    total: calls.length,
  };
}

/** @param {'post-login' | 'post-user-registration'} trigger */
function coldInstance(trigger) {
  return loadAction(path.join(ACTIONS_DIR, `${trigger}.js`), trigger);
}

/**
 * Executions started together on `instance`.
 * @param {object} o
 * @param {'post-login' | 'post-user-registration'} o.trigger
 * @param {import('../harness/loader').LoadedAction} o.instance
 * @param {Harness.ManagementEmulator} o.emu
 * @param {any[]} o.events
 * @param {Record<string, string>} [o.secrets]
 * @param {string} [o.now]
 * @param {Harness.Cache} [o.cache]
 */
async function together({ trigger, instance, emu, events, secrets = SECRETS, now, cache }) {
  // runAction installs its fetch routing per execution and restores it at the end; with
  // executions overlapping, this one stays under them all until the last has finished.
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  try {
    return await Promise.all(events.map((event) => runAction({ trigger, instance, emulator: emu, secrets, event, now, cache }).then((r) => r.result)));
  } finally {
    restore();
  }
}

const signUp = (/** @type {number} */ i) => ({ user: { user_id: `auth0|u${i}`, email: `person${i}@org${i}.example`, email_verified: true } });
const logIn = (/** @type {number} */ i) => ({ ...signUp(i), user: { ...signUp(i).user, app_metadata: {} } });
const discoveryOf = (/** @type {Harness.Result} */ r) => r.audit.find((a) => a.trigger === 'organization-discovery');
const failureOf = (/** @type {Harness.Result} */ r) => r.audit.find((a) => a.fail_mode || a.discovery_failed)?.error;
const later = (/** @type {number} */ ms) => new Date(Date.now() + ms).toISOString();

test('300 organizations, 10 executions at once on a cold instance: one build (a list pass, a discovery-domain request per organization) and one token request', async (t) => {
  const emu = await emulator(300);
  try {
    const results = await together({ trigger: 'post-user-registration', instance: await coldInstance('post-user-registration'), emu, events: [...Array(10).keys()].map(signUp) });
    for (const [i, r] of results.entries()) {
      assert.equal(failureOf(r), undefined, JSON.stringify(r.audit));
      assert.deepEqual([discoveryOf(r)?.org_action, discoveryOf(r)?.organization], ['join', `org_${String(i).padStart(5, '0')}`]);
    }
    const counted = requests(emu.calls);
    t.diagnostic(`requests for 10 concurrent cold executions: ${JSON.stringify(counted)}`);
    // Before: 10 token requests, 60 list pages, 3,000 discovery-domain requests.
    assert.equal(counted.token, 1);
    assert.equal(counted.list_pages, 6, 'one pass over 300 organizations in pages of 50');
    assert.equal(counted.discovery_domains, 300);
    const perOrg = new Set(emu.calls.filter((c) => c.path.includes('/discovery-domains')).map((c) => c.path.split('/')[4]));
    assert.equal(perOrg.size, 300, 'each organization once');
    assert.ok(counted.enabled_connections <= 300);
  } finally {
    await emu.stop();
  }
});

test('12,000 organizations under the default ceiling (1,000): ten logins at once are refused live paging after 21 pages, audited snapshot_required, and the next waits out the backoff', async (t) => {
  const emu = await emulator(12_000);
  try {
    const instance = await coldInstance('post-login');
    const logins = await together({ trigger: 'post-login', instance, emu, events: [...Array(10).keys()].map(logIn) });
    for (const login of logins) {
      assert.equal(login.outcome, 'allow', 'discovery never changes a login');
      assert.deepEqual(failureOf(login), { code: 'snapshot_required', path: 'organizations.live_index_max', status: null });
    }
    const counted = requests(emu.calls);
    t.diagnostic(`requests for 10 concurrent cold logins at 12,000 organizations: ${JSON.stringify(counted)}`);
    // Before: every login waited its 4 s budget and started another full build.
    assert.deepEqual(
      [counted.token, counted.list_pages, counted.discovery_domains, counted.enabled_connections],
      [1, 21, 0, 0],
      'no page past the one that crossed 1,000, no per-organization request',
    );
    // Within the backoff: refused again, without a request.
    const before = emu.calls.length;
    const next = await together({ trigger: 'post-login', instance, emu, events: [logIn(11)] });
    assert.deepEqual(failureOf(next[0]), { code: 'snapshot_required', path: 'organizations.live_index_max', status: null });
    assert.equal(emu.calls.length, before, 'no request during the backoff');
  } finally {
    await emu.stop();
  }
});

test('a ceiling set low in the policy stops the listing at the first page past it', async () => {
  const emu = await emulator(300);
  try {
    const secrets = { ...SECRETS, POLICY: JSON.stringify({ version: 1, organizations: { live_index_max: 100 } }) };
    const [r] = await together({ trigger: 'post-user-registration', instance: await coldInstance('post-user-registration'), emu, secrets, events: [signUp(1)] });
    assert.deepEqual(failureOf(r), { code: 'snapshot_required', path: 'organizations.live_index_max', status: null });
    const counted = requests(emu.calls);
    assert.deepEqual([counted.list_pages, counted.discovery_domains], [3, 0], '50, 100, then 150 > 100: refused');
  } finally {
    await emu.stop();
  }
});

test('a failed build backs off exponentially: no rebuild within 10 s, then 20 s, then it builds', async () => {
  const emu = await emulator(3);
  // A 403 (a missing scope, say) is not retried by the SDK: one request per build.
  emu.injectFault({ method: 'GET', path: '/api/v2/organizations', status: 403, times: 2 });
  try {
    const instance = await coldInstance('post-user-registration');
    const at = async (/** @type {number} */ ms) => {
      const before = emu.calls.length;
      const [r] = await together({ trigger: 'post-user-registration', instance, emu, now: later(ms), events: [signUp(0)] });
      return { r, pages: requests(emu.calls.slice(before)).list_pages };
    };
    const first = await at(0);
    assert.deepEqual([failureOf(first.r)?.status, first.pages], [403, 1]);
    const held = await at(9_000);
    assert.deepEqual([failureOf(held.r)?.status, held.pages], [403, 0], 'within 10 s: the same failure, no request');
    const second = await at(11_000);
    assert.deepEqual([failureOf(second.r)?.status, second.pages], [403, 1], 'after 10 s: tried again, failed again');
    const heldLonger = await at(11_000 + 19_000);
    assert.equal(heldLonger.pages, 0, 'now 20 s');
    const built = await at(11_000 + 21_000);
    assert.equal(built.pages, 1);
    assert.equal(discoveryOf(built.r)?.org_action, 'join');
  } finally {
    await emu.stop();
  }
});

test('the Management API token stays in the instance: one request for many executions, none in api.cache, renewed 5 minutes before it expires', async () => {
  const emu = await emulator(3);
  try {
    const instance = await coldInstance('post-user-registration');
    const cache = new Cache();
    await together({ trigger: 'post-user-registration', instance, emu, cache, events: [0, 1, 2].map(signUp) });
    await together({ trigger: 'post-user-registration', instance, emu, cache, events: [signUp(0)] });
    assert.equal(requests(emu.calls).token, 1);
    const token = [...emu.tokens][0];
    assert.ok(token);
    for (const [key, record] of cache.data) assert.ok(!record.value.includes(token) && !key.includes('token'), `api.cache holds ${key}`);
    // The emulator's tokens last 86,400 s: used until 300 s before that.
    await together({ trigger: 'post-user-registration', instance, emu, now: later((86_400 - 301) * 1000), events: [signUp(0)] });
    assert.equal(requests(emu.calls).token, 1);
    await together({ trigger: 'post-user-registration', instance, emu, now: later((86_400 - 299) * 1000), events: [signUp(0)] });
    assert.equal(requests(emu.calls).token, 2);
  } finally {
    await emu.stop();
  }
});

test('a token the API refuses (401) is dropped and the request sent again with a new one', async () => {
  const emu = await emulator(3);
  try {
    const instance = await coldInstance('post-user-registration');
    await together({ trigger: 'post-user-registration', instance, emu, events: [signUp(0)] });
    emu.tokens.clear(); // revoked
    const [r] = await together({ trigger: 'post-user-registration', instance, emu, events: [signUp(1)] });
    assert.equal(failureOf(r), undefined, JSON.stringify(r.audit));
    assert.equal(discoveryOf(r)?.org_action, 'join');
    assert.equal(requests(emu.calls).token, 2);
  } finally {
    await emu.stop();
  }
});

/**
 * Serves `body` at /orgs.snapshot, counting downloads.
 * @param {Buffer} body
 */
async function snapshotServer(body) {
  const served = { body, downloads: 0 };
  const server = http.createServer((_req, res) => {
    served.downloads += 1;
    res.writeHead(200).end(served.body);
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/orgs.snapshot`;
  return { served, url, close: () => server.close() };
}

/** @param {number} n */
function snapshotOf(n) {
  const built = ag.buildOrgIndex((tenant(n).organizations || []).map(({ id, name, metadata, discovery_domains }) => ({ id, name, metadata, discovery_domains })));
  assert.ok(built.type === 'success');
  const bytes = Buffer.from(built.index.snapshot());
  built.index.free();
  return { bytes, sha: crypto.createHash('sha256').update(bytes).digest('hex') };
}

test('a snapshot: 16 executions at once on a cold instance download it once; its pin unchanged, never again; a new pin, once', async (t) => {
  const first = snapshotOf(10_000);
  const host = await snapshotServer(first.bytes);
  const emu = await emulator(21);
  try {
    const instance = await coldInstance('post-user-registration');
    const secrets = { ...SECRETS, ORGMAP_SNAPSHOT_URL: host.url, ORGMAP_SNAPSHOT_SHA256: first.sha };
    // One download is one load: the WebAssembly memory (which never shrinks) holds one
    // index, not one per waiting execution.
    const results = await together({ trigger: 'post-user-registration', instance, emu, secrets, events: [...Array(16).keys()].map(signUp) });
    t.diagnostic(`16 concurrent cold executions, a 10,000-organization snapshot of ${first.bytes.length} bytes: ${host.served.downloads} download(s)`);
    for (const r of results) assert.equal(discoveryOf(r)?.org_action, 'join', JSON.stringify(r.audit));
    assert.equal(host.served.downloads, 1);
    assert.equal(requests(emu.calls).token, 1);
    assert.equal(requests(emu.calls).list_pages, 0, 'no paging');
    // Past the 5-minute refresh: a snapshot pinned by its SHA-256 cannot have changed.
    const sixMinutes = await together({ trigger: 'post-user-registration', instance, emu, secrets, now: later(6 * 60_000), events: [signUp(20)] });
    assert.equal(discoveryOf(sixMinutes[0])?.org_action, 'join');
    assert.equal(host.served.downloads, 1);
    // A new pin is a new index, fetched once.
    const second = snapshotOf(10);
    host.served.body = second.bytes;
    const repinned = { ...secrets, ORGMAP_SNAPSHOT_SHA256: second.sha };
    const moved = await together({ trigger: 'post-user-registration', instance, emu, secrets: repinned, events: [signUp(1), signUp(2), signUp(3)] });
    assert.deepEqual(
      moved.map((r) => discoveryOf(r)?.org_action),
      ['join', 'join', 'join'],
    );
    assert.equal(host.served.downloads, 2);
  } finally {
    host.close();
    await emu.stop();
  }
});

test('an index older than its maximum age (an hour) whose refresh fails only suggests; one that refreshes joins', async () => {
  const emu = await emulator(3);
  try {
    const instance = await coldInstance('post-user-registration');
    const [built] = await together({ trigger: 'post-user-registration', instance, emu, events: [signUp(0)] });
    assert.equal(discoveryOf(built)?.org_action, 'join');
    // org1.example is removed from its organization, and the refreshes fail.
    emu.orgs[1].discovery_domains = [];
    emu.injectFault({ method: 'GET', path: '/api/v2/organizations', status: 403, times: 1 });
    const [stale] = await together({ trigger: 'post-user-registration', instance, emu, now: later(61 * 60_000), events: [signUp(1)] });
    const decided = discoveryOf(stale);
    assert.equal(decided?.org_action, 'suggest', JSON.stringify(stale.audit));
    assert.deepEqual(
      decided?.reasons.map((/** @type {any} */ r) => r.code),
      ['organization_index_stale', 'verified_domain_match'],
    );
    assert.equal(emu.orgs[1].members.length, 0, 'not joined');
    // After the backoff the refresh succeeds: the removed domain maps to nobody, the others join.
    const [fresh] = await together({ trigger: 'post-user-registration', instance, emu, now: later(62 * 60_000), events: [signUp(1)] });
    assert.equal(discoveryOf(fresh)?.org_action, 'none');
    const [other] = await together({ trigger: 'post-user-registration', instance, emu, now: later(62 * 60_000), events: [signUp(2)] });
    assert.equal(discoveryOf(other)?.org_action, 'join');
  } finally {
    await emu.stop();
  }
});
