//! Which Auth0 Organization a person belongs to, by the domain of a verified
//! email address, and what to do about it: join, invite, suggest, propose a
//! new organization for a person to approve, or nothing. A wrong join is a
//! cross-tenant data breach, so every step refuses when unsure:
//! - free-mail and disposable domains never map, whoever claims them;
//! - only Auth0-verified domains with discovery enabled join automatically,
//!   and only for a verified address: verified by Auth0 itself (database and
//!   passwordless-email connections), or asserted by a connection that the
//!   organization enabled or that the tenant trusts
//!   (`organizations.trusted_connections`). Any other connection's word is
//!   not enough, because any customer's identity provider can assert an
//!   address at another customer's domain: it only ever suggests. An
//!   unverified address gets an invitation, which proves it;
//! - pending domains, metadata claims, subdomains of claimed domains and
//!   domains claimed twice only ever suggest;
//! - the lookup walks up to the registrable domain (public suffix list) and
//!   no further, and never matches by prefix or likeness.

pub mod index;
pub mod invitations;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answer::{parse_json, Answer, Issue};
use crate::audit::{self, AuditRecord};
use crate::context::{drop_if_longer, Tenant, MAX_ID};
use crate::decision::Reason;
use crate::domains::{self, DomainClass};
use crate::email;
use crate::enforcement;
use crate::signals::{self, PolicyReason};
use crate::Engine;

pub use index::{DomainStatus, OrgIndex};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OrgContext {
    pub tenant: Option<Tenant>,
    pub user: Option<OrgUser>,
    pub connection: Option<OrgConnection>,
    /// Organization ids the user already belongs to (`GET /api/v2/users/{id}/organizations`).
    pub member_of: Option<Vec<String>>,
    pub now_ms: Option<f64>,
    /// The LLM escalation of a suggestion: whether one is possible, then its response.
    pub llm: Option<crate::llm::Exchange>,
    /// Post-login's first discovery for a new user (`login::discovery_step`): an
    /// existing member of the organization the domain maps to gets the roles a join
    /// gives, completing a registration's join whose role assignment failed.
    pub complete_join: bool,
    /// How old the index is (ms since its data was read, as the host reports it):
    /// past `organizations.index_max_age_seconds` discovery only suggests.
    pub index_age_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OrgUser {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// Only `app_metadata` (written by admins and trusted rules, never by the
    /// user) feeds role mapping; `user_metadata` is the user's to edit.
    pub app_metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OrgConnection {
    pub name: Option<String>,
    /// `event.connection.strategy`: `auth0` (database) and `email` (passwordless
    /// email) are verified by Auth0 itself; anything else, or none, is an
    /// identity provider's word ([`ConnectionKind`]).
    pub strategy: Option<String>,
}

/// Whose word a connection's `email_verified` is, by its Auth0 strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// Auth0 verified the address by mail: database (`auth0`) and passwordless
    /// email (`email`) connections.
    MailVerified,
    /// An identity provider asserted it: enterprise (`oidc`, `samlp`, `waad`,
    /// `adfs`, `okta`, `google-apps`, ...), social (`google-oauth2`, ...),
    /// passwordless SMS (Auth0 verified a phone, not the address), and any
    /// strategy unknown or missing (fail safe).
    Asserted,
}

impl ConnectionKind {
    pub fn of(strategy: Option<&str>) -> ConnectionKind {
        match strategy {
            Some("auth0" | "email") => ConnectionKind::MailVerified,
            _ => ConnectionKind::Asserted,
        }
    }
}

/// Whether an address counts as verified for a join (or a proposal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    Verified,
    Unverified,
    /// An identity provider's word from a connection the organization did not
    /// enable and the tenant does not trust: suggest at most.
    ConnectionNotTrusted,
}

impl OrgContext {
    pub fn from_json(json: &str) -> Result<(OrgContext, Vec<Issue>), Issue> {
        let mut ctx: OrgContext = parse_json(json, "invalid_context")?;
        let mut warnings = Vec::new();
        if let Some(t) = &mut ctx.tenant {
            t.bound(&mut warnings);
        }
        // An address longer than any valid one is refused as malformed by email::parse.
        if let Some(u) = &mut ctx.user {
            drop_if_longer(&mut u.user_id, MAX_ID, "user.user_id", &mut warnings);
        }
        if let Some(c) = &mut ctx.connection {
            drop_if_longer(&mut c.name, MAX_ID, "connection.name", &mut warnings);
            drop_if_longer(&mut c.strategy, MAX_ID, "connection.strategy", &mut warnings);
        }
        if let Some(m) = &mut ctx.member_of {
            m.truncate(256);
            m.retain(|id| id.len() <= MAX_ID);
        }
        if let Some(e) = &mut ctx.llm {
            e.vet(&mut warnings);
        }
        Ok((ctx, warnings))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgAction {
    Join,
    Invite,
    Suggest,
    CreateForApproval,
    /// Assign `roles` in `organization` to a user who is already a member (a join
    /// completed; assigning a role twice is a no-op on Auth0).
    CompleteRoles,
    None,
}

/// What post-login keeps in `app_metadata.actionguard_org` after a discovery, so
/// that the next one waits for the recheck interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveryMarker {
    pub action: OrgAction,
    /// The suggested organizations' ids, for an application to offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested: Option<Vec<String>>,
    /// When (RFC 3339), from the context's clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// What a watched discovery would have done: once discovery is enforced for the
    /// user, post-login does not wait for the recheck interval (`login::discovery_step`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_action: Option<OrgAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgRef {
    pub id: String,
    pub name: String,
}

/// A new organization for a person to approve; the name is Auth0-valid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub name: String,
    pub display_name: String,
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgDecision {
    /// What to carry out: a suggestion at most when the decision is only watched (`enforcement`).
    pub action: OrgAction,
    /// What the engine decided; differs from `action` only when the decision is watched.
    pub would_action: OrgAction,
    /// Whether the decision is applied (policy `enforcement.organizations`).
    pub enforcement: crate::enforcement::Applied,
    /// The organization to join or invite to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrgRef>,
    /// Organizations to suggest (never joined automatically).
    pub candidates: Vec<OrgRef>,
    /// Role ids to assign on join or with the invitation (for an existing member of the
    /// organization, the roles a join would have given).
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Proposal>,
    pub reasons: Vec<Reason>,
    /// Already a member of two or more organizations unrelated to the address's domain.
    pub anomaly: bool,
    /// Present when the policy asks an LLM to choose among the candidates:
    /// the shim sends it and decides again with the response (or the failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<crate::llm::Escalation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_result: Option<&'static str>,
    /// `api.cache` writes that keep the LLM's budgets (breaker, rate limit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache: Vec<crate::cache::CacheWrite>,
    /// For post-login to write to `app_metadata.actionguard_org`.
    pub marker: DiscoveryMarker,
    #[serde(flatten, serialize_with = "crate::audit::as_json_lines")]
    pub audit: AuditRecord,
}

struct Outcome {
    action: OrgAction,
    organization: Option<u32>,
    candidates: Vec<u32>,
    proposal: Option<Proposal>,
    reasons: Vec<Reason>,
}

impl Outcome {
    fn new(action: OrgAction, reason: &PolicyReason) -> Outcome {
        Outcome { action, organization: None, candidates: Vec::new(), proposal: None, reasons: vec![Reason::of(reason)] }
    }

    fn none(reason: &PolicyReason) -> Outcome {
        Outcome::new(OrgAction::None, reason)
    }

    fn suggest(candidates: Vec<u32>, reason: &PolicyReason) -> Outcome {
        Outcome { candidates, ..Outcome::new(OrgAction::Suggest, reason) }
    }

    /// Join, invite, or nothing for an organization found.
    fn with(action: OrgAction, org: u32, reason: &PolicyReason) -> Outcome {
        Outcome { organization: Some(org), ..Outcome::new(action, reason) }
    }
}

impl Engine {
    pub fn decide_organization_json(&self, index: &OrgIndex, context_json: &str) -> Answer<OrgDecision> {
        match OrgContext::from_json(context_json) {
            Ok((ctx, warnings)) => self.decide_organization(index, &ctx, warnings),
            Err(err) => Answer::failure(err),
        }
    }

    pub fn decide_organization(&self, index: &OrgIndex, ctx: &OrgContext, mut warnings: Vec<Issue>) -> Answer<OrgDecision> {
        warnings.extend(self.policy_warnings());
        let user = ctx.user.as_ref();
        let address = user.and_then(|u| u.email.as_deref()).map(email::parse);
        let mut anomaly = false;
        let mut class = None;

        let mut outcome = match &address {
            None => Outcome::none(&signals::NO_EMAIL),
            Some(Err(_)) => Outcome::none(&signals::EMAIL_INVALID),
            Some(Ok(a)) => {
                let c = domains::classify(&a.domain);
                class = Some(c);
                anomaly = self.unrelated_memberships(index, &a.domain, ctx.member_of.as_deref().unwrap_or(&[])) >= 2;
                self.map_domain(index, ctx, &a.domain, c)
            }
        };
        // An index whose refreshes failed may still hold a domain an organization has
        // since removed: past its maximum age it is only good for suggestions.
        let stale = self.index_stale(ctx);
        if stale {
            outcome = only_suggest(outcome);
        }

        let mut escalation = None;
        let mut cache = Vec::new();
        let mut llm_audit = crate::llm::AuditLlm::default();
        if let (OrgAction::Suggest, Some(Ok(a))) = (outcome.action, &address) {
            if let Some((exchange, options)) = self.suggestion_options(ctx, &outcome) {
                let (settled, writes) = crate::llm::settle_within_budget(exchange, &options, &self.policy.llm, ctx.now_ms.unwrap_or(0.0));
                cache = writes;
                match settled {
                    crate::llm::Settled::Pending => {
                        let facts = self.llm_suggestion_facts(index, ctx, &a.domain, &outcome, &options);
                        escalation =
                            Some(crate::llm::request(&self.policy.llm, exchange, "organization_match", &options, "suggest", facts));
                    }
                    settled => {
                        llm_audit = crate::llm::AuditLlm::of(&settled, &options);
                        if let crate::llm::Settled::Chosen { index: chosen, .. } = settled {
                            // `none` is the last option; the others are the first candidates, in order.
                            let picked = if chosen + 1 < options.len() { outcome.candidates.get(chosen).copied() } else { None };
                            // The LLM only narrows a suggestion: it never joins, invites or names a new organization.
                            match picked {
                                Some(org) => {
                                    outcome.candidates = vec![org];
                                    outcome.reasons.push(Reason::of(&signals::LLM_CHOICE));
                                }
                                None => {
                                    outcome.candidates.clear();
                                    outcome.action = OrgAction::None;
                                    outcome.reasons.push(Reason::of(&signals::LLM_NO_MATCH));
                                }
                            }
                        }
                    }
                }
            }
        }

        let mut reasons = outcome.reasons;
        if anomaly {
            reasons.push(Reason::of(&signals::MULTIPLE_UNRELATED_ORGANIZATIONS));
        }
        // An existing member gets the roles a join would give, so that a join whose role
        // assignment failed can be completed later (assigning a role twice is a no-op).
        let mut roles = match (outcome.action, outcome.organization.and_then(|i| index.org(i))) {
            (OrgAction::Join | OrgAction::Invite | OrgAction::None, Some(org)) => self.roles_for(&org, user, &mut reasons),
            _ => Vec::new(),
        };
        if ctx.complete_join
            && !stale
            && outcome.action == OrgAction::None
            && outcome.organization.is_some()
            && !roles.is_empty()
            && reasons.iter().any(|r| r.code == "already_member")
        {
            outcome.action = OrgAction::CompleteRoles;
            reasons.push(Reason::of(&signals::JOIN_ROLES_COMPLETED));
        }

        // Watched, discovery writes nothing: a join or an invitation becomes a suggestion
        // of the same organization, and roles, proposals and completions are dropped.
        let tenant = ctx.tenant.as_ref().and_then(|t| t.id.as_deref());
        let subject = user.and_then(|u| u.user_id.as_deref()).map(|id| audit::pseudonymize_user(tenant, id)).or_else(|| match &address {
            Some(Ok(a)) => Some(audit::pseudonymize_email(tenant, &a.base_local(), &a.domain)),
            _ => None,
        });
        let applied = enforcement::applied(&self.policy.enforcement.organizations, subject.as_deref());
        let would_action = outcome.action;
        let concerned = outcome.organization.or_else(|| outcome.candidates.first().copied().filter(|_| outcome.candidates.len() == 1));
        if !applied.enforced {
            reasons.extend(enforcement::reason(enforcement::Kind::Organizations, &applied));
            // Its reasons were taken above: the record's are `reasons`.
            outcome = watched(Outcome { reasons: Vec::new(), ..outcome });
            roles.clear();
        }

        let as_ref = |i: u32| index.org(i).map(|o| OrgRef { id: o.id.to_string(), name: o.name.to_string() });
        let candidates: Vec<OrgRef> = outcome.candidates.into_iter().filter_map(as_ref).collect();
        let marker = DiscoveryMarker {
            action: outcome.action,
            suggested: (outcome.action == OrgAction::Suggest).then(|| candidates.iter().map(|c| c.id.clone()).collect()),
            at: ctx.now_ms.and_then(crate::clock::rfc3339_of_ms),
            would_action: (!applied.enforced).then_some(would_action),
        };

        let llm_result = llm_audit.result;
        // Discovery never refuses a login; what it does is `org_action` (what it would
        // have done, `would_action`, names the organization the record is about).
        let record = self
            .audit("organization-discovery", tenant, ctx.now_ms)
            .organization(if applied.enforced { outcome.organization } else { concerned }.and_then(|i| index.org(i)).map(|o| o.id))
            .user(user.and_then(|u| u.user_id.as_deref()).map(|id| audit::pseudonymize_user(tenant, id)))
            .domain_class(class.map(DomainClass::as_str))
            .org_action(outcome.action)
            .would_action(would_action)
            .outcome(crate::Outcome::Allow)
            .enforcement(applied, crate::Outcome::Allow)
            .reasons(&reasons)
            .llm(llm_audit)
            .warnings(&warnings)
            .build();

        Answer::success(
            OrgDecision {
                action: outcome.action,
                would_action,
                enforcement: applied,
                organization: outcome.organization.and_then(as_ref),
                candidates,
                roles,
                proposal: outcome.proposal,
                reasons,
                anomaly,
                escalation,
                llm_result,
                cache,
                marker,
                audit: record,
            },
            warnings,
        )
    }

    fn map_domain(&self, index: &OrgIndex, ctx: &OrgContext, domain: &str, class: DomainClass) -> Outcome {
        let policy = &self.policy.organizations;
        match class {
            DomainClass::FreeMail => return Outcome::none(&signals::FREE_MAIL_NEVER_MAPS),
            DomainClass::Disposable => return Outcome::none(&signals::DISPOSABLE_NEVER_MAPS),
            DomainClass::Other => {}
        }
        if self.org_blocked_domains.iter().any(|b| email::within(domain, b)) {
            return Outcome::none(&signals::ORG_DOMAIN_BLOCKED);
        }
        let Some(registrable) = crate::suffix::registrable_domain(domain) else {
            return Outcome::none(&signals::PUBLIC_SUFFIX);
        };

        // The exact domain first: verified with discovery enabled is the only automatic path.
        let claims = index.claims(domain);
        let verified: Vec<u32> = claims.iter().filter(|c| c.status == DomainStatus::Verified && c.discovery).map(|c| c.org).collect();
        let trusted_metadata: Vec<u32> = if policy.trust_metadata_domains {
            claims.iter().filter(|c| c.status == DomainStatus::Metadata).map(|c| c.org).collect()
        } else {
            Vec::new()
        };
        let automatic: Vec<u32> = verified.iter().chain(&trusted_metadata).copied().collect();
        if automatic.len() >= 2 {
            return Outcome::suggest(automatic, &signals::DOMAIN_CLAIMED_BY_SEVERAL);
        }
        if let Some(&org) = automatic.first() {
            return self.join_or_invite(index, ctx, org);
        }
        if !claims.is_empty() {
            let disabled_only = claims.iter().all(|c| c.status == DomainStatus::Verified && !c.discovery);
            if disabled_only {
                return Outcome::none(&signals::DISCOVERY_DISABLED);
            }
            let reason = if claims.iter().any(|c| c.status == DomainStatus::Pending) {
                &signals::DOMAIN_PENDING
            } else {
                &signals::DOMAIN_CLAIMED_IN_METADATA
            };
            return Outcome::suggest(dedup(claims.iter().map(|c| c.org)), reason);
        }

        // A parent up to the registrable domain: a subdomain may be another entity.
        let parents: Vec<u32> = email::self_and_parents(domain)
            .skip(1)
            .take_while(|d| d.len() >= registrable.len())
            .flat_map(|d| index.claims(d))
            .filter(|c| c.status == DomainStatus::Verified)
            .map(|c| c.org)
            .collect();
        if !parents.is_empty() {
            return Outcome::suggest(dedup(parents.into_iter()), &signals::SUBDOMAIN_OF_CLAIMED_DOMAIN);
        }

        if policy.self_serve {
            // No organization has enabled anything yet: only Auth0's own verification
            // or a tenant-trusted connection counts.
            match self.address_trust(ctx, None) {
                Trust::Verified => {}
                Trust::Unverified => return Outcome::none(&signals::EMAIL_UNVERIFIED_NO_PROPOSAL),
                Trust::ConnectionNotTrusted => return Outcome::none(&signals::CONNECTION_NOT_TRUSTED),
            }
            return Outcome {
                action: OrgAction::CreateForApproval,
                organization: None,
                candidates: Vec::new(),
                proposal: Some(proposal_for(registrable)),
                reasons: vec![Reason::of(&signals::NO_ORGANIZATION_SELF_SERVE)],
            };
        }
        Outcome::none(&signals::NO_ORGANIZATION)
    }

    /// Whether a suggestion goes to the LLM: `None` when it does not, else the
    /// exchange and the options (`candidate_1`.. for the first ten candidates in
    /// the suggestion's order, then `none`).
    fn suggestion_options<'c>(&self, ctx: &'c OrgContext, outcome: &Outcome) -> Option<(&'c crate::llm::Exchange, Vec<String>)> {
        let exchange = ctx.llm.as_ref().filter(|e| e.available)?;
        let llm = &self.policy.llm;
        if !llm.enabled || !llm.organizations || outcome.candidates.is_empty() {
            return None;
        }
        let mut options: Vec<String> = (1..=outcome.candidates.len().min(10)).map(|n| format!("candidate_{n}")).collect();
        options.push("none".to_string());
        Some((exchange, options))
    }

    /// What the LLM is told about a suggestion: for each candidate, how it
    /// claims the domain; the domain and the organizations' names only when the
    /// policy shares them (names only in Auth0's own `[a-z0-9_-]` form).
    fn llm_suggestion_facts(
        &self,
        index: &OrgIndex,
        ctx: &OrgContext,
        domain: &str,
        outcome: &Outcome,
        options: &[String],
    ) -> serde_json::Value {
        let share = self.policy.llm.share_domain;
        let candidates: Vec<serde_json::Value> = outcome
            .candidates
            .iter()
            .zip(options.iter().take(options.len().saturating_sub(1)))
            .map(|(&org, option)| {
                let (relation, status) = email::self_and_parents(domain)
                    .enumerate()
                    .find_map(|(depth, d)| {
                        index
                            .claims(d)
                            .iter()
                            .find(|c| c.org == org)
                            .map(|c| (if depth == 0 { "exact" } else { "parent_domain" }, c.status.as_str()))
                    })
                    .unwrap_or(("none", "none"));
                let name = index.org(org).map(|o| o.name).filter(|n| {
                    share && n.len() <= 50 && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
                });
                serde_json::json!({ "option": option, "relation": relation, "claim": status, "name": name })
            })
            .collect();
        serde_json::json!({
            "reason": outcome.reasons.first().map(|r| r.code),
            "email_verified": ctx.user.as_ref().and_then(|u| u.email_verified).unwrap_or(false),
            "member_of_count": crate::llm::bucket(u32::try_from(ctx.member_of.as_ref().map_or(0, Vec::len)).unwrap_or(u32::MAX)),
            "domain": share.then_some(domain),
            "candidates": candidates,
        })
    }

    fn join_or_invite(&self, index: &OrgIndex, ctx: &OrgContext, org: u32) -> Outcome {
        let policy = &self.policy.organizations;
        // `ag_auto_join` is an organization's own setting, written by whoever may update
        // it: like its `ag_policy`, it may turn auto-join off, and on only where the
        // tenant lets organizations loosen `organizations.auto_join`.
        let own = index.org(org).and_then(|o| o.auto_join);
        let allowed = if crate::policy::direction::overridable(&policy.overridable, "organizations.auto_join") {
            own.unwrap_or(policy.auto_join)
        } else {
            policy.auto_join && own != Some(false)
        };
        if !allowed {
            return Outcome::suggest(vec![org], &signals::AUTO_JOIN_DISABLED);
        }
        if ctx.member_of.as_deref().unwrap_or(&[]).iter().any(|m| index.org(org).is_some_and(|o| o.id == m)) {
            return Outcome::with(OrgAction::None, org, &signals::ALREADY_MEMBER);
        }
        match self.address_trust(ctx, index.org(org).as_ref()) {
            Trust::Verified => return Outcome::with(OrgAction::Join, org, &signals::VERIFIED_DOMAIN_MATCH),
            Trust::ConnectionNotTrusted => return Outcome::suggest(vec![org], &signals::CONNECTION_NOT_TRUSTED),
            Trust::Unverified => {}
        }
        if policy.invite_unverified {
            return Outcome::with(OrgAction::Invite, org, &signals::EMAIL_UNVERIFIED_INVITE);
        }
        Outcome::none(&signals::EMAIL_UNVERIFIED_NO_INVITE)
    }

    /// Whether the address counts as verified for a join to `org` (`None`: a
    /// proposal, no organization yet), by whose word `email_verified` is:
    /// - a connection in `organizations.trusted_connections`: the tenant vouches
    ///   for it in every organization, so every address it asserts counts,
    ///   `email_verified` or not (Auth0's enterprise connections set it to false
    ///   unless told otherwise);
    /// - database and passwordless-email connections: Auth0 verified the address
    ///   by mail, so `email_verified` counts in every organization;
    /// - any other connection (unknown or missing strategy included):
    ///   `email_verified` counts only for an organization that enabled that
    ///   connection; elsewhere the connection is not trusted at all.
    fn address_trust(&self, ctx: &OrgContext, org: Option<&index::Org>) -> Trust {
        let verified = ctx.user.as_ref().and_then(|u| u.email_verified) == Some(true);
        let connection = ctx.connection.as_ref();
        let name = connection.and_then(|c| c.name.as_deref()).filter(|n| !n.is_empty());
        if name.is_some_and(|c| self.policy.organizations.trusted_connections.iter().any(|t| t == c)) {
            return Trust::Verified;
        }
        let word_counts = match ConnectionKind::of(connection.and_then(|c| c.strategy.as_deref())) {
            ConnectionKind::MailVerified => true,
            ConnectionKind::Asserted => name.is_some_and(|n| org.is_some_and(|o| o.connection_enabled(n))),
        };
        match (word_counts, verified) {
            (false, _) => Trust::ConnectionNotTrusted,
            (true, true) => Trust::Verified,
            (true, false) => Trust::Unverified,
        }
    }

    /// The roles a join gives: the organization's mapping of the user's attribute,
    /// else its own defaults, else the policy's. An organization's metadata is its
    /// admin's to write, so where the tenant lists `assignable_roles` the roles it
    /// names are kept to that list (`role_not_assignable` when one is dropped).
    fn roles_for(&self, org: &index::Org, user: Option<&OrgUser>, reasons: &mut Vec<Reason>) -> Vec<String> {
        let policy = &self.policy.organizations;
        let assignable = |roles: Vec<String>, reasons: &mut Vec<Reason>| {
            if policy.assignable_roles.is_empty() {
                return roles;
            }
            let before = roles.len();
            let kept: Vec<String> = roles.into_iter().filter(|r| policy.assignable_roles.contains(r)).collect();
            let dropped = Reason::of(&signals::ROLE_NOT_ASSIGNABLE);
            if kept.len() < before && !reasons.iter().any(|r| r.code == dropped.code) {
                reasons.push(dropped);
            }
            kept
        };
        let value = user
            .and_then(|u| u.app_metadata.as_ref())
            .and_then(|m| m.get(policy.role_attribute.as_str()))
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_lowercase());
        if let Some(role) = value.and_then(|v| org.role_for(&v)) {
            let kept = assignable(vec![role], reasons);
            if !kept.is_empty() {
                reasons.push(Reason::of(&signals::ROLE_FROM_ATTRIBUTE));
                return kept;
            }
        }
        let roles = assignable(org.default_roles(), reasons);
        if !roles.is_empty() {
            return roles;
        }
        policy.default_roles.clone()
    }

    /// Whether the host's index is older than the policy lets it decide joins on.
    fn index_stale(&self, ctx: &OrgContext) -> bool {
        let max_ms = f64::from(self.policy.organizations.index_max_age_seconds) * 1000.0;
        ctx.index_age_ms.is_some_and(|age| age > max_ms)
    }

    /// Organizations the user belongs to that claim nothing on the address's domain.
    fn unrelated_memberships(&self, index: &OrgIndex, domain: &str, member_of: &[String]) -> usize {
        let related: Vec<u32> = email::self_and_parents(domain).flat_map(|d| index.claims(d)).map(|c| c.org).collect();
        member_of.iter().filter(|id| !index.org_by_id(id).is_some_and(|(i, _)| related.contains(&i))).count()
    }
}

/// The index lookup alone, no policy: the organizations that verified the
/// address's exact domain and use it for discovery. For custom Actions (home
/// realm discovery, say) and for measuring the index.
pub fn verified_organizations<'i>(index: &'i OrgIndex, address: &str) -> Vec<&'i str> {
    let Ok(a) = email::parse(address) else { return Vec::new() };
    index
        .claims(&a.domain)
        .iter()
        .filter(|c| c.status == DomainStatus::Verified && c.discovery)
        .filter_map(|c| index.org(c.org).map(|o| o.id))
        .collect()
}

/// Post-login inside an organization whose metadata lists `ag_allowed_domains`:
/// a user whose address is not at one of them (or a subdomain) has no business
/// there, whatever added them. `None` when the organization sets no restriction
/// or the address passes.
pub fn login_domain_refusal(ctx: &crate::LoginContext) -> Option<Reason> {
    let listed = ctx.organization.as_ref()?.metadata.as_ref()?.get(index::META_ALLOWED_DOMAINS)?.as_str()?;
    let allowed: Vec<String> = listed.split(',').filter_map(|d| email::normalize_domain(d).ok()).collect();
    let address = ctx.user.as_ref().and_then(|u| u.email.as_deref()).and_then(|e| email::parse(e).ok());
    if !address.is_some_and(|a| allowed.iter().any(|d| email::within(&a.domain, d))) {
        return Some(Reason::of(&signals::ORGANIZATION_DOMAIN_NOT_ALLOWED));
    }
    // Anyone can type an address at an allowed domain: only a verified one counts.
    if ctx.user.as_ref().and_then(|u| u.email_verified) != Some(true) {
        return Some(Reason::of(&signals::ORGANIZATION_EMAIL_UNVERIFIED));
    }
    None
}

/// What a watched decision may carry out: a suggestion at most. A join or an
/// invitation becomes a suggestion of the same organization; a completion of roles
/// or a proposal becomes nothing.
fn watched(outcome: Outcome) -> Outcome {
    match (outcome.action, outcome.organization) {
        (OrgAction::Join | OrgAction::Invite, Some(org)) => {
            Outcome { action: OrgAction::Suggest, organization: None, candidates: vec![org], proposal: None, ..outcome }
        }
        (OrgAction::Join | OrgAction::Invite | OrgAction::CompleteRoles | OrgAction::CreateForApproval, _) => {
            Outcome { action: OrgAction::None, proposal: None, ..outcome }
        }
        (OrgAction::Suggest | OrgAction::None, _) => outcome,
    }
}

/// A join or an invitation from a stale index becomes a suggestion of the same
/// organization; anything else already writes nothing on the index's word.
fn only_suggest(outcome: Outcome) -> Outcome {
    match (outcome.action, outcome.organization) {
        (OrgAction::Join | OrgAction::Invite, Some(org)) => {
            let mut reasons = vec![Reason::of(&signals::ORGANIZATION_INDEX_STALE)];
            reasons.extend(outcome.reasons);
            Outcome { action: OrgAction::Suggest, organization: None, candidates: vec![org], proposal: None, reasons }
        }
        _ => outcome,
    }
}

fn dedup(orgs: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for o in orgs {
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// The longest domain whose name is the domain itself, character for character.
const MAX_MAPPED_DOMAIN: usize = 49;
/// Hex digits of SHA-256 in the name of a longer domain (48 bits).
const NAME_HASH_HEX: usize = 12;

/// A proposal for a registrable domain, its name unique per domain (names are how
/// `scripts/approvals` finds an organization again, so two domains must never share
/// one: `acme-co.uk` and `acme.co.uk` once both became `acme-co-uk`).
fn proposal_for(registrable: &str) -> Proposal {
    let (display, _) = idna::domain_to_unicode(registrable);
    Proposal { name: proposal_name(registrable), display_name: display.chars().take(255).collect(), domain: registrable.to_string() }
}

/// An Auth0-valid organization name (`[a-z0-9_-]{1,50}`), one per domain: a
/// normalized domain of up to 49 characters maps one to one, dots to `-` and
/// hyphens to `_` (`acme-co.uk` -> `acme_co-uk`, `acme.co.uk` -> `acme-co-uk`),
/// so distinct domains give distinct names of the domain's length. Any other input
/// gives exactly 50 characters, never the length of a mapped name: the first 37
/// characters so mapped (padded with `_`), `-`, and 12 hex digits of SHA-256 of
/// the whole domain.
fn proposal_name(domain: &str) -> String {
    let mapped = |c: char| match c {
        'a'..='z' | '0'..='9' => c,
        'A'..='Z' => c.to_ascii_lowercase(),
        '.' => '-',
        _ => '_',
    };
    let one_to_one = domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if one_to_one && !domain.is_empty() && domain.len() <= MAX_MAPPED_DOMAIN {
        return domain.chars().map(mapped).collect();
    }
    let digest = Sha256::digest(format!("actionguard/org-name/v1\0{domain}").as_bytes());
    let prefix = 50 - 1 - NAME_HASH_HEX;
    let mut name: String = domain.chars().map(mapped).chain(std::iter::repeat('_')).take(prefix).collect();
    name.push('-');
    crate::hex::push_hex(&mut name, digest.get(..NAME_HASH_HEX / 2).unwrap_or_default());
    name
}

#[cfg(test)]
mod tests;
