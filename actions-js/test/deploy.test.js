'use strict';
// scripts/deploy: the auth0-deploy-cli directory it writes, and the direct deployment
// through the Management API, against the harness's emulated Actions endpoints.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ManagementClient } = require('auth0');
const { ManagementEmulator } = require('../harness/management');
const { spawnSync } = require('node:child_process');
const { installFetch, ACTIONS_DIR } = require('../harness/run');
const deploy = require(path.resolve(__dirname, '../../scripts/deploy'));

const DOMAIN = 'deploy.auth0.test';
const opts = { prefix: 'ActionGuard', triggers: Object.keys(deploy.ACTIONS), runtime: 'node22' };

test('the deploy-cli directory: one JSON and one code.js per Action, bindings, no secret values', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-deploy-'));
  const actions = deploy.plan(opts);
  deploy.writeDirectory(out, actions);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'actions', 'ActionGuard post-login.json'), 'utf8'));
  assert.deepEqual(json.supported_triggers, [{ id: 'post-login', version: 'v3' }]);
  assert.equal(json.code, './actions/ActionGuard post-login/code.js');
  assert.equal(fs.readFileSync(path.join(out, json.code), 'utf8'), fs.readFileSync(path.join(ACTIONS_DIR, 'post-login.js'), 'utf8'));
  assert.deepEqual(
    json.dependencies.map((d) => d.name),
    ['actionguard', 'auth0'],
  );
  assert.ok(
    json.secrets.every((s) => s.value === `##${s.name}##`),
    'placeholders only',
  );
  const triggers = JSON.parse(fs.readFileSync(path.join(out, 'triggers', 'triggers.json'), 'utf8'));
  assert.deepEqual(Object.keys(triggers).sort(), ['credentials-exchange', 'post-login', 'post-user-registration', 'pre-user-registration']);
  assert.deepEqual(triggers['pre-user-registration'], [{ action_name: 'ActionGuard pre-user-registration', display_name: 'ActionGuard pre-user-registration' }]);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'secrets.manifest.json'), 'utf8'));
  assert.match(manifest['ActionGuard post-user-registration'].AUTH0_CLIENT_SECRET, /^required/);
});

test('applied through the Management API: built, deployed, bound after what was there; a second run updates in place', async () => {
  const emu = await new ManagementEmulator({}, { domain: DOMAIN, clientId: 'deploy', clientSecret: 's' }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  try {
    const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'deploy', clientSecret: 's' });
    // Someone's own Action, already bound to post-login, must stay first.
    const theirs = await mgmt.actions.create({
      name: 'Existing rule',
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
      code: 'exports.onExecutePostLogin = async () => {};',
    });
    while ((await mgmt.actions.get(theirs.id)).status !== 'built');
    await mgmt.actions.deploy(theirs.id);
    await mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: theirs.id }, display_name: 'Existing rule' }] });

    const secrets = { AUTH0_DOMAIN: DOMAIN, AUTH0_CLIENT_ID: 'discovery', AUTH0_CLIENT_SECRET: 'discovery-secret', POLICY: '{"version":1}' };
    const first = await deploy.apply(mgmt, deploy.plan(opts), secrets, { pollMs: 1 });
    assert.equal(first.length, 4);
    assert.deepEqual(
      emu.bindings['post-login'].map((b) => b.display_name),
      ['Existing rule', 'ActionGuard post-login'],
    );
    const ours = emu.actions.find((a) => a.name === 'ActionGuard post-login');
    assert.equal(ours.deployed_version.number, 1);
    assert.deepEqual(ours.secrets.map((s) => s.name).sort(), ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_DOMAIN', 'POLICY']);
    const call = emu.calls.find((c) => c.method === 'POST' && c.path === '/api/v2/actions/actions' && c.body.name === 'ActionGuard post-login');
    assert.ok(!JSON.stringify(call).includes('discovery-secret'), 'secret values are not kept in the emulator log');

    const again = await deploy.apply(mgmt, deploy.plan(opts), secrets, { pollMs: 1 });
    assert.deepEqual(
      again.map((a) => a.id),
      first.map((a) => a.id),
      'updated, not duplicated',
    );
    assert.equal(emu.actions.length, 5);
    assert.equal(ours.deployed_version.number, 2);
    assert.equal(emu.bindings['post-login'].length, 2, 'bound once');

    await assert.rejects(deploy.apply(mgmt, deploy.plan(opts), { POLICY: '{"version":1}' }, { pollMs: 1 }), /required secrets without a value: AUTH0_DOMAIN/);
    const broken = deploy.plan({ ...opts, triggers: ['post-login'] }).map((a) => ({ ...a, code: 'exports.onExecutePostLogin = function () {};' }));
    await assert.rejects(deploy.apply(mgmt, broken, secrets, { pollMs: 1 }), /build failed: exports.onExecutePostLogin must be an async function/);
  } finally {
    restore();
    await emu.stop();
  }
});

test('Actions run on node22 unless told otherwise', () => {
  assert.equal(deploy.parseArgs([]).runtime, 'node22');
  assert.equal(deploy.parseArgs(['--runtime', 'node18']).runtime, 'node18');
  assert.throws(() => deploy.parseArgs(['--runtime', 'node20']), /--runtime must be node18 or node22/);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-deploy-'));
  deploy.writeDirectory(out, deploy.plan({ ...opts, runtime: deploy.parseArgs([]).runtime }));
  for (const trigger of Object.keys(deploy.ACTIONS)) {
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'actions', `ActionGuard ${trigger}.json`), 'utf8')).runtime, 'node22', trigger);
  }
});

// A valid policy of `chars` characters: indentation a secret counts and JSON ignores.
const policyOf = (chars) => `${' '.repeat(chars - 13)}{"version":1}`;

test('a POLICY longer than an Auth0 secret holds is refused with its size, before anything is deployed', async () => {
  assert.doesNotThrow(() => deploy.checkPolicy(policyOf(4096)));
  assert.throws(
    () => deploy.checkPolicy(policyOf(4097)),
    /^Error: POLICY: the policy is 4097 characters and an Auth0 secret holds at most 4096; without whitespace it is 13 characters/,
  );
  assert.throws(() => deploy.checkPolicy('{"version":1,"fail_mode":"maybe"}'), /POLICY: .*`fail_mode`: unknown variant `maybe`/);
  const emu = await new ManagementEmulator({}, { domain: DOMAIN, clientId: 'deploy', clientSecret: 's' }).start();
  const restore = installFetch({ domain: DOMAIN, emulator: emu, counters: { llm: 0 } });
  try {
    const mgmt = new ManagementClient({ domain: DOMAIN, clientId: 'deploy', clientSecret: 's' });
    const secrets = { AUTH0_DOMAIN: DOMAIN, AUTH0_CLIENT_ID: 'discovery', AUTH0_CLIENT_SECRET: 'x', POLICY: policyOf(5000) };
    await assert.rejects(deploy.apply(mgmt, deploy.plan(opts), secrets, { pollMs: 1 }), /POLICY: the policy is 5000 characters/);
    assert.equal(emu.actions.length, 0, 'nothing created');
  } finally {
    restore();
    await emu.stop();
  }
  // The command refuses it too (before packing or writing anything), exit code 1.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-deploy-'));
  const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../scripts/deploy'), '--skip-build', '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, ACTIONGUARD_SECRET_POLICY: policyOf(4500) },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^\[deploy\] POLICY: the policy is 4500 characters and an Auth0 secret holds at most 4096/);
  assert.deepEqual(fs.readdirSync(out), []);
});
