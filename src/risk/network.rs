//! Where a login comes from, as networks: the /24 (IPv4) or /48 (IPv6) it
//! belongs to, whether its ASN is a hosting operator's, and tenant CIDR lists.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;

const HOSTING_ASNS: &str = include_str!("../../data/hosting-asns.txt");

/// The vendored hosting ASN list, parsed once per instance (every engine,
/// organizations' layered ones included, shares it).
pub fn hosting_asns() -> &'static HashSet<u32> {
    static ASNS: std::sync::OnceLock<HashSet<u32>> = std::sync::OnceLock::new();
    ASNS.get_or_init(|| {
        HOSTING_ASNS.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_whitespace().next()).filter_map(parse_asn).collect()
    })
}

/// `AS64500`, `as64500` or `64500`.
pub fn parse_asn(s: &str) -> Option<u32> {
    let digits = s.trim();
    let digits = digits.strip_prefix("AS").or_else(|| digits.strip_prefix("as")).unwrap_or(digits);
    digits.parse().ok()
}

pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// The network a person's address usually stays within between logins.
pub fn home_prefix(ip: IpAddr) -> Option<IpNet> {
    let len = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, len).ok().map(|n| n.trunc())
}

/// What one subscriber gets: an IPv4 address, or an IPv6 /64.
pub fn subscriber(ip: IpAddr) -> IpNet {
    match ip {
        IpAddr::V4(_) => IpNet::from(ip),
        IpAddr::V6(_) => IpNet::new(ip, 64).map_or_else(|_| IpNet::from(ip), |n| n.trunc()),
    }
}

/// A CIDR (`10.0.0.0/8`) or a single address (as /32 or /128).
pub fn parse_cidr(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>().ok().or_else(|| parse_ip(s).map(IpNet::from))
}

pub fn contains(set: &[IpNet], ip: IpAddr) -> bool {
    set.iter().any(|n| n.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_list_parses() {
        let asns = hosting_asns();
        assert!(asns.len() >= 25);
        assert!(asns.contains(&16509) && asns.contains(&14061));
    }

    #[test]
    fn prefixes_and_cidrs() {
        let v4 = parse_ip("203.0.113.77").unwrap();
        assert_eq!(home_prefix(v4).unwrap().to_string(), "203.0.113.0/24");
        let v6 = parse_ip("2001:db8:abcd:12::1").unwrap();
        assert_eq!(home_prefix(v6).unwrap().to_string(), "2001:db8:abcd::/48");
        assert_eq!(subscriber(v6).to_string(), "2001:db8:abcd:12::/64");
        assert_eq!(subscriber(v4).to_string(), "203.0.113.77/32");
        let set = vec![parse_cidr("10.0.0.0/8").unwrap(), parse_cidr("192.0.2.1").unwrap()];
        assert!(contains(&set, parse_ip("10.2.3.4").unwrap()));
        assert!(contains(&set, parse_ip("192.0.2.1").unwrap()));
        assert!(!contains(&set, parse_ip("192.0.2.2").unwrap()));
        assert_eq!(parse_cidr("10.0.0.0/33"), None);
        assert_eq!(parse_ip("999.1.1.1"), None);
        assert_eq!(parse_asn("AS64500"), Some(64500));
        assert_eq!(parse_asn("ASX"), None);
    }
}
