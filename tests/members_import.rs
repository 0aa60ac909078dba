//! Bulk membership plans (`governance::roster`), data-driven: each
//! `tests/members_import/*.json` holds an `input` (its list as `csv_lines`, joined
//! with `\r\n` when `crlf` is set) and the `expected` answer. `BLESS=1` rewrites them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::Value;

fn answer(case: &Value) -> Value {
    let mut input = case["input"].clone();
    if let Some(lines) = case["csv_lines"].as_array() {
        let sep = if case["crlf"].as_bool() == Some(true) { "\r\n" } else { "\n" };
        let text: Vec<&str> = lines.iter().map(|l| l.as_str().unwrap()).collect();
        let prefix = if case["bom"].as_bool() == Some(true) { "\u{feff}" } else { "" };
        input["csv"] = Value::String(format!("{prefix}{}{sep}", text.join(sep)));
    }
    serde_json::to_value(actionguard::governance::roster::plan_json(&input.to_string())).unwrap()
}

#[test]
fn members_import_cases() {
    support::check_cases("members_import", 6, answer);
}

/// Every request a plan makes passes the executor's check, and its key is stable.
#[test]
fn planned_requests_pass_the_executors_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/members_import");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        let got = answer(&case);
        if let Some(request) = got.get("request") {
            let stored = request.to_string();
            let r = actionguard::governance::check_request(&stored).unwrap_or_else(|e| panic!("{}: {e:?}", entry.path().display()));
            assert_eq!(r.dedupe_key, request["dedupe_key"].as_str().unwrap());
            checked += 1;
        }
    }
    assert!(checked >= 3, "{checked}");
}
