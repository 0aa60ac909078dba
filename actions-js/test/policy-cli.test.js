'use strict';
// scripts/policy as CI uses it: exit codes and the messages people read.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const run = (...args) => spawnSync(process.execPath, [path.join(ROOT, 'scripts/policy'), ...args], { cwd: ROOT, encoding: 'utf8' });

test('lint: 0 for a valid document, 1 with key, value and reason otherwise, 2 for usage', () => {
  const ok = run('lint', 'examples/policy.json');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: examples\/policy.json is valid \(sha256:[0-9a-f]{16}, \d+ characters\)/);
  const bad = run('lint', '{"version":1,"tiers":{"regulated":{"thresholds":{"challenge":3}}},"fail_mode":"maybe"}');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /`fail_mode`: unknown variant `maybe`/);
  assert.equal(run('lint', 'no/such/file.json').status, 2);
  assert.equal(run('frobnicate').status, 2);
});

test('effective: the layers an organization gets, and 1 when one of them is rejected', () => {
  const r = run('effective', 'examples/policy.json', '{"ag_tier":"regulated","ag_policy":"countries.deny=[KP]"}');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.layers, ['baseline', 'tier:regulated', 'organization']);
  assert.equal(out.policy.mfa.mode, 'always');
  assert.deepEqual(out.policy.countries.deny, ['KP']);
  const rejected = run('effective', 'examples/policy.json', '{"ag_tier":"regulated","ag_policy":"mfa.mode=sometimes"}');
  assert.equal(rejected.status, 1);
  assert.deepEqual(JSON.parse(rejected.stdout).layers, ['baseline', 'tier:regulated']);
  assert.match(rejected.stderr, /organization override \(`ag_policy`\): `mfa.mode`: unknown variant `sometimes`/);
  // An override may only tighten: the loosening pair is refused by name, the other applies.
  const loosening = run('effective', 'examples/policy.json', '{"ag_tier":"regulated","ag_policy":"mfa.mode=never;countries.deny=[KP]"}');
  assert.equal(loosening.status, 1);
  const partly = JSON.parse(loosening.stdout);
  assert.deepEqual(partly.layers, ['baseline', 'tier:regulated', 'organization']);
  assert.equal(partly.policy.mfa.mode, 'always');
  assert.deepEqual(partly.policy.countries.deny, ['KP']);
  assert.match(loosening.stderr, /`mfa.mode` may only move toward `always` \(below: `always`\)/);
});

test('effective: the enforcement an organization runs under comes first, logins from its layers', () => {
  const r = run('effective', 'examples/policy.json', '{"ag_tier":"pilot"}');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(Object.keys(JSON.parse(r.stdout)), ['layers', 'digest', 'enforcement', 'policy']);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.enforcement.login, { mode: 'enforce', percent: 25 });
  assert.deepEqual(out.enforcement.signup, { mode: 'enforce', percent: 100 });
  // An organization may raise its share, never watch on its own.
  const raised = JSON.parse(run('effective', 'examples/policy.json', '{"ag_tier":"pilot","ag_policy":"enforcement.login.percent=60"}').stdout);
  assert.equal(raised.enforcement.login.percent, 60);
  const watching = run('effective', 'examples/policy.json', '{"ag_policy":"enforcement.login.mode=monitor"}');
  assert.equal(watching.status, 1);
  assert.equal(JSON.parse(watching.stdout).enforcement.login.mode, 'enforce');
  assert.match(watching.stderr, /`enforcement.login.mode` may only move toward `enforce` \(below: `enforce`\)/);
  // Sign-ups know no organization: a tier's sign-up enforcement is not theirs.
  const tier = '{"version":1,"tiers":{"t":{"enforcement":{"signup":{"mode":"monitor"}}}}}';
  const signup = JSON.parse(run('effective', tier, '{"ag_tier":"t"}').stdout);
  assert.equal(signup.policy.enforcement.signup.mode, 'monitor');
  assert.equal(signup.enforcement.signup.mode, 'enforce');
});

test("sign: the ag_sig of an organization's layers, which effective then honours under organizations.unsigned_tier", () => {
  const KEY = 'org-layers-key-0123456789';
  const env = { ...process.env, ORG_LAYERS_KEY: KEY };
  const runWith = (environment, ...args) => spawnSync(process.execPath, [path.join(ROOT, 'scripts/policy'), ...args], { cwd: ROOT, encoding: 'utf8', env: environment });
  const policy = JSON.stringify({
    version: 1,
    organizations: { unsigned_tier: 'regulated' },
    tiers: { regulated: { mfa: { mode: 'always' }, fail_mode: 'deny' }, standard: { fail_mode: 'allow' } },
  });
  const layers = { ag_tier: 'standard', ag_policy: 'countries.deny=[KP]' };
  const signed = runWith(env, 'sign', 'org_acme', JSON.stringify(layers));
  assert.equal(signed.status, 0, signed.stderr);
  const { ag_sig } = JSON.parse(signed.stdout);
  assert.match(ag_sig, /^[0-9a-f]{32}$/);
  assert.ok(!signed.stdout.includes(KEY) && !signed.stderr.includes(KEY));
  // Without the key, or with one too short: no signature.
  const { ORG_LAYERS_KEY: _, ...bare } = process.env;
  assert.equal(runWith(bare, 'sign', 'org_acme', JSON.stringify(layers)).status, 2);
  const short = runWith({ ...env, ORG_LAYERS_KEY: 'short' }, 'sign', 'org_acme', JSON.stringify(layers));
  assert.equal(short.status, 1);
  assert.match(short.stderr, /`ORG_LAYERS_KEY` must be at least 16 characters/);

  const meta = JSON.stringify({ ...layers, ag_sig });
  const ok = runWith(env, 'effective', policy, meta, 'org_acme');
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).layers, ['baseline', 'tier:standard', 'organization']);
  // The same metadata on another organization, a changed tier, or no key: the unsigned tier.
  const cases = [
    { name: 'another organization', environment: env, metadata: meta, id: 'org_other' },
    { name: 'a switched tier', environment: env, metadata: JSON.stringify({ ...layers, ag_tier: 'regulated', ag_sig }), id: 'org_acme' },
    { name: 'no key', environment: bare, metadata: meta, id: 'org_acme' },
    { name: 'no organization id', environment: env, metadata: meta, id: '' },
  ];
  for (const { name, environment, metadata, id } of cases) {
    const r = runWith(environment, 'effective', policy, metadata, ...(id ? [id] : []));
    assert.equal(r.status, 1, name);
    assert.deepEqual(JSON.parse(r.stdout).layers, ['baseline', 'tier:regulated'], name);
    assert.match(r.stderr, /organization layers not signed: .*tier `regulated` applies/, name);
  }
  // unsigned_tier must name a tier.
  const lint = run('lint', '{"version":1,"organizations":{"unsigned_tier":"gold"}}');
  assert.equal(lint.status, 1);
  assert.match(lint.stderr, /`organizations.unsigned_tier`: `gold` must name a tier defined in `tiers`/);
});

test('encode: the metadata form of an override, which reads back to the same layer', () => {
  const r = run('encode', 'examples/override-acme.json');
  assert.equal(r.status, 0, r.stderr);
  const meta = JSON.parse(r.stdout);
  assert.equal(meta.ag_policy, 'countries.deny=[KP,IR,SY];mfa.factors=[webauthn-roaming];networks.deny=[198.51.100.0/24]');
  const back = JSON.parse(run('effective', 'examples/policy.json', JSON.stringify(meta)).stdout);
  assert.deepEqual(back.policy.mfa.factors, ['webauthn-roaming']);
  assert.equal(run('encode', '{"thresholds":{"deny":-1}}').status, 1);
});

test('lint counts the characters a POLICY secret would hold, and refuses more than 4,096; compact sheds whitespace', () => {
  const ok = run('lint', 'examples/policy.json');
  assert.match(ok.stdout, /, \d+ characters\)$/m);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-policy-'));
  const file = path.join(dir, 'large.json');
  // A valid policy, indented until it is 5,000 characters: what a pretty-printed large policy looks like.
  const body = JSON.stringify(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/policy.json'), 'utf8')));
  fs.writeFileSync(file, `${' '.repeat(5000 - body.length)}${body}`);
  const big = run('lint', file);
  assert.equal(big.status, 1);
  assert.equal(big.stderr, `error: the policy is 5000 characters and an Auth0 secret holds at most 4096; without whitespace it is ${body.length} characters\n`);
  const compact = run('compact', file);
  assert.equal(compact.status, 0, compact.stderr);
  assert.equal(compact.stdout, `${body}\n`);
  assert.equal(run('lint', compact.stdout.trim()).status, 0);
  assert.equal(run('compact', '{"version":1,"fail_mode":"maybe"}').status, 1);
});
