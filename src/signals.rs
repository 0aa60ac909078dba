//! The one catalogue of reasons: every piece of weighted evidence a decision
//! can cite ([`Signal`]: code, group, weight, floor, message), and every rule a
//! decision applies ([`PolicyReason`]: code, message, what a person is told). Login risk
//! (`risk::rules`, `risk::auth0`) and sign-up screening (`signup`) take their
//! signals from here, every decision its policy reasons, and `docs/reasons.md` is
//! generated from [`CATALOGUE`] and [`POLICY_REASONS`] (a test fails when it is out
//! of date), so a weight or a message lives in one place.
//!
//! Weights are the strength of one piece of evidence alone, in [0, 1]. Within a
//! group the strongest signal counts; groups combine by noisy-OR
//! (`risk::combine`). Under the default thresholds (challenge 0.5, deny 0.9) a
//! typical account takeover (new country and new device, or a hosting network
//! with an automation client) is challenged, and one ordinary novelty (a new
//! phone, a new Wi-Fi) is not. A floor is the least a login gets whatever its
//! score; sign-up screening reads weights only (it refuses on combined
//! evidence, never on one soft signal).

/// The least a login gets, whatever its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Floor {
    Challenge,
    Deny,
}

impl Floor {
    pub fn as_str(self) -> &'static str {
        match self {
            Floor::Challenge => "challenge",
            Floor::Deny => "deny",
        }
    }
}

/// One piece of evidence: a stable code, its group, its weight in [0, 1] (the
/// strength of this evidence alone), an optional floor, and text for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub code: &'static str,
    pub group: &'static str,
    pub weight: f64,
    pub floor: Option<Floor>,
    pub message: &'static str,
}

const fn s(code: &'static str, group: &'static str, weight: f64, floor: Option<Floor>, message: &'static str) -> Signal {
    Signal { code, group, weight, floor, message }
}

// ---- Travel and location (post-login, from the user's history) ----
pub const IMPOSSIBLE_TRAVEL: Signal =
    s("impossible_travel", "travel", 0.8, Some(Floor::Challenge), "travel from the last login would need more than 900 km/h");
pub const FAST_TRAVEL: Signal = s("fast_travel", "travel", 0.3, None, "travel from the last login would need more than 500 km/h");
pub const NEW_COUNTRY: Signal = s("new_country", "location", 0.35, None, "first login from this country");

// ---- Network ----
pub const NEW_ASN: Signal = s("new_asn", "network", 0.15, None, "first login from this network operator");
pub const NEW_NETWORK: Signal = s("new_network", "network", 0.1, None, "first login from this network");
/// Shared by login and sign-up.
pub const HOSTING_NETWORK: Signal =
    s("hosting_network", "network", 0.35, None, "the request comes from a hosting or VPN provider's network");

// ---- Device and user agent ----
pub const NEW_DEVICE: Signal = s("new_device", "device", 0.25, None, "first login with this browser and operating system");
/// Shared by login and sign-up (sign-up reads no floor).
pub const AUTOMATED_CLIENT: Signal =
    s("automated_client", "agent", 0.6, Some(Floor::Challenge), "the user agent is an HTTP library or tool, not a browser");
/// Shared by login and sign-up (sign-up reads no floor).
pub const HEADLESS_BROWSER: Signal =
    s("headless_browser", "agent", 0.6, Some(Floor::Challenge), "the user agent is a browser driven by a program");
/// Shared by login and sign-up.
pub const MISSING_USER_AGENT: Signal = s("missing_user_agent", "agent", 0.3, None, "the request has no user agent");

// ---- Velocity and time (post-login, from the user's history) ----
pub const LOGIN_BURST: Signal = s("login_burst", "velocity", 0.3, None, "five or more logins in the last ten minutes");
pub const LOGIN_BURST_HEAVY: Signal = s("login_burst_heavy", "velocity", 0.5, None, "ten or more logins in the last ten minutes");
pub const UNUSUAL_HOUR: Signal = s("unusual_hour", "time", 0.1, None, "a local hour at which this user has not logged in before");

// ---- The tenant's policy ----
pub const NETWORK_DENIED: Signal =
    s("network_denied_by_policy", "policy", 1.0, Some(Floor::Deny), "the IP address is on the tenant's deny list");
pub const COUNTRY_DENIED: Signal =
    s("country_denied_by_policy", "policy", 1.0, Some(Floor::Deny), "the country is on the tenant's deny list");
pub const NETWORK_ALLOWED: Signal = s(
    "network_allowed_by_policy",
    "policy",
    0.0,
    None,
    "the IP address is on the tenant's trusted networks: network and location novelty ignored",
);

// ---- Auth0's adaptive-MFA `riskAssessment` (post-login) ----
// Impossible travel or a deny-listed IP alone asks for MFA, both together deny,
// and a new device alone does not bother the user. Both also set a challenge
// floor: no model score lowers them.
pub const AUTH0_IMPOSSIBLE_TRAVEL: Signal = s(
    "auth0_impossible_travel",
    "travel",
    0.8,
    Some(Floor::Challenge),
    "Auth0 reports travel from the last login that is physically impossible",
);
pub const AUTH0_SUBSTANTIAL_TRAVEL: Signal =
    s("auth0_substantial_travel", "travel", 0.25, None, "Auth0 reports substantial travel since the last login");
pub const AUTH0_ANONYMOUS_PROXY: Signal =
    s("auth0_anonymous_proxy", "network", 0.4, None, "Auth0 reports the login comes through an anonymous proxy");
pub const AUTH0_INVALID_TRAVEL: Signal =
    s("auth0_invalid_travel", "travel", 0.2, None, "Auth0 could not make sense of the travel since the last login");
pub const AUTH0_NEW_DEVICE: Signal = s("auth0_new_device", "device", 0.3, None, "Auth0 has not seen this device for this user");
pub const AUTH0_DEVICE_PARTIAL_MATCH: Signal =
    s("auth0_device_partial_match", "device", 0.1, None, "Auth0 only partly recognises this device");
pub const AUTH0_IP_ON_DENY_LIST: Signal =
    s("auth0_ip_on_deny_list", "reputation", 0.85, Some(Floor::Challenge), "Auth0 lists this IP address as low-reputation");
pub const AUTH0_INVALID_IP: Signal = s("auth0_invalid_ip", "reputation", 0.2, None, "Auth0 could not read the IP address of the request");
// Overall confidence corroborates the individual assessments; it is weighted
// low because those assessments already carry the evidence it summarises.
pub const AUTH0_CONFIDENCE_LOW: Signal =
    s("auth0_confidence_low", "confidence", 0.25, None, "Auth0's overall confidence that this is the user is low");
pub const AUTH0_CONFIDENCE_MEDIUM: Signal =
    s("auth0_confidence_medium", "confidence", 0.1, None, "Auth0's overall confidence that this is the user is medium");

// ---- The control plane's threat feed (`threat`), weights and floors overridable ----
// Seen across tenants: a source stuffing other organizations' accounts, or an account
// bombed with MFA pushes, is evidence a single tenant's view misses. Alone, each asks
// for MFA (a floor); together they stay below a deny: the feed is the control plane's
// inference, and a person can answer a challenge. The policy's `threat_feed` section
// may raise the weights and floors (an organization only ever raises them).
pub const NETWORK_UNDER_ATTACK: Signal = s(
    "network_under_attack",
    "threat_network",
    0.6,
    Some(Floor::Challenge),
    "the threat feed lists this network as the source of an attack (credential stuffing, a sign-up wave)",
);
pub const ACCOUNT_UNDER_ATTACK: Signal = s(
    "account_under_attack",
    "threat_account",
    0.5,
    Some(Floor::Challenge),
    "the threat feed lists this account as under attack (credential stuffing, MFA fatigue, a breached password)",
);

/// Which decisions cite a signal.
pub const LOGIN: &[&str] = &["post-login"];
pub const LOGIN_AND_SIGNUP: &[&str] = &["post-login", "pre-user-registration"];

/// Every signal and the decisions that cite it: the source of `docs/reasons.md`.
pub const CATALOGUE: &[(&Signal, &[&str])] = &[
    (&IMPOSSIBLE_TRAVEL, LOGIN),
    (&FAST_TRAVEL, LOGIN),
    (&NEW_COUNTRY, LOGIN),
    (&NEW_ASN, LOGIN),
    (&NEW_NETWORK, LOGIN),
    (&HOSTING_NETWORK, LOGIN_AND_SIGNUP),
    (&NEW_DEVICE, LOGIN),
    (&AUTOMATED_CLIENT, LOGIN_AND_SIGNUP),
    (&HEADLESS_BROWSER, LOGIN_AND_SIGNUP),
    (&MISSING_USER_AGENT, LOGIN_AND_SIGNUP),
    (&LOGIN_BURST, LOGIN),
    (&LOGIN_BURST_HEAVY, LOGIN),
    (&UNUSUAL_HOUR, LOGIN),
    (&NETWORK_DENIED, LOGIN),
    (&COUNTRY_DENIED, LOGIN),
    (&NETWORK_ALLOWED, LOGIN),
    (&AUTH0_IMPOSSIBLE_TRAVEL, LOGIN),
    (&AUTH0_SUBSTANTIAL_TRAVEL, LOGIN),
    (&AUTH0_ANONYMOUS_PROXY, LOGIN),
    (&AUTH0_INVALID_TRAVEL, LOGIN),
    (&AUTH0_NEW_DEVICE, LOGIN),
    (&AUTH0_DEVICE_PARTIAL_MATCH, LOGIN),
    (&AUTH0_IP_ON_DENY_LIST, LOGIN),
    (&AUTH0_INVALID_IP, LOGIN),
    (&AUTH0_CONFIDENCE_LOW, LOGIN),
    (&AUTH0_CONFIDENCE_MEDIUM, LOGIN),
    (&NETWORK_UNDER_ATTACK, LOGIN_AND_SIGNUP),
    (&ACCOUNT_UNDER_ATTACK, LOGIN),
];

/// A reason that is not weighted evidence: what a rule of the policy or of the
/// decision did, cited by its code. `message` is the audit record's sentence;
/// where a decision adds the figures it compared, `<...>` marks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyReason {
    pub code: &'static str,
    pub message: &'static str,
    /// What a person signing up is told when this rule refuses them.
    pub user_message: Option<&'static str>,
}

const fn rule(code: &'static str, message: &'static str) -> PolicyReason {
    PolicyReason { code, message, user_message: None }
}

const fn refusal(code: &'static str, message: &'static str, user_message: &'static str) -> PolicyReason {
    PolicyReason { code, message, user_message: Some(user_message) }
}

// ---- Reasons of post-login ----
pub const FLOOR_DENY: PolicyReason = rule("floor_deny", "hard evidence requires a deny whatever the score");
pub const FLOOR_CHALLENGE: PolicyReason = rule("floor_challenge", "hard evidence requires MFA whatever the score");
pub const MFA_REQUIRED_BY_POLICY: PolicyReason = rule("mfa_required_by_policy", "the policy requires MFA on every login");
pub const MFA_DISABLED_BY_POLICY: PolicyReason = rule("mfa_disabled_by_policy", "a challenge was due but the policy never asks for MFA");
pub const MFA_ENROLMENT_REQUIRED: PolicyReason =
    rule("mfa_enrolment_required", "no factor allowed by the policy is enrolled; the user must enrol one");
pub const MFA_UNAVAILABLE: PolicyReason =
    rule("mfa_unavailable", "a challenge was due, no allowed factor is enrolled and the policy denies instead of enrolling");
pub const RISK_SCORE_DENY: PolicyReason = rule("risk_score_deny", "risk score <score> is at or above the deny threshold <thresholds.deny>");
pub const RISK_SCORE_AMBIGUOUS: PolicyReason =
    rule("risk_score_ambiguous", "risk score <score> is in the ambiguous band [<from>, <to>); the policy falls back to <fallback>");
pub const LLM_DECISION: PolicyReason = rule("llm_decision", "the LLM escalation chose <outcome> among the band's options");
pub const LLM_BUDGET_UNAVAILABLE: PolicyReason = rule(
    "llm_budget_unavailable",
    "the LLM's rate limit could not be stored in api.cache (full, or not read back): the LLM was not asked, the fallback applies",
);
pub const RISK_SCORE_CHALLENGE: PolicyReason =
    rule("risk_score_challenge", "risk score <score> is at or above the challenge threshold <thresholds.challenge>");
pub const NON_INTERACTIVE_DENIED: PolicyReason = rule(
    "non_interactive_denied",
    "a challenge was due in a flow with nobody to answer it (a refresh-token exchange); the policy denies it, so the user logs in again",
);
pub const NON_INTERACTIVE_ALLOWED: PolicyReason = rule(
    "non_interactive_allowed",
    "a challenge was due in a flow with nobody to answer it (a refresh-token exchange); the policy lets it through",
);
pub const ORGANIZATION_DOMAIN_NOT_ALLOWED: PolicyReason = rule(
    "organization_domain_not_allowed",
    "the organization only admits addresses at its allowed domains (ag_allowed_domains), and this user's is not one",
);
pub const ORGANIZATION_EMAIL_UNVERIFIED: PolicyReason = rule(
    "organization_email_unverified",
    "the organization only admits addresses at its allowed domains (ag_allowed_domains), and this user's is not verified",
);

// ---- Reasons of pre-user-registration (in the order their deny wins) ----
pub const EMAIL_INVALID: PolicyReason =
    refusal("email_invalid", "the email address is malformed", "Please check your email address: it does not look valid.");
pub const SIGNUP_DOMAIN_NOT_ALLOWED: PolicyReason = refusal(
    "domain_not_allowed",
    "the email domain is not on the tenant's list of allowed sign-up domains",
    "Sign-up is limited to approved organizations. Please use your work email address or contact your administrator.",
);
pub const SIGNUP_DOMAIN_BLOCKED: PolicyReason = refusal(
    "domain_blocked",
    "the email domain is on the tenant's list of blocked domains",
    "Sign-ups with this email domain are not accepted. Please use a different email address.",
);
pub const DISPOSABLE_EMAIL: PolicyReason = refusal(
    "disposable_email",
    "the email domain is a disposable (throwaway) mail service",
    "Temporary email addresses are not accepted. Please sign up with an address you keep.",
);
pub const FREE_MAIL_NOT_ALLOWED: PolicyReason = refusal(
    "free_mail_not_allowed",
    "the email domain is a free webmail service and the policy requires a work address",
    "Please sign up with your work email address.",
);
pub const NETWORK_DENIED_RULE: PolicyReason = refusal(
    NETWORK_DENIED.code,
    NETWORK_DENIED.message,
    "Sign-ups from your network are not accepted. Please contact support if you think this is a mistake.",
);
pub const COUNTRY_DENIED_RULE: PolicyReason = refusal(
    COUNTRY_DENIED.code,
    COUNTRY_DENIED.message,
    "Sign-ups from your location are not accepted. Please contact support if you think this is a mistake.",
);
pub const SIGNUP_BURST_IP: PolicyReason = refusal(
    "signup_burst_ip",
    "too many sign-up attempts from this IP address in the policy's window",
    "Too many sign-ups from your network in the last few minutes. Please try again later.",
);
pub const SIGNUP_BURST_NETWORK: PolicyReason = refusal(
    "signup_burst_network",
    "too many sign-up attempts from this network (/24 or /48) in the policy's window",
    "Too many sign-ups from your network in the last few minutes. Please try again later.",
);
pub const SIGNUP_BURST_DOMAIN: PolicyReason = refusal(
    "signup_burst_domain",
    "too many sign-up attempts with this email domain in the policy's window",
    "Too many sign-ups with this email domain in the last few minutes. Please try again later.",
);
pub const SIGNUP_RISK_TOO_HIGH: PolicyReason = refusal(
    "risk_too_high",
    "the sign-up looks automated (evidence combined at or above signup.deny_score)",
    "We could not complete this sign-up. Please try again from a regular browser, or contact support.",
);

// ---- Reasons of credentials-exchange ----
pub const CLIENT_NETWORK_NOT_ALLOWED: PolicyReason =
    rule("client_network_not_allowed", "the client asked from outside the networks the policy allows it");
pub const AUDIENCE_NOT_ALLOWED: PolicyReason = rule("audience_not_allowed", "the policy does not let this client get tokens for this API");
pub const CLIENT_NOT_LISTED: PolicyReason = rule("client_not_listed", "the policy only issues tokens to the clients it lists");
pub const SCOPE_EXCEEDS_CAP: PolicyReason =
    rule("scope_exceeds_cap", "the token would carry scopes beyond the client's cap: <the first five, and how many more>");

// ---- Reasons of organization discovery ----
pub const NO_EMAIL: PolicyReason = rule("no_email", "the user has no email address to map");
pub const FREE_MAIL_NEVER_MAPS: PolicyReason = rule("free_mail_never_maps", "free webmail domains never map to an organization");
pub const DISPOSABLE_NEVER_MAPS: PolicyReason = rule("disposable_never_maps", "disposable mail domains never map to an organization");
pub const ORG_DOMAIN_BLOCKED: PolicyReason = rule("domain_blocked", "the tenant excludes this domain from organization discovery");
pub const PUBLIC_SUFFIX: PolicyReason = rule("public_suffix", "the domain is a public suffix, which no one organization owns");
pub const DOMAIN_CLAIMED_BY_SEVERAL: PolicyReason =
    rule("domain_claimed_by_several", "several organizations claim this domain: a person must choose");
pub const DISCOVERY_DISABLED: PolicyReason =
    rule("discovery_disabled", "the organization claiming this domain does not use it for discovery");
pub const SUBDOMAIN_OF_CLAIMED_DOMAIN: PolicyReason =
    rule("subdomain_of_claimed_domain", "a parent domain is claimed; subdomains are not joined automatically");
pub const EMAIL_UNVERIFIED_NO_PROPOSAL: PolicyReason =
    rule("email_unverified", "a new organization is proposed only for a verified address");
pub const NO_ORGANIZATION: PolicyReason = rule("no_organization", "no organization claims this domain");
pub const AUTO_JOIN_DISABLED: PolicyReason = rule("auto_join_disabled", "the organization's policy does not allow automatic membership");
pub const ALREADY_MEMBER: PolicyReason = rule("already_member", "the user already belongs to the organization that claims the domain");
pub const VERIFIED_DOMAIN_MATCH: PolicyReason =
    rule("verified_domain_match", "the organization verified this domain and uses it for discovery; the address is verified");
pub const EMAIL_UNVERIFIED_INVITE: PolicyReason =
    rule("email_unverified_invite", "the address is not verified: an invitation to it proves it before membership");
pub const EMAIL_UNVERIFIED_NO_INVITE: PolicyReason = rule("email_unverified", "the address is not verified and the policy does not invite");
pub const CONNECTION_NOT_TRUSTED: PolicyReason = rule(
    "connection_not_trusted",
    "the address was asserted by an enterprise or social connection that the organization has not enabled and `organizations.trusted_connections` does not list: suggest only, never join, invite or propose",
);
pub const LLM_CHOICE: PolicyReason =
    rule("llm_choice", "the LLM escalation chose one of the candidate organizations; it stays a suggestion");
pub const LLM_NO_MATCH: PolicyReason = rule("llm_no_match", "the LLM escalation found none of the candidate organizations a match");
pub const MULTIPLE_UNRELATED_ORGANIZATIONS: PolicyReason =
    rule("multiple_unrelated_organizations", "the user already belongs to two or more organizations that do not claim their email domain");
pub const JOIN_ROLES_COMPLETED: PolicyReason =
    rule("join_roles_completed", "a first login completes the join: the member gets the roles a join gives");
pub const ORGANIZATION_INDEX_STALE: PolicyReason = rule(
    "organization_index_stale",
    "the organization index is older than organizations.index_max_age_seconds (its refreshes failed), so it may hold a domain since removed: suggest only",
);
pub const NO_ORGANIZATION_SELF_SERVE: PolicyReason =
    rule("no_organization_self_serve", "no organization claims this work domain; the policy lets a person approve a new one");
pub const ROLE_FROM_ATTRIBUTE: PolicyReason =
    rule("role_from_attribute", "the role comes from the organization's mapping of the user's app_metadata attribute");
pub const ROLE_NOT_ASSIGNABLE: PolicyReason =
    rule("role_not_assignable", "a role the organization's metadata names is not in `organizations.assignable_roles`, so it is not given");
pub const DOMAIN_PENDING: PolicyReason = rule("domain_pending", "the domain's claim is not verified yet");
pub const DOMAIN_CLAIMED_IN_METADATA: PolicyReason =
    rule("domain_claimed_in_metadata", "the domain is claimed only in organization metadata, which is not verified");

// ---- Reasons of bulk membership (`governance::roster`: `actionguard members import`) ----
pub const IMPORT_ROW_MALFORMED: PolicyReason = rule(
    "import_row_malformed",
    "the row is not well-formed CSV (a number of fields other than the header's, or a quote out of place): not imported",
);
pub const IMPORT_FIELD_INVALID: PolicyReason = rule(
    "import_field_invalid",
    "the row's name or department is over 256 characters, or holds control or bidirectional override characters: not imported",
);
pub const IMPORT_EMAIL_MISSING: PolicyReason = rule("import_email_missing", "the row has no email address: not imported");
pub const IMPORT_EMAIL_INVALID: PolicyReason =
    rule("import_email_invalid", "the row's email address is not one a mail server would accept: not imported");
pub const IMPORT_EMAIL_DUPLICATE: PolicyReason = rule(
    "import_email_duplicate",
    "the address (compared case-insensitively, its domain normalized) is on an earlier line: only that line is imported",
);
pub const IMPORT_DOMAIN_PENDING: PolicyReason = rule(
    "import_domain_pending",
    "the address's domain is a discovery domain of the organization still pending DNS verification: not imported until it is verified",
);
pub const IMPORT_DOMAIN_OUTSIDE: PolicyReason = rule(
    "import_domain_outside",
    "the address's domain is none of the organization's verified discovery domains (a subdomain needs its own): not imported",
);
pub const IMPORT_INVITE: PolicyReason = rule("import_invite", "no user has this address yet: invited (accepting proves the mailbox)");
pub const IMPORT_INVITE_UNVERIFIED: PolicyReason =
    rule("import_invite_unverified", "the user with this address has not verified it: invited, not added");
pub const IMPORT_INVITE_SEVERAL_USERS: PolicyReason =
    rule("import_invite_several_users", "several users have this address: invited, so that the person picks the account");
pub const IMPORT_INVITE_UNTRUSTED_CONNECTION: PolicyReason = rule(
    "import_invite_untrusted_connection",
    "the user's address is verified by a connection that is neither a database nor enabled for the organization (any IdP can assert an address): invited, not added",
);
pub const IMPORT_ADD_VERIFIED_USER: PolicyReason = rule(
    "import_add_verified_user",
    "the user verified this address through a database connection or one the organization enabled, at a domain the organization verified: added as a member directly",
);
pub const IMPORT_ROLES_REASSIGNED: PolicyReason = rule(
    "import_roles_reassigned",
    "this approval's earlier attempt left the member without its roles (interrupted or failed): the roles were assigned again",
);
pub const IMPORT_ALREADY_MEMBER: PolicyReason =
    rule("import_already_member", "a user with this address is already a member of the organization: nothing written");
pub const IMPORT_ALREADY_INVITED: PolicyReason =
    rule("import_already_invited", "the address already has an invitation to the organization: nothing written");
pub const IMPORT_ROLE_FROM_ROLE_MAP: PolicyReason =
    rule("import_role_from_role_map", "the department is a key of the organization's `ag_role_map` (organizations.role_attribute)");
pub const IMPORT_ROLE_NORMALIZED: PolicyReason = rule(
    "import_role_normalized",
    "the department matches a key of the organization's `ag_role_map` once case, punctuation, `&` and common abbreviations are normalized",
);
pub const IMPORT_ROLE_FROM_LLM: PolicyReason =
    rule("import_role_from_llm", "the LLM mapped the department's name (the name only) to one of the tenant's role names");
pub const IMPORT_DEPARTMENT_UNMAPPED: PolicyReason =
    rule("import_department_unmapped", "neither the role map nor the LLM maps the department: its rows get no role");
pub const IMPORT_DEPARTMENT_AMBIGUOUS: PolicyReason =
    rule("import_department_ambiguous", "once normalized, the department matches keys of `ag_role_map` naming different roles: not mapped");
pub const IMPORT_ROLE_UNKNOWN: PolicyReason =
    rule("import_role_unknown", "the role `ag_role_map` names for the department is none of the tenant's roles: not given");
pub const IMPORT_ROLE_NOT_ASSIGNABLE: PolicyReason =
    rule("import_role_not_assignable", "the role the department maps to is not in `organizations.assignable_roles`: not given");
pub const IMPORT_MEMBERS_PROPOSED: PolicyReason = rule(
    "import_members_proposed",
    "an employee list, checked row by row and its departments mapped to roles, to invite or add to the organization once approved",
);

// ---- Reasons of every decision: monitor mode and gradual enforcement (`enforcement`) ----
pub const ENFORCEMENT_MONITOR: PolicyReason = rule(
    "enforcement_monitor",
    "the policy watches <kind> decisions (enforcement.<kind>.mode is monitor): the decision is recorded as would_outcome, nothing is applied",
);
pub const ENFORCEMENT_OUTSIDE_PERCENT: PolicyReason = rule(
    "enforcement_outside_percent",
    "the subject is outside the <percent>% of subjects enforcement.<kind>.percent enforces: the decision is recorded as would_outcome, nothing is applied",
);

// ---- Reasons of organization classification (`governance::classify`; weights in its `rules`) ----
pub const CLASSIFY_DOMAINS_INTERNAL: PolicyReason = rule(
    "classify_domains_internal",
    "every domain of the organization is verified and inside governance.classify.internal_domains: internal, whatever else it shows",
);
pub const CLASSIFY_DOMAINS_INTERNAL_PENDING: PolicyReason = rule(
    "classify_domains_internal_pending",
    "every domain of the organization is inside governance.classify.internal_domains, not all verified",
);
pub const CLASSIFY_DOMAINS_PARTLY_INTERNAL: PolicyReason = rule(
    "classify_domains_partly_internal",
    "some of the organization's domains are inside governance.classify.internal_domains, others are not",
);
pub const CLASSIFY_DOMAIN_VERIFIED: PolicyReason =
    rule("classify_domain_verified", "the organization verified a domain of its own (DNS): a customer that proved ownership");
pub const CLASSIFY_ENTERPRISE_CONNECTION: PolicyReason = rule(
    "classify_enterprise_connection",
    "an enterprise connection (SAML, OIDC, Azure AD, ADFS, Okta, PingFederate, Google Workspace, AD/LDAP) is enabled for the organization",
);
pub const CLASSIFY_METADATA_TRIAL: PolicyReason =
    rule("classify_metadata_trial", "a plan or contract field of the organization's metadata says trial, free, pilot or proof of concept");
pub const CLASSIFY_METADATA_ENTERPRISE: PolicyReason =
    rule("classify_metadata_enterprise", "a plan or contract field of the organization's metadata says enterprise or a paid contract");
pub const CLASSIFY_METADATA_PARTNER: PolicyReason = rule(
    "classify_metadata_partner",
    "a plan or contract field of the organization's metadata says partner, reseller or managed service provider",
);
pub const CLASSIFY_METADATA_INTERNAL: PolicyReason = rule(
    "classify_metadata_internal",
    "a field of the organization's metadata says internal, employees or staff (unverified: a weak signal)",
);
pub const CLASSIFY_YOUNG: PolicyReason =
    rule("classify_young", "the organization is less than 30 days old (created, else first seen in the logs)");
pub const CLASSIFY_ESTABLISHED: PolicyReason =
    rule("classify_established", "the organization is more than 180 days old: few trials last that long, a customer's account does");
pub const CLASSIFY_FEW_MEMBERS: PolicyReason = rule("classify_few_members", "the organization has 1 to 5 members");
pub const CLASSIFY_MANY_MEMBERS: PolicyReason = rule("classify_many_members", "the organization has 50 members or more");
pub const CLASSIFY_MANY_ACTIVE: PolicyReason =
    rule("classify_many_active", "20 or more of the organization's users logged in over the last 30 days (stored logs)");
pub const CLASSIFY_NO_SIGNALS: PolicyReason = rule("classify_no_signals", "no rule applies to the organization: unknown");
pub const CLASSIFY_AMBIGUOUS: PolicyReason = rule(
    "classify_ambiguous",
    "no label reaches governance.classify.min_score, or the top two are within governance.classify.margin: the rules do not decide",
);
pub const CLASSIFY_LLM_CHOICE: PolicyReason =
    rule("classify_llm_choice", "the LLM escalation chose the label among those the rules left in contention");
pub const CLASSIFY_LLM_NO_ANSWER: PolicyReason = rule(
    "classify_llm_no_answer",
    "the LLM escalation gave no usable answer (failed, invalid, out of the options or not confident enough): unknown, nothing proposed",
);

pub const SIGNUP: &[&str] = &["pre-user-registration"];
pub const SIGNUP_AND_ORGS: &[&str] = &["pre-user-registration", "organization-discovery"];
pub const SIGNUP_AND_M2M: &[&str] = &["pre-user-registration", "credentials-exchange"];
pub const M2M: &[&str] = &["credentials-exchange"];
pub const ORGS: &[&str] = &["organization-discovery"];
pub const REVIEW: &[&str] = &["access-review"];
pub const CLASSIFY: &[&str] = &["organization-classification"];
pub const IMPORT: &[&str] = &["members-import"];
pub const EVERY_DECISION: &[&str] = &["post-login", "pre-user-registration", "credentials-exchange", "organization-discovery"];

// ---- Reasons of access reviews (governance::review) ----
pub const REVIEW_MEMBER_STALE: PolicyReason = rule(
    "member_stale",
    "no successful login (the stored logs first, Auth0's last_login when they do not reach back) in governance.review.stale_days",
);
pub const REVIEW_UNRELATED_ORGANIZATIONS: PolicyReason =
    rule("member_of_unrelated_organizations", "the user belongs to two or more organizations that do not claim their email domain");
pub const REVIEW_DOMAIN_OUTSIDE: PolicyReason =
    rule("member_domain_outside", "the member's email domain is outside every domain the organization claims");
pub const REVIEW_DOMAIN_PENDING: PolicyReason = rule(
    "domain_pending_too_long",
    "a discovery domain is still pending governance.review.pending_domain_days after a review first saw it",
);
pub const REVIEW_MFA_UNUSED: PolicyReason =
    rule("mfa_required_unused", "the organization's policy requires MFA and none of its members completed MFA in the stored logs");
pub const REVIEW_STRICTER_TIER: PolicyReason = rule(
    "members_unrelated_share",
    "governance.review.stricter_share or more of the members are outside the organization's domains or in unrelated organizations: governance.review.stricter_tier proposed",
);

/// Every policy reason and the decisions that cite it: the second table of `docs/reasons.md`.
pub const POLICY_REASONS: &[(&PolicyReason, &[&str])] = &[
    (&FLOOR_DENY, LOGIN),
    (&FLOOR_CHALLENGE, LOGIN),
    (&MFA_REQUIRED_BY_POLICY, LOGIN),
    (&MFA_DISABLED_BY_POLICY, LOGIN),
    (&MFA_ENROLMENT_REQUIRED, LOGIN),
    (&MFA_UNAVAILABLE, LOGIN),
    (&RISK_SCORE_DENY, LOGIN),
    (&RISK_SCORE_AMBIGUOUS, LOGIN),
    (&LLM_DECISION, LOGIN),
    (&LLM_BUDGET_UNAVAILABLE, LOGIN),
    (&RISK_SCORE_CHALLENGE, LOGIN),
    (&NON_INTERACTIVE_DENIED, LOGIN),
    (&NON_INTERACTIVE_ALLOWED, LOGIN),
    (&ORGANIZATION_DOMAIN_NOT_ALLOWED, LOGIN),
    (&ORGANIZATION_EMAIL_UNVERIFIED, LOGIN),
    (&EMAIL_INVALID, SIGNUP_AND_ORGS),
    (&SIGNUP_DOMAIN_NOT_ALLOWED, SIGNUP),
    (&SIGNUP_DOMAIN_BLOCKED, SIGNUP),
    (&DISPOSABLE_EMAIL, SIGNUP),
    (&FREE_MAIL_NOT_ALLOWED, SIGNUP),
    (&NETWORK_DENIED_RULE, SIGNUP_AND_M2M),
    (&COUNTRY_DENIED_RULE, SIGNUP_AND_M2M),
    (&SIGNUP_BURST_IP, SIGNUP),
    (&SIGNUP_BURST_NETWORK, SIGNUP),
    (&SIGNUP_BURST_DOMAIN, SIGNUP),
    (&SIGNUP_RISK_TOO_HIGH, SIGNUP),
    (&CLIENT_NETWORK_NOT_ALLOWED, M2M),
    (&AUDIENCE_NOT_ALLOWED, M2M),
    (&CLIENT_NOT_LISTED, M2M),
    (&SCOPE_EXCEEDS_CAP, M2M),
    (&NO_EMAIL, ORGS),
    (&FREE_MAIL_NEVER_MAPS, ORGS),
    (&DISPOSABLE_NEVER_MAPS, ORGS),
    (&ORG_DOMAIN_BLOCKED, ORGS),
    (&PUBLIC_SUFFIX, ORGS),
    (&DOMAIN_CLAIMED_BY_SEVERAL, ORGS),
    (&DISCOVERY_DISABLED, ORGS),
    (&SUBDOMAIN_OF_CLAIMED_DOMAIN, ORGS),
    (&EMAIL_UNVERIFIED_NO_PROPOSAL, ORGS),
    (&NO_ORGANIZATION, ORGS),
    (&AUTO_JOIN_DISABLED, ORGS),
    (&ALREADY_MEMBER, ORGS),
    (&VERIFIED_DOMAIN_MATCH, ORGS),
    (&EMAIL_UNVERIFIED_INVITE, ORGS),
    (&EMAIL_UNVERIFIED_NO_INVITE, ORGS),
    (&CONNECTION_NOT_TRUSTED, ORGS),
    (&LLM_CHOICE, ORGS),
    (&LLM_NO_MATCH, ORGS),
    (&MULTIPLE_UNRELATED_ORGANIZATIONS, ORGS),
    (&JOIN_ROLES_COMPLETED, ORGS),
    (&ORGANIZATION_INDEX_STALE, ORGS),
    (&NO_ORGANIZATION_SELF_SERVE, ORGS),
    (&ROLE_FROM_ATTRIBUTE, ORGS),
    (&ROLE_NOT_ASSIGNABLE, ORGS),
    (&DOMAIN_PENDING, ORGS),
    (&DOMAIN_CLAIMED_IN_METADATA, ORGS),
    (&CLASSIFY_DOMAINS_INTERNAL, CLASSIFY),
    (&CLASSIFY_DOMAINS_INTERNAL_PENDING, CLASSIFY),
    (&CLASSIFY_DOMAINS_PARTLY_INTERNAL, CLASSIFY),
    (&CLASSIFY_DOMAIN_VERIFIED, CLASSIFY),
    (&CLASSIFY_ENTERPRISE_CONNECTION, CLASSIFY),
    (&CLASSIFY_METADATA_TRIAL, CLASSIFY),
    (&CLASSIFY_METADATA_ENTERPRISE, CLASSIFY),
    (&CLASSIFY_METADATA_PARTNER, CLASSIFY),
    (&CLASSIFY_METADATA_INTERNAL, CLASSIFY),
    (&CLASSIFY_YOUNG, CLASSIFY),
    (&CLASSIFY_ESTABLISHED, CLASSIFY),
    (&CLASSIFY_FEW_MEMBERS, CLASSIFY),
    (&CLASSIFY_MANY_MEMBERS, CLASSIFY),
    (&CLASSIFY_MANY_ACTIVE, CLASSIFY),
    (&CLASSIFY_NO_SIGNALS, CLASSIFY),
    (&CLASSIFY_AMBIGUOUS, CLASSIFY),
    (&CLASSIFY_LLM_CHOICE, CLASSIFY),
    (&CLASSIFY_LLM_NO_ANSWER, CLASSIFY),
    (&REVIEW_MEMBER_STALE, REVIEW),
    (&REVIEW_UNRELATED_ORGANIZATIONS, REVIEW),
    (&REVIEW_DOMAIN_OUTSIDE, REVIEW),
    (&REVIEW_DOMAIN_PENDING, REVIEW),
    (&REVIEW_MFA_UNUSED, REVIEW),
    (&REVIEW_STRICTER_TIER, REVIEW),
    (&ENFORCEMENT_MONITOR, EVERY_DECISION),
    (&ENFORCEMENT_OUTSIDE_PERCENT, EVERY_DECISION),
    (&IMPORT_ROW_MALFORMED, IMPORT),
    (&IMPORT_FIELD_INVALID, IMPORT),
    (&IMPORT_EMAIL_MISSING, IMPORT),
    (&IMPORT_EMAIL_INVALID, IMPORT),
    (&IMPORT_EMAIL_DUPLICATE, IMPORT),
    (&IMPORT_DOMAIN_PENDING, IMPORT),
    (&IMPORT_DOMAIN_OUTSIDE, IMPORT),
    (&IMPORT_INVITE, IMPORT),
    (&IMPORT_INVITE_UNVERIFIED, IMPORT),
    (&IMPORT_INVITE_SEVERAL_USERS, IMPORT),
    (&IMPORT_INVITE_UNTRUSTED_CONNECTION, IMPORT),
    (&IMPORT_ADD_VERIFIED_USER, IMPORT),
    (&IMPORT_ROLES_REASSIGNED, IMPORT),
    (&IMPORT_ALREADY_MEMBER, IMPORT),
    (&IMPORT_ALREADY_INVITED, IMPORT),
    (&IMPORT_ROLE_FROM_ROLE_MAP, IMPORT),
    (&IMPORT_ROLE_NORMALIZED, IMPORT),
    (&IMPORT_ROLE_FROM_LLM, IMPORT),
    (&IMPORT_DEPARTMENT_UNMAPPED, IMPORT),
    (&IMPORT_DEPARTMENT_AMBIGUOUS, IMPORT),
    (&IMPORT_ROLE_UNKNOWN, IMPORT),
    (&IMPORT_ROLE_NOT_ASSIGNABLE, IMPORT),
    (&IMPORT_MEMBERS_PROPOSED, IMPORT),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_weights_in_range() {
        let mut codes: Vec<&str> = CATALOGUE.iter().map(|(s, _)| s.code).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len(), "a signal code is declared twice");
        for (signal, used_by) in CATALOGUE {
            assert!((0.0..=1.0).contains(&signal.weight), "{}", signal.code);
            assert!(!used_by.is_empty(), "{}", signal.code);
        }
    }

    #[test]
    fn a_policy_reason_is_declared_once() {
        let mut pairs: Vec<(&str, &str)> = POLICY_REASONS.iter().map(|(r, _)| (r.code, r.message)).collect();
        pairs.sort_unstable();
        let before = pairs.len();
        pairs.dedup();
        assert_eq!(before, pairs.len(), "a policy reason is declared twice");
    }
}
