#!/usr/bin/env node
'use strict';
// The simulator's organizations as classification sees them, for measuring
// `actionguard orgs classify` (the share the rules leave to the LLM, and how often the
// rules' label is the planted one):
//
//   node scripts/sim/orgs.js [--seed 1] [--size medium] [--out orgs.json] [--policy file]
//
// The organizations are the log stream simulator's (scripts/sim/logstream.js: names,
// sizes, enterprise connections, the same seed); what it does not model is planted here,
// from a PRNG of the same seed, and labelled (`truth`). Assumptions (knobs below; none is
// a measurement of a real tenant):
// - 8% of the simulator's organizations are partners (resellers, MSPs); 25% of the others
//   are trials; the rest are paying customers (`enterprise`). Three organizations of the
//   tenant's own staff (`internal`) are added, on its domain `actionguard-sim.example`.
// - Customers: their enterprise connection is the simulator's (half of them have one);
//   85% verified their domain (10% pending, 5% none); a billing integration wrote their
//   plan into metadata for 75% of them, 10% of those in words the rules do not know
//   (`gold`, `tier-2`, `Pro`); 45 to 1200 days old; 60% to 95% of members active.
// - Trials: the evaluating team (1 to 8 members), 85% with the plan the sign-up flow
//   wrote (`trial`, `free_trial`, `poc`...), 1 to 29 days old (15%: 30 to 60, extended);
//   20% try single sign-on during the proof of concept; 15% verified a domain.
// - Partners: 90% with `account_type` partner, reseller or MSP from the partner
//   programme; 30% with single sign-on of their own; 5 to 40 members; 200 to 1500 days.
// - Internal: verified domains under the tenant's own; one sandbox says `plan: trial`.

const fs = require('node:fs');
const path = require('node:path');
const { simulatedTenant, makeRng } = require('./logstream.js');

const DAY = 86_400_000;
/** The simulation's "now" (the log stream's start). */
const NOW = Date.parse('2026-11-02T00:00:00.000Z');
const INTERNAL_DOMAIN = 'actionguard-sim.example';

/** The policy the measurement runs with: the defaults, the tenant's domain, a tier per label. */
const POLICY = {
  version: 1,
  tiers: { regulated: { mfa: { mode: 'always' } }, trial: {}, partners: {}, staff: {} },
  governance: { classify: { internal_domains: [INTERNAL_DOMAIN], tiers: { enterprise: 'regulated', trial: 'trial', partner: 'partners', internal: 'staff' } } },
};

/**
 * @param {{ seed?: number, size?: string }} [options]
 * @returns {{ organization: any, truth: string }[]}
 */
function simulatedOrganizations({ seed = 1, size = 'medium' } = {}) {
  const tenant = simulatedTenant({ seed, size: /** @type {any} */ (size) });
  const rng = makeRng(seed).fork('classify-orgs');
  const between = (/** @type {number} */ a, /** @type {number} */ b) => a + Math.floor(rng.next() * (b - a + 1));
  const chance = (/** @type {number} */ p) => rng.next() < p;
  const pick = (/** @type {any[]} */ xs) => xs[Math.floor(rng.next() * xs.length)];
  const ago = (/** @type {number} */ days) => NOW - days * DAY;
  /** @type {{ organization: any, truth: string }[]} */
  const out = [];
  for (const org of tenant.orgs) {
    const sso = org.connection.type === 'enterprise' ? [{ name: org.connection.name, strategy: org.connection.strategy }] : [];
    const db = [{ name: 'Username-Password-Authentication', strategy: 'auth0' }];
    const truth = chance(0.08) ? 'partner' : chance(0.25) ? 'trial' : 'enterprise';
    /** @type {any} */
    const o = { id: org.id, name: org.name, metadata: {}, domains: [], enabled_connections: [...db], members: org.employees, activity: {} };
    const domain = (/** @type {number} */ verified, /** @type {number} */ pending) => {
      const r = rng.next();
      if (r < verified) o.domains.push({ domain: org.domain, status: 'verified' });
      else if (r < verified + pending) o.domains.push({ domain: org.domain, status: 'pending' });
    };
    const active = (/** @type {number} */ lo, /** @type {number} */ hi, /** @type {number} */ firstSeen) => {
      const users = Math.round(o.members * (lo + rng.next() * (hi - lo)));
      o.activity = { logins_30d: users * between(8, 25), active_users_30d: users, failed_30d: Math.round(users * 0.4), first_seen_ms: ago(firstSeen), last_seen_ms: ago(0) };
    };
    if (truth === 'enterprise') {
      o.enabled_connections.push(...sso);
      domain(0.85, 0.1);
      if (chance(0.75)) o.metadata.plan = chance(0.1) ? pick(['gold', 'tier-2', 'Pro']) : pick(['enterprise', 'Business', 'premium', 'enterprise_annual', 'Enterprise Plus']);
      active(0.6, 0.95, between(45, 1200));
    } else if (truth === 'trial') {
      o.members = between(1, 8);
      if (chance(0.2)) o.enabled_connections.push(...sso);
      domain(0.15, 0.4);
      if (chance(0.85)) o.metadata[pick(['plan', 'subscription', 'plan_type'])] = pick(['trial', 'free_trial', 'Trial', 'poc', 'evaluation']);
      active(0.5, 1, chance(0.85) ? between(1, 29) : between(30, 60));
    } else {
      o.members = between(5, 40);
      if (chance(0.3)) o.enabled_connections.push(...sso);
      domain(0.7, 0.1);
      if (chance(0.9)) o.metadata.account_type = pick(['partner', 'Reseller', 'MSP', 'channel partner']);
      active(0.4, 0.9, between(200, 1500));
    }
    out.push({ organization: o, truth });
  }
  const staff = [
    { id: 'org_staff', name: 'actionguard-staff', domains: [INTERNAL_DOMAIN], members: 45, metadata: {} },
    { id: 'org_support', name: 'actionguard-support', domains: [`support.${INTERNAL_DOMAIN}`], members: 12, metadata: {} },
    { id: 'org_sandbox', name: 'actionguard-sandbox', domains: [`sandbox.${INTERNAL_DOMAIN}`], members: 4, metadata: { plan: 'trial' } },
  ];
  for (const s of staff) {
    out.push({
      truth: 'internal',
      organization: {
        id: s.id,
        name: s.name,
        metadata: s.metadata,
        domains: s.domains.map((d) => ({ domain: d, status: 'verified' })),
        enabled_connections: [{ name: 'staff-google', strategy: 'google-apps' }],
        members: s.members,
        activity: { logins_30d: s.members * 20, active_users_30d: s.members, failed_30d: 3, first_seen_ms: ago(900), last_seen_ms: ago(0) },
      },
    });
  }
  return out;
}

/**
 * Classifies the simulated organizations with the core; the share ambiguous (what
 * would be escalated with the LLM on) and the rules' accuracy against the truth.
 * @param {{ seed?: number, size?: string, policy?: string }} [options]
 */
function measure({ seed = 1, size = 'medium', policy = JSON.stringify(POLICY) } = {}) {
  const actionguard = require(path.resolve(__dirname, '../../pkg/control-plane.js'));
  const orgs = simulatedOrganizations({ seed, size });
  const answer = /** @type {any} */ (actionguard.classifyOrganizations({ policy, now_ms: NOW, organizations: orgs.map((o) => o.organization) }));
  if (answer.type !== 'success') throw new Error(answer.errors[0].message);
  const truth = new Map(orgs.map((o) => [o.organization.id, o.truth]));
  /** @type {Record<string, { n: number, ambiguous: number, right: number, wrong: number }>} */
  const byTruth = {};
  for (const r of answer.results) {
    const t = /** @type {string} */ (truth.get(r.organization_id));
    byTruth[t] = byTruth[t] ?? { n: 0, ambiguous: 0, right: 0, wrong: 0 };
    const row = byTruth[t];
    row.n += 1;
    if (r.ambiguous) row.ambiguous += 1;
    else if (r.label === t) row.right += 1;
    else row.wrong += 1;
  }
  const decided = answer.results.filter((/** @type {any} */ r) => !r.ambiguous);
  const right = decided.filter((/** @type {any} */ r) => r.label === truth.get(r.organization_id)).length;
  return {
    organizations: answer.summary.organizations,
    ambiguous: answer.summary.ambiguous,
    ambiguous_share: answer.summary.ambiguous_share,
    decided_accuracy: decided.length ? Math.round((right / decided.length) * 10_000) / 10_000 : 0,
    by_truth: byTruth,
    labels: answer.summary.labels,
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (/** @type {string} */ name, /** @type {string} */ d) => {
    const i = args.indexOf(name);
    return i < 0 ? d : args[i + 1];
  };
  const seed = Number(opt('--seed', '1'));
  const size = opt('--size', 'medium');
  const out = opt('--out', '');
  if (out) fs.writeFileSync(path.resolve(out), `${JSON.stringify(simulatedOrganizations({ seed, size }), null, 1)}\n`);
  const policyFile = opt('--policy', '');
  process.stdout.write(`${JSON.stringify(measure({ seed, size, ...(policyFile ? { policy: fs.readFileSync(policyFile, 'utf8') } : {}) }), null, 2)}\n`);
}

module.exports = { simulatedOrganizations, measure, POLICY, NOW };
