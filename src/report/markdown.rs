//! The report as Markdown (GitHub's tables): one renderer, deterministic (the same
//! report gives the same text). Every string that came from the logs or the audit
//! records (organization ids, domains, clients, audiences, subjects, reason codes)
//! is escaped ([`escape`]): it is shown as text, never read as Markdown or HTML.

use std::fmt::Write;

use super::topn::Trend;
use super::{Ratio, Report};

/// `text` as literal Markdown inline text in a table cell: control characters
/// (line breaks) become spaces, and every character with a meaning (`\`, `` ` ``,
/// `*`, `[`, `]`, `<`, `>`, `|`, `!`, `#`, `~`, `&`, `$`) is backslash-escaped, as
/// CommonMark allows for any ASCII punctuation. `_` is escaped unless it joins two
/// letters or digits (where it never starts emphasis), so `org_acme` stays readable.
pub fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let alnum = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        let escaped = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '!' | '#' | '~' | '&' | '$' => true,
            '_' => !(alnum(i.checked_sub(1)) && alnum(Some(i + 1))),
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `+20%`, `-25%`, `new` (from zero), or `-` (zero both times).
pub fn change(t: Trend) -> String {
    match t.change_percent() {
        Some(p) if p > 0 => format!("+{p}%"),
        Some(p) => format!("{p}%"),
        None if t.current > 0 => "new".to_string(),
        None => "-".to_string(),
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_string(), |s| format!("{:.1}%", s * 100.0))
}

/// The change of a share, in percentage points.
fn points(r: Ratio) -> String {
    match (r.current, r.previous) {
        (Some(c), Some(p)) => {
            let d = ((c - p) * 1000.0).round() / 10.0;
            if d > 0.0 {
                format!("+{d:.1} pts")
            } else {
                format!("{d:.1} pts")
            }
        }
        _ => "-".to_string(),
    }
}

/// `2026-11-02` for a period starting at midnight UTC, else `2026-11-02 14:05`.
fn when(iso: &str, midnight: bool) -> String {
    if midnight {
        iso.get(..10).unwrap_or(iso).to_string()
    } else {
        iso.get(..16).unwrap_or(iso).replace('T', " ")
    }
}

struct Out(String);

impl Out {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }

    /// A table; a column of numbers (counts, shares, changes) is aligned right.
    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.line(&format!("| {} |", header.join(" | ")));
        let numeric = |i: usize| {
            rows.iter().all(|r| {
                r.get(i).is_some_and(|c| {
                    let c = c.trim_end_matches(" pts").trim_end_matches('%').trim_start_matches(['+', '-']);
                    c.is_empty() || c == "new" || c.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                })
            })
        };
        let aligns: Vec<&str> = (0..header.len()).map(|i| if i > 0 && numeric(i) { "---:" } else { "---" }).collect();
        self.line(&format!("| {} |", aligns.join(" | ")));
        for row in rows {
            self.line(&format!("| {} |", row.join(" | ")));
        }
        self.line("");
    }

    fn trend_row(name: &str, t: Trend) -> Vec<String> {
        vec![name.to_string(), t.current.to_string(), t.previous.to_string(), change(t)]
    }
}

const TREND: [&str; 4] = ["", "This period", "Previous", "Change"];

fn label(code: &str) -> String {
    escape(&code.replace('_', " "))
}

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut o = Out(String::new());
    let who = r.organization.as_deref().map_or("all organizations".to_string(), |id| format!("organization {}", escape(id)));
    let midnight = r.period.since.get(10..) == Some("T00:00:00.000Z") && r.period.until.get(10..) == Some("T00:00:00.000Z");
    o.line(&format!("# ActionGuard health report: {who}"));
    o.line("");
    o.line(&format!(
        "Period: {} to {} UTC ({} day{}), compared with {} to {}.",
        when(&r.period.since, midnight),
        when(&r.period.until, midnight),
        r.period.days,
        if r.period.days == 1 { "" } else { "s" },
        when(&r.previous.since, midnight),
        when(&r.previous.until, midnight)
    ));
    let i = &r.input;
    o.line(&format!(
        "Read: {} logs ({} in the period, {} in the previous one, {} outside), {} duplicates, {} rejected; {} audit records.",
        i.events, i.in_period, i.in_previous, i.outside_periods, i.duplicates, i.rejected, i.audit_records
    ));
    o.line("");

    o.line("## Users and MFA");
    o.line("");
    let u = &r.users;
    let e = &r.enrolment;
    o.table(
        &TREND,
        &[
            Out::trend_row("Active users", u.active),
            Out::trend_row("Users who performed MFA", u.mfa),
            vec!["MFA coverage".into(), percent(u.mfa_coverage.current), percent(u.mfa_coverage.previous), points(u.mfa_coverage)],
            Out::trend_row("Enrolments started", e.started),
            Out::trend_row("Enrolments completed", e.completed),
            Out::trend_row("Enrolments failed", e.failed),
            vec!["Enrolment completion".into(), percent(e.completion.current), percent(e.completion.previous), points(e.completion)],
        ],
    );

    o.line("## Logins");
    o.line("");
    let l = &r.logins;
    let mut rows = vec![Out::trend_row("Successful logins", l.succeeded), Out::trend_row("Failed logins", l.failed)];
    for c in &l.by_cause {
        let name = match c.cause {
            super::failures::Cause::UserError => "- user errors",
            super::failures::Cause::IntegrationError => "- integration errors",
            super::failures::Cause::Denied => "- denied by a rule or an Action",
            super::failures::Cause::Other => "- other",
        };
        rows.push(Out::trend_row(&escape(name), Trend { current: c.current, previous: c.previous }));
    }
    rows.push(Out::trend_row("Silent-auth failures (noise)", l.silent_auth_failures));
    o.table(&TREND, &rows);
    if !l.reasons.is_empty() {
        o.line("Failed logins by reason:");
        o.line("");
        let rows: Vec<Vec<String>> = l
            .reasons
            .iter()
            .map(|x| vec![label(x.cause.as_str()), label(&x.reason), x.current.to_string(), x.previous.to_string()])
            .collect();
        o.table(&["Cause", "Reason", "This period", "Previous"], &rows);
    }

    o.line("## Day by day");
    o.line("");
    let rows: Vec<Vec<String>> = r
        .daily
        .iter()
        .map(|d| {
            vec![
                when(&d.start, midnight),
                d.logins.to_string(),
                d.failed_logins.to_string(),
                d.silent_auth_failures.to_string(),
                d.signups.to_string(),
                d.m2m_tokens.to_string(),
            ]
        })
        .collect();
    o.table(&["Day", "Logins", "Failed logins", "Silent-auth failures", "Sign-ups", "M2M tokens"], &rows);

    o.line("## Attack indicators");
    o.line("");
    let rows: Vec<Vec<String>> =
        r.attacks.by_kind.iter().map(|k| Out::trend_row(&label(&k.kind), Trend { current: k.current, previous: k.previous })).collect();
    o.table(&["Alerts", "This period", "Previous", "Change"], &rows);
    if !r.attacks.alerts.is_empty() {
        let rows: Vec<Vec<String>> = r
            .attacks
            .alerts
            .iter()
            .map(|a| {
                vec![
                    escape(&a.severity),
                    label(&a.kind),
                    format!("{} {}", escape(&a.subject_type), escape(&a.subject)),
                    escape(&a.organizations.join(", ")),
                    a.events.to_string(),
                    a.users.to_string(),
                    escape(&format!("{} .. {}", when(&a.first_seen, false), when(&a.last_seen, false))),
                ]
            })
            .collect();
        o.table(&["Severity", "Kind", "Subject", "Organizations", "Events", "Users", "Seen (UTC)"], &rows);
        if r.attacks.alerts_not_listed > 0 {
            o.line(&format!("And {} more alerts.", r.attacks.alerts_not_listed));
            o.line("");
        }
    }

    o.line("## Sign-ups");
    o.line("");
    let s = &r.signups;
    let mut rows = vec![Out::trend_row("Sign-ups", s.succeeded), Out::trend_row("Failed sign-ups", s.failed)];
    for c in &s.by_class {
        rows.push(Out::trend_row(&format!("{} domains", label(&c.class)), c.succeeded));
    }
    rows.push(Out::trend_row("Without a valid domain", s.without_domain));
    o.table(&TREND, &rows);
    if !s.domains.is_empty() {
        let rows: Vec<Vec<String>> = s
            .domains
            .iter()
            .map(|d| {
                vec![
                    escape(&d.domain),
                    label(&d.class),
                    d.succeeded.current.to_string(),
                    d.failed.current.to_string(),
                    d.succeeded.previous.to_string(),
                ]
            })
            .collect();
        o.table(&["Domain", "Class", "Sign-ups", "Failed", "Sign-ups before"], &rows);
    }

    o.line("## Machine-to-machine");
    o.line("");
    o.table(&TREND, &[Out::trend_row("Tokens issued", r.m2m.tokens), Out::trend_row("Failed exchanges", r.m2m.failures)]);
    if !r.m2m.clients.is_empty() {
        let rows: Vec<Vec<String>> = r
            .m2m
            .clients
            .iter()
            .map(|c| {
                vec![
                    escape(&c.client_id),
                    escape(&c.audience),
                    c.tokens.current.to_string(),
                    c.failures.current.to_string(),
                    c.tokens.previous.to_string(),
                ]
            })
            .collect();
        o.table(&["Client", "Audience", "Tokens", "Failed", "Tokens before"], &rows);
    }

    o.line("## ActionGuard's decisions");
    o.line("");
    let a = &r.actionguard;
    o.table(&TREND, &[Out::trend_row("Decisions recorded", a.records), Out::trend_row("Only watched (not enforced)", a.watched)]);
    if !a.outcomes.is_empty() {
        let rows: Vec<Vec<String>> = a
            .outcomes
            .iter()
            .map(|x| vec![escape(&x.trigger), escape(&x.outcome), x.current.to_string(), x.previous.to_string()])
            .collect();
        o.table(&["Trigger", "Outcome", "This period", "Previous"], &rows);
    }
    if !a.reasons.is_empty() {
        let rows: Vec<Vec<String>> =
            a.reasons.iter().map(|x| vec![escape(&x.code), escape(&x.trigger), x.current.to_string(), x.previous.to_string()]).collect();
        o.table(&["Reason", "Trigger", "This period", "Previous"], &rows);
    }

    if !r.organizations.is_empty() {
        o.line("## Organizations");
        o.line("");
        let rows: Vec<Vec<String>> = r
            .organizations
            .iter()
            .map(|x| {
                let share = (x.active_users > 0).then(|| x.mfa_users as f64 / x.active_users as f64);
                vec![
                    escape(&x.id),
                    x.active_users.to_string(),
                    percent(share),
                    x.logins.to_string(),
                    x.failed_logins.to_string(),
                    x.signups.to_string(),
                    x.m2m_tokens.to_string(),
                ]
            })
            .collect();
        o.table(&["Organization", "Active users", "MFA coverage", "Logins", "Failed logins", "Sign-ups", "M2M tokens"], &rows);
    }

    let b = &r.bounds;
    if b.users_untracked > 0 || b.keys_untracked > 0 || b.detection_state_overflow > 0 || b.detection_alerts_dropped > 0 {
        let mut text = String::new();
        let _ = write!(
            text,
            "Bounds reached: {} logins of users beyond the users tracked, {} events of keys beyond those tracked, {} events detection could not track, {} alerts dropped.",
            b.users_untracked, b.keys_untracked, b.detection_state_overflow, b.detection_alerts_dropped
        );
        o.line(&text);
        o.line("");
    }
    let mut out = o.0;
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(escape("org_acme"), "org_acme");
        assert_eq!(escape("_x_"), "\\_x\\_");
        assert_eq!(
            escape("<img src=x onerror=alert(1)>|**b**\n[l](http://e)"),
            "\\<img src=x onerror=alert(1)\\>\\|\\*\\*b\\*\\* \\[l\\](http://e)"
        );
        assert_eq!(escape("a&amp;b `c` #d ~e~ !f $g"), "a\\&amp;b \\`c\\` \\#d \\~e\\~ \\!f \\$g");
    }

    #[test]
    fn changes_and_shares() {
        assert_eq!(change(Trend { current: 12, previous: 10 }), "+20%");
        assert_eq!(change(Trend { current: 0, previous: 4 }), "-100%");
        assert_eq!(change(Trend { current: 2, previous: 0 }), "new");
        assert_eq!(change(Trend { current: 0, previous: 0 }), "-");
        assert_eq!(points(Ratio { current: Some(0.4167), previous: Some(0.3) }), "+11.7 pts");
        assert_eq!(percent(Some(0.4167)), "41.7%");
    }
}
