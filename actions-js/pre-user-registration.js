// @ts-check
/**
 * ActionGuard pre-user-registration Action: refuse sign-ups that break the tenant's
 * rules (disposable, free-mail or blocked domains, denied networks or countries)
 * or look like bots (bursts per address, network or domain; automation from hosting
 * networks), with a message the person understands.
 *
 * Dependency: actionguard (npm). Secrets: POLICY (optional policy JSON), COUNTER_KEY (keys the
 * sign-up counters; without it they are keyed per instance), AUDIT_WEBHOOK_URL and
 * AUDIT_WEBHOOK_SECRET (optional: where the full audit records go; the console keeps one line each),
 * THREAT_FEED_URL, THREAT_FEED_PUBLIC_KEY and THREAT_FEED_TOKEN (optional: the control plane's threat feed).
 * State: sign-up counters, one api.cache value (Auth0 keeps it per trigger, best effort).
 * Fail mode: a sign-up has no MFA to fall back on, so fail_mode `allow` lets it through
 * and `challenge` or `deny` refuses it with a "try again later" message.
 */

const runtime = require('actionguard/runtime');
const threat = require('actionguard/threat');

/** @typedef {import('actionguard').SignupSuccess} SignupSuccess */

// One engine and one threat feed per Action instance: Auth0 reuses module scope.
const getEngine = runtime.engineCache();
const threatFeed = threat.createThreatFeed();

/**
 * @param {any} event Auth0's pre-user-registration `event` (Auth0 publishes no types for it on npm).
 * @param {any} api Auth0's pre-user-registration `api`.
 */
exports.onExecutePreUserRegistration = async (event, api) => {
  const audit = runtime.auditTrail(event, console);
  let failMode = runtime.failModeOf(event);
  try {
    const guard = await getEngine(runtime.eventOrThrow(event).secrets);
    failMode = guard.failMode;
    const countersKey = guard.cacheKeys.signup_counters;
    // Never rejects: without a usable feed the sign-up is decided without it, and audited so.
    const feed = await threatFeed.forExecution(guard, event);
    /** @type {SignupSuccess} */
    const answer = runtime.orThrow(
      feed.decideSignup({
        tenant: event.tenant,
        user: { email: event.user?.email },
        connection: { name: event.connection?.name },
        request: event.request && { ip: event.request.ip, asn: event.request.asn, user_agent: event.request.user_agent, geoip: event.request.geoip },
        counters: api.cache.get(countersKey)?.value,
        // COUNTER_KEY (or AUTH0_CLIENT_SECRET, or this instance's key): the core keys the counters with it.
        counter_secrets: runtime.counterSecrets(event.secrets),
        now_ms: Date.now(),
      }),
    );

    audit.log(answer);
    // A write that does not hold (a full cache) only makes the next count low: never a
    // reason to refuse a sign-up, but audited.
    if (answer.counters) runtime.reportUnstored('pre-user-registration', event, audit, runtime.applyCache(api, [answer.counters]));
    if (answer.outcome === 'deny') api.access.deny(answer.deny_reason, answer.user_message);
  } catch (err) {
    runtime.applyFailMode('pre-user-registration', failMode, event, api, audit, err);
  }
  await audit.flush();
};
