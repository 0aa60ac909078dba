//! Log-stream batches as Auth0 sends them (`tests/logs/*.json`), each with the
//! answer `parse_log_batch_json` must give. A case holds `body` (the text as
//! sent) or `lines` (JSON lines: a string is a raw line, anything else is written
//! as JSON), or `array` (a JSON array body). `BLESS=1 cargo test --test logs`
//! writes the answers for review.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::Value;

mod support;

fn body_of(case: &Value) -> String {
    if let Some(body) = case.get("body").and_then(Value::as_str) {
        return body.to_string();
    }
    if let Some(array) = case.get("array") {
        return array.to_string();
    }
    support::lines_body(case.get("lines").expect("a case has `body`, `array` or `lines`"))
}

#[test]
fn log_batches_read_as_expected() {
    support::check_cases("logs", 8, |case| serde_json::to_value(actionguard::logs::parse_log_batch_json(&body_of(case))).unwrap());
}

/// Very long values are cut to their bounds (at a character boundary), never
/// carried whole into the store; a long log_id is refused instead (a cut key would
/// merge logs); a line over 64 kB is not read at all.
#[test]
fn hostile_sizes_are_bounded() {
    let long = "\u{1f600}".repeat(20_000); // 80 kB
    let mid = "\u{e9}".repeat(1_000); // 2 kB, ten of them within a line
    let ok = serde_json::json!({"log_id": "1", "type": "s", "date": "2026-11-02T09:14:07Z", "user_agent": mid, "user_id": mid,
        "user_name": mid, "ip": mid, "hostname": mid, "connection": mid, "client_id": mid, "organization_id": mid,
        "location_info": {"country_code": mid}});
    let long_id = serde_json::json!({"log_id": "9".repeat(129), "type": "s", "date": "2026-11-02T09:14:07Z"});
    let huge = serde_json::json!({"log_id": "2", "type": "s", "date": "2026-11-02T09:14:07Z", "user_agent": long});
    let body = format!("{ok}\n{long_id}\n{huge}");
    let batch = actionguard::logs::parse_batch(&body);
    assert_eq!(batch.events.len(), 1);
    let e = serde_json::to_value(&batch.events[0]).unwrap();
    for (field, max) in [
        ("user_agent", 512),
        ("user_id", 256),
        ("user_name", 256),
        ("hostname", 256),
        ("connection", 256),
        ("ip", 128),
        ("client_id", 128),
        ("organization_id", 128),
        ("country_code", 8),
    ] {
        let v = e[field].as_str().unwrap();
        assert!(v.len() <= max && v.len() + 2 > max && v.chars().all(|c| c == '\u{e9}'), "{field}: {} bytes", v.len());
    }
    let codes: Vec<_> = batch.rejects.iter().map(|r| (r.index, r.reason_code)).collect();
    assert_eq!(codes, [(1, "bad_log_id"), (2, "line_too_long")]);
    // No reject quotes the line it refused.
    assert!(batch.rejects.iter().all(|r| r.message.len() < 100));
}
