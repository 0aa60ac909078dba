//! ActionGuard's own outcomes, from its audit records (the Actions' full records,
//! one JSON object a line, as the control plane stores them): per trigger and
//! outcome, per reason code, and how many were only watched (the engine would
//! have done more than it applied). A record is read leniently: what the report
//! needs is `id`, `trigger`, `outcome`, `would_outcome`, `organization`, `ts_ms`
//! and `reasons[].code`; a line without `actionguard_audit`, an `id` or `ts_ms` is
//! counted as rejected (or undated), never a failure.

use std::collections::{HashSet, VecDeque};

use serde::Deserialize;

use super::extras::{Lenient, Text};
use crate::detect::{hash_of, hasher, Hasher};

/// Longest trigger, outcome or reason code kept (a longer one is cut).
const MAX_TEXT: usize = 64;

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(default)]
    actionguard_audit: Option<Lenient<u64>>,
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    trigger: Text<'a>,
    #[serde(borrow, default)]
    outcome: Text<'a>,
    #[serde(borrow, default)]
    would_outcome: Text<'a>,
    #[serde(borrow, default)]
    organization: Text<'a>,
    #[serde(default)]
    ts_ms: Option<Lenient<f64>>,
    #[serde(borrow, default)]
    reasons: Option<Lenient<Vec<Lenient<RawReason<'a>>>>>,
}

#[derive(Deserialize)]
struct RawReason<'a> {
    #[serde(borrow, default)]
    code: Text<'a>,
}

/// What the report reads of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub trigger: String,
    pub outcome: String,
    pub watched: bool,
    pub organization: Option<String>,
    pub at_ms: Option<i64>,
    pub reasons: Vec<String>,
}

fn text(t: Text<'_>) -> Option<String> {
    let mut s: String = t.and_then(Lenient::get)?.chars().filter(|c| !c.is_control()).collect();
    crate::context::truncate_chars(&mut s, MAX_TEXT);
    (!s.is_empty()).then_some(s)
}

pub enum Read {
    Record(Record),
    Duplicate,
    Rejected,
}

/// Records' ids already read (hashed), the oldest forgotten beyond `max`.
#[derive(Debug)]
pub struct Seen {
    set: HashSet<u64, Hasher>,
    order: VecDeque<u64>,
    max: usize,
}

impl Seen {
    pub fn new(max: usize) -> Seen {
        Seen { set: HashSet::with_hasher(hasher()), order: VecDeque::new(), max: max.max(1) }
    }

    fn first_time(&mut self, id: &str) -> bool {
        let h = hash_of(id);
        if !self.set.insert(h) {
            return false;
        }
        self.order.push_back(h);
        while self.order.len() > self.max {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// Reads one line of an audit body.
pub fn read(line: &str, seen: &mut Seen) -> Read {
    let Ok(raw) = serde_json::from_str::<Raw<'_>>(line.trim()) else {
        return Read::Rejected;
    };
    if !raw.actionguard_audit.and_then(Lenient::get).is_some_and(|v| v >= 1) {
        return Read::Rejected;
    }
    let Some(id) = text(raw.id) else { return Read::Rejected };
    if !seen.first_time(&id) {
        return Read::Duplicate;
    }
    let outcome = text(raw.outcome).unwrap_or_else(|| "unknown".to_string());
    let would = text(raw.would_outcome);
    let reasons =
        raw.reasons.and_then(Lenient::get).unwrap_or_default().into_iter().filter_map(|r| r.get().and_then(|r| text(r.code))).collect();
    Read::Record(Record {
        trigger: text(raw.trigger).unwrap_or_else(|| "unknown".to_string()),
        watched: would.as_deref().is_some_and(|w| w != outcome),
        outcome,
        organization: text(raw.organization),
        at_ms: raw
            .ts_ms
            .and_then(Lenient::get)
            .filter(|ms| ms.is_finite() && (0.0..=253_402_300_799_999.0).contains(ms))
            .map(|ms| ms as i64),
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_leniently_once_each() {
        let mut seen = Seen::new(10);
        let line = r#"{"actionguard_audit":1,"id":"r1","trigger":"post-login","outcome":"allow","would_outcome":"deny","organization":"org_a","ts_ms":1793610000000,"reasons":[{"code":"new_device","message":"x"},{"code":7},"x"]}"#;
        let Read::Record(r) = read(line, &mut seen) else { panic!("a record") };
        assert_eq!(r.reasons, vec!["new_device".to_string()]);
        assert!(r.watched);
        assert_eq!((r.trigger.as_str(), r.outcome.as_str(), r.at_ms), ("post-login", "allow", Some(1_793_610_000_000)));
        assert!(matches!(read(line, &mut seen), Read::Duplicate));
        assert!(matches!(read(r#"{"id":"r2"}"#, &mut seen), Read::Rejected));
        assert!(matches!(read("nope", &mut seen), Read::Rejected));
        let Read::Record(odd) = read(r#"{"actionguard_audit":1,"id":"r3","trigger":5,"ts_ms":"x","reasons":{}}"#, &mut seen) else {
            panic!("a record")
        };
        assert_eq!((odd.trigger.as_str(), odd.outcome.as_str(), odd.at_ms, odd.watched), ("unknown", "unknown", None, false));
    }
}
