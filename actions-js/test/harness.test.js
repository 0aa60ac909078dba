'use strict';
// The harness itself: it must behave like Auth0 where our Actions depend on it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadAction } = require('../harness/loader');
const { createApi, outcomeOf, Cache } = require('../harness/api');
const { fillDefaults, defaultEvent } = require('../harness/events');
const { installClock, auditRecords, wouldBe } = require('../harness/run');
const { matches, checkApplied } = require('../harness/scenarios');

function actionFile(source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-action-'));
  const file = path.join(dir, 'action.js');
  fs.writeFileSync(file, source);
  return file;
}

test("loader: async functions and async arrows pass, plain functions are rejected with Auth0's message", async () => {
  for (const src of ['exports.onExecutePostLogin = async function (event, api) {};', 'exports.onExecutePostLogin = async (e, a) => {};']) {
    const action = await loadAction(actionFile(src), 'post-login');
    await action.execute([{}, {}]);
  }
  for (const src of ['exports.onExecutePostLogin = function (event, api) { return Promise.resolve(); };', 'exports.onExecutePostLogin = 42;', '']) {
    const action = await loadAction(actionFile(src), 'post-login');
    await assert.rejects(action.execute([{}, {}]), /Invalid function signature for the "onExecutePostLogin" handler/);
  }
});

test('loader: module scope runs once and is reused; a throwing module fails every execution', async () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the Action's source has a template literal of its own
  const action = await loadAction(actionFile('let n = 0; exports.onExecutePostLogin = async () => { n += 1; console.log(`run ${n}`); };'), 'post-login');
  assert.equal((await action.execute([{}, {}])).logs, 'run 1\n');
  assert.equal((await action.execute([{}, {}])).logs, 'run 2\n', 'logs are attributed per execution');
  const bad = await loadAction(actionFile('throw new Error("init failed");'), 'post-login');
  await assert.rejects(bad.execute([{}, {}]), /init failed/);
  await assert.rejects(bad.execute([{}, {}]), /init failed/);
});

test('loader: the Action requires packages relative to its own file', async () => {
  const file = actionFile('const p = require("./helper"); exports.onExecutePostLogin = async () => { console.log(p.v); };');
  fs.writeFileSync(path.join(path.dirname(file), 'helper.js'), 'exports.v = "from helper";');
  const action = await loadAction(file, 'post-login');
  assert.equal((await action.execute([{}, {}])).logs, 'from helper\n');
});

test('cache: Auth0 limits and answer shapes', () => {
  let now = 1_000_000;
  const cache = new Cache({}, () => now);
  assert.deepEqual(cache.set('k', 'v'), { type: 'success', record: { value: 'v', expires_at: now + 15 * 60 * 1000 } });
  assert.deepEqual(cache.get('k'), { value: 'v', expires_at: now + 15 * 60 * 1000 });
  assert.equal(cache.set('k'.repeat(65), 'v').code, 'CacheKeySizeExceeded');
  assert.equal(cache.set('é'.repeat(33), 'v').code, 'CacheKeySizeExceeded', 'limits are in UTF-8 bytes');
  assert.equal(cache.set('big', 'x'.repeat(4097)).code, 'CacheValueSizeExceeded');
  assert.equal(cache.set('ok', 'x'.repeat(4096)).type, 'success');
  assert.equal(cache.set('t', 'v', { ttl: -5 }).code, 'ItemAlreadyExpired');
  // @ts-expect-error: a TTL that is not a number, refused as Auth0 refuses it
  assert.equal(cache.set('t', 'v', { ttl: 'soon' }).code, 'InvalidExpiry');
  assert.equal(cache.set('t', 'v', { ttl: 10_000, expires_at: now + 5 }).record.expires_at, now + 5, 'the earlier expiry wins');
  for (let i = 0; i < 3; i++) cache.set(`fill${i}`, 'x'.repeat(4096));
  assert.equal(cache.set('one-more', 'x'.repeat(4096)).code, 'CacheSizeExceeded');
  now += 15 * 60 * 1000 + 1;
  assert.equal(cache.get('k'), undefined, 'expired records are gone');
  assert.equal(cache.delete('nope').code, 'CacheKeyDoesNotExist');
});

test('api: calls are recorded in order with JSON copies; claims and factors are checked like Auth0', () => {
  const { api, calls, metadata } = createApi('post-login');
  const args = { nested: { a: 1 } };
  assert.equal(api.user.setAppMetadata('actionguard', args), api, 'chaining returns the api');
  args.nested.a = 2;
  api.authentication.challengeWithAny([{ type: 'otp' }]);
  assert.throws(() => api.idToken.setCustomClaim('sub', 'x'), /reserved/);
  // @ts-expect-error: a factor Auth0 does not have
  assert.throws(() => api.authentication.challengeWithAny([{ type: 'carrier-pigeon' }]), /Unsupported factor/);
  assert.deepEqual(
    calls.map((c) => c.method),
    ['user.setAppMetadata', 'authentication.challengeWithAny', 'idToken.setCustomClaim', 'authentication.challengeWithAny'],
  );
  assert.deepEqual(calls[0].args, ['actionguard', { nested: { a: 1 } }], 'arguments are copied at call time');
  assert.deepEqual(metadata.app_metadata, { actionguard: { nested: { a: 1 } } });
  assert.equal(outcomeOf(calls), 'challenge');
  assert.equal(outcomeOf([...calls, { method: 'access.deny' }]), 'deny');
  assert.equal(outcomeOf([]), 'allow');
  assert.equal(outcomeOf([], new Error('x')), 'error');
  const cx = createApi('credentials-exchange').api;
  // @ts-expect-error: a deny code Auth0 does not have
  assert.throws(() => cx.access.deny('nope', 'x'), /invalid_scope, invalid_request or server_error/);
  // @ts-expect-error: the point: post-user-registration has no api.access
  assert.equal(createApi('post-user-registration').api.access, undefined, 'post-user-registration cannot deny');
});

test('default events are filled deeply; explicit values, nulls and arrays win', () => {
  const filled = fillDefaults(defaultEvent('post-login'), { user: { email: 'x@y.test', enrolledFactors: [] }, request: null });
  assert.equal(filled.user.email, 'x@y.test');
  assert.deepEqual(filled.user.enrolledFactors, []);
  assert.equal(filled.user.user_id, defaultEvent('post-login').user.user_id);
  assert.equal(filled.request, null);
  assert.equal(filled.authentication.riskAssessment.assessments.NewDevice.code, 'match');
  for (const t of /** @type {Auth0Actions.Trigger[]} */ (['post-login', 'pre-user-registration', 'post-user-registration', 'credentials-exchange'])) {
    assert.equal(typeof defaultEvent(t).tenant.id, 'string');
  }
});

test('--now sets the clock the Action sees, and is restored', () => {
  const restore = installClock('2030-01-02T03:04:05Z');
  try {
    assert.ok(Math.abs(Date.now() - Date.parse('2030-01-02T03:04:05Z')) < 1000);
    assert.equal(new Date().getUTCFullYear(), 2030);
    assert.equal(new Date(0).getTime(), 0);
    assert.ok(new Date() instanceof Date);
  } finally {
    restore();
  }
  assert.ok(new Date().getUTCFullYear() < 2030);
  assert.throws(() => installClock('yesterday'), /not an ISO-8601 date/);
});

test('audit records are the full records the runtime kept, parsed; anything else is skipped', () => {
  const texts = ['{"actionguard_audit":1,"outcome":"allow"}', '{"other":1}', '{not json'];
  assert.deepEqual(auditRecords(texts), [{ actionguard_audit: 1, outcome: 'allow' }]);
});

test('scenario matching is partial for objects and exact for arrays', () => {
  assert.ok(matches({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!matches([1], [1, 2]));
  assert.ok(matches([{ m: 'x' }], [{ m: 'x', args: [] }]));
  assert.ok(!matches({ a: undefined }, { a: null }));
});

test('would_outcome: from full records and console lines; a watched run that applies anything fails', () => {
  const full = (trigger, fields) => ({ actionguard_audit: 1, trigger, outcome: 'allow', ...fields });
  const watched = { mode: 'monitor', percent: 100, enforced: false };
  assert.deepEqual(wouldBe([full('post-login', { would_outcome: 'deny', enforcement: watched })]), { would_outcome: 'deny', enforced: false });
  assert.deepEqual(
    wouldBe([
      full('post-login', { would_outcome: 'allow', enforcement: { ...watched, mode: 'enforce', enforced: true } }),
      full('organization-discovery', { org_action: 'suggest', would_action: 'join', would_outcome: 'allow', enforcement: watched }),
    ]),
    { would_outcome: 'allow', enforced: true, would_action: 'join' },
  );
  // A console line names would_outcome (would_action) only for a watched decision.
  assert.deepEqual(wouldBe([{ actionguard_line: 1, trigger: 'credentials-exchange', outcome: 'allow', would_outcome: 'deny' }]), { would_outcome: 'deny', enforced: false });
  assert.deepEqual(wouldBe([{ actionguard_line: 1, trigger: 'post-login', outcome: 'challenge' }]), { would_outcome: 'challenge', enforced: true });
  assert.deepEqual(wouldBe([{ actionguard_audit: 1, trigger: 'post-login', fail_mode: true, outcome: 'challenge' }]), {});

  const result = (fields) => ({ trigger: 'post-login', outcome: 'allow', api_calls: [], management_calls: [], llm_calls: 0, audit: [], ...fields });
  assert.deepEqual(checkApplied('u1', result({ would_outcome: 'deny', enforced: false })), []);
  assert.equal(checkApplied('u1', result({ would_outcome: 'deny', enforced: false, api_calls: [{ method: 'idToken.setCustomClaim', args: [] }] })).length, 1);
  const joined = result({ would_outcome: 'allow', enforced: false, management_calls: [{ method: 'POST', path: '/api/v2/organizations/org_acme/members' }] });
  assert.match(checkApplied('u1', joined)[0], /watched, yet applied allow .*members/);
  assert.deepEqual(checkApplied('u1', result({ outcome: 'deny', would_outcome: 'deny', enforced: true })), []);
  assert.equal(checkApplied('u1', result({ outcome: 'allow', would_outcome: 'deny', enforced: true })).length, 1);
});
