'use strict';
// `actionguard logs analyze`: the offline contract other tools rely on. The sample's
// counts and planted alerts, its organizations' active and MFA users computed here from
// the lines themselves, and no database touched (none opened, no file created).

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BIN = path.resolve(__dirname, '../bin/actionguard.js');
const SAMPLE = path.resolve(__dirname, '../../examples/logs/sample.ndjson');

/** Runs the CLI in a fresh directory, with DATABASE_URL unset (the default would be ./actionguard.db). */
function run(/** @type {string[]} */ args, /** @type {Record<string, string>} */ env = {}) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-analyze-'));
  const { DATABASE_URL, ...rest } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...rest, ...env }, encoding: 'utf8' });
  return { ...r, cwd };
}

/** What the contract says of organizations, computed from the sample's lines directly. */
function expectedOrganizations() {
  /** @type {Map<string, Map<string, boolean>>} */
  const orgs = new Map();
  const seen = new Set();
  for (const line of fs.readFileSync(SAMPLE, 'utf8').split('\n')) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const log = entry?.data;
    if (!log || typeof log !== 'object' || typeof log.type !== 'string' || seen.has(entry.log_id)) continue;
    seen.add(entry.log_id);
    if (log.type !== 's' || !log.organization_id || !log.user_id) continue;
    const mfa = (log.details?.prompts ?? []).some((/** @type {any} */ p) => (p.performed_amr ?? []).includes('mfa'));
    const users = orgs.get(log.organization_id) ?? new Map();
    users.set(log.user_id, (users.get(log.user_id) ?? false) || mfa);
    orgs.set(log.organization_id, users);
  }
  return [...orgs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, users]) => ({ id, active_users: users.size, mfa_users: [...users.values()].filter(Boolean).length }));
}

test('logs analyze --json prints the contract for the sample, on its last line', () => {
  const r = run(['logs', 'analyze', SAMPLE, '--json'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const a = JSON.parse(lines[lines.length - 1]);
  assert.deepEqual([a.events, a.duplicates, a.rejected], [480, 12, 8]);
  assert.equal(a.type, undefined, 'the contract, not the tagged answer');
  const byKind = (/** @type {string} */ kind) => a.alerts.filter((/** @type {any} */ x) => x.kind === kind).map((/** @type {any} */ x) => `${x.subject.type}:${x.subject.value}`);
  assert.deepEqual(byKind('credential_stuffing'), ['ip:203.0.113.77']);
  assert.deepEqual(byKind('mfa_fatigue'), ['user:auth0|d72b449235f06d41325eaeeb']);
  assert.deepEqual(byKind('m2m_anomaly'), ['client:m2m_globex_etl']);
  // Berlin -> Sao Paulo in 41 minutes; and the MFA victim's own login from London 9.4 h after the attacker's from Singapore.
  assert.deepEqual(byKind('impossible_travel'), ['user:oidc|customer-x-sso|vhoLhmdv0oCst1KTxz7q', 'user:auth0|d72b449235f06d41325eaeeb']);
  // The stuffing's two pwd_leak logs.
  assert.equal(byKind('breached_password').length, 2);
  assert.equal(byKind('signup_wave').length, 0);
  assert.equal(a.alerts.length, 7);
  const stuffing = a.alerts[0];
  assert.equal(stuffing.kind, 'credential_stuffing');
  assert.equal(stuffing.severity, 'high');
  assert.deepEqual(stuffing.organizations, ['org_acme', 'org_initech', 'org_umbrella']);
  for (const x of a.alerts) {
    for (const key of ['kind', 'severity', 'subject', 'organizations', 'users', 'events', 'first_seen', 'last_seen', 'reasons']) assert.ok(key in x, key);
    assert.match(x.first_seen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(x.reasons.length > 0 && x.reasons.every((/** @type {any} */ r) => /^[a-z0-9_]+$/.test(r.code)));
  }
  const orgs = a.organizations.map((/** @type {any} */ o) => ({ id: o.id, active_users: o.active_users, mfa_users: o.mfa_users }));
  assert.deepEqual(orgs, expectedOrganizations());
  for (const o of a.organizations) for (const key of ['logins', 'failed_logins', 'signups']) assert.equal(typeof o[key], 'number');
  assert.deepEqual(fs.readdirSync(r.cwd), [], 'no database file (nor anything else) created');
});

test('logs analyze without --json is a summary for people; --html writes the report too (report.test.js)', () => {
  const r = run(['logs', 'analyze', SAMPLE]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /480 events, 12 duplicates, 8 rejected/);
  assert.match(r.stdout, /high\s+credential_stuffing\s+ip 203\.0\.113\.77/);
  assert.match(r.stdout, /org_acme: \d+ active users, \d+ with MFA/);
  assert.deepEqual(fs.readdirSync(r.cwd), []);
  const html = run(['logs', 'analyze', SAMPLE, '--html', 'out.html']);
  assert.equal(html.status, 0, html.stderr);
  assert.equal(html.stdout, r.stdout, 'the same summary');
  assert.deepEqual(fs.readdirSync(html.cwd), ['out.html'], 'the page, and no database');
  for (const args of [
    ['logs', 'analyze'],
    ['logs', 'analyze', SAMPLE, SAMPLE],
    ['logs', 'analyze', SAMPLE, '--frob'],
  ]) {
    assert.equal(run(args).status, 2, args.join(' '));
  }
  const missing = run(['logs', 'analyze', '/nonexistent/logs.ndjson']);
  assert.equal(missing.status, 1);
  assert.deepEqual(fs.readdirSync(missing.cwd), []);
});

test('logs analyze streams a file larger than a chunk, and repeats across chunks are duplicates', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-analyze-big-'));
  const file = path.join(dir, 'big.ndjson');
  const sample = fs.readFileSync(SAMPLE, 'utf8');
  // 30 copies: 15,000 lines over several chunks; every copy after the first is all duplicates or rejects.
  fs.writeFileSync(file, sample.repeat(30));
  const r = run(['logs', 'analyze', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  assert.deepEqual([a.events, a.duplicates, a.rejected], [480, 12 + 29 * 492, 8 * 30]);
  assert.equal(a.alerts.length, 7);
});

test('logs analyze reads a file as logs import does: the same events, duplicates and rejects', async () => {
  const { openStore } = require('../lib/store/index.js');
  const { importLogs } = require('../lib/import.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-analyze-import-'));
  try {
    const lines = fs
      .readFileSync(SAMPLE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const logs = lines.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
    // A Management-API export: one JSON array of the sample's logs (repeats included), and a few that are not logs.
    const arrayFile = path.join(dir, 'export.json');
    fs.writeFileSync(arrayFile, JSON.stringify([...logs, 42, { log_id: 'no-date' }, 'text']));
    // JSON lines with a line that is a whole stream body in Auth0's JSON-array format.
    const mixedFile = path.join(dir, 'mixed.ndjson');
    fs.writeFileSync(mixedFile, [...lines.slice(0, 40), JSON.stringify(logs.slice(30, 90)), ...lines.slice(60, 120), '[not json'].join('\n'));
    let n = 0;
    for (const file of [SAMPLE, arrayFile, mixedFile]) {
      const store = await openStore(`sqlite:${path.join(dir, `store-${++n}.db`)}`);
      let imported;
      try {
        imported = await importLogs(store, file, { batchLines: 25 });
      } finally {
        await store.close();
      }
      const r = run(['logs', 'analyze', file, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const a = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
      assert.deepEqual([a.events, a.duplicates, a.rejected], [imported.stored, imported.duplicates, imported.rejected], path.basename(file));
      assert.equal(imported.lines, imported.events + imported.rejected, path.basename(file));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
