//! Bulk membership (`actionguard members import <employees.csv> --org <id>`):
//! a customer's employee list read row by row, each bad row reported with its
//! line number and never imported, the departments mapped to roles
//! ([`departments`]), and one approval request holding the whole plan. Nothing
//! is written before a person approved it; the executor then invites or adds
//! exactly the rows of the stored proposal ([`check_proposal`]).
//!
//! What a row must be to be imported:
//! - well-formed CSV with the header's number of fields ([`table`]);
//! - an address a mail server accepts ([`crate::email::parse`]), not on an
//!   earlier line (compared with its local part lowercased and its domain
//!   normalized: the later lines are reported, pointing at the first);
//! - at one of the organization's *verified* discovery domains, exactly. A
//!   pending domain does not count (the row is reported `import_domain_pending`:
//!   verify the domain, then import again): until its DNS record is checked,
//!   nothing proves the organization owns the domain, and an import must not
//!   make anyone at a domain a member on a customer's say-so. A subdomain needs
//!   its own verified domain, as in discovery.
//!
//! Each imported row is invited, unless one user has the address and verified it
//! through a connection the organization trusts (then, the domain verified too,
//! the policy trusts the address and adds the user), or the address is already a
//! member or invited (skipped). A user's verified address is trusted only when its
//! primary identity (the first: the root profile's address and its verification
//! are that identity's) is of a database connection (provider `auth0`: Auth0
//! verified the mailbox) or of a connection the organization enabled. Users-by-email
//! lists the users of every connection: another customer's SAML or OIDC IdP can
//! assert any address as verified, and such a user is invited (accepting proves the
//! mailbox), never added.

pub mod departments;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use self::departments::{LlmInput, Mapping, Role, Source};
use self::table::Record;
use crate::governance::{self, is_id, plain, Reason, Request, KIND_IMPORT_MEMBERS};
use crate::policy::Policy;
use crate::signals::{self, PolicyReason};
use crate::{Answer, Issue};

/// The most rows one list (and so one request) holds: a larger list is split.
pub const MAX_ROWS: usize = 5000;
/// The longest name or department kept.
const MAX_FIELD_CHARS: usize = 256;
/// The most existing members, invitations and users the host may pass.
const MAX_LISTED: usize = 200_000;
/// The most of a rejected row's address shown back.
const MAX_SHOWN: usize = 100;
/// The job name of the requests.
pub const JOB: &str = "members_import";

/// What the host gathered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The tenant policy's text (absent: the defaults).
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    pub organization: Organization,
    /// The list, as read from the file.
    pub csv: String,
    /// The tenant's roles (`GET /api/v2/roles`).
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub existing: Existing,
    /// The users found by email (`GET /api/v2/users-by-email`) for the list's addresses.
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub llm: Option<LlmInput>,
    /// The host's clock (the LLM budgets).
    #[serde(default)]
    pub now_ms: f64,
}

/// The organization, as the Management API returns it (other fields ignored),
/// with its discovery domains.
#[derive(Debug, Deserialize)]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub domains: Vec<Domain>,
    /// The organization's enabled connections (`GET /api/v2/organizations/{id}/enabled_connections`):
    /// each a connection name, or an entry as Auth0 lists it (`{connection: {name}}`) or `{name}`.
    #[serde(default)]
    pub enabled_connections: Vec<Value>,
}

impl Organization {
    /// The enabled connections' names (entries without one are ignored: they enable nothing).
    fn connections(&self) -> BTreeSet<&str> {
        self.enabled_connections
            .iter()
            .filter_map(|e| e.as_str().or_else(|| e.pointer("/connection/name")?.as_str()).or_else(|| e.get("name")?.as_str()))
            .filter(|n| !n.is_empty())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct Domain {
    pub domain: String,
    /// `verified` or `pending`.
    #[serde(default)]
    pub status: String,
}

/// Addresses already invited to the organization, and its members' addresses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Existing {
    pub invited: Vec<String>,
    pub members: Vec<String>,
}

/// A user the host found by one of the list's addresses.
#[derive(Debug, Deserialize)]
pub struct User {
    pub email: String,
    pub user_id: String,
    #[serde(default)]
    pub email_verified: bool,
    /// The user's identities, primary first (`identities[].provider` and `.connection`).
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// One identity of a user (other fields ignored).
#[derive(Debug, Deserialize)]
pub struct Identity {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub connection: String,
}

/// The provider of Auth0's database connections: a verified address there is a
/// mailbox Auth0 verified itself.
const DATABASE_PROVIDER: &str = "auth0";

impl User {
    /// Whether the organization may trust this user's verified address: its primary
    /// identity is a database one, or of a connection the organization enabled.
    fn trusted_by(&self, enabled: &BTreeSet<&str>) -> bool {
        self.email_verified
            && self.identities.first().is_some_and(|i| i.provider == DATABASE_PROVIDER || enabled.contains(i.connection.as_str()))
    }
}

/// One row of the plan (and of a proposal, invite and add rows only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The row's first line in the file (1-based; the header is line 1).
    pub line: u64,
    /// `local@domain`, the domain normalized (lowercase ASCII).
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The department's [`Mapping::key`]: where its roles come from and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_key: Option<String>,
    /// Role ids to give (`[]`: membership only).
    pub roles: Vec<String>,
    /// `invite`, `add` or `skip_existing`.
    pub action: String,
    /// The user added (`add` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Why this action.
    pub reason: Reason,
}

/// A row not imported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub line: u64,
    pub code: &'static str,
    pub message: String,
    /// A duplicate's first line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_line: Option<u64>,
    /// The address as written (control characters removed, at most 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The stored proposal of an `import_members` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub organization_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// The writes: invite and add rows, in file order.
    pub rows: Vec<Row>,
    /// Every department of the list's valid rows and its roles, with the source.
    pub mapping: Vec<Mapping>,
    /// Valid rows already members or invited (not in `rows`).
    pub skipped_existing: u32,
    /// Rows reported and not imported.
    pub rejected: u32,
    /// 32 hex digits over `rows` and the mapping (see [`digest`]): with the
    /// organization, the request's dedupe key.
    pub digest: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Records after the header.
    pub rows: u32,
    pub invite: u32,
    pub add: u32,
    pub skip_existing: u32,
    pub rejected: u32,
    pub departments: u32,
    pub unmapped_departments: u32,
    /// False while LLM escalations are outstanding (no request yet).
    pub complete: bool,
}

/// The answer: what an import would do, and the request to approve it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub organization_id: String,
    pub summary: Summary,
    pub mapping: Vec<Mapping>,
    /// Every valid row, skipped ones included.
    pub rows: Vec<Row>,
    pub rejected: Vec<Rejected>,
    pub llm: departments::Llm,
    /// Absent when there is nothing to write, or the plan waits on the LLM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

fn invalid(path: &str, message: impl Into<String>) -> Issue {
    Issue::new("invalid_members_import", Some(path.to_string()), message.into())
}

fn reason(r: &PolicyReason) -> Reason {
    Reason::new(r.code, r.message)
}

fn reject(line: u64, r: &PolicyReason, detail: Option<String>, email: Option<&str>) -> Rejected {
    Rejected {
        line,
        code: r.code,
        message: match detail {
            Some(d) => format!("{} ({d})", r.message),
            None => r.message.to_string(),
        },
        first_line: None,
        email: email.map(|e| e.chars().filter(|c| !c.is_control()).take(MAX_SHOWN).collect()),
    }
}

/// The key two spellings of one address share: the local part lowercased, the
/// domain normalized.
fn address_key(e: &crate::email::Email) -> String {
    format!("{}@{}", e.local.to_lowercase(), e.domain)
}

fn key_of(text: &str) -> Option<String> {
    crate::email::parse(text).ok().map(|e| address_key(&e))
}

/// Control characters, and the bidirectional overrides and isolates that make a
/// name display as another (`\u{202e}`): never in a name or department.
fn hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The longest start of `s` of at most `max` bytes that ends at a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    s.get(..end).unwrap_or_default()
}

fn text_ok(t: &str) -> bool {
    t.chars().count() <= MAX_FIELD_CHARS && !t.chars().any(hostile)
}

/// A name or department: trimmed, at most 256 characters, nothing [`hostile`].
fn text_field(s: &str) -> Result<Option<String>, ()> {
    let t = s.trim();
    if !text_ok(t) {
        return Err(());
    }
    Ok((!t.is_empty()).then(|| t.to_string()))
}

/// 32 hex digits of SHA-256 over the rows and the mapping's decisions (department
/// key, roles, source): one request for one list, however often it is proposed.
pub fn digest(rows: &[Row], mapping: &[Mapping]) -> String {
    let decisions: Vec<(&str, &[String], Source)> = mapping.iter().map(|m| (m.key.as_str(), m.roles.as_slice(), m.source)).collect();
    let mut h = Sha256::new();
    for part in [serde_json::to_string(rows).unwrap_or_default(), serde_json::to_string(&decisions).unwrap_or_default()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut out = String::with_capacity(32);
    let full = h.finalize();
    crate::hex::push_hex(&mut out, full.get(..16).unwrap_or_default());
    out
}

/// Plans an import from JSON.
pub fn plan_json(input: &str) -> Answer<Plan> {
    match crate::answer::parse_json::<Input>(input, "invalid_members_import") {
        Ok(i) => plan(i),
        Err(issue) => Answer::failure(issue),
    }
}

/// Plans an import: every row checked, the departments mapped, and the request.
pub fn plan(input: Input) -> Answer<Plan> {
    let policy = match input.policy.as_deref() {
        None => Policy::default(),
        Some(text) => match crate::policy::parse_policy(text) {
            Ok(p) => p,
            Err(errors) => return Answer::Failure { errors },
        },
    };
    let org = &input.organization;
    if !is_id(&org.id) {
        return Answer::failure(invalid("organization.id", "not an organization id"));
    }
    if input.tenant.as_deref().is_some_and(|t| !plain(t)) {
        return Answer::failure(invalid("tenant", "at most 256 bytes, no control characters"));
    }
    if input.existing.invited.len() + input.existing.members.len() > MAX_LISTED
        || input.users.len() > MAX_LISTED
        || input.roles.len() > MAX_LISTED
    {
        return Answer::failure(invalid("existing", format!("at most {MAX_LISTED} members, invitations, users or roles")));
    }
    if !input.now_ms.is_finite() || input.now_ms < 0.0 {
        return Answer::failure(invalid("now_ms", "a number of milliseconds >= 0"));
    }
    let table = match table::read(&input.csv, &policy.organizations.role_attribute, MAX_ROWS) {
        Ok(t) => t,
        Err(issue) => return Answer::failure(issue),
    };
    let mut warnings = Vec::new();

    let mut verified = BTreeSet::new();
    let mut pending = BTreeSet::new();
    for d in &org.domains {
        let Ok(domain) = crate::email::normalize_domain(&d.domain) else { continue };
        if d.status.eq_ignore_ascii_case("verified") {
            verified.insert(domain);
        } else {
            pending.insert(domain);
        }
    }
    if verified.is_empty() {
        warnings.push(Issue::new(
            "no_verified_domain",
            Some("organization.domains".into()),
            "the organization has no verified discovery domain: no address can be imported",
        ));
    }
    let members: BTreeSet<String> = input.existing.members.iter().filter_map(|e| key_of(e)).collect();
    let invited: BTreeSet<String> = input.existing.invited.iter().filter_map(|e| key_of(e)).collect();
    let enabled = org.connections();
    let mut users: BTreeMap<String, Vec<&User>> = BTreeMap::new();
    for u in input.users.iter().filter(|u| is_id(&u.user_id)) {
        if let Some(k) = key_of(&u.email) {
            users.entry(k).or_default().push(u);
        }
    }

    let c = table.columns;
    let mut first_line: BTreeMap<String, u64> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut rows: Vec<(Row, Option<String>)> = Vec::new();
    let mut seen = departments::Seen::default();
    for record in &table.records {
        let (line, fields) = match record {
            Record::Malformed { line, detail } => {
                rejected.push(reject(*line, &signals::IMPORT_ROW_MALFORMED, Some(detail.clone()), None));
                continue;
            }
            Record::Fields { line, fields } => (*line, fields),
        };
        let field = |i: usize| fields.get(i).map_or("", String::as_str);
        let raw_email = field(c.email).trim();
        if raw_email.is_empty() {
            rejected.push(reject(line, &signals::IMPORT_EMAIL_MISSING, None, None));
            continue;
        }
        let email = match crate::email::parse(raw_email) {
            Ok(e) => e,
            Err(e) => {
                rejected.push(reject(line, &signals::IMPORT_EMAIL_INVALID, Some(e.message().to_string()), Some(raw_email)));
                continue;
            }
        };
        let key = address_key(&email);
        if let Some(first) = first_line.get(&key) {
            let mut r = reject(line, &signals::IMPORT_EMAIL_DUPLICATE, Some(format!("first on line {first}")), Some(raw_email));
            r.first_line = Some(*first);
            rejected.push(r);
            continue;
        }
        first_line.insert(key.clone(), line);
        if !verified.contains(&email.domain) {
            let r = if pending.contains(&email.domain) { &signals::IMPORT_DOMAIN_PENDING } else { &signals::IMPORT_DOMAIN_OUTSIDE };
            rejected.push(reject(line, r, Some(email.domain.clone()), Some(raw_email)));
            continue;
        }
        let name = c.name.map(field).map(text_field).unwrap_or(Ok(None));
        let department = text_field(field(c.department));
        let (Ok(name), Ok(department)) = (name, department) else {
            rejected.push(reject(line, &signals::IMPORT_FIELD_INVALID, None, Some(raw_email)));
            continue;
        };
        let department_key = department.as_deref().map(|d| seen.add(d));
        let (action, user_id, why) = if members.contains(&key) {
            ("skip_existing", None, &signals::IMPORT_ALREADY_MEMBER)
        } else if invited.contains(&key) {
            ("skip_existing", None, &signals::IMPORT_ALREADY_INVITED)
        } else {
            match users.get(&key).map(Vec::as_slice) {
                None | Some([]) => ("invite", None, &signals::IMPORT_INVITE),
                Some([user]) if user.trusted_by(&enabled) => ("add", Some(user.user_id.clone()), &signals::IMPORT_ADD_VERIFIED_USER),
                Some([user]) if user.email_verified => ("invite", None, &signals::IMPORT_INVITE_UNTRUSTED_CONNECTION),
                Some([_]) => ("invite", None, &signals::IMPORT_INVITE_UNVERIFIED),
                Some(_) => ("invite", None, &signals::IMPORT_INVITE_SEVERAL_USERS),
            }
        };
        let row = Row {
            line,
            email: format!("{}@{}", email.local, email.domain),
            name,
            department,
            department_key: department_key.clone(),
            roles: Vec::new(),
            action: action.to_string(),
            user_id,
            reason: reason(why),
        };
        rows.push((row, department_key));
    }

    let role_map = org.metadata.as_ref().and_then(|m| m.get(crate::orgmap::index::META_ROLE_MAP)).and_then(Value::as_str).unwrap_or("");
    let (mapping, llm) = departments::map(&seen, role_map, &input.roles, &policy, input.llm.as_ref(), input.now_ms, &mut warnings);
    let by_key: BTreeMap<&str, &Mapping> = mapping.iter().map(|m| (m.key.as_str(), m)).collect();
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|(mut row, key)| {
            if let Some(m) = key.as_deref().and_then(|k| by_key.get(k)) {
                row.roles.clone_from(&m.roles);
            }
            row
        })
        .collect();

    let count = |action: &str| rows.iter().filter(|r| r.action == action).count() as u32;
    let complete = llm.escalations.is_empty();
    let summary = Summary {
        rows: table.records.len() as u32,
        invite: count("invite"),
        add: count("add"),
        skip_existing: count("skip_existing"),
        rejected: rejected.len() as u32,
        departments: mapping.len() as u32,
        unmapped_departments: mapping.iter().filter(|m| m.source == Source::Unmapped).count() as u32,
        complete,
    };
    let request = if complete && summary.invite + summary.add > 0 {
        match request(input.tenant.as_deref(), org, &rows, &mapping, &summary) {
            Ok(r) => Some(r),
            Err(issue) => return Answer::failure(issue),
        }
    } else {
        None
    };
    Answer::success(Plan { organization_id: org.id.clone(), summary, mapping, rows, rejected, llm, request }, warnings)
}

fn request(tenant: Option<&str>, org: &Organization, rows: &[Row], mapping: &[Mapping], summary: &Summary) -> Result<Request, Issue> {
    let writes: Vec<Row> = rows.iter().filter(|r| r.action != "skip_existing").cloned().collect();
    let digest = digest(&writes, mapping);
    // Clipped by bytes, as `check_proposal` counts them (`plain`): a name of 100 CJK
    // characters is 300 bytes.
    let name = org.display_name.as_deref().or(org.name.as_deref()).map(|n| {
        let clean: String = n.chars().filter(|c| !c.is_control()).collect();
        clip(&clean, MAX_FIELD_CHARS).to_string()
    });
    let proposal = Proposal {
        organization_id: org.id.clone(),
        organization_name: name,
        rows: writes,
        mapping: mapping.to_vec(),
        skipped_existing: summary.skip_existing,
        rejected: summary.rejected,
        digest: digest.clone(),
    };
    let value = serde_json::to_value(&proposal).map_err(|_| invalid("csv", "the plan cannot be written"))?;
    let r = &signals::IMPORT_MEMBERS_PROPOSED;
    let who = proposal.organization_name.as_deref().unwrap_or(org.id.as_str());
    let reasons = vec![Reason::new(
        r.code,
        format!(
            "{who}: invite {}, add {}, roles from {} departments ({} unmapped); {} rows already there, {} rejected. {}",
            summary.invite,
            summary.add,
            summary.departments,
            summary.unmapped_departments,
            summary.skip_existing,
            summary.rejected,
            r.message
        ),
    )];
    let request = governance::request(KIND_IMPORT_MEMBERS, JOB, tenant, &[org.id.as_str(), digest.as_str()], value, reasons);
    let size = serde_json::to_string(&request).map_or(usize::MAX, |s| s.len());
    if size > governance::MAX_REQUEST_BYTES {
        return Err(Issue::new(
            "too_large",
            Some("csv".into()),
            format!("the plan takes {size} bytes, over the {} a request may: split the list", governance::MAX_REQUEST_BYTES),
        ));
    }
    Ok(request)
}

fn bad(path: &str, message: impl Into<String>) -> Issue {
    Issue::new("not_a_governance_request", Some(format!("proposal.{path}")), message.into())
}

/// Checks a stored proposal of this module's kind before the executor writes
/// anything: its shape and bounds, every address valid and in its normal form and
/// once, every role an id, the actions and users consistent, the digest its rows'.
/// The parts its dedupe key is made of: the organization and the digest.
pub fn check_proposal(proposal: &Value) -> Result<Vec<String>, Issue> {
    let p = Proposal::deserialize(proposal).map_err(|e| bad("", format!("not an import proposal: {e}")))?;
    if !is_id(&p.organization_id) {
        return Err(bad("organization_id", "not an organization id"));
    }
    if p.organization_name.as_deref().is_some_and(|n| !plain(n)) {
        return Err(bad("organization_name", "at most 256 bytes, no control characters"));
    }
    if p.rows.is_empty() || p.rows.len() > MAX_ROWS || p.mapping.len() > MAX_ROWS {
        return Err(bad("rows", format!("1 to {MAX_ROWS} rows and departments")));
    }
    let role_ids = |roles: &[String]| roles.len() <= 10 && roles.iter().all(|r| crate::orgmap::index::is_role_id(r));
    let keys: BTreeSet<&str> = p.mapping.iter().map(|m| m.key.as_str()).collect();
    let mut addresses = BTreeSet::new();
    for (i, row) in p.rows.iter().enumerate() {
        let at = |field: &str| format!("rows.{i}.{field}");
        let email = crate::email::parse(&row.email).map_err(|e| bad(&at("email"), e.message()))?;
        if format!("{}@{}", email.local, email.domain) != row.email {
            return Err(bad(&at("email"), "not in its normal form"));
        }
        if !addresses.insert(address_key(&email)) {
            return Err(bad(&at("email"), "listed twice"));
        }
        if row.line < 2 || [&row.name, &row.department].into_iter().flatten().any(|t| !text_ok(t)) {
            return Err(bad(&at("line"), "a line after the header, names and departments of at most 256 characters"));
        }
        if row.department_key.as_deref().is_some_and(|k| !keys.contains(k)) {
            return Err(bad(&at("department_key"), "names no department of the mapping"));
        }
        if !role_ids(&row.roles) {
            return Err(bad(&at("roles"), "at most 10 role ids"));
        }
        match (row.action.as_str(), row.user_id.as_deref()) {
            ("invite", None) => {}
            ("add", Some(id)) if is_id(id) => {}
            _ => return Err(bad(&at("action"), "`invite` (no user_id) or `add` (with a user id)")),
        }
        if !plain(&row.reason.code) || row.reason.message.len() > 1000 {
            return Err(bad(&at("reason"), "a reason code and a message"));
        }
    }
    for (i, m) in p.mapping.iter().enumerate() {
        if !role_ids(&m.roles)
            || !text_ok(&m.department)
            || m.also.iter().any(|a| !text_ok(a))
            || m.key.chars().count() > 4 * MAX_FIELD_CHARS
        {
            return Err(bad(&format!("mapping.{i}"), "a department of at most 256 characters and at most 10 role ids"));
        }
    }
    if digest(&p.rows, &p.mapping) != p.digest {
        return Err(bad("digest", "does not match the rows: the proposal was edited"));
    }
    Ok(vec![p.organization_id, p.digest])
}

#[cfg(test)]
mod tests;
