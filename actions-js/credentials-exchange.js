// @ts-check
/**
 * ActionGuard credentials-exchange Action: issue machine-to-machine tokens only to
 * clients asking from their allowed networks, for their allowed APIs, within their
 * scope cap (policy `m2m.clients`), and never from the tenant's denied networks.
 *
 * Dependency: actionguard (npm). Secrets: POLICY (optional policy JSON), AUDIT_WEBHOOK_URL
 * and AUDIT_WEBHOOK_SECRET (optional: where the full audit records go; the console keeps one line each).
 * Fail mode: fail_mode `allow` issues the token; `challenge` or `deny` refuses it
 * with `server_error` (a machine cannot answer a challenge).
 */

const runtime = require('actionguard/runtime');

/** @typedef {import('actionguard').CredentialsSuccess} CredentialsSuccess */

// One engine per Action instance: Auth0 reuses module scope.
const getEngine = runtime.engineCache();

/**
 * @param {any} event Auth0's credentials-exchange `event` (Auth0 publishes no types for it on npm).
 * @param {any} api Auth0's credentials-exchange `api`.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  const audit = runtime.auditTrail(event, console);
  let failMode = runtime.failModeOf(event);
  try {
    const guard = await getEngine(runtime.eventOrThrow(event).secrets);
    failMode = guard.failMode;
    /** @type {CredentialsSuccess} */
    const answer = runtime.orThrow(
      guard.decideCredentials({
        tenant: event.tenant,
        client: { client_id: event.client?.client_id },
        request: event.request && { ip: event.request.ip, geoip: event.request.geoip },
        accessToken: { scope: event.accessToken?.scope },
        transaction: { requested_scopes: event.transaction?.requested_scopes },
        resource_server: { identifier: event.resource_server?.identifier },
        now_ms: Date.now(),
      }),
    );

    audit.log(answer);
    if (answer.outcome === 'deny') api.access.deny(answer.deny_code, answer.deny_reason);
  } catch (err) {
    runtime.applyFailMode('credentials-exchange', failMode, event, api, audit, err);
  }
  await audit.flush();
};
