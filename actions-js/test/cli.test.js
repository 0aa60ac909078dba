'use strict';
// The CLI contract of design.md section 5, exercised as a user would.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CLI = path.join(__dirname, '..', 'harness', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-cli-'));
function file(name, value) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}
function cli(...args) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

const KEYS = ['trigger', 'outcome', 'api_calls', 'management_calls', 'llm_calls', 'audit'];

test('run --json prints exactly one JSON object with the contract keys', () => {
  const r = cli('run', '--trigger', 'post-login', '--event', file('e.json', {}), '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]);
  // The contract's keys first, in order; after them, additions such as what the decision
  // would have done and whether it was applied.
  assert.deepEqual(Object.keys(out).slice(0, KEYS.length), KEYS);
  assert.ok('would_outcome' in out && 'enforced' in out, JSON.stringify(Object.keys(out)));
  assert.equal(out.trigger, 'post-login');
  assert.equal(out.outcome, 'allow');
  assert.equal(out.would_outcome, 'allow');
  assert.equal(out.enforced, true);
  assert.equal(out.llm_calls, 0);
});

test('run shows what a watched decision would have done', () => {
  const event = file('w.json', {
    authentication: { riskAssessment: { assessments: { UntrustedIP: { code: 'found_on_deny_list' }, ImpossibleTravel: { code: 'impossible_travel_from_last_login' } } } },
  });
  const secrets = file('w-secrets.json', { POLICY: '{"version":1,"enforcement":{"login":{"mode":"monitor"}}}' });
  const json = JSON.parse(cli('run', '--trigger', 'post-login', '--event', event, '--secrets', secrets, '--json').stdout);
  assert.deepEqual([json.outcome, json.would_outcome, json.enforced], ['allow', 'deny', false]);
  assert.ok(!json.api_calls.some((c) => /deny|challenge|multifactor|setCustomClaim/.test(c.method)), JSON.stringify(json.api_calls));
  const text = cli('run', '--trigger', 'post-login', '--event', event, '--secrets', secrets).stdout;
  assert.match(text, /^outcome {3}allow$/m);
  assert.match(text, /^would {5}deny \(watched: nothing applied\)$/m);
  assert.match(text, /^reason {4}enforcement_monitor: /m);
});

test('run --json on malformed events: a decision, never outcome error', () => {
  for (const event of [{ request: { ip: [] } }, { request: null, user: 7 }, { authentication: { riskAssessment: 'low' } }]) {
    const r = cli('run', '--trigger', 'post-login', '--event', file('m.json', event), '--json');
    const out = JSON.parse(r.stdout);
    assert.ok(['allow', 'challenge', 'deny'].includes(out.outcome), JSON.stringify(out));
    assert.ok(!('error' in out));
  }
});

test('run --now sets the Action clock; --secrets reach event.secrets; --tenant starts the emulator', () => {
  const r = cli(
    'run',
    '--trigger',
    'post-login',
    '--event',
    file('n.json', {}),
    '--now',
    '2031-05-06T07:08:09Z',
    '--secrets',
    file('s.json', { POLICY: '{"version":1,"claims":{"namespace":"https://x.test/","risk_level":true}}' }),
    '--tenant',
    file('t.json', { organizations: [] }),
    '--json',
  );
  const out = JSON.parse(r.stdout);
  assert.ok(Math.abs(out.audit[0].ts_ms - Date.parse('2031-05-06T07:08:09Z')) < 5000);
  assert.deepEqual(out.api_calls.find((c) => c.method === 'idToken.setCustomClaim').args, ['https://x.test/risk_level', 'low']);
  assert.deepEqual(out.management_calls, []);
});

test('an Action that throws gives outcome error with its message', () => {
  const action = file('throwing-action.js', 'exports.onExecutePostLogin = async () => { throw new Error("kaput"); };');
  // `run` always runs actions-js/<trigger>.js; a scenario can point at another file.
  const scenarios = path.join(tmp, 'scen');
  fs.mkdirSync(scenarios, { recursive: true });
  fs.writeFileSync(
    path.join(scenarios, 'throws.json'),
    JSON.stringify({ trigger: 'post-login', action_file: action, event: {}, expect: { outcome: 'error', error_contains: 'kaput' } }),
  );
  const r = cli('scenarios', scenarios);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /1 passed, 0 failed/);
});

test('scenarios exits 1 and says why when an expectation fails', () => {
  const scenarios = path.join(tmp, 'failing');
  fs.mkdirSync(scenarios, { recursive: true });
  fs.writeFileSync(path.join(scenarios, 'wrong.json'), JSON.stringify({ trigger: 'post-login', event: {}, expect: { outcome: 'deny' } }));
  fs.writeFileSync(path.join(scenarios, 'broken.json'), '{ not json');
  const r = cli('scenarios', scenarios);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /outcome: expected deny, got allow/);
  assert.match(r.stdout, /could not run/);
  assert.match(r.stdout, /0 passed, 2 failed/);
});

test('usage errors exit 2 with a message', () => {
  assert.equal(cli('run', '--trigger', 'nope', '--event', 'x').status, 2);
  assert.match(cli('run', '--trigger', 'post-login').stderr, /--event is required/);
  assert.match(cli('run', '--trigger', 'post-login', '--event', file('bad.json', '{')).stderr, /is not JSON/);
  assert.equal(cli().status, 2);
});
