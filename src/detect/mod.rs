//! Attack detection over Auth0 logs, across organizations: the core of
//! `actionguard logs analyze` (and, later, of the control plane's live view).
//!
//! An [`Analyzer`] is fed [`LogEvent`]s in batches ([`Analyzer::feed`], or
//! [`Analyzer::feed_batch`] with a parsed body's rejects and duplicates), keeps
//! each `log_id` once across feeds, and [`Analyzer::finish`]es into an
//! [`Analysis`]: the counts, the alerts, and a summary per organization. It is
//! pure (no clock: time is the logs' own `date`), deterministic (the same lines
//! give the same analysis, alerts sorted), and bounded: every detector keeps
//! windows of recent events per key, at most [`DetectConfig::max_keys`] keys
//! and [`DetectConfig::max_entries_per_key`] entries a key, so a flood of
//! addresses or users cannot exhaust memory (what could not be tracked is
//! counted in `state_overflow`).
//!
//! The detectors, each with its thresholds in one place of [`DetectConfig`]:
//! - [`stuffing`] `credential_stuffing`: failed logins (`f`, `fp`, `fu`) from one
//!   address, or one network (/24, /48) of several addresses, across many users
//!   of several organizations, in a burst (an hour) or low and slow (a day),
//!   while the source's logins mostly fail (an office NAT's mostly succeed);
//! - [`breached`] `breached_password`: `pwd_leak`, `signup_pwd_leak`, `reset_pwd_leak`;
//! - [`mfa`] `mfa_fatigue`: MFA pushes, SMS or calls (`gd_send_*`) to one user in
//!   a burst with rejections (`gd_auth_rejected`, `gd_auth_failed`);
//! - [`travel`] `impossible_travel`: one user's successful logins (`s`) from places
//!   too far apart for the time between them;
//! - [`signup`] `signup_wave`: sign-ups (`ss`, `fs`) in bursts from one network,
//!   or of one email domain, by the domain's class;
//! - [`m2m`] `m2m_anomaly`: a client's token exchanges (`seccft`, `feccft`) from a
//!   network outside its baseline, or failing in a burst.
//!
//! [`summary`] counts, per organization, active users, MFA users, logins,
//! failures and sign-ups. Silent-authentication failures (`fsa`) are counted
//! apart and never read as failed logins.

pub mod breached;
pub mod m2m;
pub mod mfa;
pub mod notice;
pub mod signup;
pub mod stuffing;
pub mod summary;
pub mod travel;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::logs::{Batch, LogEvent};
use crate::{clock, Issue};

/// The deterministic hasher of the detectors' maps and sets (fixed seed: the
/// same input gives the same analysis, run after run).
pub(crate) type Hasher = foldhash::fast::FixedState;

pub(crate) fn hasher() -> Hasher {
    foldhash::fast::FixedState::with_seed(0x61_6374_696f_6e67)
}

pub(crate) fn hash_of(s: &str) -> u64 {
    hasher().hash_one(s)
}

/// Every threshold of detection, with its default. JSON: any subset of the
/// fields (`{"mfa_fatigue": {"min_sends": 6}}`); an unknown field is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Keys (addresses, networks, users, clients, domains) each detector tracks at
    /// once; when full, keys idle for longer than the detector's window are
    /// dropped, and if none is, a new key's events are not tracked (`state_overflow`).
    pub max_keys: usize,
    /// Entries of one key's window; the oldest go first.
    pub max_entries_per_key: usize,
    /// `log_id`s remembered for de-duplication; beyond, the oldest are forgotten
    /// (Auth0 repeats a log within minutes, not days).
    pub max_log_ids: usize,
    /// Alerts kept; further ones are counted in `alerts_dropped`.
    pub max_alerts: usize,
    /// Organizations summarized; further ones are not (`state_overflow`).
    pub max_organizations: usize,
    pub credential_stuffing: stuffing::Config,
    pub mfa_fatigue: mfa::Config,
    pub impossible_travel: travel::Config,
    pub signup_wave: signup::Config,
    pub m2m_anomaly: m2m::Config,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            max_keys: 100_000,
            max_entries_per_key: 2_048,
            max_log_ids: 2_000_000,
            max_alerts: 10_000,
            max_organizations: 10_000,
            credential_stuffing: stuffing::Config::default(),
            mfa_fatigue: mfa::Config::default(),
            impossible_travel: travel::Config::default(),
            signup_wave: signup::Config::default(),
            m2m_anomaly: m2m::Config::default(),
        }
    }
}

impl DetectConfig {
    /// A configuration from JSON text (any subset of the fields); absent or
    /// blank text is the defaults.
    pub fn from_json(json: Option<&str>) -> Result<DetectConfig, Issue> {
        match json.map(str::trim) {
            None | Some("") | Some("null") => Ok(DetectConfig::default()),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                let path = crate::answer::error_path(text, &e);
                Issue::new("invalid_config", (path != ".").then_some(path), e.to_string())
            }),
        }
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// What an alert is about: `ip`, `network` (a CIDR), `user` (a `user_id`, or a
/// user name when the log has none), `client` (a `client_id`) or `domain`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Subject {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

/// Why an alert was raised: a stable snake_case code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
}

/// One alert of an analysis: one per kind and subject, over the whole input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: &'static str,
    pub severity: Severity,
    pub subject: Subject,
    /// The organizations involved, sorted (at most 64).
    pub organizations: Vec<String>,
    /// Distinct users involved.
    pub users: u64,
    /// Events attributed to the alert.
    pub events: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// Sorted by code.
    pub reasons: Vec<Reason>,
    /// The `user_id`s a `credential_stuffing` source failed against, sorted (at most
    /// [`MAX_ALERT_TARGETS`]): for the control plane's responses and threat feed, never
    /// in the `logs analyze` contract (see [`LiveAlert`]).
    #[serde(skip)]
    pub targets: Vec<String>,
}

/// An alert as a live analyzer hands it out ([`Analyzer::take_alerts`]): the contract's
/// fields, and `targets` when there are some.
#[derive(Debug, Serialize)]
pub struct LiveAlert<'a> {
    #[serde(flatten)]
    pub alert: &'a Alert,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub targets: &'a [String],
}

/// What [`Analyzer::take_alerts`] answers: the alerts raised or updated since the last
/// take, and the counts so far.
#[derive(Debug, Serialize)]
pub struct LiveAlerts<'a> {
    pub alerts: Vec<LiveAlert<'a>>,
    pub events: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub state_overflow: u64,
    pub alerts_dropped: u64,
}

/// The result of an analysis: the `logs analyze` contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Distinct valid events.
    pub events: u64,
    /// Entries whose `log_id` was already read (in their batch or an earlier one).
    pub duplicates: u64,
    /// Entries that could not be read (malformed lines).
    pub rejected: u64,
    pub alerts: Vec<Alert>,
    pub organizations: Vec<summary::OrganizationSummary>,
    /// Events some detector could not track because a bound was reached.
    pub state_overflow: u64,
    /// Alerts not kept beyond `max_alerts`.
    pub alerts_dropped: u64,
}

/// A streaming analysis: feed batches of logs, then finish.
#[derive(Debug)]
pub struct Analyzer {
    config: DetectConfig,
    seen: HashSet<u64, Hasher>,
    seen_order: VecDeque<u64>,
    events: u64,
    duplicates: u64,
    rejected: u64,
    shared: Shared,
    stuffing: stuffing::Detector,
    breached: breached::Detector,
    mfa: mfa::Detector,
    travel: travel::Detector,
    signup: signup::Detector,
    m2m: m2m::Detector,
    summary: summary::Summary,
    /// The latest event time read (ms): a live analyzer's "now" for forgetting idle alerts.
    latest_ms: Option<i64>,
}

/// What the detectors share: the alerts raised, the users' organizations (for
/// alerts on logs that carry none, as Guardian's and `pwd_leak` do), overflow.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) alerts: Alerts,
    pub(crate) user_orgs: HashMap<u64, Vec<String>, Hasher>,
    pub(crate) overflow: u64,
    max_keys: usize,
    pub(crate) max_entries: usize,
}

impl Shared {
    /// Remembers a user's organization (a few per user; a bounded map).
    fn note_user_org(&mut self, user: u64, org: &str) {
        let full = self.user_orgs.len() >= self.max_keys;
        if let Some(orgs) = self.user_orgs.get_mut(&user) {
            if orgs.len() < 8 && !orgs.iter().any(|o| o == org) {
                orgs.push(org.to_string());
            }
        } else if !full {
            self.user_orgs.insert(user, vec![org.to_string()]);
        }
    }
}

impl Analyzer {
    pub fn new(config: DetectConfig) -> Analyzer {
        let max_keys = config.max_keys.max(1);
        Analyzer {
            seen: HashSet::with_hasher(hasher()),
            seen_order: VecDeque::new(),
            events: 0,
            duplicates: 0,
            rejected: 0,
            shared: Shared {
                alerts: Alerts::new(config.max_alerts),
                user_orgs: HashMap::with_hasher(hasher()),
                overflow: 0,
                max_keys,
                max_entries: config.max_entries_per_key.max(1),
            },
            stuffing: stuffing::Detector::new(&config.credential_stuffing, max_keys),
            breached: breached::Detector::default(),
            mfa: mfa::Detector::new(&config.mfa_fatigue, max_keys),
            travel: travel::Detector::new(&config.impossible_travel, max_keys),
            signup: signup::Detector::new(&config.signup_wave, max_keys),
            m2m: m2m::Detector::new(&config.m2m_anomaly, max_keys),
            summary: summary::Summary::new(config.max_organizations),
            latest_ms: None,
            config,
        }
    }

    /// Reads logs; one whose `log_id` was read before (in this feed or an
    /// earlier one) is counted as a duplicate and skipped.
    pub fn feed(&mut self, events: &[LogEvent]) {
        for event in events {
            if !self.first_time(&event.log_id) {
                self.duplicates = self.duplicates.saturating_add(1);
                continue;
            }
            self.events = self.events.saturating_add(1);
            self.observe(event);
        }
    }

    /// A parsed body: its events, and its rejects and in-batch duplicates counted.
    pub fn feed_batch(&mut self, batch: &Batch) {
        self.rejected = self.rejected.saturating_add(batch.rejects.len() as u64);
        self.duplicates = self.duplicates.saturating_add(batch.duplicates as u64);
        self.feed(&batch.events);
    }

    /// Distinct events, duplicates and rejects so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.events, self.duplicates, self.rejected)
    }

    /// Events not tracked because a bound was reached, and alerts not kept, so far.
    pub fn bounds_reached(&self) -> (u64, u64) {
        (self.shared.overflow, self.shared.alerts.dropped)
    }

    fn first_time(&mut self, log_id: &str) -> bool {
        let h = hash_of(log_id);
        if !self.seen.insert(h) {
            return false;
        }
        self.seen_order.push_back(h);
        while self.seen_order.len() > self.config.max_log_ids.max(1) {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    fn observe(&mut self, e: &LogEvent) {
        self.latest_ms = Some(self.latest_ms.map_or(e.date_ms, |t| t.max(e.date_ms)));
        if let (Some(user), Some(org)) = (e.user_id.as_deref(), e.organization_id.as_deref()) {
            self.shared.note_user_org(hash_of(user), org);
        }
        self.summary.observe(e, &mut self.shared);
        self.stuffing.observe(e, &mut self.shared);
        self.breached.observe(e, &mut self.shared);
        self.mfa.observe(e, &mut self.shared);
        self.travel.observe(e, &mut self.shared);
        self.signup.observe(e, &mut self.shared);
        self.m2m.observe(e, &mut self.shared);
    }

    /// The alerts raised or updated since the last take (all of them the first time),
    /// sorted as [`Analyzer::finish`] sorts them, each whole (its counts so far): what a
    /// live host stores, replacing the alert's previous version. Costs the alerts
    /// changed, not all kept. Sources not yet evaluated stay so (a source is evaluated
    /// at least every eighth of its window: see [`stuffing`]).
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        self.shared.alerts.take_changed(&self.shared.user_orgs)
    }

    /// Forgets the alerts whose last event is more than `idle_ms` older than the latest
    /// event read, so that a long-lived analyzer keeps making room for new ones under
    /// `max_alerts` (a host keeps what it took). A detector whose alert was forgotten
    /// starts over on that subject. Returns how many were forgotten.
    pub fn forget_idle_alerts(&mut self, idle_ms: i64) -> usize {
        let Some(latest) = self.latest_ms else { return 0 };
        self.shared.alerts.forget_before(latest.saturating_sub(idle_ms.max(0)))
    }

    /// The analysis of everything fed.
    pub fn finish(mut self) -> Analysis {
        self.stuffing.finish(&mut self.shared);
        let Shared { alerts, user_orgs, overflow, .. } = self.shared;
        let dropped = alerts.dropped;
        Analysis {
            events: self.events,
            duplicates: self.duplicates,
            rejected: self.rejected,
            alerts: alerts.into_sorted(&user_orgs),
            organizations: self.summary.into_sorted(),
            state_overflow: overflow,
            alerts_dropped: dropped,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------

/// Organizations an alert lists at most.
const MAX_ALERT_ORGS: usize = 64;
/// Users an alert counts exactly; beyond, further users are counted once each
/// they are seen (an upper bound).
const MAX_ALERT_USERS: usize = 100_000;
/// `user_id`s an alert lists as its targets (enough to respond to a campaign's
/// accounts, small enough for a feed and a webhook).
pub const MAX_ALERT_TARGETS: usize = 1_000;
/// Longest `user_id` listed as a target (Auth0's are far shorter).
pub(crate) const MAX_TARGET_LEN: usize = 256;

#[derive(Debug)]
pub(crate) struct AlertAcc {
    severity: Severity,
    orgs: BTreeSet<String>,
    users: HashSet<u64, Hasher>,
    users_beyond: u64,
    events: u64,
    first_ms: i64,
    last_ms: i64,
    reasons: BTreeSet<&'static str>,
    targets: BTreeSet<String>,
    /// Changed since the last [`Alerts::take_changed`] (then its key is in `Alerts::changed`).
    changed: bool,
}

impl AlertAcc {
    pub(crate) fn event(&mut self, at_ms: i64) -> &mut Self {
        self.events = self.events.saturating_add(1);
        self.first_ms = self.first_ms.min(at_ms);
        self.last_ms = self.last_ms.max(at_ms);
        self
    }

    pub(crate) fn user(&mut self, user: Option<u64>) -> &mut Self {
        if let Some(u) = user {
            if self.users.len() < MAX_ALERT_USERS {
                self.users.insert(u);
            } else if !self.users.contains(&u) {
                self.users_beyond = self.users_beyond.saturating_add(1);
            }
        }
        self
    }

    pub(crate) fn org(&mut self, org: Option<&str>) -> &mut Self {
        if let Some(o) = org {
            if self.orgs.len() < MAX_ALERT_ORGS && !self.orgs.contains(o) {
                self.orgs.insert(o.to_string());
            }
        }
        self
    }

    pub(crate) fn reason(&mut self, code: &'static str) -> &mut Self {
        self.reasons.insert(code);
        self
    }

    /// A `user_id` the alert's source went after (bounded, see [`MAX_ALERT_TARGETS`]).
    pub(crate) fn target(&mut self, user_id: Option<&str>) -> &mut Self {
        if let Some(id) = user_id {
            if self.targets.len() < MAX_ALERT_TARGETS && id.len() <= MAX_TARGET_LEN && !self.targets.contains(id) {
                self.targets.insert(id.to_string());
            }
        }
        self
    }

    pub(crate) fn events_so_far(&self) -> u64 {
        self.events
    }

    pub(crate) fn severity(&mut self, at_least: Severity) -> &mut Self {
        self.severity = self.severity.max(at_least);
        self
    }
}

type AlertKey = (&'static str, Subject);

#[derive(Debug)]
pub(crate) struct Alerts {
    map: HashMap<AlertKey, AlertAcc, Hasher>,
    max: usize,
    dropped: u64,
    /// Keys of the alerts changed since the last take, each once.
    changed: Vec<AlertKey>,
    /// Keys of alerts forgotten while their detector may still hold them as raised (at
    /// most twice `max`; beyond, the set starts over, and the detectors of what it held
    /// keep ignoring those subjects until their state for them goes idle).
    forgotten: HashSet<AlertKey, Hasher>,
    /// Keys of alerts refused for want of room (at most `max`): once alerts are
    /// forgotten, they are forgotten too, so that their detectors try again.
    refused: HashSet<AlertKey, Hasher>,
}

impl Alerts {
    fn new(max: usize) -> Alerts {
        Alerts {
            map: HashMap::with_hasher(hasher()),
            max,
            dropped: 0,
            changed: Vec::new(),
            forgotten: HashSet::with_hasher(hasher()),
            refused: HashSet::with_hasher(hasher()),
        }
    }

    /// Marks the alert changed (once until the next take).
    fn touch<'a>(changed: &mut Vec<AlertKey>, key: &AlertKey, acc: &'a mut AlertAcc) -> &'a mut AlertAcc {
        if !acc.changed {
            acc.changed = true;
            changed.push(key.clone());
        }
        acc
    }

    /// Whether the alert of this kind on this subject was forgotten since it was raised
    /// (and now no longer is): the detector that raised it starts over on the subject.
    pub(crate) fn forgotten(&mut self, kind: &'static str, subject: &Subject) -> bool {
        !self.forgotten.is_empty() && self.forgotten.remove(&(kind, subject.clone()))
    }

    fn forget_before(&mut self, horizon_ms: i64) -> usize {
        let before = self.map.len();
        let forgotten = &mut self.forgotten;
        // Room for every alert kept and every one refused.
        let cap = self.max.max(1).saturating_mul(2);
        self.map.retain(|key, acc| {
            if acc.last_ms >= horizon_ms {
                return true;
            }
            if forgotten.len() >= cap {
                // Bounded: whatever it held is an old alert's; the set starts over.
                forgotten.clear();
            }
            forgotten.insert(key.clone());
            false
        });
        // A forgotten alert's pending change is dropped with it (the host took or never needed it).
        let map = &self.map;
        self.changed.retain(|k| map.contains_key(k));
        let removed = before.saturating_sub(self.map.len());
        if removed > 0 {
            for key in self.refused.drain() {
                if self.forgotten.len() < cap {
                    self.forgotten.insert(key);
                }
            }
        }
        removed
    }

    /// The alerts changed since the last call, whole, sorted as [`Alerts::into_sorted`] sorts.
    fn take_changed(&mut self, user_orgs: &HashMap<u64, Vec<String>, Hasher>) -> Vec<Alert> {
        let keys = std::mem::take(&mut self.changed);
        let mut out: Vec<(i64, Alert)> = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(acc) = self.map.get_mut(&key) {
                acc.changed = false;
                let mut orgs = acc.orgs.clone();
                extra_orgs(&key.1, user_orgs, &mut orgs);
                out.push((acc.first_ms, alert_of(key.0, key.1, acc, orgs)));
            }
        }
        sort_alerts(&mut out);
        out.into_iter().map(|(_, a)| a).collect()
    }

    /// The alert of this kind on this subject, raised now if it was not; `None`
    /// when no more alerts are kept.
    pub(crate) fn raise(&mut self, kind: &'static str, subject: Subject, severity: Severity, at_ms: i64) -> Option<&mut AlertAcc> {
        let key = (kind, subject);
        if !self.map.contains_key(&key) {
            if self.map.len() >= self.max {
                self.dropped = self.dropped.saturating_add(1);
                if self.refused.len() < self.max.max(1) {
                    self.refused.insert(key);
                }
                return None;
            }
            self.map.insert(
                key.clone(),
                AlertAcc {
                    severity,
                    orgs: BTreeSet::new(),
                    users: HashSet::with_hasher(hasher()),
                    users_beyond: 0,
                    events: 0,
                    first_ms: at_ms,
                    last_ms: at_ms,
                    reasons: BTreeSet::new(),
                    targets: BTreeSet::new(),
                    changed: false,
                },
            );
        }
        let changed = &mut self.changed;
        self.map.get_mut(&key).map(|a| Self::touch(changed, &key, a).severity(severity))
    }

    /// The alert of this kind on this subject, if one was raised.
    pub(crate) fn get(&mut self, kind: &'static str, subject: &Subject) -> Option<&mut AlertAcc> {
        // The map's key owns its subject, so the lookup clones it: callers look up
        // only for a source or user that has alerted, not for every event.
        let key = (kind, subject.clone());
        let changed = &mut self.changed;
        self.map.get_mut(&key).map(|a| Self::touch(changed, &key, a))
    }

    fn into_sorted(self, user_orgs: &HashMap<u64, Vec<String>, Hasher>) -> Vec<Alert> {
        let mut out: Vec<(i64, Alert)> = self
            .map
            .into_iter()
            .map(|((kind, subject), mut acc)| {
                let mut orgs = std::mem::take(&mut acc.orgs);
                extra_orgs(&subject, user_orgs, &mut orgs);
                (acc.first_ms, alert_of(kind, subject, &acc, orgs))
            })
            .collect();
        sort_alerts(&mut out);
        out.into_iter().map(|(_, a)| a).collect()
    }
}

/// A user's alert also names the organizations of the user's other logs (bounded as
/// [`AlertAcc::org`] bounds them).
fn extra_orgs(subject: &Subject, user_orgs: &HashMap<u64, Vec<String>, Hasher>, orgs: &mut BTreeSet<String>) {
    if subject.kind == "user" {
        for org in user_orgs.get(&hash_of(&subject.value)).into_iter().flatten() {
            if orgs.len() < MAX_ALERT_ORGS && !orgs.contains(org) {
                orgs.insert(org.clone());
            }
        }
    }
}

fn alert_of(kind: &'static str, subject: Subject, acc: &AlertAcc, orgs: BTreeSet<String>) -> Alert {
    let iso = |ms: i64| clock::rfc3339_of_ms(ms as f64).unwrap_or_default();
    Alert {
        kind,
        severity: acc.severity,
        organizations: orgs.into_iter().collect(),
        users: (acc.users.len() as u64).saturating_add(acc.users_beyond),
        events: acc.events,
        first_seen: iso(acc.first_ms),
        last_seen: iso(acc.last_ms),
        reasons: acc.reasons.iter().map(|code| Reason { code }).collect(),
        targets: acc.targets.iter().cloned().collect(),
        subject,
    }
}

/// Most severe first, then in order of appearance; ties by kind and subject.
fn sort_alerts(out: &mut [(i64, Alert)]) {
    out.sort_by(|(a_ms, a), (b_ms, b)| {
        b.severity.cmp(&a.severity).then(a_ms.cmp(b_ms)).then(a.kind.cmp(b.kind)).then_with(|| a.subject.cmp(&b.subject))
    });
}

// ---------------------------------------------------------------------------------------
// Shared helpers of the detectors
// ---------------------------------------------------------------------------------------

/// Failed logins: wrong password (`fp`), unknown user (`fu`), other failure (`f`).
/// Not `fsa` (silent authentication found no session: noise, not an attempt).
pub(crate) fn is_failed_login(t: &str) -> bool {
    matches!(t, "f" | "fp" | "fu")
}

/// A user's key in a log: `user_id`, else the lowercased user name (a failed
/// login for an unknown user has only the name that was typed).
pub(crate) fn user_key(e: &LogEvent) -> Option<String> {
    e.user_id.clone().or_else(|| e.user_name.as_deref().map(str::to_lowercase))
}

/// The hash of [`user_key`], without copying the key: `user_id` is hashed as it
/// is, and a user name is lowercased only when it is not lowercase ASCII already.
pub(crate) fn user_hash(e: &LogEvent) -> Option<u64> {
    if let Some(id) = e.user_id.as_deref() {
        return Some(hash_of(id));
    }
    let name = e.user_name.as_deref()?;
    if name.is_ascii() && !name.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(hash_of(name))
    } else {
        Some(hash_of(&name.to_lowercase()))
    }
}

/// The network an address is in: its /24 (IPv4) or /48 (IPv6), as a CIDR.
pub(crate) fn network_of(ip: &str) -> Option<String> {
    let addr: IpAddr = crate::risk::network::parse_ip(ip)?;
    match addr {
        // What the CIDR's `Display` writes, without the formatting machinery: most logs
        // carry an IPv4 address, and this runs for each of them (tests below compare).
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            let mut out = String::with_capacity(18);
            for octet in [a, b, c] {
                push_decimal(&mut out, octet);
                out.push('.');
            }
            out.push_str("0/24");
            Some(out)
        }
        IpAddr::V6(_) => crate::risk::network::home_prefix(addr).map(|n| n.to_string()),
    }
}

/// The address in its canonical form (`2001:db8::1`, not `2001:0db8::0001`), or
/// `None` when it is not one.
pub(crate) fn canonical_ip(ip: &str) -> Option<String> {
    match crate::risk::network::parse_ip(ip)? {
        // As `Ipv4Addr`'s `Display` writes it (see `network_of`).
        IpAddr::V4(v4) => {
            let mut out = String::with_capacity(15);
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(&mut out, octet);
            }
            Some(out)
        }
        v6 => Some(v6.to_string()),
    }
}

fn push_decimal(out: &mut String, n: u8) {
    if n >= 100 {
        out.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

/// A map of per-key state bounded to `cap` keys (see [`DetectConfig::max_keys`]).
#[derive(Debug)]
pub(crate) struct Keyed<V> {
    map: HashMap<String, V, Hasher>,
    cap: usize,
    /// Keys idle for longer than this (ms) may be dropped to make room.
    idle_ms: i64,
    last_sweep_ms: Option<i64>,
}

pub(crate) trait Idle {
    /// The latest event time of the key, in ms.
    fn last_ms(&self) -> i64;
}

impl<V: Idle> Keyed<V> {
    pub(crate) fn new(cap: usize, idle_ms: i64) -> Keyed<V> {
        Keyed { map: HashMap::with_hasher(hasher()), cap: cap.max(1), idle_ms: idle_ms.max(1), last_sweep_ms: None }
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut V)> {
        self.map.iter_mut()
    }

    /// The key's state, made with `make` when new; `None` (and an overflow
    /// counted) when the map is full of keys active within `idle_ms` of `now_ms`.
    pub(crate) fn entry(&mut self, key: &str, now_ms: i64, overflow: &mut u64, make: impl FnOnce() -> V) -> Option<&mut V> {
        if !self.map.contains_key(key) {
            if self.map.len() >= self.cap {
                // Sweep at most every tenth of the idle time: a full map of active keys
                // is not scanned again for every event.
                let due = match self.last_sweep_ms {
                    None => true,
                    Some(t) => now_ms.saturating_sub(t) >= self.idle_ms / 10,
                };
                if due {
                    let horizon = now_ms.saturating_sub(self.idle_ms);
                    self.map.retain(|_, v| v.last_ms() >= horizon);
                    self.last_sweep_ms = Some(now_ms);
                }
                if self.map.len() >= self.cap {
                    *overflow = overflow.saturating_add(1);
                    return None;
                }
            }
            self.map.insert(key.to_string(), make());
        }
        self.map.get_mut(key)
    }
}

/// Drops entries older than `horizon_ms` from the front of a window, and the
/// oldest beyond `cap`.
pub(crate) fn prune<T>(window: &mut VecDeque<(i64, T)>, horizon_ms: i64, cap: usize) {
    while window.front().is_some_and(|(t, _)| *t < horizon_ms) || window.len() > cap {
        window.pop_front();
    }
}

pub(crate) fn secs(s: u64) -> i64 {
    i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A log event for tests: `type`, seconds after 2026-11-02T00:00Z, and fields.
    pub(crate) fn ev(id: &str, event_type: &str, at_s: i64) -> LogEvent {
        LogEvent {
            log_id: id.to_string(),
            index: 0,
            start: 0,
            end: 0,
            event_type: event_type.to_string(),
            date_ms: 1_793_577_600_000 + at_s * 1000,
            ip: None,
            user_id: None,
            user_name: None,
            client_id: None,
            connection: None,
            organization_id: None,
            hostname: None,
            user_agent: None,
            country_code: None,
            latitude: None,
            longitude: None,
            mfa: false,
        }
    }

    pub(crate) fn analyze(events: &[LogEvent]) -> Analysis {
        analyze_with(DetectConfig::default(), events)
    }

    pub(crate) fn analyze_with(config: DetectConfig, events: &[LogEvent]) -> Analysis {
        let mut a = Analyzer::new(config);
        a.feed(events);
        a.finish()
    }

    pub(crate) fn kinds(a: &Analysis) -> Vec<(&'static str, String)> {
        a.alerts.iter().map(|x| (x.kind, x.subject.value.clone())).collect()
    }

    pub(crate) fn codes(alert: &Alert) -> Vec<&'static str> {
        alert.reasons.iter().map(|r| r.code).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn duplicates_are_counted_across_feeds_and_read_once() {
        let mut a = Analyzer::new(DetectConfig::default());
        let mut s = ev("1", "s", 0);
        s.user_id = Some("u1".into());
        s.organization_id = Some("org_a".into());
        a.feed(&[s.clone(), ev("2", "fsa", 1)]);
        a.feed(&[s.clone()]);
        let batch = crate::logs::parse_batch("not json\n{\"log_id\":\"3\",\"type\":\"s\",\"date\":\"2026-11-02T00:00:00Z\"}\n{\"log_id\":\"3\",\"type\":\"s\",\"date\":\"2026-11-02T00:00:00Z\"}");
        a.feed_batch(&batch);
        let out = a.finish();
        assert_eq!((out.events, out.duplicates, out.rejected), (3, 2, 1));
        assert_eq!(out.organizations.len(), 1);
        assert_eq!(out.organizations[0].logins, 1, "the repeated login is counted once");
    }

    #[test]
    fn forgotten_log_ids_are_bounded() {
        let config = DetectConfig { max_log_ids: 2, ..DetectConfig::default() };
        let mut a = Analyzer::new(config);
        a.feed(&[ev("1", "slo", 0), ev("2", "slo", 1), ev("3", "slo", 2), ev("1", "slo", 3), ev("3", "slo", 4)]);
        assert_eq!(a.counts(), (4, 1, 0), "1 was forgotten, 3 was not");
        assert!(a.seen.len() <= 2);
    }

    #[test]
    fn config_reads_a_subset_and_refuses_unknown_fields() {
        let c = DetectConfig::from_json(Some(r#"{"mfa_fatigue":{"min_sends":6}}"#)).unwrap();
        assert_eq!(c.mfa_fatigue.min_sends, 6);
        assert_eq!(c.max_keys, DetectConfig::default().max_keys);
        let err = DetectConfig::from_json(Some(r#"{"mfa_fatigue":{"min_send":6}}"#)).unwrap_err();
        assert_eq!(err.code, "invalid_config");
        assert_eq!(err.path.as_deref(), Some("mfa_fatigue.min_send"));
        assert!(DetectConfig::from_json(None).is_ok());
    }

    #[test]
    fn a_user_s_hash_is_the_hash_of_its_key() {
        let mut e = ev("1", "fp", 0);
        assert_eq!(user_hash(&e), None);
        for name in ["alice@example.com", "Alice@Example.COM", "ÉLODIE@exemple.fr", "élodie@exemple.fr"] {
            e.user_name = Some(name.into());
            assert_eq!(user_hash(&e), user_key(&e).map(|k| hash_of(&k)), "{name}");
        }
        e.user_id = Some("auth0|ABC".into());
        assert_eq!(user_hash(&e), Some(hash_of("auth0|ABC")), "a user_id is not lowercased");
    }

    #[test]
    fn addresses_and_networks_are_written_as_display_writes_them() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut cases: Vec<String> =
            ["0.0.0.0", "255.255.255.255", " 10.0.0.1 ", "1.2.3.04", "01.2.3.4", "1.2.3", "::ffff:1.2.3.4", "2001:DB8::1", "x"]
                .map(String::from)
                .to_vec();
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let [a, b, c, d, ..] = state.to_le_bytes();
            cases.push(format!("{a}.{b}.{c}.{d}"));
        }
        for ip in &cases {
            let parsed = crate::risk::network::parse_ip(ip);
            assert_eq!(canonical_ip(ip), parsed.map(|a| a.to_string()), "{ip}");
            assert_eq!(network_of(ip), parsed.and_then(crate::risk::network::home_prefix).map(|n| n.to_string()), "{ip}");
        }
    }

    #[test]
    fn networks_are_slash_24_and_slash_48() {
        assert_eq!(network_of("203.0.113.77").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network_of("2001:db8:85a3::8a2e:370:7334").as_deref(), Some("2001:db8:85a3::/48"));
        assert_eq!(network_of("nope"), None);
    }

    /// A stuffing run from one address: `n` users (ids `auth0|t<i>`) of two
    /// organizations failing once each, a minute apart, from `at_s`.
    fn stuffing_run(prefix: &str, ip: &str, n: usize, at_s: i64) -> Vec<LogEvent> {
        (0..n)
            .map(|i| {
                let mut e = ev(&format!("{prefix}{i}"), "fp", at_s + i as i64 * 60);
                e.ip = Some(ip.into());
                e.user_id = Some(format!("auth0|t{i}"));
                e.organization_id = Some(["org_a", "org_b"][i % 2].into());
                e
            })
            .collect()
    }

    #[test]
    fn take_alerts_hands_out_what_changed_and_finish_agrees() {
        let events = stuffing_run("a", "203.0.113.9", 30, 0);
        let mut live = Analyzer::new(DetectConfig::default());
        live.feed(&events[..5]);
        assert!(live.take_alerts().is_empty(), "five users are not a campaign");
        live.feed(&events[5..12]);
        let first = live.take_alerts();
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].kind, first[0].subject.value.as_str()), ("credential_stuffing", "203.0.113.9"));
        assert!(live.take_alerts().is_empty(), "nothing changed since");
        live.feed(&events[12..]);
        let second = live.take_alerts();
        assert_eq!(second.len(), 1);
        assert!(second[0].events > first[0].events, "the alert comes whole, with its counts so far");
        // Every failing account is a target, in order; finish gives the same alert.
        let mut ids: Vec<String> = (0..30).map(|i| format!("auth0|t{i}")).collect();
        ids.sort();
        assert_eq!(second[0].targets, ids);
        let done = live.finish();
        assert_eq!(done.alerts, second);
        // ...and it is what one analysis of the whole input gives.
        assert_eq!(analyze(&events).alerts, second);
    }

    #[test]
    fn targets_are_bounded_and_not_in_the_contract_json() {
        let events = stuffing_run("b", "203.0.113.10", MAX_ALERT_TARGETS + 50, 0);
        let config = DetectConfig {
            credential_stuffing: stuffing::Config { slow_window_s: 10 * 86_400, ..Default::default() },
            ..DetectConfig::default()
        };
        let a = analyze_with(config, &events);
        assert_eq!(a.alerts.len(), 1);
        assert_eq!(a.alerts[0].targets.len(), MAX_ALERT_TARGETS);
        assert_eq!(a.alerts[0].users, MAX_ALERT_TARGETS as u64 + 50, "users are still all counted");
        let json = serde_json::to_value(&a).unwrap();
        assert!(json["alerts"][0].get("targets").is_none(), "logs analyze's contract has no targets");
        let live = serde_json::to_value(LiveAlert { alert: &a.alerts[0], targets: &a.alerts[0].targets }).unwrap();
        assert_eq!(live["targets"].as_array().map(Vec::len), Some(MAX_ALERT_TARGETS));
        assert_eq!(live["kind"], "credential_stuffing");
    }

    #[test]
    fn forgotten_alerts_make_room_and_their_source_alerts_again() {
        let config = DetectConfig { max_alerts: 1, ..DetectConfig::default() };
        let mut live = Analyzer::new(config);
        live.feed(&stuffing_run("c", "203.0.113.11", 12, 0));
        assert_eq!(live.take_alerts().len(), 1);
        // A week later another address: no room under max_alerts until the idle one goes.
        let week = 7 * 86_400;
        live.feed(&stuffing_run("d", "198.51.100.5", 12, week));
        assert!(live.take_alerts().is_empty());
        assert_eq!(live.bounds_reached().1, 1, "one alert dropped");
        assert_eq!(live.forget_idle_alerts(secs(86_400)), 1);
        assert_eq!(live.forget_idle_alerts(secs(86_400)), 0);
        live.feed(&stuffing_run("e", "198.51.100.5", 12, week + 3600));
        let again = live.take_alerts();
        assert_eq!(again.iter().map(|a| a.subject.value.as_str()).collect::<Vec<_>>(), ["198.51.100.5"]);
        // The first address comes back: its alert was forgotten, so it is raised anew.
        live.feed(&[ev("later", "slo", week + 7000)]);
        assert_eq!(live.forget_idle_alerts(0), 1);
        live.feed(&stuffing_run("f", "203.0.113.11", 12, week + 7200));
        let back = live.take_alerts();
        assert_eq!(back.iter().map(|a| a.subject.value.as_str()).collect::<Vec<_>>(), ["203.0.113.11"]);
        assert_eq!(back[0].first_seen, "2026-11-09T02:00:00.000Z");
    }

    #[test]
    fn a_full_map_drops_idle_keys_and_then_counts_overflow() {
        struct S(i64);
        impl Idle for S {
            fn last_ms(&self) -> i64 {
                self.0
            }
        }
        let mut k: Keyed<S> = Keyed::new(2, 1000);
        let mut overflow = 0;
        assert!(k.entry("a", 0, &mut overflow, || S(0)).is_some());
        assert!(k.entry("b", 900, &mut overflow, || S(900)).is_some());
        assert!(k.entry("c", 1500, &mut overflow, || S(1500)).is_some(), "a was idle for over 1000 ms");
        assert!(k.entry("d", 1600, &mut overflow, || S(1600)).is_none());
        assert_eq!(overflow, 1);
    }
}
