//! The state machine in one table: the state each step leads to and who may perform it. Every
//! other question (allowed steps, transitions, roles) is derived from the table, so the answers
//! cannot disagree.

use super::vocabulary::{join, Role, State, Step};

const RECEIVER: &[Role] = &[Role::Receiver];
const APPRAISER: &[Role] = &[Role::Appraiser];
const APPROVER: &[Role] = &[Role::Approver];
const DESK_OR_APPRAISER: &[Role] = &[Role::Receiver, Role::Appraiser];
/// The handling department: the one whose delay the apology answers for.
const HANDLING: &[Role] = &[Role::Appraiser, Role::Approver];

/// The whole machine in one place: the state a step leads to and who may perform it. Every other
/// function derives from this table so they cannot disagree.
fn rule(from: Option<State>, step: Step) -> Option<(State, &'static [Role])> {
    use State::*;
    use Step::*;
    let to = match (from, step) {
        (None, Receive) => (Received, RECEIVER),
        // The applicant brought the missing papers: a re-receipt.
        (Some(SupplementRequested), Receive) => (Received, RECEIVER),
        (Some(Received), Appraise) => (Appraised, APPRAISER),
        (Some(Received), RequestSupplement) => (SupplementRequested, DESK_OR_APPRAISER),
        (Some(Received), Refuse) => (Refused, DESK_OR_APPRAISER),
        // The leader rejects the appraised dossier.
        (Some(Appraised), Refuse) => (Refused, APPROVER),
        (Some(Appraised), Approve) => (Approved, APPROVER),
        // The seal follows automatically with the department's credential; it is not a step.
        (Some(Approved), Sign) => (Signed, APPROVER),
        (Some(Signed), Return) => (Returned, RECEIVER),
        // The fee is paid: processing starts, or the approved result may be signed.
        (Some(FeesDue), RecordPayment) => (Received, RECEIVER),
        (Some(FeesDueAfterApproval), RecordPayment) => (Approved, RECEIVER),
        (Some(FeesDue), Refuse) => (Refused, DESK_OR_APPRAISER),
        (Some(FeesDueAfterApproval), Refuse) => (Refused, APPROVER),
        (
            Some(
                Received | SupplementRequested | Appraised | Approved | FeesDue
                | FeesDueAfterApproval,
            ),
            Withdraw,
        ) => (Withdrawn, RECEIVER),
        (
            Some(
                Received | SupplementRequested | Appraised | Approved | FeesDue
                | FeesDueAfterApproval,
            ),
            Stop,
        ) => (Stopped, APPROVER),
        // A later due date for a dossier still being processed. Not while the applicant owes
        // papers: the processing time restarts at the re-receipt anyway.
        (Some(state @ (Received | Appraised | Approved | Signed)), Extend) => (state, HANDLING),
        _ => return None,
    };
    Some(to)
}

/// The steps accepted from `from` (`None`: no dossier exists yet), in `Step::ALL` order.
pub fn allowed_steps(from: Option<State>) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|&step| rule(from, step).is_some())
        .collect()
}

/// A step that the machine does not accept from the dossier's current state. The service maps
/// it to `FailedPrecondition`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct TransitionError {
    pub from: Option<State>,
    pub step: Step,
    /// What the caller could do instead; equals `allowed_steps(from)`.
    pub allowed: Vec<Step>,
}

impl TransitionError {
    fn message(&self) -> String {
        let step = self.step;
        match self.from {
            None => format!(
                "step {step} needs an existing dossier; the only step allowed on a new dossier \
                 is receive"
            ),
            Some(state) if self.allowed.is_empty() => format!(
                "step {step} is not allowed: dossier is in final state {state}; no further step \
                 is allowed"
            ),
            Some(state) => format!(
                "step {step} is not allowed: dossier is in state {state}; allowed steps: {}",
                join(&self.allowed, ", ")
            ),
        }
    }
}

/// The state that `step` leads to from `from` (`None`: no dossier exists yet).
pub fn transition(from: Option<State>, step: Step) -> Result<State, TransitionError> {
    match rule(from, step) {
        Some((to, _)) => Ok(to),
        None => Err(TransitionError {
            from,
            step,
            allowed: allowed_steps(from),
        }),
    }
}

/// The roles that may perform `step` from `from`; empty when the transition is not allowed.
/// `Role::Seal` is never among them.
pub fn roles_for(step: Step, from: Option<State>) -> &'static [Role] {
    rule(from, step).map_or(&[], |(_, roles)| roles)
}

impl State {
    /// The steps the machine accepts from this state, in `Step::ALL` order.
    pub fn allowed_steps(self) -> Vec<Step> {
        allowed_steps(Some(self))
    }
}
