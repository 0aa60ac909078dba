//! Entry points for `cargo fuzz` (`fuzz_targets/`) and for replaying what it found
//! (`../tests/fuzz-regressions/<target>/*`, run by `cargo test`): every input
//! the core parses, fed through the functions the WebAssembly facade calls.
//! A panic here would be a trap in a login, so each target also checks the
//! answer's invariants: every answer serializes, and a decision is one of
//! the outcomes the shims know. A broken invariant panics on purpose: that
//! is how libFuzzer (and the replay test) learns of it.

#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::unreachable)]

use std::sync::OnceLock;

use serde_json::{json, Value};

use actionguard::orgmap::OrgIndex;
use actionguard::{llm, Answer, Engine};

pub type Target = (&'static str, fn(&[u8]));

/// Target names and functions, for `scripts/fuzz` and the regression test.
pub const TARGETS: &[Target] = &[
    ("login", login),
    ("signup", signup),
    ("credentials", credentials),
    ("policy", policy),
    ("org_override", org_override),
    ("email", email),
    ("org_records", org_records),
    ("llm_answer", llm_answer),
    ("history", history),
    ("log_batch", log_batch),
    ("control_plane", control_plane),
];

/// A policy with every section in use: tiers, an LLM, networks and clients, so
/// that the paths behind them are reached.
const POLICY: &str = r#"{"version":1,
  "networks":{"deny":["192.0.2.0/24"],"allow":["198.51.100.0/24"]},"countries":{"deny":["KP"]},
  "llm":{"enabled":true,"may_deny":true,"organizations":true,"share_domain":true},
  "signup":{"blocked_domains":["blocked.example"],"velocity":{"per_domain":3}},
  "m2m":{"clients":{"reporting":{"networks":["203.0.113.0/24"],"scopes":["read:reports"],"audiences":["https://api.example"]}}},
  "organizations":{"self_serve":true,"trusted_connections":["google-oauth2"]},
  "tiers":{"regulated":{"mfa":{"mode":"always","unenrolled":"deny"},"fail_mode":"deny"}}}"#;

const ORGS: &str = r#"[
  {"id":"org_acme","name":"acme","metadata":{"ag_roles":"rol_member","ag_role_map":"engineering=rol_eng","ag_tier":"regulated"},
   "discovery_domains":[{"domain":"acme.com","status":"verified","use_for_organization_discovery":true}]},
  {"id":"org_twin","name":"twin","discovery_domains":[{"domain":"acme.com","status":"pending","use_for_organization_discovery":true},
   {"domain":"xn--bcher-kva.example","status":"verified","use_for_organization_discovery":true}]},
  {"id":"org_meta","name":"meta","metadata":{"ag_domains":"meta.example,co.uk"}}]"#;

fn engines() -> &'static (Engine, Engine) {
    static ENGINES: OnceLock<(Engine, Engine)> = OnceLock::new();
    ENGINES.get_or_init(|| (Engine::new(None), Engine::new(Some(POLICY))))
}

fn index() -> &'static OrgIndex {
    static INDEX: OnceLock<OrgIndex> = OnceLock::new();
    INDEX.get_or_init(|| match OrgIndex::from_records_json(ORGS) {
        Ok((index, _)) => index,
        Err(e) => unreachable!("the fuzzing fixture does not load: {}", e.message),
    })
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Splits an input into `n` strings at 0xFF bytes (never valid UTF-8), so one
/// fuzz input can fill several fields.
fn fields<const N: usize>(data: &[u8]) -> [String; N] {
    let mut parts = data.splitn(N, |b| *b == 0xFF);
    std::array::from_fn(|_| parts.next().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default())
}

/// The answer's invariants: it serializes, and its outcome is one the shims know.
fn check<T: serde::Serialize>(answer: &Answer<T>) {
    let Ok(value) = serde_json::to_value(answer) else { unreachable!("an answer that does not serialize") };
    if let Some(outcome) = value.get("outcome") {
        assert!(matches!(outcome.as_str(), Some("allow" | "challenge" | "deny")), "outcome {outcome}");
    }
    if let Some(body) = value.pointer("/escalation/body").and_then(Value::as_str) {
        assert!(serde_json::from_str::<Value>(body).is_ok(), "an escalation body that is not JSON");
    }
}

pub fn login(data: &[u8]) {
    let t = text(data);
    let (plain, rich) = engines();
    check(&plain.decide_login_json(&t));
    check(&rich.decide_login_json(&t));
    check(&rich.explain_login_json(&t));
}

pub fn signup(data: &[u8]) {
    let t = text(data);
    let (plain, rich) = engines();
    check(&plain.decide_signup_json(&t));
    check(&rich.decide_signup_json(&t));
}

pub fn credentials(data: &[u8]) {
    let t = text(data);
    check(&engines().1.decide_credentials_json(&t));
}

pub fn policy(data: &[u8]) {
    let t = text(data);
    let engine = Engine::new(Some(&t));
    check(&engine.decide_login_json(
        r#"{"authentication":{"riskAssessment":{"assessments":{"NewDevice":{"code":"no_match"}}}},"llm":{"available":true}}"#,
    ));
    check(&engine.decide_signup_json(r#"{"user":{"email":"a@b.example"},"request":{"ip":"203.0.113.9"}}"#));
    check(&actionguard::validate_policy_json(&t));
    check(&actionguard::effective_policy_json(POLICY, &t, Some("org_1"), None));
    check(&actionguard::encode_override_json(&t));
}

/// Organization metadata as an admin (or an attacker with the Management API) writes it.
pub fn org_override(data: &[u8]) {
    let [tier, p1, p2, p3, allowed] = fields::<5>(data);
    let meta = json!({"ag_tier": tier, "ag_policy": p1, "ag_policy_2": p2, "ag_policy_3": p3});
    let ctx = json!({"organization": {"id": "org_f", "metadata": {
        "ag_tier": tier, "ag_policy": p1, "ag_policy_2": p2, "ag_policy_3": p3, "ag_allowed_domains": allowed}},
        "user": {"email": "a@acme.com"}});
    check(&engines().1.decide_login_json(&ctx.to_string()));
    check(&actionguard::effective_policy_json(POLICY, &meta.to_string(), Some("org_1"), None));
    never_looser(&format!("{p1}{p2}{p3}"));
}

/// Whatever an organization writes, its override leaves no key of the policy
/// looser than the layers below it (`policy::direction`).
fn never_looser(text: &str) {
    use actionguard::policy::direction;
    let Ok(mut below) = actionguard::policy::parse_policy(POLICY) else { return };
    below.tiers.clear();
    let (Some(after), _, refused) = actionguard::layers::apply_override(&below, text) else { return };
    let (Ok(b), Ok(a)) = (serde_json::to_value(&below), serde_json::to_value(&after)) else { return };
    for (key, _) in direction::DIRECTIONS {
        let why = direction::loosening(key, &b, &a).or_else(|| direction::ladder_loosening(&below, &after));
        assert!(why.is_none(), "`{text}` loosened `{key}` ({why:?}); refused: {refused:?}");
    }
}

pub fn email(data: &[u8]) {
    let t = text(data);
    if let Ok(address) = actionguard::email::parse(&t) {
        let _ = actionguard::domains::classify(&address.domain);
        let _ = actionguard::email::self_and_parents(&address.domain).count();
    }
    let _ = actionguard::orgmap::verified_organizations(index(), &t);
    for verified in [true, false] {
        let ctx = json!({"user": {"user_id": "auth0|f", "email": t, "email_verified": verified}, "llm": {"available": true}});
        check(&engines().1.decide_organization_json(index(), &ctx.to_string()));
    }
    check(&engines().1.decide_signup_json(&json!({"user": {"email": t}}).to_string()));
}

/// Management API records and published snapshots, then lookups in what loaded.
pub fn org_records(data: &[u8]) {
    let t = text(data);
    if let Ok((built, _)) = OrgIndex::from_records_json(&t) {
        let snapshot = built.to_snapshot().to_string();
        if let Ok(again) = OrgIndex::from_snapshot(&snapshot) {
            let _ = actionguard::orgmap::verified_organizations(&again, "a@acme.com");
        }
        let ctx = json!({"user": {"email": "a@acme.com", "email_verified": true}, "member_of": ["org_acme"]});
        check(&engines().1.decide_organization_json(&built, &ctx.to_string()));
    }
    if let Ok(loaded) = OrgIndex::from_snapshot_string(t) {
        let ctx = json!({"user": {"email": "a@acme.com", "email_verified": true}});
        check(&engines().1.decide_organization_json(&loaded, &ctx.to_string()));
    }
}

/// Whatever an LLM (or something posing as one) answers, for a login and for a suggestion.
pub fn llm_answer(data: &[u8]) {
    let t = text(data);
    let options = ["allow".to_string(), "challenge".to_string(), "deny".to_string()];
    let _ = llm::settle(&llm::Exchange { available: true, response: Some(t.clone()), ..llm::Exchange::default() }, &options, 0.5);
    let ambiguous = json!({"authentication": {"riskAssessment": {"assessments": {
        "ImpossibleTravel": {"code": "substantial_travel_from_last_login"}, "NewDevice": {"code": "no_match"}}}},
        "llm": {"available": true, "response": t}});
    let answer = engines().1.decide_login_json(&ambiguous.to_string());
    check(&answer);
    // Whatever the answer, never below the band (this context has no floor): allow,
    // challenge, or deny only because the policy offers it.
    let suggestion = json!({"user": {"email": "a@acme.com", "email_verified": true}, "llm": {"available": true, "response": t}});
    check(&engines().1.decide_organization_json(index(), &suggestion.to_string()));
}

/// `app_metadata.actionguard` as anyone with the Management API may have left it.
pub fn history(data: &[u8]) {
    let history: Value = serde_json::from_slice(data).unwrap_or_else(|_| Value::String(text(data)));
    let ctx = json!({"history": history, "now_ms": 1.8e12, "user": {"user_id": "auth0|f"},
        "request": {"ip": "203.0.113.9", "asn": "AS64500", "user_agent": "Mozilla/5.0 (Macintosh) Safari/605.1.15",
                    "geoip": {"countryCode": "NL", "latitude": 52.37, "longitude": 4.9}}});
    check(&engines().0.decide_login_json(&ctx.to_string()));
    let counters = json!({"counters": text(data), "now_ms": 1.8e12, "user": {"email": "a@acme.com"}, "request": {"ip": "203.0.113.9"}});
    check(&engines().1.decide_signup_json(&counters.to_string()));
}

/// A log-stream body as anyone who learns the stream's URL and token may post it
/// (JSON lines or an array). Besides not panicking: logs are distinct, within the
/// bounds, and every entry is an event, a duplicate or a reject at most once; each
/// line reads the same by the fast reading and the reference one (`Value`); a file
/// of these bytes gives the same bodies however its bytes are cut.
pub fn log_batch(data: &[u8]) {
    use actionguard::logs::{parse_batch, parse_log_batch_json, readings_agree, LineFile, MAX_LOGS, MAX_LOG_ID_BYTES};
    let t = text(data);
    check(&parse_log_batch_json(&t));
    for line in t.split('\n') {
        assert!(readings_agree(line), "the fast reading differs from the reference: {line:?}");
    }
    let bodies = |step: usize| {
        let mut out = Vec::new();
        let mut file = LineFile::new();
        for piece in data.chunks(step.max(1)) {
            file.push(piece, &mut |b| out.push(b.to_string()));
        }
        file.finish(&mut |b| out.push(b.to_string()));
        out
    };
    let step = data.first().map_or(1, |b| usize::from(*b % 13) + 1);
    assert_eq!(bodies(data.len()), bodies(step), "a file's bodies depend on how its bytes are cut");
    for body in [t.clone(), format!("[{t}]"), format!("{{\"log_id\":\"w\",\"data\":{t}}}")] {
        let batch = parse_batch(&body);
        assert!(batch.events.len() <= MAX_LOGS);
        let ids: std::collections::HashSet<_> = batch.events.iter().map(|e| e.log_id.as_str()).collect();
        assert_eq!(ids.len(), batch.events.len(), "a log_id kept twice");
        assert!(batch.events.iter().all(|e| !e.log_id.is_empty() && e.log_id.len() <= MAX_LOG_ID_BYTES && !e.event_type.is_empty()));
        assert!(batch.events.iter().all(|e| e.user_agent.iter().all(|u| u.len() <= 512)));
        // Every entry takes at least one byte, and is answered once (the one
        // `too_many_entries` reject stands for all the entries left unread).
        assert!(batch.events.len() + batch.duplicates + batch.rejects.len() <= body.len() + 1, "more answers than entries");
    }
}

/// What else the control plane reads from the network: the Actions' audit webhook
/// body, an approval request and an approval step (all signed, but a leaked secret
/// must not crash the service). Records are distinct and within the bound; a request
/// read is one the Management API would take; a step is legal only where the table says.
pub fn control_plane(data: &[u8]) {
    use actionguard::approvals::{read_request, step_json};
    use actionguard::audit::intake::{read_records, read_records_json, MAX_RECORDS};
    let t = text(data);
    check(&read_records_json(&t));
    let records = read_records(&t);
    assert!(records.records.len() <= MAX_RECORDS);
    let ids: std::collections::HashSet<_> = records.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), records.records.len(), "a record id kept twice");
    if let Answer::Success { payload, .. } = read_request(&t) {
        assert_eq!(payload.dedupe_key.len(), 32);
        assert!(!payload.proposal.name.is_empty() && payload.proposal.name.len() <= 50);
    }
    check(&step_json(&t));
}
