'use strict';
// The emulated Management API must answer the real `auth0` SDK as Auth0 does:
// tokens, checkpoint and offset pagination, Auth0's page and member limits,
// and 429s with x-ratelimit-reset that the SDK honours and retries.

const test = require('node:test');
const assert = require('node:assert/strict');
const { ManagementClient } = require('auth0');
const { ManagementEmulator } = require('../harness/management');
const { installFetch } = require('../harness/run');

const DOMAIN = 'acme.eu.auth0.test';
const CLIENT = { clientId: 'm2m-client', clientSecret: 's3cr3t-value' };

/**
 * @param {number} orgCount
 * @returns {Harness.TenantFixture}
 */
function tenant(orgCount) {
  const users = [];
  for (let i = 0; i < 25; i++) users.push({ user_id: `auth0|u${i}`, email: `user${i}@acme.test` });
  return {
    roles: [
      { id: 'rol_member', name: 'Member' },
      { id: 'rol_admin', name: 'Admin' },
    ],
    users,
    organizations: Array.from({ length: orgCount }, (_, i) => ({
      id: `org_${String(i).padStart(4, '0')}`,
      name: `org-${i}`,
      display_name: `Org ${i}`,
      metadata: {},
      discovery_domains: [{ domain: `org${i}.test`, status: i % 2 ? 'pending' : 'verified', use_for_organization_discovery: true }],
      members: i === 0 ? [{ user_id: 'auth0|u0', roles: ['rol_member'] }] : [],
    })),
  };
}

async function setup(orgCount = 3) {
  const emu = await new ManagementEmulator(tenant(orgCount), { domain: DOMAIN, ...CLIENT }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const client = new ManagementClient({ domain: DOMAIN, ...CLIENT });
  return {
    emu,
    client,
    done: async () => {
      restore();
      await emu.stop();
    },
  };
}

test('checkpoint pagination walks 120 organizations in pages of at most 50', async () => {
  const { emu, client, done } = await setup(120);
  try {
    const seen = [];
    let page = await client.organizations.list({ take: 50 });
    seen.push(...page.data.map((o) => o.id));
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      seen.push(...page.data.map((o) => o.id));
    }
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen).size, 120);
    const lists = emu.calls.filter((c) => c.path.startsWith('/api/v2/organizations'));
    assert.equal(lists.length, 3, 'three pages: 50 + 50 + 20');
    assert.match(lists[1].path, /[?&]from=/);
    const token = emu.calls.find((c) => c.path === '/oauth/token');
    assert.equal(token.body.client_secret, '[redacted]', 'secrets never land in the recorded calls');
  } finally {
    await done();
  }
});

test('offset pagination and the 50-per-page cap', async () => {
  const { client, done } = await setup(60);
  try {
    const res = await fetch(`https://${DOMAIN}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, audience: `https://${DOMAIN}/api/v2/` }),
    });
    const { access_token: token } = /** @type {{ access_token: string }} */ (await res.json());
    const get = (q) => fetch(`https://${DOMAIN}/api/v2/organizations?${q}`, { headers: { authorization: `Bearer ${token}` } });
    const page1 = /** @type {{ start: number, limit: number, total: number, organizations: unknown[] }} */ (await (await get('page=1&per_page=50&include_totals=true')).json());
    assert.deepEqual([page1.start, page1.limit, page1.total, page1.organizations.length], [50, 50, 60, 10]);
    const tooBig = await get('per_page=51');
    assert.equal(tooBig.status, 400);
    const noToken = await fetch(`https://${DOMAIN}/api/v2/organizations`);
    assert.equal(noToken.status, 401);
    // The SDK surfaces the 400 as an error rather than a short page.
    await assert.rejects(client.organizations.list({ take: 51 }), (/** @type {{ statusCode?: number }} */ err) => err.statusCode === 400);
  } finally {
    await done();
  }
});

test('members, roles, discovery domains, invitations and user organizations through the SDK', async () => {
  const { emu, client, done } = await setup(3);
  try {
    await client.organizations.members.create('org_0002', { members: ['auth0|u1', 'auth0|u2'] });
    await client.organizations.members.create('org_0002', { members: ['auth0|u1'] }); // idempotent, as on Auth0
    await client.organizations.members.roles.assign('org_0002', 'auth0|u1', { roles: ['rol_admin'] });
    const members = await client.organizations.members.list('org_0002', {});
    assert.deepEqual(
      members.data.map((m) => m.user_id),
      ['auth0|u1', 'auth0|u2'],
    );
    const roles = await client.organizations.members.roles.list('org_0002', 'auth0|u1');
    assert.deepEqual(
      roles.data.map((r) => r.id),
      ['rol_admin'],
    );
    const domains = await client.organizations.discoveryDomains.list('org_0000');
    assert.deepEqual(
      domains.data.map((d) => [d.domain, d.status]),
      [['org0.test', 'verified']],
    );
    const inv = await client.organizations.invitations.create('org_0001', {
      inviter: { name: 'ActionGuard' },
      invitee: { email: 'new@org1.test' },
      client_id: 'app',
    });
    assert.match(inv.id, /^uinv_/);
    const userOrgs = await client.users.organizations.list('auth0|u1');
    assert.deepEqual(
      userOrgs.data.map((o) => o.id),
      ['org_0002'],
    );
    // Auth0 takes at most 10 members per request.
    const eleven = Array.from({ length: 11 }, (_, i) => `auth0|u${i}`);
    await assert.rejects(client.organizations.members.create('org_0001', { members: eleven }), (/** @type {{ statusCode?: number }} */ err) => err.statusCode === 400);
    assert.equal(emu.orgs[1].members.length, 0, 'a rejected batch adds nobody');
  } finally {
    await done();
  }
});

test('a 429 with x-ratelimit-reset is honoured by the SDK and retried without duplicate writes', async () => {
  const { emu, client, done } = await setup(3);
  try {
    emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_0001/members', status: 429, times: 2, reset_in_s: 1 });
    const t0 = Date.now();
    await client.organizations.members.create('org_0001', { members: ['auth0|u3'] });
    const posts = emu.calls.filter((c) => c.method === 'POST' && c.path === '/api/v2/organizations/org_0001/members');
    assert.deepEqual(
      posts.map((c) => c.status),
      [429, 429, 204],
    );
    assert.ok(Date.now() - t0 >= 500, 'the SDK waited for the reset before retrying');
    assert.deepEqual(
      emu.orgs[1].members.map((m) => m.user_id),
      ['auth0|u3'],
    );
  } finally {
    await done();
  }
});

test('a 5xx is surfaced after the SDK gives up, and nothing was written', async () => {
  const { emu, done } = await setup(3);
  try {
    emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_0001/members', status: 503, times: 10 });
    const limited = new ManagementClient({ domain: DOMAIN, ...CLIENT, maxRetries: 1 });
    await assert.rejects(limited.organizations.members.create('org_0001', { members: ['auth0|u4'] }), (/** @type {{ statusCode?: number }} */ err) => err.statusCode === 503);
    assert.equal(emu.orgs[1].members.length, 0);
  } finally {
    await done();
  }
});

test('enabled connections: Auth0 entries from a fixture name or parts, offset pages only, and the SDK list the index build uses', async () => {
  const fixture = tenant(2);
  fixture.organizations[0].enabled_connections = [
    'acme-okta',
    { name: 'acme-saml', strategy: 'samlp', assign_membership_on_login: true },
    ...Array.from({ length: 60 }, (_, i) => `extra-${i}`),
  ];
  const emu = await new ManagementEmulator(fixture, { domain: DOMAIN, ...CLIENT }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const client = new ManagementClient({ domain: DOMAIN, ...CLIENT });
  try {
    const first = await client.organizations.enabledConnections.list('org_0000', { per_page: 50 });
    assert.equal(first.data.length, 50);
    const [okta, saml] = first.data;
    assert.deepEqual(okta.connection, { name: 'acme-okta', strategy: 'oidc' });
    assert.match(String(okta.connection_id), /^con_[0-9a-f]{16}$/);
    assert.deepEqual([saml.connection?.name, saml.connection?.strategy, saml.assign_membership_on_login], ['acme-saml', 'samlp', true]);
    // What js/orgs.js buildFromApi does: every page, one request per 50 connections.
    const { allPages } = require('actionguard/orgs');
    const before = emu.calls.length;
    const all = await allPages(client.organizations.enabledConnections.list('org_0000', { per_page: 50 }));
    assert.equal(all.length, 62);
    assert.deepEqual(
      emu.calls.slice(before).map((c) => c.path),
      [
        '/api/v2/organizations/org_0000/enabled_connections?page=0&per_page=50&include_totals=true',
        '/api/v2/organizations/org_0000/enabled_connections?page=1&per_page=50&include_totals=true',
      ],
    );
    const none = await allPages(client.organizations.enabledConnections.list('org_0001', { per_page: 50 }));
    assert.deepEqual(none, []);
    // Auth0 pages this list by offset only.
    const token = [...emu.tokens][0];
    const checkpoint = await fetch(`https://${DOMAIN}/api/v2/organizations/org_0000/enabled_connections?take=10`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(checkpoint.status, 400);
    const missing = await fetch(`https://${DOMAIN}/api/v2/organizations/org_nope/enabled_connections`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(missing.status, 404);
  } finally {
    restore();
    await emu.stop();
  }
});

/**
 * Tenant logs as Auth0 names them: 56-digit log_ids growing with the date.
 * @param {number} n
 */
function tenantLogs(n) {
  const t0 = Date.parse('2026-11-02T00:00:00.000Z');
  return Array.from({ length: n }, (_, i) => {
    const date = new Date(t0 + i * 60_000).toISOString();
    const log_id = `900${date.replace(/[-:TZ.]/g, '')}${String(i).padStart(36, '0')}`;
    // Half as the stream's `{ log_id, data }` lines, half as log objects: the emulator takes both.
    const log = { date, type: i % 7 === 0 ? 'fp' : 's', ip: '198.51.100.7', user_id: `auth0|u${i % 25}`, log_id };
    return i % 2 ? { log_id, data: log } : log;
  });
}

test('tenant logs by checkpoint through the SDK: from/take in log_id order, the Link header, 100 at most, read:logs, 429', async () => {
  const emu = await new ManagementEmulator(tenant(1), { domain: DOMAIN, ...CLIENT, logs: tenantLogs(250).reverse() }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const client = new ManagementClient({ domain: DOMAIN, ...CLIENT });
  try {
    // The oldest log by search (sorted by date), then checkpoint pages after it: what
    // server/lib/pull.js does. The SDK's list takes from/take as extra query parameters.
    const oldest = await client.logs.list({ sort: 'date:1', per_page: 1, include_totals: false });
    const first = /** @type {any[]} */ (/** @type {unknown} */ (oldest.response));
    assert.equal(first.length, 1);
    let from = first[0].log_id;
    const seen = [from];
    const links = [];
    for (;;) {
      const page = await client.logs.list({ page: null, per_page: null, include_totals: null }, { queryParams: { from, take: 100 } });
      const logs = /** @type {any[]} */ (/** @type {unknown} */ (page.response));
      links.push(page.rawResponse.headers.get('link'));
      if (logs.length === 0) break;
      seen.push(...logs.map((l) => l.log_id));
      from = logs[logs.length - 1].log_id;
    }
    assert.equal(seen.length, 250);
    assert.deepEqual(seen, [...seen].sort(), 'in log_id order');
    assert.equal(new Set(seen).size, 250);
    const pages = emu.calls.filter((c) => c.path.startsWith('/api/v2/logs?from='));
    assert.deepEqual(
      pages.map((c) => c.path.replace(/from=\d+/, 'from=ID')),
      Array(4).fill('/api/v2/logs?from=ID&take=100'),
      'only from and take are sent: 100 + 100 + 49, then an empty page',
    );
    assert.match(links[0], new RegExp(`^<https://${DOMAIN.replace(/\./g, '\\.')}/api/v2/logs\\?from=${seen[100]}&take=100>; rel="next"$`));
    assert.equal(links[3], links[2], "an empty page's next is the same request");

    const token = [...emu.tokens][0];
    const get = (/** @type {string} */ q) => fetch(`https://${DOMAIN}/api/v2/logs?${q}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('take=101')).status, 400, 'take is at most 100');
    assert.equal(/** @type {unknown[]} */ (await (await get('take=3')).json()).length, 3, 'take without from: from the first log');
    assert.equal(/** @type {unknown[]} */ (await (await get('from=1&take=5&page=3&sort=date:-1')).json()).length, 5, 'other parameters ignored');
    const search = /** @type {{ logs: { date: string }[], total: number, length: number }} */ (await (await get('per_page=10&page=2&include_totals=true')).json());
    assert.deepEqual([search.total, search.length, search.logs[0].date], [250, 10, '2026-11-02T03:49:00.000Z'], 'by search: newest first by default');
    assert.equal((await get('q=type:s')).status, 400, 'log search queries are not emulated');

    emu.injectFault({ method: 'GET', path: '/api/v2/logs', status: 429, times: 1, reset_in_s: 1 });
    const retried = await client.logs.list({ page: null, per_page: null, include_totals: null }, { queryParams: { from: seen[0], take: 2 } });
    assert.deepEqual(
      emu.calls.slice(-2).map((c) => c.status),
      [429, 200],
      'the SDK waits out x-ratelimit-reset and asks again',
    );
    assert.equal(/** @type {unknown[]} */ (/** @type {unknown} */ (retried.response)).length, 2);
  } finally {
    restore();
    await emu.stop();
  }

  const denied = await new ManagementEmulator(tenant(1), { domain: DOMAIN, ...CLIENT, logs: tenantLogs(3), scopes: ['read:organizations'] }).start();
  const restoreDenied = installFetch({ domain: DOMAIN, emulator: denied, counters: { llm: 0 } });
  try {
    const c = new ManagementClient({ domain: DOMAIN, ...CLIENT });
    await assert.rejects(c.logs.list({}, { queryParams: { from: '1', take: 10 } }), (/** @type {{ statusCode?: number }} */ err) => err.statusCode === 403);
  } finally {
    restoreDenied();
    await denied.stop();
  }
});
