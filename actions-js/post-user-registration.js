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
 * ORGMAP_SNAPSHOT_URL and ORGMAP_SNAPSHOT_SHA256 (large tenants), POLICY (optional),
 * AUDIT_WEBHOOK_URL and AUDIT_WEBHOOK_SECRET (optional copy of the audit lines).
 * This trigger runs after the user exists and cannot block sign-up: failures are audited.
 */

const auth0 = require('auth0');
const shim = require('actionguard/shim');

// Per Action instance (Auth0 reuses module scope): the engine and the organization index.
const getEngine = shim.engineCache();
const discovery = require('actionguard/orgs').createDiscovery();

exports.onExecutePostUserRegistration = async (event, api) => {
  const audit = shim.auditTrail(event, console);
  try {
    const { decision, effect } = await discovery.discover({ auth0, engine: await getEngine(shim.eventOrThrow(event).secrets), event, api });
    audit.log(decision.audit);
    if (effect) audit.log(shim.auditLine('post-user-registration', event, { effect }));
  } catch (err) {
    if (err?.decision) audit.log(err.decision.audit);
    audit.log(shim.failureLine('post-user-registration', event, err, { outcome: 'allow', fail_mode: true }));
  }
  await audit.flush();
};
