'use strict';
// The approval protocol end to end, now on the control plane's store: a sign-up through
// the real Action asks (signed) -> the receiver keeps one request per dedupe key -> a
// person decides -> the executor creates it through the emulated Management API.
// (Moved from actions-js/test/approvals.test.js with scripts/approvals.) Two approvers
// or executors at once, on both databases, are store.test.js's.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ManagementClient } = require('auth0');
const { ManagementEmulator } = require('../../actions-js/harness/management');
const { installFetch, runAction } = require('../../actions-js/harness/run');
const { Cache } = require('../../actions-js/harness/api');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const approvals = require('../lib/approvals.js');

const DOMAIN = 'acme.eu.auth0.test';
const SECRET = 'approval-secret';

async function receiver() {
  const store = await openStore(`sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ag-approvals-')), 'ag.db')}`);
  const { server } = createServer({ store, approvalSecret: SECRET, log: () => {} });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}/v1/approvals`;
  const close = async () => {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r(undefined)));
    await store.close();
  };
  return { store, server, url, close };
}

/**
 * A receiver, an emulated tenant and a sign-up through the real Action.
 * @param {any} tenant the emulator's fixture
 */
async function roundTrip(tenant) {
  const r = await receiver();
  /** @type {{ body: string, signature: string | string[] | undefined }[]} */
  const received = [];
  r.server.on('request', (req) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => received.push({ body, signature: req.headers['x-actionguard-signature'] }));
  });
  const emu = await new ManagementEmulator(tenant, { domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' }).start();
  const secrets = {
    AUTH0_DOMAIN: DOMAIN,
    AUTH0_CLIENT_ID: 'm2m',
    AUTH0_CLIENT_SECRET: 's3cret',
    POLICY: '{"version":1,"organizations":{"self_serve":true}}',
    APPROVAL_WEBHOOK_URL: r.url,
    APPROVAL_WEBHOOK_SECRET: SECRET,
  };
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  /** @param {string} email */
  const signUp = (email) =>
    runAction({ trigger: 'post-user-registration', emulator: emu, secrets, cache: new Cache(), freshModule: true, event: { user: { email, email_verified: true } } }).then(
      (x) => x.result,
    );
  const requests = async () => Object.fromEntries((await r.store.listApprovals({})).map((row) => [row.dedupe_key, row]));
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret', maxRetries: 0 });
  const done = async () => {
    restore();
    await emu.stop();
    await r.close();
  };
  return { store: r.store, emu, signUp, requests, mgmt, url: r.url, received, done };
}

test('a new domain is proposed once, approved by a person, created once, and then only suggested until DNS-verified', async () => {
  const t = await roundTrip({ organizations: [], users: [] });
  const { store, emu, mgmt } = t;
  try {
    // Two instances (separate caches) asking about one domain: one request, seen twice.
    for (const email of ['founder@newco.example', 'cto@newco.example']) {
      const r = await t.signUp(email);
      assert.equal(r.audit[0].org_action, 'create_for_approval');
      assert.deepEqual(r.audit[1].effect, 'requested');
    }
    let entries = Object.entries(await t.requests());
    assert.equal(entries.length, 1);
    const [key, entry] = entries[0];
    assert.equal(entry.requests_seen, 2);
    assert.equal(entry.status, 'pending');
    // A request the Action sent, captured and sent again, is refused: the same signature twice.
    const [sent] = t.received;
    const replay = await fetch(t.url, { method: 'POST', body: sent.body, headers: { 'x-actionguard-signature': String(sent.signature) } });
    assert.deepEqual([replay.status, /** @type {any} */ (await replay.json()).error], [401, 'signature_replayed']);
    assert.equal((await t.requests())[key].requests_seen, 2);

    assert.deepEqual(await approvals.execute(store, mgmt), [], 'nothing runs before a person decides');
    assert.equal(emu.orgs.length, 0);

    await approvals.decide(store, key, 'approve', 'Sam (security)');
    const done = await approvals.execute(store, mgmt);
    assert.equal(done.length, 1);
    assert.equal(emu.orgs.length, 1);
    assert.equal(emu.orgs[0].name, 'newco-example');
    assert.deepEqual(
      emu.orgs[0].discovery_domains.map((/** @type {any} */ d) => [d.domain, d.status]),
      [['newco.example', 'pending']],
    );
    assert.equal(emu.orgs[0].metadata[approvals.CREATED_BY], (await t.requests())[key].creation_marker, 'marked as created by this approval');
    assert.deepEqual(await approvals.execute(store, mgmt), [], 'executed once');
    entries = await t.requests();
    assert.equal(entries[key].status, 'done');
    assert.equal(entries[key].decided_by, 'Sam (security)');
    assert.equal(entries[key].organization_id, emu.orgs[0].id);

    // The domain is the organization's now, but unverified: later sign-ups are only suggested it.
    const later = await t.signUp('dev@newco.example');
    assert.deepEqual([later.audit[0].org_action, later.audit[0].reasons[0].code], ['suggest', 'domain_pending']);
  } finally {
    await t.done();
  }
});

test('names are unique per domain: acme-co.uk and acme.co.uk get two organizations, mail.acme-co.uk asks for acme-co.uk', async () => {
  const t = await roundTrip({ organizations: [], users: [] });
  try {
    for (const email of ['founder@acme-co.uk', 'founder@acme.co.uk', 'it@mail.acme-co.uk']) {
      const r = await t.signUp(email);
      assert.equal(r.audit[0].org_action, 'create_for_approval', email);
    }
    const byDomain = Object.fromEntries(
      Object.entries(await t.requests()).map(([key, e]) => [e.request.proposal.domain, { key, name: e.request.proposal.name, seen: e.requests_seen }]),
    );
    assert.deepEqual(
      Object.fromEntries(Object.entries(byDomain).map(([d, e]) => [d, [e.name, e.seen]])),
      // A subdomain asks for its registrable domain: the same question, the same name.
      { 'acme-co.uk': ['acme_co-uk', 2], 'acme.co.uk': ['acme-co-uk', 1] },
    );
    for (const { key } of Object.values(byDomain)) await approvals.decide(t.store, key, 'approve', 'Sam');
    const done = await approvals.execute(t.store, t.mgmt);
    assert.deepEqual(
      done.map((d) => d.error),
      [undefined, undefined],
    );
    assert.deepEqual(t.emu.orgs.map((/** @type {any} */ o) => [o.name, o.discovery_domains.map((/** @type {any} */ d) => d.domain)]).sort(), [
      ['acme-co-uk', ['acme.co.uk']],
      ['acme_co-uk', ['acme-co.uk']],
    ]);
  } finally {
    await t.done();
  }
});

test('execute never adds a domain to an organization it did not create, even one carrying a forged marker', async () => {
  // The proposal for newco.example is named `newco-example`; someone else's organization has that name.
  /** @param {any} metadata */
  const victim = (metadata) => ({
    organizations: [
      {
        id: 'org_victim',
        name: 'newco-example',
        display_name: 'Victim',
        metadata,
        discovery_domains: [{ domain: 'victim.example', status: 'verified', use_for_organization_discovery: true }],
        members: [],
      },
    ],
    users: [],
  });
  // No marker, then the marker anyone can compute (the dedupe key: tenant and domain).
  for (const forged of [false, true]) {
    const t = await roundTrip(victim({}));
    try {
      await t.signUp('founder@newco.example');
      const [[key, entry]] = Object.entries(await t.requests());
      assert.equal(entry.request.proposal.name, 'newco-example');
      if (forged) t.emu.orgs[0].metadata = { [approvals.CREATED_BY]: key };
      await approvals.decide(t.store, key, 'approve', 'Sam');
      const done = await approvals.execute(t.store, t.mgmt);
      const unchanged = () =>
        assert.deepEqual(
          t.emu.orgs.map((/** @type {any} */ o) => [o.id, o.discovery_domains.map((/** @type {any} */ d) => d.domain)]),
          [['org_victim', ['victim.example']]],
        );
      unchanged();
      assert.equal(done.length, 1);
      assert.equal(
        done[0].error,
        `organization \`newco-example\` (org_victim) already exists and was not created by this approval${forged ? ' (its marker names another)' : ''}: \`newco.example\` was not added to it`,
      );
      const after = (await t.requests())[key];
      assert.equal(after.status, 'failed', 'for a person to look at');
      assert.match(after.error, /not created by this approval/);
      assert.deepEqual(await approvals.execute(t.store, t.mgmt), [], 'a failed approval is not retried by itself');
      // A person approves it again (say, after renaming the other organization... or not): it fails again.
      await approvals.decide(t.store, key, 'approve', 'Sam');
      assert.deepEqual(
        (await approvals.execute(t.store, t.mgmt)).map((d) => Boolean(d.error)),
        [true],
      );
      unchanged();
    } finally {
      await t.done();
    }
  }
});

test('a run that created the organization and then failed is completed by the next, without a second organization', async () => {
  const t = await roundTrip({ organizations: [], users: [] });
  try {
    await t.signUp('founder@newco.example');
    const [key] = Object.keys(await t.requests());
    await approvals.decide(t.store, key, 'approve', 'Sam');
    // The organization is created, then adding its domain fails.
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/', status: 503, times: 1 });
    const first = await approvals.execute(t.store, t.mgmt);
    assert.equal(first.length, 1);
    assert.ok(first[0].error);
    assert.equal(t.emu.orgs.length, 1);
    assert.deepEqual(t.emu.orgs[0].discovery_domains, []);
    let row = (await t.requests())[key];
    assert.equal(row.status, 'failed');
    assert.equal(t.emu.orgs[0].metadata[approvals.CREATED_BY], row.creation_marker);

    await approvals.decide(t.store, key, 'approve', 'Sam');
    const done = await approvals.execute(t.store, t.mgmt);
    assert.deepEqual(done, [{ key, organization_id: t.emu.orgs[0].id }]);
    assert.equal(t.emu.orgs.length, 1);
    assert.deepEqual(
      t.emu.orgs[0].discovery_domains.map((/** @type {any} */ d) => [d.domain, d.status]),
      [['newco.example', 'pending']],
    );
    row = (await t.requests())[key];
    assert.deepEqual([row.status, row.error], ['done', null]);
  } finally {
    await t.done();
  }
});

test('two sign-ups from one new domain at once: one approval request', async () => {
  const t = await roundTrip({ organizations: [], users: [] });
  try {
    const results = await Promise.all(['founder@newco.example', 'cto@newco.example'].map((email) => t.signUp(email)));
    for (const r of results)
      assert.equal(
        r.audit.some((/** @type {any} */ a) => a.fail_mode),
        false,
        JSON.stringify(r.audit),
      );
    const rows = Object.values(await t.requests());
    assert.equal(rows.length, 1);
    assert.ok(rows[0].requests_seen >= 1);
    assert.equal(t.emu.orgs.length, 0, 'nothing is created by a login');
  } finally {
    await t.done();
  }
});

test('the receiver refuses unsigned, forged, malformed, oversized, stale, future and replayed requests, and decisions are final', async () => {
  const r = await receiver();
  // x-actionguard-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, written out here.
  const sign = (/** @type {string} */ body, { secret = SECRET, ageS = 0 } = {}) => {
    const t = Math.floor(Date.now() / 1000) - ageS;
    return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
  };
  const send = (/** @type {string} */ body, /** @type {string | undefined} */ signature) =>
    fetch(r.url, { method: 'POST', body, headers: signature ? { 'x-actionguard-signature': signature } : {} }).then(async (x) => [
      x.status,
      /** @type {any} */ (await x.json()).error,
    ]);
  const post = (/** @type {string} */ body, /** @type {string | undefined} */ signature) => send(body, signature).then(([status]) => status);
  const request = (/** @type {string} */ key) => JSON.stringify({ kind: 'create_organization', dedupe_key: key, proposal: { name: 'x-co', display_name: 'x.co', domain: 'x.co' } });
  const good = request('a'.repeat(32));
  try {
    assert.equal(await post(good), 401);
    assert.equal(await post(good, sign(good, { secret: 'wrong-secret' })), 401);
    // The format before timestamps: a valid HMAC of the body alone does not pass.
    assert.equal(await post(good, `sha256=${crypto.createHmac('sha256', SECRET).update(good).digest('hex')}`), 401);
    assert.deepEqual(await send('not json', sign('not json')), [400, 'not_a_request']);
    const evil = good.replace('x-co', 'X Co; DROP');
    assert.equal(await post(evil, sign(evil)), 400, 'a name Auth0 would refuse is refused here first');
    const big = 'x'.repeat(20_000);
    assert.equal(await post(big, sign(big)), 413);

    // Replay: a valid signature older than the 300 s tolerance, or ahead of it, is refused.
    const other = request('c'.repeat(32));
    assert.deepEqual(await send(other, sign(other, { ageS: 301 })), [401, 'signature_expired']);
    assert.deepEqual(await send(other, sign(other, { ageS: -301 })), [401, 'signature_in_future']);
    // A re-dated one is forged: the timestamp is inside the MAC.
    const stale = sign(other, { ageS: 600 });
    assert.deepEqual(await send(other, stale.replace(/^t=\d+/, `t=${Math.floor(Date.now() / 1000)}`)), [401, 'bad_signature']);
    assert.equal(await r.store.getApproval('c'.repeat(32)), null);
    // Fresh (and within the tolerance either way) is accepted; the same signature again is not.
    const fresh = sign(good, { ageS: 290 });
    assert.equal(await post(good, fresh), 202);
    assert.deepEqual(await send(good, fresh), [401, 'signature_replayed']);
    assert.equal(await post(good, sign(good, { ageS: -290 })), 202, 'a newly signed copy is one more request');
    assert.equal((await r.store.getApproval('a'.repeat(32)))?.requests_seen, 2);

    await approvals.decide(r.store, 'a'.repeat(32), 'reject', 'Kim');
    await assert.rejects(approvals.decide(r.store, 'a'.repeat(32), 'approve', 'Kim'), { code: 'illegal_transition', message: 'an approval that is rejected cannot be approved' });
    await assert.rejects(approvals.decide(r.store, 'b'.repeat(32), 'approve', 'Kim'), { code: 'not_found' });
  } finally {
    await r.close();
  }
});
