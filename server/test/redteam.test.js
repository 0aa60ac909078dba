'use strict';
// Hostile senders, flaky clients and racing executors against the control plane:
// each test here is a problem found by review, kept so it stays fixed.

const { describe, it, after } = require('node:test');
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { openStore } = require('../lib/store/index.js');
const { createServer } = require('../lib/http.js');
const { ingestBody, ingestAudit } = require('../lib/ingest.js');
const approvals = require('../lib/approvals.js');
const { databases } = require('./helpers/databases.js');

const DATE = '2026-11-02T09:00:00.000Z';

describe('a NUL in a log never costs the batch', async () => {
  const dbs = await databases();
  for (const db of dbs) {
    describe(db.dialect, { skip: db.skip }, () => {
      after(() => db.cleanup());
      it('an escaped NUL in a field (an attacker-typed value in a failed login) and a raw NUL line: the good logs are stored', async () => {
        const store = await openStore(db.newUrl());
        try {
          const body = [
            JSON.stringify({ log_id: 'good', type: 's', date: DATE }),
            JSON.stringify({ log_id: 'nul-field', type: 'f', date: DATE, client_id: 'a\u0000b', connection: 'c\u0000', user_id: 'auth0|\u0000', ip: '1\u0000' }),
            JSON.stringify({ log_id: 'nul-org', type: 'f', date: DATE, details: { organization: { id: 'org_\u0000' } }, location_info: { country_code: 'U\u0000' } }),
            JSON.stringify({ log_id: 'nul-id\u0000', type: 'f', date: DATE }),
            JSON.stringify({ log_id: 'nul-type', type: 'f\u0000', date: DATE }),
            'junk\u0000junk',
          ].join('\n');
          const r = await ingestBody(store, body, { source: 'stream' });
          assert.deepEqual(r, { events: 3, stored: 3, duplicates: 0, rejected: 3 });
          const field = await store.getLog('nul-field');
          assert.equal(field.client_id, 'a\ufffdb');
          assert.equal(field.connection, 'c\ufffd');
          assert.equal((await store.getLog('nul-org')).organization_id, 'org_\ufffd');
          assert.ok((await store.getLog('good')).raw.includes('"good"'));
          const rejects = await store.listRejects();
          assert.deepEqual(
            rejects.map((x) => [x.line_index, x.reason_code]),
            [
              [3, 'bad_log_id'],
              [4, 'bad_type'],
              [5, 'not_json'],
            ],
          );
          assert.ok(rejects.every((x) => !x.excerpt.includes('\u0000')));
        } finally {
          await store.close();
        }
      });
    });
  }
});

test("an audit body the core reads as lines keeps each record's own line, whatever JSON.parse makes of the whole", async () => {
  const store = await openStore('sqlite::memory:');
  try {
    const r1 = JSON.stringify({ actionguard_audit: 1, id: 'r1', trigger: 'post-login', outcome: 'allow' });
    const r2 = JSON.stringify({ actionguard_audit: 1, id: 'r2', trigger: 'post-login', outcome: 'deny' });
    for (const body of [['[', r1, ',', r2, ']'].join('\n'), ['{"a":', r1, ',"b":', r2, '}'].join('\n'), ` [${r1}]`]) {
      await store.db.exec('DELETE FROM audit_records');
      await ingestAudit(store, body);
      for (const row of store.db.prepare('SELECT id, raw FROM audit_records').all()) {
        assert.equal(JSON.parse(row.raw).id, row.id, `the raw of ${row.id} in ${JSON.stringify(body.slice(0, 20))}`);
      }
    }
  } finally {
    await store.close();
  }
});

test('a sender that hangs up mid-body is not an internal error (no 500 counted, no error logged)', async () => {
  const store = await openStore('sqlite::memory:');
  /** @type {Record<string, unknown>[]} */
  const logged = [];
  const { server, metrics } = createServer({ store, logToken: 'Bearer t', log: (e) => logged.push(e) });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  try {
    const port = /** @type {any} */ (server.address()).port;
    await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('POST /v1/auth0/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 500\r\n\r\n{"log_id":');
        setTimeout(() => {
          s.destroy();
          resolve(undefined);
        }, 100);
      });
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!logged.some((e) => e.level === 'error'), JSON.stringify(logged));
    const text = await metrics.registry.getSingleMetricAsString('actionguard_http_requests_total');
    assert.ok(!/status="500"/.test(text), text);
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r(undefined)));
    await store.close();
  }
});

test('an executor whose lease ran out while it worked neither throws nor overwrites the one that took over', async () => {
  const store = await openStore('sqlite::memory:');
  try {
    const key = 'a'.repeat(32);
    const request = { kind: 'create_organization', dedupe_key: key, proposal: { name: 'acme', display_name: 'Acme', domain: 'acme.com' } };
    await store.receiveApproval({ dedupe_key: key, kind: request.kind, request });
    await approvals.decide(store, key, 'approve', 'sam');
    /** @type {Map<string, any>} */
    const orgs = new Map();
    let creates = 0;
    /** @type {() => void} */
    let releaseA = () => {};
    const aBlocked = new Promise((r) => (releaseA = r));
    let first = true;
    const mgmt = {
      organizations: {
        async create({ name, display_name, metadata }) {
          if (orgs.has(name)) throw Object.assign(new Error('exists'), { statusCode: 409 });
          creates += 1;
          const org = { id: `org_${creates}`, name, display_name, metadata };
          orgs.set(name, org);
          return { data: org };
        },
        async getByName(name) {
          return { data: orgs.get(name) };
        },
        discoveryDomains: {
          async create() {
            if (first) {
              first = false;
              await aBlocked; // executor A stalls past its lease
            }
            return { data: {} };
          },
        },
      },
    };
    const a = approvals.execute(store, mgmt, { executor: 'A', leaseMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    const b = await approvals.execute(store, mgmt, { executor: 'B', leaseMs: 60_000 });
    assert.deepEqual(b, [{ key, organization_id: 'org_1' }]);
    releaseA();
    const resultA = await a; // must not throw
    assert.equal(resultA.length, 1);
    assert.ok(resultA[0].error, JSON.stringify(resultA));
    const row = await store.getApproval(key);
    assert.equal(row.status, 'done');
    assert.equal(row.organization_id, 'org_1');
    assert.equal(creates, 1, 'one organization');
  } finally {
    await store.close();
  }
});
