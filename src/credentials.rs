//! Whether a machine-to-machine token may be issued (credentials-exchange):
//! per-client network allowlists, a cap on the scopes a token may carry, the
//! APIs a client may get tokens for, and the tenant's deny lists. A leaked
//! client secret used from elsewhere, or a client quietly granted more than
//! it was reviewed for, is refused with an OAuth error code Auth0 accepts.

use serde::{Deserialize, Serialize};

use crate::answer::{parse_json, Answer, Issue};
use crate::audit::AuditRecord;
use crate::context::{drop_if_longer, Request, Tenant, MAX_ID};
use crate::decision::{Outcome, Reason};
use crate::enforcement;
use crate::risk::network;
use crate::signals;
use crate::Engine;

const MAX_SCOPES: usize = 256;
const MAX_SCOPE: usize = 280;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CredentialsContext {
    pub tenant: Option<Tenant>,
    pub client: Option<Client>,
    pub request: Option<Request>,
    #[serde(rename = "accessToken")]
    pub access_token: Option<AccessToken>,
    pub transaction: Option<Transaction>,
    pub resource_server: Option<ResourceServer>,
    pub now_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Client {
    pub client_id: Option<String>,
}

/// `event.accessToken`: the scopes the token is about to carry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AccessToken {
    pub scope: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Transaction {
    pub requested_scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceServer {
    pub identifier: Option<String>,
}

impl CredentialsContext {
    pub fn from_json(json: &str) -> Result<(CredentialsContext, Vec<Issue>), Issue> {
        let mut ctx: CredentialsContext = parse_json(json, "invalid_context")?;
        let mut warnings = Vec::new();
        if let Some(t) = &mut ctx.tenant {
            t.bound(&mut warnings);
        }
        if let Some(c) = &mut ctx.client {
            drop_if_longer(&mut c.client_id, MAX_ID, "client.client_id", &mut warnings);
        }
        if let Some(r) = &mut ctx.request {
            r.bound(&mut warnings);
        }
        if let Some(rs) = &mut ctx.resource_server {
            drop_if_longer(&mut rs.identifier, 1024, "resource_server.identifier", &mut warnings);
        }
        for (list, path) in [
            (ctx.access_token.as_mut().and_then(|a| a.scope.as_mut()), "accessToken.scope"),
            (ctx.transaction.as_mut().and_then(|t| t.requested_scopes.as_mut()), "transaction.requested_scopes"),
        ] {
            if let Some(list) = list {
                // Refusing is the safe reading of a scope list we cannot hold:
                // a marker no cap contains stands in for what was dropped.
                let before = list.len();
                list.truncate(MAX_SCOPES);
                list.retain(|s| s.len() <= MAX_SCOPE);
                if list.len() != before {
                    list.push("(oversized scope list)".to_string());
                    warnings.push(crate::context::ignored(path, "too many or too long scopes"));
                }
            }
        }
        Ok((ctx, warnings))
    }

    /// The scopes the token would carry; the requested ones when Auth0 gave none.
    fn scopes(&self) -> &[String] {
        self.access_token
            .as_ref()
            .and_then(|a| a.scope.as_deref())
            .or_else(|| self.transaction.as_ref().and_then(|t| t.requested_scopes.as_deref()))
            .unwrap_or(&[])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialsDecision {
    /// What the Action must do: `allow` when the decision is only watched (`enforcement`).
    pub outcome: Outcome,
    /// What the engine decided; differs from `outcome` only when the decision is watched,
    /// and then `deny_code` and `deny_reason` are absent too.
    pub would_outcome: Outcome,
    /// Whether the decision is applied (policy `enforcement.m2m`).
    pub enforcement: crate::enforcement::Applied,
    pub reasons: Vec<Reason>,
    /// For `api.access.deny(code, reason)`: `invalid_request` or `invalid_scope`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_code: Option<&'static str>,
    /// The human-readable explanation the client receives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<String>,
    #[serde(flatten, serialize_with = "crate::audit::as_json_lines")]
    pub audit: AuditRecord,
}

impl Engine {
    pub fn decide_credentials_json(&self, context_json: &str) -> Answer<CredentialsDecision> {
        match CredentialsContext::from_json(context_json) {
            Ok((ctx, warnings)) => self.decide_credentials(&ctx, warnings),
            Err(err) => Answer::failure(err),
        }
    }

    pub fn decide_credentials(&self, ctx: &CredentialsContext, mut warnings: Vec<Issue>) -> Answer<CredentialsDecision> {
        warnings.extend(self.policy_warnings());
        let client_id = ctx.client.as_ref().and_then(|c| c.client_id.as_deref());
        let ip = ctx.request.as_ref().and_then(|r| r.ip.as_deref()).and_then(network::parse_ip);
        let mut refusals: Vec<(&'static str, Reason)> = Vec::new();
        let invalid_request = "invalid_request";

        if ip.is_some_and(|ip| network::contains(&self.deny_networks, ip)) {
            refusals.push((invalid_request, Reason::of(&signals::NETWORK_DENIED_RULE)));
        }
        let country = ctx.request.as_ref().and_then(|r| r.geoip.as_ref()).and_then(|g| g.country_code.as_deref());
        if country.is_some_and(|c| self.policy.countries.deny.iter().any(|d| d.eq_ignore_ascii_case(c))) {
            refusals.push((invalid_request, Reason::of(&signals::COUNTRY_DENIED_RULE)));
        }

        match client_id.and_then(|id| self.policy.m2m.clients.get(id).map(|rule| (id, rule))) {
            Some((id, rule)) => {
                let allowed = self.m2m_networks.get(id).map(Vec::as_slice).unwrap_or(&[]);
                if !rule.networks.is_empty() && !ip.is_some_and(|ip| network::contains(allowed, ip)) {
                    refusals.push((invalid_request, Reason::of(&signals::CLIENT_NETWORK_NOT_ALLOWED)));
                }
                if let Some(audiences) = &rule.audiences {
                    let audience = ctx.resource_server.as_ref().and_then(|r| r.identifier.as_deref());
                    if !audience.is_some_and(|a| audiences.iter().any(|x| x == a)) {
                        refusals.push((invalid_request, Reason::of(&signals::AUDIENCE_NOT_ALLOWED)));
                    }
                }
                if let Some(cap) = &rule.scopes {
                    let excess: Vec<&str> = ctx.scopes().iter().map(String::as_str).filter(|s| !cap.iter().any(|c| c == s)).collect();
                    if !excess.is_empty() {
                        let shown: Vec<&str> = excess.iter().copied().take(5).collect();
                        let more =
                            if excess.len() > shown.len() { format!(" and {} more", excess.len() - shown.len()) } else { String::new() };
                        refusals.push((
                            "invalid_scope",
                            Reason::with(
                                &signals::SCOPE_EXCEEDS_CAP,
                                format!("the token would carry scopes beyond the client's cap: {}{more}", shown.join(", ")),
                            ),
                        ));
                    }
                }
            }
            None if self.policy.m2m.require_listed => refusals.push((invalid_request, Reason::of(&signals::CLIENT_NOT_LISTED))),
            None => {}
        }

        let would = if refusals.is_empty() { Outcome::Allow } else { Outcome::Deny };
        // Client ids are the tenant's own identifiers, not personal data: the subject as it is.
        let applied = enforcement::applied(&self.policy.enforcement.m2m, client_id);
        let deny =
            refusals.first().filter(|_| applied.enforced).map(|(code, reason)| (*code, format!("{}: {}", reason.code, reason.message)));
        let outcome = if deny.is_some() { Outcome::Deny } else { Outcome::Allow };
        let mut reasons: Vec<Reason> = refusals.into_iter().map(|(_, r)| r).collect();
        reasons.extend(enforcement::reason(enforcement::Kind::M2m, &applied));

        let score = if would == Outcome::Deny { 1.0 } else { 0.0 };
        let record = self
            .audit("credentials-exchange", ctx.tenant.as_ref().and_then(|t| t.id.as_deref()), ctx.now_ms)
            .client(client_id)
            .outcome(would)
            .enforcement(applied, outcome)
            .scores(score, score, None)
            .reasons(&reasons)
            .warnings(&warnings)
            .build();

        Answer::success(
            CredentialsDecision {
                outcome,
                would_outcome: would,
                enforcement: applied,
                reasons,
                deny_code: deny.as_ref().map(|(code, _)| *code),
                deny_reason: deny.map(|(_, text)| text),
                audit: record,
            },
            warnings,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const POLICY: &str = r#"{"version":1,"m2m":{"clients":{
        "reporting":{"networks":["198.51.100.0/24","2001:db8::/32"],"scopes":["read:reports"],"audiences":["https://api.acme.example"]},
        "anywhere":{}}}}"#;

    fn decide(engine: &Engine, ctx: Value) -> Value {
        serde_json::to_value(engine.decide_credentials_json(&ctx.to_string())).unwrap()
    }

    fn exchange(client: &str, ip: &str, scopes: Value) -> Value {
        json!({
            "tenant": {"id": "acme-prod"},
            "client": {"client_id": client},
            "request": {"ip": ip},
            "accessToken": {"scope": scopes},
            "resource_server": {"identifier": "https://api.acme.example"},
        })
    }

    #[test]
    fn a_listed_client_within_its_network_and_cap_gets_its_token() {
        let engine = Engine::new(Some(POLICY));
        let a = decide(&engine, exchange("reporting", "198.51.100.7", json!(["read:reports"])));
        assert_eq!(a["outcome"], "allow");
        assert!(a.get("deny_code").is_none());
        assert_eq!(decide(&engine, exchange("reporting", "2001:db8::1", json!([])))["outcome"], "allow");
        let line: Value = serde_json::from_str(a["audit"].as_str().unwrap()).unwrap();
        assert_eq!((line["trigger"].as_str(), line["client"].as_str()), (Some("credentials-exchange"), Some("reporting")));
    }

    #[test]
    fn outside_the_network_or_beyond_the_cap_is_refused_with_the_right_code() {
        let engine = Engine::new(Some(POLICY));
        let far = decide(&engine, exchange("reporting", "203.0.113.9", json!(["read:reports"])));
        assert_eq!((far["outcome"].as_str(), far["deny_code"].as_str()), (Some("deny"), Some("invalid_request")));
        assert!(far["deny_reason"].as_str().unwrap().starts_with("client_network_not_allowed: "));
        let greedy = decide(&engine, exchange("reporting", "198.51.100.7", json!(["read:reports", "delete:reports"])));
        assert_eq!(greedy["deny_code"], "invalid_scope");
        assert_eq!(greedy["deny_reason"], "scope_exceeds_cap: the token would carry scopes beyond the client's cap: delete:reports");
        let no_ip = decide(
            &engine,
            json!({"client": {"client_id": "reporting"}, "accessToken": {"scope": []},
            "resource_server": {"identifier": "https://api.acme.example"}}),
        );
        assert_eq!(no_ip["deny_code"], "invalid_request", "no address cannot be inside an allowlist");
        let mut other_api = exchange("reporting", "198.51.100.7", json!(["read:reports"]));
        other_api["resource_server"]["identifier"] = json!("https://billing.acme.example");
        assert_eq!(decide(&engine, other_api)["reasons"][0]["code"], "audience_not_allowed");
    }

    #[test]
    fn requested_scopes_count_when_the_token_has_none_and_oversized_lists_are_refused() {
        let engine = Engine::new(Some(POLICY));
        let ctx = json!({"client": {"client_id": "reporting"}, "request": {"ip": "198.51.100.7"},
            "transaction": {"requested_scopes": ["write:reports"]}, "resource_server": {"identifier": "https://api.acme.example"}});
        assert_eq!(decide(&engine, ctx)["deny_code"], "invalid_scope");
        let many: Vec<String> = (0..1000).map(|_| "read:reports".to_string()).collect();
        let a = decide(&engine, exchange("reporting", "198.51.100.7", json!(many)));
        assert_eq!(a["deny_code"], "invalid_scope");
        assert_eq!(a["warnings"][0]["code"], "ignored_field");
    }

    #[test]
    fn unlisted_clients_follow_require_listed() {
        let open = Engine::new(Some(POLICY));
        assert_eq!(decide(&open, exchange("someone", "203.0.113.9", json!(["x"])))["outcome"], "allow");
        assert_eq!(decide(&open, exchange("anywhere", "203.0.113.9", json!(["x"])))["outcome"], "allow");
        let closed = Engine::new(Some(r#"{"version":1,"m2m":{"require_listed":true}}"#));
        let a = decide(&closed, exchange("someone", "203.0.113.9", json!(["x"])));
        assert_eq!((a["deny_code"].as_str(), a["reasons"][0]["code"].as_str()), (Some("invalid_request"), Some("client_not_listed")));
        assert_eq!(decide(&closed, json!({}))["outcome"], "deny");
    }

    #[test]
    fn tenant_deny_lists_apply_and_wrong_types_are_failures() {
        let engine = Engine::new(Some(r#"{"version":1,"networks":{"deny":["203.0.113.0/24"]}}"#));
        assert_eq!(decide(&engine, exchange("x", "203.0.113.9", json!([])))["reasons"][0]["code"], "network_denied_by_policy");
        let bad = decide(&engine, json!({"accessToken": {"scope": "read:reports"}}));
        assert_eq!((bad["type"].as_str(), bad["errors"][0]["path"].as_str()), (Some("failure"), Some("accessToken.scope")));
    }
}
