#!/usr/bin/env node
'use strict';
// Replays simulated logins through the real engine (pkg/), user by user in
// time order, carrying each user's app_metadata history from one decision to
// the next exactly as the post-login Action does. A legitimate user who is
// challenged completes MFA (the next login's session shows it); an attacker
// never does. Writes one JSON line per login: the label, the engine's decision
// and scores, and the model's feature vector.
//
//   featurize.js <events.jsonl> <out.jsonl> [policy.json]

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const { Engine } = require(path.resolve(__dirname, '../../pkg'));

async function main() {
  const [input, output, policyFile] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: featurize.js <events.jsonl> <out.jsonl> [policy.json]\n');
    process.exit(2);
  }
  const policyText = policyFile ? fs.readFileSync(policyFile, 'utf8') : '{"version":1}';
  const engine = new Engine(policyFile ? policyText : undefined);
  // The same policy with LLM escalation on: which logins it would send (issue 6's
  // target: at most 2% of the traffic).
  const escalating = new Engine(JSON.stringify({ ...JSON.parse(policyText), llm: { enabled: true } }));
  const out = fs.createWriteStream(output);
  const state = new Map();
  let n = 0;
  const t0 = performance.now();
  for await (const line of readline.createInterface({ input: fs.createReadStream(input) })) {
    if (!line) continue;
    const e = JSON.parse(line);
    let s = state.get(e.user);
    if (!s) {
      // Streams are ordered by user: a new user means the previous one is done.
      state.clear();
      s = { history: undefined, mfaAt: undefined };
      state.set(e.user, s);
    }
    const ctx = e.context;
    ctx.history = s.history;
    if (s.mfaAt !== undefined) ctx.authentication.methods = [{ name: 'mfa', timestamp: new Date(s.mfaAt * 1000).toISOString() }];
    const d = engine.decideLogin(ctx);
    const x = engine.explainLogin(ctx);
    const escalated = Boolean(escalating.decideLogin({ ...ctx, llm: { available: true } }).escalation);
    if (d.type !== 'success' || x.type !== 'success') throw new Error(`engine failure on ${line}: ${JSON.stringify(d.errors || x.errors)}`);
    if (d.history) s.history = d.history;
    if (e.label === 0 && d.outcome === 'challenge') s.mfaAt = e.t + 30;
    out.write(
      `${JSON.stringify({
        user: e.user,
        split: e.split,
        kind: e.kind,
        label: e.label,
        t: e.t,
        outcome: d.outcome,
        score: d.score,
        rule_score: x.rule_score,
        model_score: x.model_score,
        floor: x.floor,
        signals: x.signals,
        x: x.vector,
        escalated,
      })}\n`,
    );
    n += 1;
  }
  await new Promise((r) => out.end(r));
  process.stderr.write(`featurized ${n} logins in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
