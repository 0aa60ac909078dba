//! Whether a sign-up may go ahead (pre-user-registration): the tenant's
//! domain rules, vendored disposable and free-mail lists, network and
//! country lists, sign-up bursts per address, network and domain, and soft
//! evidence of a bot (hosting network, automation client, headless browser)
//! that refuses only in combination.
//!
//! A sign-up has no second factor to fall back on, so the answer is allow or
//! deny; a deny carries a code for the logs and a sentence for the person.

pub mod velocity;

use serde::{Deserialize, Serialize};

use crate::answer::{parse_json, Answer, Issue};
use crate::audit::{self, AuditRecord};
use crate::cache::{self, CacheWrite};
use crate::context::{drop_if_longer, Request, Tenant, MAX_ID};
use crate::decision::{Outcome, Reason};
use crate::domains::{self, DomainClass};
use crate::email;
use crate::enforcement;
use crate::risk::{self, agent, network};
use crate::signals::{self, PolicyReason, Signal};
use crate::{threat, Engine};

use velocity::{CounterKey, Counters};

/// `event` of pre-user-registration, the parts we use, plus the counters the
/// shim read from `api.cache` and the Action's clock.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SignupContext {
    pub tenant: Option<Tenant>,
    pub user: Option<SignupUser>,
    pub connection: Option<Connection>,
    pub request: Option<Request>,
    /// The value the shim keeps under its cache key, as read.
    pub counters: Option<String>,
    /// What the counters' keys are made with (never stored, never audited).
    pub counter_secrets: Option<CounterSecrets>,
    pub now_ms: Option<f64>,
    /// What the host says of the threat feed: why it has none, or only an older one.
    pub threat_feed: Option<crate::threat::HostNote>,
}

/// The secrets a sign-up counter's key may be made with, in this order:
/// `COUNTER_KEY`; a key derived from `AUTH0_CLIENT_SECRET`; a random key of this
/// Action instance (counts per instance only, warning `counters_per_instance`).
/// Without any, nothing is counted (warning `counters_unkeyed`): an unkeyed
/// hash of an address in a cache every Action of the trigger reads is the
/// address.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CounterSecrets {
    /// The `COUNTER_KEY` secret, at least [`MIN_SECRET_CHARS`] characters.
    pub counter_key: Option<String>,
    /// `AUTH0_CLIENT_SECRET`, when the Action has it.
    pub client_secret: Option<String>,
    /// A random key the runtime made for this Action instance.
    pub instance_key: Option<String>,
}

/// A shorter secret could be guessed along with the address it keys.
pub const MIN_SECRET_CHARS: usize = 16;

impl std::fmt::Debug for CounterSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "absent" };
        f.debug_struct("CounterSecrets")
            .field("counter_key", &set(&self.counter_key))
            .field("client_secret", &set(&self.client_secret))
            .field("instance_key", &set(&self.instance_key))
            .finish()
    }
}

impl CounterSecrets {
    fn bound(&mut self, warnings: &mut Vec<Issue>) {
        // Auth0 limits a secret's value to 4,096 characters.
        drop_if_longer(&mut self.counter_key, 4096, "counter_secrets.counter_key", warnings);
        drop_if_longer(&mut self.client_secret, 4096, "counter_secrets.client_secret", warnings);
        drop_if_longer(&mut self.instance_key, 4096, "counter_secrets.instance_key", warnings);
    }
}

/// The key the counters are kept under, or none (and why, in `warnings`).
fn counter_key(secrets: Option<&CounterSecrets>, warnings: &mut Vec<Issue>) -> Option<CounterKey> {
    let strong = |s: &Option<String>| s.as_deref().filter(|s| s.chars().count() >= MIN_SECRET_CHARS).map(str::to_string);
    let secrets = secrets.cloned().unwrap_or_default();
    if secrets.counter_key.as_deref().is_some_and(|s| !s.is_empty()) && strong(&secrets.counter_key).is_none() {
        warnings.push(Issue::new(
            "counter_key_weak",
            Some("counter_secrets.counter_key".into()),
            "the `COUNTER_KEY` secret is shorter than 16 characters and is not used",
        ));
    }
    if let Some(s) = strong(&secrets.counter_key) {
        return Some(CounterKey::derive("COUNTER_KEY", &s));
    }
    if let Some(s) = strong(&secrets.client_secret) {
        return Some(CounterKey::derive("AUTH0_CLIENT_SECRET", &s));
    }
    if let Some(s) = strong(&secrets.instance_key) {
        warnings.push(Issue::new(
            "counters_per_instance",
            Some("counter_secrets".into()),
            "sign-up counters are keyed per Action instance: set the `COUNTER_KEY` secret to count across instances",
        ));
        return Some(CounterKey::derive("instance", &s));
    }
    warnings.push(Issue::new(
        "counters_unkeyed",
        Some("counter_secrets".into()),
        "sign-up bursts are not counted: no `COUNTER_KEY` secret to key the counters with",
    ));
    None
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SignupUser {
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Connection {
    pub name: Option<String>,
}

impl SignupContext {
    pub fn from_json(json: &str) -> Result<(SignupContext, Vec<Issue>), Issue> {
        let mut ctx: SignupContext = parse_json(json, "invalid_context")?;
        let mut warnings = Vec::new();
        // An address longer than any valid one is refused as malformed by email::parse.
        if let Some(t) = &mut ctx.tenant {
            t.bound(&mut warnings);
        }
        if let Some(c) = &mut ctx.connection {
            drop_if_longer(&mut c.name, MAX_ID, "connection.name", &mut warnings);
        }
        if let Some(r) = &mut ctx.request {
            r.bound(&mut warnings);
        }
        // Our own cache value is at most 4 kB; anything bigger is not ours.
        drop_if_longer(&mut ctx.counters, 4096, "counters", &mut warnings);
        if let Some(s) = &mut ctx.counter_secrets {
            s.bound(&mut warnings);
        }
        crate::context::bound_now(&mut ctx.now_ms, &mut warnings);
        if let Some(note) = &mut ctx.threat_feed {
            drop_if_longer(&mut note.error, crate::context::MAX_CODE, "threat_feed.error", &mut warnings);
        }
        Ok((ctx, warnings))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignupDecision {
    /// What the Action must do: `allow` when the decision is only watched (`enforcement`).
    pub outcome: Outcome,
    /// What the engine decided; differs from `outcome` only when the decision is watched,
    /// and then `deny_reason` and `user_message` are absent too.
    pub would_outcome: Outcome,
    /// Whether the decision is applied (policy `enforcement.signup`).
    pub enforcement: crate::enforcement::Applied,
    /// Combined soft evidence in [0, 1] (hard rules deny whatever it is).
    pub score: f64,
    pub reasons: Vec<Reason>,
    /// For `api.access.deny(reason, userMessage)`: a stable code, no user data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<&'static str>,
    /// The sentence the person signing up sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_message: Option<&'static str>,
    /// `disposable`, `free_mail` or `other`; absent without a valid address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_class: Option<&'static str>,
    /// The counters to write back to `api.cache` (key [`cache::SIGNUP_COUNTERS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<CacheWrite>,
    #[serde(flatten, serialize_with = "crate::audit::as_json_lines")]
    pub audit: AuditRecord,
}

impl Engine {
    pub fn decide_signup_json(&self, context_json: &str) -> Answer<SignupDecision> {
        self.decide_signup_json_with_feed(context_json, None)
    }

    /// The sign-up decision for a context given as JSON text, consulting a verified threat feed.
    pub fn decide_signup_json_with_feed(&self, context_json: &str, feed: Option<&threat::Feed>) -> Answer<SignupDecision> {
        match SignupContext::from_json(context_json) {
            Ok((ctx, warnings)) => self.decide_signup_with_feed(&ctx, warnings, feed),
            Err(err) => Answer::failure(err),
        }
    }

    pub fn decide_signup(&self, ctx: &SignupContext, warnings: Vec<Issue>) -> Answer<SignupDecision> {
        self.decide_signup_with_feed(ctx, warnings, None)
    }

    /// The sign-up decision; `feed`, when the host holds one, adds `network_under_attack`
    /// for the request's address as soft evidence (its weight; sign-ups read no floor).
    pub fn decide_signup_with_feed(
        &self,
        ctx: &SignupContext,
        mut warnings: Vec<Issue>,
        feed: Option<&threat::Feed>,
    ) -> Answer<SignupDecision> {
        warnings.extend(self.policy_warnings());
        let policy = &self.policy.signup;
        let mut hard: Vec<&PolicyReason> = Vec::new();

        let address = ctx.user.as_ref().and_then(|u| u.email.as_deref()).map(email::parse);
        let (domain, class) = match &address {
            Some(Ok(a)) => (Some(a.domain.as_str()), Some(domains::classify(&a.domain))),
            Some(Err(_)) => {
                hard.push(&signals::EMAIL_INVALID);
                (None, None)
            }
            None => (None, None),
        };
        if !self.signup_allowed_domains.is_empty()
            && !domain.is_some_and(|d| self.signup_allowed_domains.iter().any(|a| email::within(d, a)))
        {
            hard.push(&signals::SIGNUP_DOMAIN_NOT_ALLOWED);
        }
        if domain.is_some_and(|d| self.signup_blocked_domains.iter().any(|b| email::within(d, b))) {
            hard.push(&signals::SIGNUP_DOMAIN_BLOCKED);
        }
        if class == Some(DomainClass::Disposable) && policy.block_disposable {
            hard.push(&signals::DISPOSABLE_EMAIL);
        }
        if class == Some(DomainClass::FreeMail) && policy.block_free_mail {
            hard.push(&signals::FREE_MAIL_NOT_ALLOWED);
        }

        let request = ctx.request.as_ref();
        let ip = request.and_then(|r| r.ip.as_deref()).and_then(network::parse_ip);
        let trusted = ip.is_some_and(|ip| network::contains(&self.allow_networks, ip));
        if ip.is_some_and(|ip| network::contains(&self.deny_networks, ip)) {
            hard.push(&signals::NETWORK_DENIED_RULE);
        }
        let country = request.and_then(|r| r.geoip.as_ref()).and_then(|g| g.country_code.as_deref());
        if country.is_some_and(|c| self.policy.countries.deny.iter().any(|d| d.eq_ignore_ascii_case(c))) {
            hard.push(&signals::COUNTRY_DENIED_RULE);
        }

        // Count every attempt, refused ones too: a bot that keeps trying stays refused.
        let now_s = ctx.now_ms.map(|ms| (ms / 1000.0) as i64);
        let mut counters_write = None;
        let key = match (now_s, trusted) {
            (Some(_), false) => counter_key(ctx.counter_secrets.as_ref(), &mut warnings),
            _ => None,
        };
        if let (Some(now_s), Some(key)) = (now_s, key) {
            let v = &policy.velocity;
            let (mut counters, unreadable) = Counters::load(ctx.counters.as_deref(), now_s, i64::from(v.window_minutes) * 60);
            if unreadable {
                warnings.push(Issue::new("counters_reset", Some("counters".into()), "unreadable sign-up counters were reset"));
            }
            if let Some(ip) = ip {
                let single = network::subscriber(ip).to_string();
                let n = counters.hit(key.key('i', &single), now_s);
                if v.per_ip > 0 && n > f64::from(v.per_ip) {
                    hard.push(&signals::SIGNUP_BURST_IP);
                }
                if let Some(net) = network::home_prefix(ip) {
                    let n = counters.hit(key.key('n', &net.to_string()), now_s);
                    if v.per_network > 0 && n > f64::from(v.per_network) {
                        hard.push(&signals::SIGNUP_BURST_NETWORK);
                    }
                }
            }
            // Free-mail domains are shared by millions: counting them says nothing.
            if let (Some(d), Some(DomainClass::Other | DomainClass::Disposable)) = (domain, class) {
                let n = counters.hit(key.key('d', d), now_s);
                if v.per_domain > 0 && n > f64::from(v.per_domain) {
                    hard.push(&signals::SIGNUP_BURST_DOMAIN);
                }
            }
            counters_write = Some(CacheWrite { key: cache::SIGNUP_COUNTERS, value: counters.store(), ttl_ms: Some(counters.ttl_ms()) });
        }

        let mut soft: Vec<Signal> = Vec::new();
        let asn = request.and_then(|r| r.asn.as_deref()).and_then(network::parse_asn);
        if !trusted && asn.is_some_and(|a| self.hosting_asns.contains(&a)) {
            soft.push(signals::HOSTING_NETWORK);
        }
        let tenant = ctx.tenant.as_ref().and_then(|t| t.id.as_deref());
        let query = threat::Query { tenant, ip, user_id: None, now_ms: ctx.now_ms };
        soft.extend(self.threat_evidence(feed, ctx.threat_feed.as_ref(), query, &mut warnings));
        if request.is_some() {
            let agent = agent::classify(request.and_then(|r| r.user_agent.as_deref()));
            for (hit, signal) in [
                (agent.automation, signals::AUTOMATED_CLIENT),
                (agent.headless, signals::HEADLESS_BROWSER),
                (agent.missing, signals::MISSING_USER_AGENT),
            ] {
                if hit {
                    soft.push(signal);
                }
            }
        }
        let score = risk::combine(&soft);
        if score >= policy.deny_score && !soft.is_empty() {
            hard.push(&signals::SIGNUP_RISK_TOO_HIGH);
        }

        let mut reasons: Vec<Reason> = hard.iter().map(|r| Reason::of(r)).collect();
        reasons.extend(soft.iter().map(Reason::evidence));
        let would = if hard.is_empty() { Outcome::Allow } else { Outcome::Deny };

        let record = self.audit("pre-user-registration", ctx.tenant.as_ref().and_then(|t| t.id.as_deref()), ctx.now_ms);
        // The address pseudonymized without its +tag, so retries correlate.
        let user = match &address {
            Some(Ok(a)) => Some(audit::pseudonymize_email(record.tenant(), &a.base_local(), &a.domain)),
            _ => None,
        };
        // A watched sign-up is counted like any other (the counters are what a burst is
        // seen by) and refuses no one.
        let applied = enforcement::applied(&self.policy.enforcement.signup, user.as_deref());
        reasons.extend(enforcement::reason(enforcement::Kind::Signup, &applied));
        let first = hard.first().filter(|_| applied.enforced);
        let outcome = if first.is_some() { Outcome::Deny } else { Outcome::Allow };
        let record = record
            .user(user)
            .domain_class(class.map(DomainClass::as_str))
            .outcome(would)
            .enforcement(applied, outcome)
            .scores(score, score, None)
            .reasons(&reasons)
            .warnings(&warnings)
            .build();

        Answer::success(
            SignupDecision {
                outcome,
                would_outcome: would,
                enforcement: applied,
                score,
                reasons,
                deny_reason: first.map(|r| match r.code {
                    c if c.starts_with("signup_burst") => "signup_burst",
                    c => c,
                }),
                user_message: first.and_then(|r| r.user_message),
                domain_class: class.map(DomainClass::as_str),
                counters: counters_write,
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

    fn decide(engine: &Engine, ctx: Value) -> Value {
        serde_json::to_value(engine.decide_signup_json(&ctx.to_string())).unwrap()
    }

    fn codes(answer: &Value) -> Vec<String> {
        answer["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
    }

    const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    fn signup(email: &str, ip: &str, now_ms: f64, counters: Option<&str>) -> Value {
        json!({
            "tenant": {"id": "acme-prod"},
            "user": {"email": email},
            "request": {"ip": ip, "user_agent": BROWSER, "geoip": {"countryCode": "US"}},
            "counters": counters,
            "counter_secrets": {"counter_key": "test-counter-key-0123456789"},
            "now_ms": now_ms,
        })
    }

    /// Security review (issue 16): which secret keys the counters, and nothing is
    /// counted without one.
    #[test]
    fn counters_are_keyed_with_a_secret_or_not_kept_at_all() {
        let engine = Engine::new(None);
        let t = 1_800_000_000_000.0;
        let with = |secrets: Value| {
            let mut ctx = signup("a@acme-industries.com", "198.51.100.7", t, None);
            ctx["counter_secrets"] = secrets;
            decide(&engine, ctx)
        };
        let warnings = |a: &Value| -> Vec<String> {
            a["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap().to_string()).collect()
        };
        let stored = |a: &Value| a["counters"]["value"].as_str().map(str::to_string);
        let own = with(json!({"counter_key": "tenant-a-counter-key-0123456789"}));
        let other = with(json!({"counter_key": "tenant-b-counter-key-0123456789"}));
        assert!(warnings(&own).is_empty());
        assert_ne!(stored(&own), stored(&other), "two tenants' secrets, two sets of keys");
        // Derived from the client secret when there is no COUNTER_KEY; a weak one is named and skipped.
        let derived = with(json!({"counter_key": "short", "client_secret": "tenant-a-counter-key-0123456789"}));
        assert_eq!(warnings(&derived), ["counter_key_weak"]);
        assert!(stored(&derived).is_some());
        assert_ne!(stored(&derived), stored(&own), "the client secret keys under its own label");
        let instance = with(json!({"instance_key": "0123456789abcdef0123456789abcdef"}));
        assert_eq!(warnings(&instance), ["counters_per_instance"]);
        assert!(stored(&instance).is_some());
        for none in [json!(null), json!({}), json!({"counter_key": "", "instance_key": "too-short"})] {
            let a = with(none.clone());
            assert_eq!(warnings(&a), ["counters_unkeyed"], "{none}");
            assert!(a.get("counters").is_none(), "{none}: nothing is stored");
            assert_eq!(a["outcome"], "allow");
        }
        // No secret ever reaches the audit line.
        let line = own["audit"].as_str().unwrap();
        assert!(!line.contains("tenant-a-counter-key"), "{line}");
        let secrets = CounterSecrets { counter_key: Some("tenant-a-counter-key-0123456789".into()), ..CounterSecrets::default() };
        assert!(!format!("{secrets:?}").contains("tenant-a"), "{secrets:?}");
    }

    #[test]
    fn a_burst_from_one_address_is_refused_after_the_limit() {
        let engine = Engine::new(None);
        let mut stored: Option<String> = None;
        let t = 1_800_000_000_000.0;
        let mut outcomes = Vec::new();
        for i in 0..7 {
            let a = decide(&engine, signup(&format!("user{i}@gmail.com"), "198.51.100.7", t + f64::from(i) * 1000.0, stored.as_deref()));
            stored = a["counters"]["value"].as_str().map(str::to_string);
            outcomes.push(a["outcome"].as_str().unwrap().to_string());
            if i == 6 {
                assert_eq!(codes(&a), ["signup_burst_ip"]);
                assert_eq!(a["deny_reason"], "signup_burst");
                assert!(a["user_message"].as_str().unwrap().starts_with("Too many sign-ups"));
                assert_eq!(a["counters"]["ttl_ms"], 1_200_000.0);
            }
        }
        assert_eq!(outcomes, ["allow", "allow", "allow", "allow", "allow", "deny", "deny"]);
        // Twenty minutes later the window has passed.
        let later = decide(&engine, signup("late@gmail.com", "198.51.100.7", t + 1_200_000.0, stored.as_deref()));
        assert_eq!(later["outcome"], "allow");
    }

    #[test]
    fn domain_rules_deny_with_a_message_for_the_person() {
        let engine = Engine::new(Some(r#"{"version":1,"signup":{"blocked_domains":["Rival.example"],"block_free_mail":true}}"#));
        let t = 1_800_000_000_000.0;
        for (email, code) in [
            ("x@mailinator.com", "disposable_email"),
            ("x@inbox.mailinator.com", "disposable_email"),
            ("x@eu.rival.example", "domain_blocked"),
            ("x@gmail.com", "free_mail_not_allowed"),
            ("not-an-address", "email_invalid"),
        ] {
            let a = decide(&engine, signup(email, "203.0.113.9", t, None));
            assert_eq!(a["outcome"], "deny", "{email}");
            assert_eq!(a["deny_reason"], code, "{email}");
            assert!(!a["user_message"].as_str().unwrap().contains(email));
            let line = a["audit"].as_str().unwrap();
            assert!(!line.contains(email) && !line.contains("203.0.113.9"), "{line}");
        }
        let ok = decide(&engine, signup("sam@acme-industries.com", "203.0.113.9", t, None));
        assert_eq!(ok["outcome"], "allow");
        assert_eq!(ok["domain_class"], "other");
    }

    #[test]
    fn allow_list_admits_subdomains_only_of_listed_domains() {
        let engine = Engine::new(Some(r#"{"version":1,"signup":{"allowed_domains":["acme-industries.com"]}}"#));
        let t = 1_800_000_000_000.0;
        assert_eq!(decide(&engine, signup("a@eu.acme-industries.com", "203.0.113.9", t, None))["outcome"], "allow");
        let other = decide(&engine, signup("a@acme-industries.co", "203.0.113.9", t, None));
        assert_eq!(other["deny_reason"], "domain_not_allowed");
        let phone_only = decide(&engine, json!({"request": {"ip": "203.0.113.9", "user_agent": BROWSER}}));
        assert_eq!(phone_only["deny_reason"], "domain_not_allowed");
    }

    #[test]
    fn soft_evidence_refuses_only_in_combination() {
        let engine = Engine::new(None);
        let ctx = |ua: &str, asn: &str| json!({"user": {"email": "x@acme-industries.com"}, "request": {"ip": "52.1.2.3", "asn": asn, "user_agent": ua}});
        let vpn = decide(&engine, ctx(BROWSER, "AS16509"));
        assert_eq!((vpn["outcome"].as_str(), codes(&vpn)), (Some("allow"), vec!["hosting_network".to_string()]));
        let script = decide(&engine, ctx("python-requests/2.31.0", "AS64500"));
        assert_eq!(script["outcome"], "allow");
        let bot = decide(&engine, ctx("python-requests/2.31.0", "AS16509"));
        assert_eq!(bot["outcome"], "deny");
        assert_eq!(bot["score"], 0.74);
        assert_eq!(codes(&bot), ["risk_too_high", "hosting_network", "automated_client"]);
    }

    #[test]
    fn trusted_networks_are_not_counted_and_denied_ones_are_refused() {
        let engine =
            Engine::new(Some(r#"{"version":1,"networks":{"allow":["10.0.0.0/8"],"deny":["192.0.2.0/24"]},"countries":{"deny":["KP"]}}"#));
        let t = 1_800_000_000_000.0;
        let proxied = decide(&engine, signup("a@acme-industries.com", "10.1.2.3", t, None));
        assert_eq!(proxied["outcome"], "allow");
        assert!(proxied.get("counters").is_none(), "a proxying backend is not counted");
        assert_eq!(decide(&engine, signup("a@acme-industries.com", "192.0.2.4", t, None))["deny_reason"], "network_denied_by_policy");
        let mut kp = signup("a@acme-industries.com", "203.0.113.9", t, None);
        kp["request"]["geoip"]["countryCode"] = json!("KP");
        assert_eq!(decide(&engine, kp)["deny_reason"], "country_denied_by_policy");
    }

    #[test]
    fn malformed_contexts_fail_or_are_bounded_never_panic() {
        let engine = Engine::new(None);
        let a = decide(&engine, json!({"user": {"email": 42}}));
        assert_eq!(a["type"], "failure");
        assert_eq!(a["errors"][0]["path"], "user.email");
        let huge = "a".repeat(100_000);
        let b = decide(
            &engine,
            json!({"user": {"email": huge}, "counters": huge, "request": {"ip": huge}, "counter_secrets": {"counter_key": huge}, "now_ms": 1.0e300}),
        );
        assert_eq!(b["deny_reason"], "email_invalid");
        let c = decide(&engine, json!({"counters": "v2 garbage", "counter_secrets": {"counter_key": "x".repeat(16)}, "now_ms": 1.8e12}));
        assert_eq!(c["outcome"], "allow");
        assert_eq!(c["warnings"][0]["code"], "counters_reset");
    }
}
