//! Departments to roles. In order, for each distinct department of a list:
//! 1. the organization's `ag_role_map` (keyed by `organizations.role_attribute`
//!    values, compared lowercase as the Actions compare them): source `role_map`;
//! 2. the same keys once both sides are normalized ([`normalize`]: case,
//!    punctuation, `&`, common abbreviations): source `normalized`;
//! 3. the LLM, when the policy lets it, for names still unmapped: the name only
//!    (normalized: letters, digits and spaces), the tenant's role names and `none`
//!    the only answers: source `llm`;
//! 4. else `unmapped`: the rows are imported without a role.
//!
//! A role the map names must be one of the tenant's roles and, where the policy
//! lists `organizations.assignable_roles`, one of those: the organization's
//! metadata is its admin's to write. The LLM is asked only when the policy lists
//! `organizations.assignable_roles`, and offered only those roles: a department
//! name is the customer's text and may carry a prompt, so without such a list
//! (every tenant role, admin roles included) no answer may choose a role.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::governance::Reason;
pub use crate::governance::{Answered, LlmInput};
use crate::llm::{self, AuditLlm, Exchange, Settled};
use crate::policy::Policy;
use crate::signals::{self, PolicyReason};

/// Abbreviations and spellings, each replaced by its long form wherever it is a
/// whole word (or words) of a normalized name. The one table of them.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("r and d", "research and development"),
    ("r d", "research and development"),
    ("rnd", "research and development"),
    ("eng", "engineering"),
    ("engg", "engineering"),
    ("engr", "engineering"),
    ("hr", "human resources"),
    ("people ops", "human resources"),
    ("qa", "quality assurance"),
    ("it", "information technology"),
    ("ops", "operations"),
    ("dev", "development"),
    ("mktg", "marketing"),
    ("mkt", "marketing"),
    ("fin", "finance"),
    ("acct", "accounting"),
    ("acctg", "accounting"),
    ("cs", "customer success"),
    ("cx", "customer experience"),
    ("pm", "product management"),
    ("bd", "business development"),
    ("biz dev", "business development"),
    ("sec", "security"),
    ("infosec", "information security"),
    ("infra", "infrastructure"),
    ("mgmt", "management"),
    ("admin", "administration"),
    ("exec", "executive"),
    ("legal", "legal"),
];

/// Words that name the kind of unit, not the unit: `Sales Dept` is `sales`.
const NOISE: [&str; 5] = ["dept", "department", "team", "division", "the"];

/// A department name in the one form compared: lowercase words of letters and
/// digits, `&` and `+` read as `and`, abbreviations spelled out, noise words gone.
pub fn normalize(name: &str) -> String {
    let spaced: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '&' | '+' => '\u{1}',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect::<String>()
        .replace('\u{1}', " and ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    'words: while let Some(word) = words.get(i) {
        for (short, long) in ABBREVIATIONS {
            let n = short.split(' ').count();
            if words.get(i..i + n).is_some_and(|w| w.iter().copied().eq(short.split(' '))) {
                out.extend(long.split(' '));
                i += n;
                continue 'words;
            }
        }
        if !NOISE.contains(word) {
            out.push(word);
        }
        i += 1;
    }
    out.join(" ")
}

/// How a department's roles were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    RoleMap,
    Normalized,
    Llm,
    Unmapped,
}

/// One department's mapping, as the plan shows it and the proposal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// As first written in the list (trimmed).
    pub department: String,
    /// Other spellings of the list that normalize alike (at most 10 shown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// [`normalize`]d: rows whose departments normalize alike share this mapping.
    pub key: String,
    pub roles: Vec<String>,
    pub source: Source,
    /// How many rows of the plan have it.
    pub rows: u32,
    pub reasons: Vec<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmOutcome>,
}

/// What the LLM said about a department (the audit's view of the exchange).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmOutcome {
    pub asked: bool,
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

/// The tenant's roles as the host listed them.
#[derive(Debug, Clone, Deserialize)]
pub struct Role {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// One call for the host to make: POST `body` to `{LLM_BASE_URL}/chat/completions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentEscalation {
    /// The department's [`Mapping::key`] (the key its answer goes under; the name
    /// sent is the key clipped, and two keys may clip alike).
    pub department: String,
    pub body: String,
    pub options: Vec<String>,
    pub timeout_ms: u32,
}

/// The LLM's part of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Llm {
    /// Step one: the calls to make; the plan is complete only without them.
    pub escalations: Vec<DepartmentEscalation>,
    /// The budgets' new value, for the `llm-budget:governance` checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_state: Option<String>,
    /// Departments whose answers were read.
    pub answered: u32,
    /// Departments `governance.members_import.llm_max_departments` or the budgets left unasked.
    pub not_asked: u32,
}

fn reason(r: &PolicyReason) -> Reason {
    Reason::new(r.code, r.message)
}

fn with_detail(r: &PolicyReason, detail: &str) -> Reason {
    Reason::new(r.code, format!("{} ({detail})", r.message))
}

/// The distinct departments of the plan's rows, in first-seen order: the name as
/// first written, and the row count, by normalized key.
#[derive(Debug, Default)]
pub struct Seen {
    order: Vec<String>,
    by_key: BTreeMap<String, (String, u32, Vec<String>)>,
}

/// The most other spellings a mapping lists.
const MAX_ALSO: usize = 10;

impl Seen {
    /// Counts a row's department; its normalized key.
    pub fn add(&mut self, department: &str) -> String {
        let key = normalize(department);
        let entry = self.by_key.entry(key.clone()).or_insert_with(|| {
            self.order.push(key.clone());
            (department.to_string(), 0, Vec::new())
        });
        entry.1 += 1;
        if entry.0 != department && entry.2.len() < MAX_ALSO && !entry.2.iter().any(|a| a == department) {
            entry.2.push(department.to_string());
        }
        key
    }
}

/// Maps every department seen; `llm_input` is what the host passed (None: no LLM).
pub fn map(
    seen: &Seen,
    role_map_text: &str,
    roles: &[Role],
    policy: &Policy,
    llm_input: Option<&LlmInput>,
    now_ms: f64,
    warnings: &mut Vec<crate::Issue>,
) -> (Vec<Mapping>, Llm) {
    let role_map = crate::orgmap::index::role_map(role_map_text);
    let assignable = &policy.organizations.assignable_roles;
    let eligible = |id: &str| roles.iter().any(|r| r.id == id) && (assignable.is_empty() || assignable.iter().any(|a| a == id));
    let mut out = Vec::with_capacity(seen.order.len());
    for key in &seen.order {
        let Some((department, rows, also)) = seen.by_key.get(key) else { continue };
        let spellings: Vec<String> = std::iter::once(department).chain(also.iter()).map(|d| d.trim().to_lowercase()).collect();
        let mut m = Mapping {
            department: department.clone(),
            also: also.clone(),
            key: key.clone(),
            roles: Vec::new(),
            source: Source::Unmapped,
            rows: *rows,
            reasons: Vec::new(),
            llm: None,
        };
        let exact = role_map.iter().find(|(k, _)| spellings.contains(k)).map(|(_, r)| r.clone());
        let found = match exact {
            Some(role) => Some((role, Source::RoleMap)),
            None => {
                let mut candidates: Vec<&String> =
                    role_map.iter().filter(|(k, _)| !key.is_empty() && normalize(k) == *key).map(|(_, r)| r).collect();
                candidates.sort();
                candidates.dedup();
                match candidates.as_slice() {
                    [] => None,
                    [one] => Some(((*one).clone(), Source::Normalized)),
                    many => {
                        let ids: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                        m.reasons.push(with_detail(&signals::IMPORT_DEPARTMENT_AMBIGUOUS, &ids.join(", ")));
                        // Decided (not mapped): not the LLM's to break the tie.
                        m.llm =
                            Some(LlmOutcome { asked: false, result: "not_asked".into(), choice: None, confidence: None, rationale: None });
                        None
                    }
                }
            }
        };
        if let Some((role, source)) = found {
            if !roles.iter().any(|r| r.id == role) {
                m.reasons.push(with_detail(&signals::IMPORT_ROLE_UNKNOWN, &role));
            } else if !eligible(&role) {
                m.reasons.push(with_detail(&signals::IMPORT_ROLE_NOT_ASSIGNABLE, &role));
            } else {
                m.reasons.push(reason(if source == Source::RoleMap {
                    &signals::IMPORT_ROLE_FROM_ROLE_MAP
                } else {
                    &signals::IMPORT_ROLE_NORMALIZED
                }));
                m.roles = vec![role];
                m.source = source;
            }
            // The admin's map named a role for it: a role refused stays refused.
            m.llm = Some(LlmOutcome { asked: false, result: "not_asked".into(), choice: None, confidence: None, rationale: None });
        }
        out.push(m);
    }
    let llm = ask_llm(&mut out, roles, &eligible, policy, llm_input, now_ms, warnings);
    for m in &mut out {
        if m.source == Source::Unmapped {
            m.reasons.push(reason(&signals::IMPORT_DEPARTMENT_UNMAPPED));
        }
        // `not_asked` placeholders were only there to keep the LLM away.
        if m.llm.as_ref().is_some_and(|o| o.result == "not_asked" && m.source != Source::Unmapped) {
            m.llm = None;
        }
    }
    (out, llm)
}

/// The names offered: each eligible role's name once (two roles of one name are
/// ambiguous and left out), at most [`MAX_OPTIONS`] (the rest left out with a
/// warning), then `none`.
fn options(roles: &[Role], eligible: &dyn Fn(&str) -> bool, warnings: &mut Vec<crate::Issue>) -> Vec<(String, Option<String>)> {
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in roles.iter().filter(|r| eligible(&r.id)) {
        let name = r.name.trim();
        if !name.is_empty() && name.len() <= 64 && name != "none" && !name.chars().any(char::is_control) {
            by_name.entry(name).or_default().push(&r.id);
        }
    }
    let mut out: Vec<(String, Option<String>)> = by_name
        .into_iter()
        .filter_map(|(name, ids)| match ids.as_slice() {
            [id] => Some((name.to_string(), Some((*id).to_string()))),
            _ => None,
        })
        .collect();
    if out.len() > MAX_OPTIONS {
        warnings.push(crate::Issue::new(
            "llm_roles_truncated",
            Some("roles".into()),
            format!(
                "{} assignable roles have a name: the LLM is offered the first {MAX_OPTIONS} by name only (the rest, from `{}` on, it cannot choose)",
                out.len(),
                out.get(MAX_OPTIONS).map_or("", |(n, _)| n.as_str())
            ),
        ));
        out.truncate(MAX_OPTIONS);
    }
    out.push(("none".to_string(), None));
    out
}

/// The most role names one call offers.
const MAX_OPTIONS: usize = 50;
/// The longest department name sent (normalized: letters, digits, spaces).
const MAX_ASKED_NAME: usize = 64;

fn ask_llm(
    mappings: &mut [Mapping],
    roles: &[Role],
    eligible: &dyn Fn(&str) -> bool,
    policy: &Policy,
    input: Option<&LlmInput>,
    now_ms: f64,
    warnings: &mut Vec<crate::Issue>,
) -> Llm {
    let mut out = Llm::default();
    let Some(input) = input else { return out };
    let mut exchange = Exchange {
        available: input.available,
        model: input.model.clone(),
        base_url: input.base_url.clone(),
        state: input.state.clone(),
        ..Exchange::default()
    };
    exchange.vet(warnings);
    if !(policy.llm.enabled && policy.governance.members_import.llm && exchange.available) {
        return out;
    }
    if policy.organizations.assignable_roles.is_empty() {
        warnings.push(crate::Issue::new(
            "llm_no_assignable_roles",
            Some("policy.organizations.assignable_roles".into()),
            "the policy lists no `organizations.assignable_roles`: the LLM would choose among every tenant role (admin roles included) \
             from a name in the list, so it is not asked; list the roles an import may give to let it map departments",
        ));
        return out;
    }
    let options = options(roles, eligible, warnings);
    let names: Vec<&str> = options.iter().map(|(n, _)| n.as_str()).collect();
    if names.len() < 2 {
        warnings.push(crate::Issue::new(
            "llm_no_roles",
            Some("roles".into()),
            "no role the import may give has a name: the LLM is not asked",
        ));
        return out; // only `none`: nothing to choose
    }
    // Unmapped departments with a name, most rows first: the ones worth a call.
    let mut wanted: Vec<usize> = (0..mappings.len())
        .filter(|i| mappings.get(*i).is_some_and(|m| m.source == Source::Unmapped && m.llm.is_none() && !m.key.is_empty()))
        .collect();
    wanted.sort_by_key(|i| std::cmp::Reverse(mappings.get(*i).map_or(0, |m| m.rows)));
    let cap = policy.governance.members_import.llm_max_departments as usize;
    let outcome = |result: &str| LlmOutcome { asked: false, result: result.to_string(), choice: None, confidence: None, rationale: None };
    // The budgets' value as it moves through this call: each token taken, each
    // answer recorded, in order.
    let mut state = input.state.clone();
    let mut moved = false;
    for (n, i) in wanted.into_iter().enumerate() {
        let Some(m) = mappings.get_mut(i) else { continue };
        if n >= cap {
            out.not_asked += 1;
            m.llm = Some(outcome("over_llm_max_departments"));
            continue;
        }
        let asked_name: String = m.key.chars().take(MAX_ASKED_NAME).collect();
        let at = Exchange { state: state.clone(), ..exchange.clone() };
        let Some(answers) = &input.answers else {
            // Step one: a token per call, or held back (then unmapped).
            match llm::admit(&at, &policy.llm, now_ms) {
                Ok(token) => {
                    let facts = json!({ "department": asked_name });
                    let e = llm::request(&policy.llm, &exchange, TASK, &names, FALLBACK, facts);
                    out.escalations.push(DepartmentEscalation {
                        department: m.key.clone(),
                        body: e.body,
                        options: e.options,
                        timeout_ms: e.timeout_ms,
                    });
                    state = Some(serde_json::Value::String(token.value));
                    moved = true;
                }
                Err(result) => {
                    out.not_asked += 1;
                    m.llm = Some(outcome(result));
                }
            }
            continue;
        };
        // Step two: a department without an answer was held back or lost: unmapped.
        let Some(answer) = answers.get(&m.key) else {
            out.not_asked += 1;
            m.llm = Some(outcome("not_asked"));
            continue;
        };
        let e = Exchange { response: answer.response.clone(), failure: answer.failure.clone(), ..at };
        let settled = match llm::settle(&e, &names, policy.llm.min_confidence) {
            // An answer with neither a body nor a failure: the host lost the call.
            Settled::Pending => Settled::Failed { asked: true, result: "failed" },
            s => s,
        };
        let result = match &settled {
            Settled::Chosen { .. } => "answered",
            Settled::Failed { result, .. } => result,
            Settled::Pending => "failed",
        };
        if let Some(w) = llm::record(&e, &policy.llm, result, now_ms) {
            state = Some(serde_json::Value::String(w.value));
            moved = true;
        }
        out.answered += 1;
        let audit = AuditLlm::of(&settled, &names);
        m.llm = Some(LlmOutcome {
            asked: audit.asked,
            result: audit.result.unwrap_or("failed").to_string(),
            choice: audit.choice.clone(),
            confidence: audit.confidence,
            rationale: audit.rationale,
        });
        if let Settled::Chosen { index, .. } = settled {
            if let Some((name, Some(id))) = options.get(index) {
                m.roles = vec![id.clone()];
                m.source = Source::Llm;
                m.reasons.push(with_detail(&signals::IMPORT_ROLE_FROM_LLM, name));
            }
        }
    }
    if moved {
        out.llm_state = state.and_then(|v| v.as_str().map(str::to_string));
    }
    out
}

/// The task an escalation names, and what applies without an answer.
const TASK: &str = "map_department_to_role";
const FALLBACK: &str = "none";
