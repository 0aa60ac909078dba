//! Every decision's answer carries its audit record twice: in full (`audit`, for the
//! webhook) and as its console line (`audit_line`, what Auth0 keeps), joined by one id
//! that no other record of the instance has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use actionguard::Engine;
use serde_json::{json, Value};

fn answer<T: serde::Serialize>(a: &actionguard::Answer<T>) -> Value {
    serde_json::to_value(a).unwrap()
}

/// (id of the full record, the console line parsed), checking what joins them.
fn ids(a: &Value) -> (String, Value) {
    assert_eq!(a["type"], "success", "{a}");
    let record: Value = serde_json::from_str(a["audit"].as_str().unwrap()).unwrap();
    let text = a["audit_line"].as_str().unwrap();
    assert!(text.chars().count() <= actionguard::audit::MAX_LINE_CHARS, "{text}");
    let line: Value = serde_json::from_str(text).unwrap();
    assert_eq!(line["id"], record["id"]);
    assert_eq!(line["trigger"], record["trigger"]);
    assert_eq!(line["digest"], record["policy"]["digest"]);
    (record["id"].as_str().unwrap().to_string(), line)
}

#[test]
fn every_trigger_answers_with_a_record_and_its_line_under_one_unique_id() {
    let mut engine = Engine::new(Some(r#"{"version":1,"tiers":{"regulated":{"mfa":{"mode":"always"}}}}"#));
    engine.set_record_nonce("0123456789abcdef01234567").unwrap();
    let login = json!({"tenant": {"id": "t"}, "user": {"user_id": "auth0|1"},
        "authentication": {"riskAssessment": {"assessments": {"ImpossibleTravel": {"code": "impossible_travel_from_last_login"}}}}, "now_ms": 1.8e12});
    let layered = json!({"tenant": {"id": "t"}, "user": {"user_id": "auth0|2"}, "organization": {"id": "org_1", "metadata": {"ag_tier": "regulated"}}});
    let answers = [
        answer(&engine.decide_login_json(&login.to_string())),
        answer(&engine.decide_login_json(&login.to_string())),
        answer(&engine.decide_login_json(&layered.to_string())),
        answer(&engine.decide_signup_json(r#"{"user":{"email":"x@mailinator.com"}}"#)),
        answer(&engine.decide_credentials_json("{}")),
    ];
    let seen: Vec<(String, Value)> = answers.iter().map(ids).collect();
    let mut distinct: Vec<&String> = seen.iter().map(|(id, _)| id).collect();
    distinct.sort();
    distinct.dedup();
    // The same context twice is two records; an organization's layers draw from the same sequence.
    assert_eq!(distinct.len(), answers.len(), "{seen:?}");
    let (_, first) = &seen[0];
    assert_eq!(first["outcome"], answers[0]["outcome"]);
    assert_eq!(first["reasons"][0], "auth0_impossible_travel");
}

#[test]
fn the_nonce_decides_the_ids() {
    let decide = |nonce: Option<&str>| {
        let mut engine = Engine::new(None);
        if let Some(n) = nonce {
            engine.set_record_nonce(n).unwrap();
        }
        ids(&answer(&engine.decide_credentials_json("{}"))).0
    };
    assert_eq!(decide(None), decide(None), "without a nonce, ids are unique per engine only");
    assert_ne!(decide(Some("0123456789abcdef01234567")), decide(Some("0123456789abcdef01234568")));
    assert!(Engine::new(None).set_record_nonce("0123").is_err());
}
