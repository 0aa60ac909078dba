// @ts-check
/**
 * ActionGuard post-login Action: allow, ask for MFA, or deny each login, with reasons.
 *
 * The decision is made by the ActionGuard core (WebAssembly); this file only builds
 * its input from `event` and applies its answer through `api`.
 *
 * Dependency: actionguard (npm); auth0 (optional, for organization discovery). Secrets:
 * POLICY (optional), AUDIT_WEBHOOK_URL and AUDIT_WEBHOOK_SECRET, LLM_BASE_URL, LLM_API_KEY
 * and LLM_MODEL (optional), AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (optional:
 * discovery for users who existed before ActionGuard), ORG_LAYERS_KEY (with the policy's
 * `organizations.unsigned_tier`: verifies organizations' signed layers), THREAT_FEED_URL, THREAT_FEED_PUBLIC_KEY and
 * THREAT_FEED_TOKEN (optional: the control plane's threat feed); docs/operations.md lists them all.
 * State: the user's login history (app_metadata.actionguard) and discovery marker
 * (app_metadata.actionguard_org). Fail mode: the policy's `fail_mode`, `challenge` by default.
 */

const runtime = require('actionguard/runtime');
const llm = require('actionguard/llm');
const threat = require('actionguard/threat');

/** @typedef {import('actionguard').LoginSuccess} LoginSuccess */

// One engine and one threat feed per Action instance: Auth0 reuses module scope.
const getEngine = runtime.engineCache();
const threatFeed = threat.createThreatFeed();

// Optional: without the auth0 dependency this Action does no discovery.
/** @type {any} The `auth0` SDK module, when installed. */
let auth0;
/** @type {import('actionguard/orgs').Discovery | undefined} */
let discovery;
try {
  auth0 = require('auth0');
  discovery = require('actionguard/orgs').createDiscovery();
} catch {
  discovery = undefined;
}
// Discovery never holds a login longer than this, whatever the Management API does.
const DISCOVERY_BUDGET_MS = 4000;

/**
 * @param {any} event Auth0's post-login `event` (Auth0 publishes no types for it on npm).
 * @param {any} api Auth0's post-login `api`.
 */
exports.onExecutePostLogin = async (event, api) => {
  const audit = runtime.auditTrail(event, console);
  let failMode = runtime.failModeOf(event);
  try {
    const guard = await getEngine(runtime.eventOrThrow(event).secrets);
    // The organization's layers may set their own (a regulated tier: deny), and it must
    // hold even when the rest of the event is too malformed to decide.
    // With signed layers (`organizations.unsigned_tier`), their id and ORG_LAYERS_KEY say whether
    // the metadata's layers count; whatever their types, this never throws.
    failMode = guard.failModeFor(event.organization?.metadata, event.organization?.id, event.secrets?.ORG_LAYERS_KEY);
    // Never rejects: without a usable feed the login is decided without it, and audited so.
    const feed = await threatFeed.forExecution(guard, event);
    /** @type {LoginSuccess & import('actionguard/llm').Unstored} */
    const answer = await llm.decideEscalating(
      guard,
      (context) => feed.decideLogin(context),
      {
        tenant: event.tenant,
        organization: event.organization,
        stats: event.stats,
        user: { user_id: event.user?.user_id, email: event.user?.email, email_verified: event.user?.email_verified, enrolledFactors: event.user?.enrolledFactors },
        request: event.request && { ip: event.request.ip, asn: event.request.asn, user_agent: event.request.user_agent, geoip: event.request.geoip },
        authentication: { riskAssessment: event.authentication?.riskAssessment, methods: event.authentication?.methods },
        history: event.user?.app_metadata?.actionguard,
        transaction: { protocol: event.transaction?.protocol },
        session: { id: event.session?.id },
        // The marker as text: whatever was left there is the core's to read, and never fails the context.
        discovery: { available: Boolean(discovery && event.secrets?.AUTH0_DOMAIN), marker: JSON.stringify(event.user?.app_metadata?.actionguard_org) },
        now_ms: Date.now(),
        // Verifies the organization's `ag_sig`; the core neither logs nor audits it.
        organization_layers_key: event.secrets?.ORG_LAYERS_KEY,
      },
      event.secrets,
      api,
    );

    audit.log(answer);
    runtime.reportUnstored('post-login', event, audit, answer.cache_unstored ?? []);
    if (answer.history) api.user.setAppMetadata('actionguard', answer.history);
    if (answer.outcome === 'deny') api.access.deny(answer.deny_reason);
    if (answer.mfa?.kind === 'challenge') api.authentication.challengeWithAny(answer.mfa.factors.map((type) => ({ type })));
    if (answer.mfa?.kind === 'enroll') api.multifactor.enable('any', { allowRememberBrowser: false });
    for (const claim of answer.claims) api.idToken.setCustomClaim(claim.name, claim.value);
    if (answer.discovery) {
      await discovery.run({
        trigger: 'post-login',
        audit,
        failure: { discovery_failed: true },
        budgetMs: DISCOVERY_BUDGET_MS,
        remember: true,
        auth0,
        engine: guard,
        event,
        api,
        memberships: true,
        completeJoin: answer.discovery.complete_join,
      });
    }
  } catch (err) {
    runtime.applyFailMode('post-login', failMode, event, api, audit, err);
  }
  await audit.flush();
};
