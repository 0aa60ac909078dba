//! The per-organization health report: for one organization or all, over a
//! period `[since, until)` compared with the period of the same length before it
//! (the week-over-week trend, for a week): active users and MFA coverage, the MFA
//! enrolment funnel, failed logins by cause ([`failures`]), attack indicators
//! (the alerts of [`crate::detect`]'s analyzer, not a second detection), sign-ups
//! by domain class ([`crate::domains`]), machine-to-machine usage by client and
//! audience, and ActionGuard's own outcomes by reason ([`outcomes`], from its
//! audit records). As JSON ([`Report`]) and Markdown ([`markdown`]); the control
//! plane draws the HTML page from the JSON.
//!
//! A [`ReportBuilder`] is fed log bodies and audit bodies, in any order and any
//! number, and finishes into the report (and the analysis of everything fed).
//! Like the analyzer it is pure (time is the logs' own `date` and the records'
//! `ts_ms`; the period is given), deterministic, and bounded: every list keeps at
//! most [`ReportConfig::max_keys`] keys and shows the `top` largest, and users are
//! tracked up to [`ReportConfig::max_users`]; what went beyond is counted in
//! [`Bounds`], never dropped silently.
//!
//! Which logs count for an organization: those carrying its `organization_id`.
//! Guardian's enrolment logs carry none, so an enrolment counts for an
//! organization when its user had some log of that organization in the input
//! (before or after: it is settled at the end). Attack indicators count the
//! alerts whose organizations include it; detection itself always reads every
//! log fed, across organizations, since that is how it sees a campaign.

pub mod extras;
pub mod failures;
pub mod markdown;
pub mod outcomes;
pub mod period;
pub mod topn;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::detect::{hash_of, hasher, Analysis, Analyzer, DetectConfig, Hasher};
use crate::logs::{Batch, LogEvent};
use crate::{clock, Issue};
use failures::Cause;
use period::{Period, PeriodOut, Which};
use topn::{Counter, Trend};

/// The report's format tag: a consumer checks it before reading the rest.
pub const FORMAT: &str = "actionguard-report/1";

/// The detectors' alert kinds, in the order a report lists them (each always
/// present, zero or not, so that charts and tables keep their shape).
pub const ALERT_KINDS: [&str; 6] =
    ["credential_stuffing", "breached_password", "mfa_fatigue", "impossible_travel", "signup_wave", "m2m_anomaly"];

/// What a report is of. JSON: `{"since", "until"}` (RFC 3339 times or dates) and
/// optionally `organization` (an id; absent or null for all), `top`, `max_keys`,
/// `max_users`, `detect` (a [`DetectConfig`] subset). Unknown fields are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    since: String,
    until: String,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    top: Option<usize>,
    #[serde(default)]
    max_keys: Option<usize>,
    #[serde(default)]
    max_users: Option<usize>,
    #[serde(default)]
    detect: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub organization: Option<String>,
    pub period: Period,
    /// Rows of each list shown (default 10, at most 100).
    pub top: usize,
    /// Keys each list tracks (default 10,000): domains, clients, reasons, organizations.
    pub max_keys: usize,
    /// Users tracked over both periods (default 2,000,000; about 40 bytes each), and
    /// as many again in the organizations' counts of a report of all.
    pub max_users: usize,
    pub detect: DetectConfig,
}

/// The longest organization id the report takes (Auth0's are `org_` and 16 characters).
const MAX_ORG_ID: usize = 128;

impl ReportConfig {
    pub fn new(period: Period, organization: Option<String>) -> ReportConfig {
        ReportConfig { organization, period, top: 10, max_keys: 10_000, max_users: 2_000_000, detect: DetectConfig::default() }
    }

    pub fn from_json(json: &str) -> Result<ReportConfig, Issue> {
        let raw: RawConfig = serde_json::from_str(json).map_err(|e| {
            let path = crate::answer::error_path(json, &e);
            Issue::new("invalid_config", (path != ".").then_some(path), e.to_string())
        })?;
        let period = Period::parse(&raw.since, &raw.until)?;
        let organization = raw.organization.filter(|o| !o.is_empty());
        if organization.as_deref().is_some_and(|o| o.len() > MAX_ORG_ID || o.chars().any(char::is_control)) {
            return Err(Issue::new(
                "invalid_config",
                Some("organization".into()),
                "`organization` is longer than 128 bytes or holds a control character",
            ));
        }
        let detect = match raw.detect {
            None => DetectConfig::default(),
            Some(v) => DetectConfig::from_json(Some(&v.to_string())).map_err(|mut i| {
                i.path = Some(format!("detect.{}", i.path.unwrap_or_default()).trim_end_matches('.').to_string());
                i
            })?,
        };
        let mut c = ReportConfig::new(period, organization);
        c.detect = detect;
        if let Some(top) = raw.top {
            if !(1..=100).contains(&top) {
                return Err(Issue::new("invalid_config", Some("top".into()), "`top` is from 1 to 100"));
            }
            c.top = top;
        }
        c.max_keys = raw.max_keys.unwrap_or(c.max_keys).max(1);
        c.max_users = raw.max_users.unwrap_or(c.max_users).max(1);
        Ok(c)
    }
}

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`FORMAT`].
    pub format: String,
    /// The organization reported on; `null` for all.
    pub organization: Option<String>,
    pub period: PeriodOut,
    pub previous: PeriodOut,
    pub input: Input,
    pub users: Users,
    pub enrolment: Enrolment,
    pub logins: Logins,
    /// The current period, day by day (from `since`, 24 hours each).
    pub daily: Vec<Day>,
    pub attacks: Attacks,
    pub signups: Signups,
    pub m2m: M2m,
    pub actionguard: Outcomes,
    /// For a report of all organizations: the organizations with the most active
    /// users this period (empty for one organization).
    pub organizations: Vec<OrgRow>,
    pub bounds: Bounds,
}

/// What was read, and how much of it fell in the periods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// Distinct valid logs, duplicates and rejected entries, as `logs analyze` counts them.
    pub events: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Logs dated in the current and the previous period.
    pub in_period: u64,
    pub in_previous: u64,
    /// Logs dated outside both (still read by detection).
    pub outside_periods: u64,
    /// For one organization: logs of the periods that are another organization's,
    /// or carry none (and are not an enrolment of one of its users).
    pub not_this_organization: u64,
    pub audit_records: u64,
    pub audit_duplicates: u64,
    pub audit_rejected: u64,
    /// Records without `ts_ms`: in no period.
    pub audit_undated: u64,
}

/// A share in each period (0 to 1, four decimals); `null` when there is nothing to share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub current: Option<f64>,
    pub previous: Option<f64>,
}

impl Ratio {
    fn of(part: Trend, whole: Trend) -> Ratio {
        let share = |p: u64, w: u64| (w > 0).then(|| (p as f64 / w as f64 * 10_000.0).round() / 10_000.0);
        Ratio { current: share(part.current, whole.current), previous: share(part.previous, whole.previous) }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Users {
    /// Distinct users with a successful login (`s`).
    pub active: Trend,
    /// Those of them with at least one login that performed MFA.
    pub mfa: Trend,
    /// `mfa / active`.
    pub mfa_coverage: Ratio,
}

/// Guardian's enrolment logs: `gd_start_enroll`, `gd_enrollment_complete`, and
/// `gd_start_enroll_failed` or `gd_webauthn_enrollment_failed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    pub started: Trend,
    pub completed: Trend,
    pub failed: Trend,
    /// `completed / started`.
    pub completion: Ratio,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseRow {
    pub cause: Cause,
    pub current: u64,
    pub previous: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonRow {
    pub cause: Cause,
    pub reason: String,
    pub current: u64,
    pub previous: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Logins {
    /// Successful logins (`s`).
    pub succeeded: Trend,
    /// Failed logins (Auth0's "Login - Failure" types), all causes.
    pub failed: Trend,
    /// Each cause, always all four, in [`Cause::ALL`]'s order.
    pub by_cause: Vec<CauseRow>,
    /// `fsa`: noise, not failed logins.
    pub silent_auth_failures: Trend,
    /// The most frequent reasons.
    pub reasons: Vec<ReasonRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub start: String,
    pub logins: u64,
    pub failed_logins: u64,
    pub silent_auth_failures: u64,
    pub signups: u64,
    pub m2m_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindRow {
    pub kind: String,
    pub current: u64,
    pub previous: u64,
}

/// An alert active in the current period (its events span part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub kind: String,
    pub severity: String,
    pub subject_type: String,
    pub subject: String,
    pub organizations: Vec<String>,
    pub users: u64,
    pub events: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attacks {
    /// Alerts active in each period (an alert spanning both counts in both), by kind.
    pub by_kind: Vec<KindRow>,
    /// The current period's alerts, most severe first (at most `top`).
    pub alerts: Vec<AlertRow>,
    /// Alerts of the current period not listed.
    pub alerts_not_listed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassRow {
    /// `disposable`, `free_mail`, `other` ([`crate::domains::DomainClass`]).
    pub class: String,
    pub succeeded: Trend,
    pub failed: Trend,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainRow {
    pub domain: String,
    pub class: String,
    pub succeeded: Trend,
    pub failed: Trend,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signups {
    /// `ss`, and failed sign-ups `fs`.
    pub succeeded: Trend,
    pub failed: Trend,
    /// Each class, always all three.
    pub by_class: Vec<ClassRow>,
    pub domains: Vec<DomainRow>,
    /// Sign-ups of domains not listed.
    pub other_domains: Trend,
    /// Sign-ups whose user name is not an address with a valid domain.
    pub without_domain: Trend,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    pub audience: String,
    pub tokens: Trend,
    pub failures: Trend,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct M2m {
    /// Client-credentials exchanges: `seccft`, and failed ones `feccft`.
    pub tokens: Trend,
    pub failures: Trend,
    pub clients: Vec<ClientRow>,
    /// Exchanges of clients and audiences not listed.
    pub other_clients: Trend,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRow {
    pub trigger: String,
    pub outcome: String,
    pub current: u64,
    pub previous: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReasonRow {
    pub trigger: String,
    pub code: String,
    pub current: u64,
    pub previous: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Decisions recorded.
    pub records: Trend,
    /// Decisions only watched: the engine would have done more than it applied.
    pub watched: Trend,
    pub outcomes: Vec<OutcomeRow>,
    /// Decisions by reason code (a decision with several reasons counts under each).
    pub reasons: Vec<AuditReasonRow>,
    pub other_reasons: Trend,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRow {
    pub id: String,
    pub active_users: u64,
    pub mfa_users: u64,
    pub logins: u64,
    pub failed_logins: u64,
    pub signups: u64,
    pub m2m_tokens: u64,
}

/// What the bounds left out: all zero unless the input was larger than they allow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    /// Successful logins of users beyond `max_users` (counted as logins, not as users).
    pub users_untracked: u64,
    /// Events of keys (domains, clients, reasons, organizations) beyond `max_keys`.
    pub keys_untracked: u64,
    /// Detection's own: events not tracked, alerts not kept.
    pub detection_state_overflow: u64,
    pub detection_alerts_dropped: u64,
}

// ---------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------

/// An organization's counts in the current period (reports of all organizations).
#[derive(Debug, Default)]
struct OrgAcc {
    users: HashMap<u64, bool, Hasher>,
    logins: u64,
    failed_logins: u64,
    signups: u64,
    m2m_tokens: u64,
}

/// Enrolment steps: started, completed, failed.
const ENROL_STEPS: usize = 3;

fn enrol_step(t: &str) -> Option<usize> {
    match t {
        "gd_start_enroll" => Some(0),
        "gd_enrollment_complete" => Some(1),
        "gd_start_enroll_failed" | "gd_webauthn_enrollment_failed" => Some(2),
        _ => None,
    }
}

#[derive(Debug)]
pub struct ReportBuilder {
    config: ReportConfig,
    analyzer: Analyzer,
    input: Input,
    bounds: Bounds,
    users_tracked: usize,
    /// Users tracked in the organizations' counts (reports of all), bounded apart.
    org_users_tracked: usize,
    /// Per period: active users, and whether one of their logins performed MFA.
    active: [HashMap<u64, bool, Hasher>; 2],
    /// For one organization: users seen in its logs (an enrolment without an
    /// organization is its when its user is one of these).
    members: HashSet<u64, Hasher>,
    /// For one organization: enrolments without an organization, by user, settled at the end.
    pending_enrolments: HashMap<u64, [Trend; ENROL_STEPS], Hasher>,
    enrolment: [Trend; ENROL_STEPS],
    succeeded: Trend,
    failed: Trend,
    by_cause: [Trend; 4],
    silent_auth_failures: Trend,
    reasons: Counter<(Cause, &'static str)>,
    daily: Vec<Day>,
    signups: [Trend; 2],
    by_class: [[Trend; 2]; 3],
    domains: Counter<String>,
    without_domain: Trend,
    m2m: [Trend; 2],
    clients: Counter<(String, String)>,
    audit_seen: outcomes::Seen,
    records: Trend,
    watched: Trend,
    outcomes: Counter<(String, String)>,
    audit_reasons: Counter<(String, String)>,
    orgs: HashMap<String, OrgAcc, Hasher>,
}

/// What one feed added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Fed {
    pub events: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl ReportBuilder {
    pub fn new(config: ReportConfig) -> ReportBuilder {
        let days = config.period.days();
        let iso = |ms: i64| clock::rfc3339_of_ms(ms as f64).unwrap_or_default();
        let since = config.period.since_ms;
        let daily = (0..days)
            .map(|d| Day {
                start: iso(since.saturating_add(i64::try_from(d).unwrap_or(0).saturating_mul(period::DAY_MS))),
                ..Day::default()
            })
            .collect();
        let keys = config.max_keys;
        ReportBuilder {
            analyzer: Analyzer::new(config.detect.clone()),
            input: Input::default(),
            bounds: Bounds::default(),
            users_tracked: 0,
            org_users_tracked: 0,
            active: [HashMap::with_hasher(hasher()), HashMap::with_hasher(hasher())],
            members: HashSet::with_hasher(hasher()),
            pending_enrolments: HashMap::with_hasher(hasher()),
            enrolment: [Trend::default(); ENROL_STEPS],
            succeeded: Trend::default(),
            failed: Trend::default(),
            by_cause: [Trend::default(); 4],
            silent_auth_failures: Trend::default(),
            reasons: Counter::new(keys),
            daily,
            signups: [Trend::default(); 2],
            by_class: [[Trend::default(); 2]; 3],
            domains: Counter::new(keys),
            without_domain: Trend::default(),
            m2m: [Trend::default(); 2],
            clients: Counter::new(keys),
            audit_seen: outcomes::Seen::new(config.detect.max_log_ids),
            records: Trend::default(),
            watched: Trend::default(),
            outcomes: Counter::new(keys),
            audit_reasons: Counter::new(keys),
            orgs: HashMap::with_hasher(hasher()),
            config,
        }
    }

    /// Reads a parsed log body (`body` is the text it was parsed from: a few logs'
    /// extra fields are read from their entries in it). Each `log_id` is read once
    /// across feeds; the analyzer sees every log, in or out of the periods.
    pub fn feed_batch(&mut self, batch: &Batch, body: &str) -> Fed {
        let before = self.analyzer.counts();
        for event in &batch.events {
            let (events, _, _) = self.analyzer.counts();
            self.analyzer.feed(std::slice::from_ref(event));
            if self.analyzer.counts().0 > events {
                self.observe(event, body.get(event.start..event.end).unwrap_or(""));
            }
        }
        // The body's rejects and in-body duplicates, counted by the analyzer as `logs analyze` counts them.
        self.analyzer.feed_batch(&Batch { events: Vec::new(), rejects: batch.rejects.clone(), duplicates: batch.duplicates });
        let after = self.analyzer.counts();
        Fed {
            events: after.0.saturating_sub(before.0),
            duplicates: after.1.saturating_sub(before.1),
            rejected: after.2.saturating_sub(before.2),
        }
    }

    /// Reads a body of audit records, one JSON object a line (as the control plane
    /// stores them). Records are read once per `id` across feeds.
    pub fn feed_audit(&mut self, body: &str) -> Fed {
        let mut fed = Fed::default();
        crate::logs::for_each_line(body, |_, _, line| {
            match outcomes::read(line, &mut self.audit_seen) {
                outcomes::Read::Rejected => fed.rejected = fed.rejected.saturating_add(1),
                outcomes::Read::Duplicate => fed.duplicates = fed.duplicates.saturating_add(1),
                outcomes::Read::Record(r) => {
                    fed.events = fed.events.saturating_add(1);
                    self.observe_record(r);
                }
            }
            true
        });
        let i = &mut self.input;
        i.audit_records = i.audit_records.saturating_add(fed.events);
        i.audit_duplicates = i.audit_duplicates.saturating_add(fed.duplicates);
        i.audit_rejected = i.audit_rejected.saturating_add(fed.rejected);
        fed
    }

    fn observe_record(&mut self, r: outcomes::Record) {
        let Some(at) = r.at_ms else {
            self.input.audit_undated = self.input.audit_undated.saturating_add(1);
            return;
        };
        let Some(which) = self.config.period.which(at) else { return };
        if let Some(org) = &self.config.organization {
            if r.organization.as_deref() != Some(org.as_str()) {
                return;
            }
        }
        self.records.add(which, 1);
        if r.watched {
            self.watched.add(which, 1);
        }
        for code in &r.reasons {
            self.audit_reasons.add(which, (r.trigger.clone(), code.clone()), false);
        }
        self.outcomes.add(which, (r.trigger, r.outcome), false);
    }

    fn observe(&mut self, e: &LogEvent, entry: &str) {
        let Some(which) = self.config.period.which(e.date_ms) else {
            self.input.outside_periods = self.input.outside_periods.saturating_add(1);
            return;
        };
        match which {
            Which::Current => self.input.in_period = self.input.in_period.saturating_add(1),
            Which::Previous => self.input.in_previous = self.input.in_previous.saturating_add(1),
        }
        let t = e.event_type.as_str();
        let user = e.user_id.as_deref().map(hash_of);
        if let Some(org) = self.config.organization.as_deref() {
            match e.organization_id.as_deref() {
                Some(o) if o == org => {
                    if let Some(u) = user {
                        if self.members.len() < self.config.max_users {
                            self.members.insert(u);
                        }
                    }
                }
                None if enrol_step(t).is_some() && user.is_some() => {
                    self.pend_enrolment(which, user, t);
                    return;
                }
                _ => {
                    self.input.not_this_organization = self.input.not_this_organization.saturating_add(1);
                    return;
                }
            }
        }
        let day = self.config.period.day_of(e.date_ms).and_then(|d| self.daily.get_mut(d));
        let org_acc = match (which, self.config.organization.is_none(), e.organization_id.as_deref()) {
            (Which::Current, true, Some(id)) => org_entry(&mut self.orgs, id, self.config.max_keys, &mut self.bounds.keys_untracked),
            _ => None,
        };
        let bump = |n: &mut u64| *n = n.saturating_add(1);
        match t {
            "s" => {
                self.succeeded.add(which, 1);
                if let Some(d) = day {
                    bump(&mut d.logins);
                }
                let max = self.config.max_users;
                if let (Some(u), Some(set)) = (user, self.active.get_mut(which.index())) {
                    UserBound { tracked: &mut self.users_tracked, max, untracked: &mut self.bounds.users_untracked }.note(set, u, e.mfa);
                }
                if let Some(acc) = org_acc {
                    bump(&mut acc.logins);
                    if let Some(u) = user {
                        UserBound { tracked: &mut self.org_users_tracked, max, untracked: &mut self.bounds.users_untracked }.note(
                            &mut acc.users,
                            u,
                            e.mfa,
                        );
                    }
                }
            }
            "fsa" => {
                self.silent_auth_failures.add(which, 1);
                if let Some(d) = day {
                    bump(&mut d.silent_auth_failures);
                }
            }
            "ss" | "fs" => {
                let failed = t == "fs";
                if let Some(n) = self.signups.get_mut(usize::from(failed)) {
                    n.add(which, 1);
                }
                if let (Some(d), false) = (day, failed) {
                    bump(&mut d.signups);
                }
                if let (Some(acc), false) = (org_acc, failed) {
                    bump(&mut acc.signups);
                }
                let domain =
                    e.user_name.as_deref().and_then(|n| n.rsplit_once('@')).and_then(|(_, d)| crate::email::normalize_domain(d).ok());
                match domain {
                    None => self.without_domain.add(which, 1),
                    Some(d) => {
                        let class = crate::domains::classify(&d) as usize;
                        if let Some(c) = self.by_class.get_mut(class).and_then(|c| c.get_mut(usize::from(failed))) {
                            c.add(which, 1);
                        }
                        self.domains.add_str(which, &d, failed);
                    }
                }
            }
            "seccft" | "feccft" => {
                let failed = t == "feccft";
                if let Some(n) = self.m2m.get_mut(usize::from(failed)) {
                    n.add(which, 1);
                }
                if let (Some(d), false) = (day, failed) {
                    bump(&mut d.m2m_tokens);
                }
                if let (Some(acc), false) = (org_acc, failed) {
                    bump(&mut acc.m2m_tokens);
                }
                let audience = extras::read(entry).audience.unwrap_or_default();
                self.clients.add(which, (e.client_id.clone().unwrap_or_default(), audience), failed);
            }
            t if failures::is_failed_login(t) => {
                let text = if matches!(t, "f" | "fcoa" | "fens") { extras::read(entry).failure_text } else { String::new() };
                let (cause, reason) = failures::classify(t, &text);
                self.failed.add(which, 1);
                if let Some(slot) = self.by_cause.get_mut(cause as usize) {
                    slot.add(which, 1);
                }
                self.reasons.add(which, (cause, reason), false);
                if let Some(d) = day {
                    bump(&mut d.failed_logins);
                }
                if let Some(acc) = org_acc {
                    bump(&mut acc.failed_logins);
                }
            }
            t => {
                if let Some(step) = enrol_step(t) {
                    if let Some(slot) = self.enrolment.get_mut(step) {
                        slot.add(which, 1);
                    }
                }
            }
        }
    }

    fn pend_enrolment(&mut self, which: Which, user: Option<u64>, t: &str) {
        let (Some(u), Some(step)) = (user, enrol_step(t)) else { return };
        let full = self.pending_enrolments.len() >= self.config.max_users;
        match self.pending_enrolments.get_mut(&u) {
            Some(steps) => {
                if let Some(s) = steps.get_mut(step) {
                    s.add(which, 1);
                }
            }
            None if !full => {
                let mut steps = [Trend::default(); ENROL_STEPS];
                if let Some(s) = steps.get_mut(step) {
                    s.add(which, 1);
                }
                self.pending_enrolments.insert(u, steps);
            }
            None => self.bounds.users_untracked = self.bounds.users_untracked.saturating_add(1),
        }
    }

    /// The report, and the analysis of every log fed (`logs analyze`'s).
    pub fn finish(mut self) -> (Report, Analysis) {
        let analysis = self.analyzer.finish();
        let top = self.config.top;
        let period = self.config.period;
        // Enrolments of the organization's users that carried no organization.
        let mut not_members = 0u64;
        for (user, steps) in std::mem::take(&mut self.pending_enrolments) {
            if self.members.contains(&user) {
                for (total, s) in self.enrolment.iter_mut().zip(steps) {
                    *total = total.plus(s);
                }
            } else {
                not_members = not_members.saturating_add(steps.iter().map(|s| s.current.saturating_add(s.previous)).sum::<u64>());
            }
        }
        self.input.not_this_organization = self.input.not_this_organization.saturating_add(not_members);
        let mut input = self.input.clone();
        (input.events, input.duplicates, input.rejected) = (analysis.events, analysis.duplicates, analysis.rejected);

        let count = |set: &HashMap<u64, bool, Hasher>| (set.len() as u64, set.values().filter(|m| **m).count() as u64);
        let ((cur, cur_mfa), (prev, prev_mfa)) = (count(&self.active[0]), count(&self.active[1]));
        let active = Trend { current: cur, previous: prev };
        let mfa = Trend { current: cur_mfa, previous: prev_mfa };
        let [started, completed, failed_enrol] = self.enrolment;

        let mut keys_untracked = 0u64;
        let mut untracked = |t: topn::Tally| {
            keys_untracked = keys_untracked.saturating_add(t.main.current).saturating_add(t.main.previous);
            keys_untracked = keys_untracked.saturating_add(t.second.current).saturating_add(t.second.previous);
        };

        let (reasons, _, u) = self.reasons.top(top);
        untracked(u);
        let logins = Logins {
            succeeded: self.succeeded,
            failed: self.failed,
            by_cause: Cause::ALL
                .iter()
                .zip(self.by_cause)
                .map(|(c, t)| CauseRow { cause: *c, current: t.current, previous: t.previous })
                .collect(),
            silent_auth_failures: self.silent_auth_failures,
            reasons: reasons
                .into_iter()
                .map(|((cause, reason), t)| ReasonRow {
                    cause,
                    reason: reason.to_string(),
                    current: t.main.current,
                    previous: t.main.previous,
                })
                .collect(),
        };

        let attacks = attacks(&analysis, self.config.organization.as_deref(), &period, top);

        let (domains, other_domains, u) = self.domains.top(top);
        untracked(u);
        let classes = [crate::domains::DomainClass::Disposable, crate::domains::DomainClass::FreeMail, crate::domains::DomainClass::Other];
        let [signups_ok, signups_failed] = self.signups;
        let signups = Signups {
            succeeded: signups_ok,
            failed: signups_failed,
            by_class: classes
                .iter()
                .map(|c| {
                    let [ok, failed] = self.by_class.get(*c as usize).copied().unwrap_or_default();
                    ClassRow { class: c.as_str().to_string(), succeeded: ok, failed }
                })
                .collect(),
            domains: domains
                .into_iter()
                .map(|(d, t)| DomainRow {
                    class: crate::domains::classify(&d).as_str().to_string(),
                    domain: d,
                    succeeded: t.main,
                    failed: t.second,
                })
                .collect(),
            other_domains: other_domains.main.plus(other_domains.second),
            without_domain: self.without_domain,
        };

        let (clients, other_clients, u) = self.clients.top(top);
        untracked(u);
        let [tokens, token_failures] = self.m2m;
        let m2m = M2m {
            tokens,
            failures: token_failures,
            clients: clients
                .into_iter()
                .map(|((c, a), t)| ClientRow { client_id: c, audience: a, tokens: t.main, failures: t.second })
                .collect(),
            other_clients: other_clients.main.plus(other_clients.second),
        };

        let (outcome_rows, _, u) = self.outcomes.top(top.saturating_mul(2));
        untracked(u);
        let (reason_rows, other_reasons, u) = self.audit_reasons.top(top);
        untracked(u);
        let actionguard = Outcomes {
            records: self.records,
            watched: self.watched,
            outcomes: outcome_rows
                .into_iter()
                .map(|((trigger, outcome), t)| OutcomeRow { trigger, outcome, current: t.main.current, previous: t.main.previous })
                .collect(),
            reasons: reason_rows
                .into_iter()
                .map(|((trigger, code), t)| AuditReasonRow { trigger, code, current: t.main.current, previous: t.main.previous })
                .collect(),
            other_reasons: other_reasons.main,
        };

        let mut organizations: Vec<OrgRow> = self
            .orgs
            .into_iter()
            .map(|(id, acc)| OrgRow {
                id,
                active_users: acc.users.len() as u64,
                mfa_users: acc.users.values().filter(|m| **m).count() as u64,
                logins: acc.logins,
                failed_logins: acc.failed_logins,
                signups: acc.signups,
                m2m_tokens: acc.m2m_tokens,
            })
            .collect();
        organizations.sort_by(|a, b| b.active_users.cmp(&a.active_users).then(b.logins.cmp(&a.logins)).then_with(|| a.id.cmp(&b.id)));
        organizations.truncate(top);

        let bounds = Bounds {
            users_untracked: self.bounds.users_untracked,
            keys_untracked: self.bounds.keys_untracked.saturating_add(keys_untracked),
            detection_state_overflow: analysis.state_overflow,
            detection_alerts_dropped: analysis.alerts_dropped,
        };
        let report = Report {
            format: FORMAT.to_string(),
            organization: self.config.organization.clone(),
            period: period.out(),
            previous: period.previous().out(),
            input,
            users: Users { active, mfa, mfa_coverage: Ratio::of(mfa, active) },
            enrolment: Enrolment { started, completed, failed: failed_enrol, completion: Ratio::of(completed, started) },
            logins,
            daily: self.daily,
            attacks,
            signups,
            m2m,
            actionguard,
            organizations,
            bounds,
        };
        (report, analysis)
    }
}

/// The bound on users tracked, over the periods' sets and the organizations'.
struct UserBound<'a> {
    tracked: &'a mut usize,
    max: usize,
    untracked: &'a mut u64,
}

impl UserBound<'_> {
    /// Notes an active user, and whether this login performed MFA.
    fn note(&mut self, set: &mut HashMap<u64, bool, Hasher>, user: u64, mfa: bool) {
        if let Some(m) = set.get_mut(&user) {
            *m |= mfa;
        } else if *self.tracked < self.max {
            set.insert(user, mfa);
            *self.tracked = self.tracked.saturating_add(1);
        } else {
            *self.untracked = self.untracked.saturating_add(1);
        }
    }
}

/// The organization's counts, made when new; `None` (counted) beyond `max` organizations.
fn org_entry<'a>(orgs: &'a mut HashMap<String, OrgAcc, Hasher>, id: &str, max: usize, untracked: &mut u64) -> Option<&'a mut OrgAcc> {
    if !orgs.contains_key(id) {
        if orgs.len() >= max {
            *untracked = untracked.saturating_add(1);
            return None;
        }
        orgs.insert(id.to_string(), OrgAcc::default());
    }
    orgs.get_mut(id)
}

/// The analysis's alerts of the organization (all, for a report of all), counted
/// by kind in each period they were active in, and the current period's listed.
fn attacks(analysis: &Analysis, organization: Option<&str>, period: &Period, top: usize) -> Attacks {
    let mut by_kind: BTreeMap<&str, Trend> = ALERT_KINDS.iter().map(|k| (*k, Trend::default())).collect();
    let mut listed = Vec::new();
    let mut not_listed = 0u64;
    for alert in &analysis.alerts {
        if organization.is_some_and(|o| !alert.organizations.iter().any(|x| x == o)) {
            continue;
        }
        let (Some(first), Some(last)) = (clock::parse_rfc3339_ms(&alert.first_seen), clock::parse_rfc3339_ms(&alert.last_seen)) else {
            continue;
        };
        let counts = by_kind.entry(alert.kind).or_default();
        if period.overlaps(Which::Previous, first, last) {
            counts.add(Which::Previous, 1);
        }
        if period.overlaps(Which::Current, first, last) {
            counts.add(Which::Current, 1);
            // The analysis is sorted most severe first, then by first seen.
            if listed.len() < top {
                let severity = serde_json::to_value(alert.severity).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                listed.push(AlertRow {
                    kind: alert.kind.to_string(),
                    severity,
                    subject_type: alert.subject.kind.to_string(),
                    subject: alert.subject.value.clone(),
                    organizations: alert.organizations.clone(),
                    users: alert.users,
                    events: alert.events,
                    first_seen: alert.first_seen.clone(),
                    last_seen: alert.last_seen.clone(),
                    reasons: alert.reasons.iter().map(|r| r.code.to_string()).collect(),
                });
            } else {
                not_listed = not_listed.saturating_add(1);
            }
        }
    }
    // The known kinds in their order, then any other in name order.
    let mut rows: Vec<KindRow> = ALERT_KINDS
        .iter()
        .map(|k| {
            let t = by_kind.get(k).copied().unwrap_or_default();
            KindRow { kind: (*k).to_string(), current: t.current, previous: t.previous }
        })
        .collect();
    rows.extend(by_kind.iter().filter(|(k, _)| !ALERT_KINDS.contains(k)).map(|(k, t)| KindRow {
        kind: (*k).to_string(),
        current: t.current,
        previous: t.previous,
    }));
    Attacks { by_kind: rows, alerts: listed, alerts_not_listed: not_listed }
}

/// What a facade's `finish` answers: the report, its Markdown, and (when asked) the
/// analysis of every log fed (`logs analyze`'s, for the offline command).
#[derive(Debug, Serialize)]
pub struct Finished {
    pub report: Report,
    pub markdown: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
}

impl ReportBuilder {
    pub fn finished(self, with_analysis: bool) -> Finished {
        let (report, analysis) = self.finish();
        Finished { markdown: markdown::render(&report), report, analysis: with_analysis.then_some(analysis) }
    }
}

/// The dates of the first and the last of a body's logs (ms), if it has any: how
/// the offline command picks its default period (the week up to the file's last
/// day) before it reads the file again for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    pub events: u64,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

pub fn span_of(batch: &Batch) -> Span {
    batch.events.iter().fold(Span::default(), |s, e| Span {
        events: s.events.saturating_add(1),
        first_ms: Some(s.first_ms.map_or(e.date_ms, |f| f.min(e.date_ms))),
        last_ms: Some(s.last_ms.map_or(e.date_ms, |l| l.max(e.date_ms))),
    })
}
