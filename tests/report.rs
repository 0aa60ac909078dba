//! Health report cases (`tests/report/*.json`), each with the report it must give
//! and its Markdown. A case holds `config` (a `ReportConfig` as JSON), `lines`
//! (log-stream lines: a string is a raw line, anything else is written as JSON) or
//! `feeds` (a list of such lists, fed in turn), and optionally `audit` (audit
//! records, one a line). `expected` is `{report, markdown}` (the Markdown as its
//! lines), or `{error}` for a configuration refused. `BLESS=1 cargo test --test
//! report` writes them for review. The bundled sample's report agrees with
//! `logs analyze`'s organization summary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use actionguard::detect::{Analyzer, DetectConfig};
use actionguard::report::{markdown, ReportBuilder, ReportConfig};
use serde_json::{json, Value};
use support::{check_cases, lines_body};

fn report_case(case: &Value) -> Value {
    let config = match ReportConfig::from_json(&case["config"].to_string()) {
        Ok(c) => c,
        Err(issue) => return json!({ "error": { "code": issue.code, "path": issue.path } }),
    };
    let mut builder = ReportBuilder::new(config);
    let feeds: Vec<&Value> = match case.get("feeds") {
        Some(Value::Array(feeds)) => feeds.iter().collect(),
        _ => case.get("lines").into_iter().collect(),
    };
    for feed in feeds {
        let body = lines_body(feed);
        builder.feed_batch(&actionguard::logs::parse_lines(&body), &body);
    }
    if let Some(audit) = case.get("audit") {
        builder.feed_audit(&lines_body(audit));
    }
    let (report, _) = builder.finish();
    let text = markdown::render(&report);
    // The Markdown is rendered from the report alone: the same from its JSON read back.
    let again: actionguard::report::Report = serde_json::from_value(serde_json::to_value(&report).unwrap()).unwrap();
    assert_eq!(markdown::render(&again), text);
    json!({ "report": report, "markdown": text.lines().collect::<Vec<_>>() })
}

#[test]
fn report_cases_render_as_expected() {
    check_cases("report", 4, report_case);
}

fn sample() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logs/sample.ndjson")).unwrap()
}

/// Over a period covering the whole sample, each organization's report counts the
/// active and MFA users `logs analyze` counts, and a report of all organizations
/// lists the same; the alerts it lists are the analysis's own.
#[test]
fn the_sample_s_reports_agree_with_logs_analyze() {
    let text = sample();
    let mut analyzer = Analyzer::new(DetectConfig::default());
    analyzer.feed_batch(&actionguard::logs::parse_lines(&text));
    let analysis = analyzer.finish();
    let config = |org: Option<&str>| {
        let mut c = json!({ "since": "2026-11-01", "until": "2026-11-08", "top": 100 });
        if let Some(o) = org {
            c["organization"] = json!(o);
        }
        ReportConfig::from_json(&c.to_string()).unwrap()
    };
    let build = |org: Option<&str>| {
        let mut b = ReportBuilder::new(config(org));
        // In chunks, as the control plane reads its store a page at a time.
        let lines: Vec<&str> = text.lines().collect();
        for chunk in lines.chunks(50) {
            let body = chunk.join("\n");
            b.feed_batch(&actionguard::logs::parse_lines(&body), &body);
        }
        b.finish()
    };
    let (all, all_analysis) = build(None);
    assert_eq!(all_analysis, analysis, "the builder's analysis is logs analyze's");
    assert_eq!(all.input.outside_periods, 0);
    assert!(!analysis.organizations.is_empty());
    for o in &analysis.organizations {
        let (one, _) = build(Some(&o.id));
        assert_eq!((one.users.active.current, one.users.mfa.current), (o.active_users, o.mfa_users), "{}", o.id);
        assert_eq!(one.logins.succeeded.current, o.logins, "{}", o.id);
        let row = all.organizations.iter().find(|r| r.id == o.id).unwrap();
        assert_eq!((row.active_users, row.mfa_users, row.logins), (o.active_users, o.mfa_users, o.logins));
        let alerts = analysis.alerts.iter().filter(|a| a.organizations.contains(&o.id)).count() as u64;
        assert_eq!(one.attacks.by_kind.iter().map(|k| k.current).sum::<u64>(), alerts, "{}", o.id);
    }
    assert_eq!(all.attacks.alerts.len(), analysis.alerts.len());
}
