//! Reading what the Actions post to `AUDIT_WEBHOOK_URL` (js/runtime.js: their
//! full audit records, one JSON object a line), for the control plane to store
//! once per record `id`. A line that is not an audit record is a reject with a
//! reason and never costs the others; the record itself is the host's to keep
//! whole (`start..end` says where its line is in the body). Lines are walked as
//! log bodies' are ([`logs::for_each_line`]), with their bound and reject type.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

pub use crate::logs::Reject;
use crate::logs::{self, Refusal};
use crate::{Answer, Issue};

/// Records kept from one body; the Actions post one execution's records (a few).
pub const MAX_RECORDS: usize = 1_000;
/// A record id is 24 hex digits today; anything within this of `[A-Za-z0-9_-]` is kept.
const MAX_ID_BYTES: usize = 64;
const MAX_TEXT: usize = 128;
/// The end of year 9999, as RFC 3339 can write it.
const MAX_AT_MS: f64 = 253_402_300_799_999.0;

/// What the store indexes of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// The line it was on (0-based, blank lines count).
    pub index: usize,
    /// The line's text in the body, as UTF-8 byte offsets (`body[start..end]`,
    /// without its `\n` or a trailing `\r`).
    pub start: usize,
    pub end: usize,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The record's `ts_ms`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Records {
    pub records: Vec<Record>,
    pub rejects: Vec<Reject>,
    /// Lines repeating an `id` already read in this body.
    pub duplicates: usize,
}

/// Reads a body of audit records. Never fails: what cannot be read is a reject.
pub fn read_records(body: &str) -> Records {
    let mut out = Records::default();
    let mut seen = HashSet::new();
    logs::for_each_line(body, |index, start, line| {
        let end = start.saturating_add(line.len());
        match read_line(line) {
            Err((reason_code, message)) => out.rejects.push(Reject { index, start, end, reason_code, message }),
            Ok(mut record) => {
                if seen.contains(&record.id) {
                    out.duplicates = out.duplicates.saturating_add(1);
                } else if out.records.len() >= MAX_RECORDS {
                    let message = format!("a body keeps at most {MAX_RECORDS} records");
                    out.rejects.push(Reject { index, start, end, reason_code: "too_many_records", message });
                } else {
                    (record.index, record.start, record.end) = (index, start, end);
                    seen.insert(record.id.clone());
                    out.records.push(record);
                }
            }
        }
        true
    });
    out
}

/// [`read_records`] as the tagged answer of the other entry points.
pub fn read_records_json(body: &str) -> Answer<Records> {
    Answer::success(read_records(body), Vec::<Issue>::new())
}

fn read_line(line: &str) -> Result<Record, Refusal> {
    logs::check_length(line)?;
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line.trim()) else {
        return refuse("not_json", "not a JSON object");
    };
    if !map.get("actionguard_audit").and_then(Value::as_u64).is_some_and(|v| v >= 1) {
        return refuse("not_an_audit_record", "no `actionguard_audit` schema version");
    }
    let id = match map.get("id") {
        Some(Value::String(id))
            if !id.is_empty() && id.len() <= MAX_ID_BYTES && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            id.clone()
        }
        _ => return refuse("bad_id", "`id` is missing or not 1 to 64 of A-Z, a-z, 0-9, - and _"),
    };
    let text = |key: &str| -> Result<Option<String>, Refusal> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= MAX_TEXT && !s.chars().any(char::is_control) => Ok(Some(s.clone())),
            Some(_) => refuse("bad_field", "`trigger`, `outcome` or `organization` is not a short string"),
        }
    };
    let at_ms = match map.get("ts_ms") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(ms) if ms.is_finite() && (0.0..=MAX_AT_MS).contains(&ms) => Some(ms as i64),
            _ => return refuse("bad_field", "`ts_ms` is not a time in ms since the epoch"),
        },
    };
    Ok(Record {
        index: 0,
        start: 0,
        end: 0,
        id,
        trigger: text("trigger")?,
        outcome: text("outcome")?,
        organization_id: text("organization")?,
        at_ms,
    })
}

fn refuse<T>(code: &'static str, message: &str) -> Result<T, Refusal> {
    Err((code, message.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_once_and_bad_lines_named() {
        let body = [
            r#"{"actionguard_audit":1,"id":"0123456789abcdef01234567","trigger":"post-login","outcome":"deny","organization":"org_1","ts_ms":1793610000000}"#,
            "",
            "not json",
            r#"{"id":"x"}"#,
            r#"{"actionguard_audit":1,"id":"a b"}"#,
            r#"{"actionguard_audit":1,"id":"0123456789abcdef01234567","trigger":"post-login"}"#,
            r#"{"actionguard_audit":1,"id":"r2","trigger":"post-login","ts_ms":-5}"#,
            r#"{"actionguard_audit":1,"id":"r3","trigger":7}"#,
            r#"{"actionguard_audit":1,"id":"r4","organization":null}"#,
        ]
        .join("\n");
        let r = read_records(&body);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0].organization_id.as_deref(), Some("org_1"));
        assert_eq!(r.records[0].at_ms, Some(1_793_610_000_000));
        assert_eq!(r.records[1].index, 8);
        assert_eq!(r.duplicates, 1);
        let codes: Vec<_> = r.rejects.iter().map(|x| (x.index, x.reason_code)).collect();
        assert_eq!(codes, vec![(2, "not_json"), (3, "not_an_audit_record"), (4, "bad_id"), (6, "bad_field"), (7, "bad_field")]);
        let crlf = body.replace('\n', "\r\n");
        let r = read_records(&crlf);
        let last = r.records.last().unwrap();
        assert_eq!(crlf.get(last.start..last.end), body.lines().nth(8));
        let texts: Vec<_> = r.rejects.iter().map(|x| crlf.get(x.start..x.end).unwrap()).collect();
        assert_eq!(texts[..2], ["not json", r#"{"id":"x"}"#]);
    }

    #[test]
    fn a_flood_is_cut_at_the_bound() {
        let body: String = (0..MAX_RECORDS + 5).map(|i| format!("{{\"actionguard_audit\":1,\"id\":\"r{i}\"}}\n")).collect();
        let r = read_records(&body);
        assert_eq!(r.records.len(), MAX_RECORDS);
        assert_eq!(r.rejects.len(), 5);
        assert!(r.rejects.iter().all(|x| x.reason_code == "too_many_records"));
    }
}
