//! Threat feed cases. `tests/threat/verify/*.json`: an envelope signed by
//! node:crypto (`scripts/sign-threat-cases.js` writes `envelope` from `payload`
//! and `sign`, with the test keys of `tests/threat/keys.json`), verified at `now`
//! for `tenant` with `key`, then asked about each of `queries` (an `ip` or a
//! `user_id`). `tests/threat/build/*.json`: an `input` for `threat::build_json`
//! and the payload it gives. `tests/threat/decide/*.json`: a login or sign-up
//! `context` decided under `policy` with the feed of the verify case named by
//! `feed` (or none): its outcome, score, reasons and warnings. `BLESS=1 cargo
//! test --test threat` writes `expected` for review.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use actionguard::threat::{build_json, Feed, Listing};
use serde_json::{json, Value};
use support::check_cases;

fn keys() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/threat/keys.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn listing(l: Option<&Listing>) -> Value {
    l.map_or(Value::Null, |l| json!({"kinds": l.kinds, "severity": l.severity.as_str(), "until_s": l.until_s}))
}

fn verify_case(case: &Value) -> Value {
    let keys = keys();
    let key = case["key"].as_str().unwrap();
    let key = keys[key]["public_key"].as_str().unwrap_or(key);
    let now_s = actionguard::clock::parse_rfc3339(case["now"].as_str().unwrap()).unwrap();
    let envelope = case["envelope"].as_str().unwrap().as_bytes();
    let feed = match Feed::verify_for_tenant(envelope, key, now_s as f64 * 1000.0, case["tenant"].as_str()) {
        Ok(feed) => feed,
        Err(err) => return json!({"error": {"code": err.code(), "path": err.path()}}),
    };
    let answers: Vec<Value> = case["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| match (q["ip"].as_str(), q["user_id"].as_str()) {
            (Some(ip), _) => json!({"ip": ip, "listed": listing(feed.network_under_attack(ip.parse().unwrap(), now_s))}),
            (_, Some(user)) => json!({"user_id": user, "listed": listing(feed.account_of_user(user, now_s))}),
            _ => panic!("a query is an ip or a user_id"),
        })
        .collect();
    json!({"networks": feed.network_count(), "accounts": feed.account_count(), "answers": answers})
}

#[test]
fn signed_feeds_verify_or_fail_as_expected() {
    check_cases("threat/verify", 15, verify_case);
}

fn build_case(case: &Value) -> Value {
    match build_json(&case["input"].to_string()) {
        Ok((built, warnings)) => json!({
            "payload": serde_json::from_str::<Value>(&built.payload).unwrap(),
            "warnings": warnings.iter().map(|w| json!({"code": w.code, "path": w.path})).collect::<Vec<_>>(),
        }),
        Err(err) => json!({"error": {"code": err.code(), "path": err.path()}}),
    }
}

#[test]
fn alerts_build_the_expected_payloads() {
    check_cases("threat/build", 4, build_case);
}

/// node:crypto and the core's Ed25519 give the same signature for the same seed
/// (Ed25519 is deterministic): the fixtures are not only self-consistent.
#[test]
fn node_and_the_core_sign_alike() {
    let keys = keys();
    let seed: Vec<u8> =
        (0..32).map(|i| u8::from_str_radix(&keys["test"]["seed"].as_str().unwrap()[i * 2..i * 2 + 2], 16).unwrap()).collect();
    let pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::from_slice(&seed).unwrap());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/threat/verify/01-listed-network-and-account.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let envelope: Value = serde_json::from_str(case["envelope"].as_str().unwrap()).unwrap();
    let ours = pair.sk.sign(envelope["payload"].as_str().unwrap().as_bytes(), None);
    let theirs = actionguard::threat::envelope::decode_base64(envelope["signature"].as_str().unwrap()).unwrap();
    assert_eq!(ours.as_ref(), theirs.as_slice());
    let public = actionguard::threat::envelope::decode_base64(keys["test"]["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(pair.pk.as_ref(), public.as_slice());
}

fn decide_case(case: &Value) -> Value {
    let keys = keys();
    let engine = actionguard::Engine::new(case.get("policy").filter(|p| !p.is_null()).map(Value::to_string).as_deref());
    assert!(engine.policy_errors().is_empty(), "{:?}", engine.policy_errors());
    let feed = case["feed"].as_str().map(|name| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/threat/verify/{name}.json"));
        let source: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        // Verified when it was fetched (02:30), whatever the decision's clock.
        Feed::verify(source["envelope"].as_str().unwrap().as_bytes(), keys["test"]["public_key"].as_str().unwrap(), 1_793_673_000_000.0)
            .unwrap()
    });
    let context = case["context"].to_string();
    let answer = match case["trigger"].as_str().unwrap() {
        "login" => serde_json::to_value(engine.decide_login_json_with_feed(&context, feed.as_ref())).unwrap(),
        "signup" => serde_json::to_value(engine.decide_signup_json_with_feed(&context, feed.as_ref())).unwrap(),
        other => panic!("unknown trigger {other}"),
    };
    let audit: Value = serde_json::from_str(answer["audit"].as_str().unwrap()).unwrap();
    json!({
        "outcome": answer["outcome"],
        "score": answer["score"],
        "reasons": answer["reasons"],
        "warnings": answer["warnings"].as_array().unwrap().iter().map(|w| w["code"].clone()).collect::<Vec<_>>(),
        "audit_warnings": audit["warnings"],
    })
}

#[test]
fn decisions_take_what_the_feed_lists() {
    check_cases("threat/decide", 12, decide_case);
}
