'use strict';
// Organization discovery end to end: scripts/sync-orgs against the emulated
// Management API with the real SDK (429s included), the snapshot it writes,
// and the post-user-registration Action under faults.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ManagementEmulator } = require('../harness/management');
const { installFetch, runAction } = require('../harness/run');
const ag = require('actionguard');
const { sync } = require(path.resolve(__dirname, '../../scripts/sync-orgs'));

const DOMAIN = 'acme.eu.auth0.test';
const SECRETS = { AUTH0_DOMAIN: DOMAIN, AUTH0_CLIENT_ID: 'm2m', AUTH0_CLIENT_SECRET: 'very-secret-value', INVITATION_CLIENT_ID: 'app' };

/**
 * @param {number} n
 * @returns {Harness.TenantFixture}
 */
function tenant(n) {
  return {
    roles: [{ id: 'rol_member', name: 'Member' }],
    users: [{ user_id: 'auth0|twice', email: 'a@org0.example' }],
    organizations: Array.from({ length: n }, (_, i) => ({
      id: `org_${String(i).padStart(4, '0')}`,
      name: `org-${i}`,
      metadata: i === 7 ? { ag_roles: 'rol_member' } : {},
      discovery_domains: [{ domain: i === 7 ? 'Bücher-Seven.example' : `org${i}.example`, status: i % 3 === 2 ? 'pending' : 'verified', use_for_organization_discovery: true }],
      enabled_connections: i === 7 ? [{ name: 'seven-sso', strategy: 'samlp' }] : [],
      members: [],
    })),
  };
}

test('sync-orgs pages every organization through 429s and writes a snapshot the Action can load', async () => {
  const emu = await new ManagementEmulator(tenant(120), { domain: DOMAIN, clientId: 'm2m', clientSecret: 'very-secret-value' }).start();
  emu.injectFault({ method: 'GET', path: '/api/v2/organizations', status: 429, times: 2, reset_in_s: 1 });
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  try {
    const r = await sync({ domain: DOMAIN, clientId: 'm2m', clientSecret: 'very-secret-value' });
    assert.equal(r.organizations, 120);
    assert.equal(r.domains, 120);
    const loaded = ag.loadOrgSnapshot(Buffer.from(r.snapshot));
    assert.ok(loaded.type === 'success');
    const engine = new ag.Engine(undefined); // undefined: the embedded default policy
    const database = { name: 'Username-Password-Authentication', strategy: 'auth0' };
    const d = engine.decideOrganization(loaded.index, { user: { email: 'x@BÜCHER-seven.example', email_verified: true }, connection: database });
    assert.ok(d.type === 'success');
    assert.deepEqual([d.action, d.organization?.id, d.roles], ['join', 'org_0007', ['rol_member']]);
    // The snapshot carries each organization's enabled connections (one request each).
    assert.equal(emu.calls.filter((c) => c.method === 'GET' && c.path.includes('/enabled_connections')).length, 120);
    const sso = engine.decideOrganization(loaded.index, { user: { email: 'x@bücher-seven.example', email_verified: true }, connection: { name: 'seven-sso', strategy: 'samlp' } });
    assert.ok(sso.type === 'success');
    assert.deepEqual([sso.action, sso.organization?.id], ['join', 'org_0007'], 'a connection the organization enabled');
    const other = engine.decideOrganization(loaded.index, { user: { email: 'x@org0.example', email_verified: true }, connection: { name: 'seven-sso', strategy: 'samlp' } });
    assert.ok(other.type === 'success');
    assert.deepEqual([other.action, other.reasons[0].code], ['suggest', 'connection_not_trusted'], 'not enabled for org_0000');
    const pending = engine.decideOrganization(loaded.index, { user: { email: 'x@org2.example', email_verified: true }, connection: database });
    assert.ok(pending.type === 'success');
    assert.equal(pending.action, 'suggest');
    assert.ok(emu.calls.filter((c) => c.status === 429).length === 2, 'the 429s were served and waited out');
  } finally {
    restore();
    await emu.stop();
  }
});

test('post-user-registration: a token endpoint that is down is audited, the registration is untouched', async () => {
  const t = tenant(3);
  t.faults = [{ method: 'POST', path: '/oauth/token', status: 503, times: 10 }];
  const { result, logs } = await runAction({
    trigger: 'post-user-registration',
    tenant: t,
    secrets: SECRETS,
    freshModule: true,
    event: { user: { email: 'a@org0.example', email_verified: true } },
  });
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.audit[0].error, { code: 'token_failed', path: null, status: 503 });
  assert.ok(!logs.includes('very-secret-value'));
});

// A retried execution (Auth0 may run a non-blocking trigger again) must not add twice.
test('post-user-registration: a repeated join of one user adds the member once', async () => {
  const emu = await new ManagementEmulator(tenant(3), { domain: DOMAIN, clientId: 'm2m', clientSecret: 'very-secret-value' }).start();
  try {
    const event = { user: { user_id: 'auth0|twice', email: 'a@org0.example', email_verified: true } };
    const runs = [];
    for (let i = 0; i < 2; i += 1) runs.push(await runAction({ trigger: 'post-user-registration', emulator: emu, secrets: SECRETS, event }));
    for (const { result } of runs) {
      assert.equal(result.audit[0].org_action, 'join');
      assert.equal(result.audit.length, 1, `no failure audited: ${JSON.stringify(result.audit)}`);
    }
    const members = emu.orgs[0].members.filter((m) => m.user_id === 'auth0|twice');
    assert.equal(members.length, 1);
  } finally {
    await emu.stop();
  }
});

test('post-user-registration: a new work domain under self-serve asks a person once, signed, and creates nothing', async () => {
  const http = require('node:http');
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const signed = require('actionguard/webhook').verify('approval-secret', body, req.headers['x-actionguard-signature']).ok;
      received.push({ body: JSON.parse(body), signed, key: req.headers['idempotency-key'] });
      res.writeHead(202).end();
    });
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  const emu = await new ManagementEmulator(tenant(3), { domain: DOMAIN, clientId: 'm2m', clientSecret: 'very-secret-value' }).start();
  const { Cache } = require('../harness/api');
  const cache = new Cache();
  const secrets = {
    ...SECRETS,
    POLICY: '{"version":1,"organizations":{"self_serve":true}}',
    APPROVAL_WEBHOOK_URL: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/approvals`,
    APPROVAL_WEBHOOK_SECRET: 'approval-secret',
  };
  try {
    for (const email of ['founder@newco.example', 'cto@NEWCO.example']) {
      const { result } = await runAction({ trigger: 'post-user-registration', emulator: emu, cache, secrets, event: { user: { email, email_verified: true } } });
      assert.equal(result.audit[0].org_action, 'create_for_approval');
    }
    assert.equal(received.length, 1, 'two sign-ups from one new domain, one request');
    assert.equal(received[0].signed, true);
    assert.deepEqual(received[0].body.proposal, { name: 'newco-example', display_name: 'newco.example', domain: 'newco.example' });
    assert.equal(received[0].key, received[0].body.dedupe_key);
    assert.match(received[0].body.requested_by, /^u_[0-9a-f]{24}$/);
    assert.ok(!JSON.stringify(received[0].body).includes('founder'), 'no address in the request');
    assert.equal(emu.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v2/organizations')).length, 0, 'nothing created');
  } finally {
    await emu.stop();
    server.close();
  }
});

test("post-user-registration: a large tenant's snapshot is fetched once, checked against its SHA-256, and used instead of paging", async () => {
  const http = require('node:http');
  const crypto = require('node:crypto');
  const built = ag.buildOrgIndex(tenant(50).organizations.map((o) => ({ ...o })));
  assert.ok(built.type === 'success');
  const snapshot = Buffer.from(built.index.snapshot());
  let fetches = 0;
  const server = http.createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200).end(snapshot);
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  const emu = await new ManagementEmulator(tenant(50), { domain: DOMAIN, clientId: 'm2m', clientSecret: 'very-secret-value' }).start();
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/orgs.snapshot`;
  const sha = crypto.createHash('sha256').update(snapshot).digest('hex');
  const event = { user: { user_id: 'auth0|twice', email: 'a@org3.example', email_verified: true } };
  try {
    const good = { ...SECRETS, ORGMAP_SNAPSHOT_URL: url, ORGMAP_SNAPSHOT_SHA256: sha };
    const first = await runAction({ trigger: 'post-user-registration', emulator: emu, secrets: good, event, freshModule: true });
    assert.deepEqual([first.result.audit[0].org_action, first.result.audit[0].organization], ['join', 'org_0003']);
    assert.equal(fetches, 1);
    assert.equal(emu.calls.filter((c) => c.method === 'GET' && c.path.startsWith('/api/v2/organizations')).length, 0, 'no paging');
    const tampered = { ...good, ORGMAP_SNAPSHOT_SHA256: '0'.repeat(64) };
    const second = await runAction({ trigger: 'post-user-registration', emulator: emu, secrets: tampered, event, freshModule: true });
    assert.deepEqual(second.result.audit[0].error, { code: 'snapshot_integrity', path: null, status: null });
  } finally {
    await emu.stop();
    server.close();
  }
});

test('post-user-registration without the Management API secrets says so in its audit line, and asks nothing', async () => {
  const { result } = await runAction({ trigger: 'post-user-registration', event: {}, secrets: {}, freshModule: true });
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.audit[0].error, { code: 'not_configured', path: null, status: null });
  assert.deepEqual(result.management_calls, []);
});
