#!/usr/bin/env node
'use strict';
// Seed corpora for the cargo-fuzz targets (fuzz/corpus/<target>/), from the inputs
// the project already documents: golden cases, scenario events, example policies,
// tenant fixtures, and answers an LLM gives. libFuzzer mutates from these.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'fuzz', 'corpus');
const { scenarioFiles, loadScenario } = require(path.join(ROOT, 'actions-js/harness/scenarios'));
const { defaultEvent, fillDefaults } = require(path.join(ROOT, 'actions-js/harness/events'));

const seeds = {};
const add = (target, value) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return;
  // biome-ignore lint/suspicious/noAssignInExpressions: get-or-create, on purpose
  (seeds[target] ||= new Set()).add(text);
};

for (const f of fs.readdirSync(path.join(ROOT, 'tests/golden'))) {
  const c = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/golden', f), 'utf8'));
  const trigger = c.trigger || 'post-login';
  const target = { 'post-login': 'login', 'pre-user-registration': 'signup', 'credentials-exchange': 'credentials' }[trigger];
  if (target && c.context !== undefined) add(target, c.context);
  if (c.policy) add('policy', c.policy);
  if (c.context?.history) add('history', c.context.history);
  if (c.context?.counters) add('history', c.context.counters);
  if (c.context?.llm?.response) add('llm_answer', c.context.llm.response);
  if (c.context?.organization?.metadata) add('org_override', Object.values(c.context.organization.metadata).join('\xff'));
}
for (const file of scenarioFiles(path.join(ROOT, 'scenarios'))) {
  const s = loadScenario(file);
  const event = s.fill_defaults === false ? s.event : fillDefaults(defaultEvent(s.trigger), s.event || {});
  if (!event || typeof event !== 'object') continue;
  const target = { 'post-login': 'login', 'pre-user-registration': 'signup', 'credentials-exchange': 'credentials' }[s.trigger];
  if (target)
    add(target, {
      tenant: event.tenant,
      user: event.user,
      request: event.request,
      authentication: event.authentication,
      organization: event.organization,
      stats: event.stats,
      client: event.client,
      accessToken: event.accessToken,
      now_ms: 1.8e12,
    });
  if (s.secrets?.POLICY) add('policy', s.secrets.POLICY);
  if (event.user?.email) add('email', event.user.email);
  if (s.tenant?.organizations) add('org_records', s.tenant.organizations);
}
for (const f of ['examples/policy.json', 'examples/override-acme.json']) add('policy', fs.readFileSync(path.join(ROOT, f), 'utf8'));
add('org_override', 'regulated\xffmfa.mode=always;thresholds.challenge=0.3\xff\xff\xffacme.com,acme.co.uk');
for (const e of ['sam@acme.com', 'Sam+x@ACME.COM.', 'j@xn--bcher-kva.example', 'jürgen@bücher.example', 'a@b.co.uk', 'a@co.uk', 'x@mailinator.com', 'x@gmail.com']) add('email', e);
const answer = (content, finish = 'stop') => JSON.stringify({ choices: [{ message: { role: 'assistant', content }, finish_reason: finish }] });
for (const d of ['allow', 'challenge', 'deny', 'candidate_1', 'none']) add('llm_answer', answer(JSON.stringify({ decision: d, confidence: 0.9, rationale: 'r' })));
add('llm_answer', answer('{"decision":"allow"', 'length'));
add('history', { v: 1, places: [], devices: [], logins: [] });

let total = 0;
for (const [target, set] of Object.entries(seeds)) {
  const dir = path.join(OUT, target);
  fs.mkdirSync(dir, { recursive: true });
  for (const text of set) {
    const bytes = Buffer.from(text, 'latin1').length === text.length && text.includes('\xff') ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
    fs.writeFileSync(path.join(dir, `seed-${crypto.createHash('sha1').update(bytes).digest('hex').slice(0, 16)}`), bytes);
    total += 1;
  }
}
process.stdout.write(`[fuzz] ${total} seeds in ${Object.keys(seeds).length} corpora\n`);
