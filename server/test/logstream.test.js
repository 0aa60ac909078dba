'use strict';
// Detection on a simulated log stream (scripts/sim/logstream.js), judged by
// scripts/evaluate-logs through the offline command (`logs analyze --json`): every
// planted campaign detected, no alert on a benign look-alike or anywhere else, the
// contract's counts equal to the stream's. And the simulator is deterministic.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const SIM = path.join(ROOT, 'scripts/sim/logstream.js');
const EVALUATE = path.join(ROOT, 'scripts/sim/evaluate-logs.js');
const KINDS = ['credential_stuffing', 'breached_password', 'mfa_fatigue', 'impossible_travel', 'signup_wave', 'm2m_anomaly'];

test('a small simulated stream: every campaign detected, no false alert, the counts right', () => {
  const r = spawnSync(process.execPath, [EVALUATE, '--seeds', '3', '--sizes', 'small', '--no-doc', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  assert.equal(out.runs.length, 1);
  assert.ok(out.events > 30_000, `a stream of some size: ${out.events} events`);
  for (const kind of KINDS) {
    const { planted, detected } = out.detection[kind];
    assert.ok(planted >= 2, `${kind}: ${planted} planted`);
    assert.equal(detected, planted, `${kind}: ${detected} of ${planted} detected`);
  }
  assert.deepEqual([out.false_alerts, out.lookalike_alerts, out.failures], [0, 0, []]);
});

test('the simulator gives the same bytes for the same seed, and a ground truth with look-alikes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-logstream-'));
  try {
    const digest = (/** @type {string} */ name) => {
      const out = path.join(dir, `${name}.ndjson`);
      const g = spawnSync(process.execPath, [SIM, '--seed', '11', '--size', 'small', '--orgs', '12', '--out', out], { encoding: 'utf8' });
      assert.equal(g.status, 0, g.stderr);
      return crypto
        .createHash('sha256')
        .update(fs.readFileSync(out))
        .update(fs.readFileSync(out.replace(/\.ndjson$/, '.truth.json')))
        .digest('hex');
    };
    assert.equal(digest('a'), digest('b'));
    const truth = JSON.parse(fs.readFileSync(path.join(dir, 'a.truth.json'), 'utf8'));
    assert.equal(truth.organizations, 12);
    assert.deepEqual([...new Set(truth.campaigns.map((/** @type {any} */ c) => c.kind))].sort(), [...KINDS].sort());
    const lookalikes = new Set(truth.lookalikes.map((/** @type {any} */ l) => l.kind));
    for (const kind of ['office_nat', 'mistyping_twice', 'nightly_m2m_batch', 'silent_auth_noise', 'cgnat', 'product_launch', 'remote_onboarding', 'idp_outage', 'traveller']) {
      assert.ok(lookalikes.has(kind), kind);
    }
    // Lines in the custom-webhook form, some repeated, some malformed.
    const lines = fs.readFileSync(path.join(dir, 'a.ndjson'), 'utf8').trim().split('\n');
    const first = JSON.parse(lines[0]);
    assert.equal(first.log_id, first.data.log_id);
    assert.equal(lines.length, truth.expected.events + truth.expected.duplicates + truth.expected.rejected);
    assert.ok(truth.expected.duplicates > 0 && truth.expected.rejected > 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
