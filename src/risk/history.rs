//! A user's own login history, kept in `app_metadata.actionguard`.
//!
//! Bounded (8 entries per kind, 12 recent times, 24 hour counters: about 1 kB
//! in JSON, far inside Auth0's 32 kB per user), versioned (`v`), and hashed
//! where it would otherwise hold an identifier: networks and devices are stored
//! as 8 hex digits of SHA-256 salted with the user's id. Countries and ASNs are
//! coarse and kept as they are; the last location is rounded to 0.1 degree
//! (about 10 km), enough for travel speed.
//!
//! Other code may write anything into `app_metadata`: a history that does not
//! parse is dropped with a warning and rebuilt, never a failure.
//!
//! What gets recorded: an allowed login is learned at once. A challenged one
//! is kept as `pending` and learned only once a later login in the same session
//! shows the MFA it asked for completed (within 15 minutes of it); a denied one
//! is never learned. So an attacker who is challenged cannot teach the history
//! their country or device, even while the user completes MFA elsewhere.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answer::Issue;

pub const HISTORY_VERSION: u32 = 1;
const MAX_ITEMS: usize = 8;
const MAX_RECENT: usize = 12;
const MAX_KEY: usize = 16;
/// How soon after a challenged login its MFA must complete to vouch for it.
/// Any later MFA proves the user, not that the pending login was theirs: an
/// attacker's challenged login would otherwise be learned at the user's next MFA.
const CONFIRM_WINDOW_S: i64 = 15 * 60;

/// `[key, times seen, last seen (s)]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item(pub String, pub u32, pub i64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub t: i64,
    pub lat: f64,
    pub lon: f64,
}

/// One login's observations, in stored form (hashed where needed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub t: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<u8>,
    /// The session of a pending (challenged) login: only that session's MFA vouches for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub v: u32,
    /// Logins learned so far (saturating).
    #[serde(default)]
    pub n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Place>,
    #[serde(default)]
    pub cc: Vec<Item>,
    #[serde(default)]
    pub asn: Vec<Item>,
    #[serde(default)]
    pub net: Vec<Item>,
    #[serde(default)]
    pub dev: Vec<Item>,
    /// Recent login times (s), oldest first.
    #[serde(default)]
    pub t: Vec<i64>,
    /// Logins per solar local hour.
    #[serde(default)]
    pub h: Vec<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Observation>,
}

impl Default for History {
    fn default() -> Self {
        History {
            v: HISTORY_VERSION,
            n: 0,
            last: None,
            cc: Vec::new(),
            asn: Vec::new(),
            net: Vec::new(),
            dev: Vec::new(),
            t: Vec::new(),
            h: Vec::new(),
            pending: None,
        }
    }
}

/// Salted short hash: enough to tell values apart within one user's few entries.
pub fn short_hash(kind: &str, salt: &str, value: &str) -> String {
    let mut h = Sha256::new();
    for part in [kind, salt, value] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let mut out = String::with_capacity(8);
    crate::hex::push_hex(&mut out, h.finalize().get(..4).unwrap_or_default());
    out
}

impl History {
    /// Reads a stored history (its JSON text) leniently: anything unusable starts afresh.
    pub fn from_stored(stored: Option<&str>) -> (History, Option<Issue>) {
        let Some(text) = stored.map(str::trim).filter(|t| *t != "null") else {
            return (History::default(), None);
        };
        let reset = |why: &str| {
            (
                History::default(),
                Some(Issue::new(
                    "history_reset",
                    Some("user.app_metadata.actionguard".to_string()),
                    format!("stored history ignored and rebuilt: {why}"),
                )),
            )
        };
        if !text.starts_with('{') {
            // serde would read an array positionally, as if it were the fields in order.
            return reset("not an object");
        }
        match serde_json::from_str::<History>(text) {
            Ok(h) if h.v == HISTORY_VERSION => (h.bounded(), None),
            Ok(h) => reset(&format!("unsupported version `{}`", h.v)),
            // A repeated key too: a `Value` kept the last one, a struct refuses it.
            Err(_) => reset("not in the expected shape"),
        }
    }

    fn bounded(mut self) -> History {
        for list in [&mut self.cc, &mut self.asn, &mut self.net, &mut self.dev] {
            list.retain(|Item(k, _, _)| k.len() <= MAX_KEY);
            list.truncate(MAX_ITEMS);
        }
        let excess = self.t.len().saturating_sub(MAX_RECENT);
        self.t.drain(..excess);
        self.h.truncate(24);
        // Anyone with the Management API may write there: an oversized pending
        // is dropped whole rather than kept or half-trusted.
        if self.pending.as_ref().is_some_and(|p| p.sid.as_ref().is_some_and(|s| s.len() > MAX_KEY)) {
            self.pending = None;
        }
        if self.last.as_ref().is_some_and(|p| !valid_coords(p.lat, p.lon)) {
            self.last = None;
        }
        self
    }

    pub fn knows(list: &[Item], key: &str) -> bool {
        list.iter().any(|Item(k, _, _)| k == key)
    }

    pub fn hour_count(&self, hour: u8) -> u16 {
        self.h.get(usize::from(hour)).copied().unwrap_or(0)
    }

    /// Logins in the `window_s` seconds before `now`, this one excluded.
    pub fn logins_within(&self, now: i64, window_s: i64) -> usize {
        self.t.iter().filter(|&&t| t <= now && now.saturating_sub(t) <= window_s).count()
    }

    /// Learns an observation.
    pub fn learn(&mut self, o: &Observation) {
        self.n = self.n.saturating_add(1);
        for (list, key) in [(&mut self.cc, &o.cc), (&mut self.asn, &o.asn), (&mut self.net, &o.net), (&mut self.dev, &o.dev)] {
            if let Some(key) = key {
                bump(list, key, o.t);
            }
        }
        if let (Some(lat), Some(lon)) = (o.lat, o.lon) {
            self.last = Some(Place { t: o.t, lat, lon });
        }
        self.t.push(o.t);
        let excess = self.t.len().saturating_sub(MAX_RECENT);
        self.t.drain(..excess);
        if let Some(hour) = o.hour {
            if self.h.len() < 24 {
                self.h.resize(24, 0);
            }
            if let Some(c) = self.h.get_mut(usize::from(hour)) {
                *c = c.saturating_add(1).min(9999);
            }
        }
    }

    /// Learns the pending observation when the MFA it asked for completed:
    /// within minutes after it, in the session that was challenged (`session`,
    /// as [`Observation::sid`] stores it). Another session's MFA proves the user
    /// is around, not that the challenged login was theirs.
    pub fn confirm_pending(&mut self, mfa_at: Option<i64>, session: Option<&str>) -> bool {
        match (&self.pending, mfa_at) {
            (Some(p), Some(at))
                if at >= p.t && at.saturating_sub(p.t) <= CONFIRM_WINDOW_S && p.sid.is_some() && p.sid.as_deref() == session =>
            {
                let p = p.clone();
                self.pending = None;
                self.learn(&p);
                true
            }
            _ => false,
        }
    }
}

fn bump(list: &mut Vec<Item>, key: &str, t: i64) {
    if let Some(item) = list.iter_mut().find(|Item(k, _, _)| k == key) {
        item.1 = item.1.saturating_add(1);
        item.2 = item.2.max(t);
        return;
    }
    if list.len() >= MAX_ITEMS {
        // Forget the entry seen least recently; between equals, the rarer one.
        if let Some(idx) = list.iter().enumerate().min_by_key(|(_, Item(_, n, last))| (*last, *n)).map(|(i, _)| i) {
            list.remove(idx);
        }
    }
    list.push(Item(key.to_string(), 1, t));
}

pub fn valid_coords(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// Rounds a coordinate to 0.1 degree before it is stored.
pub fn coarse(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored times are anyone's to write (Management API): the extremes of an i64
    /// must neither trap (overflow checks are on in release) nor count as recent.
    #[test]
    fn extreme_stored_times_neither_trap_nor_count() {
        let text = r#"{"v":1,"t":[-9223372036854775808,-9223372036854774784,9223372036854775807],"pending":{"t":-9223372036854775808}}"#;
        let (mut h, warning) = History::from_stored(Some(text));
        assert!(warning.is_none());
        assert!(!h.confirm_pending(Some(1_800_000_000), None));
        assert!(!h.confirm_pending(Some(i64::MAX), None));
        assert_eq!(h.logins_within(1_800_000_000, 600), 0);
        assert_eq!(h.logins_within(i64::MAX, 600), 1);
    }
    use serde_json::json;

    fn obs(t: i64, cc: &str, dev: &str) -> Observation {
        Observation {
            t,
            cc: Some(cc.into()),
            dev: Some(dev.into()),
            lat: Some(52.4),
            lon: Some(4.9),
            hour: Some(9),
            ..Observation::default()
        }
    }

    #[test]
    fn garbage_is_reset_not_failed() {
        let repeated = r#"{"v": 1, "v": 1}"#.to_string();
        for garbage in
            [json!("x"), json!({"v": 1, "cc": "NL"}), json!({"v": 99}), json!([1, 2])].map(|g| g.to_string()).into_iter().chain([repeated])
        {
            let (h, warning) = History::from_stored(Some(&garbage));
            assert_eq!(h, History::default());
            assert_eq!(warning.unwrap().code, "history_reset");
        }
        assert_eq!(History::from_stored(None), (History::default(), None));
        assert_eq!(History::from_stored(Some(" null ")), (History::default(), None));
    }

    #[test]
    fn stays_bounded_and_forgets_the_stalest() {
        let mut h = History::default();
        for i in 0..40 {
            h.learn(&obs(i, &format!("C{i}"), "d1"));
        }
        assert_eq!(h.cc.len(), MAX_ITEMS);
        assert!(History::knows(&h.cc, "C39") && !History::knows(&h.cc, "C0"));
        assert_eq!(h.t.len(), MAX_RECENT);
        assert_eq!(h.dev, vec![Item("d1".into(), 40, 39)]);
        assert_eq!(h.n, 40);
        let size = serde_json::to_string(&h).unwrap().len();
        assert!(size < 1200, "history is {size} bytes");
    }

    #[test]
    fn oversized_stored_history_is_cut_to_bounds() {
        let items: Vec<_> = (0..100).map(|i| json!([format!("k{i}"), 1, i])).collect();
        let stored = json!({"v": 1, "cc": items, "t": (0..100).collect::<Vec<_>>(), "dev": [["x".repeat(500), 1, 1]]});
        let (h, warning) = History::from_stored(Some(&stored.to_string()));
        assert!(warning.is_none());
        assert_eq!((h.cc.len(), h.t.len(), h.dev.len()), (MAX_ITEMS, MAX_RECENT, 0));
        assert_eq!(h.t.first(), Some(&88));
    }

    #[test]
    fn pending_is_learned_only_after_a_later_mfa_in_its_own_session() {
        let sid = Some("5f0c2a91");
        let mut h = History { pending: Some(Observation { sid: sid.map(String::from), ..obs(100, "BR", "d9") }), ..History::default() };
        assert!(!h.confirm_pending(None, sid));
        assert!(!h.confirm_pending(Some(99), sid), "an MFA from before the challenge proves nothing");
        assert!(!h.confirm_pending(Some(100 + 86_400), sid), "an MFA a day later proves the user, not the pending login");
        // Security review (issue 16): the user completing MFA in another session (their own
        // laptop) within the window does not vouch for the attacker's challenged login.
        assert!(!h.confirm_pending(Some(130), Some("77aa01be")), "another session's MFA");
        assert!(!h.confirm_pending(Some(130), None), "a login without a session");
        assert!(h.pending.is_some());
        assert!(h.confirm_pending(Some(130), sid));
        assert!(History::knows(&h.cc, "BR") && h.pending.is_none());
        // A pending login stored without its session (before sessions were kept) is never confirmed.
        let mut legacy = History { pending: Some(obs(100, "BR", "d9")), ..History::default() };
        assert!(!legacy.confirm_pending(Some(130), sid) && !legacy.confirm_pending(Some(130), None));
    }

    #[test]
    fn hashes_are_salted_per_user() {
        assert_eq!(short_hash("net", "u1", "203.0.113.0/24"), short_hash("net", "u1", "203.0.113.0/24"));
        assert_ne!(short_hash("net", "u1", "203.0.113.0/24"), short_hash("net", "u2", "203.0.113.0/24"));
        assert_eq!(short_hash("net", "u1", "x").len(), 8);
    }
}
