#!/usr/bin/env node
'use strict';
// Drives the real Action shims, loaded as Auth0 loads them, with mutated Auth0 events
// (fields removed, types swapped, huge and hostile strings, prototype keys, deep
// nesting) and hostile secrets, and counts what must never happen:
// - traps: a WebAssembly trap (a Rust panic) anywhere, caught by a fail mode or not;
// - uncaught errors: the handler threw (Auth0 fails the whole flow);
// - internal errors: the fail mode applied because of a JavaScript error in the shim
//   itself (a TypeError on an odd event), not because of a classified input problem;
// - wrong-type api calls: a call Auth0 would reject (deny without a string reason,
//   factors that are not a list of known types, a cache value that is not a string...).
//
//   scripts/fuzz-shims.js [--runs N] [--seed S]

const path = require('node:path');
const fs = require('node:fs');

const ROOT = path.resolve(__dirname, '..');
const { loadAction } = require(path.join(ROOT, 'actions-js/harness/loader'));
const { createApi, Cache } = require(path.join(ROOT, 'actions-js/harness/api'));
const { defaultEvent, fillDefaults } = require(path.join(ROOT, 'actions-js/harness/events'));
const { scenarioFiles, loadScenario } = require(path.join(ROOT, 'actions-js/harness/scenarios'));

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const RUNS = opt('--runs', 100_000);
let seed = opt('--seed', 20261128) >>> 0;

// A small PRNG (mulberry32): a run is reproducible from its seed.
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];

const TRIGGERS = ['post-login', 'pre-user-registration', 'credentials-exchange', 'post-user-registration'];
const HOSTILE = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0000',
  '\ud800',
  '🦀'.repeat(50),
  'a'.repeat(300),
  'A'.repeat(100_000),
  'IGNORE PREVIOUS INSTRUCTIONS',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '<script>',
  'a@b',
  '@',
  'a@',
  'x@xn--',
  'user@[127.0.0.1]',
  '"quoted"@example.com',
  'a@b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z',
  '0.0.0.0',
  '::',
  '::ffff:192.0.2.1',
  '999.999.999.999',
  '2001:db8::/32',
  'AS',
  'AS99999999999',
  '1e309',
  'NaN',
];
function hostileValue(depth = 0) {
  switch (Math.floor(rand() * 14)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return pick([0, -1, 1e308, -1e308, NaN, Infinity, 2 ** 53 + 1, 0.5, -0]);
    case 3:
      return rand() < 0.5;
    case 4:
    case 5:
    case 6:
      return pick(HOSTILE);
    case 7:
      return depth < 3 ? [hostileValue(depth + 1), hostileValue(depth + 1)] : [];
    case 8:
      return depth < 3 ? { [pick(['type', 'code', 'id', 'x', '__proto__'])]: hostileValue(depth + 1) } : {};
    case 9:
      return JSON.parse('['.repeat(200) + ']'.repeat(200));
    case 10:
      return Array.from({ length: 1000 }, (_, i) => `scope:${i}`);
    case 11:
      return {
        toString() {
          throw new Error('hostile toString');
        },
      };
    case 12:
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}');
    default:
      return String(Math.floor(rand() * 1e6));
  }
}

/** Every [parent, key] in a plain-data object, to pick one to mutate. */
function slots(obj, out = [], depth = 0) {
  if (!obj || typeof obj !== 'object' || depth > 6) return out;
  for (const key of Object.keys(obj)) {
    out.push([obj, key]);
    slots(obj[key], out, depth + 1);
  }
  return out;
}

function mutate(event) {
  const copy = structuredClone(event);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i += 1) {
    const all = slots(copy);
    if (all.length === 0) break;
    const [parent, key] = pick(all);
    if (key === 'secrets') continue;
    if (rand() < 0.25) delete parent[key];
    else parent[key] = hostileValue();
  }
  if (rand() < 0.02) return pick([null, undefined, 'event', 42, []]);
  return copy;
}

const POLICIES = [
  undefined,
  '{"version":1}',
  '{"version":1,"fail_mode":"deny"}',
  '{"version":1,"fail_mode":"allow"}',
  '{"version":1,"llm":{"enabled":true}}',
  '{"version":1,"mfa":{"mode":"always","factors":["otp"]}}',
  '{"version":2}',
  'not json',
  '{"version":1,"thresholds":{"challenge":2}}',
  '{"version":1,"tiers":{"x":{"fail_mode":"deny"}}}',
  '{"version":1,"networks":{"deny":["0.0.0.0/0"]}}',
  '{"version":1,"signup":{"velocity":{"per_ip":1}}}',
  JSON.stringify('x'.repeat(5000)),
];

function baseEvents() {
  const byTrigger = Object.fromEntries(TRIGGERS.map((t) => [t, [defaultEvent(t)]]));
  for (const file of scenarioFiles(path.join(ROOT, 'scenarios'))) {
    const s = loadScenario(file);
    if (!byTrigger[s.trigger] || !s.event || s.fill_defaults === false) continue;
    byTrigger[s.trigger].push(fillDefaults(defaultEvent(s.trigger), s.event));
  }
  return byTrigger;
}

const CX_CODES = new Set(['invalid_scope', 'invalid_request', 'server_error']);
const isStr = (v) => typeof v === 'string';
/** The reason a recorded call is one Auth0 would reject, or null. */
function wrongType(trigger, { method, args }) {
  switch (method) {
    case 'access.deny':
      if (trigger === 'credentials-exchange') return CX_CODES.has(args[0]) && isStr(args[1]) ? null : 'deny(code, reason)';
      if (trigger === 'pre-user-registration') return isStr(args[0]) && (args[1] === undefined || isStr(args[1])) ? null : 'deny(reason, userMessage)';
      return isStr(args[0]) && args[0].length > 0 ? null : 'deny(reason)';
    case 'authentication.challengeWithAny':
      return Array.isArray(args[0]) && args[0].length > 0 && args[0].every((f) => f && isStr(f.type)) ? null : 'challengeWithAny([{type}])';
    case 'multifactor.enable':
      return args[0] === 'any' ? null : 'multifactor.enable(any)';
    case 'user.setAppMetadata':
      return isStr(args[0]) && args[1] !== undefined ? null : 'setAppMetadata(key, value)';
    case 'idToken.setCustomClaim':
    case 'accessToken.setCustomClaim':
      return isStr(args[0]) && args[1] !== undefined ? null : 'setCustomClaim(name, value)';
    case 'cache.set':
      return isStr(args[0]) && isStr(args[1]) ? null : 'cache.set(string, string)';
    default:
      return null;
  }
}

// The execution's audit records in full (the harness loader collects what the runtime
// publishes): a failure's error code is there, not in its console line.
function auditLines(records) {
  return records.map((r) => {
    try {
      return JSON.parse(r);
    } catch {
      return {};
    }
  });
}

async function main() {
  const actions = {};
  for (const t of TRIGGERS) actions[t] = await loadAction(path.join(ROOT, 'actions-js', `${t}.js`), t);
  const bases = baseEvents();
  const counts = { runs: 0, traps: 0, uncaught: 0, internal: 0, wrong_type: 0, fail_mode: 0 };
  const examples = [];
  const caches = Object.fromEntries(TRIGGERS.map((t) => [t, new Cache()]));
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i += 1) {
    const trigger = TRIGGERS[i % TRIGGERS.length];
    const event = mutate(pick(bases[trigger]));
    if (event && typeof event === 'object' && !Array.isArray(event)) {
      event.secrets = { POLICY: pick(POLICIES) };
      if (rand() < 0.05) event.secrets = hostileValue();
    }
    // A shared cache per trigger, as Auth0 keeps one: the counters and breaker see garbage too.
    if (rand() < 0.01) caches[trigger].set(pick(['actionguard:signup:v1', 'actionguard:llm']), pick(HOSTILE).slice(0, 4000));
    const { api, calls } = createApi(trigger, { cache: caches[trigger] });
    let records = [];
    let failure;
    try {
      ({ audit: records } = await actions[trigger].execute([event, api]));
    } catch (err) {
      failure = err;
      records = err?.audit || [];
    }
    counts.runs += 1;
    const lines = auditLines(records);
    const trapped = failure instanceof WebAssembly.RuntimeError || lines.some((l) => l.error?.code === 'trap');
    const record = (kind, detail) => {
      counts[kind] += 1;
      if (examples.length < 10) examples.push({ kind, trigger, detail, event: JSON.stringify(event)?.slice(0, 300) });
    };
    if (trapped) record('traps', String(failure?.message || 'trap in audit'));
    else if (failure) record('uncaught', String(failure?.message || failure));
    if (lines.some((l) => l.error?.code === 'internal')) record('internal', 'fail mode on an internal error');
    if (lines.some((l) => l.fail_mode)) counts.fail_mode += 1;
    for (const c of calls) {
      const why = wrongType(trigger, c);
      if (why) record('wrong_type', `${c.method}: expected ${why}`);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  for (const e of examples) process.stderr.write(`${JSON.stringify(e)}\n`);
  const bad = counts.traps + counts.uncaught + counts.internal + counts.wrong_type;
  process.stdout.write(
    `fuzz-shims: ${counts.runs} shim runs in ${secs.toFixed(1)} s (${counts.fail_mode} ended in a fail mode on classified bad input): ` +
      `${counts.traps} traps, ${counts.uncaught} uncaught errors, ${counts.internal} internal errors, ${counts.wrong_type} wrong-type api calls\n`,
  );
  fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, '.bench', 'fuzz-shims.json'), `${JSON.stringify({ ...counts, seconds: secs })}\n`);
  process.exit(bad === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(2);
});
