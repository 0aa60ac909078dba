'use strict';
// Baseline for benchmarks: the default tenant policy's post-login rules written as a
// Cedar policy set and evaluated by @cedar-policy/cedar-wasm, preparsed once, through
// its stateful API: one request for "may this login proceed" and one for "may it
// skip MFA". Cedar has no arithmetic on scores, so the noisy-OR of the core becomes
// the conditions it amounts to on Auth0's signals; scripts/bench checks the outcomes
// agree with the core's on its contexts before timing anything.

const path = require('node:path');

const POLICIES = `
forbid (principal, action == Action::"login", resource)
when { context.untrusted_ip == "found_on_deny_list" &&
       (context.travel == "impossible_travel_from_last_login" || context.confidence == "low") };
permit (principal, action == Action::"login", resource);
permit (principal, action == Action::"skip_mfa", resource)
unless { context.travel == "impossible_travel_from_last_login" ||
         context.untrusted_ip == "found_on_deny_list" ||
         (context.new_device == "no_match" && (context.travel == "substantial_travel_from_last_login" || context.confidence == "low")) };
`;
const FACTORS = ['webauthn-platform', 'webauthn-roaming', 'push-notification', 'otp'];

function create() {
  const cedar = require(path.join(__dirname, 'node_modules', '@cedar-policy', 'cedar-wasm', 'nodejs'));
  const parsed = cedar.preparsePolicySet('tenant', { staticPolicies: POLICIES });
  if (parsed.type !== 'success') throw new Error(`cedar: ${JSON.stringify(parsed.errors)}`);
  const ask = (action, principal, context) =>
    cedar.statefulIsAuthorized({
      principal,
      action: { type: 'Action', id: action },
      resource: { type: 'App', id: 'tenant' },
      context,
      entities: [],
      preparsedPolicySetId: 'tenant',
    });
  return {
    decide(ctx) {
      const a = ctx.authentication?.riskAssessment?.assessments || {};
      const context = {
        travel: a.ImpossibleTravel?.code || 'none',
        new_device: a.NewDevice?.code || 'none',
        untrusted_ip: a.UntrustedIP?.code || 'none',
        confidence: ctx.authentication?.riskAssessment?.confidence || 'none',
      };
      const principal = { type: 'User', id: String(ctx.user?.user_id || 'anonymous') };
      const login = ask('login', principal, context);
      if (login.type !== 'success') throw new Error(`cedar: ${JSON.stringify(login.errors)}`);
      if (login.response.decision !== 'allow') return { outcome: 'deny' };
      const skip = ask('skip_mfa', principal, context);
      if (skip.response.decision === 'allow') return { outcome: 'allow' };
      const enrolled = (ctx.user?.enrolledFactors || []).map((f) => f?.type);
      return { outcome: 'challenge', factors: FACTORS.filter((f) => enrolled.includes(f)) };
    },
  };
}

module.exports = { create };
