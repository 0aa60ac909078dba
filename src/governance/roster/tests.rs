#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use serde_json::json;

use super::departments::normalize;
use super::*;

fn input(csv: &str) -> Value {
    json!({
        "organization": { "id": "org_1", "name": "one", "metadata": { "ag_role_map": "engineering=rol_eng,quality assurance=rol_qa" },
                          "domains": [{ "domain": "one.example", "status": "verified" }] },
        "roles": [{ "id": "rol_eng", "name": "Engineer" }, { "id": "rol_qa", "name": "Tester" }],
        "csv": csv,
    })
}

fn planned(v: &Value) -> Plan {
    match plan_json(&v.to_string()) {
        Answer::Success { payload, .. } => payload,
        Answer::Failure { errors } => panic!("{errors:?}"),
    }
}

#[test]
fn department_names_normalize_through_one_table() {
    for (a, b) in [
        ("R&D", "research and development"),
        ("r & d", "research and development"),
        ("RnD", "research and development"),
        ("Eng.", "engineering"),
        ("  ENGINEERING   Dept ", "engineering"),
        ("HR", "human resources"),
        ("Q.A.", "q a"),
        ("QA", "quality assurance"),
        ("IT Ops", "information technology operations"),
        ("Sales + Marketing", "sales and marketing"),
        ("Sales/Marketing", "sales marketing"),
        ("Ingeniería", "ingeniería"),
        ("---", ""),
    ] {
        assert_eq!(normalize(a), b, "{a}");
    }
}

#[test]
fn stored_proposals_are_checked_before_any_write() {
    let plan = planned(&input("email,department\na@one.example,Eng\nb@one.example,QA\n"));
    let request = plan.request.unwrap();
    let stored = serde_json::to_string(&request).unwrap();
    assert!(governance::check_request(&stored).is_ok());
    let tamper = |f: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&stored).unwrap();
        f(&mut v["proposal"]);
        governance::check_request(&v.to_string()).unwrap_err()
    };
    // A row edited (a role, an address, a user slipped in): the digest no longer matches.
    assert_eq!(tamper(&|p| p["rows"][0]["roles"] = json!(["rol_admin"])).path.as_deref(), Some("proposal.digest"));
    assert_eq!(tamper(&|p| p["rows"][1]["email"] = json!("x@evil.example")).path.as_deref(), Some("proposal.digest"));
    // Recomputing the digest does not help: the dedupe key holds the old one.
    let e = tamper(&|p| {
        p["rows"][0]["roles"] = json!(["rol_admin"]);
        let rows: Vec<Row> = serde_json::from_value(p["rows"].clone()).unwrap();
        let mapping: Vec<Mapping> = serde_json::from_value(p["mapping"].clone()).unwrap();
        p["digest"] = json!(digest(&rows, &mapping));
    });
    assert_eq!(e.path.as_deref(), Some("dedupe_key"));
    // Shapes: an invalid address, an add without a user, an unknown field, no rows.
    assert_eq!(tamper(&|p| p["rows"][0]["email"] = json!("not an address")).path.as_deref(), Some("proposal.rows.0.email"));
    assert_eq!(tamper(&|p| p["rows"][0]["action"] = json!("add")).path.as_deref(), Some("proposal.rows.0.action"));
    assert_eq!(tamper(&|p| p["rows"][0]["roles"] = json!(["rol a"])).path.as_deref(), Some("proposal.rows.0.roles"));
    assert_eq!(tamper(&|p| p["extra"] = json!(1)).path.as_deref(), Some("proposal."));
    assert_eq!(tamper(&|p| p["rows"] = json!([])).path.as_deref(), Some("proposal.rows"));
    assert_eq!(tamper(&|p| p["rows"][1]["email"] = p["rows"][0]["email"].clone()).path.as_deref(), Some("proposal.rows.1.email"));
}

#[test]
fn the_same_list_proposed_twice_is_one_request() {
    let a = planned(&input("email,department\na@one.example,Eng\n")).request.unwrap();
    // Another spelling of the file (CRLF, quotes, other column order): the same rows.
    let b = planned(&input("Department,Email\r\n\"Eng\",a@one.example\r\n")).request.unwrap();
    assert_eq!(a.dedupe_key, b.dedupe_key);
    let c = planned(&input("email,department\na@one.example,QA\n")).request.unwrap();
    assert_ne!(a.dedupe_key, c.dedupe_key);
}

#[test]
fn huge_lists_are_bounded() {
    // Over the row bound: a whole-file error, read no further.
    let mut csv = String::from("email,department\n");
    for i in 0..=MAX_ROWS {
        csv.push_str(&format!("p{i}@one.example,Eng\n"));
    }
    let t = std::time::Instant::now();
    match plan_json(&input(&csv).to_string()) {
        Answer::Failure { errors } => assert_eq!(errors[0].code, "too_many_rows"),
        Answer::Success { .. } => panic!("planned {} rows", MAX_ROWS + 1),
    }
    // The largest list planned: under a second, and its request fits in a stored row.
    let mut csv = String::from("email,name,department\n");
    for i in 0..MAX_ROWS {
        csv.push_str(&format!("person.number{i}@one.example,Person Number {i},Engineering\n"));
    }
    let p = planned(&input(&csv));
    assert_eq!(p.summary.invite as usize, MAX_ROWS);
    let size = serde_json::to_string(&p.request.unwrap()).unwrap().len();
    assert!(size < governance::MAX_REQUEST_BYTES, "{size}");
    assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
    // Long fields, a department each: a plan too large to store is refused whole, not cut.
    let mut csv = String::from("email,name,department\n");
    for i in 0..MAX_ROWS {
        csv.push_str(&format!("p{i}@one.example,{},{i} {}\n", "n".repeat(180), "d".repeat(180)));
    }
    assert!(csv.len() < table::MAX_CSV_BYTES);
    match plan_json(&input(&csv).to_string()) {
        Answer::Failure { errors } => assert_eq!(errors[0].code, "too_large"),
        Answer::Success { .. } => panic!("a plan over the request bound"),
    }
    // Binary garbage and a lone quote are rows or whole-file errors, never a panic.
    for garbage in ["\"", "\u{0}\u{1}\u{2}", "email,department\n\"", "\u{feff}", "email;department\n\u{202e}@x;y\n"] {
        let _ = plan_json(&input(garbage).to_string());
    }
}

#[test]
fn the_llm_is_held_back_by_an_open_breaker_and_never_asked_without_policy() {
    let mut v = input("email,department\na@one.example,Platform\n");
    v["llm"] = json!({ "available": true, "state": "0:0:5:9999999999999" });
    // Without the policy's switches: not asked.
    assert!(planned(&v).llm.escalations.is_empty());
    v["policy"] = json!(json!({"version": 1, "llm": {"enabled": true}, "governance": {"members_import": {"llm": true}}}).to_string());
    v["now_ms"] = json!(1_800_000_000_000.0);
    let p = planned(&v);
    assert!(p.llm.escalations.is_empty());
    assert_eq!(p.mapping[0].llm.as_ref().unwrap().result, "circuit_open");
    assert!(p.request.is_some(), "held back: the plan is complete, the department unmapped");
    // A plain-http endpoint elsewhere is never asked.
    v["llm"] = json!({ "available": true, "base_url": "http://llm.example/v1" });
    let p = planned(&v);
    assert!(p.llm.escalations.is_empty());
    // Free: one escalation, its token in the state to store.
    v["llm"] = json!({ "available": true });
    let p = planned(&v);
    assert_eq!(p.llm.escalations.len(), 1);
    assert_eq!(p.llm.escalations[0].department, "platform");
    assert!(p.llm.llm_state.is_some() && p.request.is_none());
    // The body holds the department's name and the role names, nothing of the people.
    assert!(!p.llm.escalations[0].body.contains("one.example"));
}
