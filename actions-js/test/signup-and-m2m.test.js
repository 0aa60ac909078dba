'use strict';
// The real pre-user-registration and credentials-exchange Actions, run through
// the harness: malformed events end in a safe decision, the fail mode applies
// when the WebAssembly cannot load, counters stay within Auth0's cache limits,
// and nothing personal reaches a log line.

const test = require('node:test');
const assert = require('node:assert/strict');
const { runAction } = require('../harness/run');
const { actionWithPackage, corruptWasm } = require('../harness/package-copy');
const { Cache, MAX_VALUE_BYTES } = require('../harness/api');

const SIGNUP = 'pre-user-registration';
const M2M = 'credentials-exchange';
const run = (trigger, event, extra = {}) => runAction({ trigger, event, ...extra }).then((r) => r.result);

const HUGE = 'A'.repeat(1_000_000);
const MALFORMED = {
  'email is a number': { user: { email: 42 } },
  'email is 1 MB': { user: { email: `${HUGE}@example.com` } },
  'email with NUL and RTL marks': { user: { email: 'a\u0000\u202e@exa\u202emple.com' } },
  'email with a huge domain': { user: { email: `a@${'b.'.repeat(200_000)}com` } },
  'user is null': { user: null },
  'request is a string': { request: 'POST /dbconnections/signup' },
  'ip is an object': { request: { ip: { $gt: '' } } },
  'user agent is 1 MB': { request: { user_agent: HUGE } },
  'geoip is an array': { request: { geoip: [1] } },
  'tenant id is huge': { tenant: { id: HUGE } },
  'client is a number': { client: 7 },
  'client_id is huge': { client: { client_id: HUGE } },
  'scope is a string': { accessToken: { scope: 'read:all' } },
  'scope holds junk': { accessToken: { scope: [null, 7, {}] } },
  'scopes are 100k long': { accessToken: { scope: Array.from({ length: 100_000 }, (_, i) => `s${i}`) } },
  'requested_scopes is an object': { transaction: { requested_scopes: { 0: 'read' } } },
  'resource server identifier is huge': { resource_server: { identifier: HUGE } },
  'a BigInt somewhere': { request: { ip: 10n } },
  'prototype pollution attempt': JSON.parse('{"__proto__":{"polluted":true},"client":{"constructor":{"prototype":{"x":1}}}}'),
  'deeply nested garbage': { connection: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) },
};

for (const trigger of /** @type {Auth0Actions.Trigger[]} */ ([SIGNUP, M2M])) {
  for (const [name, event] of Object.entries(MALFORMED)) {
    test(`${trigger}: malformed event (${name}) gets a safe decision`, async () => {
      const r = await run(trigger, event);
      assert.ok(r.outcome === 'allow' || r.outcome === 'deny', `outcome ${r.outcome}: ${r.error}`);
      assert.equal(r.audit.length, 1, 'exactly one audit record');
      const line = JSON.stringify(r.audit[0]);
      assert.ok(line.length < 4096, 'the audit line stays small whatever the input');
      assert.ok(!line.includes('AAAAAAAA'), 'no input echoed into the audit');
      for (const call of r.api_calls.filter((c) => c.method === 'cache.set')) {
        assert.ok(Buffer.byteLength(/** @type {string} */ (call.args[1])) <= MAX_VALUE_BYTES);
      }
    });
  }

  test(`${trigger}: a WebAssembly that fails to load ends in the fail mode, audited as load_failed`, async () => {
    const { result } = await runAction({ trigger, event: {}, actionFile: actionWithPackage(trigger, corruptWasm), freshModule: true });
    assert.equal(result.outcome, 'deny', 'the default fail mode (challenge) refuses where there is no MFA');
    assert.deepEqual(result.audit[0].error, { code: 'load_failed', path: null, status: null });
  });
}

test('pre-user-registration: a null event or a throwing getter ends in the fail mode', async () => {
  const hostile = Object.defineProperty({}, 'user', {
    get() {
      throw new Error('hostile getter');
    },
    enumerable: true,
  });
  for (const event of [null, hostile]) {
    const r = await run(SIGNUP, event, { fillDefaults: false });
    assert.equal(r.outcome, 'deny', r.error);
    assert.equal(r.audit[0].fail_mode, true);
  }
});

test('pre-user-registration: a sustained spray of sign-ups keeps the counters under 4 kB and still catches the heavy source', async () => {
  const cache = new Cache();
  for (let i = 0; i < 400; i += 1) {
    const ip = `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`;
    await runAction({ trigger: SIGNUP, event: { user: { email: `u${i}@spray-${i}.example` }, request: { ip } }, cache });
  }
  const stored = cache.get('actionguard:signup:v1');
  assert.ok(stored && Buffer.byteLength(stored.value) <= 3800, `${stored?.value.length} bytes`);
  const outcomes = [];
  for (let i = 0; i < 6; i += 1) {
    const { result } = await runAction({ trigger: SIGNUP, event: { request: { ip: '192.0.2.99' } }, cache });
    outcomes.push(result.outcome);
  }
  assert.deepEqual(outcomes, ['allow', 'allow', 'allow', 'allow', 'allow', 'deny']);
});

test('pre-user-registration: unreadable counters written by someone else are reset, not trusted', async () => {
  const secrets = { COUNTER_KEY: 'tenant-counter-key-0123456789' };
  const cache = new Cache({ 'actionguard:signup:v1': `v2 0 600 ${'x:1:1 '.repeat(10)}` });
  const { result } = await runAction({ trigger: SIGNUP, event: {}, cache, secrets });
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.audit[0].warnings, ['counters_reset']);
  assert.match(cache.get('actionguard:signup:v1').value, /^v2 \d+ 600 d[0-9a-f]{10}:0:1 n[0-9a-f]{10}:0:1 i[0-9a-f]{10}:0:1$/);
  // The unkeyed format of earlier versions is replaced at the first write, without a warning.
  const old = new Cache({ 'actionguard:signup:v1': 'v1 1800000000 600 ideb614eade:0:5' });
  const upgraded = await runAction({ trigger: SIGNUP, event: {}, cache: old, secrets });
  assert.deepEqual(upgraded.result.audit[0].warnings, []);
  assert.doesNotMatch(old.get('actionguard:signup:v1').value, /ideb614eade/);
});

test('no raw email, IP, user agent or client secret reaches the logs of either Action', async () => {
  const secrets = { POLICY: '{"version":1}', AUTH0_CLIENT_SECRET: 'very-secret-value' };
  const signup = await runAction({
    trigger: SIGNUP,
    secrets,
    event: { user: { email: 'Dana.Q+promo@acme.test', name: 'Dana Q' }, request: { ip: '198.51.100.77', user_agent: 'UniqueAgent/9.9' } },
  });
  const m2m = await runAction({ trigger: M2M, secrets, event: { request: { ip: '198.51.100.78', user_agent: 'UniqueAgent/9.9' } } });
  const logs = signup.logs + m2m.logs;
  for (const needle of ['Dana', 'acme.test', 'Dana Q', '198.51.100.77', '198.51.100.78', 'UniqueAgent', 'very-secret-value']) {
    assert.ok(!logs.includes(needle), `${needle} leaked into the logs`);
  }
  assert.match(signup.result.audit[0].user, /^e_[0-9a-f]{24}$/);
  const again = await runAction({ trigger: SIGNUP, secrets, event: { user: { email: 'dana.q@ACME.test' } } });
  assert.equal(again.result.audit[0].user, signup.result.audit[0].user, 'a +tag or case does not change the pseudonym');
});
