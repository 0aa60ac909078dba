//! The approval queue's rules (the control plane hosts the queue; a login only
//! ever asks): which approval requests are read, and which moves between states
//! are legal. The store makes a move atomic (a conditional update from the
//! states named here), so two approvers or two executors never both act.
//!
//! ```text
//! pending --approve--> approved --claim--> executing --succeed--> done
//!    \                    ^                    |  ^
//!     \--reject--> rejected \---approve--- failed <--fail--/  \--claim (lease expired)
//!                          ^                    |
//!                          \------release------/
//! ```
//! `release` gives an approval back unfinished (a governance run stopped at its
//! cap: the next run continues from its checkpoint, nothing approved twice);
//! `renew` (executing -> executing, by its holder only) extends a long run's lease.
//! A failed execution goes back to approved only by a person's `approve`
//! (what failed, such as a name taken by another organization, needs a look).

use serde::{Deserialize, Serialize};

use crate::{email, Answer, Issue};

pub mod responses;

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Approved,
    Rejected,
    Executing,
    Done,
    Failed,
}

impl State {
    pub const ALL: [State; 6] = [State::Pending, State::Approved, State::Rejected, State::Executing, State::Done, State::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Executing => "executing",
            State::Done => "done",
            State::Failed => "failed",
        }
    }
}

/// What a person or an executor does to an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A person approves a pending request, or one whose execution failed.
    Approve,
    /// A person rejects a pending request.
    Reject,
    /// An executor takes an approved request (or one whose executor's lease expired).
    Claim,
    /// The executor finished it.
    Succeed,
    /// The executor could not finish it; the reason is kept.
    Fail,
    /// The executor stopped before the end on purpose (a run's cap) and gives it back
    /// approved, for a later run to claim and continue.
    Release,
    /// The executor, still at work, extends its lease (a long run), so that no other
    /// executor takes the approval over while it writes.
    Renew,
}

/// One legal move: from any of `from`, to `to`. `reclaim`: the move is also
/// legal from `to` itself once the holder's lease has expired (a dead executor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Move {
    pub action: Action,
    pub from: Vec<State>,
    pub to: State,
    pub reclaim: bool,
}

/// The move an action makes. The one table of the state machine.
pub fn move_for(action: Action) -> Move {
    use State::*;
    let (from, to, reclaim) = match action {
        Action::Approve => (vec![Pending, Failed], Approved, false),
        Action::Reject => (vec![Pending], Rejected, false),
        Action::Claim => (vec![Approved], Executing, true),
        Action::Succeed => (vec![Executing], Done, false),
        Action::Fail => (vec![Executing], Failed, false),
        Action::Release => (vec![Executing], Approved, false),
        Action::Renew => (vec![Executing], Executing, false),
    };
    Move { action, from, to, reclaim }
}

/// Whether `action` may be taken on an approval in `state` (`lease_expired`:
/// its executor's lease ran out). The refusal names both.
pub fn step(state: State, action: Action, lease_expired: bool) -> Result<State, Issue> {
    let m = move_for(action);
    if m.from.contains(&state) || (m.reclaim && state == m.to && lease_expired) {
        return Ok(m.to);
    }
    Err(Issue::new("illegal_transition", None, format!("an approval that is {} cannot be {}", state.as_str(), past(action))))
}

fn past(action: Action) -> &'static str {
    match action {
        Action::Approve => "approved",
        Action::Reject => "rejected",
        Action::Claim => "claimed for execution",
        Action::Succeed => "marked done",
        Action::Fail => "marked failed",
        Action::Release => "released",
        Action::Renew => "renewed",
    }
}

/// `{ action }` or `{ state, action, lease_expired? }` from a host.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepInput {
    action: Action,
    state: Option<State>,
    #[serde(default)]
    lease_expired: bool,
}

/// The entry point: with a `state`, `{ type: "success", state }` or a failure
/// `illegal_transition`; without, the move the action makes (for the store's
/// conditional update).
pub fn step_json(input: &str) -> Answer<serde_json::Value> {
    let parsed: StepInput = match crate::answer::parse_json(input, "invalid_step") {
        Ok(p) => p,
        Err(issue) => return Answer::failure(issue),
    };
    let m = move_for(parsed.action);
    match parsed.state {
        None => Answer::success(serde_json::json!({ "move": m }), Vec::new()),
        Some(state) => match step(state, parsed.action, parsed.lease_expired) {
            Ok(to) => Answer::success(serde_json::json!({ "state": to, "move": m }), Vec::new()),
            Err(issue) => Answer::failure(issue),
        },
    }
}

/// The kind of request the Actions send: create an organization for a new domain
/// (the control plane proposes the others itself: [`responses`]).
pub const KIND_CREATE_ORGANIZATION: &str = "create_organization";
/// The longest request body read.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
const MAX_NAME: usize = 50;
const MAX_DISPLAY_NAME: usize = 255;
const MAX_TEXT: usize = 128;

/// The organization a request proposes (`orgmap::Proposal`, as sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub name: String,
    pub display_name: String,
    pub domain: String,
}

/// An approval request as the Actions send it (js/orgs.js), checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub kind: String,
    /// 32 hex digits of SHA-256 over kind, tenant and domain: one request per question.
    pub dedupe_key: String,
    #[serde(default)]
    pub tenant: Option<String>,
    pub proposal: Proposal,
    /// Pseudonymous (`u_...`), as in the audit record.
    #[serde(default)]
    pub requested_by: Option<String>,
    #[serde(default)]
    pub requested_at: Option<String>,
}

/// Reads an approval request body: the request, or `not_a_request` naming the field.
pub fn read_request(body: &str) -> Answer<Request> {
    if body.len() > MAX_REQUEST_BYTES {
        return Answer::failure(Issue::new("too_large", None, format!("over {MAX_REQUEST_BYTES} bytes")));
    }
    let mut request: Request = match crate::answer::parse_json(body, "not_a_request") {
        Ok(r) => r,
        Err(issue) => return Answer::failure(issue),
    };
    let bad = |path: &str, message: &str| Answer::failure(Issue::new("not_a_request", Some(path.to_string()), message.to_string()));
    if request.kind != KIND_CREATE_ORGANIZATION {
        return bad("kind", "only `create_organization` requests are taken");
    }
    if request.dedupe_key.len() != 32 || !request.dedupe_key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return bad("dedupe_key", "32 lowercase hex digits");
    }
    let p = &request.proposal;
    if p.name.is_empty()
        || p.name.len() > MAX_NAME
        || !p.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return bad("proposal.name", "1 to 50 of a-z, 0-9, - and _ (Auth0's organization names)");
    }
    if p.display_name.chars().count() > MAX_DISPLAY_NAME || p.display_name.chars().any(char::is_control) {
        return bad("proposal.display_name", "at most 255 characters, no control characters");
    }
    match email::normalize_domain(&p.domain) {
        Ok(domain) if domain == p.domain => {}
        _ => return bad("proposal.domain", "a domain in its normalized form"),
    }
    for (path, value) in [("tenant", &request.tenant), ("requested_by", &request.requested_by), ("requested_at", &request.requested_at)] {
        if value.as_ref().is_some_and(|v| v.len() > MAX_TEXT || v.chars().any(char::is_control)) {
            return bad(path, "at most 128 bytes, no control characters");
        }
    }
    request.kind = KIND_CREATE_ORGANIZATION.to_string();
    Answer::success(request, Vec::new())
}

#[cfg(test)]
mod tests;
