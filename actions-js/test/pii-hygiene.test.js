'use strict';
// Every bundled scenario, run as its file says, leaves no secret value, raw email
// address, name or IP address in any log line (audit records included) or in any
// request sent to the LLM.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { runScenario, loadScenario, scenarioFiles } = require('../harness/scenarios');
const { defaultEvent, fillDefaults } = require('../harness/events');

const DIR = path.resolve(__dirname, '../../scenarios');
// POLICY and LLM_MODEL are stored as secrets but are configuration (the model name is
// in every request to the LLM by design).
const NOT_SENSITIVE = new Set(['POLICY', 'LLM_MODEL']);

function needles(scenario) {
  const event = scenario.fill_defaults === false ? scenario.event : fillDefaults(defaultEvent(scenario.trigger), scenario.event || {});
  const out = [];
  const add = (v) => {
    if (typeof v === 'string' && v.length >= 6) out.push(v);
  };
  for (const [k, v] of Object.entries(scenario.secrets || {})) if (!NOT_SENSITIVE.has(k) && !/^https?:/.test(String(v)) && !k.endsWith('_DOMAIN')) add(v);
  if (event && typeof event === 'object') {
    add(event.user?.email);
    add(event.user?.name);
    add(event.request?.ip);
    add(event.user?.email?.split?.('@')[0]);
  }
  return out;
}

for (const file of scenarioFiles(DIR)) {
  const scenario = loadScenario(file);
  const found = needles(scenario);
  if (found.length === 0) continue;
  test(`no secret or PII in the logs: ${path.relative(DIR, file)}`, async () => {
    const { logs, llmRequests } = await runScenario(scenario);
    for (const needle of found) assert.ok(!logs.includes(needle), `${JSON.stringify(needle)} appears in the logs`);
    for (const { body } of llmRequests) {
      for (const needle of found) assert.ok(!body.includes(needle), `${JSON.stringify(needle)} was sent to the LLM`);
    }
  });
}
