//! Why a login failed, in three groups an operator acts on differently:
//! - `user_error`: the person (wrong password `fp`, unknown user `fu`, a blocked
//!   account, an unfinished MFA): support and UX;
//! - `integration_error`: the application or the tenant's configuration (an
//!   unknown or unauthorized client, a callback or origin not allowed, a
//!   connection disabled or failing, a malformed request): the developers;
//! - `denied`: a rule or an Action refused the login (`access_denied`; ActionGuard's
//!   own denials among them, whose reasons are in its audit records);
//! - `other`: a failure whose description says none of these.
//!
//! Silent authentication failures (`fsa`: no session, `login_required`) are not
//! failed logins at all: they are counted apart, as noise.
//!
//! Auth0's "Login - Failure" category is read: `f`, `fp`, `fu`, `fc`, `fco`,
//! `fcoa`, `fens`. `fp`, `fu`, `fc` and `fco` say their cause by their type; `f`
//! ("only emitted if the error is not covered by the fp or fu log types"),
//! `fcoa` and `fens` by their `description` and `details.error`, matched below.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    UserError,
    IntegrationError,
    Denied,
    Other,
}

impl Cause {
    pub const ALL: [Cause; 4] = [Cause::UserError, Cause::IntegrationError, Cause::Denied, Cause::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::UserError => "user_error",
            Cause::IntegrationError => "integration_error",
            Cause::Denied => "denied",
            Cause::Other => "other",
        }
    }
}

/// Whether a log type is a failed login the report reads.
pub fn is_failed_login(t: &str) -> bool {
    matches!(t, "f" | "fp" | "fu" | "fc" | "fco" | "fcoa" | "fens")
}

/// Phrases of a failure's text (lowercased `description` and `details.error`), in
/// the order they are tried: the first that occurs names the cause. More specific
/// phrases come first (`unauthorized_client` is an integration error before
/// `unauthorized` is a denial).
const RULES: &[(&str, Cause, &str)] = &[
    ("callback url mismatch", Cause::IntegrationError, "callback_not_allowed"),
    ("allowed callback", Cause::IntegrationError, "callback_not_allowed"),
    ("redirect_uri", Cause::IntegrationError, "callback_not_allowed"),
    ("unknown client", Cause::IntegrationError, "invalid_client"),
    ("invalid_client", Cause::IntegrationError, "invalid_client"),
    ("client not found", Cause::IntegrationError, "invalid_client"),
    ("unauthorized_client", Cause::IntegrationError, "invalid_client"),
    ("not allowed origin", Cause::IntegrationError, "origin_not_allowed"),
    ("allowed origins", Cause::IntegrationError, "origin_not_allowed"),
    ("connection is disabled", Cause::IntegrationError, "connection_misconfigured"),
    ("connection is not enabled", Cause::IntegrationError, "connection_misconfigured"),
    ("connection not enabled", Cause::IntegrationError, "connection_misconfigured"),
    ("connection does not exist", Cause::IntegrationError, "connection_misconfigured"),
    ("connection not found", Cause::IntegrationError, "connection_misconfigured"),
    ("invalid connection", Cause::IntegrationError, "connection_misconfigured"),
    ("no connection", Cause::IntegrationError, "connection_misconfigured"),
    ("missing required parameter", Cause::IntegrationError, "invalid_request"),
    ("unsupported_response_type", Cause::IntegrationError, "invalid_request"),
    ("unsupported response type", Cause::IntegrationError, "invalid_request"),
    ("unsupported_grant_type", Cause::IntegrationError, "invalid_request"),
    ("invalid_scope", Cause::IntegrationError, "invalid_request"),
    ("service not enabled", Cause::IntegrationError, "invalid_request"),
    ("service not found", Cause::IntegrationError, "invalid_request"),
    ("invalid audience", Cause::IntegrationError, "invalid_request"),
    ("invalid_request", Cause::IntegrationError, "invalid_request"),
    ("wrong email or password", Cause::UserError, "wrong_password"),
    ("wrong username or password", Cause::UserError, "wrong_password"),
    ("invalid_user_password", Cause::UserError, "wrong_password"),
    ("user does not exist", Cause::UserError, "unknown_user"),
    ("user not found", Cause::UserError, "unknown_user"),
    ("unknown user", Cause::UserError, "unknown_user"),
    ("user is blocked", Cause::UserError, "blocked_user"),
    ("blocked user", Cause::UserError, "blocked_user"),
    ("too many attempts", Cause::UserError, "blocked_user"),
    ("password has expired", Cause::UserError, "password_reset_required"),
    ("password_expired", Cause::UserError, "password_reset_required"),
    ("password_leaked", Cause::UserError, "password_reset_required"),
    ("mfa_required", Cause::UserError, "mfa_not_completed"),
    ("multifactor", Cause::UserError, "mfa_not_completed"),
    ("access_denied", Cause::Denied, "access_denied"),
    ("access denied", Cause::Denied, "access_denied"),
    ("unauthorized", Cause::Denied, "access_denied"),
    ("login_required", Cause::Other, "interaction_required"),
    ("consent_required", Cause::Other, "interaction_required"),
    ("interaction_required", Cause::Other, "interaction_required"),
];

/// The cause and reason code of a failed login, from its type and (for `f`,
/// `fcoa`, `fens`) its lowercased failure text.
pub fn classify(event_type: &str, failure_text: &str) -> (Cause, &'static str) {
    match event_type {
        "fp" => (Cause::UserError, "wrong_password"),
        "fu" => (Cause::UserError, "unknown_user"),
        "fc" => (Cause::IntegrationError, "connector_failed"),
        "fco" => (Cause::IntegrationError, "origin_not_allowed"),
        _ => RULES.iter().find(|(phrase, _, _)| failure_text.contains(phrase)).map_or((Cause::Other, "unrecognized"), |(_, c, r)| (*c, *r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_by_type_and_by_description() {
        let cases = [
            ("fp", "", Cause::UserError, "wrong_password"),
            ("fu", "", Cause::UserError, "unknown_user"),
            ("fco", "", Cause::IntegrationError, "origin_not_allowed"),
            (
                "f",
                "callback url mismatch. https://app.example/cb is not in the list of allowed callback urls\ninvalid_request",
                Cause::IntegrationError,
                "callback_not_allowed",
            ),
            ("f", "unknown client: abc", Cause::IntegrationError, "invalid_client"),
            ("f", "unauthorized\nunauthorized_client", Cause::IntegrationError, "invalid_client"),
            ("f", "the connection is not enabled for this client", Cause::IntegrationError, "connection_misconfigured"),
            ("fcoa", "wrong email or password.", Cause::UserError, "wrong_password"),
            ("f", "user is blocked", Cause::UserError, "blocked_user"),
            ("f", "unauthorized\naccess_denied\naccess_denied", Cause::Denied, "access_denied"),
            ("f", "something new", Cause::Other, "unrecognized"),
            ("f", "", Cause::Other, "unrecognized"),
        ];
        for (t, text, cause, reason) in cases {
            assert_eq!(classify(t, text), (cause, reason), "{t} {text:?}");
        }
        assert!(is_failed_login("fens") && !is_failed_login("fsa") && !is_failed_login("fs"));
    }
}
