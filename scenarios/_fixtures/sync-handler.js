// Not a real async function: Auth0's loader rejects this handler, and so must ours.
exports.onExecutePostLogin = (event, api) => Promise.resolve(api.access.deny('never reached'));
