'use strict';
// Bulk membership over the emulated Management API with the real SDK: a dry run writes
// nothing; a proposed plan is one request however often proposed; nothing is written
// before a person approves it; approved, it invites and adds with the mapped roles,
// waits out 429s and 5xx, resumes after a crash without writing anything twice, stops at
// its cap and continues on the next run, opens its breaker after repeated failures; every
// write leaves an audit record with its reasons.

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
const imports = require('../lib/governance/members-import.js');

const DOMAIN = 'roster.eu.auth0.test';
const ENV = { ACTIONGUARD_INVITE_CLIENT_ID: 'app_portal', ACTIONGUARD_INVITER_NAME: 'Acme IT' };
const DB = { provider: 'auth0', connection: 'Username-Password-Authentication', user_id: 'x', isSocial: false };
const policyText = (/** @type {any} */ mi = {}) => JSON.stringify({ version: 1, governance: { members_import: mi } });

const CSV = [
  'Name,Email,Department',
  'Ada,ada@acme.example,Engineering',
  'Bob,bob@acme.example,eng',
  'Cy,ADA@acme.example,Sales', // duplicate of line 2
  'Di,di@gmail.com,Sales', // outside the domains
  'Ed,ed@pending.acme.example,Sales', // pending domain
  'Fi,fi@acme.example,Sales,extra', // malformed
  'Gu,not-an-address,Sales', // invalid
  'Vera,vera@acme.example,Human Resources', // an existing verified user: added
  'Mo,mo@acme.example,Sales', // already a member
  'Ivy,ivy@acme.example,Sales', // already invited
  'Uma,uma@acme.example,Sales', // a user who never verified: invited
  'Zed,zed@acme.example,Facilities', // unmapped: invited, no role
].join('\r\n');

function tenant(extra = 0) {
  return {
    organizations: [
      {
        id: 'org_acme',
        name: 'acme',
        display_name: 'Acme',
        metadata: { ag_role_map: 'engineering=rol_eng,sales=rol_sales,hr=rol_hr' },
        discovery_domains: [
          { domain: 'acme.example', status: 'verified' },
          { domain: 'pending.acme.example', status: 'pending' },
        ],
        members: [{ user_id: 'auth0|mo' }],
      },
    ],
    roles: [
      { id: 'rol_eng', name: 'Engineer' },
      { id: 'rol_sales', name: 'Sales' },
      { id: 'rol_hr', name: 'People' },
    ],
    users: [
      { user_id: 'auth0|mo', email: 'mo@acme.example', email_verified: true, identities: [DB] },
      { user_id: 'auth0|vera', email: 'vera@acme.example', email_verified: true, identities: [DB] },
      { user_id: 'auth0|uma', email: 'uma@acme.example', email_verified: false },
      ...Array.from({ length: extra }, (_, i) => ({ user_id: `auth0|x${i}`, email: `x${i}@acme.example`, email_verified: true })),
    ],
  };
}

async function setup(extraUsers = 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-roster-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const emu = await new ManagementEmulator(tenant(extraUsers), { domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' }).start();
  emu.invitations.push({ id: 'uinv_old', organization_id: 'org_acme', invitee: { email: 'ivy@acme.example' }, inviter: { name: 'x' }, client_id: 'app_portal' });
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret', maxRetries: 0 });
  /** @type {number[]} */
  const slept = [];
  const sleep = async (/** @type {number} */ ms) => {
    slept.push(ms);
  };
  const writes = () => emu.calls.filter((c) => c.method !== 'GET' && !c.path.startsWith('/oauth/'));
  const plan = (/** @type {any} */ opts = {}) => imports.plan({ store, mgmt, orgId: 'org_acme', csv: CSV, policy: policyText(), env: {}, sleep, ...opts });
  const audit = async () => (await store.readAuditRecords({ fromMs: 0, untilMs: Date.now() + 60_000 })).map((a) => JSON.parse(a.raw));
  const invitees = () => emu.invitations.filter((i) => i.organization_id === 'org_acme').map((i) => i.invitee.email);
  const org = () => /** @type {any} */ (emu.orgs.find((o) => o.id === 'org_acme'));
  const done = async () => {
    restore();
    await emu.stop();
    await store.close();
  };
  return { store, emu, mgmt, slept, sleep, writes, plan, audit, invitees, org, done };
}

test('a dry run reports every bad row with its line and the whole mapping, and writes nothing', async () => {
  const t = await setup();
  try {
    const report = await t.plan();
    assert.deepEqual(
      report.rejected.map((/** @type {any} */ r) => [r.line, r.code]),
      [
        [4, 'import_email_duplicate'],
        [5, 'import_domain_outside'],
        [6, 'import_domain_pending'],
        [7, 'import_row_malformed'],
        [8, 'import_email_invalid'],
      ],
    );
    assert.equal(report.rejected[0].first_line, 2);
    const actions = Object.fromEntries(report.rows.map((/** @type {any} */ r) => [r.email, [r.action, r.roles.join(',')]]));
    assert.deepEqual(actions, {
      'ada@acme.example': ['invite', 'rol_eng'],
      'bob@acme.example': ['invite', 'rol_eng'],
      'vera@acme.example': ['add', 'rol_hr'],
      'mo@acme.example': ['skip_existing', 'rol_sales'],
      'ivy@acme.example': ['skip_existing', 'rol_sales'],
      'uma@acme.example': ['invite', 'rol_sales'],
      'zed@acme.example': ['invite', ''],
    });
    assert.deepEqual(
      report.mapping.map((/** @type {any} */ m) => [m.department, m.source]),
      [
        ['Engineering', 'role_map'],
        ['Human Resources', 'normalized'],
        ['Sales', 'role_map'],
        ['Facilities', 'unmapped'],
      ],
    );
    assert.equal(report.lookups, 5, 'users looked up for the rows to write only');
    assert.ok(report.request, 'a request is ready');
    assert.equal(report.proposed, null);
    assert.deepEqual(t.writes(), []);
    assert.deepEqual(await t.store.listApprovals({}), []);
    const text = imports.text(report);
    assert.match(text, /dry run: nothing written/);
    assert.match(text, /\| 7 \| {2}\| `import_row_malformed`/);
    assert.match(text, /\| Facilities \| 1 \| \(none\) \| unmapped \|/);
    // Nothing approved: the executor has nothing to do.
    assert.deepEqual(await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV }), []);
    assert.deepEqual(t.writes(), []);
  } finally {
    await t.done();
  }
});

test('proposed twice is one request; approved, it is written once with its roles and audited', async () => {
  const t = await setup();
  try {
    const a = await t.plan({ propose: true });
    const b = await t.plan({ propose: true });
    assert.equal(a.proposed.dedupe_key, b.proposed.dedupe_key);
    assert.equal(b.proposed.requests_seen, 2);
    const rows = await t.store.listApprovals({});
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'pending');
    // Pending: nothing is executed.
    assert.deepEqual(await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV }), []);
    assert.deepEqual(t.writes(), []);
    await approvals.decide(t.store, a.proposed.dedupe_key, 'approve', 'Pat (IT)');
    const out = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.equal(out.length, 1);
    assert.match(/** @type {string} */ (out[0].done), /5 rows: 5 written, 0 already there, 0 failed/);
    assert.deepEqual(t.invitees().sort(), ['ada@acme.example', 'bob@acme.example', 'ivy@acme.example', 'uma@acme.example', 'zed@acme.example']);
    const ada = t.emu.invitations.find((i) => i.invitee.email === 'ada@acme.example');
    assert.deepEqual([ada.roles, ada.client_id, ada.inviter.name], [['rol_eng'], 'app_portal', 'Acme IT']);
    assert.equal(t.emu.invitations.find((i) => i.invitee.email === 'zed@acme.example').roles, undefined);
    const vera = t.org().members.find((/** @type {any} */ m) => m.user_id === 'auth0|vera');
    assert.deepEqual(vera.roles, ['rol_hr']);
    assert.equal((await t.store.getApproval(a.proposed.dedupe_key))?.status, 'done');
    const audit = await t.audit();
    assert.equal(audit.length, 5);
    assert.ok(audit.every((r) => r.kind === 'import_members' && r.outcome === 'done' && r.approved_by === 'Pat (IT)' && r.organization === 'org_acme'));
    const veraAudit = audit.find((r) => r.item.endsWith('vera@acme.example'));
    assert.deepEqual(
      veraAudit.reasons.map((/** @type {any} */ r) => r.code),
      ['import_add_verified_user', 'import_role_normalized'],
    );
    // Approved again by mistake and run: nothing is written twice.
    const before = t.writes().length;
    await approvals.decide(t.store, a.proposed.dedupe_key, 'approve', 'Pat (IT)').catch(() => {});
    await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV });
    assert.equal(t.writes().length, before);
  } finally {
    await t.done();
  }
});

test('429s and 5xx mid-run are waited out; a crash mid-run resumes without writing twice', async () => {
  const t = await setup();
  try {
    const a = await t.plan({ propose: true });
    await approvals.decide(t.store, a.proposed.dedupe_key, 'approve', 'ops');
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_acme/invitations', status: 429, times: 2, reset_in_s: 1 });
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_acme/members', status: 503, times: 1 });
    // The store dies after the third row's write (its "done" checkpoint is refused).
    let saves = 0;
    const crashing = new Proxy(t.store, {
      get(target, prop) {
        if (prop === 'setCheckpoint') {
          return async (/** @type {string} */ name, /** @type {string} */ value) => {
            if (name.startsWith('members-import:') && value === 'done' && ++saves === 3) {
              throw Object.assign(new Error('database gone'), { code: 'store_unavailable' });
            }
            return target.setCheckpoint(name, value);
          };
        }
        const v = /** @type {any} */ (target)[prop];
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await assert.rejects(approvals.execute(crashing, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep, leaseMs: 1 }), /database gone/);
    assert.ok(t.slept.length >= 2, 'the 429s were waited out');
    const afterCrash = t.invitees().length;
    assert.ok(afterCrash >= 2 && afterCrash < 6, `${afterCrash} invitations before the crash`);
    await new Promise((r) => setTimeout(r, 5));
    // The claim ran out: the next run takes it over and continues from the checkpoint.
    const rerun = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.equal(rerun.length, 1);
    assert.ok(rerun[0].done, JSON.stringify(rerun));
    // Every address invited or added exactly once.
    const invitees = t.invitees();
    assert.deepEqual([...invitees].sort(), ['ada@acme.example', 'bob@acme.example', 'ivy@acme.example', 'uma@acme.example', 'zed@acme.example']);
    const posts = t.writes().filter((c) => c.status < 300 || c.status === undefined);
    const invitePosts = t.writes().filter((c) => c.path.endsWith('/invitations') && c.status === 201);
    assert.equal(invitePosts.length, 4, JSON.stringify(posts.map((c) => [c.method, c.path, c.status])));
    assert.equal(t.writes().filter((c) => c.path.endsWith('/members') && c.status === 204).length, 1);
    // One audit record per row written (the crashed row's recorded once).
    const audit = await t.audit();
    const doneItems = audit.filter((r) => r.outcome === 'done').map((r) => r.item);
    assert.equal(new Set(doneItems).size, doneItems.length);
    assert.equal(doneItems.length, 5);
  } finally {
    await t.done();
  }
});

test('the cap gives the approval back and the next run continues; the breaker stops repeated failures', async () => {
  const t = await setup();
  try {
    const a = await t.plan({ propose: true });
    await approvals.decide(t.store, a.proposed.dedupe_key, 'approve', 'ops');
    const first = await approvals.execute(t.store, t.mgmt, { policy: policyText({ max_per_run: 2 }), env: ENV });
    assert.match(/** @type {string} */ (first[0].released), /2 written.*max_per_run \(2\)/);
    assert.equal((await t.store.getApproval(a.proposed.dedupe_key))?.status, 'approved');
    assert.equal(t.invitees().length, 3);
    const second = await approvals.execute(t.store, t.mgmt, { policy: policyText({ max_per_run: 2 }), env: ENV });
    assert.match(/** @type {string} */ (second[0].released), /2 written, 0 already there, 0 failed, 2 done by earlier runs/);
    const third = await approvals.execute(t.store, t.mgmt, { policy: policyText({ max_per_run: 2 }), env: ENV });
    assert.match(/** @type {string} */ (third[0].done), /1 written.*4 done by earlier runs; complete/);
    assert.equal(t.invitees().length, 5);
    assert.equal((await t.audit()).length, 5);
  } finally {
    await t.done();
  }

  const u = await setup();
  try {
    const a = await u.plan({ propose: true });
    await approvals.decide(u.store, a.proposed.dedupe_key, 'approve', 'ops');
    // Invitations refused (a 400 is not retried): two in a row open the breaker.
    u.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_acme/invitations', status: 400, times: 10 });
    const out = await approvals.execute(u.store, u.mgmt, { policy: policyText({ breaker_failures: 2 }), env: ENV });
    assert.match(/** @type {string} */ (out[0].error), /circuit breaker: 2 failed writes in a row/);
    assert.equal((await u.store.getApproval(a.proposed.dedupe_key))?.status, 'failed');
    assert.equal(u.invitees().length, 1, 'only the invitation that was there before');
    const audit = await u.audit();
    assert.deepEqual(
      audit.map((r) => r.outcome),
      ['failed', 'failed'],
    );
    assert.ok(audit.every((r) => typeof r.error === 'string' && r.error.includes('400')));
    // Approved again after a look: the failed rows are retried, the rest written.
    await approvals.decide(u.store, a.proposed.dedupe_key, 'approve', 'ops');
    u.emu.faults.length = 0;
    const again = await approvals.execute(u.store, u.mgmt, { policy: policyText({ breaker_failures: 2 }), env: ENV });
    assert.ok(again[0].done, JSON.stringify(again));
    assert.equal(u.invitees().length, 5);
  } finally {
    await u.done();
  }

  // A run that reaches its cap with a failed row does not hand the approval back to be
  // retried unseen: it fails, for a person to look at first.
  const v = await setup();
  try {
    const a = await v.plan({ propose: true });
    await approvals.decide(v.store, a.proposed.dedupe_key, 'approve', 'ops');
    v.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_acme/invitations', status: 400, times: 1 });
    const out = await approvals.execute(v.store, v.mgmt, { policy: policyText({ max_per_run: 2 }), env: ENV });
    assert.equal(out[0].released, undefined);
    assert.match(/** @type {string} */ (out[0].error), /1 failed.*max_per_run \(2\).*approve again/);
    assert.equal((await v.store.getApproval(a.proposed.dedupe_key))?.status, 'failed');
  } finally {
    await v.done();
  }
});

test('an edited stored request or a missing invitation client writes nothing', async () => {
  const t = await setup();
  try {
    const a = await t.plan({ propose: true });
    await approvals.decide(t.store, a.proposed.dedupe_key, 'approve', 'ops');
    const out = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: {} });
    assert.match(/** @type {string} */ (out[0].error), /ACTIONGUARD_INVITE_CLIENT_ID/);
    assert.deepEqual(t.writes(), []);
    // A proposal whose role was swapped after approval is refused by the core.
    const row = /** @type {any} */ (await t.store.getApproval(a.proposed.dedupe_key));
    const forged = JSON.parse(JSON.stringify(row.request));
    forged.proposal.rows[0].roles = ['rol_admin'];
    await t.store.receiveApproval({ dedupe_key: 'f'.repeat(32), kind: 'import_members', request: { ...forged, dedupe_key: 'f'.repeat(32) } });
    await approvals.decide(t.store, 'f'.repeat(32), 'approve', 'ops');
    const refused = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV });
    assert.match(/** @type {string} */ (refused.find((r) => r.key === 'f'.repeat(32))?.error), /not a governance request|digest|dedupe_key/);
    assert.deepEqual(t.writes(), []);
  } finally {
    await t.done();
  }
});

/**
 * A store, an emulator with the tenant, the real SDK, and the plan -> approve steps.
 * @param {any} tenantFixture
 */
async function small(tenantFixture) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-roster-'));
  const store = await openStore(`sqlite:${path.join(dir, 'ag.db')}`);
  const emu = await new ManagementEmulator(tenantFixture, { domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret' }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'm2m', clientSecret: 's3cret', maxRetries: 0 });
  const sleep = async () => {};
  const propose = async (/** @type {string} */ csv) => {
    const report = await imports.plan({ store, mgmt, orgId: 'org_a', csv, policy: policyText(), env: {}, sleep, propose: true });
    await approvals.decide(store, report.proposed.dedupe_key, 'approve', 'ops');
    return report;
  };
  const audit = async () => (await store.readAuditRecords({ fromMs: 0, untilMs: Date.now() + 60_000 })).map((a) => JSON.parse(a.raw));
  const done = async () => {
    restore();
    await emu.stop();
    await store.close();
  };
  return { store, emu, mgmt, sleep, propose, audit, done };
}

const orgA = (/** @type {any} */ extra = {}) => ({
  id: 'org_a',
  name: 'a',
  metadata: { ag_role_map: 'sales=rol_sales' },
  discovery_domains: [{ domain: 'acme.example', status: 'verified' }],
  members: [],
  ...extra,
});

test("a user verified by another customer's IdP is invited; a database or enabled connection's user is added", async () => {
  const t = await small({
    organizations: [orgA({ enabled_connections: [{ name: 'acme-okta', strategy: 'okta' }] })],
    roles: [{ id: 'rol_sales', name: 'Sales' }],
    users: [
      {
        user_id: 'samlp|evil|bob',
        email: 'bob@acme.example',
        email_verified: true,
        identities: [{ provider: 'samlp', connection: 'evil-corp-saml', user_id: 'bob', isSocial: false }],
      },
      {
        user_id: 'okta|acme-okta|eve',
        email: 'eve@acme.example',
        email_verified: true,
        identities: [{ provider: 'okta', connection: 'acme-okta', user_id: 'eve', isSocial: false }],
      },
      { user_id: 'auth0|dan', email: 'dan@acme.example', email_verified: true, identities: [DB] },
    ],
  });
  try {
    const report = await t.propose('email,department\nbob@acme.example,Sales\neve@acme.example,Sales\ndan@acme.example,Sales\n');
    assert.deepEqual(
      report.rows.map((/** @type {any} */ r) => [r.email, r.action, r.reason.code]),
      [
        ['bob@acme.example', 'invite', 'import_invite_untrusted_connection'],
        ['eve@acme.example', 'add', 'import_add_verified_user'],
        ['dan@acme.example', 'add', 'import_add_verified_user'],
      ],
    );
    const out = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.ok(out[0].done, JSON.stringify(out));
    const org = t.emu.orgs.find((/** @type {any} */ o) => o.id === 'org_a');
    assert.deepEqual(org.members.map((/** @type {any} */ m) => m.user_id).sort(), ['auth0|dan', 'okta|acme-okta|eve']);
    assert.deepEqual(
      t.emu.invitations.map((/** @type {any} */ i) => i.invitee.email),
      ['bob@acme.example'],
      'the foreign-IdP user is invited, not made a member',
    );
  } finally {
    await t.done();
  }
});

test('a second executor taking over during a 429 wait: the first stops before writing again', async () => {
  const t = await small({ organizations: [orgA()], roles: [{ id: 'rol_sales', name: 'Sales' }], users: [] });
  try {
    const report = await t.propose('email,department\nann@acme.example,Sales\nbob@acme.example,Sales\n');
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_a/invitations', status: 429, times: 1, reset_in_s: 1 });
    /** @type {any} */
    let b;
    // A's lease runs out during its wait; B (the next cron run) takes the approval over.
    const sleepA = async () => {
      await new Promise((r) => setTimeout(r, 30));
      b = await approvals.execute(t.store, t.mgmt, { executor: 'B', policy: policyText(), env: ENV, sleep: t.sleep });
    };
    const a = await approvals.execute(t.store, t.mgmt, { executor: 'A', leaseMs: 10, policy: policyText(), env: ENV, sleep: sleepA });
    assert.ok(b?.[0]?.done, JSON.stringify(b));
    assert.match(String(a[0].error), /claim on this approval was lost/);
    const invitees = t.emu.invitations.map((/** @type {any} */ i) => i.invitee.email).sort();
    assert.deepEqual(invitees, ['ann@acme.example', 'bob@acme.example'], 'each invited once');
    assert.equal((await t.store.getApproval(report.proposed.dedupe_key))?.status, 'done', "B's outcome stands");
    assert.equal((await t.audit()).filter((r) => r.outcome === 'done').length, 2);
  } finally {
    await t.done();
  }
});

test('an invitation that got a 5xx is not retried; the next run finds it created and records it done', async () => {
  const t = await small({ organizations: [orgA()], roles: [{ id: 'rol_sales', name: 'Sales' }], users: [] });
  try {
    const report = await t.propose('email,department\nann@acme.example,Sales\n');
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_a/invitations', status: 503, times: 1 });
    const first = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.match(String(first[0].error), /1 failed/);
    const posts = () => t.emu.calls.filter((/** @type {any} */ c) => c.method === 'POST' && c.path.endsWith('/invitations')).length;
    assert.equal(posts(), 1, 'one POST: never retried after an ambiguous failure');
    // The 503 came after Auth0 created it (the answer lost): the next approved run lists it.
    t.emu.invitations.push({ id: 'uinv_1', organization_id: 'org_a', invitee: { email: 'ann@acme.example' }, inviter: { name: 'x' }, client_id: 'app_portal' });
    await approvals.decide(t.store, report.proposed.dedupe_key, 'approve', 'ops');
    const second = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.match(String(second[0].done), /1 written/);
    assert.equal(posts(), 1, 'nothing sent again');
    assert.deepEqual(
      (await t.audit()).map((r) => r.outcome),
      ['failed', 'done'],
    );
  } finally {
    await t.done();
  }
});

test('a failed role assignment is retried by the next approved run, and its record says so', async () => {
  const t = await small({
    organizations: [orgA()],
    roles: [{ id: 'rol_sales', name: 'Sales' }],
    users: [{ user_id: 'auth0|vera', email: 'vera@acme.example', email_verified: true, identities: [DB] }],
  });
  try {
    const report = await t.propose('email,department\nvera@acme.example,Sales\n');
    assert.equal(report.rows[0].action, 'add');
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_a/members/auth0%7Cvera/roles', status: 503, times: 5 });
    t.emu.injectFault({ method: 'POST', path: '/api/v2/organizations/org_a/members/auth0|vera/roles', status: 503, times: 5 });
    const first = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.match(String(first[0].error), /1 failed/);
    const org = t.emu.orgs.find((/** @type {any} */ o) => o.id === 'org_a');
    assert.deepEqual(
      org.members.map((/** @type {any} */ m) => [m.user_id, m.roles ?? []]),
      [['auth0|vera', []]],
      'a member without its role',
    );
    await approvals.decide(t.store, report.proposed.dedupe_key, 'approve', 'ops');
    const second = await approvals.execute(t.store, t.mgmt, { policy: policyText(), env: ENV, sleep: t.sleep });
    assert.match(String(second[0].done), /1 written/);
    assert.deepEqual(org.members[0].roles, ['rol_sales']);
    const last = (await t.audit()).find((r) => r.outcome === 'done');
    assert.equal(last.reasons[0].code, 'import_roles_reassigned');
    assert.match(last.action, /roles rol_sales \(again\)/);
  } finally {
    await t.done();
  }
});
