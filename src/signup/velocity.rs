//! Sign-up counters that live in one `api.cache` value (at most 4 kB in
//! Auth0): a sliding-window estimate per source, in the style of two fixed
//! windows weighted by overlap (the previous window counts for the part of it
//! still inside the sliding window), which has no boundary bursts and needs
//! two numbers per source.
//!
//! Sources are keyed hashes (`i` address, `n` network, `d` domain + 40 bits of
//! HMAC-SHA256 under a [`CounterKey`] made from an Action secret), so the cache,
//! which every Action bound to the trigger reads, never holds an address or a
//! domain, nor a hash anyone without the secret could reverse (an unkeyed hash
//! of an IPv4 address is reversed by trying all 2^32 of them). When the value
//! would outgrow its budget the lightest counters go first, the least
//! recently seen among equals: an attacker's heavy counters survive a spray
//! of one-off sources.
//!
//! The cache is read and written by concurrent executions without a lock, so
//! under concurrency counts can be low by the number of racing writers; a
//! burst still shows, a few attempts later.
//!
//! Format: `v2 <window start, s> <window, s> <key>:<previous>:<current> ...`,
//! most recently seen first. A `v1` value (unkeyed hashes, before 2026-12) is
//! dropped without a warning; anything else is treated as empty, with one.

use crate::mac::hmac_sha256;

/// Leaves room under Auth0's 4096-byte value limit.
pub const MAX_STORED_BYTES: usize = 3800;

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    prev: u32,
    cur: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Counters {
    start: i64,
    window: i64,
    entries: Vec<Entry>,
}

/// The secret the counters' keys are made with, derived from an Action secret
/// and labelled with that secret's name, so one secret never keys two uses.
#[derive(Clone, PartialEq)]
pub struct CounterKey([u8; 32]);

impl std::fmt::Debug for CounterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CounterKey(..)")
    }
}

impl CounterKey {
    pub fn derive(label: &str, secret: &str) -> CounterKey {
        CounterKey(hmac_sha256(secret.as_bytes(), &[b"actionguard/counter-key/v2\0", label.as_bytes()]))
    }

    /// The counter key of a source: its kind letter and 40 bits of its keyed hash.
    pub fn key(&self, kind: char, source: &str) -> String {
        let mut letter = [0u8; 4];
        let digest = hmac_sha256(&self.0, &[kind.encode_utf8(&mut letter).as_bytes(), b"\0", source.as_bytes()]);
        let mut out = String::with_capacity(11);
        out.push(kind);
        crate::hex::push_hex(&mut out, digest.get(..5).unwrap_or_default());
        out
    }
}

impl Counters {
    /// The counters as stored, rolled forward to `now_s`. The flag is true when
    /// a stored value was present but unreadable (and so ignored).
    pub fn load(stored: Option<&str>, now_s: i64, window_s: i64) -> (Counters, bool) {
        let window = window_s.max(1);
        let fresh = Counters { start: now_s - now_s.rem_euclid(window), window, entries: Vec::new() };
        // Nothing stored, or the unkeyed format this one replaces: start over.
        let Some(text) = stored.filter(|t| !t.trim().is_empty() && !t.starts_with("v1 ")) else {
            return (fresh, false);
        };
        match parse(text) {
            // A changed window makes old counts meaningless: start over.
            Some(mut c) if c.window == window => {
                c.roll(now_s);
                (c, false)
            }
            Some(_) => (fresh, false),
            None => (fresh, true),
        }
    }

    fn roll(&mut self, now_s: i64) {
        // A clock behind ours (another instance) is treated as the same window.
        let elapsed = now_s.saturating_sub(self.start).div_euclid(self.window).max(0);
        if elapsed == 0 {
            return;
        }
        for e in &mut self.entries {
            e.prev = if elapsed == 1 { e.cur } else { 0 };
            e.cur = 0;
        }
        self.entries.retain(|e| e.prev > 0);
        self.start = self.start.saturating_add(elapsed.saturating_mul(self.window));
    }

    /// Counts one attempt from `key` at `now_s`; returns the attempts in the
    /// sliding window ending now, this one included.
    pub fn hit(&mut self, key: String, now_s: i64) -> f64 {
        let entry = match self.entries.iter().position(|e| e.key == key) {
            Some(i) => self.entries.remove(i),
            None => Entry { key, prev: 0, cur: 0 },
        };
        let entry = Entry { cur: entry.cur.saturating_add(1), ..entry };
        let estimate = self.estimate(&entry, now_s);
        self.entries.insert(0, entry);
        estimate
    }

    fn estimate(&self, e: &Entry, now_s: i64) -> f64 {
        let into = (now_s.saturating_sub(self.start) as f64 / self.window as f64).clamp(0.0, 1.0);
        f64::from(e.prev) * (1.0 - into) + f64::from(e.cur)
    }

    /// The value to store: bounded to [`MAX_STORED_BYTES`].
    pub fn store(&self) -> String {
        let mut entries = self.entries.clone();
        let header = format!("v2 {} {}", self.start, self.window);
        let entry_len = |e: &Entry| e.key.len() + 4 + digits(e.prev) + digits(e.cur);
        let mut total = header.len() + entries.iter().map(entry_len).sum::<usize>();
        while total > MAX_STORED_BYTES {
            // The lightest counter, the least recently seen among equals (the last).
            let lightest = entries.iter().enumerate().rev().min_by_key(|(_, e)| u64::from(e.prev) + u64::from(e.cur)).map(|(i, _)| i);
            let Some(i) = lightest else { break };
            total -= entry_len(&entries.remove(i));
        }
        let mut out = header;
        for e in &entries {
            out.push_str(&format!(" {}:{}:{}", e.key, e.prev, e.cur));
        }
        out
    }

    /// How long the cache should keep the value: until both windows are past.
    pub fn ttl_ms(&self) -> f64 {
        (self.window * 2 * 1000) as f64
    }
}

fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

fn parse(text: &str) -> Option<Counters> {
    let mut parts = text.split(' ');
    if parts.next()? != "v2" {
        return None;
    }
    let start: i64 = parts.next()?.parse().ok()?;
    let window: i64 = parts.next()?.parse().ok().filter(|w| *w > 0)?;
    let mut entries = Vec::new();
    for item in parts {
        let mut fields = item.split(':');
        let key = fields.next().filter(|k| (2..=16).contains(&k.len()))?;
        let prev = fields.next()?.parse().ok()?;
        let cur = fields.next()?.parse().ok()?;
        if fields.next().is_some() || entries.len() >= 400 {
            return None;
        }
        entries.push(Entry { key: key.to_string(), prev, cur });
    }
    Some(Counters { start, window, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: i64 = 600;

    fn key(kind: char, source: &str) -> String {
        CounterKey::derive("COUNTER_KEY", "test-counter-key-0123456789").key(kind, source)
    }

    #[test]
    fn counts_slide_across_windows() {
        let t0 = 1_800_000_000 - 1_800_000_000 % W;
        let (mut c, bad) = Counters::load(None, t0, W);
        assert!(!bad);
        for i in 1..=4 {
            assert_eq!(c.hit(key('i', "198.51.100.7"), t0 + 10), f64::from(i));
        }
        // Half-way through the next window, the previous one counts half.
        let (mut c, _) = Counters::load(Some(&c.store()), t0 + W + W / 2, W);
        assert_eq!(c.hit(key('i', "198.51.100.7"), t0 + W + W / 2), 4.0 * 0.5 + 1.0);
        // Two windows later, nothing is left.
        let (mut c, _) = Counters::load(Some(&c.store()), t0 + 3 * W, W);
        assert_eq!(c.hit(key('i', "198.51.100.7"), t0 + 3 * W), 1.0);
        assert_eq!(c.entries.len(), 1);
    }

    #[test]
    fn garbage_and_other_windows_start_over() {
        for junk in ["", "v3 1 2", "v2 x 600", "v2 0 600 a:b:c", "v2 0 -5", "{\"json\":1}"] {
            let (c, bad) = Counters::load(Some(junk), 1000, W);
            assert!(c.entries.is_empty(), "{junk:?}");
            assert_eq!(bad, !junk.is_empty(), "{junk:?}");
        }
        let (c, bad) = Counters::load(Some("v2 0 300 iabc:1:2"), 100, W);
        assert!(c.entries.is_empty() && !bad, "a changed window is not garbage");
        // The unkeyed format this one replaced is dropped, quietly.
        let (c, bad) = Counters::load(Some("v1 600 600 ideb614eade:0:5"), 1000, W);
        assert!(c.entries.is_empty() && !bad);
        // A clock behind the stored window start does not go back in time.
        let (mut c, _) = Counters::load(Some("v2 1200 600 iabc:0:3"), 1000, W);
        assert_eq!(c.hit("iabc".to_string(), 1000), 4.0);
    }

    #[test]
    fn the_stored_value_stays_within_the_cache_limit_and_keeps_heavy_counters() {
        let now = 1_800_000_000;
        let (mut c, _) = Counters::load(None, now, W);
        for _ in 0..50 {
            c.hit(key('n', "203.0.113.0/24"), now);
        }
        for i in 0..10_000 {
            c.hit(key('i', &format!("10.0.{}.{}", i / 256, i % 256)), now);
            if i % 100 == 0 {
                c = Counters::load(Some(&c.store()), now, W).0;
            }
        }
        let stored = c.store();
        assert!(stored.len() <= MAX_STORED_BYTES, "{}", stored.len());
        let (mut back, _) = Counters::load(Some(&stored), now, W);
        assert_eq!(back.hit(key('n', "203.0.113.0/24"), now), 51.0, "the heavy counter survived");
        assert_eq!(back.hit(key('i', "10.0.39.15"), now), 2.0, "the most recent one-off survived");
    }

    #[test]
    fn keys_hide_their_source() {
        let k = key('i', "198.51.100.7");
        assert_eq!(k.len(), 11);
        assert!(k.starts_with('i') && !k.contains("198"));
        assert_ne!(k, key('i', "198.51.100.8"));
        assert_ne!(k, key('n', "198.51.100.7"), "the kind is part of what is hashed");
    }

    /// The unkeyed hash before issue 16: `kind` + 40 bits of SHA-256 of a fixed prefix
    /// and the source, which anyone reading the cache could recompute for every IPv4 address.
    fn unkeyed(kind: char, source: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"actionguard/velocity/v1\0");
        h.update(source.as_bytes());
        let mut out = String::from(kind);
        crate::hex::push_hex(&mut out, h.finalize().get(..5).unwrap_or_default());
        out
    }

    /// Security review (issue 16): the counters' keys depend on a per-tenant secret.
    #[test]
    fn the_same_ip_under_two_keys_gives_two_counter_keys_and_never_the_unkeyed_hash() {
        // What the sign-up rules count an IPv4 address as (`network::subscriber`).
        let ip = "198.51.100.7/32";
        let a = CounterKey::derive("COUNTER_KEY", "tenant-a-counter-key-0123456789");
        let b = CounterKey::derive("COUNTER_KEY", "tenant-b-counter-key-0123456789");
        assert_ne!(a.key('i', ip), b.key('i', ip));
        // One secret under two labels (COUNTER_KEY, or derived from the client secret) keys differently.
        assert_ne!(a.key('i', ip), CounterKey::derive("AUTH0_CLIENT_SECRET", "tenant-a-counter-key-0123456789").key('i', ip));
        assert_eq!(unkeyed('i', ip), "ideb614eade", "the unkeyed hash the old counters stored");
        let now = 1_800_000_000;
        let (mut c, _) = Counters::load(None, now, W);
        c.hit(a.key('i', ip), now);
        let stored = c.store();
        assert!(stored.contains(&a.key('i', ip)), "{stored}");
        assert!(!stored.contains(&unkeyed('i', ip)[1..]), "{stored}");
        assert!(!format!("{a:?}").contains(|ch: char| ch.is_ascii_digit()), "the key is never printed");
    }
}
