'use strict';
// The approval round trip: a sign-up from a new work domain asks, a person
// approves with scripts/approvals, the approved request is executed through the
// Management API by that tool, never by the login, and exactly once.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ManagementClient } = require('auth0');
const { ManagementEmulator } = require('../harness/management');
const { installFetch, runAction } = require('../harness/run');
const { Cache } = require('../harness/api');
const approvals = require(path.resolve(__dirname, '../../scripts/approvals'));

const DOMAIN = 'acme.eu.auth0.test';
const SECRET = 'approval-secret';

/**
 * An approvals receiver, an emulated tenant and a sign-up through the real Action.
 * @param {any} tenant the emulator's fixture
 */
async function roundTrip(tenant) {
  const store = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ag-approvals-')), 'approvals.json');
  const server = approvals.createServer({ secret: SECRET, store });
  // What the Action sent, as sent.
  /** @type {{ body: string, signature: string | string[] | undefined }[]} */
  const received = [];
  server.on('request', (req) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => received.push({ body, signature: req.headers['x-actionguard-signature'] }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/approvals`;
  const emu = await new ManagementEmulator(tenant, { domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' }).start();
  const secrets = {
    AUTH0_DOMAIN: DOMAIN,
    AUTH0_CLIENT_ID: 'm2m',
    AUTH0_CLIENT_SECRET: 's3cret',
    POLICY: '{"version":1,"organizations":{"self_serve":true}}',
    APPROVAL_WEBHOOK_URL: url,
    APPROVAL_WEBHOOK_SECRET: SECRET,
  };
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const signUp = (email) =>
    runAction({ trigger: 'post-user-registration', emulator: emu, secrets, cache: new Cache(), freshModule: true, event: { user: { email, email_verified: true } } }).then(
      (r) => r.result,
    );
  const requests = () => JSON.parse(fs.readFileSync(store, 'utf8')).requests;
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret', maxRetries: 0 });
  const done = async () => {
    restore();
    await emu.stop();
    server.close();
  };
  return { store, emu, signUp, requests, mgmt, url, received, done };
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
    let entries = Object.entries(t.requests());
    assert.equal(entries.length, 1);
    const [key, entry] = entries[0];
    assert.equal(entry.requests_seen, 2);
    assert.equal(entry.status, 'pending');
    // A request the Action sent, captured and sent again, is refused: the same signature twice.
    const [sent] = t.received;
    const replay = await fetch(t.url, { method: 'POST', body: sent.body, headers: { 'x-actionguard-signature': sent.signature } });
    assert.deepEqual([replay.status, /** @type {any} */ (await replay.json()).error], [401, 'signature_replayed']);
    assert.equal(t.requests()[key].requests_seen, 2);

    assert.deepEqual(await approvals.execute(store, mgmt), [], 'nothing runs before a person decides');
    assert.equal(emu.orgs.length, 0);

    approvals.decide(store, key, 'approved', 'Sam (security)');
    const done = await approvals.execute(store, mgmt);
    assert.equal(done.length, 1);
    assert.equal(emu.orgs.length, 1);
    assert.equal(emu.orgs[0].name, 'newco-example');
    assert.deepEqual(
      emu.orgs[0].discovery_domains.map((d) => [d.domain, d.status]),
      [['newco.example', 'pending']],
    );
    assert.equal(emu.orgs[0].metadata[approvals.CREATED_BY], t.requests()[key].creation_marker, 'marked as created by this approval');
    assert.deepEqual(await approvals.execute(store, mgmt), [], 'executed once');
    entries = t.requests();
    assert.equal(entries[key].status, 'executed');
    assert.equal(entries[key].decided_by, 'Sam (security)');

    // The domain is the organization's now, but unverified: later sign-ups are only suggested it.
    const later = await t.signUp('dev@newco.example');
    assert.deepEqual([later.audit[0].org_action, later.audit[0].reasons[0].code], ['suggest', 'domain_pending']);
  } finally {
    await t.done();
  }
});

test('names are unique per domain: acme-co.uk and acme.co.uk get two organizations, mail.acme-co.uk asks for acme-co.uk', async () => {
  // Dots once became hyphens: all three proposed `acme-co-uk`, and executing the second
  // approval added acme.co.uk to the organization the first had created.
  const t = await roundTrip({ organizations: [], users: [] });
  try {
    for (const email of ['founder@acme-co.uk', 'founder@acme.co.uk', 'it@mail.acme-co.uk']) {
      const r = await t.signUp(email);
      assert.equal(r.audit[0].org_action, 'create_for_approval', email);
    }
    const byDomain = Object.fromEntries(Object.entries(t.requests()).map(([key, e]) => [e.request.proposal.domain, { key, name: e.request.proposal.name, seen: e.requests_seen }]));
    assert.deepEqual(
      Object.fromEntries(Object.entries(byDomain).map(([d, e]) => [d, [e.name, e.seen]])),
      // A subdomain asks for its registrable domain: the same question, the same name.
      { 'acme-co.uk': ['acme_co-uk', 2], 'acme.co.uk': ['acme-co-uk', 1] },
    );
    for (const { key } of Object.values(byDomain)) approvals.decide(t.store, key, 'approved', 'Sam');
    const done = await approvals.execute(t.store, t.mgmt);
    assert.deepEqual(
      done.map((d) => d.error),
      [undefined, undefined],
    );
    assert.deepEqual(t.emu.orgs.map((o) => [o.name, o.discovery_domains.map((d) => d.domain)]).sort(), [
      ['acme-co-uk', ['acme.co.uk']],
      ['acme_co-uk', ['acme-co.uk']],
    ]);
  } finally {
    await t.done();
  }
});

test('execute never adds a domain to an organization it did not create, even one carrying a forged marker', async () => {
  // The proposal for newco.example is named `newco-example`; someone else's organization has that name.
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
      const [[key, entry]] = Object.entries(t.requests());
      assert.equal(entry.request.proposal.name, 'newco-example');
      if (forged) t.emu.orgs[0].metadata = { [approvals.CREATED_BY]: key };
      approvals.decide(t.store, key, 'approved', 'Sam');
      const done = await approvals.execute(t.store, t.mgmt);
      // The emulator's state: the victim's organization unchanged, nothing created.
      assert.deepEqual(
        t.emu.orgs.map((o) => [o.id, o.discovery_domains.map((d) => d.domain)]),
        [['org_victim', ['victim.example']]],
      );
      assert.equal(done.length, 1);
      assert.equal(
        done[0].error,
        `organization \`newco-example\` (org_victim) already exists and was not created by this approval${forged ? ' (its marker names another)' : ''}: \`newco.example\` was not added to it`,
      );
      const after = t.requests()[key];
      assert.equal(after.status, 'approved', 'still to be done once a person has resolved the conflict');
      assert.match(after.error, /not created by this approval/);
      assert.deepEqual(
        (await approvals.execute(t.store, t.mgmt)).map((d) => Boolean(d.error)),
        [true],
        'and again on a re-run',
      );
      assert.deepEqual(
        t.emu.orgs[0].discovery_domains.map((d) => d.domain),
        ['victim.example'],
      );
    } finally {
      await t.done();
    }
  }
});

test('a re-run completes an execution that created the organization and then failed', async () => {
  const t = await roundTrip({ organizations: [], users: [] });
  try {
    await t.signUp('founder@newco.example');
    const [key] = Object.keys(t.requests());
    approvals.decide(t.store, key, 'approved', 'Sam');
    // The organization is created, then adding its domain fails.
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/', status: 503, times: 1 });
    await assert.rejects(approvals.execute(t.store, t.mgmt), (/** @type {any} */ err) => err.statusCode === 503);
    assert.equal(t.emu.orgs.length, 1);
    assert.deepEqual(t.emu.orgs[0].discovery_domains, []);
    assert.equal(t.requests()[key].status, 'approved');
    assert.equal(t.emu.orgs[0].metadata[approvals.CREATED_BY], t.requests()[key].creation_marker);

    const done = await approvals.execute(t.store, t.mgmt);
    assert.deepEqual(done, [{ key, organization_id: t.emu.orgs[0].id }]);
    assert.equal(t.emu.orgs.length, 1);
    assert.deepEqual(
      t.emu.orgs[0].discovery_domains.map((d) => [d.domain, d.status]),
      [['newco.example', 'pending']],
    );
    assert.equal(t.requests()[key].status, 'executed');
  } finally {
    await t.done();
  }
});

test('the webhook refuses unsigned, forged, malformed, oversized, stale, future and replayed requests, and decisions are final', async () => {
  const store = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ag-approvals-')), 'approvals.json');
  const server = approvals.createServer({ secret: SECRET, store });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const crypto = require('node:crypto');
  // x-actionguard-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, written out here.
  const sign = (body, { secret = SECRET, ageS = 0 } = {}) => {
    const t = Math.floor(Date.now() / 1000) - ageS;
    return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
  };
  const send = (body, signature) =>
    fetch(url, { method: 'POST', body, headers: signature ? { 'x-actionguard-signature': signature } : {} }).then(async (r) => [
      r.status,
      /** @type {any} */ (await r.json()).error,
    ]);
  const post = (body, signature) => send(body, signature).then(([status]) => status);
  const request = (key) => JSON.stringify({ kind: 'create_organization', dedupe_key: key, proposal: { name: 'x-co', display_name: 'x.co', domain: 'x.co' } });
  const good = request('a'.repeat(32));
  try {
    assert.equal(await post(good), 401);
    assert.equal(await post(good, sign(good, { secret: 'wrong-secret' })), 401);
    // The format before timestamps: a valid HMAC of the body alone no longer passes.
    assert.equal(await post(good, `sha256=${crypto.createHmac('sha256', SECRET).update(good).digest('hex')}`), 401);
    assert.equal(await post('not json', sign('not json')), 400);
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
    assert.equal(JSON.parse(fs.existsSync(store) ? fs.readFileSync(store, 'utf8') : '{"requests":{}}').requests['c'.repeat(32)], undefined);
    // Fresh (and within the tolerance either way) is accepted; the same signature again is not.
    const fresh = sign(good, { ageS: 290 });
    assert.equal(await post(good, fresh), 202);
    assert.deepEqual(await send(good, fresh), [401, 'signature_replayed']);
    assert.equal(await post(good, sign(good, { ageS: -290 })), 202, 'a newly signed copy is one more request');
    assert.equal(JSON.parse(fs.readFileSync(store, 'utf8')).requests['a'.repeat(32)].requests_seen, 2);

    approvals.decide(store, 'a'.repeat(32), 'rejected', 'Kim');
    assert.throws(() => approvals.decide(store, 'a'.repeat(32), 'approved', 'Kim'), /already rejected/);
    assert.throws(() => approvals.decide(store, 'b'.repeat(32), 'approved', 'Kim'), /no request/);
  } finally {
    server.close();
  }
});
