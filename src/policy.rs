//! The tenant policy document. We own this format, so it is strict: an unknown
//! key is an error naming the key, and every value is range-checked with a
//! message naming the key, the value and the reason.
//!
//! Layering (baseline -> tier -> organization) is built on this type later;
//! today a document is the baseline, and a rejected one falls back to the
//! embedded default rather than failing open.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answer::{parse_json, Issue};

pub const POLICY_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub ambiguous: AmbiguousBand,
    #[serde(default)]
    pub mfa: Mfa,
    #[serde(default)]
    pub fail_mode: FailMode,
    #[serde(default)]
    pub claims: Claims,
    #[serde(default)]
    pub networks: Networks,
    #[serde(default)]
    pub countries: Countries,
}

/// Tenant network lists, as CIDRs or single addresses. `deny` is a floor no
/// score can lower; `allow` marks trusted networks (offices, VPN egress of the
/// customer), where network and location novelty are not held against a login.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Networks {
    pub deny: Vec<String>,
    pub allow: Vec<String>,
}

/// ISO 3166-1 alpha-2 country codes logins are refused from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Countries {
    pub deny: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: POLICY_VERSION,
            thresholds: Thresholds::default(),
            ambiguous: AmbiguousBand::default(),
            mfa: Mfa::default(),
            fail_mode: FailMode::default(),
            claims: Claims::default(),
            networks: Networks::default(),
            countries: Countries::default(),
        }
    }
}

/// Scores at or above `challenge` ask for MFA; at or above `deny` are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub challenge: f64,
    pub deny: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { challenge: 0.5, deny: 0.9 }
    }
}

/// Scores in `[from, to)` are too close to call from rules alone: they take
/// `fallback` unless an escalation (LLM, later) settles them within the floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmbiguousBand {
    pub from: f64,
    pub to: f64,
    pub fallback: BandFallback,
}

impl Default for AmbiguousBand {
    fn default() -> Self {
        AmbiguousBand {
            from: 0.4,
            to: 0.5,
            fallback: BandFallback::Challenge,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandFallback {
    Allow,
    Challenge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mfa {
    pub mode: MfaMode,
    /// Factors we may challenge with, in order of preference.
    pub factors: Vec<Factor>,
    /// What to do when a challenge is due but the user has no usable factor.
    pub unenrolled: Unenrolled,
}

impl Default for Mfa {
    fn default() -> Self {
        Mfa {
            mode: MfaMode::RiskBased,
            factors: vec![
                Factor::WebauthnPlatform,
                Factor::WebauthnRoaming,
                Factor::PushNotification,
                Factor::Otp,
            ],
            unenrolled: Unenrolled::Enroll,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMode {
    Always,
    RiskBased,
    Never,
}

/// Auth0's factor names, as `challengeWithAny` and `enrolledFactors` spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Factor {
    Otp,
    WebauthnPlatform,
    WebauthnRoaming,
    PushNotification,
    Phone,
    Email,
    RecoveryCode,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Otp => "otp",
            Factor::WebauthnPlatform => "webauthn-platform",
            Factor::WebauthnRoaming => "webauthn-roaming",
            Factor::PushNotification => "push-notification",
            Factor::Phone => "phone",
            Factor::Email => "email",
            Factor::RecoveryCode => "recovery-code",
        }
    }

    pub fn from_auth0(name: &str) -> Option<Factor> {
        [
            Factor::Otp,
            Factor::WebauthnPlatform,
            Factor::WebauthnRoaming,
            Factor::PushNotification,
            Factor::Phone,
            Factor::Email,
            Factor::RecoveryCode,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unenrolled {
    Enroll,
    Deny,
}

/// The decision applied when ActionGuard itself cannot decide (bad input,
/// internal error, the WebAssembly failing to load).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    #[default]
    Challenge,
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Claims {
    /// Prefix of every custom claim; Auth0 reserves its own domains.
    pub namespace: String,
    /// Whether to put `<namespace>risk_level` into the ID token.
    pub risk_level: bool,
}

impl Default for Claims {
    fn default() -> Self {
        Claims {
            namespace: "https://actionguard.dev/".to_string(),
            risk_level: true,
        }
    }
}

/// Where the policy an engine runs on came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Embedded,
    Secret,
}

/// Parses and validates a policy document, reporting every problem found.
pub fn parse_policy(json: &str) -> Result<Policy, Vec<Issue>> {
    let policy: Policy = parse_json(json, "invalid_policy").map_err(|e| vec![e])?;
    let errors = validate(&policy);
    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

/// A short, stable fingerprint of the effective policy, for audit records.
pub fn digest(policy: &Policy) -> String {
    let canonical = serde_json::to_string(policy).unwrap_or_default();
    let hash = Sha256::digest(canonical.as_bytes());
    let mut out = String::from("sha256:");
    for byte in hash.iter().take(8) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn validate(p: &Policy) -> Vec<Issue> {
    let mut errors = Vec::new();
    let mut fail = |path: &str, message: String| {
        errors.push(Issue::new(
            "invalid_policy",
            Some(path.to_string()),
            format!("`{path}`: {message}"),
        ));
    };

    if p.version != POLICY_VERSION {
        fail(
            "version",
            format!("unsupported version `{}`, expected `{POLICY_VERSION}`", p.version),
        );
    }
    for (path, value) in [
        ("thresholds.challenge", p.thresholds.challenge),
        ("thresholds.deny", p.thresholds.deny),
        ("ambiguous.from", p.ambiguous.from),
        ("ambiguous.to", p.ambiguous.to),
    ] {
        if !(0.0..=1.0).contains(&value) {
            fail(path, format!("`{value}` must be between 0 and 1"));
        }
    }
    if p.thresholds.deny < p.thresholds.challenge {
        fail(
            "thresholds.deny",
            format!(
                "`{}` must not be below `thresholds.challenge` (`{}`)",
                p.thresholds.deny, p.thresholds.challenge
            ),
        );
    }
    if p.ambiguous.to < p.ambiguous.from {
        fail(
            "ambiguous.to",
            format!(
                "`{}` must not be below `ambiguous.from` (`{}`)",
                p.ambiguous.to, p.ambiguous.from
            ),
        );
    }
    if p.ambiguous.to > p.thresholds.deny {
        fail(
            "ambiguous.to",
            format!(
                "`{}` must not be above `thresholds.deny` (`{}`): a deny is never ambiguous",
                p.ambiguous.to, p.thresholds.deny
            ),
        );
    }
    if p.mfa.factors.is_empty() && p.mfa.mode != MfaMode::Never {
        fail(
            "mfa.factors",
            "must name at least one factor unless `mfa.mode` is `never`".to_string(),
        );
    }
    for (i, factor) in p.mfa.factors.iter().enumerate() {
        if p.mfa.factors.iter().take(i).any(|f| f == factor) {
            fail(
                &format!("mfa.factors.{i}"),
                format!("`{}` is listed twice", factor.as_str()),
            );
        }
    }
    let ns = &p.claims.namespace;
    if !(ns.starts_with("https://") || ns.starts_with("http://")) || !ns.ends_with('/') || ns.len() > 200 {
        fail(
            "claims.namespace",
            format!("`{}` must be an http(s) URL ending in `/`", truncate_for_message(ns)),
        );
    } else if ["auth0.com", "webtask.io", "webtask.run"]
        .iter()
        .any(|reserved| host_of(ns).is_some_and(|h| h == *reserved || h.ends_with(&format!(".{reserved}"))))
    {
        fail(
            "claims.namespace",
            format!("`{ns}` uses a domain Auth0 reserves for its own claims"),
        );
    }
    for (list, name) in [(&p.networks.deny, "networks.deny"), (&p.networks.allow, "networks.allow")] {
        for (i, cidr) in list.iter().enumerate() {
            if crate::risk::network::parse_cidr(cidr).is_none() {
                fail(
                    &format!("{name}.{i}"),
                    format!("`{}` is not an IP address or CIDR range", truncate_for_message(cidr)),
                );
            }
        }
    }
    for (i, cc) in p.countries.deny.iter().enumerate() {
        if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_uppercase()) {
            fail(
                &format!("countries.deny.{i}"),
                format!("`{}` is not an upper-case two-letter country code", truncate_for_message(cc)),
            );
        }
    }
    errors
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    rest.split(['/', ':']).next()
}

fn truncate_for_message(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        s.chars().take(60).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(json: &str) -> Vec<String> {
        parse_policy(json).unwrap_err().into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn default_policy_is_valid_and_minimal_document_equals_it() {
        assert!(validate(&Policy::default()).is_empty());
        assert_eq!(parse_policy(r#"{"version":1}"#).unwrap(), Policy::default());
    }

    #[test]
    fn unknown_keys_are_named() {
        assert_eq!(
            messages(r#"{"version":1,"thresholds":{"challenge":0.5,"deny":0.9,"dney":1}}"#),
            vec!["`thresholds.dney`: unknown field `dney`, expected `challenge` or `deny`"]
        );
    }

    #[test]
    fn unknown_enum_values_are_named() {
        assert_eq!(
            messages(r#"{"version":1,"mfa":{"mode":"sometimes"}}"#),
            vec!["`mfa.mode`: unknown variant `sometimes`, expected one of `always`, `risk_based`, `never`"]
        );
    }

    #[test]
    fn ranges_and_orderings_are_checked_with_key_value_and_reason() {
        assert_eq!(
            messages(r#"{"version":2,"thresholds":{"challenge":0.8,"deny":0.6},"ambiguous":{"from":0.5,"to":1.5}}"#),
            vec![
                "`version`: unsupported version `2`, expected `1`",
                "`ambiguous.to`: `1.5` must be between 0 and 1",
                "`thresholds.deny`: `0.6` must not be below `thresholds.challenge` (`0.8`)",
                "`ambiguous.to`: `1.5` must not be above `thresholds.deny` (`0.6`): a deny is never ambiguous",
            ]
        );
    }

    #[test]
    fn factors_and_namespace_are_checked() {
        assert_eq!(
            messages(r#"{"version":1,"mfa":{"factors":["otp","otp"]},"claims":{"namespace":"https://tenant.auth0.com/"}}"#),
            vec![
                "`mfa.factors.1`: `otp` is listed twice",
                "`claims.namespace`: `https://tenant.auth0.com/` uses a domain Auth0 reserves for its own claims",
            ]
        );
        assert_eq!(
            messages(r#"{"version":1,"claims":{"namespace":"risk"}}"#),
            vec!["`claims.namespace`: `risk` must be an http(s) URL ending in `/`"]
        );
    }

    #[test]
    fn network_and_country_lists_are_checked() {
        assert_eq!(
            messages(r#"{"version":1,"networks":{"deny":["10.0.0.0/8","10.0.0.0/40"],"allow":["corp"]},"countries":{"deny":["KP","nk"]}}"#),
            vec![
                "`networks.deny.1`: `10.0.0.0/40` is not an IP address or CIDR range",
                "`networks.allow.0`: `corp` is not an IP address or CIDR range",
                "`countries.deny.1`: `nk` is not an upper-case two-letter country code",
            ]
        );
    }

    #[test]
    fn digest_is_stable_and_sensitive() {
        let a = digest(&Policy::default());
        assert_eq!(a, digest(&parse_policy(r#"{"version":1}"#).unwrap()));
        let mut p = Policy::default();
        p.thresholds.deny = 0.95;
        assert_ne!(a, digest(&p));
        assert!(a.starts_with("sha256:") && a.len() == 7 + 16);
    }
}
