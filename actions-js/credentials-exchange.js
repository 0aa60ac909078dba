/**
 * ActionGuard credentials-exchange Action: issue machine-to-machine tokens only to
 * clients asking from their allowed networks, for their allowed APIs, within their
 * scope cap (policy `m2m.clients`), and never from the tenant's denied networks.
 *
 * Dependency: actionguard (npm). Secrets: POLICY (optional policy JSON), AUDIT_WEBHOOK_URL
 * and AUDIT_WEBHOOK_SECRET (optional copy of the audit lines).
 * Fail mode: fail_mode `allow` issues the token; `challenge` or `deny` refuses it
 * with `server_error` (a machine cannot answer a challenge).
 */

const shim = require('actionguard/shim');

// One engine per Action instance: Auth0 reuses module scope.
const getEngine = shim.engineCache();

exports.onExecuteCredentialsExchange = async (event, api) => {
  const audit = shim.auditTrail(event, console);
  let failMode = shim.failModeOf(event);
  try {
    const guard = await getEngine(shim.eventOrThrow(event).secrets);
    failMode = guard.failMode;
    const answer = shim.orThrow(guard.decideCredentials({
      tenant: event.tenant,
      client: { client_id: event.client?.client_id },
      request: event.request && { ip: event.request.ip, geoip: event.request.geoip },
      accessToken: { scope: event.accessToken?.scope },
      transaction: { requested_scopes: event.transaction?.requested_scopes },
      resource_server: { identifier: event.resource_server?.identifier },
      now_ms: Date.now(),
    }));

    audit.log(answer.audit);
    if (answer.outcome === 'deny') api.access.deny(answer.deny_code, answer.deny_reason);
  } catch (err) {
    const outcome = failMode === 'allow' ? 'allow' : 'deny';
    audit.log(shim.failureLine('credentials-exchange', event, err, { outcome, fail_mode: true }));
    if (outcome === 'deny') api.access.deny('server_error', 'The token service is temporarily unavailable. Retry later.');
  }
  await audit.flush();
};
