// @ts-check
'use strict';
// Scenario files: an event, a tenant, secrets and what must happen. Each file
// is documentation as much as a test; `scenarios <dir>` runs them all.
//
// {
//   "name": "...", "description": "...", "trigger": "post-login",
//   "event": {...}, "fill_defaults": true, "secrets": {...}, "now": "ISO-8601",
//   "tenant": {...} | "tenant_file": "relative/path.json", "action_file": "relative/path.js",
//   "fresh_module": true,                              load the Action anew (no module state from
//                                                       earlier scenarios, such as a cached index)
//   "preceded_by": [{ "event": {...}, "times": 5 }],   earlier executions of the same Action,
//                                                       sharing its cache (bursts); not checked
//   "wasm": "corrupt",                                 run the Action beside a copy of the package
//                                                       whose WebAssembly does not compile
//   "llm": { "reply": "allow", "delay_ms": 3000 },     start the harness's OpenAI-compatible
//                                                       server (harness/llm.js) and point
//                                                       LLM_BASE_URL at it
//   "cohort": ["auth0|a", "auth0|b"],                  besides the scenario's run, one run per
//                                                       subject, put in the event's subject field
//                                                       (COHORT_FIELD); each must apply exactly its
//                                                       decision when enforced and nothing when watched
//   "expect": {
//     "outcome": "challenge",                      exact
//     "api_methods": ["idToken.setCustomClaim"],   exact list of api methods, in call order
//     "api_calls": [{ "method": "...", "args": [...] }],  appear in this order (others may interleave)
//     "absent_methods": ["access.deny"],           never called
//     "reasons": ["auth0_new_device"],             exact reason codes of the audit record
//     "audit": [{ "outcome": "allow" }],           one partial object per audit record
//     "management_calls": [{ "method": "GET", "path": "/api/v2/..." }],  in order, partial
//     "llm_calls": 0,
//     "error_contains": "...",
//     "would_outcome": "deny", "would_action": "join",   what the decision would have done, exact
//     "enforced": false,                              whether it was applied (policy `enforcement`)
//     "enforced_subjects": ["auth0|b"]               exactly the cohort's subjects enforced, in order
//   }
// }

const fs = require('node:fs');
const path = require('node:path');
const { runAction, PERSISTED_CONSOLE_CHARS } = require('./run');
const { Cache } = require('./api');
const { FakeLlm } = require('./llm');
const { actionWithPackage, corruptWasm } = require('./package-copy');

/**
 * `expected` is a partial description of `actual`: objects by key, arrays element-wise.
 * @param {unknown} expected
 * @param {unknown} actual
 * @returns {boolean}
 */
function matches(expected, actual) {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(e, actual[i]));
  }
  if (expected && typeof expected === 'object') {
    return !!actual && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => matches(v, actual[k]));
  }
  return Object.is(expected, actual);
}

/**
 * @param {unknown[]} expectedList
 * @param {unknown[]} actualList
 * @returns {unknown} the first expected item with no match after the previous one's, or null
 */
function inOrder(expectedList, actualList) {
  let i = 0;
  for (const item of actualList) {
    if (i < expectedList.length && matches(expectedList[i], item)) i += 1;
  }
  return i === expectedList.length ? null : expectedList[i];
}

/**
 * @param {Harness.Expectation} expect
 * @param {Harness.Result} result
 * @returns {string[]} what did not happen as expected
 */
function check(expect, result) {
  /** @type {string[]} */
  const failures = [];
  const show = (v) => JSON.stringify(v);
  const methods = result.api_calls.map((c) => c.method);
  const decision = result.audit.find((a) => !a.fail_mode) || result.audit[0];

  if ('outcome' in expect && expect.outcome !== result.outcome) {
    failures.push(`outcome: expected ${expect.outcome}, got ${result.outcome}${result.error ? ` (${result.error})` : ''}`);
  }
  if (expect.api_methods && !matches(expect.api_methods, methods)) {
    failures.push(`api_methods: expected ${show(expect.api_methods)}, got ${show(methods)}`);
  }
  if (expect.api_calls) {
    const missing = inOrder(expect.api_calls, result.api_calls);
    if (missing) failures.push(`api_calls: no call matching ${show(missing)} in order; got ${show(result.api_calls)}`);
  }
  for (const m of expect.absent_methods || []) {
    if (methods.includes(m)) failures.push(`absent_methods: ${m} was called`);
  }
  if (expect.reasons) {
    const codes = decision ? (decision.reasons || []).map((r) => r.code) : null;
    if (!matches(expect.reasons, codes)) failures.push(`reasons: expected ${show(expect.reasons)}, got ${show(codes)}`);
  }
  if (expect.audit && !matches(expect.audit, result.audit)) {
    failures.push(`audit: expected ${show(expect.audit)}, got ${show(result.audit)}`);
  }
  if (expect.management_calls) {
    const missing = inOrder(expect.management_calls, result.management_calls);
    if (missing) failures.push(`management_calls: no request matching ${show(missing)} in order`);
  }
  if ('llm_calls' in expect && expect.llm_calls !== result.llm_calls) {
    failures.push(`llm_calls: expected ${expect.llm_calls}, got ${result.llm_calls}`);
  }
  if (expect.error_contains && !(result.error || '').includes(expect.error_contains)) {
    failures.push(`error: expected it to contain ${show(expect.error_contains)}, got ${show(result.error)}`);
  }
  for (const key of /** @type {const} */ (['would_outcome', 'would_action', 'enforced'])) {
    if (key in expect && expect[key] !== result[key]) failures.push(`${key}: expected ${show(expect[key])}, got ${show(result[key])}`);
  }
  return failures;
}

/** Where a cohort's subject goes in the event: what the decision's rollout hashes (its audit pseudonym, or the client id). */
const COHORT_FIELD = {
  'post-login': ['user', 'user_id'],
  'post-user-registration': ['user', 'user_id'],
  'pre-user-registration': ['user', 'email'],
  'credentials-exchange': ['client', 'client_id'],
};

// What applying a decision calls; a watched one calls none of these.
const APPLYING_METHODS = [
  'access.deny',
  'authentication.challengeWith',
  'authentication.challengeWithAny',
  'multifactor.enable',
  'idToken.setCustomClaim',
  'accessToken.setCustomClaim',
  'validation.error',
];

/**
 * Whether a run applied its decision when enforced and nothing when watched.
 * @param {string} subject
 * @param {Harness.Result} result
 * @returns {string[]}
 */
function checkApplied(subject, result) {
  if (result.would_outcome === undefined) return [`cohort ${subject}: no decision (${result.error || 'no audit record with would_outcome'})`];
  if (result.enforced) {
    return result.outcome === result.would_outcome ? [] : [`cohort ${subject}: enforced, yet ${result.outcome} applied for ${result.would_outcome}`];
  }
  const applied = result.api_calls.map((c) => c.method).filter((m) => APPLYING_METHODS.includes(m));
  const writes = result.management_calls.filter((c) => c.method === 'POST' && /\/(members|roles|invitations)\b/.test(c.path)).map((c) => c.path);
  if (result.outcome !== 'allow' || applied.length || writes.length) {
    return [`cohort ${subject}: watched, yet applied ${result.outcome} ${JSON.stringify([...applied, ...writes])}`];
  }
  return [];
}

/**
 * One run per cohort subject (each on a fresh cache), and the subjects whose decision was enforced.
 * @param {Harness.Scenario} scenario
 * @returns {Promise<{ enforced: string[], failures: string[] }>}
 */
async function runCohort(scenario) {
  const [section, field] = COHORT_FIELD[scenario.trigger] || [];
  if (!section) return { enforced: [], failures: [`cohort: ${scenario.trigger} has no subject field`] };
  /** @type {string[]} */
  const enforced = [];
  /** @type {string[]} */
  const failures = [];
  for (const subject of scenario.cohort || []) {
    /** @type {any} */
    const event = scenario.event && typeof scenario.event === 'object' ? scenario.event : {};
    const { result } = await runAction({
      trigger: scenario.trigger,
      event: { ...event, [section]: { ...event[section], [field]: subject } },
      fillDefaults: scenario.fill_defaults !== false,
      tenant: scenario.tenant,
      secrets: scenario.secrets,
      now: scenario.now,
      actionFile: scenario.action_file,
    });
    if (result.enforced) enforced.push(subject);
    failures.push(...checkApplied(subject, result));
  }
  if (scenario.expect.enforced_subjects && !matches(scenario.expect.enforced_subjects, enforced)) {
    failures.push(`enforced_subjects: expected ${JSON.stringify(scenario.expect.enforced_subjects)}, got ${JSON.stringify(enforced)}`);
  }
  return { enforced, failures };
}

/**
 * @param {string} file
 * @returns {Harness.Scenario} with `tenant_file` read and `action_file` made absolute
 */
function loadScenario(file) {
  const dir = path.dirname(file);
  const scenario = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (scenario.tenant_file) scenario.tenant = JSON.parse(fs.readFileSync(path.resolve(dir, scenario.tenant_file), 'utf8'));
  if (scenario.action_file) scenario.action_file = path.resolve(dir, scenario.action_file);
  if (!scenario.name) scenario.name = path.basename(file, '.json');
  if (!scenario.trigger) throw new Error(`${file}: no "trigger"`);
  if (!scenario.expect || typeof scenario.expect !== 'object') throw new Error(`${file}: no "expect" object`);
  return scenario;
}

/**
 * @param {string} dir
 * @returns {string[]} sorted
 */
function scenarioFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // Tenant fixtures and helper files live in subfolders starting with "_".
    if (entry.isDirectory() && !entry.name.startsWith('_')) out.push(...scenarioFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(full);
  }
  return out.sort();
}

/**
 * @param {Harness.Scenario} scenario
 * @returns {Promise<{ result: Harness.Result, logs: string, failures: string[], llmRequests: Harness.LlmRequest[], cohort?: { enforced: string[] } }>}
 */
async function runScenario(scenario) {
  if (scenario.wasm === 'corrupt') scenario = { ...scenario, action_file: actionWithPackage(scenario.trigger, corruptWasm), fresh_module: true };
  const llm = scenario.llm ? await new FakeLlm({ reply: scenario.llm.reply, delayMs: scenario.llm.delay_ms }).start() : null;
  try {
    const secrets = llm ? { ...scenario.secrets, LLM_BASE_URL: llm.url } : scenario.secrets;
    const outcome = await runScenarioWith({ ...scenario, secrets });
    if (!scenario.cohort) return { ...outcome, llmRequests: llm ? llm.requests : [] };
    const cohort = await runCohort({ ...scenario, secrets });
    return { ...outcome, failures: [...outcome.failures, ...cohort.failures], llmRequests: llm ? llm.requests : [], cohort };
  } finally {
    if (llm) await llm.stop();
  }
}

/**
 * @param {Harness.Scenario} scenario
 * @returns {Promise<{ result: Harness.Result, logs: string, failures: string[] }>}
 */
async function runScenarioWith(scenario) {
  const cache = new Cache();
  for (const prior of scenario.preceded_by || []) {
    for (let i = 0; i < (prior.times ?? 1); i += 1) {
      await runAction({
        trigger: scenario.trigger,
        event: prior.event,
        fillDefaults: scenario.fill_defaults !== false,
        secrets: scenario.secrets,
        now: scenario.now,
        actionFile: scenario.action_file,
        cache,
      });
    }
  }
  const { result, logs } = await runAction({
    cache,
    trigger: scenario.trigger,
    event: scenario.event,
    fillDefaults: scenario.fill_defaults !== false,
    tenant: scenario.tenant,
    secrets: scenario.secrets,
    now: scenario.now,
    actionFile: scenario.action_file,
    freshModule: !!scenario.fresh_module,
  });
  return { result, logs, failures: [...check(scenario.expect, result), ...consoleFailures(result)] };
}

/**
 * Whatever a scenario expects: no console line the Action writes is longer than Auth0
 * keeps (256 characters of an Action's console, the line's newline included), so the
 * first, the decision's, is always whole in what Auth0 persists.
 * @param {Harness.Result} result
 * @returns {string[]}
 */
function consoleFailures(result) {
  return result.console.lines
    .filter((line) => Array.from(line).length >= PERSISTED_CONSOLE_CHARS)
    .map((line) => `console: a line of ${Array.from(line).length} characters, cut by Auth0 at ${PERSISTED_CONSOLE_CHARS} with its newline: ${line.slice(0, 80)}...`);
}

/**
 * Runs every scenario under `dir`; prints a report; resolves to the failure count.
 * @param {string} dir
 * @param {{ verbose?: boolean, out?: { write(text: string): unknown } }} [options]
 * @returns {Promise<number>}
 */
async function runScenarios(dir, { verbose = false, out = process.stdout } = {}) {
  const files = scenarioFiles(dir);
  const width = Math.max(0, ...files.map((f) => path.relative(dir, f).length)) + 1;
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const rel = path.relative(dir, file);
    let scenario;
    let outcome;
    try {
      scenario = loadScenario(file);
      outcome = await runScenario(scenario);
    } catch (err) {
      failed += 1;
      out.write(`FAIL  ${rel}\n      could not run: ${err.message}\n`);
      continue;
    }
    const { result, failures, cohort } = outcome;
    /** @type {Partial<Harness.AuditRecord>} */
    const decision = result.audit.find((a) => !a.fail_mode) || result.audit[0] || {};
    const score = decision.score === undefined ? '-' : String(decision.score);
    const codes = (decision.reasons || []).map((r) => r.code).join(', ') || (decision.fail_mode ? `fail mode (${decision.error?.code})` : '-');
    const status = failures.length === 0 ? 'PASS' : 'FAIL';
    if (failures.length === 0) passed += 1;
    else failed += 1;
    // Which policy layers decided, when they are more than the baseline.
    const layers = decision.policy?.layers?.length > 1 ? ` [${decision.policy.layers.join(' > ')}]` : '';
    const llm = decision.llm?.asked || decision.llm?.result ? ` [llm: ${decision.llm.result}]` : '';
    // A watched decision applies nothing: what it would have done.
    const would = [
      result.would_outcome !== result.outcome && result.would_outcome,
      result.would_action !== undefined && result.would_action !== decision.org_action && result.would_action,
    ]
      .filter(Boolean)
      .join(', ');
    const watched = result.enforced === false ? ` [watched, would: ${would || result.would_outcome}]` : '';
    const enforced = cohort ? ` [enforced ${cohort.enforced.length}/${scenario.cohort?.length}: ${cohort.enforced.join(', ') || 'none'}]` : '';
    out.write(`${status}  ${rel.padEnd(width)} ${result.outcome.padEnd(9)} score ${score.padEnd(6)} ${codes}${layers}${llm}${watched}${enforced}\n`);
    if (verbose) {
      out.write(`      ${scenario.name}\n`);
      for (const r of decision.reasons || []) out.write(`        - ${r.code}: ${r.message}\n`);
      out.write(`        api: ${result.api_calls.map((c) => c.method).join(', ') || '(none)'}\n`);
      out.write(`        console Auth0 keeps: ${result.console.persisted.trimEnd().replaceAll('\n', '\n                             ')}\n`);
    }
    for (const f of failures) out.write(`      ${f}\n`);
  }
  out.write(`\n${passed} passed, ${failed} failed\n`);
  return failed;
}

module.exports = { runScenarios, runScenario, loadScenario, scenarioFiles, check, checkApplied, consoleFailures, matches };
