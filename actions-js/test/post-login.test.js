'use strict';
// The real post-login Action, run through the harness the way Auth0 runs it,
// requiring the built `actionguard` package the way users do.

const test = require('node:test');
const assert = require('node:assert/strict');
const { runAction } = require('../harness/run');
const { actionWithPackage, corruptWasm } = require('../harness/package-copy');

const run = (event, extra = {}) => runAction({ trigger: 'post-login', event, ...extra }).then((r) => r.result);

const SAFE = new Set(['allow', 'challenge', 'deny']);

test('documented events decide; the decision is applied through api', async () => {
  const clean = await run({});
  assert.equal(clean.outcome, 'allow');
  const risky = await run({
    authentication: { riskAssessment: { assessments: { UntrustedIP: { code: 'found_on_deny_list' }, ImpossibleTravel: { code: 'impossible_travel_from_last_login' } } } },
  });
  assert.equal(risky.outcome, 'deny');
  assert.deepEqual(risky.api_calls, [{ method: 'access.deny', args: ['risk_too_high: access denied by security policy'] }]);
});

// Malformed events: every one must end in a safe decision (never `error`), and
// the audit must say whether the fail mode was applied.
const HUGE = 'A'.repeat(1_000_000);
const MALFORMED = {
  'ip is a number': { request: { ip: 42 } },
  'request missing': { request: undefined },
  'request is null': { request: null },
  'request is a string': { request: 'GET /' },
  'geoip is an array': { request: { geoip: [1, 2] } },
  'latitude out of range': { request: { geoip: { latitude: 1e9, longitude: -1e9, countryCode: 'Netherlands' } } },
  'logins_count negative': { stats: { logins_count: -3 } },
  'logins_count NaN': { stats: { logins_count: NaN } },
  'user is null': { user: null },
  'user_id is an object': { user: { user_id: { $ne: null } } },
  'enrolledFactors is a string': { user: { enrolledFactors: 'otp' } },
  'enrolledFactors holds junk': { user: { enrolledFactors: [null, 7, { type: 7 }] } },
  'riskAssessment codes are numbers': { authentication: { riskAssessment: { assessments: { NewDevice: { code: 1 } } } } },
  'riskAssessment is an array': { authentication: { riskAssessment: [] } },
  'authentication is a number': { authentication: 5 },
  'tenant id is huge': { tenant: { id: HUGE } },
  'user agent is 1 MB': { request: { user_agent: HUGE } },
  'user id is 1 MB': { user: { user_id: HUGE } },
  'strings with NUL and RTL marks': { user: { user_id: 'auth0|\u0000\u202e' }, request: { user_agent: '\u0000\ud800' } },
  'prototype pollution attempt': JSON.parse('{"__proto__":{"polluted":true},"user":{"constructor":{"prototype":{"x":1}}}}'),
  'a BigInt somewhere': { stats: { logins_count: 10n } },
  'deeply nested garbage': { organization: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) },
};

for (const [name, event] of Object.entries(MALFORMED)) {
  test(`malformed event (${name}) gets a safe decision`, async () => {
    const r = await run(event);
    assert.ok(SAFE.has(r.outcome), `outcome ${r.outcome}: ${r.error}`);
    assert.equal(r.audit.length, 1, 'exactly one audit record');
    const line = JSON.stringify(r.audit[0]);
    assert.ok(line.length < 4096, 'the audit line stays small whatever the input');
    assert.ok(!line.includes('AAAAAAAA'), 'no input echoed into the audit');
  });
}

test('a null event, or one whose getter throws, ends in the fail mode', async () => {
  // Passed as-is: the harness's own default filling would read the getter first.
  const hostile = Object.defineProperty({}, 'request', {
    get() {
      throw new Error('hostile getter');
    },
    enumerable: true,
  });
  for (const event of [null, hostile]) {
    const r = await run(event, { fillDefaults: false });
    assert.equal(r.outcome, 'challenge', r.error);
    assert.equal(r.audit[0].fail_mode, true);
  }
});

test('a string or number event has no fields: decided like an empty event', async () => {
  for (const event of ['event', 42]) {
    const r = await run(event, { fillDefaults: false });
    assert.equal(r.outcome, 'allow', r.error);
    assert.equal(r.audit[0].fail_mode, undefined);
  }
});

test('the fail mode follows the policy, and the policy follows the POLICY secret as it changes', async () => {
  const bad = { request: { ip: 42 } };
  const allow = await run(bad, { secrets: { POLICY: '{"version":1,"fail_mode":"allow"}' } });
  assert.equal(allow.outcome, 'allow');
  assert.deepEqual(allow.api_calls, []);
  const deny = await run(bad, { secrets: { POLICY: '{"version":1,"fail_mode":"deny"}' } });
  assert.equal(deny.outcome, 'deny');
  const dflt = await run(bad, { secrets: {} });
  assert.equal(dflt.outcome, 'challenge');
  assert.deepEqual(dflt.api_calls, [{ method: 'multifactor.enable', args: ['any', { allowRememberBrowser: false }] }]);
});

test("an organization's tier and override set the fail mode of its malformed events (security review, item 6)", async () => {
  const POLICY = JSON.stringify({ version: 1, fail_mode: 'allow', tiers: { regulated: { mfa: { mode: 'always' }, fail_mode: 'deny' } } });
  const malformed = (metadata) => ({ stats: { logins_count: 'many' }, organization: { id: 'org_reg', name: 'reg', metadata } });
  const regulated = await run(malformed({ ag_tier: 'regulated' }), { secrets: { POLICY } });
  assert.equal(regulated.outcome, 'deny');
  assert.equal(regulated.audit[0].fail_mode, true);
  const override = await run(malformed({ ag_policy: 'fail_mode=challenge' }), { secrets: { POLICY } });
  assert.equal(override.outcome, 'challenge');
  // No layers, or metadata that is not an object: the baseline's.
  for (const metadata of [{}, 'ag_tier=regulated', null]) assert.equal((await run(malformed(metadata), { secrets: { POLICY } })).outcome, 'allow');
});

test('a refresh-token exchange is never challenged nor learned; a risky one is denied (security review, issue 16)', async () => {
  const travel = { riskAssessment: { assessments: { ImpossibleTravel: { code: 'impossible_travel_from_last_login' } } } };
  const refresh = await run({ transaction: { protocol: 'oauth2-refresh-token' }, authentication: travel });
  assert.equal(refresh.outcome, 'deny');
  assert.deepEqual(
    refresh.api_calls.map((c) => c.method),
    ['access.deny'],
    'no challenge, no history written',
  );
  assert.deepEqual(refresh.api_calls[0].args, ['reauthentication_required: access denied by security policy']);
  const allowed = await run(
    { transaction: { protocol: 'oauth2-refresh-token' }, authentication: travel },
    { secrets: { POLICY: JSON.stringify({ version: 1, mfa: { non_interactive: 'allow' } }) } },
  );
  assert.equal(allowed.outcome, 'allow');
  assert.ok(!allowed.api_calls.some((c) => c.method === 'user.setAppMetadata' && c.args[0] === 'actionguard'), 'not learned');
  // The same risk in an interactive login is challenged as before.
  assert.equal((await run({ transaction: { protocol: 'oidc-basic-profile' }, authentication: travel })).outcome, 'challenge');
});

test('a WebAssembly that fails to load ends in the fail mode, audited as load_failed', async () => {
  // The real Action file, beside a copy of the package whose .wasm is corrupt.
  const actionFile = actionWithPackage('post-login', corruptWasm);
  const { result } = await runAction({ trigger: 'post-login', event: {}, actionFile, freshModule: true });
  assert.equal(result.outcome, 'challenge');
  assert.deepEqual(result.audit[0].error, { code: 'load_failed', path: null, status: null });
});

test('the audit record carries no raw email, name, IP or user agent', async () => {
  const event = { user: { email: 'dana@acme.test', name: 'Dana Q', user_id: 'auth0|secret-id' }, request: { ip: '198.51.100.77', user_agent: 'UniqueAgent/9.9' } };
  const r = await run(event);
  const line = JSON.stringify(r.audit);
  for (const needle of ['dana@acme.test', 'Dana Q', 'secret-id', '198.51.100.77', 'UniqueAgent']) {
    assert.ok(!line.includes(needle), `${needle} leaked into the audit`);
  }
  assert.match(r.audit[0].user, /^u_[0-9a-f]{24}$/);
});
