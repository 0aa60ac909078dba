/**
 * ActionGuard post-user-registration Action: put a new user in the Auth0 Organization
 * that verified their email domain (with the roles its policy maps), invite an
 * unverified address, or send a proposed new organization to a person for approval.
 * Nothing is ever created here without that person.
 *
 * Dependencies: actionguard, auth0 (npm). Secrets: AUTH0_DOMAIN, AUTH0_CLIENT_ID,
 * AUTH0_CLIENT_SECRET (M2M with read:organizations, read:organization_discovery_domains,
 * create:organization_members, create:organization_member_roles,
 * create:organization_invitations), INVITATION_CLIENT_ID (the application invitations
 * open; without it none is sent), APPROVAL_WEBHOOK_URL and APPROVAL_WEBHOOK_SECRET,
 * ORGMAP_SNAPSHOT_URL and ORGMAP_SNAPSHOT_SHA256 (large tenants), POLICY (optional).
 * This trigger runs after the user exists and cannot block sign-up: failures are audited.
 */

let actionguard;
let discovery;
let auth0;
let loadError;
try {
  actionguard = require('actionguard');
  discovery = require('actionguard/orgs').createDiscovery();
  auth0 = require('auth0');
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

exports.onExecutePostUserRegistration = async (event, api) => {
  const tenant = typeof event?.tenant?.id === 'string' ? event.tenant.id : null;
  try {
    if (loadError) throw Object.assign(new Error('actionguard failed to load'), { code: 'load_failed' });
    const { decision, approval } = await discovery.discover({ auth0, engine: getEngine(event.secrets?.POLICY), event, api });
    console.log(decision.audit);
    if (approval) console.log(JSON.stringify({ actionguard_audit: 1, trigger: 'post-user-registration', tenant, approval }));
  } catch (err) {
    if (err?.decision) console.log(err.decision.audit);
    // Error messages may quote input or the Management API's answer: code and status only.
    console.log(JSON.stringify({
      actionguard_audit: 1, trigger: 'post-user-registration', tenant,
      outcome: 'allow', fail_mode: true, error: { code: err?.code || 'internal', path: err?.path || null, status: err?.statusCode ?? null },
    }));
  }
};
