/**
 * ActionGuard post-login Action: allow, ask for MFA, or deny each login, with reasons.
 *
 * The decision is made by the ActionGuard core (WebAssembly); this file only builds
 * its input from `event` and applies its answer through `api`.
 *
 * Dependency: actionguard (npm). Secrets: POLICY (optional policy JSON; without it the
 * embedded default applies), AUDIT_WEBHOOK_URL and AUDIT_WEBHOOK_SECRET (optional copy
 * of the audit lines, posted within 300 ms), LLM_BASE_URL, LLM_API_KEY and LLM_MODEL
 * (optional: an ambiguous login the policy escalates goes to this OpenAI-compatible
 * endpoint, within the policy's budget; the core writes what is sent). State: the user's login history, in app_metadata.actionguard.
 * Organization discovery for users who existed before ActionGuard (new users get it at
 * registration) runs once per user when the auth0 dependency and the AUTH0_* secrets are
 * there (see post-user-registration.js); it never changes the login's outcome.
 * Fail mode: if ActionGuard cannot decide (it failed to load, or the event is malformed),
 * the policy's `fail_mode` applies, `challenge` by default.
 */

const shim = require('actionguard/shim');
const llm = require('actionguard/llm');

// One engine per Action instance: Auth0 reuses module scope.
const getEngine = shim.engineCache();

// Optional: without the auth0 dependency this Action simply does no discovery.
let auth0;
let discovery;
try {
  auth0 = require('auth0');
  discovery = require('actionguard/orgs').createDiscovery();
} catch {
  discovery = undefined;
}
const RECHECK_MS = 30 * 24 * 3600 * 1000;
// Discovery never holds a login longer than this, whatever the Management API does.
const DISCOVERY_BUDGET_MS = 4000;

exports.onExecutePostLogin = async (event, api) => {
  const audit = shim.auditTrail(event, console);
  let failMode = shim.failModeOf(event);
  try {
    const guard = await getEngine(shim.eventOrThrow(event).secrets);
    failMode = guard.failMode;
    const answer = await llm.decideEscalating((context) => guard.decideLogin(context), {
      tenant: event.tenant,
      organization: event.organization,
      stats: event.stats,
      user: { user_id: event.user?.user_id, email: event.user?.email, enrolledFactors: event.user?.enrolledFactors },
      request: event.request && { ip: event.request.ip, asn: event.request.asn, user_agent: event.request.user_agent, geoip: event.request.geoip },
      authentication: { riskAssessment: event.authentication?.riskAssessment, methods: event.authentication?.methods },
      history: event.user?.app_metadata?.actionguard,
      now_ms: Date.now(),
    }, event.secrets, api);

    audit.log(answer.audit);
    if (answer.history) api.user.setAppMetadata('actionguard', answer.history);
    if (answer.outcome === 'deny') {
      api.access.deny(answer.deny_reason);
    } else {
      if (answer.mfa?.kind === 'challenge') api.authentication.challengeWithAny(answer.mfa.factors.map((type) => ({ type })));
      if (answer.mfa?.kind === 'enroll') api.multifactor.enable('any', { allowRememberBrowser: false });
      for (const claim of answer.claims) api.idToken.setCustomClaim(claim.name, claim.value);
      await discoverOnce(event, api, guard, audit);
    }
  } catch (err) {
    audit.log(shim.failureLine('post-login', event, err, { outcome: failMode, fail_mode: true }));
    if (failMode === 'deny') api.access.deny('actionguard_unavailable: access denied by security policy');
    if (failMode === 'challenge') api.multifactor.enable('any', { allowRememberBrowser: false });
  }
  await audit.flush();
};

async function discoverOnce(event, api, guard, audit) {
  const marker = event.user?.app_metadata?.actionguard_org;
  if (!discovery || !event.secrets?.AUTH0_DOMAIN || event.organization || Date.now() - Date.parse(marker?.at) < RECHECK_MS) return;
  let timer;
  const budget = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('organization discovery exceeded its budget'), { code: 'budget_exceeded' })), DISCOVERY_BUDGET_MS);
  });
  try {
    // A first login after a registration whose join lost its roles completes it; members
    // from before ActionGuard keep the roles their admins gave them.
    const firstLogin = !marker && (event.stats?.logins_count ?? 0) <= 1;
    const work = discovery.discover({ auth0, engine: guard, event, api, memberships: true, completeJoin: firstLogin });
    work.catch(() => {}); // settled later when the budget wins; its writes are idempotent
    const { decision, effect } = await Promise.race([work, budget]);
    audit.log(decision.audit);
    if (effect) audit.log(shim.auditLine('post-login', event, { effect }));
    const suggested = decision.action === 'suggest' ? { suggested: decision.candidates.map((c) => c.id) } : {};
    api.user.setAppMetadata('actionguard_org', { action: decision.action, ...suggested, at: new Date().toISOString() });
  } catch (err) {
    if (err?.decision) audit.log(err.decision.audit);
    audit.log(shim.failureLine('post-login', event, err, { discovery_failed: true }));
  } finally {
    clearTimeout(timer);
  }
}
