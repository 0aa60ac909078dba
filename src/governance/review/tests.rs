use serde_json::{json, Value};

use super::*;

const DAY: i64 = 86_400_000;
const NOW: i64 = 1_780_000_000_000;

fn policy() -> String {
    json!({"version": 1,
        "tiers": {"regulated": {"mfa": {"mode": "always"}}, "watched": {"thresholds": {"challenge": 0.3}}},
        "governance": {"review": {"stale_days": 90, "pending_domain_days": 14, "stricter_tier": "watched", "stricter_share": 0.5}}})
    .to_string()
}

fn run(input: Value) -> (Review, Vec<Issue>) {
    match review_json(&input.to_string()) {
        Answer::Success { payload, warnings } => (payload, warnings),
        Answer::Failure { errors } => panic!("{errors:?}"),
    }
}

fn codes(r: &Review, org: &str) -> Vec<(String, String)> {
    let o = r.organizations.iter().find(|o| o.id == org).unwrap();
    o.findings.iter().map(|f| (f.code.to_string(), f.subject.clone())).collect()
}

fn tenant() -> Value {
    json!({
        "policy": policy(), "tenant": "t1", "now_ms": NOW, "logs_from_ms": NOW - 120 * DAY,
        "organizations": [
            {"id": "org_acme", "name": "acme", "metadata": {},
             "domains": [{"domain": "acme.com", "status": "verified"}, {"domain": "acme.io", "status": "pending", "first_seen_pending_ms": NOW - 20 * DAY},
                         {"domain": "acme.dev", "status": "pending", "first_seen_pending_ms": NOW - 3 * DAY}],
             "members": [
                {"user_id": "auth0|fresh", "email": "fresh@acme.com", "last_success_ms": NOW - DAY},
                // last_login is old, but the logs saw a silent authentication yesterday.
                {"user_id": "auth0|spa", "email": "spa@acme.com", "last_success_ms": NOW - DAY, "last_login_ms": NOW - 200 * DAY},
                {"user_id": "auth0|gone", "email": "gone@acme.com", "last_success_ms": NOW - 100 * DAY},
                {"user_id": "auth0|never", "email": "never@Sub.ACME.com"},
                {"user_id": "auth0|contractor", "email": "c@contractor.example", "email_verified": true, "last_success_ms": NOW - DAY},
                {"user_id": "auth0|hopper", "email": "h@hopper.example", "last_success_ms": NOW - DAY}
             ]},
            {"id": "org_beta", "name": "beta", "metadata": {"ag_tier": "regulated"},
             "domains": [{"domain": "beta.example", "status": "verified"}],
             "members": [
                {"user_id": "auth0|b1", "email": "b1@beta.example", "last_success_ms": NOW - DAY},
                {"user_id": "auth0|hopper", "email": "h@hopper.example", "last_success_ms": NOW - DAY}
             ]},
            {"id": "org_gamma", "name": "gamma", "metadata": {"ag_tier": "regulated"},
             "domains": [{"domain": "gamma.example", "status": "verified"}],
             "members": [{"user_id": "auth0|g1", "email": "g1@gamma.example", "last_success_ms": NOW - DAY, "mfa_seen": true}]}
        ]
    })
}

#[test]
fn each_finding_with_its_subject() {
    let (r, warnings) = run(tenant());
    assert!(warnings.is_empty(), "{warnings:?}");
    let acme = codes(&r, "org_acme");
    let has = |code: &str, subject: &str| acme.iter().any(|(c, s)| c == code && s == subject);
    assert!(has("member_stale", "auth0|gone"));
    assert!(has("member_stale", "auth0|never"), "no login on record, and the logs reach back 120 days");
    assert!(!acme.iter().any(|(_, s)| s == "auth0|fresh" || s == "auth0|spa"), "the logs come first: {acme:?}");
    assert!(has("member_domain_outside", "auth0|contractor"));
    assert!(has("member_domain_outside", "auth0|hopper"));
    assert!(!has("member_domain_outside", "auth0|never"), "a subdomain of a claimed domain is inside");
    assert!(has("member_of_unrelated_organizations", "auth0|hopper"));
    assert!(has("domain_pending_too_long", "acme.io"));
    assert!(!has("domain_pending_too_long", "acme.dev"));
    // 2 of 6 outside: below the 0.5 share.
    assert!(!acme.iter().any(|(c, _)| c == "members_unrelated_share"));
    // beta: regulated requires MFA, nobody used it; hopper is 1 of 2 (0.5): stricter tier proposed.
    let beta = codes(&r, "org_beta");
    assert!(beta.contains(&("mfa_required_unused".into(), "org_beta".into())), "{beta:?}");
    assert!(beta.contains(&("members_unrelated_share".into(), "org_beta".into())), "{beta:?}");
    assert!(codes(&r, "org_gamma").is_empty(), "gamma used MFA and is clean");
    assert_eq!(r.summary.organizations, 3);
    assert_eq!(r.summary.organizations_flagged, 2);
}

#[test]
fn proposals_are_requests_the_executor_accepts_once_each() {
    let (r, _) = run(tenant());
    let kinds: Vec<&str> = r.proposals.iter().map(|p| p.kind.as_str()).collect();
    // gone, never (stale); contractor (verified, outside); acme.io; beta's tier. hopper's address is not known verified.
    assert_eq!(kinds.iter().filter(|k| **k == "remove_membership").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "verify_domain").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "set_tier").count(), 1);
    for p in &r.proposals {
        if p.kind == "set_tier" {
            continue; // checked by classify's check_proposal
        }
        let checked = super::super::check_request(&serde_json::to_string(p).unwrap()).unwrap();
        assert_eq!(&checked, p);
    }
    // The same review twice proposes the same keys: the queue de-duplicates across runs.
    let (again, _) = run(tenant());
    let keys = |r: &Review| r.proposals.iter().map(|p| p.dedupe_key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&r), keys(&again));
}

#[test]
fn an_edited_stored_request_is_refused() {
    let (r, _) = run(tenant());
    let p = r.proposals.iter().find(|p| p.kind == "remove_membership").unwrap();
    let mut edited = serde_json::to_value(p).unwrap();
    edited["proposal"]["user_id"] = json!("auth0|ceo");
    let err = super::super::check_request(&edited.to_string()).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("dedupe_key"));
    let mut hostile = serde_json::to_value(p).unwrap();
    hostile["proposal"]["user_id"] = json!("auth0|a b");
    assert_eq!(super::super::check_request(&hostile.to_string()).unwrap_err().path.as_deref(), Some("proposal.user_id"));
}

#[test]
fn logs_too_short_fall_back_to_last_login_and_never_guess() {
    let mut t = tenant();
    t["logs_from_ms"] = json!(NOW - 10 * DAY);
    t["organizations"][0]["members"] = json!([
        {"user_id": "auth0|old", "email": "old@acme.com", "last_login_ms": NOW - 95 * DAY},
        {"user_id": "auth0|unknown", "email": "u@acme.com"},
        {"user_id": "auth0|recent", "email": "r@acme.com", "last_login_ms": NOW - 5 * DAY}
    ]);
    let (r, _) = run(t);
    let acme = codes(&r, "org_acme");
    assert!(acme.contains(&("member_stale".into(), "auth0|old".into())));
    assert!(!acme.iter().any(|(_, s)| s == "auth0|unknown" || s == "auth0|recent"), "{acme:?}");
}

#[test]
fn hostile_and_broken_input_is_skipped_or_refused_never_a_panic() {
    let mut t = tenant();
    t["organizations"][0]["name"] = json!("acme | <script>\u{0007}");
    t["organizations"][1]["members"][0]["user_id"] = json!("");
    t["organizations"][1]["members"][1]["email"] = json!("not an address");
    t["organizations"][2]["domains"][0]["domain"] = json!("[127.0.0.1]");
    t["organizations"][2]["metadata"]["ag_tier"] = json!(17);
    let (r, warnings) = run(t);
    assert!(warnings.iter().any(|w| w.code == "invalid_organization"), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.code == "invalid_member"), "{warnings:?}");
    assert_eq!(r.summary.organizations, 2);
    for bad in ["", "[]", "{}", r#"{"now_ms": "x", "organizations": []}"#] {
        assert!(matches!(review_json(bad), Answer::Failure { .. }), "{bad}");
    }
    let broken =
        json!({"policy": "{\"version\": 1, \"governance\": {\"review\": {\"stale_days\": 0}}}", "now_ms": NOW, "organizations": []});
    let Answer::Failure { errors } = review_json(&broken.to_string()) else { panic!("a broken policy reviews nothing") };
    assert_eq!(errors[0].path.as_deref(), Some("governance.review.stale_days"));
}

#[test]
fn markdown_escapes_what_organizations_named_themselves() {
    let mut t = tenant();
    t["organizations"][0]["name"] = json!("acme | [click](https://evil.example) <b>");
    let (r, _) = run(t);
    let md = markdown(&r);
    assert!(md.contains("acme \\| \\[click\\](https://evil.example) \\<b\\>"), "{md}");
    assert!(md.contains("| `member_stale` | auth0\\|gone |"), "{md}");
}

/// Red-team findings: a member whose own organization claims their domain is not held
/// against it; organizations that claim nothing make no one unrelated; a user created
/// within the window is not stale for having no login yet.
#[test]
fn unrelated_only_where_unrelated_and_new_users_are_not_stale() {
    let t = json!({
        "policy": policy(), "now_ms": NOW, "logs_from_ms": NOW - 120 * DAY,
        "organizations": [
            {"id": "org_acme", "name": "acme", "domains": [{"domain": "acme.com", "status": "verified"}],
             "members": [
                {"user_id": "auth0|alice", "email": "alice@acme.com", "last_success_ms": NOW - DAY},
                {"user_id": "auth0|new", "email": "new@acme.com", "created_ms": NOW - 3 * DAY},
                {"user_id": "auth0|old", "email": "old@acme.com", "created_ms": NOW - 400 * DAY}
             ]},
            {"id": "org_p1", "name": "p1", "domains": [{"domain": "p1.example", "status": "verified"}],
             "members": [{"user_id": "auth0|alice", "email": "alice@acme.com", "last_success_ms": NOW - DAY}]},
            {"id": "org_p2", "name": "p2", "domains": [{"domain": "p2.example", "status": "verified"}],
             "members": [{"user_id": "auth0|alice", "email": "alice@acme.com", "last_success_ms": NOW - DAY}]},
            {"id": "org_x", "name": "x", "members": [{"user_id": "auth0|c", "email": "c@consult.example", "last_success_ms": NOW - DAY}]},
            {"id": "org_y", "name": "y", "members": [{"user_id": "auth0|c", "email": "c@consult.example", "last_success_ms": NOW - DAY}]}
        ]
    });
    let (r, _) = run(t);
    let acme = codes(&r, "org_acme");
    assert!(!acme.iter().any(|(c, _)| c == "member_of_unrelated_organizations" || c == "members_unrelated_share"), "{acme:?}");
    assert!(acme.contains(&("member_stale".into(), "auth0|old".into())));
    assert!(!acme.iter().any(|(_, s)| s == "auth0|new"), "created three days ago: {acme:?}");
    // alice is unrelated to both partners (each claims another domain).
    assert!(codes(&r, "org_p1").contains(&("member_of_unrelated_organizations".into(), "auth0|alice".into())));
    // Organizations that claim no domain: nobody is unrelated to them.
    assert!(codes(&r, "org_x").is_empty() && codes(&r, "org_y").is_empty());
    let stale = r.proposals.iter().find(|p| p.proposal["user_id"] == "auth0|old").unwrap();
    assert_eq!(stale.proposal["stale_days"], 90);
}

#[test]
fn still_stale_at_execution_unless_a_success_in_the_window() {
    let at = |success: Option<i64>, login: Option<i64>| {
        still_stale(&StillStaleInput { stale_days: 90, now_ms: NOW, last_success_ms: success, last_login_ms: login })
    };
    assert!(at(None, None));
    assert!(at(Some(NOW - 100 * DAY), Some(NOW - 200 * DAY)));
    assert!(!at(Some(NOW - DAY), None), "a log pulled late");
    assert!(!at(None, Some(NOW - 10 * DAY)), "last_login");
    assert!(!at(Some(NOW + DAY), None), "a clock ahead is activity, not staleness");
    assert!(matches!(still_stale_json("{}"), Answer::Failure { .. }));
    let Answer::Success { payload, .. } = still_stale_json(&json!({"stale_days": 90, "now_ms": NOW}).to_string()) else { panic!() };
    assert_eq!(payload["still_stale"], true);
}
