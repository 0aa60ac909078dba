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
    v["policy"] = json!(llm_policy(&["rol_eng", "rol_qa"]));
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

fn llm_policy(assignable: &[&str]) -> String {
    json!({"version": 1, "llm": {"enabled": true}, "governance": {"members_import": {"llm": true}},
           "organizations": {"assignable_roles": assignable}})
    .to_string()
}

fn warning_codes(v: &Value) -> Vec<String> {
    match plan_json(&v.to_string()) {
        Answer::Success { warnings, .. } => warnings.into_iter().map(|w| w.code.to_string()).collect(),
        Answer::Failure { errors } => panic!("{errors:?}"),
    }
}

#[test]
fn only_a_trusted_connection_s_verified_address_adds_a_user() {
    let mut v = input("email,department\nbob@one.example,Eng\n");
    v["organization"]["enabled_connections"] = json!(["one-okta", { "connection": { "name": "one-saml" } }]);
    let plan_for = |v: &mut Value, user: Value| {
        v["users"] = json!([user]);
        let row = planned(v).rows.remove(0);
        (row.action, row.reason.code)
    };
    let user = |verified: bool, identities: Value| json!({ "email": "bob@one.example", "user_id": "auth0|bob", "email_verified": verified, "identities": identities });
    let db = json!([{ "provider": "auth0", "connection": "Username-Password-Authentication" }]);
    // A database user who verified the address: Auth0 checked the mailbox.
    assert_eq!(plan_for(&mut v, user(true, db.clone())), ("add".into(), "import_add_verified_user".into()));
    // Another customer's IdP asserting the address as verified: invited.
    let other = json!([{ "provider": "samlp", "connection": "evil-corp-saml" }]);
    assert_eq!(plan_for(&mut v, user(true, other)), ("invite".into(), "import_invite_untrusted_connection".into()));
    // The organization's own enterprise connections, both ways Auth0 lists them.
    for c in ["one-okta", "one-saml"] {
        let own = json!([{ "provider": "okta", "connection": c }]);
        assert_eq!(plan_for(&mut v, user(true, own)), ("add".into(), "import_add_verified_user".into()), "{c}");
    }
    // The primary identity decides (the root address is its): a database identity linked
    // behind a foreign IdP's does not make the IdP's assertion trusted.
    let linked = json!([{ "provider": "oidc", "connection": "evil-oidc" }, { "provider": "auth0", "connection": "db" }]);
    assert_eq!(plan_for(&mut v, user(true, linked)), ("invite".into(), "import_invite_untrusted_connection".into()));
    // No identities passed: nothing shows where the verification came from.
    assert_eq!(plan_for(&mut v, user(true, json!([]))), ("invite".into(), "import_invite_untrusted_connection".into()));
    // Not verified, even through the database: invited.
    assert_eq!(plan_for(&mut v, user(false, db)), ("invite".into(), "import_invite_unverified".into()));
}

#[test]
fn a_cjk_organization_name_is_clipped_by_bytes_and_its_request_passes_the_check() {
    let mut v = input("email,department\na@one.example,Eng\n");
    v["organization"]["display_name"] = json!("株式会社".repeat(25));
    let request = planned(&v).request.expect("a request");
    let name = request.proposal["organization_name"].as_str().unwrap();
    assert!(name.len() <= 256 && name.len() > 250, "{}", name.len());
    assert!(name.chars().all(|c| "株式会社".contains(c)));
    let stored = serde_json::to_string(&request).unwrap();
    governance::check_request(&stored).unwrap();
    assert_eq!(clip("aé", 2), "a");
    assert_eq!(clip("aé", 3), "aé");
    assert_eq!(clip("", 0), "");
}

#[test]
fn the_llm_chooses_only_among_assignable_roles_and_only_when_some_are_listed() {
    let mut v = input("email,department\na@one.example,Platform\n");
    v["llm"] = json!({ "available": true });
    v["now_ms"] = json!(1_800_000_000_000.0);
    v["roles"] = json!([{ "id": "rol_eng", "name": "Engineer" }, { "id": "rol_admin", "name": "Org Admin" }]);
    // No assignable roles (the default): every tenant role would be on offer, so not asked.
    v["policy"] = json!(llm_policy(&[]));
    let p = planned(&v);
    assert!(p.llm.escalations.is_empty());
    assert!(warning_codes(&v).contains(&"llm_no_assignable_roles".to_string()));
    assert!(p.request.is_some(), "complete without the LLM: unmapped");
    assert_eq!(p.mapping[0].source, Source::Unmapped);
    // Listed: only those are offered, the admin role never.
    v["policy"] = json!(llm_policy(&["rol_eng"]));
    let p = planned(&v);
    assert_eq!(p.llm.escalations[0].options, ["Engineer", "none"]);
    assert!(!p.llm.escalations[0].body.contains("Org Admin"));
    // Over 50 assignable roles: the first 50 offered, and a warning says so.
    let roles: Vec<Value> = (0..60).map(|i| json!({ "id": format!("rol_{i:02}"), "name": format!("Role {i:02}") })).collect();
    let ids: Vec<String> = (0..60).map(|i| format!("rol_{i:02}")).collect();
    v["roles"] = json!(roles);
    v["policy"] = json!(llm_policy(&ids.iter().map(String::as_str).collect::<Vec<_>>()));
    let p = planned(&v);
    assert_eq!(p.llm.escalations[0].options.len(), 51);
    assert!(warning_codes(&v).contains(&"llm_roles_truncated".to_string()));
}

#[test]
fn departments_sharing_their_first_64_characters_get_their_own_answers() {
    let long = "a".repeat(70);
    let csv = format!("email,department\na@one.example,{long} north\nb@one.example,{long} south\n");
    let mut v = input(&csv);
    v["roles"] = json!([{ "id": "rol_eng", "name": "Engineer" }, { "id": "rol_qa", "name": "Tester" }]);
    v["policy"] = json!(llm_policy(&["rol_eng", "rol_qa"]));
    v["llm"] = json!({ "available": true });
    v["now_ms"] = json!(1_800_000_000_000.0);
    let p = planned(&v);
    let keys: Vec<&str> = p.llm.escalations.iter().map(|e| e.department.as_str()).collect();
    assert_eq!(keys, [format!("{long} north"), format!("{long} south")]);
    let answer = |role: &str| {
        let content = json!({ "decision": role, "confidence": 0.95, "rationale": "by name" }).to_string();
        json!({ "response": json!({ "choices": [{ "message": { "content": content } }] }).to_string() })
    };
    v["llm"] = json!({ "available": true, "state": p.llm.llm_state, "answers": {
        format!("{long} north"): answer("Engineer"), format!("{long} south"): answer("Tester") } });
    let p = planned(&v);
    let roles: Vec<(&str, &[String])> = p.rows.iter().map(|r| (r.email.as_str(), r.roles.as_slice())).collect();
    assert_eq!(roles, [("a@one.example", &["rol_eng".to_string()][..]), ("b@one.example", &["rol_qa".to_string()][..])]);
}
