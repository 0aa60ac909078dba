'use strict';
// Auth0 keeps at most 256 characters of an Action's console output (and never sends it to
// tenant logs or log streams). Each audit record's console line fits, with its newline,
// and carries the id of the full record that goes to AUDIT_WEBHOOK_URL; the harness shows
// what Auth0 would keep.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const runtime = require('actionguard/runtime');
const { runAction } = require('../harness/run');
const { scenarioFiles, loadScenario, runScenario, consoleFailures } = require('../harness/scenarios');

const SCENARIOS = path.resolve(__dirname, '..', '..', 'scenarios');
const ID = /^[0-9a-f]{24}$/;

test('no console line of any scenario would be cut, and each joins its full record by id', async () => {
  const ids = new Set();
  let lines = 0;
  let longest = 0;
  for (const file of scenarioFiles(SCENARIOS)) {
    const name = path.relative(SCENARIOS, file);
    const { result } = await runScenario(loadScenario(file));
    const { console: out, audit } = result;
    for (const line of out.lines) {
      lines += 1;
      longest = Math.max(longest, line.length);
      // With its newline, within the 256 characters Auth0 keeps.
      assert.ok(line.length <= 255, `${name}: ${line.length} characters: ${line}`);
    }
    assert.deepEqual(consoleFailures(result), [], name);
    // The harness's custom Action files log what they like; the shims log audit lines only.
    const ours = out.lines.filter((l) => l.startsWith('{"actionguard_line":'));
    if (!name.startsWith('harness/')) assert.equal(ours.length, out.lines.length, `${name}: ${out.lines}`);
    if (ours.length === 0) continue;
    // The first line, the decision's (or the fail mode's), is always whole in what is kept.
    assert.ok(out.persisted.startsWith(`${ours[0]}\n`), `${name}: ${JSON.stringify(out.persisted)}`);
    if (out.lines.length === 1) assert.equal(out.cut, false, name);
    // One console line per full record, in order, under one id each.
    assert.equal(ours.length, audit.length, `${name}: ${ours.length} lines, ${audit.length} records`);
    ours.forEach((text, i) => {
      const line = JSON.parse(text);
      assert.equal(line.actionguard_line, 1, name);
      assert.match(line.id, ID, name);
      assert.equal(line.id, audit[i].id, `${name}: line ${i} and its record`);
      assert.equal(line.trigger, audit[i].trigger, name);
      if ('outcome' in line) assert.equal(line.outcome, audit[i].outcome, name);
      for (const code of line.reasons || [])
        assert.ok(
          audit[i].reasons.some((r) => r.code === code),
          `${name}: ${code}`,
        );
      assert.ok(!ids.has(line.id), `${name}: id ${line.id} seen before`);
      ids.add(line.id);
    });
  }
  assert.ok(lines > 100, `${lines} lines`);
  assert.ok(longest > 150, `the longest line is ${longest} characters`);
});

test('the harness shows what Auth0 keeps of a console, and a scenario fails on a line it would cut', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-console-'));
  const file = path.join(dir, 'long-line.js');
  fs.writeFileSync(file, "exports.onExecutePostLogin = async () => { console.log('x'.repeat(300)); console.log('second'); };\n");
  try {
    const { result } = await runAction({ trigger: 'post-login', event: {}, actionFile: file });
    assert.deepEqual(result.console.lines, ['x'.repeat(300), 'second']);
    assert.equal(result.console.persisted, 'x'.repeat(256));
    assert.equal(result.console.cut, true);
    const { failures } = await runScenario({ name: 'long', trigger: 'post-login', event: {}, action_file: file, expect: { outcome: 'allow' } });
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0], /^console: a line of 300 characters, cut by Auth0 at 256/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the runtime's own lines fit whatever the error, the tenant or the list", () => {
  const tenant = { id: 'τ'.repeat(2000) };
  const hostile = Object.assign(new Error('boom'), { code: `"\\\u2028${'é'.repeat(500)}`, path: 'p'.repeat(5000), statusCode: 503 });
  const entries = [
    runtime.failureLine('pre-user-registration', { tenant }, hostile, { outcome: 'challenge', fail_mode: true }),
    runtime.failureLine('post-user-registration', { tenant }, new WebAssembly.RuntimeError('unreachable'), { discovery_failed: true }),
    runtime.failureLine('credentials-exchange', null, undefined, { outcome: 'deny', fail_mode: true }),
    runtime.auditLine('post-login', { tenant }, { cache_unstored: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`.repeat(30), code: 'CacheSizeExceeded' })) }),
    runtime.auditLine('post-login', { tenant }, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field_${i}`, 'v'.repeat(100)]))),
  ];
  for (const { audit, audit_line: text } of entries) {
    assert.ok(text.length <= 255, `${text.length}: ${text}`);
    assert.match(text, /^[\x20-\x7e]*$/, 'ASCII only, so characters are bytes');
    const line = JSON.parse(text);
    const record = JSON.parse(audit);
    assert.equal(line.actionguard_line, 1);
    assert.match(line.id, ID);
    assert.equal(record.id, line.id);
    assert.equal(record.actionguard_audit, 1);
    assert.equal(line.trigger, record.trigger);
  }
  const [failed, trapped, bare, unstored] = entries.map((e) => JSON.parse(e.audit_line));
  assert.equal(failed.outcome, 'challenge');
  assert.equal(failed.fail_mode, true);
  assert.equal(typeof failed.error, 'string');
  assert.ok(failed.error.length <= 40);
  assert.equal(trapped.error, 'trap');
  assert.equal(bare.error, 'internal');
  assert.equal(unstored.cache_unstored, 50, 'a list is counted; the full record lists it');
  // The full failure record keeps the code, the path and the status, bounded.
  const full = JSON.parse(entries[0].audit);
  assert.equal(full.error.path.length, 128);
  assert.equal(full.error.status, 503);
  assert.equal(full.tenant, tenant.id);
});

test("a decision's line and the runtime's share the marker, the id's form and the leading keys", async () => {
  const ag = require('actionguard');
  const engine = new ag.Engine(undefined, runtime.recordId());
  const answer = engine.decideCredentials({ tenant: { id: 't' }, client: { client_id: 'c' } });
  assert.equal(answer.type, 'success');
  const ours = JSON.parse(answer.audit_line);
  const theirs = JSON.parse(runtime.failureLine('credentials-exchange', {}, new Error('x'), { outcome: 'deny', fail_mode: true }).audit_line);
  assert.deepEqual(Object.keys(ours).slice(0, 4), ['actionguard_line', 'id', 'trigger', 'outcome']);
  assert.deepEqual(Object.keys(theirs).slice(0, 4), ['actionguard_line', 'id', 'trigger', 'outcome']);
  assert.equal(ours.actionguard_line, theirs.actionguard_line);
  assert.match(ours.id, ID);
  assert.equal(JSON.parse(answer.audit).id, ours.id);
  // A nonce that is not 24 hex digits is the host's mistake.
  assert.throws(
    () => new ag.Engine(undefined, 'abc'),
    (/** @type {any} */ err) => err.code === 'invalid_argument',
  );
});
