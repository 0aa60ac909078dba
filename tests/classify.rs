//! Organization classification, data-driven: every `tests/classify/*.json` case is an
//! input to `governance::classify` and the answer expected, condensed to what a
//! reviewer reads (labels, reason codes, escalations, proposals); `BLESS=1` rewrites it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::{json, Value};

fn codes(v: &Value) -> Value {
    Value::Array(v.as_array().map(|a| a.iter().filter_map(|r| r.get("code").cloned()).collect()).unwrap_or_default())
}

fn condensed(answer: &Value) -> Value {
    if answer["type"] != "success" {
        return json!({ "errors": answer["errors"].as_array().unwrap().iter().map(|e| json!([e["code"], e["path"]])).collect::<Vec<_>>() });
    }
    let results: Vec<Value> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({
                "organization_id": r["organization_id"],
                "label": r["label"],
                "scores": r["scores"],
                "reasons": codes(&r["reasons"]),
                "hard_evidence": r["hard_evidence"],
                "ambiguous": r["ambiguous"],
                "contention": r.get("contention").cloned().unwrap_or(json!([])),
                "escalated": r["escalated"],
                "llm": r.get("llm").cloned().unwrap_or(Value::Null),
                "proposed_tier": r["proposed_tier"],
                "request": r.get("request").map(|q| json!({ "kind": q["kind"], "proposal": q["proposal"], "reasons": codes(&q["reasons"]) })),
            })
        })
        .collect();
    let escalations: Vec<Value> = answer["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!({ "organization_id": e["organization_id"], "options": e["options"] }))
        .collect();
    json!({
        "results": results,
        "escalations": escalations,
        "llm_state": answer.get("llm_state").cloned().unwrap_or(Value::Null),
        "summary": answer["summary"],
        "warnings": codes(&answer["warnings"]),
    })
}

#[test]
fn classification_cases() {
    support::check_cases("classify", 9, |case| {
        let answer = actionguard::governance::classify::classify_json(&case["input"].to_string());
        condensed(&serde_json::to_value(answer).unwrap())
    });
}
