/**
 * ActionGuard credentials-exchange Action: issue machine-to-machine tokens only to
 * clients asking from their allowed networks, for their allowed APIs, within their
 * scope cap (policy `m2m.clients`), and never from the tenant's denied networks.
 *
 * Dependency: actionguard (npm). Secrets: POLICY (optional policy JSON).
 * Fail mode: fail_mode `allow` issues the token; `challenge` or `deny` refuses it
 * with `server_error` (a machine cannot answer a challenge).
 */

let actionguard;
let loadError;
try {
  actionguard = require('actionguard');
} catch (err) {
  loadError = err;
}

let engine;
let engineFor;
function getEngine(policy) {
  if (!engine || engineFor !== policy) {
    engine = new actionguard.Engine(policy);
    engineFor = policy;
  }
  return engine;
}

exports.onExecuteCredentialsExchange = async (event, api) => {
  let failMode = 'challenge';
  try {
    if (loadError) throw Object.assign(new Error('actionguard failed to load'), { code: 'load_failed', cause: loadError });
    const guard = getEngine(event.secrets?.POLICY);
    failMode = guard.failMode;
    const answer = guard.decideCredentials({
      tenant: event.tenant,
      client: { client_id: event.client?.client_id },
      request: event.request && { ip: event.request.ip, geoip: event.request.geoip },
      accessToken: { scope: event.accessToken?.scope },
      transaction: { requested_scopes: event.transaction?.requested_scopes },
      resource_server: { identifier: event.resource_server?.identifier },
      now_ms: Date.now(),
    });
    if (answer.type !== 'success') throw Object.assign(new Error(answer.errors[0].message), answer.errors[0]);

    console.log(answer.audit);
    if (answer.outcome === 'deny') api.access.deny(answer.deny_code, answer.deny_reason);
  } catch (err) {
    console.log(JSON.stringify({
      actionguard_audit: 1, trigger: 'credentials-exchange', tenant: typeof event?.tenant?.id === 'string' ? event.tenant.id : null,
      outcome: failMode === 'allow' ? 'allow' : 'deny', fail_mode: true, error: { code: err?.code || 'internal', path: err?.path || null },
    }));
    if (failMode !== 'allow') api.access.deny('server_error', 'The token service is temporarily unavailable. Retry later.');
  }
};
