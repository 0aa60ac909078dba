'use strict';
// The forms in which the WebAssembly reaches an Action: the .wasm file beside the
// package's loader (default), embedded in the package's JavaScript, or fetched from a
// URL and checked against a pinned SHA-256. Each runs the real post-login Action from a
// copy of the package that lacks what that form must not need.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { runAction, ACTIONS_DIR } = require('../harness/run');
const { actionWithPackage } = require('../harness/package-copy');

const PKG = path.dirname(require.resolve('actionguard/package.json', { paths: [ACTIONS_DIR] }));
const DIGESTS = JSON.parse(fs.readFileSync(path.join(PKG, 'wasm-digests.json'), 'utf8'));

/** The post-login Action beside a copy of the package without `remove`. */
const actionWithout = (remove) =>
  actionWithPackage('post-login', (pkg) => {
    for (const f of remove) fs.rmSync(path.join(pkg, f), { force: true });
  });

const RISKY = { authentication: { riskAssessment: { assessments: { ImpossibleTravel: { code: 'impossible_travel_from_last_login' } } } } };

async function serve(file) {
  const requests = [];
  let status = 200;
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    if (status !== 200) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/wasm' });
    res.end(fs.readFileSync(file));
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  return {
    url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/actionguard_bg.wasm.gz`,
    requests,
    setStatus: (s) => {
      status = s;
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}

test('without the .wasm file, the embedded form decides (no file read of the .wasm)', async () => {
  const actionFile = actionWithout(['actionguard_bg.wasm']);
  for (const secrets of [{}, { ACTIONGUARD_WASM: 'embedded' }]) {
    const { result } = await runAction({ trigger: 'post-login', event: RISKY, secrets, actionFile, freshModule: true });
    assert.equal(result.outcome, 'challenge');
    assert.equal(result.audit[0].fail_mode, undefined, JSON.stringify(result.audit));
    assert.deepEqual(result.audit[0].reasons.map((r) => r.code).slice(0, 1), ['auth0_impossible_travel']);
  }
});

test('the fetched form: fetched once per instance, instantiated only with the pinned SHA-256', async () => {
  // Neither the .wasm nor the embedded copy: only the fetch can provide the module.
  const actionFile = actionWithout(['actionguard_bg.wasm', 'embedded.js']);
  const origin = await serve(path.join(PKG, 'actionguard_bg.wasm.gz'));
  try {
    const good = { ACTIONGUARD_WASM_URL: origin.url, ACTIONGUARD_WASM_SHA256: DIGESTS['actionguard_bg.wasm.gz'] };
    const first = await runAction({ trigger: 'post-login', event: RISKY, secrets: good, actionFile, freshModule: true });
    assert.equal(first.result.outcome, 'challenge');
    assert.equal(first.result.audit[0].fail_mode, undefined, JSON.stringify(first.result.audit));
    // More executions, from a second load of the Action file too.
    const { loadAction } = require('../harness/loader');
    const action = await loadAction(actionFile, 'post-login');
    const { createApi } = require('../harness/api');
    const { defaultEvent } = require('../harness/events');
    for (let i = 0; i < 3; i += 1) await action.execute([{ ...defaultEvent('post-login'), secrets: good }, createApi('post-login').api]);
    // The package's module scope holds the download: one per process, however many
    // Action modules (and executions) use it.
    assert.equal(origin.requests.length, 1);

    const tampered = { ...good, ACTIONGUARD_WASM_SHA256: '0'.repeat(64) };
    const bad = await runAction({ trigger: 'post-login', event: {}, secrets: tampered, actionFile, freshModule: true });
    assert.equal(bad.result.outcome, 'challenge');
    assert.equal(bad.result.audit[0].fail_mode, true);
    assert.equal(bad.result.audit[0].error.code, 'wasm_integrity');

    const unpinned = await runAction({ trigger: 'post-login', event: {}, secrets: { ACTIONGUARD_WASM_URL: origin.url }, actionFile, freshModule: true });
    assert.equal(unpinned.result.audit[0].error.code, 'wasm_integrity');

    origin.setStatus(503);
    const down = await runAction({
      trigger: 'post-login',
      event: {},
      secrets: { ...good, ACTIONGUARD_WASM_URL: `${origin.url}?v=2`, POLICY: '{"version":1,"fail_mode":"deny"}' },
      actionFile,
      freshModule: true,
    });
    assert.equal(down.result.outcome, 'deny', "the POLICY secret's fail_mode applies even without the engine");
    assert.deepEqual(down.result.audit[0].error, { code: 'wasm_unavailable', path: null, status: 503 });
  } finally {
    await origin.stop();
  }
});

test('the three forms decide alike', async () => {
  const file = require(path.join(PKG, 'actionguard.js'));
  const embedded = require(path.join(PKG, 'embedded.js'));
  const factory = require(path.join(PKG, 'actionguard_factory.js'))(fs.readFileSync(path.join(PKG, 'actionguard_bg.wasm')));
  const ctx = { user: { user_id: 'auth0|1', enrolledFactors: [{ type: 'otp' }] }, ...RISKY, now_ms: 1.8e12 };
  const answers = [file, embedded, factory].map((m) => new m.Engine().decideLogin(ctx));
  assert.deepEqual(answers[1], answers[0]);
  assert.deepEqual(answers[2], answers[0]);
});
