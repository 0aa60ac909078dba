'use strict';
// The `actionguard` command as a person runs it: exit codes, and the approval verbs
// working on the same database while a server runs on it.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const webhook = require('actionguard/webhook.js');

const BIN = path.resolve(__dirname, '../bin/actionguard.js');
const SAMPLE = path.resolve(__dirname, '../../examples/logs/sample.ndjson');

/** @param {string} db @param {string[]} args @param {Record<string, string>} [env] */
const run = (db, args, env = {}) => spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: `sqlite:${db}`, ...env }, encoding: 'utf8' });

const tmpDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ag-cli-')), 'ag.db');

test('usage errors exit 2, failures 1, and nothing secret is echoed', () => {
  const db = tmpDb();
  assert.equal(run(db, ['--help']).status, 0);
  for (const args of [
    ['frobnicate'],
    ['logs'],
    ['logs', 'import'],
    ['approvals', 'approve'],
    ['logs', 'purge', '--days', '0'],
    ['serve', '--port', 'x'],
    ['approvals', 'list', '--status', 'bogus'],
  ]) {
    const r = run(db, args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage|must be/);
  }
  const missing = run(db, ['approvals', 'approve', 'f'.repeat(32)]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no approval/);
  const bad = run(db, ['migrate'], { DATABASE_URL: 'mysql://root:hunter2@db/x' });
  assert.equal(bad.status, 1);
  assert.doesNotMatch(bad.stderr, /hunter2/);
  const pull = run(db, ['logs', 'pull'], { AUTH0_DOMAIN: '', AUTH0_CLIENT_ID: '', AUTH0_CLIENT_SECRET: '' });
  assert.equal(pull.status, 2);
});

test('logs import stores the sample once however often it runs', () => {
  const db = tmpDb();
  const first = run(db, ['logs', 'import', SAMPLE]);
  assert.equal(first.status, 0, first.stderr);
  const totals = JSON.parse(first.stdout.trim().split('\n').pop() ?? '');
  assert.deepEqual([totals.stored, totals.duplicates, totals.rejected], [480, 12, 8]);
  const second = JSON.parse(run(db, ['logs', 'import', SAMPLE]).stdout.trim().split('\n').pop() ?? '');
  assert.deepEqual([second.stored, second.duplicates], [0, 492]);
  // Retention by the logs' own dates: the sample is from November 2026, a day's retention drops it.
  const purged = JSON.parse(run(db, ['logs', 'purge', '--days', '1']).stdout);
  assert.equal(purged.deleted.logs, 480);
});

test('a person approves with the CLI while the server receives, on the same database', async () => {
  const db = tmpDb();
  const secret = 'approval-secret';
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: { ...process.env, DATABASE_URL: `sqlite:${db}`, APPROVAL_WEBHOOK_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      readline.createInterface({ input: /** @type {any} */ (child.stdout) }).on('line', (l) => {
        const m = /listening on (\S+?)\/?$/.exec(l);
        if (m) resolve(m[1]);
      });
    });
    const key = 'ab'.repeat(16);
    const body = JSON.stringify({ kind: 'create_organization', dedupe_key: key, proposal: { name: 'newco-example', display_name: 'newco.example', domain: 'newco.example' } });
    const res = await fetch(`${url}/v1/approvals`, { method: 'POST', body, headers: { [webhook.SIGNATURE_HEADER]: webhook.sign(secret, body) } });
    assert.equal(res.status, 202);
    assert.match(run(db, ['approvals', 'list']).stdout, new RegExp(`^${key}  pending `, 'm'));
    const approved = run(db, ['approvals', 'approve', key, '--by', 'Sam']);
    assert.equal(approved.status, 0, approved.stderr);
    assert.equal(approved.stdout.trim(), `${key} approved`);
    const again = run(db, ['approvals', 'reject', key]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /an approval that is approved cannot be rejected/);
    const rows = JSON.parse(run(db, ['approvals', 'list', '--json']).stdout);
    assert.deepEqual([rows[0].status, rows[0].decided_by], ['approved', 'Sam']);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^actionguard_approvals\{state="approved"\} 1$/m);
  } finally {
    child.kill('SIGTERM');
  }
});
