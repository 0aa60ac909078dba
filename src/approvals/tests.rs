use super::*;

/// Every legal move, written out once more by hand: anything not here is refused.
const LEGAL: &[(State, Action, bool, State)] = &[
    (State::Pending, Action::Approve, false, State::Approved),
    (State::Pending, Action::Reject, false, State::Rejected),
    (State::Failed, Action::Approve, false, State::Approved),
    (State::Approved, Action::Claim, false, State::Executing),
    (State::Executing, Action::Claim, true, State::Executing),
    (State::Executing, Action::Succeed, false, State::Done),
    (State::Executing, Action::Fail, false, State::Failed),
];

const ACTIONS: [Action; 5] = [Action::Approve, Action::Reject, Action::Claim, Action::Succeed, Action::Fail];

#[test]
fn the_state_machine_allows_exactly_the_documented_moves() {
    for state in State::ALL {
        for action in ACTIONS {
            for lease_expired in [false, true] {
                let want = LEGAL.iter().find(|(s, a, needs_expiry, _)| *s == state && *a == action && (!needs_expiry || lease_expired));
                match (step(state, action, lease_expired), want) {
                    (Ok(to), Some((_, _, _, want_to))) => assert_eq!(to, *want_to, "{state:?} {action:?}"),
                    (Err(issue), None) => {
                        assert_eq!(issue.code, "illegal_transition");
                        assert!(issue.message.contains(state.as_str()), "{}", issue.message);
                    }
                    (got, want) => panic!("{state:?} {action:?} lease_expired={lease_expired}: got {got:?}, want {want:?}"),
                }
            }
        }
    }
}

#[test]
fn done_and_rejected_are_final() {
    for state in [State::Done, State::Rejected] {
        for action in ACTIONS {
            assert!(step(state, action, true).is_err(), "{state:?} {action:?}");
        }
    }
}

#[test]
fn a_live_executors_claim_cannot_be_taken_over() {
    assert!(step(State::Executing, Action::Claim, false).is_err());
    assert_eq!(step(State::Executing, Action::Claim, true), Ok(State::Executing));
}

#[test]
fn step_json_answers_moves_and_refusals() {
    let m = serde_json::to_value(step_json(r#"{"action":"approve"}"#)).unwrap();
    assert_eq!(m["move"]["from"], serde_json::json!(["pending", "failed"]));
    assert_eq!(m["move"]["to"], "approved");
    let refused = serde_json::to_value(step_json(r#"{"action":"approve","state":"done"}"#)).unwrap();
    assert_eq!(refused["type"], "failure");
    assert_eq!(refused["errors"][0]["code"], "illegal_transition");
    for bad in ["", "null", r#"{"action":"delete"}"#, r#"{"action":"approve","state":"x"}"#, r#"{"action":"approve","extra":1}"#] {
        let a = serde_json::to_value(step_json(bad)).unwrap();
        assert_eq!(a["type"], "failure", "{bad}");
        assert_eq!(a["errors"][0]["code"], "invalid_step", "{bad}");
    }
}

fn request(patch: serde_json::Value) -> String {
    let mut base = serde_json::json!({
        "kind": "create_organization",
        "dedupe_key": "0123456789abcdef0123456789abcdef",
        "tenant": "acme",
        "proposal": { "name": "example-com", "display_name": "Example", "domain": "example.com" },
        "requested_by": "u_0123",
        "requested_at": "2026-12-04T10:00:00.000Z"
    });
    if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            b.insert(k.clone(), v.clone());
        }
    }
    base.to_string()
}

#[test]
fn requests_as_the_actions_send_them_are_read() {
    match read_request(&request(serde_json::json!({}))) {
        Answer::Success { payload, .. } => {
            assert_eq!(payload.proposal.domain, "example.com");
            assert_eq!(payload.dedupe_key, "0123456789abcdef0123456789abcdef");
        }
        Answer::Failure { errors } => panic!("{errors:?}"),
    }
}

#[test]
fn malformed_and_hostile_requests_are_refused_by_field() {
    let cases = [
        (serde_json::json!({ "kind": "delete_organization" }), "kind"),
        (serde_json::json!({ "dedupe_key": "0123" }), "dedupe_key"),
        (serde_json::json!({ "dedupe_key": "0123456789ABCDEF0123456789ABCDEF" }), "dedupe_key"),
        (serde_json::json!({ "proposal": { "name": "Example Com", "display_name": "E", "domain": "example.com" } }), "proposal.name"),
        (serde_json::json!({ "proposal": { "name": "", "display_name": "E", "domain": "example.com" } }), "proposal.name"),
        (serde_json::json!({ "proposal": { "name": "e", "display_name": "a\u{0}b", "domain": "example.com" } }), "proposal.display_name"),
        (serde_json::json!({ "proposal": { "name": "e", "display_name": "E", "domain": "EXAMPLE.com" } }), "proposal.domain"),
        (serde_json::json!({ "proposal": { "name": "e", "display_name": "E", "domain": "localhost" } }), "proposal.domain"),
        (serde_json::json!({ "proposal": { "name": "e", "display_name": "E", "domain": "10.0.0.1" } }), "proposal.domain"),
        (serde_json::json!({ "tenant": "a\nb" }), "tenant"),
        (serde_json::json!({ "requested_by": "x".repeat(200) }), "requested_by"),
    ];
    for (patch, path) in cases {
        match read_request(&request(patch.clone())) {
            Answer::Failure { errors } => {
                assert_eq!(errors[0].code, "not_a_request", "{patch}");
                assert_eq!(errors[0].path.as_deref(), Some(path), "{patch}");
            }
            Answer::Success { .. } => panic!("accepted {patch}"),
        }
    }
    for body in ["", "[]", "{", "\"x\"", &"x".repeat(MAX_REQUEST_BYTES + 1)] {
        assert!(matches!(read_request(body), Answer::Failure { .. }), "{body:.20}");
    }
}
