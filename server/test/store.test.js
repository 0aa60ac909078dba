'use strict';
// The store contract: one suite, run against SQLite and PostgreSQL, so both
// dialects give the same results for the same calls. Every test opens its own
// fresh database (a new SQLite file / PostgreSQL schema). The races (two
// approvers, two executors) use two separate store instances on one database:
// two connections, as two server instances or a server and the CLI would.

const assert = require('node:assert/strict');
const { describe, it, after } = require('node:test');
const { openStore, STATES, MAX_EXCERPT, PURGE_CHUNK, alertKey } = require('../lib/store/index.js');
const { LATEST_VERSION, MIGRATIONS } = require('../lib/store/migrations.js');
const { databases, POSTGRES_URL } = require('./helpers/databases.js');

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

/**
 * @param {number} i
 * @param {Record<string, any>} [over]
 */
function event(i, over = {}) {
  const log_id = `9000${String(i).padStart(8, '0')}`;
  const date_ms = T0 + i * 1000;
  const raw = JSON.stringify({ log_id, type: 's', date: new Date(date_ms).toISOString(), user_id: `auth0|u${i}`, ip: '203.0.113.9' });
  return { log_id, type: 's', date_ms, organization_id: `org_${i % 3}`, user_id: `auth0|u${i}`, ip: '203.0.113.9', client_id: 'cid', connection: 'db', raw, ...over };
}

/**
 * An alert as the core's takeAlerts hands it out.
 * @param {Record<string, any>} [over]
 */
function alert(over = {}) {
  return {
    kind: 'credential_stuffing',
    severity: 'medium',
    subject: { type: 'ip', value: '203.0.113.77' },
    organizations: ['org_b', 'org_a'],
    users: 31,
    events: 40,
    first_seen: '2026-11-02T09:00:00.000Z',
    last_seen: '2026-11-02T09:30:00.000Z',
    reasons: [{ code: 'many_users' }, { code: 'failure_burst' }],
    targets: ['auth0|t2', 'auth0|t1'],
    ...over,
  };
}

/** @param {{ newUrl: () => string }} db */
async function twoStores(db) {
  const url = db.newUrl();
  const a = await openStore(url);
  const b = await openStore(url);
  return { a, b, url };
}

/** @param {Promise<any>[]} promises */
async function oneWinner(promises) {
  const results = await Promise.all(promises);
  const winners = results.filter((r) => r !== null);
  assert.equal(winners.length, 1, `exactly one of ${results.length} concurrent transitions wins`);
  return winners[0];
}

describe('openStore', () => {
  it('rejects an unknown scheme with a clear error, without echoing the URL', async () => {
    await assert.rejects(openStore('mysql://root:hunter2@localhost/x'), (err) => {
      assert.match(err.message, /scheme "mysql:" is not supported/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
    await assert.rejects(openStore(''), /DATABASE_URL is not set/);
    await assert.rejects(openStore('sqlite:'), /needs a path/);
  });

  it('opens an in-memory SQLite store', async () => {
    const store = await openStore('sqlite::memory:');
    assert.equal(store.dialect, 'sqlite');
    await store.ping();
    await store.close();
  });
});

describe('store contract', async () => {
  const dbs = await databases();
  for (const db of dbs) {
    describe(db.dialect, { skip: db.skip }, () => {
      /** @type {{ close: () => Promise<void> }[]} */
      const opened = [];
      /** @param {string} [url] */
      const open = async (url = db.newUrl(), opts = {}) => {
        const store = await openStore(url, opts);
        opened.push(store);
        return store;
      };
      const openTwo = async () => {
        const pair = await twoStores(db);
        opened.push(pair.a, pair.b);
        return pair;
      };
      after(async () => {
        for (const s of opened) await s.close();
        await db.cleanup();
      });

      it('applies migrations once: opening again (or twice at once) changes nothing', async () => {
        const url = db.newUrl();
        const [s1, s2] = await Promise.all([open(url), open(url)]);
        assert.equal(s1.dialect, db.dialect);
        assert.equal(s1.schemaVersion, LATEST_VERSION);
        assert.equal(s2.schemaVersion, LATEST_VERSION);
        await s1.ingestLogs({ events: [event(1)], source: 'stream', receivedMs: T0 });
        const s3 = await open(url);
        assert.equal((await s3.stats()).logs, 1);
        assert.deepEqual(await s3.getLog(event(1).log_id), { ...event(1), source: 'stream', received_ms: T0 });
      });

      it('refuses a database migrated by a newer release', async () => {
        const url = db.newUrl();
        await open(url);
        await db.exec(url, `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (${LATEST_VERSION + 1}, 'from the future', 0)`);
        await assert.rejects(openStore(url), (err) => {
          assert.equal(err.code, 'store_schema_too_new');
          assert.match(err.message, new RegExp(`version ${LATEST_VERSION + 1}, newer than`));
          return true;
        });
      });

      it('answers per user the latest success and whether MFA was seen (access reviews)', async () => {
        const store = await open();
        assert.deepEqual(await store.userActivity({ successTypes: ['s'], mfaTypes: ['gd_auth_succeed'] }), { oldest_ms: null, users: [] });
        await store.ingestLogs({
          events: [
            event(1),
            event(2, { user_id: 'auth0|u1', type: 'ssa' }),
            event(3, { user_id: 'auth0|u1', type: 'f' }),
            event(4, { user_id: 'auth0|u4', type: 'gd_auth_succeed' }),
            event(5, { user_id: 'auth0|u4', type: 's' }),
            event(6, { user_id: null, type: 's' }),
            event(7, { user_id: 'auth0|u7', type: 'fp' }),
          ],
          source: 'stream',
          receivedMs: T0,
        });
        const got = await store.userActivity({ successTypes: ['s', 'ssa'], mfaTypes: ['gd_auth_succeed'] });
        assert.equal(got.oldest_ms, T0 + 1000);
        const byUser = Object.fromEntries(got.users.map((u) => [u.user_id, u]));
        assert.deepEqual(Object.keys(byUser).sort(), ['auth0|u1', 'auth0|u4']);
        // The silent authentication after the login is the latest success; the failure is not one.
        assert.deepEqual(byUser['auth0|u1'], { user_id: 'auth0|u1', last_success_ms: T0 + 2000, mfa_seen: false });
        assert.deepEqual(byUser['auth0|u4'], { user_id: 'auth0|u4', last_success_ms: T0 + 5000, mfa_seen: true });
        const one = await store.userActivity({ successTypes: ['s', 'ssa'], mfaTypes: ['gd_auth_succeed'], userId: 'auth0|u4' });
        assert.deepEqual(one.users, [byUser['auth0|u4']]);
        await assert.rejects(store.userActivity({ successTypes: [], mfaTypes: ['x'] }), TypeError);
      });

      it('answers per organization its logins, users and failures in a window (classification)', async () => {
        const store = await open();
        const q = { fromMs: T0 + 2000, untilMs: T0 + 10_000, successTypes: ['s', 'ssa'], failureTypes: ['f', 'fp'] };
        assert.deepEqual(await store.organizationActivity(q), []);
        await store.ingestLogs({
          events: [
            event(1, { organization_id: 'org_a' }), // before the window: first seen only
            event(2, { organization_id: 'org_a', user_id: 'auth0|u1' }),
            event(3, { organization_id: 'org_a', user_id: 'auth0|u1', type: 'ssa' }),
            event(4, { organization_id: 'org_a', user_id: 'auth0|u4', type: 'fp' }),
            event(5, { organization_id: 'org_b', user_id: 'auth0|u5' }),
            event(6, { organization_id: null }),
            event(7, { organization_id: 'org_b', type: 'gd_auth_succeed' }),
            event(20, { organization_id: 'org_b' }), // after the window: not counted, not seen
          ],
          source: 'stream',
          receivedMs: T0,
        });
        assert.deepEqual(await store.organizationActivity(q), [
          { organization_id: 'org_a', logins: 2, active_users: 1, failed: 1, first_seen_ms: T0 + 1000, last_seen_ms: T0 + 4000 },
          { organization_id: 'org_b', logins: 1, active_users: 1, failed: 0, first_seen_ms: T0 + 5000, last_seen_ms: T0 + 7000 },
        ]);
        await assert.rejects(store.organizationActivity({ ...q, successTypes: 's' }), TypeError);
        await assert.rejects(store.organizationActivity({ ...q, fromMs: 'x' }), TypeError);
      });

      it('stores logs once per log_id, within a batch and across batches', async () => {
        const store = await open();
        const first = await store.ingestLogs({ events: [event(1), event(2), event(1)], rejects: [], source: 'stream', receivedMs: T0 });
        assert.deepEqual(first, { stored: 2, duplicates: 1, rejected: 0 });
        // A repeat (Auth0 resending) is counted and left untouched, even when its raw text differs.
        const again = await store.ingestLogs({ events: [event(2, { raw: '{"changed":true}', type: 'f' }), event(3)], source: 'import', receivedMs: T0 + 5 });
        assert.deepEqual(again, { stored: 1, duplicates: 1, rejected: 0 });
        assert.deepEqual(await store.getLog(event(2).log_id), { ...event(2), source: 'stream', received_ms: T0 });
        assert.deepEqual(await store.getLog(event(3).log_id), { ...event(3), source: 'import', received_ms: T0 + 5 });
        assert.equal(await store.getLog('nope'), null);
        // Optional fields may be absent.
        const bare = { log_id: 'bare', type: 'fp', date_ms: T0, raw: '{}' };
        assert.deepEqual(await store.ingestLogs({ events: [bare], source: 'stream', receivedMs: T0 }), { stored: 1, duplicates: 0, rejected: 0 });
        const row = await store.getLog('bare');
        assert.equal(row.user_id, null);
        assert.equal(row.organization_id, null);
        assert.equal((await store.stats()).logs, 4);
        assert.deepEqual(await store.ingestLogs({ events: [], source: 'stream' }), { stored: 0, duplicates: 0, rejected: 0 });
      });

      it('stores a batch larger than one insert chunk in one go', async () => {
        const store = await open();
        const events = Array.from({ length: 2500 }, (_, i) => event(i));
        assert.deepEqual(await store.ingestLogs({ events, source: 'import', receivedMs: T0 }), { stored: 2500, duplicates: 0, rejected: 0 });
        const mixed = [...events.slice(1200, 1300), ...Array.from({ length: 1100 }, (_, i) => event(10000 + i))];
        assert.deepEqual(await store.ingestLogs({ events: mixed, source: 'import', receivedMs: T0 }), { stored: 1100, duplicates: 100, rejected: 0 });
        assert.equal((await store.stats()).logs, 3600);
      });

      it('two instances ingesting overlapping batches at once: each log stored once, no deadlock', async () => {
        const { a, b } = await openTwo();
        const events = Array.from({ length: 3000 }, (_, i) => event(i));
        for (let round = 0; round < 3; round++) {
          const mine = events.slice(round * 1000, round * 1000 + 2000);
          const [ra, rb] = await Promise.all([
            a.ingestLogs({ events: mine, source: 'stream', receivedMs: T0 }),
            b.ingestLogs({ events: [...mine].reverse(), source: 'stream', receivedMs: T0 }),
          ]);
          assert.equal(ra.stored + ra.duplicates, mine.length);
          assert.equal(rb.stored + rb.duplicates, mine.length);
        }
        assert.equal((await a.stats()).logs, 3000);
      });

      it('stores nothing of a batch that fails half-way (all or nothing)', async () => {
        const store = await open();
        await store.ingestLogs({ events: [event(1)], source: 'stream', receivedMs: T0 });
        // Row 1500 breaks NOT NULL: after the first chunk went in, on PostgreSQL.
        const events = Array.from({ length: 2000 }, (_, i) => event(100 + i));
        events[1500] = { ...events[1500], type: null };
        await assert.rejects(store.ingestLogs({ events, rejects: [{ index: 7, reason_code: 'not_json', message: 'x', excerpt: 'y' }], source: 'stream', receivedMs: T0 }));
        const stats = await store.stats();
        assert.equal(stats.logs, 1);
        assert.equal(stats.rejects, 0);
        assert.equal(await store.getLog(event(100).log_id), null);
        // The store is still usable, and the same batch fixed goes in whole.
        events[1500] = event(1600);
        assert.deepEqual(await store.ingestLogs({ events, source: 'stream', receivedMs: T0 }), { stored: 2000, duplicates: 0, rejected: 0 });
      });

      it('stores rejects with their reason and a bounded excerpt', async () => {
        const store = await open();
        const long = 'x'.repeat(2000);
        const res = await store.ingestLogs({
          events: [event(1)],
          rejects: [
            { index: 0, reason_code: 'not_json', message: 'not JSON', excerpt: long },
            { index: 4, reason_code: 'missing_log_id', message: 'no `log_id`', excerpt: '{"type":"s"}' },
          ],
          source: 'stream',
          receivedMs: T0,
        });
        assert.deepEqual(res, { stored: 1, duplicates: 0, rejected: 2 });
        const rows = await store.listRejects();
        assert.deepEqual(
          rows.map(({ id, ...r }) => r),
          [
            { received_ms: T0, source: 'stream', line_index: 0, reason_code: 'not_json', message: 'not JSON', excerpt: 'x'.repeat(MAX_EXCERPT) },
            { received_ms: T0, source: 'stream', line_index: 4, reason_code: 'missing_log_id', message: 'no `log_id`', excerpt: '{"type":"s"}' },
          ],
        );
        assert.ok(rows[0].id < rows[1].id);
        assert.equal((await store.stats()).rejects, 2);
      });

      it("keeps the core's approval states, in the schema's check too", async () => {
        const core = require('actionguard/control-plane').approvalStates();
        assert.deepEqual(STATES, core);
        const check = `CHECK (status IN (${core.map((x) => `'${x}'`).join(', ')}))`;
        const texts = JSON.stringify(MIGRATIONS);
        assert.equal(texts.split('status TEXT NOT NULL CHECK').length, texts.split(`status TEXT NOT NULL ${check}`).length);
        assert.ok(texts.includes(check));
        const store = await open();
        await store.receiveApproval({ dedupe_key: 'st', kind: 'create_organization', request: {}, receivedMs: T0 });
        for (const s of core) assert.equal((await store.listApprovals({ status: s })).length, s === 'pending' ? 1 : 0);
        assert.deepEqual(
          Object.keys(await store.approvalStats()).filter((k) => core.includes(k)),
          core,
        );
      });

      it('replaces each NUL of an excerpt at the gate, after the cut', async () => {
        const store = await open();
        const excerpt = `a\u0000${'b'.repeat(MAX_EXCERPT)}`;
        await store.ingestLogs({ events: [], rejects: [{ index: 0, reason_code: 'not_json', message: 'm', excerpt }], source: 'stream', receivedMs: T0 });
        const [row] = await store.listRejects();
        assert.equal(row.excerpt, `a\ufffd${'b'.repeat(MAX_EXCERPT - 2)}`);
      });

      it('stores audit records once per id', async () => {
        const store = await open();
        const rec = (id, at_ms) => ({ id, at_ms, trigger: 'post-login', outcome: 'allow', organization_id: 'org_1', raw: JSON.stringify({ id }) });
        assert.deepEqual(await store.putAuditRecords([rec('a', T0), rec('b', T0 + 1), rec('a', T0)], { receivedMs: T0 }), { stored: 2, duplicates: 1 });
        assert.deepEqual(await store.putAuditRecords([rec('b', T0 + 1), { id: 'c', raw: '{}' }], { receivedMs: T0 + 2 }), { stored: 1, duplicates: 1 });
        assert.deepEqual(await store.putAuditRecords([], { receivedMs: T0 }), { stored: 0, duplicates: 0 });
        assert.equal((await store.stats()).audit, 3);
        await assert.rejects(store.putAuditRecords([rec('d', T0), { id: 'e', raw: null }], { receivedMs: T0 }));
        assert.equal((await store.stats()).audit, 3);
      });

      it('receives an approval once; a repeat only counts', async () => {
        const store = await open();
        const request = { domain: 'acme.example', org_name: 'acme', first_seen: { user: 'auth0|1' } };
        assert.deepEqual(await store.receiveApproval({ dedupe_key: 'k1', kind: 'create_org', request, receivedMs: T0 }), {
          dedupe_key: 'k1',
          status: 'pending',
          requests_seen: 1,
        });
        assert.deepEqual(await store.receiveApproval({ dedupe_key: 'k1', kind: 'other', request: { changed: true }, receivedMs: T0 + 50 }), {
          dedupe_key: 'k1',
          status: 'pending',
          requests_seen: 2,
        });
        assert.deepEqual(await store.getApproval('k1'), {
          dedupe_key: 'k1',
          kind: 'create_org',
          status: 'pending',
          request,
          requests_seen: 2,
          received_ms: T0,
          updated_ms: T0,
          decided_ms: null,
          decided_by: null,
          creation_marker: null,
          executor: null,
          lease_until_ms: null,
          organization_id: null,
          error: null,
          version: 1,
        });
        assert.equal(await store.getApproval('nope'), null);
        await store.receiveApproval({ dedupe_key: 'k0', kind: 'create_org', request: {}, receivedMs: T0 - 10 });
        assert.deepEqual(
          (await store.listApprovals()).map((r) => r.dedupe_key),
          ['k0', 'k1'],
        );
        await assert.rejects(store.receiveApproval({ dedupe_key: '', kind: 'x', request: {} }), TypeError);
      });

      it('moves an approval along the legal path, one version per move', async () => {
        const store = await open();
        await store.receiveApproval({ dedupe_key: 'k', kind: 'create_org', request: { a: 1 }, receivedMs: T0 });
        const approved = await store.transitionApproval('k', { from: ['pending', 'failed'], to: 'approved', fields: { decided_ms: T0 + 1, decided_by: 'Sam' }, nowMs: T0 + 1 });
        assert.equal(approved.status, 'approved');
        assert.equal(approved.version, 2);
        assert.equal(approved.updated_ms, T0 + 1);
        assert.equal(approved.decided_by, 'Sam');
        assert.equal(approved.decided_ms, T0 + 1);
        const claimed = await store.transitionApproval('k', {
          from: ['approved'],
          to: 'executing',
          reclaim: true,
          fields: { executor: 'host-1', lease_until_ms: T0 + 60000 },
          nowMs: T0 + 2,
        });
        assert.equal(claimed.status, 'executing');
        assert.equal(claimed.executor, 'host-1');
        assert.equal(claimed.lease_until_ms, T0 + 60000);
        assert.equal(claimed.version, 3);
        const done = await store.transitionApproval('k', { from: ['executing'], to: 'done', fields: { organization_id: 'org_new', lease_until_ms: null }, nowMs: T0 + 3 });
        assert.deepEqual(done, { ...(await store.getApproval('k')) });
        assert.equal(done.status, 'done');
        assert.equal(done.organization_id, 'org_new');
        assert.equal(done.lease_until_ms, null);
        assert.equal(done.decided_by, 'Sam', 'fields not named are kept');
        assert.equal(done.version, 4);
        assert.deepEqual(
          (await store.listApprovals({ status: 'done' })).map((r) => r.dedupe_key),
          ['k'],
        );
        assert.deepEqual(await store.listApprovals({ status: 'pending' }), []);

        await store.receiveApproval({ dedupe_key: 'f', kind: 'create_org', request: {}, receivedMs: T0 });
        await store.transitionApproval('f', { from: ['pending'], to: 'approved', nowMs: T0 + 1 });
        await store.transitionApproval('f', { from: ['approved'], to: 'executing', reclaim: true, fields: { executor: 'h', lease_until_ms: T0 + 100 }, nowMs: T0 + 2 });
        const failed = await store.transitionApproval('f', {
          from: ['executing'],
          to: 'failed',
          fields: { error: 'name taken by an organization we did not create' },
          nowMs: T0 + 3,
        });
        assert.equal(failed.error, 'name taken by an organization we did not create');
        const reapproved = await store.transitionApproval('f', { from: ['pending', 'failed'], to: 'approved', fields: { error: null }, nowMs: T0 + 4 });
        assert.equal(reapproved.status, 'approved');
        assert.equal(reapproved.error, null);
      });

      it('refuses a move from the wrong state (null, row untouched)', async () => {
        const store = await open();
        await store.receiveApproval({ dedupe_key: 'k', kind: 'create_org', request: {}, receivedMs: T0 });
        const before = await store.getApproval('k');
        assert.equal(await store.transitionApproval('k', { from: ['executing'], to: 'done', nowMs: T0 + 1 }), null);
        assert.equal(
          await store.transitionApproval('k', { from: ['approved'], to: 'executing', reclaim: true, fields: { executor: 'x', lease_until_ms: T0 + 9 }, nowMs: T0 + 1 }),
          null,
        );
        assert.equal(await store.transitionApproval('missing', { from: ['pending'], to: 'approved', nowMs: T0 + 1 }), null);
        assert.deepEqual(await store.getApproval('k'), before);
        await assert.rejects(store.transitionApproval('k', { from: ['pending'], to: 'gone' }), TypeError);
        await assert.rejects(store.transitionApproval('k', { from: [], to: 'approved' }), TypeError);
        await assert.rejects(store.transitionApproval('k', { from: ['pending'], to: 'approved', fields: { status: 'done' } }), TypeError);
      });

      it('an executor that lost its claim cannot record an outcome (the holder fence)', async () => {
        const store = await open();
        await store.receiveApproval({ dedupe_key: 'h', kind: 'create_org', request: {}, receivedMs: T0 });
        await store.transitionApproval('h', { from: ['pending'], to: 'approved', nowMs: T0 + 1 });
        await store.transitionApproval('h', { from: ['approved'], to: 'executing', reclaim: true, fields: { executor: 'old', lease_until_ms: T0 + 10 }, nowMs: T0 + 2 });
        // The old executor's lease runs out; a new one takes the claim over.
        const taken = await store.transitionApproval('h', {
          from: ['approved'],
          to: 'executing',
          reclaim: true,
          fields: { executor: 'new', lease_until_ms: T0 + 1000 },
          nowMs: T0 + 20,
        });
        assert.equal(taken?.executor, 'new');
        assert.equal(await store.transitionApproval('h', { from: ['executing'], to: 'failed', fields: { error: 'late' }, holder: 'old', nowMs: T0 + 21 }), null);
        const done = await store.transitionApproval('h', { from: ['executing'], to: 'done', fields: { organization_id: 'org_1' }, holder: 'new', nowMs: T0 + 22 });
        assert.deepEqual([done?.status, done?.error], ['done', null]);
        await assert.rejects(store.transitionApproval('h', { from: ['executing'], to: 'done', holder: '' }), TypeError);
      });

      it('two approvers at once: exactly one write', async () => {
        const { a, b } = await openTwo();
        for (let i = 0; i < 10; i++) {
          await a.receiveApproval({ dedupe_key: `aa${i}`, kind: 'create_org', request: {}, receivedMs: T0 });
          await a.receiveApproval({ dedupe_key: `ar${i}`, kind: 'create_org', request: {}, receivedMs: T0 });
        }
        const approve = (store, key, by) =>
          store.transitionApproval(key, { from: ['pending', 'failed'], to: 'approved', fields: { decided_by: by, decided_ms: T0 + 1 }, nowMs: T0 + 1 });
        const reject = (store, key, by) => store.transitionApproval(key, { from: ['pending'], to: 'rejected', fields: { decided_by: by, decided_ms: T0 + 1 }, nowMs: T0 + 1 });
        for (let i = 0; i < 10; i++) {
          // approve vs approve
          const w1 = await oneWinner([approve(a, `aa${i}`, 'alice'), approve(b, `aa${i}`, 'bob')]);
          const r1 = await b.getApproval(`aa${i}`);
          assert.equal(r1.status, 'approved');
          assert.equal(r1.decided_by, w1.decided_by);
          assert.equal(r1.version, 2);
          // approve vs reject
          const w2 = await oneWinner([approve(a, `ar${i}`, 'alice'), reject(b, `ar${i}`, 'bob')]);
          const r2 = await a.getApproval(`ar${i}`);
          assert.equal(r2.status, w2.status);
          assert.equal(r2.decided_by, w2.status === 'approved' ? 'alice' : 'bob');
          assert.equal(r2.version, 2);
        }
        const stats = await a.stats();
        assert.equal(stats.approvals.pending, 0);
        assert.equal(stats.approvals.approved + stats.approvals.rejected, 20);
      });

      it('two executors at once: one claim; an expired lease can be reclaimed, a live one cannot', async () => {
        const { a, b } = await openTwo();
        const claim = (store, key, executor, nowMs) =>
          store.transitionApproval(key, { from: ['approved'], to: 'executing', reclaim: true, fields: { executor, lease_until_ms: nowMs + 60000 }, nowMs });
        for (let i = 0; i < 10; i++) {
          const key = `k${i}`;
          await a.receiveApproval({ dedupe_key: key, kind: 'create_org', request: {}, receivedMs: T0 });
          await a.transitionApproval(key, { from: ['pending'], to: 'approved', nowMs: T0 });
          const w = await oneWinner([claim(a, key, 'exec-a', T0 + 1), claim(b, key, 'exec-b', T0 + 1)]);
          const row = await a.getApproval(key);
          assert.equal(row.status, 'executing');
          assert.equal(row.executor, w.executor);
          assert.equal(row.version, 3);
        }
        // A live lease: nobody else may claim.
        assert.equal(await claim(b, 'k0', 'exec-late', T0 + 30000), null);
        assert.equal(await claim(b, 'k0', 'exec-late', T0 + 60001), null, 'not yet expired at lease_until_ms itself');
        // Unless the caller says a claim may not take over (reclaim: false).
        assert.equal(await b.transitionApproval('k0', { from: ['approved'], to: 'executing', reclaim: false, fields: { executor: 'x' }, nowMs: T0 + 60002 }), null);
        // The lease ran out (its executor died): exactly one of two takes it over.
        const w = await oneWinner([claim(a, 'k0', 'exec-a2', T0 + 60002), claim(b, 'k0', 'exec-b2', T0 + 60002)]);
        const row = await b.getApproval('k0');
        assert.equal(row.executor, w.executor);
        assert.equal(row.lease_until_ms, T0 + 60002 + 60000);
        assert.equal(row.version, 4);
        // A move other than a claim never takes over an expired lease.
        assert.equal(await a.transitionApproval('k0', { from: ['approved'], to: 'done', nowMs: T0 + 10 ** 9 }), null);
      });

      it('keeps the first creation marker', async () => {
        const { a, b } = await openTwo();
        await a.receiveApproval({ dedupe_key: 'k', kind: 'create_org', request: {}, receivedMs: T0 });
        const results = await Promise.all([a.setCreationMarker('k', 'k:nonce-a'), b.setCreationMarker('k', 'k:nonce-b')]);
        assert.equal(results[0], results[1], 'both callers see the marker that won');
        assert.ok(['k:nonce-a', 'k:nonce-b'].includes(results[0]));
        assert.equal(await a.setCreationMarker('k', 'k:later'), results[0]);
        assert.equal((await b.getApproval('k')).creation_marker, results[0]);
        assert.equal((await b.getApproval('k')).version, 1, 'the marker is not a state move');
        assert.equal(await a.setCreationMarker('missing', 'm'), null);
      });

      it('keeps checkpoints', async () => {
        const store = await open();
        assert.equal(await store.getCheckpoint('logs.pull'), null);
        await store.setCheckpoint('logs.pull', '9000001');
        await store.setCheckpoint('other', 'x');
        await store.setCheckpoint('logs.pull', '9000002');
        assert.equal(await store.getCheckpoint('logs.pull'), '9000002');
        assert.equal(await store.getCheckpoint('other'), 'x');
      });

      it('purges by time, in chunks', async () => {
        const store = await open();
        const n = PURGE_CHUNK * 2 + 10;
        const events = Array.from({ length: n }, (_, i) => event(i)); // date_ms = T0 + i s
        await store.ingestLogs({ events, rejects: [{ index: 0, reason_code: 'not_json', message: 'm', excerpt: '' }], source: 'import', receivedMs: T0 });
        await store.ingestLogs({ events: [], rejects: [{ index: 0, reason_code: 'not_json', message: 'm', excerpt: '' }], source: 'import', receivedMs: T0 + 10 ** 9 });
        await store.putAuditRecords(
          [
            { id: 'old', at_ms: T0, raw: '{}' },
            { id: 'new', at_ms: T0 + 10 ** 9, raw: '{}' },
            { id: 'old-received', raw: '{}' },
          ],
          { receivedMs: T0 },
        );
        await store.putAuditRecords([{ id: 'new-received', raw: '{}' }], { receivedMs: T0 + 10 ** 9 });
        await store.receiveApproval({ dedupe_key: 'k', kind: 'create_org', request: {}, receivedMs: T0 });
        const cut = T0 + (n - 5) * 1000; // all but the last 5 logs are older
        await store.upsertAlerts([
          alert({ last_seen: new Date(cut - 1).toISOString() }),
          alert({ subject: { type: 'ip', value: '198.51.100.1' }, last_seen: new Date(cut).toISOString() }),
        ]);
        assert.deepEqual(await store.purge({ beforeMs: cut }), { logs: n - 5, rejects: 1, audit: 2, alerts: 1 });
        const stats = await store.stats();
        assert.equal(stats.logs, 5);
        assert.equal(stats.rejects, 1);
        assert.equal(stats.audit, 2);
        assert.equal(stats.approvals.pending, 1, 'approvals are never purged');
        assert.deepEqual(
          (await store.listAlerts()).map((r) => r.subject_value),
          ['198.51.100.1'],
        );
        assert.deepEqual(await store.purge({ beforeMs: cut }), { logs: 0, rejects: 0, audit: 0, alerts: 0 });
      });

      it('merges alerts per kind and subject: idempotent, in any order, across instances', async () => {
        const { a, b } = await openTwo();
        const first = alert();
        const later = alert({
          severity: 'high',
          organizations: ['org_c'],
          users: 40,
          events: 55,
          last_seen: '2026-11-02T10:00:00.000Z',
          reasons: [{ code: 'login_succeeded' }],
          targets: ['auth0|t9'],
        });
        const [created] = await a.upsertAlerts([first], { nowMs: T0 });
        assert.equal(created.created, true);
        assert.deepEqual(created.row, {
          alert_key: alertKey('credential_stuffing', 'ip', '203.0.113.77'),
          kind: 'credential_stuffing',
          subject_type: 'ip',
          subject_value: '203.0.113.77',
          severity: 'medium',
          organizations: ['org_a', 'org_b'],
          users: 31,
          events: 40,
          first_seen_ms: Date.parse('2026-11-02T09:00:00.000Z'),
          last_seen_ms: Date.parse('2026-11-02T09:30:00.000Z'),
          reasons: ['failure_burst', 'many_users'],
          targets: ['auth0|t1', 'auth0|t2'],
          created_ms: T0,
          updated_ms: T0,
          notified_ms: null,
          notified_severity: null,
          version: 1,
        });
        // The same alert again (a retried batch, another instance's view of it): no change.
        const [same] = await b.upsertAlerts([first], { nowMs: T0 + 1 });
        assert.deepEqual([same.created, same.changed, same.row.version, same.row.updated_ms], [false, false, 1, T0]);
        // A later view: merged, escalated; an older view after it changes nothing.
        const [merged] = await b.upsertAlerts([later], { nowMs: T0 + 2 });
        assert.deepEqual([merged.created, merged.changed, merged.escalated], [false, true, true]);
        assert.deepEqual(
          [merged.row.severity, merged.row.organizations, merged.row.users, merged.row.events, merged.row.reasons, merged.row.targets, merged.row.version],
          ['high', ['org_a', 'org_b', 'org_c'], 40, 55, ['failure_burst', 'login_succeeded', 'many_users'], ['auth0|t1', 'auth0|t2', 'auth0|t9'], 2],
        );
        const [stale] = await a.upsertAlerts([first], { nowMs: T0 + 3 });
        assert.equal(stale.changed, false);
        // The other order on a fresh database ends in the same content.
        const c = await open();
        await c.upsertAlerts([later]);
        await c.upsertAlerts([first]);
        const strip = (/** @type {any} */ r) => ({ ...r, created_ms: 0, updated_ms: 0, version: 0 });
        assert.deepEqual(strip(await c.getAlert(merged.row.alert_key)), strip(await a.getAlert(merged.row.alert_key)));
        // Two instances at once, on overlapping alerts: every alert once, nothing lost.
        const many = (/** @type {number} */ k) => Array.from({ length: 30 }, (_, i) => alert({ subject: { type: 'ip', value: `198.51.100.${i}` }, users: 10 + k }));
        await Promise.all([a.upsertAlerts(many(1)), b.upsertAlerts(many(2)), a.upsertAlerts(many(3))]);
        const rows = (await a.listAlerts()).filter((r) => r.subject_value.startsWith('198.51.100.'));
        assert.equal(rows.length, 30);
        assert.ok(rows.every((r) => r.users === 13));
        assert.equal(await a.getAlert('nope'), null);
        await assert.rejects(a.upsertAlerts([alert({ severity: 'urgent' })]), /unknown severity/);
      });

      it('lists alerts by last seen and fingerprints what is active', async () => {
        const store = await open();
        const at = (/** @type {number} */ h) => new Date(T0 + h * 3600_000).toISOString();
        const empty = await store.alertsFingerprint({ sinceMs: T0 });
        await store.upsertAlerts([
          alert({ subject: { type: 'ip', value: '192.0.2.1' }, last_seen: at(1) }),
          alert({ subject: { type: 'ip', value: '192.0.2.2' }, last_seen: at(3) }),
        ]);
        await store.upsertAlerts([alert({ subject: { type: 'ip', value: '192.0.2.3' }, first_seen: at(-30), last_seen: at(-25) })]);
        assert.deepEqual(
          (await store.listAlerts({ sinceMs: T0 })).map((r) => r.subject_value),
          ['192.0.2.2', '192.0.2.1'],
        );
        assert.equal((await store.listAlerts({ sinceMs: 0, limit: 1 })).length, 1);
        const before = await store.alertsFingerprint({ sinceMs: T0 });
        assert.notEqual(before, empty);
        assert.equal(await store.alertsFingerprint({ sinceMs: T0 }), before, 'nothing changed');
        await store.upsertAlerts([alert({ subject: { type: 'ip', value: '192.0.2.3' }, first_seen: at(-30), last_seen: at(-24) })]);
        assert.equal(await store.alertsFingerprint({ sinceMs: T0 }), before, 'an alert outside the window changed');
        await store.upsertAlerts([alert({ subject: { type: 'ip', value: '192.0.2.1' }, last_seen: at(1), reasons: [{ code: 'new_reason' }] })]);
        assert.notEqual(await store.alertsFingerprint({ sinceMs: T0 }), before);
      });

      it('claims an alert notice once per cooldown, again for a worse severity, once across instances', async () => {
        const { a, b } = await openTwo();
        const [{ row }] = await a.upsertAlerts([alert()]);
        const key = row.alert_key;
        const cooldownMs = 3600_000;
        const claims = await Promise.all([a, b, a, b].map((s) => s.claimAlertNotice(key, { nowMs: T0, cooldownMs, severity: 'medium' })));
        assert.deepEqual(claims.filter(Boolean).length, 1, 'one instance sends it');
        assert.equal(await b.claimAlertNotice(key, { nowMs: T0 + cooldownMs - 1, cooldownMs, severity: 'medium' }), false, 'within the cooldown');
        assert.equal(await b.claimAlertNotice(key, { nowMs: T0 + 10, cooldownMs, severity: 'high' }), true, 'it got worse');
        assert.equal(await a.claimAlertNotice(key, { nowMs: T0 + 20, cooldownMs, severity: 'high' }), false);
        assert.equal(await a.claimAlertNotice(key, { nowMs: T0 + 10 + cooldownMs, cooldownMs, severity: 'high' }), true, 'after the cooldown');
        const stored = await a.getAlert(key);
        assert.deepEqual([stored?.notified_ms, stored?.notified_severity], [T0 + 10 + cooldownMs, 'high']);
        assert.equal(await a.claimAlertNotice('nope', { nowMs: T0, cooldownMs, severity: 'low' }), false);
      });

      it('counts everything in stats', async () => {
        const store = await open();
        const empty = { logs: 0, rejects: 0, audit: 0, approvals: Object.fromEntries(STATES.map((s) => [s, 0])) };
        assert.deepEqual(await store.stats(), empty);
        await store.ingestLogs({ events: [event(1), event(2)], rejects: [{ index: 2, reason_code: 'bad_date', message: 'm', excerpt: 'e' }], source: 'stream', receivedMs: T0 });
        await store.putAuditRecords([{ id: 'a', raw: '{}' }], { receivedMs: T0 });
        for (const k of ['p', 'a', 'r']) await store.receiveApproval({ dedupe_key: k, kind: 'create_org', request: {}, receivedMs: T0 });
        await store.transitionApproval('a', { from: ['pending'], to: 'approved', nowMs: T0 });
        await store.transitionApproval('r', { from: ['pending'], to: 'rejected', nowMs: T0 });
        assert.deepEqual(await store.stats(), { logs: 2, rejects: 1, audit: 1, approvals: { ...empty.approvals, pending: 1, approved: 1, rejected: 1 } });
      });

      if (db.dialect === 'postgres') {
        it('an unreachable server rejects with store_unavailable, quickly and without crashing', async () => {
          const started = Date.now();
          await assert.rejects(openStore('postgres://postgres@127.0.0.1:1/test'), (err) => {
            assert.equal(err.code, 'store_unavailable');
            return true;
          });
          assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
        });

        it('a dropped connection: store_unavailable at most once, then the pool reconnects', async () => {
          const app = `ag_test_kill_${process.pid}_${Date.now()}`;
          const u = new URL(db.newUrl());
          u.searchParams.set('application_name', app);
          const store = await open(u.toString());
          await store.ping();
          // Terminate every connection of this store, as a PostgreSQL restart would.
          await db.exec(u.toString(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${app}'`);
          let failures = 0;
          for (let i = 0; i < 3; i++) {
            try {
              await store.ingestLogs({ events: [event(i)], source: 'stream', receivedMs: T0 });
            } catch (err) {
              assert.equal(err.code, 'store_unavailable');
              failures++;
            }
          }
          assert.ok(failures <= 1, `${failures} failures after one drop`);
          assert.ok((await store.stats()).logs >= 2);
        });

        it('a connection dropped in the middle of a batch: store_unavailable, nothing stored, the next call works', async () => {
          const { Client } = require('pg');
          const app = `ag_test_kill_${process.pid}_${Date.now()}`;
          const u = new URL(db.newUrl());
          u.searchParams.set('application_name', app);
          const store = await open(u.toString());
          // Another session inserts the batch's last log_id without committing: the
          // batch waits on that row, half-done, inside its transaction.
          const blocker = new Client({ connectionString: POSTGRES_URL });
          blocker.on('error', () => {});
          await blocker.connect();
          try {
            await blocker.query(`SET search_path = "${u.searchParams.get('schema')}"`);
            await blocker.query('BEGIN');
            const events = Array.from({ length: 1500 }, (_, i) => event(i));
            await blocker.query(`INSERT INTO logs (log_id, type, date_ms, source, received_ms, raw) VALUES ($1, 's', 0, 'x', 0, '{}')`, [events[1499].log_id]);
            const pending = store.ingestLogs({ events, source: 'stream', receivedMs: T0 }).then(
              () => null,
              (err) => err,
            );
            for (let waited = 0; ; waited += 20) {
              const { rows } = await blocker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [app]);
              if (rows[0].n > 0) break;
              assert.ok(waited < 5000, 'the batch never waited on the lock');
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
            await blocker.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
            const err = await pending;
            assert.ok(err, 'the batch failed');
            assert.equal(err.code, 'store_unavailable');
            await blocker.query('ROLLBACK');
          } finally {
            await blocker.end().catch(() => {});
          }
          assert.equal((await store.stats()).logs, 0, 'nothing of the batch was stored');
          assert.deepEqual(await store.ingestLogs({ events: [event(1)], source: 'stream', receivedMs: T0 }), { stored: 1, duplicates: 0, rejected: 0 });
        });
      }
    });
  }
});
