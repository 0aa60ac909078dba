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

test('a new domain is proposed once, approved by a person, created once, and then only suggested until DNS-verified', async () => {
  const store = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ag-approvals-')), 'approvals.json');
  const server = approvals.createServer({ secret: SECRET, store });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const emu = await new ManagementEmulator({ organizations: [], users: [] }, { domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' }).start();
  const secrets = {
    AUTH0_DOMAIN: DOMAIN,
    AUTH0_CLIENT_ID: 'm2m',
    AUTH0_CLIENT_SECRET: 's3cret',
    POLICY: '{"version":1,"organizations":{"self_serve":true}}',
    APPROVAL_WEBHOOK_URL: `http://127.0.0.1:${server.address().port}/approvals`,
    APPROVAL_WEBHOOK_SECRET: SECRET,
  };
  const signUp = (email) =>
    runAction({ trigger: 'post-user-registration', emulator: emu, secrets, cache: new Cache(), freshModule: true, event: { user: { email, email_verified: true } } }).then(
      (r) => r.result,
    );
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  try {
    // Two instances (separate caches) asking about one domain: one request, seen twice.
    for (const email of ['founder@newco.example', 'cto@newco.example']) {
      const r = await signUp(email);
      assert.equal(r.audit[0].org_action, 'create_for_approval');
      assert.deepEqual(r.audit[1].effect, 'requested');
    }
    let entries = Object.entries(JSON.parse(fs.readFileSync(store, 'utf8')).requests);
    assert.equal(entries.length, 1);
    const [key, entry] = entries[0];
    assert.equal(entry.requests_seen, 2);
    assert.equal(entry.status, 'pending');

    const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' });
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
    assert.deepEqual(await approvals.execute(store, mgmt), [], 'executed once');
    entries = JSON.parse(fs.readFileSync(store, 'utf8')).requests;
    assert.equal(entries[key].status, 'executed');
    assert.equal(entries[key].decided_by, 'Sam (security)');

    // The domain is the organization's now, but unverified: later sign-ups are only suggested it.
    const later = await signUp('dev@newco.example');
    assert.deepEqual([later.audit[0].org_action, later.audit[0].reasons[0].code], ['suggest', 'domain_pending']);
  } finally {
    restore();
    await emu.stop();
    server.close();
  }
});

test('the webhook refuses unsigned, forged, malformed and oversized requests, and decisions are final', async () => {
  const store = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ag-approvals-')), 'approvals.json');
  const server = approvals.createServer({ secret: SECRET, store });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const crypto = require('node:crypto');
  const sign = (body, secret = SECRET) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
  const post = (body, signature) => fetch(url, { method: 'POST', body, headers: signature ? { 'x-actionguard-signature': signature } : {} }).then((r) => r.status);
  const good = JSON.stringify({ kind: 'create_organization', dedupe_key: 'a'.repeat(32), proposal: { name: 'x-co', display_name: 'x.co', domain: 'x.co' } });
  try {
    assert.equal(await post(good), 401);
    assert.equal(await post(good, sign(good, 'wrong-secret')), 401);
    assert.equal(await post('not json', sign('not json')), 400);
    const evil = good.replace('x-co', 'X Co; DROP');
    assert.equal(await post(evil, sign(evil)), 400, 'a name Auth0 would refuse is refused here first');
    const big = 'x'.repeat(20_000);
    assert.equal(await post(big, sign(big)), 413);
    assert.equal(await post(good, sign(good)), 202);
    approvals.decide(store, 'a'.repeat(32), 'rejected', 'Kim');
    assert.throws(() => approvals.decide(store, 'a'.repeat(32), 'approved', 'Kim'), /already rejected/);
    assert.throws(() => approvals.decide(store, 'b'.repeat(32), 'approved', 'Kim'), /no request/);
  } finally {
    server.close();
  }
});
