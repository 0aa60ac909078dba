'use strict';
// Access reviews over the emulated Management API with the real SDK: read-only by
// default, proposals de-duplicated across runs, nothing written without a person's
// approval, 429s and 5xx waited out, a re-run after a crash writes nothing twice, and
// every write leaves an audit record with its reasons.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ManagementClient } = require('auth0');
const { ManagementEmulator } = require('../../actions-js/harness/management');
const { installFetch } = require('../../actions-js/harness/run');
const { openStore } = require('../lib/store/index.js');
const approvals = require('../lib/approvals.js');
const reviews = require('../lib/governance/review.js');

const DOMAIN = 'review.eu.auth0.test';
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);
const POLICY = JSON.stringify({
  version: 1,
  tiers: { regulated: { mfa: { mode: 'always' } }, watched: { thresholds: { challenge: 0.3 } } },
  governance: { review: { stale_days: 90, pending_domain_days: 14, stricter_tier: 'watched', stricter_share: 0.5 } },
});

const iso = (/** @type {number} */ ms) => new Date(ms).toISOString();

function tenant() {
  return {
    organizations: [
      {
        id: 'org_acme',
        name: 'acme',
        metadata: {},
        discovery_domains: [
          { domain: 'acme.com', status: 'verified' },
          { domain: 'acme.io', status: 'pending' },
        ],
        members: [{ user_id: 'auth0|active' }, { user_id: 'auth0|spa' }, { user_id: 'auth0|gone' }, { user_id: 'auth0|contractor' }, { user_id: 'auth0|hopper' }],
      },
      {
        id: 'org_beta',
        name: 'beta',
        metadata: { ag_tier: 'regulated' },
        discovery_domains: [{ domain: 'beta.example', status: 'verified' }],
        members: [{ user_id: 'auth0|b1' }, { user_id: 'auth0|hopper' }],
      },
    ],
    users: [
      { user_id: 'auth0|active', email: 'active@acme.com', email_verified: true, last_login: iso(NOW - 2 * DAY) },
      // Auth0's last_login misses the silent authentications the logs saw.
      { user_id: 'auth0|spa', email: 'spa@acme.com', email_verified: true, last_login: iso(NOW - 300 * DAY) },
      { user_id: 'auth0|gone', email: 'gone@acme.com', email_verified: true, last_login: iso(NOW - 200 * DAY) },
      { user_id: 'auth0|contractor', email: 'c@contractor.example', email_verified: true },
      { user_id: 'auth0|hopper', email: 'h@hopper.example', email_verified: false },
      { user_id: 'auth0|b1', email: 'b1@beta.example', email_verified: true },
    ],
  };
}

/** A stored log line of `type` for `user` at `ms`. */
function log(i, type, user, ms) {
  const log_id = `9000${String(i).padStart(8, '0')}`;
  return {
    log_id,
    type,
    date_ms: ms,
    organization_id: null,
    user_id: user,
    ip: '203.0.113.9',
    client_id: 'cid',
    connection: 'db',
    raw: JSON.stringify({ log_id, type, user_id: user, date: iso(ms) }),
  };
}

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-review-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  await store.ingestLogs({
    events: [
      log(1, 's', 'auth0|active', NOW - 2 * DAY),
      log(2, 'ssa', 'auth0|spa', NOW - DAY),
      log(3, 's', 'auth0|contractor', NOW - DAY),
      log(4, 's', 'auth0|hopper', NOW - DAY),
      log(5, 's', 'auth0|b1', NOW - DAY),
      // The logs reach back 120 days.
      log(6, 'fp', 'auth0|nobody', NOW - 120 * DAY),
    ],
    source: 'stream',
  });
  const emu = await new ManagementEmulator(tenant(), { domain: DOMAIN, clientId: 'gov', clientSecret: 's3cret' }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'gov', clientSecret: 's3cret', maxRetries: 0 });
  /** @type {number[]} */
  const slept = [];
  const options = { policy: POLICY, tenant: 'acme-tenant', nowMs: () => NOW, sleep: async (/** @type {number} */ ms) => void slept.push(ms) };
  const writes = () => emu.calls.filter((c) => c.method !== 'GET' && !c.path.startsWith('/oauth/token'));
  const done = async () => {
    restore();
    await emu.stop();
    await store.close();
  };
  return { store, emu, mgmt, options, slept, writes, done };
}

/** @param {any} result @param {string} org */
const findings = (result, org) => result.organizations.find((/** @type {any} */ o) => o.id === org).findings.map((/** @type {any} */ f) => `${f.code} ${f.subject}`);

test('a review reads only: findings with reasons, the logs before last_login, nothing written', async () => {
  const t = await setup();
  try {
    const result = await reviews.review(t.store, t.mgmt, t.options);
    assert.deepEqual(findings(result, 'org_acme').sort(), [
      'member_domain_outside auth0|contractor',
      'member_domain_outside auth0|hopper',
      'member_of_unrelated_organizations auth0|hopper',
      'member_stale auth0|gone',
    ]);
    // beta requires MFA through its tier and nobody used it; hopper is half of it.
    assert.deepEqual(
      findings(result, 'org_beta').sort(),
      ['members_unrelated_share org_beta', 'mfa_required_unused org_beta', 'member_domain_outside auth0|hopper', 'member_of_unrelated_organizations auth0|hopper'].sort(),
    );
    assert.match(result.markdown, /# Access review/);
    assert.match(result.markdown, /member_stale/);
    // acme.io is pending, but a review saw it first today (next test). Nothing written, nothing queued.
    assert.deepEqual(t.writes(), []);
    assert.deepEqual(await t.store.listApprovals({}), []);
    assert.equal((await reviews.latest(t.store)).summary.organizations, 2);
  } finally {
    await t.done();
  }
});

test('a pending domain is flagged only once it stayed pending past the threshold since first seen', async () => {
  const t = await setup();
  try {
    let now = NOW;
    const opts = { ...t.options, nowMs: () => now };
    const first = await reviews.review(t.store, t.mgmt, opts);
    assert.ok(!findings(first, 'org_acme').includes('domain_pending_too_long acme.io'));
    now = NOW + 15 * DAY;
    const later = await reviews.review(t.store, t.mgmt, opts);
    assert.ok(findings(later, 'org_acme').includes('domain_pending_too_long acme.io'));
  } finally {
    await t.done();
  }
});

test('proposals are queued once across runs; nothing is written before a person approves', async () => {
  const t = await setup();
  try {
    const first = await reviews.review(t.store, t.mgmt, { ...t.options, propose: true });
    const again = await reviews.review(t.store, t.mgmt, { ...t.options, propose: true });
    assert.deepEqual(
      first.proposed.map((/** @type {any} */ p) => p.dedupe_key),
      again.proposed.map((/** @type {any} */ p) => p.dedupe_key),
    );
    assert.ok(again.proposed.every((/** @type {any} */ p) => p.requests_seen === 2));
    const kinds = first.proposed.map((/** @type {any} */ p) => p.kind).sort();
    // gone (stale), contractor (verified, outside), beta's stricter tier; hopper's address is unverified,
    // and acme.io was first seen pending today.
    assert.deepEqual(kinds, ['remove_membership', 'remove_membership', 'set_tier']);
    // Pending requests are not executed.
    assert.deepEqual(await approvals.execute(t.store, t.mgmt, t.options), []);
    assert.deepEqual(t.writes(), []);
  } finally {
    await t.done();
  }
});

test('approved removals are executed once, audited with their reasons; a re-run after a crash writes nothing twice', async () => {
  const t = await setup();
  try {
    const { proposed } = await reviews.review(t.store, t.mgmt, { ...t.options, propose: true });
    const rows = await Promise.all(proposed.map((/** @type {any} */ p) => t.store.getApproval(p.dedupe_key)));
    const stale = rows.find((r) => r.kind === 'remove_membership' && r.request.proposal.user_id === 'auth0|gone');
    const outside = rows.find((r) => r.kind === 'remove_membership' && r.request.proposal.user_id === 'auth0|contractor');
    await approvals.decide(t.store, stale.dedupe_key, 'approve', 'alice@acme.test');
    // A 429 and a 503 on the way: waited out, not failed.
    t.emu.injectFault({ method: 'DELETE', path: '/api/v2/organizations/org_acme/members', status: 429, times: 1, reset_in_s: 2 });
    t.emu.injectFault({ method: 'DELETE', path: '/api/v2/organizations/org_acme/members', status: 503, times: 1 });
    const ran = await approvals.execute(t.store, t.mgmt, t.options);
    assert.deepEqual(ran, [{ key: stale.dedupe_key, done: 'auth0|gone removed from org_acme' }]);
    assert.equal(t.slept.length, 2, 'one wait for the 429, one backoff for the 503');
    const org = t.emu.orgs.find((o) => o.id === 'org_acme');
    assert.ok(!org?.members.some((m) => m.user_id === 'auth0|gone'));

    // An executor that removed the contractor and died before recording it: its lease expires,
    // the next run finds the membership gone and writes nothing.
    await approvals.decide(t.store, outside.dedupe_key, 'approve', 'alice@acme.test');
    await approvals.move(t.store, outside.dedupe_key, 'claim', { fields: { executor: 'dead', lease_until_ms: Date.now() - 1 } });
    await t.mgmt.organizations.members.delete('org_acme', { members: ['auth0|contractor'] });
    const deletes = () => t.emu.calls.filter((c) => c.method === 'DELETE' && c.status === 204).length;
    assert.equal(deletes(), 2);
    const rerun = await approvals.execute(t.store, t.mgmt, t.options);
    assert.deepEqual(rerun, [{ key: outside.dedupe_key, done: 'auth0|contractor is no longer a member of org_acme: nothing removed' }]);
    assert.equal(deletes(), 2, 'nothing removed twice');

    const audit = [];
    for (const row of await t.store.readAuditRecords({ fromMs: 0, untilMs: Number.MAX_SAFE_INTEGER })) audit.push(JSON.parse(row.raw));
    const gov = audit.filter((r) => r.trigger === 'governance');
    assert.deepEqual(
      gov.map((r) => [r.approval, r.outcome]).sort(),
      [
        [outside.dedupe_key, 'skipped'],
        [stale.dedupe_key, 'done'],
      ].sort(),
    );
    const removal = gov.find((r) => r.outcome === 'done');
    assert.equal(removal.approved_by, 'alice@acme.test');
    assert.equal(removal.reasons[0].code, 'member_stale');
    assert.match(removal.reasons[0].message, /no successful login in 90 days/);
    assert.match(removal.action, /DELETE organizations\/org_acme\/members auth0\|gone/);
  } finally {
    await t.done();
  }
});

test('a stale member who signed in after the review keeps the membership', async () => {
  const t = await setup();
  try {
    const { proposed } = await reviews.review(t.store, t.mgmt, { ...t.options, propose: true });
    const rows = await Promise.all(proposed.map((/** @type {any} */ p) => t.store.getApproval(p.dedupe_key)));
    const stale = rows.find((r) => r.kind === 'remove_membership' && r.request.proposal.user_id === 'auth0|gone');
    await t.store.ingestLogs({ events: [log(50, 's', 'auth0|gone', Date.now() + 1000)], source: 'stream' });
    await approvals.decide(t.store, stale.dedupe_key, 'approve', 'bob');
    const ran = await approvals.execute(t.store, t.mgmt, t.options);
    assert.deepEqual(ran, [{ key: stale.dedupe_key, done: 'auth0|gone signed in within 90 days: membership kept' }]);
    assert.deepEqual(t.writes(), []);
  } finally {
    await t.done();
  }
});

test('a domain is verified only with the DNS proof; an edited stored request is refused', async () => {
  const t = await setup();
  try {
    await t.store.setCheckpoint('review:pending:org_acme:acme.io', String(NOW - 30 * DAY));
    const { proposed } = await reviews.review(t.store, t.mgmt, { ...t.options, propose: true });
    const key = proposed.find((/** @type {any} */ p) => p.kind === 'verify_domain').dedupe_key;
    await approvals.decide(t.store, key, 'approve', 'carol');
    const domain = t.emu.orgs.find((o) => o.id === 'org_acme')?.discovery_domains.find((d) => d.domain === 'acme.io');
    /** @type {Record<string, string[][]>} */
    const zone = {};
    const resolveTxt = async (/** @type {string} */ host) => {
      if (!zone[host]) throw Object.assign(new Error('queryTxt ENODATA'), { code: 'ENODATA' });
      return zone[host];
    };
    const failed = await approvals.execute(t.store, t.mgmt, { ...t.options, resolveTxt });
    assert.equal(failed.length, 1);
    assert.match(failed[0].error, /no TXT record .* the customer must publish it first/);
    assert.equal(domain?.status, 'pending');
    assert.deepEqual(t.writes(), []);
    // Published; a person approves again after a look.
    zone[/** @type {string} */ (domain?.verification_host)] = [['unrelated'], [/** @type {string} */ (domain?.verification_txt)]];
    await approvals.decide(t.store, key, 'approve', 'carol');
    const ok = await approvals.execute(t.store, t.mgmt, { ...t.options, resolveTxt });
    assert.match(ok[0].done, /acme.io verified/);
    assert.equal(domain?.status, 'verified');

    // A row edited in the database (another user) fails before anything is called.
    const stale = proposed.find((/** @type {any} */ p) => p.kind === 'remove_membership').dedupe_key;
    const row = await t.store.getApproval(stale);
    await approvals.decide(t.store, stale, 'approve', 'mallory');
    const edited = { ...row.request, proposal: { ...row.request.proposal, user_id: 'auth0|b1' } };
    const db = /** @type {any} */ (t.store).db;
    db.prepare('UPDATE approvals SET request = ? WHERE dedupe_key = ?').run(JSON.stringify(edited), stale);
    const before = t.writes().length;
    const refused = await approvals.execute(t.store, t.mgmt, t.options);
    assert.match(refused[0].error, /not a governance request this executor takes \(dedupe_key/);
    assert.equal(t.writes().length, before);
  } finally {
    await t.done();
  }
});

test('429s and 5xx while reading are waited out; a refusal says which scope is missing', async () => {
  const t = await setup();
  try {
    t.emu.injectFault({ method: 'GET', path: '/api/v2/organizations/org_beta/members', status: 429, times: 2, reset_in_s: 1 });
    t.emu.injectFault({ method: 'GET', path: '/api/v2/organizations/org_acme/discovery-domains', status: 500, times: 1 });
    const result = await reviews.review(t.store, t.mgmt, t.options);
    assert.equal(result.summary.organizations, 2);
    assert.equal(t.slept.length, 3);
    t.emu.injectFault({ method: 'GET', path: '/api/v2/organizations', status: 403, times: 1 });
    await assert.rejects(reviews.review(t.store, t.mgmt, t.options), (err) => {
      assert.equal(/** @type {any} */ (err).code, 'refused');
      assert.match(/** @type {any} */ (err).message, /403 \(check the client's Management API scopes/);
      return true;
    });
  } finally {
    await t.done();
  }
});

test("the latest review is the health report's access review section, escaped", async () => {
  const t = await setup();
  try {
    const org = t.emu.orgs.find((o) => o.id === 'org_acme');
    if (org) org.name = 'acme | <b>pwn</b>';
    await reviews.review(t.store, t.mgmt, t.options);
    const { reportFromStore, renderAs } = require('../lib/report/index.js');
    const period = { since: iso(NOW - 7 * DAY), until: iso(NOW) };
    const all = await reportFromStore(t.store, { ...period, organization: null });
    assert.deepEqual(
      all.report.access_review.organizations.map((/** @type {any} */ o) => o.id),
      ['org_acme', 'org_beta'],
    );
    assert.deepEqual(all.report.access_review.organizations[0].findings, { member_domain_outside: 2, member_of_unrelated_organizations: 1, member_stale: 1 });
    assert.match(all.markdown, /## Access review/);
    assert.match(all.markdown, /acme \\\| \\<b\\>pwn\\<\/b\\> \(org\\_acme\) \| 5 \|/);
    const html = (await renderAs(all, 'html')).body;
    assert.match(html, /<section id="access-review">/);
    assert.match(html, /acme \| &lt;b&gt;pwn&lt;\/b&gt; \(org_acme\)/);
    assert.doesNotMatch(html, /<b>pwn/);
    const beta = await reportFromStore(t.store, { ...period, organization: 'org_beta' });
    assert.deepEqual(
      beta.report.access_review.organizations.map((/** @type {any} */ o) => o.id),
      ['org_beta'],
    );
  } finally {
    await t.done();
  }
});

test('an executor renews its own claim only: a taken-over one is refused', async () => {
  const t = await setup();
  try {
    const { proposed } = await reviews.review(t.store, t.mgmt, { ...t.options, propose: true });
    const key = proposed[0].dedupe_key;
    await approvals.decide(t.store, key, 'approve', 'dana');
    await approvals.move(t.store, key, 'claim', { fields: { executor: 'a', lease_until_ms: 1 } });
    const renewed = await approvals.move(t.store, key, 'renew', { fields: { lease_until_ms: 9_000_000_000_000 }, holder: 'a' });
    assert.equal(renewed.status, 'executing');
    assert.equal(renewed.lease_until_ms, 9_000_000_000_000);
    await assert.rejects(approvals.move(t.store, key, 'renew', { fields: { lease_until_ms: 1 }, holder: 'b' }), approvals.ApprovalError);
    assert.equal((await t.store.getApproval(key))?.lease_until_ms, 9_000_000_000_000);
  } finally {
    await t.done();
  }
});

test('listings follow the SDK pages of either paging style: every item once, past the first page', async () => {
  const common = require('../lib/governance/common.js');
  const orgs = Array.from({ length: 120 }, (_, i) => ({
    id: `org_${i}`,
    name: `org-${i}`,
    members: i === 0 ? Array.from({ length: 75 }, (_, j) => ({ user_id: `auth0|m${j}` })) : [],
    discovery_domains: i === 0 ? Array.from({ length: 55 }, (_, j) => ({ domain: `d${j}.example`, status: 'pending' })) : [],
    enabled_connections: i === 0 ? Array.from({ length: 60 }, (_, j) => ({ name: `c${j}`, strategy: 'samlp' })) : [],
  }));
  const emu = await new ManagementEmulator({ organizations: orgs, users: [] }, { domain: DOMAIN, clientId: 'gov', clientSecret: 's3cret' }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  try {
    const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'gov', clientSecret: 's3cret', maxRetries: 0 });
    const ids = (/** @type {any[]} */ items, /** @type {string} */ k) => new Set(items.map((x) => x[k] ?? x.connection?.name)).size;
    // Checkpoint paging (from/take).
    const all = await common.listAll((q) => mgmt.organizations.list(q), 'organizations', { what: 'orgs' });
    assert.equal(all.length, 120);
    assert.equal(ids(all, 'id'), 120);
    const members = await common.listAll((q) => mgmt.organizations.members.list('org_0', q), 'members', { what: 'members' });
    assert.equal(ids(members, 'user_id'), 75);
    assert.equal(members.length, 75);
    const domains = await common.listAll((q) => mgmt.organizations.discoveryDomains.list('org_0', q), 'domains', { what: 'domains' });
    assert.equal(ids(domains, 'domain'), 55);
    // Offset paging (page/per_page).
    const connections = await common.listAll((q) => mgmt.organizations.enabledConnections.list('org_0', q), 'enabled_connections', { what: 'connections' });
    assert.equal(connections.length, 60);
    // A 429 on a later page is waited out and the page read again, not skipped.
    emu.injectFault({ method: 'GET', path: '/api/v2/organizations', status: 429, times: 1, reset_in_s: 0 });
    const slept = [];
    const again = await common.listAll((q) => mgmt.organizations.list(q), 'organizations', { what: 'orgs', sleep: async (ms) => void slept.push(ms) });
    assert.equal(ids(again, 'id'), 120);
    assert.equal(slept.length, 1);
  } finally {
    restore();
    await emu.stop();
  }
});
