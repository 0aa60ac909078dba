//! Typed inputs mirroring the parts of Auth0 event objects we use, with the
//! same field names, so a shim can pass slices of `event` without reshaping.
//!
//! Auth0 owns this format: unknown and missing fields are fine (Auth0 adds
//! fields), a wrong type is an error with its path, and every string that an
//! attacker can make long is bounded before anything looks at it.

use serde::Deserialize;

use crate::answer::{parse_json, Issue};

const MAX_USER_AGENT: usize = 512;
pub(crate) const MAX_ID: usize = 256;
const MAX_IP: usize = 64;
pub(crate) const MAX_CODE: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LoginContext {
    pub tenant: Option<Tenant>,
    pub user: Option<User>,
    pub stats: Option<Stats>,
    pub request: Option<Request>,
    pub authentication: Option<Authentication>,
    pub organization: Option<Organization>,
    /// `event.user.app_metadata.actionguard`, as found: others may have written
    /// anything there, so it is parsed leniently by the history module, not here.
    pub history: Option<StoredHistory>,
    /// The Action's clock (`Date.now()`), so replays keep their own timing.
    pub now_ms: Option<f64>,
    /// The LLM escalation: whether one is possible, then its response.
    pub llm: Option<crate::llm::Exchange>,
    /// Organization discovery from post-login (see `login::discovery_step`).
    pub discovery: Option<DiscoveryContext>,
    /// `event.transaction`: its `protocol` says whether a person is there to answer MFA.
    pub transaction: Option<LoginTransaction>,
    /// `event.session`: a challenged login is learned only when its own session
    /// later shows the MFA.
    pub session: Option<LoginSession>,
    /// The `ORG_LAYERS_KEY` secret: it signs organizations' layers when the
    /// policy sets `organizations.unsigned_tier` (`layers::layers_signature`).
    /// Never logged nor audited.
    pub organization_layers_key: Option<Secret>,
    /// What the host says of the threat feed: why it has none, or only an older one.
    pub threat_feed: Option<crate::threat::HostNote>,
}

/// A secret's value: its `Debug` shows none of it.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LoginSession {
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LoginTransaction {
    pub protocol: Option<String>,
}

/// Protocols in which post-login runs with nobody to answer a challenge: Auth0
/// fails the exchange if one is asked, and they are not logins to learn from.
const NON_INTERACTIVE: &[&str] =
    &["oauth2-refresh-token", "oauth2-token-exchange", "oauth2-resource-owner", "oauth2-resource-owner-jwt-bearer", "oauth2-password"];

/// What the host tells post-login about organization discovery.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct DiscoveryContext {
    /// The host can run discovery: the `auth0` SDK and `AUTH0_DOMAIN` are there
    /// (missing credentials are then audited as `not_configured` by the host).
    pub available: bool,
    /// The JSON text (`JSON.stringify`) of `app_metadata.actionguard_org`, the
    /// marker a previous discovery left. Text, read here leniently: anyone with
    /// the Management API may have written anything there, and no value of it
    /// may fail the login's context.
    pub marker: Option<String>,
}

/// The stored history's JSON text, kept as written and read once by the history
/// module, rather than through a `serde_json::Value` first (a tree of maps, then
/// read again) on every login of a user with a history.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct StoredHistory(Box<serde_json::value::RawValue>);

impl StoredHistory {
    pub fn text(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for StoredHistory {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Tenant {
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct User {
    pub user_id: Option<String>,
    /// Only for an organization's domain restriction; never logged.
    pub email: Option<String>,
    /// Whether the address is verified: a domain restriction admits only verified ones.
    pub email_verified: Option<bool>,
    #[serde(rename = "enrolledFactors")]
    pub enrolled_factors: Option<Vec<EnrolledFactor>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EnrolledFactor {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub logins_count: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Request {
    pub ip: Option<String>,
    pub asn: Option<String>,
    pub user_agent: Option<String>,
    pub geoip: Option<GeoIp>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct GeoIp {
    #[serde(rename = "countryCode")]
    pub country_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Authentication {
    #[serde(rename = "riskAssessment")]
    pub risk_assessment: Option<Auth0RiskAssessment>,
    /// Methods completed in this session; an `mfa` entry confirms what a
    /// previous challenge was about.
    pub methods: Option<Vec<AuthMethod>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AuthMethod {
    pub name: Option<String>,
    pub timestamp: Option<String>,
}

/// `event.authentication.riskAssessment`, Auth0's own adaptive-MFA signals.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Auth0RiskAssessment {
    pub confidence: Option<String>,
    pub assessments: Option<Assessments>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Assessments {
    #[serde(rename = "ImpossibleTravel")]
    pub impossible_travel: Option<Assessment>,
    #[serde(rename = "NewDevice")]
    pub new_device: Option<Assessment>,
    #[serde(rename = "UntrustedIP")]
    pub untrusted_ip: Option<Assessment>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Assessment {
    pub code: Option<String>,
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Organization {
    pub id: Option<String>,
    pub name: Option<String>,
    /// String pairs in Auth0; anything else in a value is ignored, not an error.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl LoginContext {
    /// Parses a context and bounds it; the warnings say what was dropped.
    pub fn from_json(json: &str) -> Result<(LoginContext, Vec<Issue>), Issue> {
        let mut ctx: LoginContext = parse_json(json, "invalid_context")?;
        let warnings = ctx.bound();
        Ok((ctx, warnings))
    }

    /// No person is there to answer MFA (a refresh-token exchange, say).
    pub fn non_interactive(&self) -> bool {
        self.transaction.as_ref().and_then(|t| t.protocol.as_deref()).is_some_and(|p| NON_INTERACTIVE.contains(&p))
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref()?.user_id.as_deref()
    }

    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant.as_ref()?.id.as_deref()
    }

    pub fn organization_id(&self) -> Option<&str> {
        self.organization.as_ref()?.id.as_deref()
    }

    pub fn risk_assessment(&self) -> Option<&Auth0RiskAssessment> {
        self.authentication.as_ref()?.risk_assessment.as_ref()
    }

    pub fn request(&self) -> Option<&Request> {
        self.request.as_ref()
    }

    pub fn geo(&self) -> Option<&GeoIp> {
        self.request.as_ref()?.geoip.as_ref()
    }

    /// The session, as the history stores it (a short hash salted with the
    /// user's id); `None` without a usable session id.
    pub fn session_key(&self) -> Option<String> {
        let id = self.session.as_ref()?.id.as_deref().filter(|id| !id.is_empty() && id.len() <= 256)?;
        Some(crate::risk::history::short_hash("sid", self.user_id().unwrap_or(""), id))
    }

    /// When this session last completed MFA, in seconds since the epoch.
    pub fn mfa_completed_at(&self) -> Option<i64> {
        self.authentication
            .as_ref()?
            .methods
            .iter()
            .flatten()
            .filter(|m| m.name.as_deref() == Some("mfa"))
            .filter_map(|m| m.timestamp.as_deref().and_then(crate::clock::parse_rfc3339))
            .max()
    }

    /// Factor names the user has enrolled, as Auth0 spells them.
    pub fn enrolled_factors(&self) -> impl Iterator<Item = &str> {
        self.user.iter().flat_map(|u| u.enrolled_factors.iter().flatten()).filter_map(|f| f.kind.as_deref())
    }

    fn bound(&mut self) -> Vec<Issue> {
        let mut warnings = Vec::new();
        if let Some(t) = &mut self.tenant {
            t.bound(&mut warnings);
        }
        if let Some(u) = &mut self.user {
            drop_if_longer(&mut u.user_id, MAX_ID, "user.user_id", &mut warnings);
            drop_if_longer(&mut u.email, 1024, "user.email", &mut warnings);
            if let Some(factors) = &mut u.enrolled_factors {
                // A user has a handful of factors; thousands is garbage, not a user.
                factors.truncate(32);
                for f in factors.iter_mut() {
                    drop_if_longer(&mut f.kind, MAX_CODE, "user.enrolledFactors.type", &mut warnings);
                }
            }
        }
        // An Auth0 secret holds at most 4,096 characters.
        if self.organization_layers_key.as_ref().is_some_and(|k| k.0.len() > 4096) {
            self.organization_layers_key = None;
            warnings.push(ignored("organization_layers_key", "longer than 4096 bytes"));
        }
        if let Some(o) = &mut self.organization {
            drop_if_longer(&mut o.id, MAX_ID, "organization.id", &mut warnings);
            drop_if_longer(&mut o.name, MAX_ID, "organization.name", &mut warnings);
            // Auth0 allows 25 pairs; more is not an Auth0 organization.
            if o.metadata.as_ref().is_some_and(|m| m.len() > 64) {
                o.metadata = None;
                warnings.push(ignored("organization.metadata", "more than 64 entries"));
            }
        }
        if let Some(r) = &mut self.request {
            r.bound(&mut warnings);
        }
        if let Some(a) = self.authentication.as_mut().and_then(|a| a.risk_assessment.as_mut()) {
            drop_if_longer(&mut a.confidence, MAX_CODE, "riskAssessment.confidence", &mut warnings);
            if let Some(s) = &mut a.assessments {
                for (name, item) in
                    [("ImpossibleTravel", &mut s.impossible_travel), ("NewDevice", &mut s.new_device), ("UntrustedIP", &mut s.untrusted_ip)]
                {
                    if let Some(item) = item {
                        drop_if_longer(&mut item.code, MAX_CODE, name, &mut warnings);
                        drop_if_longer(&mut item.confidence, MAX_CODE, name, &mut warnings);
                    }
                }
            }
        }
        if let Some(methods) = self.authentication.as_mut().and_then(|a| a.methods.as_mut()) {
            methods.truncate(32);
            for m in methods.iter_mut() {
                drop_if_longer(&mut m.name, MAX_CODE, "authentication.methods.name", &mut warnings);
                drop_if_longer(&mut m.timestamp, MAX_CODE, "authentication.methods.timestamp", &mut warnings);
            }
        }
        bound_now(&mut self.now_ms, &mut warnings);
        if let Some(note) = &mut self.threat_feed {
            drop_if_longer(&mut note.error, MAX_CODE, "threat_feed.error", &mut warnings);
        }
        if let Some(e) = &mut self.llm {
            e.vet(&mut warnings);
        }
        warnings
    }
}

impl Tenant {
    pub(crate) fn bound(&mut self, warnings: &mut Vec<Issue>) {
        drop_if_longer(&mut self.id, MAX_ID, "tenant.id", warnings);
    }
}

/// The Action's clock, unless it is not a plausible timestamp.
pub(crate) fn bound_now(now_ms: &mut Option<f64>, warnings: &mut Vec<Issue>) {
    if now_ms.is_some_and(|t| !(0.0..=1.0e14).contains(&t)) {
        *now_ms = None;
        warnings.push(ignored("now_ms", "not a plausible timestamp"));
    }
}

impl Request {
    /// Drops what is too long to be real and what is out of range.
    pub(crate) fn bound(&mut self, warnings: &mut Vec<Issue>) {
        drop_if_longer(&mut self.ip, MAX_IP, "request.ip", warnings);
        drop_if_longer(&mut self.asn, MAX_CODE, "request.asn", warnings);
        if let Some(ua) = &mut self.user_agent {
            truncate_chars(ua, MAX_USER_AGENT);
        }
        if let Some(g) = &mut self.geoip {
            if g.country_code.as_deref().is_some_and(|c| !is_country_code(c)) {
                g.country_code = None;
                warnings.push(ignored("request.geoip.countryCode", "not a two-letter country code"));
            }
            if g.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
                g.latitude = None;
                warnings.push(ignored("request.geoip.latitude", "outside -90..90"));
            }
            if g.longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
                g.longitude = None;
                warnings.push(ignored("request.geoip.longitude", "outside -180..180"));
            }
        }
    }
}

fn is_country_code(c: &str) -> bool {
    c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic())
}

pub(crate) fn ignored(path: &str, why: &str) -> Issue {
    Issue::new("ignored_field", Some(path.to_string()), format!("`{path}` ignored: {why}"))
}

/// Identifiers are compared, so a truncated one would be a different one: drop it.
pub(crate) fn drop_if_longer(field: &mut Option<String>, max: usize, path: &str, warnings: &mut Vec<Issue>) {
    if field.as_ref().is_some_and(|s| s.len() > max) {
        *field = None;
        warnings.push(ignored(path, &format!("longer than {max} bytes")));
    }
}

pub(crate) fn truncate_chars(s: &mut String, max_bytes: usize) {
    if s.len() > max_bytes {
        let mut end = max_bytes;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_missing_fields_are_tolerated() {
        let (ctx, warnings) =
            LoginContext::from_json(r#"{"user":{"user_id":"auth0|1","new_auth0_field":{"x":1}},"brand_new":[1]}"#).unwrap();
        assert_eq!(ctx.user_id(), Some("auth0|1"));
        assert!(ctx.request.is_none());
        assert!(warnings.is_empty());
        assert_eq!(LoginContext::from_json("{}").unwrap().0, LoginContext::default());
    }

    #[test]
    fn nulls_are_absent() {
        let (ctx, _) = LoginContext::from_json(r#"{"request":null,"user":{"user_id":null}}"#).unwrap();
        assert!(ctx.request.is_none());
        assert_eq!(ctx.user_id(), None);
    }

    #[test]
    fn wrong_types_are_errors_with_their_path() {
        let err = LoginContext::from_json(r#"{"request":{"ip":42}}"#).unwrap_err();
        assert_eq!(err.code, "invalid_context");
        assert_eq!(err.message, "`request.ip`: invalid type: integer `42`, expected a string");
        let err = LoginContext::from_json(r#"{"stats":{"logins_count":-1}}"#).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("stats.logins_count"));
        let err = LoginContext::from_json(r#""just a string""#).unwrap_err();
        assert_eq!(err.message, "invalid type: string \"just a string\", expected an object");
    }

    #[test]
    fn hostile_sizes_are_bounded() {
        let huge = "A".repeat(100_000);
        let accents = "é".repeat(1000);
        let json = format!(
            r#"{{"request":{{"ip":"{huge}","user_agent":"A{accents}","geoip":{{"countryCode":"{huge}","latitude":1000}}}},"user":{{"user_id":"{huge}"}}}}"#
        );
        let (ctx, warnings) = LoginContext::from_json(&json).unwrap();
        let req = ctx.request.unwrap();
        assert_eq!(req.ip, None);
        assert_eq!(req.user_agent.unwrap().len(), 511, "cut on a char boundary");
        let geo = req.geoip.unwrap();
        assert_eq!((geo.country_code, geo.latitude), (None, None));
        assert_eq!(ctx.user.unwrap().user_id, None);
        let paths: Vec<_> = warnings.iter().filter_map(|w| w.path.as_deref()).collect();
        assert_eq!(paths, ["user.user_id", "request.ip", "request.geoip.countryCode", "request.geoip.latitude"]);
    }
}
