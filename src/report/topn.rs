//! Counts by key over the two periods, bounded: at most `cap` keys are tracked;
//! an event of a key beyond them is counted in `untracked` (the report says so),
//! never dropped silently. At the end the `n` largest are kept and the rest summed.

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::period::Which;
use crate::detect::{hasher, Hasher};

/// A count in the current period and the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trend {
    pub current: u64,
    pub previous: u64,
}

impl Trend {
    pub fn add(&mut self, which: Which, n: u64) {
        let slot = match which {
            Which::Current => &mut self.current,
            Which::Previous => &mut self.previous,
        };
        *slot = slot.saturating_add(n);
    }

    pub fn plus(self, other: Trend) -> Trend {
        Trend { current: self.current.saturating_add(other.current), previous: self.previous.saturating_add(other.previous) }
    }

    /// The change from the previous period, in whole percent; `None` from zero.
    pub fn change_percent(&self) -> Option<i64> {
        if self.previous == 0 {
            return None;
        }
        let change = (self.current as f64 - self.previous as f64) / self.previous as f64 * 100.0;
        Some(change.round() as i64)
    }
}

/// Two counts of a key: its events (`main`: sign-ups, tokens) and, where a list has
/// them, its failures (`second`: failed sign-ups, failed exchanges).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub main: Trend,
    pub second: Trend,
}

impl Tally {
    fn total(&self) -> Trend {
        self.main.plus(self.second)
    }

    fn plus(self, other: Tally) -> Tally {
        Tally { main: self.main.plus(other.main), second: self.second.plus(other.second) }
    }

    fn add(&mut self, which: Which, second: bool) {
        if second {
            self.second.add(which, 1);
        } else {
            self.main.add(which, 1);
        }
    }
}

#[derive(Debug)]
pub struct Counter<K> {
    map: HashMap<K, Tally, Hasher>,
    cap: usize,
    untracked: Tally,
}

impl<K: Hash + Eq + Ord + Clone> Counter<K> {
    pub fn new(cap: usize) -> Counter<K> {
        Counter { map: HashMap::with_hasher(hasher()), cap: cap.max(1), untracked: Tally::default() }
    }

    /// Counts one event of `key` (in `second` when it is a failure of a two-count list).
    pub fn add(&mut self, which: Which, key: K, second: bool) {
        if let Some(t) = self.map.get_mut(&key) {
            t.add(which, second);
        } else if self.map.len() < self.cap {
            let mut t = Tally::default();
            t.add(which, second);
            self.map.insert(key, t);
        } else {
            self.untracked.add(which, second);
        }
    }

    /// The `n` keys with the most events this period (then the previous, then by
    /// key: deterministic), the sum of the others (untracked events included), and
    /// the untracked events alone.
    pub fn top(self, n: usize) -> (Vec<(K, Tally)>, Tally, Tally) {
        let mut all: Vec<(K, Tally)> = self.map.into_iter().collect();
        all.sort_by(|(ka, a), (kb, b)| {
            let (a, b) = (a.total(), b.total());
            b.current.cmp(&a.current).then(b.previous.cmp(&a.previous)).then_with(|| ka.cmp(kb))
        });
        let rest = all.split_off(n.min(all.len()));
        let others = rest.iter().fold(self.untracked, |acc, (_, t)| acc.plus(*t));
        (all, others, self.untracked)
    }
}

impl Counter<String> {
    /// As [`Counter::add`], copying the key only when it is new.
    pub fn add_str(&mut self, which: Which, key: &str, second: bool) {
        match self.map.get_mut(key) {
            Some(t) => t.add(which, second),
            None => self.add(which, key.to_string(), second),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_are_kept_and_the_rest_counted() {
        let mut c: Counter<&str> = Counter::new(3);
        for (k, w, failed) in [
            ("a", Which::Current, false),
            ("b", Which::Current, false),
            ("b", Which::Current, true),
            ("c", Which::Previous, false),
            ("d", Which::Current, false),
        ] {
            c.add(w, k, failed);
        }
        let (top, others, untracked) = c.top(2);
        let one = Trend { current: 1, previous: 0 };
        assert_eq!(top, vec![("b", Tally { main: one, second: one }), ("a", Tally { main: one, second: Trend::default() })]);
        assert_eq!(others.main, Trend { current: 1, previous: 1 }, "c, and d untracked beyond the cap");
        assert_eq!(untracked.main, one);
    }

    #[test]
    fn change_from_zero_is_none() {
        assert_eq!(Trend { current: 3, previous: 0 }.change_percent(), None);
        assert_eq!(Trend { current: 3, previous: 4 }.change_percent(), Some(-25));
    }
}
