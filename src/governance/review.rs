//! Access reviews (`actionguard review members`): per organization, what a
//! reviewer can act on, with reasons, and the approval requests that would fix it.
//!
//! | finding | when | proposal |
//! |---|---|---|
//! | `member_stale` | no successful login in `governance.review.stale_days` (the stored logs first, Auth0's `last_login` when they do not reach back that far) | `remove_membership` |
//! | `member_of_unrelated_organizations` | the user belongs to two or more organizations that do not claim their email domain (the post-login anomaly, over the tenant) | none: which membership is wrong needs a person |
//! | `member_domain_outside` | the member's email domain is outside every domain the organization claims | `remove_membership` when the address is verified |
//! | `domain_pending_too_long` | a discovery domain still pending `governance.review.pending_domain_days` after it was first seen | `verify_domain` |
//! | `mfa_required_unused` | the organization's tier requires MFA and no member used it in the stored logs | none: enforcement or enrolment needs a look |
//! | `members_unrelated_share` | members outside the claimed domains or of unrelated organizations make up `governance.review.stricter_share` or more of the organization, and `governance.review.stricter_tier` names a tier | `set_tier` |
//!
//! Why the logs come first: Auth0's `last_login` is not updated by silent
//! authentication or refresh-token exchanges, so a daily user of a SPA can look
//! months stale there. The success log types that count ([`SUCCESS_LOG_TYPES`])
//! and those that show MFA in use ([`MFA_LOG_TYPES`]) are listed here, once, for
//! the host's query.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{is_id, plain, Reason, Request, KIND_REMOVE_MEMBERSHIP, KIND_SET_TIER, KIND_VERIFY_DOMAIN};
use crate::signals as s;
use crate::{email, Answer, Issue};

/// Log types of a successful sign-in or token for a user: a login, a silent
/// authentication, and the token exchanges a session makes (refresh token,
/// authorization code, password and its MFA variants, native social).
pub const SUCCESS_LOG_TYPES: [&str; 9] = ["s", "ssa", "sertft", "seacft", "sepft", "seoobft", "seotpft", "sercft", "sens"];
/// Log types that show a user completing MFA (Guardian authentication, enrolment, recovery).
pub const MFA_LOG_TYPES: [&str; 3] = ["gd_auth_succeed", "gd_enrollment_complete", "gd_recovery_succeed"];

const DAY_MS: i64 = 86_400_000;
/// Organizations one review reads: far above a tenant's, far below what exhausts memory.
const MAX_ORGANIZATIONS: usize = 100_000;
/// Findings listed per organization (the counts stay exact).
const MAX_FINDINGS_PER_ORG: usize = 1_000;

/// What the host gathered: the Management API's organizations, their discovery
/// domains and members, and from the store each member's last success and MFA use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The tenant policy's text; absent: the default.
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    /// `ORG_LAYERS_KEY`, when the policy signs organization layers (the tier an
    /// organization is on is read as the Actions read it).
    #[serde(default)]
    pub layers_key: Option<String>,
    pub now_ms: i64,
    /// The oldest log the store holds: the logs answer for the time since.
    #[serde(default)]
    pub logs_from_ms: Option<i64>,
    pub organizations: Vec<OrgIn>,
    /// Also render the review as Markdown (`markdown` in the answer).
    #[serde(default)]
    pub markdown: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgIn {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub domains: Vec<DomainIn>,
    #[serde(default)]
    pub members: Vec<MemberIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainIn {
    pub domain: String,
    pub status: String,
    /// When a review first saw it pending (the host remembers it).
    #[serde(default)]
    pub first_seen_pending_ms: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    pub user_id: String,
    #[serde(default)]
    pub email: Option<String>,
    /// From the user's profile, when the host looked it up.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// The latest [`SUCCESS_LOG_TYPES`] log of the user in the store.
    #[serde(default)]
    pub last_success_ms: Option<i64>,
    /// Auth0's `last_login`, when the host looked it up.
    #[serde(default)]
    pub last_login_ms: Option<i64>,
    /// A [`MFA_LOG_TYPES`] log of the user is in the store.
    #[serde(default)]
    pub mfa_seen: bool,
    /// When the user was created (Auth0's `created_at`), when the host looked it up.
    #[serde(default)]
    pub created_ms: Option<i64>,
}

/// One thing a reviewer can act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    /// `user`, `domain` or `organization`.
    pub subject_type: &'static str,
    pub subject: String,
    pub message: String,
    /// The approval request it proposes, by dedupe key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgReview {
    pub id: String,
    pub name: String,
    pub tier: Option<String>,
    pub members: usize,
    pub claimed_domains: Vec<String>,
    pub findings: Vec<Finding>,
    /// Findings beyond the listing's bound (counted, not listed).
    pub findings_omitted: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Summary {
    pub organizations: usize,
    pub members: usize,
    pub organizations_flagged: usize,
    pub findings: BTreeMap<&'static str, usize>,
    pub proposals: usize,
}

/// The review: per organization, its findings; the requests they propose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub generated_ms: i64,
    pub stale_days: u32,
    pub pending_domain_days: u32,
    pub logs_from_ms: Option<i64>,
    pub summary: Summary,
    pub organizations: Vec<OrgReview>,
    pub proposals: Vec<Request>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

/// Reviews every organization of the input. Malformed entries are skipped with a
/// warning naming them; a broken policy is a failure (no review on a guess).
pub fn review_json(input: &str) -> Answer<Review> {
    let input: Input = match crate::answer::parse_json(input, "invalid_review_input") {
        Ok(i) => i,
        Err(issue) => return Answer::failure(issue),
    };
    let engine = crate::Engine::new(input.policy.as_deref());
    if !engine.policy_errors().is_empty() {
        return Answer::Failure { errors: engine.policy_errors().to_vec() };
    }
    let mut warnings = Vec::new();
    let mut review = review(&engine, &input, &mut warnings);
    if input.markdown {
        review.markdown = Some(markdown(&review));
    }
    Answer::success(review, warnings)
}

/// The domains an organization claims: its verified discovery domains (and its
/// `ag_domains` metadata when the policy trusts it, as discovery does).
fn claimed_domains(org: &OrgIn, trust_metadata: bool) -> Vec<String> {
    let mut out: Vec<String> =
        org.domains.iter().filter(|d| d.status == "verified").filter_map(|d| email::normalize_domain(&d.domain).ok()).collect();
    if trust_metadata {
        if let Some(Value::String(list)) = org.metadata.get(crate::orgmap::index::META_DOMAINS) {
            out.extend(list.split(',').filter_map(|d| email::normalize_domain(d).ok()));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn domain_of(address: Option<&str>) -> Option<String> {
    address.and_then(|a| email::parse(a).ok()).map(|e| e.domain)
}

fn within_any(domain: &str, claimed: &[String]) -> bool {
    claimed.iter().any(|c| email::within(domain, c))
}

fn days(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

struct Ctx<'a> {
    tenant: Option<&'a str>,
    proposals: Vec<Request>,
    proposed: std::collections::HashSet<String>,
}

impl Ctx<'_> {
    /// Records a request (once per key in a run) and answers its key.
    fn propose(&mut self, kind: &str, parts: &[&str], proposal: Value, reasons: Vec<Reason>) -> String {
        let r = super::request(kind, "review", self.tenant, parts, proposal, reasons);
        let key = r.dedupe_key.clone();
        if self.proposed.insert(key.clone()) {
            self.proposals.push(r);
        }
        key
    }
}

fn reason(r: &s::PolicyReason, message: String) -> Reason {
    Reason::new(r.code, message)
}

fn review(engine: &crate::Engine, input: &Input, warnings: &mut Vec<Issue>) -> Review {
    let g = &engine.policy.governance.review;
    let trust_metadata = engine.policy.organizations.trust_metadata_domains;
    let now = input.now_ms;
    let stale_ms = i64::from(g.stale_days).saturating_mul(DAY_MS);
    let mut ctx = Ctx { tenant: input.tenant.as_deref(), proposals: Vec::new(), proposed: Default::default() };

    if input.organizations.len() > MAX_ORGANIZATIONS {
        warnings.push(Issue::new(
            "too_many_organizations",
            Some("organizations".into()),
            format!("{} organizations: the first {MAX_ORGANIZATIONS} are reviewed", input.organizations.len()),
        ));
    }
    let orgs: Vec<&OrgIn> = input
        .organizations
        .iter()
        .take(MAX_ORGANIZATIONS)
        .enumerate()
        .filter(|(i, o)| {
            let ok = is_id(&o.id) && plain(&o.name);
            if !ok {
                warnings.push(Issue::new(
                    "invalid_organization",
                    Some(format!("organizations.{i}")),
                    "an id of 1 to 256 bytes and a plain name: skipped",
                ));
            }
            ok
        })
        .map(|(_, o)| o)
        .collect();
    let claimed: Vec<Vec<String>> = orgs.iter().map(|o| claimed_domains(o, trust_metadata)).collect();

    // The tenant-wide view of each user: the organizations that do not claim their domain.
    let mut unrelated: HashMap<&str, Vec<&str>> = HashMap::new();
    for (org, claims) in orgs.iter().zip(&claimed) {
        // An organization that claims no domain says nothing of who belongs in it.
        if claims.is_empty() {
            continue;
        }
        for m in &org.members {
            let Some(domain) = domain_of(m.email.as_deref()) else { continue };
            if !within_any(&domain, claims) {
                unrelated.entry(m.user_id.as_str()).or_default().push(org.id.as_str());
            }
        }
    }

    let mut out = Vec::with_capacity(orgs.len());
    let mut summary = Summary { organizations: orgs.len(), ..Summary::default() };
    for (org, claims) in orgs.iter().zip(&claimed) {
        let tier = org.metadata.get(crate::layers::META_TIER).and_then(Value::as_str).filter(|t| plain(t)).map(str::to_string);
        let effective = engine.layered_for(Some(&org.id), Some(&org.metadata), input.layers_key.as_deref());
        let org_policy = effective.as_ref().map_or(&engine.policy, |(e, _)| &e.policy);
        let mut findings = Vec::new();
        let members: Vec<&MemberIn> = org.members.iter().filter(|m| is_id(&m.user_id)).collect();
        if members.len() < org.members.len() {
            warnings.push(Issue::new(
                "invalid_member",
                Some(format!("organizations.{}.members", org.id)),
                format!("{} members without a usable user_id: skipped", org.members.len() - members.len()),
            ));
        }
        summary.members += members.len();
        let mut outside_or_unrelated = 0usize;

        for m in &members {
            let uid = m.user_id.as_str();
            // Stale: the logs answer when they reach back far enough; else last_login.
            let logs_cover = input.logs_from_ms.is_some_and(|from| now.saturating_sub(from) >= stale_ms);
            let last = m.last_success_ms.max(m.last_login_ms);
            // A user created within the window (an invitation just accepted, an import) is
            // not stale for having no login yet.
            let old_enough = m.created_ms.map_or(true, |c| now.saturating_sub(c) >= stale_ms);
            let stale = old_enough
                && match last {
                    Some(at) => now.saturating_sub(at) >= stale_ms,
                    None => logs_cover,
                };
            if stale {
                let message = match last {
                    Some(at) => format!("no successful login in {} days (last {} days ago)", g.stale_days, days(now.saturating_sub(at))),
                    None => format!(
                        "no successful login on record (the logs reach back {} days)",
                        input.logs_from_ms.map_or(0, |f| days(now.saturating_sub(f)))
                    ),
                };
                let key = ctx.propose(
                    KIND_REMOVE_MEMBERSHIP,
                    &[&org.id, uid],
                    json!({ "organization_id": org.id, "organization_name": org.name, "user_id": uid, "finding": s::REVIEW_MEMBER_STALE.code, "stale_days": g.stale_days }),
                    vec![reason(&s::REVIEW_MEMBER_STALE, message.clone())],
                );
                findings.push(Finding {
                    code: s::REVIEW_MEMBER_STALE.code,
                    subject_type: "user",
                    subject: uid.to_string(),
                    message,
                    proposal: Some(key),
                });
            }
            let domain = domain_of(m.email.as_deref());
            let others = unrelated.get(uid).map_or(0, Vec::len);
            let outside = domain.as_deref().is_some_and(|d| !claims.is_empty() && !within_any(d, claims));
            // Only where this organization is one of the unrelated ones: a member whose own
            // organization claims their domain is not held against it.
            let unrelated_here = others >= 2 && unrelated.get(uid).is_some_and(|list| list.contains(&org.id.as_str()));
            if unrelated_here {
                let message = format!("member of {others} organizations that do not claim the user's email domain");
                findings.push(Finding {
                    code: s::REVIEW_UNRELATED_ORGANIZATIONS.code,
                    subject_type: "user",
                    subject: uid.to_string(),
                    message,
                    proposal: None,
                });
            }
            if outside {
                let d = domain.as_deref().unwrap_or_default();
                let verified = m.email_verified == Some(true);
                let message = format!(
                    "email domain {d} is outside the organization's domains ({}){}",
                    claims.join(", "),
                    if verified { "" } else { "; the address is not known to be verified" }
                );
                let proposal = verified.then(|| {
                    ctx.propose(
                        KIND_REMOVE_MEMBERSHIP,
                        &[&org.id, uid],
                        json!({ "organization_id": org.id, "organization_name": org.name, "user_id": uid, "finding": s::REVIEW_DOMAIN_OUTSIDE.code }),
                        vec![reason(&s::REVIEW_DOMAIN_OUTSIDE, message.clone())],
                    )
                });
                findings.push(Finding {
                    code: s::REVIEW_DOMAIN_OUTSIDE.code,
                    subject_type: "user",
                    subject: uid.to_string(),
                    message,
                    proposal,
                });
            }
            if outside || unrelated_here {
                outside_or_unrelated += 1;
            }
        }

        for d in &org.domains {
            if d.status != "pending" {
                continue;
            }
            let Ok(domain) = email::normalize_domain(&d.domain) else { continue };
            let Some(since) = d.first_seen_pending_ms else { continue };
            let pending_days = days(now.saturating_sub(since));
            if pending_days >= i64::from(g.pending_domain_days) {
                let message = format!("discovery domain {domain} pending for {pending_days} days (since a review first saw it)");
                let key = ctx.propose(
                    KIND_VERIFY_DOMAIN,
                    &[&org.id, &domain],
                    json!({ "organization_id": org.id, "organization_name": org.name, "domain": domain }),
                    vec![reason(&s::REVIEW_DOMAIN_PENDING, message.clone())],
                );
                findings.push(Finding {
                    code: s::REVIEW_DOMAIN_PENDING.code,
                    subject_type: "domain",
                    subject: domain,
                    message,
                    proposal: Some(key),
                });
            }
        }

        if org_policy.mfa.mode == crate::policy::MfaMode::Always && !members.is_empty() && !members.iter().any(|m| m.mfa_seen) {
            let message = format!(
                "its policy requires MFA (tier {}) and none of its {} members completed MFA in the stored logs",
                tier.as_deref().unwrap_or("baseline"),
                members.len()
            );
            findings.push(Finding {
                code: s::REVIEW_MFA_UNUSED.code,
                subject_type: "organization",
                subject: org.id.clone(),
                message,
                proposal: None,
            });
        }

        let stricter = &g.stricter_tier;
        if !stricter.is_empty()
            && tier.as_deref() != Some(stricter.as_str())
            && !members.is_empty()
            && (outside_or_unrelated as f64) / (members.len() as f64) >= g.stricter_share
        {
            let message = format!(
                "{outside_or_unrelated} of {} members are outside its domains or in unrelated organizations: tier {stricter} proposed",
                members.len()
            );
            let key = ctx.propose(
                KIND_SET_TIER,
                &[&org.id, stricter],
                json!({ "organization_id": org.id, "organization_name": org.name, "from_tier": tier, "to_tier": stricter, "label": null }),
                vec![reason(&s::REVIEW_STRICTER_TIER, message.clone())],
            );
            findings.push(Finding {
                code: s::REVIEW_STRICTER_TIER.code,
                subject_type: "organization",
                subject: org.id.clone(),
                message,
                proposal: Some(key),
            });
        }

        for f in &findings {
            *summary.findings.entry(f.code).or_default() += 1;
        }
        if !findings.is_empty() {
            summary.organizations_flagged += 1;
        }
        let omitted = findings.len().saturating_sub(MAX_FINDINGS_PER_ORG);
        findings.truncate(MAX_FINDINGS_PER_ORG);
        out.push(OrgReview {
            id: org.id.clone(),
            name: org.name.clone(),
            tier,
            members: members.len(),
            claimed_domains: claims.clone(),
            findings,
            findings_omitted: omitted,
        });
    }
    summary.proposals = ctx.proposals.len();
    Review {
        generated_ms: now,
        stale_days: g.stale_days,
        pending_domain_days: g.pending_domain_days,
        logs_from_ms: input.logs_from_ms,
        summary,
        organizations: out,
        proposals: ctx.proposals,
        markdown: None,
    }
}

/// What an executor knows of a member proposed for removal as stale, at execution.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StillStaleInput {
    pub stale_days: u32,
    pub now_ms: i64,
    /// The latest [`SUCCESS_LOG_TYPES`] log of the user in the store now (pulled late or not).
    #[serde(default)]
    pub last_success_ms: Option<i64>,
    /// Auth0's `last_login` now.
    #[serde(default)]
    pub last_login_ms: Option<i64>,
}

/// Whether a member proposed for removal as stale is stale still: no success (the
/// logs or `last_login`) within `stale_days` of now. A sign-in since the review, or
/// one the log pull brought in late, keeps the membership.
pub fn still_stale(i: &StillStaleInput) -> bool {
    let window = i64::from(i.stale_days.max(1)).saturating_mul(DAY_MS);
    i.last_success_ms.max(i.last_login_ms).map_or(true, |at| i.now_ms.saturating_sub(at) >= window)
}

/// [`still_stale`] from JSON: `{ still_stale }`.
pub fn still_stale_json(input: &str) -> Answer<Value> {
    match crate::answer::parse_json::<StillStaleInput>(input, "invalid_input") {
        Ok(i) => Answer::success(json!({ "still_stale": still_stale(&i) }), Vec::new()),
        Err(issue) => Answer::failure(issue),
    }
}

/// Checks a stored `remove_membership` or `verify_domain` proposal; the parts of its key.
pub fn check_proposal(kind: &str, proposal: &Value) -> Result<Vec<String>, Issue> {
    let bad = |path: &str, message: &str| Issue::new("not_a_governance_request", Some(format!("proposal.{path}")), message.to_string());
    let text = |key: &str| proposal.get(key).and_then(Value::as_str);
    let org = text("organization_id").filter(|v| is_id(v)).ok_or_else(|| bad("organization_id", "an organization id"))?;
    if text("organization_name").is_some_and(|n| !plain(n)) {
        return Err(bad("organization_name", "a plain name"));
    }
    match kind {
        KIND_REMOVE_MEMBERSHIP => {
            let user = text("user_id").filter(|v| is_id(v)).ok_or_else(|| bad("user_id", "a user id"))?;
            // A stale member's removal is checked again at execution against its window.
            if text("finding") == Some(s::REVIEW_MEMBER_STALE.code)
                && !proposal.get("stale_days").and_then(Value::as_u64).is_some_and(|d| (1..=3650).contains(&d))
            {
                return Err(bad("stale_days", "the review's window: 1 to 3650 days"));
            }
            Ok(vec![org.to_string(), user.to_string()])
        }
        KIND_VERIFY_DOMAIN => {
            let domain = text("domain").ok_or_else(|| bad("domain", "a domain"))?;
            match email::normalize_domain(domain) {
                Ok(d) if d == domain => Ok(vec![org.to_string(), d]),
                _ => Err(bad("domain", "a domain in its normalized form")),
            }
        }
        _ => Err(bad("kind", "a review kind")),
    }
}

/// The review as Markdown, for people and for the health report's section.
pub fn markdown(r: &Review) -> String {
    use std::fmt::Write as _;
    let esc = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_control())
            .flat_map(|c| match c {
                '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    };
    let mut out = String::new();
    let _ = writeln!(out, "# Access review\n");
    let _ = writeln!(
        out,
        "{} organizations, {} members; {} organizations flagged; {} approval requests proposed. Stale: no successful login in {} days.\n",
        r.summary.organizations, r.summary.members, r.summary.organizations_flagged, r.summary.proposals, r.stale_days
    );
    if !r.summary.findings.is_empty() {
        let _ = writeln!(out, "| finding | count |\n|---|---|");
        for (code, n) in &r.summary.findings {
            let _ = writeln!(out, "| `{code}` | {n} |");
        }
        out.push('\n');
    }
    for org in r.organizations.iter().filter(|o| !o.findings.is_empty()) {
        let _ = writeln!(out, "## {} ({})\n", esc(&org.name), esc(&org.id));
        let _ = writeln!(
            out,
            "Tier {}; {} members; domains: {}\n",
            esc(org.tier.as_deref().unwrap_or("baseline")),
            org.members,
            esc(&org.claimed_domains.join(", "))
        );
        let _ = writeln!(out, "| finding | subject | why | proposal |\n|---|---|---|---|");
        for f in &org.findings {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                f.code,
                esc(&f.subject),
                esc(&f.message),
                f.proposal.as_deref().map_or("-".to_string(), |k| format!("`{k}`"))
            );
        }
        if org.findings_omitted > 0 {
            let _ = writeln!(out, "\n{} more findings not listed.", org.findings_omitted);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
