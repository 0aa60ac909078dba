//! Counts per organization (the logs' `organization_id`): `active_users`,
//! distinct `user_id`s with a successful login (`s`) to it; `mfa_users`, those
//! of them with at least one such login whose prompts performed `mfa`;
//! `logins` (`s`), `failed_logins` (`f`, `fp`, `fu`), `silent_auth_failures`
//! (`fsa`, apart: a missing session is not a failed login), `signups` (`ss`),
//! `failed_signups` (`fs`), `m2m_tokens` (`seccft`) and `m2m_failures` (`feccft`).
//! Users are counted by a 64-bit hash of their id.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{hash_of, hasher, is_failed_login, Hasher, Shared};
use crate::logs::LogEvent;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct OrganizationSummary {
    pub id: String,
    pub active_users: u64,
    pub mfa_users: u64,
    pub logins: u64,
    pub failed_logins: u64,
    pub silent_auth_failures: u64,
    pub signups: u64,
    pub failed_signups: u64,
    pub m2m_tokens: u64,
    pub m2m_failures: u64,
}

#[derive(Debug)]
struct Org {
    counts: OrganizationSummary,
    /// Active user -> performed MFA in some login.
    users: HashMap<u64, bool, Hasher>,
}

#[derive(Debug)]
pub struct Summary {
    orgs: HashMap<String, Org, Hasher>,
    max: usize,
    users: usize,
}

/// Distinct users counted over all organizations at most (16 bytes or so each).
const MAX_USERS: usize = 4_000_000;

impl Summary {
    pub(crate) fn new(max: usize) -> Summary {
        Summary { orgs: HashMap::with_hasher(hasher()), max: max.max(1), users: 0 }
    }

    pub(crate) fn observe(&mut self, e: &LogEvent, shared: &mut Shared) {
        let Some(id) = e.organization_id.as_deref() else { return };
        let t = e.event_type.as_str();
        if !self.orgs.contains_key(id) {
            if self.orgs.len() >= self.max {
                shared.overflow = shared.overflow.saturating_add(1);
                return;
            }
            let counts = OrganizationSummary { id: id.to_string(), ..OrganizationSummary::default() };
            self.orgs.insert(id.to_string(), Org { counts, users: HashMap::with_hasher(hasher()) });
        }
        let Some(org) = self.orgs.get_mut(id) else { return };
        let c = &mut org.counts;
        let bump = |n: &mut u64| *n = n.saturating_add(1);
        match t {
            "s" => {
                bump(&mut c.logins);
                if let Some(user) = e.user_id.as_deref() {
                    let h = hash_of(user);
                    match org.users.get_mut(&h) {
                        Some(mfa) => *mfa |= e.mfa,
                        None if self.users < MAX_USERS => {
                            org.users.insert(h, e.mfa);
                            self.users = self.users.saturating_add(1);
                        }
                        None => shared.overflow = shared.overflow.saturating_add(1),
                    }
                }
            }
            "fsa" => bump(&mut c.silent_auth_failures),
            "ss" => bump(&mut c.signups),
            "fs" => bump(&mut c.failed_signups),
            "seccft" => bump(&mut c.m2m_tokens),
            "feccft" => bump(&mut c.m2m_failures),
            t if is_failed_login(t) => bump(&mut c.failed_logins),
            _ => {}
        }
    }

    pub(crate) fn into_sorted(self) -> Vec<OrganizationSummary> {
        let sorted: BTreeMap<String, Org> = self.orgs.into_iter().collect();
        sorted
            .into_values()
            .map(|o| OrganizationSummary {
                active_users: o.users.len() as u64,
                mfa_users: o.users.values().filter(|m| **m).count() as u64,
                ..o.counts
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn active_and_mfa_users_count_distinct_successful_logins() {
        let mk = |n: usize, t: &str, user: Option<&str>, org: &str, mfa: bool| {
            let mut e = ev(&format!("e{n}"), t, n as i64);
            e.user_id = user.map(Into::into);
            e.organization_id = Some(org.into());
            e.mfa = mfa;
            e
        };
        let out = analyze(&[
            mk(1, "s", Some("a"), "org_1", false),
            mk(2, "s", Some("a"), "org_1", true),
            mk(3, "s", Some("b"), "org_1", false),
            mk(4, "fp", Some("c"), "org_1", false),
            mk(5, "ssa", Some("d"), "org_1", true),
            mk(6, "s", Some("a"), "org_0", false),
            mk(7, "fsa", None, "org_0", false),
            mk(8, "ss", Some("e"), "org_0", false),
            mk(9, "seccft", None, "org_0", false),
        ]);
        let got: Vec<_> =
            out.organizations.iter().map(|o| (o.id.as_str(), o.active_users, o.mfa_users, o.logins, o.failed_logins)).collect();
        assert_eq!(got, vec![("org_0", 1, 0, 1, 0), ("org_1", 2, 1, 3, 1)]);
        assert_eq!((out.organizations[0].silent_auth_failures, out.organizations[0].signups, out.organizations[0].m2m_tokens), (1, 1, 1));
    }
}
