//! Detection cases (`tests/detect/*.json`), each with the analysis it must give.
//! A case holds `lines` (log-stream lines: a string is a raw line, anything else
//! is written as JSON; each log bare or in `{log_id, data}`), or `feeds` (a list
//! of such lists, fed one after the other, to test de-duplication across feeds),
//! and optionally `config` (a `DetectConfig` subset). `BLESS=1 cargo test --test
//! detect` writes the analyses for review. The bundled sample
//! (`examples/logs/sample.ndjson`) is analysed too: its four planted patterns
//! alert, and nothing else does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use actionguard::detect::{Analyzer, DetectConfig};
use serde_json::Value;
use support::{check_cases, lines_body};

fn analyze_case(case: &Value) -> Value {
    let config = DetectConfig::from_json(case.get("config").map(Value::to_string).as_deref()).expect("a valid config");
    let mut analyzer = Analyzer::new(config);
    let feeds: Vec<&Value> = match case.get("feeds") {
        Some(Value::Array(feeds)) => feeds.iter().collect(),
        _ => vec![case.get("lines").expect("a case has `lines` or `feeds`")],
    };
    for feed in feeds {
        analyzer.feed_batch(&actionguard::logs::parse_lines(&lines_body(feed)));
    }
    serde_json::to_value(analyzer.finish()).unwrap()
}

#[test]
fn detection_cases_analyse_as_expected() {
    check_cases("detect", 10, analyze_case);
}

fn sample() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logs/sample.ndjson")).unwrap()
}

/// The sample's planted patterns (examples/logs/README.md) alert, each on its
/// subject, and nothing else does. The MFA-fatigue victim also travels
/// impossibly: the attacker's accepted login from Singapore, then the victim's own
/// from London 9.4 hours later (10,900 km): a true detection of the same pattern.
#[test]
fn the_sample_s_planted_patterns_alert_and_nothing_else() {
    let text = sample();
    let mut analyzer = Analyzer::new(DetectConfig::default());
    // Fed in chunks of 37 lines, as a host streaming the file would.
    let lines: Vec<&str> = text.lines().collect();
    for chunk in lines.chunks(37) {
        analyzer.feed_batch(&actionguard::logs::parse_lines(&chunk.join("\n")));
    }
    let a = analyzer.finish();
    assert_eq!((a.events, a.duplicates, a.rejected), (480, 12, 8));
    let got: Vec<(String, String, String, u64, Vec<String>)> = a
        .alerts
        .iter()
        .map(|x| {
            let v = serde_json::to_value(x).unwrap();
            let reasons = v["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect();
            (
                x.kind.to_string(),
                v["severity"].as_str().unwrap().to_string(),
                format!("{}:{}", x.subject.kind, x.subject.value),
                x.events,
                reasons,
            )
        })
        .collect();
    let row = |k: &str, sev: &str, subject: &str, events: u64, reasons: &[&str]| {
        (k.to_string(), sev.to_string(), subject.to_string(), events, reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>())
    };
    let acme_victim = "user:auth0|d72b449235f06d41325eaeeb";
    assert_eq!(
        got,
        vec![
            // 36 failures, two pwd_leak, two limit_wc, the takeover login.
            row(
                "credential_stuffing",
                "high",
                "ip:203.0.113.77",
                41,
                &[
                    "auth0_blocked_source",
                    "failure_burst",
                    "leaked_password_seen",
                    "login_succeeded",
                    "many_organizations",
                    "many_users",
                    "under_account_thresholds"
                ]
            ),
            row("mfa_fatigue", "high", acme_victim, 12, &["mfa_accepted_after_rejections", "mfa_rejected", "mfa_send_burst"]),
            row(
                "impossible_travel",
                "medium",
                "user:oidc|customer-x-sso|vhoLhmdv0oCst1KTxz7q",
                2,
                &["country_changed", "implausible_speed"]
            ),
            // The stuffing's two leaked passwords (one is the MFA victim's).
            row("breached_password", "medium", acme_victim, 1, &["leaked_password_login"]),
            row("breached_password", "medium", "user:auth0|9a2b087bf6269d69829c8291", 1, &["leaked_password_login"]),
            row("impossible_travel", "medium", acme_victim, 2, &["country_changed", "implausible_speed"]),
            row("m2m_anomaly", "medium", "client:m2m_globex_etl", 10, &["failure_burst", "new_network"]),
        ]
    );
    assert_eq!(a.alerts[0].organizations, ["org_acme", "org_initech", "org_umbrella"]);
    assert_eq!((a.state_overflow, a.alerts_dropped), (0, 0));
    // The same file in one feed gives the same analysis.
    let mut whole = Analyzer::new(DetectConfig::default());
    whole.feed_batch(&actionguard::logs::parse_lines(&text));
    assert_eq!(whole.finish(), a);
}
