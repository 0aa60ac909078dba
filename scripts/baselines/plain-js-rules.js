'use strict';
// Baseline for benchmarks: the same post-login rules as the ActionGuard core,
// written in plain JavaScript the way teams hand-write Actions today (no
// policy validation, no typed errors, no audit pseudonymisation). The benchmark
// checks it reaches the same outcome and score as the core before timing it.

const SIGNALS = {
  ImpossibleTravel: { impossible_travel_from_last_login: 0.8, substantial_travel_from_last_login: 0.25, anonymous_proxy: 0.4, invalid_travel: 0.2 },
  NewDevice: { no_match: 0.3, partial_match: 0.1 },
  UntrustedIP: { found_on_deny_list: 0.85, invalid_ip_address: 0.2 },
};
const CONFIDENCE = { low: 0.25, medium: 0.1 };
const POLICY = { challenge: 0.5, deny: 0.9, band: [0.4, 0.5], factors: ['webauthn-platform', 'webauthn-roaming', 'push-notification', 'otp'] };

function decide(ctx) {
  const ra = ctx.authentication && ctx.authentication.riskAssessment;
  const weights = [];
  if (ra && ra.assessments) {
    for (const name of Object.keys(SIGNALS)) {
      const code = ra.assessments[name] && ra.assessments[name].code;
      if (code in SIGNALS[name]) weights.push(SIGNALS[name][code]);
    }
  }
  if (ra && ra.confidence in CONFIDENCE) weights.push(CONFIDENCE[ra.confidence]);
  const score = Math.round((1 - weights.reduce((p, w) => p * (1 - w), 1)) * 10000) / 10000;
  let outcome = 'allow';
  if (score >= POLICY.deny) outcome = 'deny';
  else if (score >= POLICY.band[0] && score < POLICY.band[1]) outcome = 'challenge';
  else if (score >= POLICY.challenge) outcome = 'challenge';
  let factors;
  if (outcome === 'challenge') {
    const enrolled = ((ctx.user && ctx.user.enrolledFactors) || []).map((f) => f && f.type);
    factors = POLICY.factors.filter((f) => enrolled.includes(f));
  }
  return { outcome, score, factors };
}

module.exports = { decide };
