use super::*;
use crate::audit::{AuditBuilder, AuditPolicy};
use crate::decision::Reason;
use crate::enforcement::Applied;
use crate::policy::PolicySource;
use crate::signals::{CATALOGUE, EVERY_DECISION, POLICY_REASONS};

/// Every reason code a decision of `trigger` may give, longest first: the worst case.
fn codes_of(trigger: &str) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = CATALOGUE
        .iter()
        .filter(|(_, on)| on.contains(&trigger))
        .map(|(s, _)| s.code)
        .chain(POLICY_REASONS.iter().filter(|(_, on)| on.contains(&trigger)).map(|(r, _)| r.code))
        .collect();
    codes.sort_by_key(|c| std::cmp::Reverse(c.len()));
    codes
}

fn reasons(codes: &[&'static str]) -> Vec<Reason> {
    codes.iter().map(|&code| Reason { code, message: "m".repeat(300), weight: Some(0.5) }).collect()
}

fn policy() -> AuditPolicy {
    AuditPolicy {
        source: PolicySource::Secret,
        version: 1,
        digest: "sha256:21704f2851211974".to_string(),
        layers: vec!["baseline".into(), "tier:regulated".into(), "organization".into()],
        refused: Vec::new(),
    }
}

fn watched() -> Applied {
    Applied { enforced: false, ..Applied::default() }
}

/// The longest record each kind of decision makes: watched, every reason it can give,
/// a score with two decimals, organization discovery with its longest actions.
fn worst(trigger: &'static str) -> AuditRecord {
    let b = AuditBuilder::new("0123456789abcdef01234567".into(), trigger, Some(&"t".repeat(300)), Some(1.8e12), policy())
        .organization(Some(&"o".repeat(300)))
        .user(Some("u_0123456789abcdef01234567".into()))
        .scores(0.8251, 0.8251, Some(0.1));
    let b = if trigger == "organization-discovery" {
        b.org_action(OrgAction::CreateForApproval).would_action(OrgAction::CreateForApproval).outcome(Outcome::Allow)
    } else {
        b.outcome(Outcome::Challenge)
    };
    b.enforcement(watched(), Outcome::Allow).reasons(&reasons(&codes_of(trigger))).build()
}

#[test]
fn the_worst_line_of_every_decision_fits_and_keeps_its_strongest_reason() {
    for &trigger in EVERY_DECISION {
        let record = worst(trigger);
        let line = console_line(&record);
        assert!(line.chars().count() <= MAX_LINE_CHARS, "{trigger}: {} characters: {line}", line.chars().count());
        assert!(line.is_ascii(), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["actionguard_line"], LINE_SCHEMA);
        assert_eq!(v["id"], record.id.as_str());
        assert_eq!(v["trigger"], trigger);
        assert_eq!(v["digest"], "sha256:21704f2851211974");
        let kept = v["reasons"].as_array().map(Vec::len).unwrap_or(0);
        assert!(kept >= 1, "{trigger}: no reason left: {line}");
        // What was left out is counted, and what was kept is the strongest, in order.
        assert_eq!(kept + v["more"].as_u64().unwrap_or(0) as usize, record.reasons.len(), "{line}");
        assert_eq!(v["reasons"][0], record.reasons[0].code);
        if trigger == "organization-discovery" {
            assert_eq!(v["would_action"], "create_for_approval");
            assert!(v.get("score").is_none() && v.get("outcome").is_none() && v.get("would_outcome").is_none(), "{line}");
        } else {
            assert_eq!((v["outcome"].as_str(), v["would_outcome"].as_str()), (Some("allow"), Some("challenge")));
            assert_eq!(v["score"], 0.83);
        }
    }
}

#[test]
fn an_enforced_decision_carries_no_would_fields_and_a_short_one_is_whole() {
    let record = AuditBuilder::new("00000000000000000000000a".into(), "post-login", None, None, policy())
        .outcome(Outcome::Deny)
        .scores(1.0, 1.0, None)
        .reasons(&reasons(&["auth0_ip_on_deny_list", "floor_deny"]))
        .build();
    assert_eq!(
        console_line(&record),
        r#"{"actionguard_line":1,"id":"00000000000000000000000a","trigger":"post-login","outcome":"deny","score":1.0,"digest":"sha256:21704f2851211974","reasons":["auth0_ip_on_deny_list","floor_deny"]}"#
    );
}

#[test]
fn any_record_at_all_gets_a_line_within_the_limit() {
    // Fields no decision fills together, an id and a digest longer than ours, a score
    // that is not a number: the line still fits, and still names the record.
    let mut record = worst("pre-user-registration");
    record.org_action = Some(OrgAction::CreateForApproval);
    record.would_action = Some(OrgAction::CompleteRoles);
    record.policy.digest = "d".repeat(400);
    record.id = "f".repeat(100);
    for score in [f64::NAN, f64::INFINITY, 1.0e300, -0.004] {
        record.score = score;
        let line = console_line(&record);
        assert!(line.len() <= MAX_LINE_CHARS, "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["trigger"], "pre-user-registration");
        assert!(v["id"].as_str().unwrap().starts_with("ffff"));
    }
    record.reasons.clear();
    assert!(console_line(&record).len() <= MAX_LINE_CHARS);
}
