//! The domain -> organization index: built from Management API records
//! (organizations with their discovery domains and metadata), or loaded from
//! a compact snapshot made from them, for tenants too large to page through
//! at cold start.
//!
//! Domains are stored normalized (lowercase ASCII, IDNA) and exactly as
//! claimed; a lookup walks from the address's domain up to its registrable
//! domain, never beyond (so `acme.com.evil.example` can never reach
//! `acme.com`), and never by prefix or similarity.
//!
//! Snapshot format (text, one record per line, tab-separated, `-` for none):
//!   `actionguard-orgmap 2`
//!   `O <id> <name> <auto_join: 1|0|-> <default roles, comma-separated> <role map: key=role,...> <enabled connections, comma-separated>`
//!   `D <domain> <organization line number, from 0> <v|p|m: verified, pending, metadata> <discovery: 1|0>`
//!
//! Version 1 (written before organizations carried their enabled connections)
//! has no last `O` field and still loads: its organizations enable no
//! connection, so enterprise and social connections count for joins only
//! through `organizations.trusted_connections` until the snapshot is rebuilt.
//! Any other version is refused with an error that says so.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use serde::Deserialize;

use crate::answer::{parse_json, Issue};
use crate::email;

const HEADER: &str = "actionguard-orgmap 2";
/// The header of snapshots written before organizations carried their enabled connections.
const HEADER_V1: &str = "actionguard-orgmap 1";
/// Auth0 connection names are at most 128 characters.
const MAX_CONNECTION_NAME: usize = 128;
/// Organization metadata keys ActionGuard reads (Auth0 keeps metadata as
/// at most 25 string pairs of 255 characters).
pub const META_DOMAINS: &str = "ag_domains";
pub const META_AUTO_JOIN: &str = "ag_auto_join";
pub const META_ROLES: &str = "ag_roles";
pub const META_ROLE_MAP: &str = "ag_role_map";
pub const META_ALLOWED_DOMAINS: &str = "ag_allowed_domains";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainStatus {
    /// Verified by Auth0 (DNS TXT record).
    Verified,
    /// Claimed in Auth0, verification not done.
    Pending,
    /// Written by a tenant admin in organization metadata; never DNS-verified.
    Metadata,
}

impl DomainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Verified => "verified",
            DomainStatus::Pending => "pending",
            DomainStatus::Metadata => "metadata",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainClaim {
    pub org: u32,
    pub status: DomainStatus,
    pub discovery: bool,
}

/// A view of one organization; its strings live in the index's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Org<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// The organization's own say on automatic membership, when it has one.
    pub auto_join: Option<bool>,
    roles: &'a str,
    role_map: &'a str,
    connections: &'a str,
}

impl<'a> Org<'a> {
    /// Whether the connection (by name) is enabled for this organization
    /// (`GET /api/v2/organizations/{id}/enabled_connections`).
    pub fn connection_enabled(&self, name: &str) -> bool {
        !name.is_empty() && self.connections.split(',').any(|c| c == name)
    }

    /// Role ids given on join.
    pub fn default_roles(&self) -> Vec<String> {
        role_list(self.roles)
    }

    /// The role mapped from an attribute value (compared in lowercase).
    pub fn role_for(&self, value: &str) -> Option<String> {
        role_map(self.role_map).into_iter().find(|(k, _)| k == value).map(|(_, r)| r)
    }
}

/// A byte range of the index's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OrgRow {
    id: Span,
    name: Span,
    auto_join: Option<bool>,
    roles: Span,
    role_map: Span,
    connections: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DomainRow {
    domain: Span,
    first_claim: u32,
    claims: u32,
}

/// The index keeps the snapshot text itself and points into it: loading is
/// one pass with no allocation per organization or domain, so that a large
/// tenant's index loads quickly at an instance's first discovery.
#[derive(Clone, Default)]
pub struct OrgIndex {
    text: Box<str>,
    orgs: Vec<OrgRow>,
    domains: Vec<DomainRow>,
    claims: Vec<DomainClaim>,
    by_id: HashTable<u32>,
    by_domain: HashTable<u32>,
    hasher: RandomState,
}

impl std::fmt::Debug for OrgIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OrgIndex({} organizations, {} domains)", self.orgs.len(), self.domains.len())
    }
}

impl PartialEq for OrgIndex {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// An organization as the Management API returns it, plus its discovery
/// domains (`GET /api/v2/organizations/{id}/discovery-domains`) and its enabled
/// connections (`GET /api/v2/organizations/{id}/enabled_connections`): each a
/// connection name, or an entry as Auth0 lists it (`{connection: {name}}`) or
/// `{name}`; anything else is skipped with a warning.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrgRecord {
    pub id: String,
    pub name: String,
    pub metadata: Option<HashMap<String, serde_json::Value>>,
    pub discovery_domains: Vec<DiscoveryDomain>,
    pub enabled_connections: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DiscoveryDomain {
    pub domain: String,
    pub status: String,
    pub use_for_organization_discovery: Option<bool>,
}

impl OrgIndex {
    pub fn len(&self) -> usize {
        self.orgs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }

    pub fn domain_count(&self) -> usize {
        self.domains.len()
    }

    fn str(&self, span: Span) -> &str {
        at(&self.text, span)
    }

    pub fn org(&self, i: u32) -> Option<Org<'_>> {
        let row = self.orgs.get(i as usize)?;
        Some(Org {
            id: self.str(row.id),
            name: self.str(row.name),
            auto_join: row.auto_join,
            roles: self.str(row.roles),
            role_map: self.str(row.role_map),
            connections: self.str(row.connections),
        })
    }

    pub fn org_by_id(&self, id: &str) -> Option<(u32, Org<'_>)> {
        let hash = self.hasher.hash_one(id);
        let i = *self.by_id.find(hash, |&i| self.orgs.get(i as usize).is_some_and(|o| self.str(o.id) == id))?;
        Some((i, self.org(i)?))
    }

    pub fn claims(&self, domain: &str) -> &[DomainClaim] {
        let hash = self.hasher.hash_one(domain);
        let Some(&i) = self.by_domain.find(hash, |&i| self.domains.get(i as usize).is_some_and(|d| self.str(d.domain) == domain)) else {
            return &[];
        };
        let Some(row) = self.domains.get(i as usize) else { return &[] };
        self.claims.get(row.first_claim as usize..(row.first_claim + row.claims) as usize).unwrap_or(&[])
    }

    /// Builds the index from Management API records given as a JSON array.
    /// Records and domains that cannot be used are skipped with a warning
    /// each: one bad organization must not hide all the others.
    pub fn from_records_json(json: &str) -> Result<(OrgIndex, Vec<Issue>), Issue> {
        let records: Vec<OrgRecord> = parse_json(json, "invalid_organizations")?;
        Self::from_records(records)
    }

    pub fn from_records(records: Vec<OrgRecord>) -> Result<(OrgIndex, Vec<Issue>), Issue> {
        let mut warnings = Vec::new();
        let mut orgs: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut claims: Vec<(String, u32, DomainStatus, bool)> = Vec::new();
        for (i, record) in records.into_iter().enumerate() {
            if record.id.is_empty() || record.id.len() > 64 || record.id.contains(['\t', '\n', '\r']) {
                warnings.push(skipped(&format!("{i}.id"), "not an organization id"));
                continue;
            }
            if !seen.insert(record.id.clone()) {
                warnings.push(skipped(&format!("{i}.id"), "a repeated organization id"));
                continue;
            }
            let meta = |key: &str| -> Option<&str> { record.metadata.as_ref()?.get(key)?.as_str() };
            let auto = match meta(META_AUTO_JOIN).and_then(parse_bool) {
                Some(true) => "1",
                Some(false) => "0",
                None => "-",
            };
            let roles = role_list(meta(META_ROLES).unwrap_or("")).join(",");
            let map: Vec<String> = role_map(meta(META_ROLE_MAP).unwrap_or("")).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut connections: Vec<&str> = Vec::new();
            for (j, entry) in record.enabled_connections.iter().enumerate() {
                let name = entry.as_str().or_else(|| entry.pointer("/connection/name")?.as_str()).or_else(|| entry.get("name")?.as_str());
                match name {
                    Some(c) if is_connection_name(c) => {
                        if !connections.contains(&c) {
                            connections.push(c);
                        }
                    }
                    _ => warnings.push(skipped(&format!("{i}.enabled_connections.{j}"), "not a connection name")),
                }
            }
            let n = orgs.len() as u32;
            orgs.push(format!(
                "O\t{}\t{}\t{auto}\t{}\t{}\t{}\n",
                record.id,
                or_dash(&clean_name(&record.name)),
                or_dash(&roles),
                or_dash(&map.join(",")),
                or_dash(&connections.join(","))
            ));
            let mut claim = |domain: &str, status: DomainStatus, discovery: bool, path: String| match email::normalize_domain(domain) {
                Ok(d) => claims.push((d, n, status, discovery)),
                Err(why) => warnings.push(skipped(&path, why.message())),
            };
            for (j, d) in record.discovery_domains.iter().enumerate() {
                let status = if d.status == "verified" { DomainStatus::Verified } else { DomainStatus::Pending };
                claim(&d.domain, status, d.use_for_organization_discovery.unwrap_or(false), format!("{i}.discovery_domains.{j}"));
            }
            for (j, d) in meta(META_DOMAINS).into_iter().flat_map(|s| s.split(',')).map(str::trim).filter(|d| !d.is_empty()).enumerate() {
                claim(d, DomainStatus::Metadata, false, format!("{i}.metadata.{META_DOMAINS}.{j}"));
            }
        }
        // Grouped by domain, one claim per organization and domain (the strongest status).
        claims.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(rank(b.2).cmp(&rank(a.2))));
        claims.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        let mut text = String::with_capacity(HEADER.len() + 1 + orgs.iter().map(String::len).sum::<usize>() + claims.len() * 40);
        text.push_str(HEADER);
        text.push('\n');
        for line in orgs {
            text.push_str(&line);
        }
        for (d, org, status, discovery) in claims {
            text.push_str(&format!("D\t{d}\t{org}\t{}\t{}\n", status_code(status), u8::from(discovery)));
        }
        Ok((Self::from_snapshot_string(text)?, warnings))
    }

    pub fn to_snapshot(&self) -> &str {
        &self.text
    }

    /// Loads a snapshot. Lines are checked as strictly as they are cheap to
    /// check: a snapshot is ours, so anything unexpected fails the load
    /// (with its line number) rather than building a partial index.
    pub fn from_snapshot(text: &str) -> Result<OrgIndex, Issue> {
        Self::from_snapshot_string(text.to_string())
    }

    /// As [`OrgIndex::from_snapshot`], keeping the given text as the index's
    /// storage instead of copying it (megabytes for a large tenant).
    pub fn from_snapshot_string(owned: String) -> Result<OrgIndex, Issue> {
        if owned.len() > u32::MAX as usize / 2 {
            return Err(bad_line(0, "larger than 2 GB"));
        }
        let text = owned.as_str();
        let bytes = text.as_bytes();
        let bad = bad_line;
        // Sized up front from the length (lines are 30 to 60 bytes, so this is a
        // guess): growing tables of 100,000s of entries one rehash at a time costs
        // more than the slack, and counting lines first costs a pass over the text.
        // Plain locals on purpose: the same loop over the fields of a state struct
        // (so it could run in chunks) was slower in WebAssembly (docs/benchmarks.md).
        let slots = text.len() / 40 + 16;
        let hasher = RandomState::default();
        let mut orgs: Vec<OrgRow> = Vec::with_capacity(slots / 2);
        let mut domains: Vec<DomainRow> = Vec::with_capacity(slots);
        let mut claims: Vec<DomainClaim> = Vec::with_capacity(slots);
        let mut by_id: HashTable<u32> = HashTable::with_capacity(slots / 2);
        let mut by_domain: HashTable<u32> = HashTable::with_capacity(slots);
        let mut pos = 0usize;
        let mut lines = 0usize;
        // Fields of an organization line: 6 in version 1, 7 (enabled connections) since.
        let mut org_fields = 7;
        // One pass over the bytes: line ends and field ends together.
        while pos < bytes.len() {
            let start = pos;
            let mut fields = [Span { start: 0, len: 0 }; 7];
            let mut count = 0;
            let mut field_start = start;
            let mut end = bytes.len();
            let mut i = start;
            let n = lines;
            while let Some(&b) = bytes.get(i) {
                if b == b'\n' {
                    end = i;
                    break;
                }
                if b == b'\t' {
                    let Some(slot) = fields.get_mut(count) else {
                        return Err(bad(n, "too many fields"));
                    };
                    *slot = Span { start: field_start as u32, len: (i - field_start) as u32 };
                    count += 1;
                    field_start = i + 1;
                }
                i += 1;
            }
            pos = end + 1;
            lines += 1;
            let line = at(text, Span { start: start as u32, len: (end - start) as u32 });
            if n == 0 {
                match line {
                    HEADER => {}
                    HEADER_V1 => org_fields = 6,
                    _ if line.starts_with("actionguard-orgmap ") => {
                        return Err(bad(0, "a snapshot version this build does not read (it reads 1 and 2): write it with this version's scripts/sync-orgs"));
                    }
                    _ => return Err(bad(0, "not an actionguard-orgmap snapshot")),
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let Some(slot) = fields.get_mut(count) else {
                return Err(bad(n, "too many fields"));
            };
            *slot = Span { start: field_start as u32, len: (end - field_start) as u32 };
            count += 1;
            let f = |i: usize| fields.get(i).map_or("", |s| at(text, *s));
            match (f(0), count) {
                ("O", c) if c == org_fields => {
                    let id = f(1);
                    if id.is_empty() || id == "-" {
                        return Err(bad(n, "an organization needs an id"));
                    }
                    let auto_join = match f(3) {
                        "1" => Some(true),
                        "0" => Some(false),
                        "-" => None,
                        _ => return Err(bad(n, "auto_join is 1, 0 or -")),
                    };
                    let dash = |s: Span| if at(text, s) == "-" { Span { start: s.start, len: 0 } } else { s };
                    let hash = hasher.hash_one(id);
                    if by_id.find(hash, |&j| orgs.get(j as usize).is_some_and(|o| at(text, o.id) == id)).is_some() {
                        return Err(bad(n, "a repeated organization id"));
                    }
                    let i = orgs.len() as u32;
                    by_id.insert_unique(hash, i, |&j| hasher.hash_one(orgs.get(j as usize).map_or("", |o| at(text, o.id))));
                    orgs.push(OrgRow {
                        id: fields[1],
                        name: dash(fields[2]),
                        auto_join,
                        roles: dash(fields[4]),
                        role_map: dash(fields[5]),
                        // Version 1 has none: an empty span.
                        connections: fields.get(6).map_or(Span { start: 0, len: 0 }, |s| dash(*s)),
                    });
                }
                ("D", 5) => {
                    let domain = f(1);
                    // Written normalized by from_records: anything else was not.
                    if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
                    {
                        return Err(bad(n, "the domain is not in normalized form"));
                    }
                    let org: u32 = f(2).parse().map_err(|_| bad(n, "the organization is a line number"))?;
                    if org as usize >= orgs.len() {
                        return Err(bad(n, "the domain names an organization not listed before it"));
                    }
                    let status = match f(3) {
                        "v" => DomainStatus::Verified,
                        "p" => DomainStatus::Pending,
                        "m" => DomainStatus::Metadata,
                        _ => return Err(bad(n, "the status is v, p or m")),
                    };
                    let discovery = match f(4) {
                        "1" => true,
                        "0" => false,
                        _ => return Err(bad(n, "discovery is 1 or 0")),
                    };
                    match domains.last_mut() {
                        Some(last) if at(text, last.domain) == domain => last.claims += 1,
                        _ => {
                            let hash = hasher.hash_one(domain);
                            if by_domain.find(hash, |&j| domains.get(j as usize).is_some_and(|d| at(text, d.domain) == domain)).is_some() {
                                return Err(bad(n, "a domain's lines are not together"));
                            }
                            let i = domains.len() as u32;
                            by_domain
                                .insert_unique(hash, i, |&j| hasher.hash_one(domains.get(j as usize).map_or("", |d| at(text, d.domain))));
                            domains.push(DomainRow { domain: fields[1], first_claim: claims.len() as u32, claims: 1 });
                        }
                    }
                    claims.push(DomainClaim { org, status, discovery });
                }
                ("O", _) if org_fields == 6 => return Err(bad(n, "an organization line has 6 fields in version 1")),
                ("O", _) => return Err(bad(n, "an organization line has 7 fields")),
                ("D", _) => return Err(bad(n, "a domain line has 5 fields")),
                _ => return Err(bad(n, "a line starts with O or D")),
            }
        }
        if lines == 0 {
            return Err(bad(0, "not an actionguard-orgmap snapshot"));
        }
        // No shrink_to_fit: it would copy, and WebAssembly memory keeps its high-water mark.
        Ok(OrgIndex { text: owned.into_boxed_str(), orgs, domains, claims, by_id, by_domain, hasher })
    }
}

fn bad_line(line: usize, why: &str) -> Issue {
    Issue::new("invalid_snapshot", Some(format!("line {}", line + 1)), format!("snapshot line {}: {why}", line + 1))
}

fn at(text: &str, span: Span) -> &str {
    text.get(span.start as usize..(span.start as usize).saturating_add(span.len as usize)).unwrap_or("")
}

fn status_code(s: DomainStatus) -> &'static str {
    match s {
        DomainStatus::Verified => "v",
        DomainStatus::Pending => "p",
        DomainStatus::Metadata => "m",
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn rank(s: DomainStatus) -> u8 {
    match s {
        DomainStatus::Verified => 2,
        DomainStatus::Pending => 1,
        DomainStatus::Metadata => 0,
    }
}

fn skipped(path: &str, why: &str) -> Issue {
    Issue::new("skipped_record", Some(path.to_string()), format!("`{path}` skipped: {why}"))
}

/// Organization names are `[a-z0-9_-]{1,50}` in Auth0; anything else is not
/// one (and must not reach a log or a snapshot line).
fn clean_name(name: &str) -> String {
    if !name.is_empty() && name.len() <= 50 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        name.to_string()
    } else {
        String::new()
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Auth0 connection names: letters, digits and `-` (`_` and `.` tolerated), at most 128.
fn is_connection_name(s: &str) -> bool {
    (1..=MAX_CONNECTION_NAME).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

pub(crate) fn is_role_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `rol_a,rol_b`: role ids, anything else dropped.
fn role_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|r| is_role_id(r)).map(str::to_string).collect()
}

/// `engineering=rol_a,sales=rol_b`: attribute value (case-insensitive) to role id.
/// Also read by bulk membership (`governance::roster`), which maps departments the same way.
pub(crate) fn role_map(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim()))
        .filter(|(k, v)| !k.is_empty() && k.len() <= 64 && !k.contains(['\t', '\n', ',', '=']) && is_role_id(v))
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDS: &str = r#"[
      {"id":"org_acme","name":"acme","metadata":{"ag_roles":"rol_member","ag_role_map":"Engineering=rol_eng, sales = rol_sales, bad=no spaces allowed"},
       "enabled_connections":["acme-okta",{"connection_id":"con_1","connection":{"name":"google-oauth2","strategy":"google-oauth2"}},"acme-okta","bad,name",{"name":"acme-saml"},7],
       "discovery_domains":[{"domain":"ACME.com.","status":"verified","use_for_organization_discovery":true},
                            {"domain":"acme.co.uk","status":"pending","use_for_organization_discovery":true}]},
      {"id":"org_bücher","name":"Bücher GmbH","metadata":{"ag_domains":"bücher.example, not a domain","ag_auto_join":"false"}},
      {"id":"","name":"nameless"},
      {"id":"org_twin","name":"twin","discovery_domains":[{"domain":"acme.com","status":"verified","use_for_organization_discovery":false}]}
    ]"#;

    #[test]
    fn records_build_a_normalized_index_and_bad_parts_are_skipped_with_warnings() {
        let (index, warnings) = OrgIndex::from_records_json(RECORDS).unwrap();
        assert_eq!(index.len(), 3);
        assert_eq!(index.claims("acme.com").len(), 2);
        assert_eq!(index.claims("acme.com")[0], DomainClaim { org: 0, status: DomainStatus::Verified, discovery: true });
        assert_eq!(index.claims("xn--bcher-kva.example")[0].status, DomainStatus::Metadata);
        let acme = index.org(0).unwrap();
        assert_eq!(acme.default_roles(), ["rol_member"]);
        assert_eq!(
            (acme.role_for("engineering").as_deref(), acme.role_for("sales").as_deref(), acme.role_for("bad")),
            (Some("rol_eng"), Some("rol_sales"), None)
        );
        assert!(acme.connection_enabled("acme-okta") && acme.connection_enabled("google-oauth2") && acme.connection_enabled("acme-saml"));
        assert!(!acme.connection_enabled("acme") && !acme.connection_enabled("") && !acme.connection_enabled("bad,name"));
        let b = index.org(1).unwrap();
        assert_eq!((b.name, b.auto_join), ("", Some(false)), "an invalid name is dropped");
        assert!(!b.connection_enabled("acme-okta"), "enabled connections are per organization");
        assert_eq!(index.org_by_id("org_twin").map(|(i, o)| (i, o.name)), Some((2, "twin")));
        let paths: Vec<_> = warnings.iter().filter_map(|w| w.path.as_deref()).collect();
        assert_eq!(paths, ["0.enabled_connections.3", "0.enabled_connections.5", "1.metadata.ag_domains.1", "2.id"]);
    }

    #[test]
    fn large_snapshots_load_whole() {
        let records: Vec<OrgRecord> = (0..5000)
            .map(|i| OrgRecord {
                id: format!("org_{i:08}"),
                name: format!("company-{i}"),
                metadata: None,
                discovery_domains: vec![DiscoveryDomain {
                    domain: format!("company-{i}.example"),
                    status: "verified".into(),
                    use_for_organization_discovery: Some(true),
                }],
                enabled_connections: vec![serde_json::Value::String(format!("company-{i}-sso"))],
            })
            .collect();
        let (index, warnings) = OrgIndex::from_records(records).unwrap();
        assert!(warnings.is_empty() && index.to_snapshot().len() > 200_000);
        assert_eq!((index.len(), index.domain_count()), (5000, 5000));
        for i in [0, 1234, 2730, 4999] {
            let claims = index.claims(&format!("company-{i}.example"));
            assert_eq!(claims.len(), 1);
            assert_eq!(index.org(claims[0].org).unwrap().id, format!("org_{i:08}"));
            assert!(index.org(claims[0].org).unwrap().connection_enabled(&format!("company-{i}-sso")));
        }
    }

    #[test]
    fn snapshots_round_trip_and_reject_what_is_not_ours() {
        let (index, _) = OrgIndex::from_records_json(RECORDS).unwrap();
        let snap = index.to_snapshot();
        assert!(snap.starts_with(
            "actionguard-orgmap 2\nO\torg_acme\tacme\t-\trol_member\tengineering=rol_eng,sales=rol_sales\tacme-okta,google-oauth2,acme-saml\n"
        ));
        let back = OrgIndex::from_snapshot(snap).unwrap();
        assert_eq!(back, index);
        assert_eq!(back.claims("acme.com"), index.claims("acme.com"));
        assert!(back.org(0).unwrap().connection_enabled("google-oauth2") && !back.org(1).unwrap().connection_enabled("google-oauth2"));
        for (text, line) in [
            ("", "line 1"),
            ("actionguard-orgmap 3\n", "line 1"),
            ("actionguard-orgmap 2\nO\torg_x\tx\t-\t-\t-\n", "line 2"),
            ("actionguard-orgmap 1\nO\torg_x\tx\t-\t-\t-\tcorp-sso\n", "line 2"),
            ("actionguard-orgmap 1\nD\tacme.com\t0\tv\t1\n", "line 2"),
            ("actionguard-orgmap 1\nO\torg_x\tx\t-\t-\t-\nD\tACME.com\t0\tv\t1\n", "line 3"),
            ("actionguard-orgmap 1\nO\torg_x\tx\t-\t-\n", "line 2"),
            ("actionguard-orgmap 1\nX\n", "line 2"),
            ("actionguard-orgmap 1\nO\torg_x\tx\t-\t-\t-\nO\torg_x\ty\t-\t-\t-\n", "line 3"),
            ("actionguard-orgmap 1\nO\torg_x\tx\t-\t-\t-\nD\ta.com\t0\tv\t1\nD\tb.com\t0\tv\t1\nD\ta.com\t0\tp\t1\n", "line 5"),
            ("actionguard-orgmap 1\nO\torg_x\tx\t-\t-\t-\t\t\n", "line 2"),
        ] {
            assert_eq!(OrgIndex::from_snapshot(text).unwrap_err().path.as_deref(), Some(line), "{text:?}");
        }
        let newer = OrgIndex::from_snapshot("actionguard-orgmap 3\n").unwrap_err();
        assert!(newer.message.contains("reads 1 and 2") && newer.message.contains("scripts/sync-orgs"), "{}", newer.message);
    }

    #[test]
    fn version_1_snapshots_still_load_and_enable_no_connection() {
        let v1 = "actionguard-orgmap 1\nO\torg_acme\tacme\t-\trol_member\t-\nD\tacme.com\t0\tv\t1\n";
        let index = OrgIndex::from_snapshot(v1).unwrap();
        let acme = index.org(0).unwrap();
        assert_eq!((acme.id, acme.default_roles()), ("org_acme", vec!["rol_member".to_string()]));
        assert_eq!(index.claims("acme.com").len(), 1);
        assert!(!acme.connection_enabled("acme-okta") && !acme.connection_enabled("-"));
    }
}
