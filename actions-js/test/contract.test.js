// @ts-nocheck: this test calls the module with wrong inputs on purpose, and type-checks
// what comes back itself, under strict, against the shipped declarations.
'use strict';
// The typed contract: the package's declarations (wasm/actionguard.d.ts and
// wasm/control-plane.d.ts, shipped in pkg/) against real answers. Every golden case, organization decisions,
// an LLM escalation, the explanation, the policy tooling and failure answers run through
// the package as users load it; each answer (and each audit line, parsed) is written as an
// object literal assigned to its declared type in a temporary .ts file, which TypeScript
// checks with `strict`. Object literals get excess-property checks, so a field the Rust
// side writes and the declarations lack fails, as does a required field it no longer
// writes, or a value of another type. Last, js/ and the shims (`// @ts-check`) are
// type-checked against the declarations. typescript and @types/node are devDependencies
// of actions-js.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ACTIONS_DIR = path.resolve(__dirname, '..');
const REPO = path.resolve(ACTIONS_DIR, '..');
const GOLDEN = path.join(REPO, 'tests', 'golden');

const ag = require('actionguard');
// The control plane's module: the Actions' exports and its own (log analysis, intake,
// governance, policy tooling), typed by control-plane.d.ts with the same types.
const cp = require('actionguard/control-plane');

/** TypeScript as actions-js resolves it, or null when it is not installed. */
function typescript() {
  try {
    return require('typescript');
  } catch (err) {
    if (err?.code === 'MODULE_NOT_FOUND' && /'typescript'/.test(err.message)) return null;
    throw err;
  }
}

function requireTypescript() {
  const ts = typescript();
  if (!ts) assert.fail('TypeScript is not installed: it is a devDependency of actions-js (run `npm ci` in actions-js); the contract test needs it');
  return ts;
}

const TRIGGERS = {
  'post-login': { decide: 'decideLogin', answer: 'LoginAnswer', context: 'LoginContext' },
  'pre-user-registration': { decide: 'decideSignup', answer: 'SignupAnswer', context: 'SignupContext' },
  'credentials-exchange': { decide: 'decideCredentials', answer: 'CredentialsAnswer', context: 'CredentialsContext' },
  // The case's `organizations` are the records its index is built from.
  'organization-discovery': { decide: 'decideOrganization', answer: 'OrganizationAnswer', context: 'OrgContext' },
};

const NOW = Date.UTC(2025, 0, 15, 9, 30);

const ORG_RECORDS = [
  {
    id: 'org_acme',
    name: 'acme',
    metadata: { ag_roles: 'rol_member' },
    discovery_domains: [{ domain: 'acme.com', status: 'verified', use_for_organization_discovery: true }],
    enabled_connections: ['acme-okta'],
  },
  { id: 'org_globex', name: 'globex', discovery_domains: [{ domain: 'globex.com', status: 'pending', use_for_organization_discovery: true }] },
  {
    id: 'org_initech',
    name: 'initech',
    metadata: { ag_domains: 'initech.example' },
    discovery_domains: [{ domain: 'initech.com', status: 'verified', use_for_organization_discovery: true }],
  },
  { name: 'no id: skipped with a warning', discovery_domains: [] },
];

const ORG_POLICY = { version: 1, organizations: { self_serve: true }, llm: { enabled: true, organizations: true } };

const TOOLING_POLICY = {
  version: 1,
  fail_mode: 'deny',
  m2m: { require_listed: true, clients: { cli_batch: { networks: ['10.0.0.0/8'], scopes: ['read:reports'] } } },
  tiers: { strict: { mfa: { mode: 'always' }, thresholds: { challenge: 0.3 } } },
};

/** An OpenAI-style completion whose answer is `content`. */
function completion(content) {
  return JSON.stringify({ id: 'c', choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(content) }, finish_reason: 'stop' }] });
}

/**
 * Every value to check, by the declared type it must be: answers (with their audit
 * records), getters, and the inputs that produced them.
 */
function collect() {
  const checks = [];
  const add = (label, type, value, { fresh = true } = {}) => checks.push({ label, type, value, fresh });
  const answer = (label, type, value) => {
    assert.ok(value && (value.type === 'success' || value.type === 'failure'), `${label}: not an answer: ${JSON.stringify(value)}`);
    add(label, type, value);
    if (value.type === 'success' && typeof value.audit === 'string') add(`${label}, audit`, 'AuditRecord', JSON.parse(value.audit));
    return value;
  };

  // Every golden case, with its policy and trigger; its context is checked against the
  // declared input too (not as a fresh literal: Auth0's events carry more than the core reads).
  const goldens = fs
    .readdirSync(GOLDEN)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(goldens.length > 0, `no golden case in ${GOLDEN}`);
  for (const file of goldens) {
    const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, file), 'utf8'));
    const trigger = TRIGGERS[golden.trigger ?? 'post-login'];
    assert.ok(trigger, `${file}: unknown trigger ${golden.trigger}`);
    const engine = new ag.Engine(golden.policy);
    /** @type {(context: unknown) => unknown} */
    let decide = (context) => engine[trigger.decide](context);
    if (trigger.decide === 'decideOrganization') {
      add(`golden ${file}, organizations`, 'OrgRecord[]', golden.organizations, { fresh: false });
      const built = ag.buildOrgIndex(golden.organizations);
      assert.equal(built.type, 'success', `${file}: ${JSON.stringify(built)}`);
      decide = (context) => engine.decideOrganization(built.index, context);
    }
    const a = answer(`golden ${file}`, trigger.answer, decide(golden.context));
    if (golden.expect?.type) assert.equal(a.type, golden.expect.type, `${file}: ${JSON.stringify(a)}`);
    if (a.type === 'success') add(`golden ${file}, context`, trigger.context, golden.context, { fresh: false });
    if (golden.policy) add(`golden ${file}, policy`, 'PolicyDocument', golden.policy, { fresh: false });
    if (trigger.decide === 'decideLogin') answer(`golden ${file}, explained`, 'ExplanationAnswer', engine.explainLogin(golden.context));
  }

  // Post-login with what the goldens lack: discovery asked for, a history written, claims.
  const engine = new ag.Engine();
  const login = {
    tenant: { id: 'tenant-1' },
    user: { user_id: 'auth0|1', email: 'sam@acme.com', enrolledFactors: [{ type: 'otp' }] },
    stats: { logins_count: 1 },
    request: { ip: '203.0.113.9', asn: '64500', user_agent: 'Mozilla/5.0', geoip: { countryCode: 'NL', latitude: 52.37, longitude: 4.9 } },
    authentication: {
      riskAssessment: { confidence: 'high', assessments: { NewDevice: { code: 'match', confidence: 'high' } } },
      methods: [{ name: 'pwd', timestamp: '2025-01-15T09:29:00Z' }],
    },
    history: null,
    discovery: { available: true, marker: null },
    llm: { available: false },
    now_ms: NOW,
  };
  add('login context', 'LoginContext', login);
  const discovered = answer('login asking for discovery', 'LoginAnswer', engine.decideLogin(login));
  assert.equal(discovered.type, 'success');
  assert.ok(discovered.discovery && discovered.history, 'the login asks for discovery and writes a history');
  answer('login explained', 'ExplanationAnswer', engine.explainLogin(login));

  // An escalation, then the decision again with the LLM's answer.
  const escalating = JSON.parse(fs.readFileSync(path.join(GOLDEN, '26-llm-ambiguous-escalates.json'), 'utf8'));
  const llmEngine = new ag.Engine(escalating.policy);
  const first = answer('escalating login', 'LoginAnswer', llmEngine.decideLogin({ ...escalating.context, now_ms: NOW }));
  assert.ok(first.type === 'success' && first.escalation && first.cache?.length, 'an escalation with its rate-limit write');
  add('escalation', 'Escalation', first.escalation);
  const response = completion({ decision: first.escalation.options[0], confidence: 0.9, rationale: 'known network' });
  answer('escalated login, answered', 'LoginAnswer', llmEngine.decideLogin({ ...escalating.context, now_ms: NOW, llm: { ...escalating.context.llm, response } }));
  answer('escalated login, timed out', 'LoginAnswer', llmEngine.decideLogin({ ...escalating.context, now_ms: NOW, llm: { ...escalating.context.llm, failure: 'timeout' } }));

  // Organization discovery.
  add('organization records', 'OrgRecord[]', ORG_RECORDS);
  add('organization policy', 'PolicyDocument', ORG_POLICY);
  const built = answer('buildOrgIndex', 'OrgIndexAnswer', ag.buildOrgIndex(ORG_RECORDS));
  assert.ok(built.type === 'success' && built.warnings.length > 0, 'the record without an id is skipped with a warning');
  const index = built.index;
  answer('loadOrgSnapshot (text)', 'OrgIndexAnswer', ag.loadOrgSnapshot(index.snapshot()));
  answer('loadOrgSnapshot (bytes)', 'OrgIndexAnswer', ag.loadOrgSnapshot(Buffer.from(index.snapshot())));
  add('OrgIndex.lookup', 'string[]', index.lookup('a@acme.com'));
  add('OrgIndex.organizations', 'number', index.organizations);
  add('OrgIndex.domains', 'number', index.domains);
  add('OrgIndex.snapshot', 'string', index.snapshot());
  const orgEngine = new ag.Engine(ORG_POLICY);
  const user = (email, verified) => ({ user_id: 'auth0|7', email, email_verified: verified, app_metadata: { department: 'sales' } });
  // Auth0 verified a database connection's addresses; another connection's count where the organization enabled it.
  const database = { name: 'Username-Password-Authentication', strategy: 'auth0' };
  const orgContexts = {
    join: { tenant: { id: 'tenant-1' }, user: user('a@acme.com', true), connection: { name: 'acme-okta', strategy: 'okta' }, now_ms: NOW },
    invite: { user: user('a@acme.com', false), connection: database, now_ms: NOW },
    suggest: { user: user('a@globex.com', true), member_of: [], now_ms: NOW },
    complete_roles: { user: user('a@acme.com', true), member_of: ['org_acme'], complete_join: true, now_ms: NOW },
    anomaly: { user: user('a@acme.com', true), member_of: ['org_globex', 'org_initech'], now_ms: NOW },
    create_for_approval: { user: user('founder@newco.io', true), connection: database, now_ms: NOW },
    none: { user: user('someone@gmail.com', true) },
  };
  for (const [action, context] of Object.entries(orgContexts)) {
    add(`organization context (${action})`, 'OrgContext', context);
    const decided = answer(`organization decision (${action})`, 'OrganizationAnswer', orgEngine.decideOrganization(index, context));
    assert.equal(decided.type, 'success');
    if (action !== 'anomaly') assert.equal(decided.action, action, JSON.stringify(decided));
  }
  const suggestLlm = { ...orgContexts.suggest, llm: { available: true, model: 'gpt-4o-mini' } };
  const asked = answer('organization suggestion, escalating', 'OrganizationAnswer', orgEngine.decideOrganization(index, suggestLlm));
  assert.ok(asked.type === 'success' && asked.escalation, 'a suggestion escalates');
  const chosen = completion({ decision: asked.escalation.options[0], confidence: 0.95, rationale: 'pending claim of the exact domain' });
  answer('organization suggestion, answered', 'OrganizationAnswer', orgEngine.decideOrganization(index, { ...suggestLlm, llm: { ...suggestLlm.llm, response: chosen } }));

  // The policy tooling.
  add('tooling policy', 'PolicyDocument', TOOLING_POLICY);
  answer('validatePolicy', 'PolicySummaryAnswer', cp.validatePolicy(TOOLING_POLICY));
  answer('validatePolicy (embedded default)', 'PolicySummaryAnswer', cp.validatePolicy('{"version":1}'));
  answer('effectivePolicy (tier and override)', 'EffectivePolicyAnswer', cp.effectivePolicy(TOOLING_POLICY, { ag_tier: 'strict', ag_policy: 'thresholds.deny=0.8' }));
  const rejected = answer('effectivePolicy (a rejected layer)', 'EffectivePolicyAnswer', cp.effectivePolicy(TOOLING_POLICY, { ag_tier: 'unknown' }));
  assert.ok(rejected.type === 'success' && rejected.rejected.length > 0);
  const override = { thresholds: { challenge: 0.3 }, countries: { deny: ['KP', 'IR'] } };
  add('override', 'PolicyLayer', override);
  answer('encodeOverride', 'EncodedOverrideAnswer', cp.encodeOverride(override));
  const longOverride = { networks: { deny: Array.from({ length: 30 }, (_, i) => `198.51.${i}.0/24`) } };
  const long = answer('encodeOverride (two values)', 'EncodedOverrideAnswer', cp.encodeOverride(longOverride));
  assert.ok(long.type === 'success' && long.ag_policy_2, 'a long override takes two values');
  answer('encodeOverride (empty)', 'EncodedOverrideAnswer', cp.encodeOverride({}));
  // Signed organization layers.
  const LAYERS_KEY = 'contract-org-layers-key-0123';
  const signedLayers = answer('signOrganizationLayers', 'SignedLayersAnswer', cp.signOrganizationLayers('org_acme', { ag_tier: 'strict' }, LAYERS_KEY));
  assert.ok(signedLayers.type === 'success' && /^[0-9a-f]{32}$/.test(signedLayers.ag_sig));
  const unsignedPolicy = JSON.stringify({ version: 1, organizations: { unsigned_tier: 'strict' }, tiers: { strict: { mfa: { mode: 'always' } } } });
  const unsigned = answer('effectivePolicy (unsigned layers)', 'EffectivePolicyAnswer', cp.effectivePolicy(unsignedPolicy, { ag_tier: 'other' }, 'org_acme', LAYERS_KEY));
  assert.ok(unsigned.type === 'success' && unsigned.rejected.some((r) => r.code === 'organization_layers_unsigned'));

  // Log-stream batches (the control plane's reading, in the core).
  const logLines = [
    {
      log_id: 'l1',
      type: 's',
      date: '2026-11-02T09:14:07.123Z',
      ip: '203.0.113.9',
      user_id: 'auth0|u1',
      organization_id: 'org_acme',
      location_info: { country_code: 'NL' },
      details: { prompts: [{ name: 'mfa', performed_amr: ['mfa'] }] },
    },
    { log_id: 'l2', data: { type: 'fp', date: '2026-11-02T09:14:08Z', user_name: 'bob@acme.com' } },
    { detail: { data: { log_id: 'l3', type: 'gd_send_pn', date: '2026-11-02T09:14:09Z' } } },
    { log_id: 'l1', type: 's', date: '2026-11-02T09:14:07.123Z' },
  ].map((l) => JSON.stringify(l));
  const logBatch = answer('parseLogBatch (JSON lines)', 'LogBatchAnswer', cp.parseLogBatch([...logLines, 'not json', '{"type":"s"}'].join('\n')));
  assert.ok(logBatch.type === 'success' && logBatch.events.length === 3 && logBatch.rejects.length === 2 && logBatch.duplicates === 1);
  assert.ok(logBatch.type === 'success' && logBatch.warnings.some((w) => w.code === 'duplicates_in_batch'));
  answer('parseLogBatch (array)', 'LogBatchAnswer', cp.parseLogBatch(`[${logLines.join(',')}, 7]`));

  // The streaming analysis (`logs analyze`, the control plane's live detection): bodies
  // as strings, chunks of lines, a file's bytes cut anywhere; then the alerts and the end.
  const detectConfig = { mfa_fatigue: { min_sends: 3 }, credential_stuffing: { burst_min_users: 4 } };
  add('detection configuration', 'DetectConfig', detectConfig);
  const analyzer = new cp.LogAnalyzer(detectConfig);
  const failing = (i) =>
    JSON.stringify({
      log_id: `f${i}`,
      data: {
        type: 'fp',
        date: `2026-11-02T09:15:${String(i).padStart(2, '0')}Z`,
        ip: '198.51.100.66',
        user_name: `u${i}@x.example`,
        organization_id: ['org_acme', 'org_globex'][i % 2],
      },
    });
  const fedBody = answer('LogAnalyzer.feed', 'LogFeedAnswer', analyzer.feed([...logLines, 'not json'].join('\n')));
  assert.ok(fedBody.type === 'success' && fedBody.events === 3 && fedBody.duplicates === 1 && fedBody.rejected === 1, JSON.stringify(fedBody));
  const fedLines = answer('LogAnalyzer.feedLines', 'LogFeedAnswer', analyzer.feedLines(['[1,2]', failing(0), failing(1)].join('\n')));
  assert.ok(fedLines.type === 'success' && fedLines.events === 2 && fedLines.rejected === 1, 'an array line is one entry');
  const file = Buffer.from(`${[2, 3, 4, 5, 6, 7].map(failing).join('\r\n')}\r\n\n`);
  for (let at = 0; at < file.length; at += 50) answer('LogAnalyzer.feedFile', 'LogFeedAnswer', analyzer.feedFile(file.subarray(at, at + 50)));
  const live = answer('LogAnalyzer.takeAlerts', 'LiveAlertsAnswer', analyzer.takeAlerts());
  assert.ok(live.type === 'success' && live.events === 5, "the file's last body is read at finish(), not before");
  add('LogAnalyzer.forgetIdleAlerts', 'number', analyzer.forgetIdleAlerts(86_400_000));
  const analysis = answer('LogAnalyzer.finish', 'AnalysisAnswer', analyzer.finish());
  assert.ok(analysis.type === 'success' && analysis.events === 11 && analysis.duplicates === 1 && analysis.rejected === 2, JSON.stringify(analysis));
  assert.ok(analysis.type === 'success' && analysis.alerts.some((a) => a.kind === 'credential_stuffing' && a.subject.value === '198.51.100.66'));
  // Bad input is a tagged failure (or a reject), never a throw or a trap: the analyzer goes on.
  const second = new cp.LogAnalyzer();
  const notBytes = answer('LogAnalyzer.feedFile (not bytes)', 'LogFeedAnswer', second.feedFile('a string'));
  assert.ok(notBytes.type === 'failure' && notBytes.errors[0].code === 'invalid_body', JSON.stringify(notBytes));
  const noBody = answer('LogAnalyzer.feed (no body)', 'LogFeedAnswer', second.feed(undefined));
  assert.ok(noBody.type === 'failure' && noBody.errors[0].code === 'invalid_body');
  const junk = answer('LogAnalyzer.feedFile (junk bytes)', 'LogFeedAnswer', second.feedFile(Uint8Array.from([0xff, 0xfe, 0x00, 0x0a, 0x7b, 0x0a])));
  assert.ok(junk.type === 'success' && junk.events + junk.rejected === 0, 'a body is read once whole (here at finish())');
  const hostile = answer(
    'LogAnalyzer.feed (hostile)',
    'LogFeedAnswer',
    second.feed(`${'['.repeat(100_000)}\n${'x'.repeat(70_000)}\n{"log_id":"\\ud800","type":"s","date":"2026-11-02T09:14:07Z"}`),
  );
  assert.ok(hostile.type === 'success' && hostile.rejected === 2 && hostile.events === 1, JSON.stringify(hostile));
  const secondAnalysis = answer('LogAnalyzer.finish (second)', 'AnalysisAnswer', second.finish());
  assert.ok(secondAnalysis.type === 'success' && secondAnalysis.events === 1 && secondAnalysis.rejected === 4, 'the junk bytes: two lines, two rejects');
  for (const [label, call] of [
    ['feed', () => second.feed('{}')],
    ['feedLines', () => second.feedLines('{}')],
    ['feedFile', () => second.feedFile(Buffer.from('{}'))],
    ['takeAlerts', () => second.takeAlerts()],
    ['finish', () => second.finish()],
  ]) {
    const finished = answer(`LogAnalyzer.${label} (finished)`, label === 'finish' ? 'AnalysisAnswer' : label === 'takeAlerts' ? 'LiveAlertsAnswer' : 'LogFeedAnswer', call());
    assert.ok(finished.type === 'failure' && finished.errors[0].code === 'finished', `${label}: ${JSON.stringify(finished)}`);
  }
  assert.equal(second.forgetIdleAlerts(1), 0, 'nothing to forget once finished');
  // A configuration the host got wrong throws an Error with a code (the one throw).
  assert.throws(
    () => new cp.LogAnalyzer({ mfa_fatigue: { min_send: 6 } }),
    (err) => err instanceof Error && err.code === 'invalid_config' && /min_send/.test(err.message),
  );
  assert.throws(
    () => new cp.LogAnalyzer('{'),
    (err) => err instanceof Error && err.code === 'invalid_config',
  );

  // Failures.
  /** @type {Array<[string, string, () => unknown]>} */
  const failures = [
    ['decideLogin', 'LoginAnswer', () => engine.decideLogin('{"user": ')],
    ['decideLogin (undefined)', 'LoginAnswer', () => engine.decideLogin(undefined)],
    ['decideSignup', 'SignupAnswer', () => engine.decideSignup({ user: { email: 7 } })],
    ['decideCredentials', 'CredentialsAnswer', () => engine.decideCredentials('[')],
    ['decideOrganization', 'OrganizationAnswer', () => orgEngine.decideOrganization(index, { member_of: 'org_acme' })],
    ['explainLogin', 'ExplanationAnswer', () => engine.explainLogin('nope')],
    ['buildOrgIndex', 'OrgIndexAnswer', () => ag.buildOrgIndex('nope')],
    ['loadOrgSnapshot', 'OrgIndexAnswer', () => ag.loadOrgSnapshot('nope')],
    ['loadOrgSnapshot (neither text nor bytes)', 'OrgIndexAnswer', () => ag.loadOrgSnapshot(42)],
    ['validatePolicy', 'PolicySummaryAnswer', () => cp.validatePolicy({ version: 1, fail_mode: 'panic' })],
    ['effectivePolicy', 'EffectivePolicyAnswer', () => cp.effectivePolicy('{', {})],
    ['encodeOverride', 'EncodedOverrideAnswer', () => cp.encodeOverride({ thresholds: { challenge: 2 } })],
    ['signOrganizationLayers', 'SignedLayersAnswer', () => cp.signOrganizationLayers('org_acme', {}, 'short')],
    ['signOrganizationLayers (not strings)', 'SignedLayersAnswer', () => cp.signOrganizationLayers(7, {}, undefined)],
    ['parseLogBatch (no body)', 'LogBatchAnswer', () => cp.parseLogBatch(/** @type {any} */ (undefined))],
  ];
  for (const [label, type, call] of failures) {
    const failed = answer(`${label}, failure`, type, call());
    assert.equal(failed.type, 'failure', `${label}: ${JSON.stringify(failed)}`);
  }

  // The getters.
  const rejectedPolicy = new ag.Engine({ version: 1, fail_mode: 'panic' });
  add('Engine.policyErrors', 'Issue[]', rejectedPolicy.policyErrors);
  assert.ok(rejectedPolicy.policyErrors.length > 0);
  add('Engine.policyErrors (none)', 'Issue[]', engine.policyErrors);
  add('Engine.cacheKeys', 'CacheKeys', engine.cacheKeys);
  add('Engine.failMode', 'FailMode', new ag.Engine(TOOLING_POLICY).failMode);
  add('version()', 'string', ag.version());
  add('memoryBytes()', 'number', ag.memoryBytes());
  return { checks, loginSuccess: discovered };
}

const INDEX_PLACEHOLDER = '__actionguard_org_index__';

/** A value as a TypeScript expression: JSON, with an index object standing for itself. */
function literal(value, indent = 2) {
  const json = JSON.stringify(value, (_, v) => (v instanceof ag.OrgIndex ? INDEX_PLACEHOLDER : v), indent);
  return json.replaceAll(JSON.stringify(INDEX_PLACEHOLDER), 'anIndex');
}

/**
 * The .ts text: one `const` per value, assigned an object literal, so excess-property
 * checks apply; inputs that may carry more than the core reads (Auth0's events) are
 * checked against `Loose<T>`, the same type with any extra key allowed at every level.
 * Three deliberate mistakes must fail, so a contract checked against `any` cannot pass.
 * Returns the text and, by line, the label of the check written there.
 */
function tsSource(specifier, checks, loginSuccess) {
  const lines = [
    `import type * as ag from ${JSON.stringify(specifier)};`,
    'declare const anIndex: ag.OrgIndex;',
    'type Loose<T> = T extends readonly unknown[] ? { [K in keyof T]: Loose<T[K]> } : T extends object ? { [K in keyof T]: Loose<T[K]> } & { [extra: string]: unknown } : T;',
  ];
  const labels = [];
  const emit = (label, text) => {
    const start = lines.length;
    lines.push(`// ${label.replace(/\n/g, ' ')}`, ...text.split('\n'));
    for (let i = start; i < lines.length; i++) labels[i] = label;
  };
  const typeName = (type) => (/^(string|number)(\[\])?$/.test(type) ? type : `ag.${type}`);
  checks.forEach(({ label, type, value, fresh }, i) => {
    emit(`${type}: ${label}`, `const c${i}: ${fresh ? typeName(type) : `Loose<${typeName(type)}>`} = ${literal(value)};`);
  });
  // On one line each: `@ts-expect-error` covers the line after it.
  const missing = { ...loginSuccess };
  delete missing.reasons;
  emit('self-check: an undeclared field must fail', `// @ts-expect-error\nconst x0: ag.LoginAnswer = ${literal({ ...loginSuccess, outcom: 'allow' }, 0)};`);
  emit('self-check: a missing required field must fail', `// @ts-expect-error\nconst x1: ag.LoginAnswer = ${literal(missing, 0)};`);
  emit('self-check: a wrong type must fail', `// @ts-expect-error\nconst x2: ag.LoginAnswer = ${literal({ ...loginSuccess, score: String(loginSuccess.score) }, 0)};`);
  return { text: `${lines.join('\n')}\n`, labels };
}

const COMPILER_OPTIONS = (ts) => ({
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  // No DOM and no @types: the declarations must stand on the language's own library.
  lib: ['lib.es2022.d.ts'],
  types: [],
  skipLibCheck: false,
});

/** The declarations file `import specifier` resolves to from actions-js, as TypeScript resolves it. */
function declarations(ts, specifier = 'actionguard') {
  const resolved = ts.resolveModuleName(specifier, path.join(ACTIONS_DIR, 'index.ts'), COMPILER_OPTIONS(ts), ts.sys).resolvedModule;
  assert.ok(resolved, `TypeScript does not resolve \`${specifier}\` from actions-js: is the package installed (npm ci) and does its package.json name \`types\`?`);
  assert.equal(resolved.extension, '.d.ts', `\`${specifier}\` resolves to ${resolved.resolvedFileName}, not to declarations`);
  return resolved.resolvedFileName;
}

test('the package ships the hand-written declarations as its types', () => {
  const pkgDir = path.dirname(require.resolve('actionguard/package.json', { paths: [ACTIONS_DIR] }));
  const pj = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(pj.types, 'actionguard.d.ts');
  for (const file of ['actionguard.d.ts', 'control-plane.d.ts', 'control-plane.js', 'control-plane_bg.wasm']) {
    assert.ok(pj.files.includes(file), `package.json files lack ${file}: ${pj.files}`);
  }
  for (const file of ['actionguard.d.ts', 'control-plane.d.ts']) {
    const shipped = fs.readFileSync(path.join(pkgDir, file), 'utf8');
    const source = fs.readFileSync(path.join(REPO, 'wasm', file), 'utf8');
    assert.ok(shipped === source, `pkg/${file} is not wasm/${file}: rebuild the package (scripts/build)`);
  }
  assert.equal(typeof require('actionguard/runtime').load, 'function', 'actionguard/runtime is part of the package');
});

// Each module against its declarations: the Actions' module exports the decisions and
// nothing of the control plane's (which its size would pay for at every cold start);
// the control plane's exports those and its own.
for (const [specifier, module, classes] of [
  ['actionguard', ag, ['Engine', 'OrgIndex', 'ThreatFeed']],
  ['actionguard/control-plane', cp, ['Engine', 'OrgIndex', 'ThreatFeed', 'LogAnalyzer', 'ReportBuilder']],
]) {
  test(`every export and every class member of ${specifier} is declared, and nothing more`, () => {
    const ts = requireTypescript();
    const file = declarations(ts, specifier);
    const program = ts.createProgram([file], COMPILER_OPTIONS(ts));
    const checker = program.getTypeChecker();
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
    const exported = checker.getExportsOfModule(moduleSymbol).map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s));
    const values = exported
      .filter((s) => s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class))
      .map((s) => s.name)
      .sort();
    // `start` is wasm-bindgen's export of the instantiation hook (`#[wasm_bindgen(start)]`),
    // which the module runs itself as it loads: not part of the contract.
    const runtime = Object.keys(module)
      .filter((name) => !name.startsWith('__') && name !== 'start')
      .sort();
    assert.deepEqual(values, runtime, 'the declared functions and classes are not what the module exports');
    for (const name of classes) {
      const symbol = exported.find((s) => s.name === name);
      const declared = checker
        .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))
        .filter((p) => !(ts.getCombinedModifierFlags(p.valueDeclaration) & ts.ModifierFlags.Private))
        .map((p) => p.name)
        .filter((n) => !n.startsWith('__@'))
        .sort();
      const members = Object.getOwnPropertyNames(module[name].prototype)
        .filter((n) => n !== 'constructor' && !n.startsWith('__'))
        .sort();
      assert.deepEqual(declared, members, `the declared members of ${name} are not the class's`);
    }
  });
}

test('real answers, audit records and inputs type-check against the declarations (strict)', (t) => {
  const ts = requireTypescript();
  const file = declarations(ts);
  const { checks, loginSuccess } = collect();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ag-contract-'));
  const source = path.join(dir, 'contract.ts');
  const { text, labels } = tsSource(file.replace(/\.d\.ts$/, ''), checks, loginSuccess);
  fs.writeFileSync(source, text);
  const program = ts.createProgram([source], COMPILER_OPTIONS(ts));
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const report = diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
    if (!d.file) return `TS${d.code}: ${message}`;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const where = d.file.fileName === source ? (labels[line] ?? `${source}:${line + 1}`) : `${d.file.fileName}:${line + 1}`;
    return `${where}\n  TS${d.code}: ${message}`;
  });
  if (report.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  t.diagnostic(`${checks.length} values checked`);
  assert.deepEqual(report, [], `the declarations do not describe the answers (${report.length} diagnostics; the checked file is kept at ${source}):\n${report.join('\n')}`);
});

// The runtime (js/) and the shims are type-checked against these declarations by
// `tsc --noEmit -p actions-js` in scripts/test, with the project's tsconfig.
