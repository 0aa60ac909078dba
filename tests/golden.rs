//! Data-driven golden tests: every `tests/golden/*.json` file is a context, an
//! optional policy, the trigger (post-login unless it says otherwise) and the
//! answer expected, so the cases double as documentation. An
//! `organization-discovery` case also gives `organizations`: the Management API
//! records its index is built from.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//!
//! A case's `expect` is compared against the answer's JSON: each key present in
//! `expect` must match exactly; `reasons` and `warnings` compare as code lists,
//! and `audit.<field>` is that field of the audit record.

use std::path::Path;

use serde_json::{json, Value};

use actionguard::Engine;

fn codes(v: &Value, key: &str) -> Value {
    Value::Array(
        v.get(key).and_then(Value::as_array).map(|items| items.iter().filter_map(|r| r.get("code").cloned()).collect()).unwrap_or_default(),
    )
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let policy = case.get("policy").filter(|p| !p.is_null()).map(|p| match p {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let engine = Engine::new(policy.as_deref());
    let context = case.get("context").cloned().unwrap_or(json!({}));
    let context_text = match &context {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let answer = match case.get("trigger").and_then(Value::as_str).unwrap_or("post-login") {
        "post-login" => serde_json::to_value(engine.decide_login_json(&context_text)),
        "pre-user-registration" => serde_json::to_value(engine.decide_signup_json(&context_text)),
        "credentials-exchange" => serde_json::to_value(engine.decide_credentials_json(&context_text)),
        "organization-discovery" => {
            let records = case.get("organizations").cloned().unwrap_or(json!([]));
            let (index, _) = actionguard::orgmap::OrgIndex::from_records_json(&records.to_string()).map_err(|e| e.message)?;
            serde_json::to_value(engine.decide_organization_json(&index, &context_text))
        }
        other => return Err(format!("{}: unknown trigger {other:?}", path.display())),
    }
    .map_err(|e| e.to_string())?;

    let expect = case.get("expect").and_then(Value::as_object).ok_or("case has no `expect` object")?;
    let mut failures = Vec::new();
    for (key, want) in expect {
        let got = match key.as_str() {
            "reasons" | "warnings" | "errors" => codes(&answer, key),
            "error_messages" => Value::Array(
                answer
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|e| e.iter().filter_map(|x| x.get("message").cloned()).collect())
                    .unwrap_or_default(),
            ),
            "audit_reasons" => answer
                .get("audit")
                .and_then(Value::as_str)
                .and_then(|line| serde_json::from_str::<Value>(line).ok())
                .map(|a| codes(&a, "reasons"))
                .unwrap_or(Value::Null),
            "escalation_options" => answer.pointer("/escalation/options").cloned().unwrap_or(Value::Null),
            // One field of the audit record (`audit.would_outcome`, `audit.enforcement`).
            other if other.starts_with("audit.") => answer
                .get("audit")
                .and_then(Value::as_str)
                .and_then(|line| serde_json::from_str::<Value>(line).ok())
                .and_then(|a| a.get(other.trim_start_matches("audit.")).cloned())
                .unwrap_or(Value::Null),
            "audit_llm" => answer
                .get("audit")
                .and_then(Value::as_str)
                .and_then(|line| serde_json::from_str::<Value>(line).ok())
                .and_then(|a| a.get("llm").cloned())
                .unwrap_or(Value::Null),
            other => answer.get(other).cloned().unwrap_or(Value::Null),
        };
        if &got != want {
            failures.push(format!("  {key}: expected {want}, got {got}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}\n  answer: {answer}", path.display(), failures.join("\n")))
    }
}

#[test]
fn golden_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8, "expected the golden cases in {}", dir.display());
    let failures: Vec<String> = paths.iter().filter_map(|p| run_case(p).err()).collect();
    assert!(failures.is_empty(), "{} golden case(s) failed:\n{}", failures.len(), failures.join("\n\n"));
}
