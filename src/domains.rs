//! What kind of mail domain an address is at: disposable, free webmail, or
//! anything else (usually an employer). From vendored public lists (see
//! `scripts/refresh-lists` and the headers of the files in `data/`).

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::email::self_and_parents;

const DISPOSABLE: &str = include_str!("../data/disposable-domains.txt");
const FREE_MAIL: &str = include_str!("../data/free-mail-domains.txt");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainClass {
    Disposable,
    FreeMail,
    Other,
}

impl DomainClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainClass::Disposable => "disposable",
            DomainClass::FreeMail => "free_mail",
            DomainClass::Other => "other",
        }
    }
}

struct Lists {
    disposable: HashSet<&'static str>,
    free_mail: HashSet<&'static str>,
}

fn parse(text: &'static str) -> HashSet<&'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| Lists { disposable: parse(DISPOSABLE), free_mail: parse(FREE_MAIL) })
}

/// Class of a normalized domain. A subdomain of a listed domain has its class:
/// disposable services hand out `anything.their-domain`.
pub fn classify(domain: &str) -> DomainClass {
    let lists = lists();
    if self_and_parents(domain).any(|d| lists.disposable.contains(d)) {
        DomainClass::Disposable
    } else if self_and_parents(domain).any(|d| lists.free_mail.contains(d)) {
        DomainClass::FreeMail
    } else {
        DomainClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_lists_classify() {
        assert_eq!(classify("mailinator.com"), DomainClass::Disposable);
        assert_eq!(classify("inbox.mailinator.com"), DomainClass::Disposable);
        assert_eq!(classify("gmail.com"), DomainClass::FreeMail);
        assert_eq!(classify("hotmail.co.uk"), DomainClass::FreeMail);
        assert_eq!(classify("acme-industries.com"), DomainClass::Other);
        assert_eq!(classify("com"), DomainClass::Other);
        assert!(lists().disposable.len() > 5_000 && lists().free_mail.len() > 2_000);
        assert!(lists().disposable.is_disjoint(&lists().free_mail), "one class per domain");
    }
}
