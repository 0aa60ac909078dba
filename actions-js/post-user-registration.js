// @ts-check
/**
 * ActionGuard post-user-registration Action: put a new user in the Auth0 Organization
 * that verified their email domain (with the roles its policy maps), invite an
 * unverified address, or send a proposed new organization to a person for approval.
 * Nothing is ever created here without that person.
 *
 * Dependencies: actionguard, auth0 (npm). Secrets: AUTH0_DOMAIN, AUTH0_CLIENT_ID,
 * AUTH0_CLIENT_SECRET (M2M with read:organizations, read:organization_discovery_domains,
 * read:organization_connections, create:organization_members,
 * create:organization_member_roles, create:organization_invitations), INVITATION_CLIENT_ID (the application invitations
 * open; without it none is sent), APPROVAL_WEBHOOK_URL and APPROVAL_WEBHOOK_SECRET,
 * ORGMAP_SNAPSHOT_URL and ORGMAP_SNAPSHOT_SHA256 (large tenants), POLICY (optional),
 * AUDIT_WEBHOOK_URL and AUDIT_WEBHOOK_SECRET (optional: where the full audit records go; the console keeps one line each).
 * This trigger runs after the user exists and cannot block sign-up: failures are audited.
 */

const auth0 = require('auth0');
const runtime = require('actionguard/runtime');

// Per Action instance (Auth0 reuses module scope): the engine and the organization index.
const getEngine = runtime.engineCache();
const discovery = require('actionguard/orgs').createDiscovery();

/**
 * @param {any} event Auth0's post-user-registration `event` (Auth0 publishes no types for it on npm).
 * @param {any} api Auth0's post-user-registration `api`.
 */
exports.onExecutePostUserRegistration = async (event, api) => {
  const audit = runtime.auditTrail(event, console);
  try {
    const guard = await getEngine(runtime.eventOrThrow(event).secrets);
    await discovery.run({ trigger: 'post-user-registration', audit, failure: { outcome: 'allow', fail_mode: true }, auth0, engine: guard, event, api });
  } catch (err) {
    runtime.applyFailMode('post-user-registration', 'allow', event, api, audit, err);
  }
  await audit.flush();
};
