//! The dossier state machine of the five-step electronic flow (receive, appraise, approve, sign,
//! return), who may perform each step, identifiers, deadlines and the procedure catalog.
//!
//! Pure functions only: no I/O, no clock, no crypto. The service asks `check_step` before every
//! step and records the returned state in the same transaction as the signed step record.

pub mod calendar;
pub mod catalog;
pub mod codes;

use std::fmt;
use std::str::FromStr;

pub use calendar::{timeliness, vietnam_date, CalendarError, Timeliness, WorkingCalendar, VIETNAM};
pub use catalog::{Catalog, CatalogError, Department, Procedure};
pub use codes::{AgencyCode, CodeError, CodeKind, DossierCode, ProcedureCode, ResultCode};

/// A name that does not denote any role, step or state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {input:?}: expected one of {expected}")]
pub struct ParseError {
    pub what: &'static str,
    pub input: String,
    pub expected: String,
}

/// `as_str`, `FromStr`, `Display` and `ALL` for a fieldless enum, from one list of names, so the
/// wire names cannot drift from the serde names (both snake_case).
macro_rules! named_enum {
    ($ty:ident, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $ty {
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(ParseError {
                        what: $what,
                        input: s.chars().take(64).collect(),
                        expected: join(&$ty::ALL, ", "),
                    }),
                }
            }
        }
    };
}

fn join<T: fmt::Display>(items: &[T], sep: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// Who acts on a dossier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The receiving officer at the one-stop desk.
    Receiver,
    /// The specialist of the handling department.
    Appraiser,
    /// The department leader, who decides and is also the competent signer of the result.
    Approver,
    /// The organisation's seal credential. It is applied by the system after the signer's
    /// signature and is never the actor of a step, so no step accepts it.
    Seal,
}

named_enum!(Role, "role", [
    Receiver => "receiver",
    Appraiser => "appraiser",
    Approver => "approver",
    Seal => "seal",
]);

impl Role {
    pub fn vietnamese(self) -> &'static str {
        match self {
            Role::Receiver => "cán bộ tiếp nhận",
            Role::Appraiser => "chuyên viên thẩm định",
            Role::Approver => "lãnh đạo",
            Role::Seal => "con dấu của cơ quan",
        }
    }

    /// For messages that read as English sentences ("an approver may not …").
    fn with_article(self) -> &'static str {
        match self {
            Role::Receiver => "a receiver",
            Role::Appraiser => "an appraiser",
            Role::Approver => "an approver",
            Role::Seal => "the seal credential",
        }
    }
}

/// What an official does to a dossier. Each step is one signed record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Receive,
    /// The appraisal opinion "pass"; the other opinions are the steps `RequestSupplement` and
    /// `Refuse`.
    Appraise,
    Approve,
    Sign,
    Return,
    RequestSupplement,
    Refuse,
    Withdraw,
    Stop,
    /// Revocation (or supersession) of an issued result. Not a processing step: it is absent
    /// from the transition table (a returned dossier's processing is over, and `Returned` stays
    /// final); `check_revoke` decides it. It is still a signed record in the dossier's chain.
    Revoke,
}

named_enum!(Step, "step", [
    Receive => "receive",
    Appraise => "appraise",
    Approve => "approve",
    Sign => "sign",
    Return => "return",
    RequestSupplement => "request_supplement",
    Refuse => "refuse",
    Withdraw => "withdraw",
    Stop => "stop",
    Revoke => "revoke",
]);

impl Step {
    pub fn vietnamese(self) -> &'static str {
        match self {
            Step::Receive => "tiếp nhận",
            Step::Appraise => "thẩm định",
            Step::Approve => "phê duyệt",
            Step::Sign => "ký số",
            Step::Return => "trả kết quả",
            Step::RequestSupplement => "yêu cầu bổ sung",
            Step::Refuse => "từ chối",
            Step::Withdraw => "rút hồ sơ",
            Step::Stop => "dừng xử lý",
            Step::Revoke => "thu hồi kết quả",
        }
    }
}

/// Where a dossier stands after its last step.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Appraised,
    Approved,
    Signed,
    Returned,
    SupplementRequested,
    Refused,
    Withdrawn,
    Stopped,
}

named_enum!(State, "state", [
    Received => "received",
    Appraised => "appraised",
    Approved => "approved",
    Signed => "signed",
    Returned => "returned",
    SupplementRequested => "supplement_requested",
    Refused => "refused",
    Withdrawn => "withdrawn",
    Stopped => "stopped",
]);

impl State {
    pub fn vietnamese(self) -> &'static str {
        match self {
            State::Received => "đã tiếp nhận",
            State::Appraised => "đã thẩm định",
            State::Approved => "đã phê duyệt",
            State::Signed => "đã ký số",
            State::Returned => "đã trả kết quả",
            State::SupplementRequested => "chờ bổ sung hồ sơ",
            State::Refused => "đã từ chối",
            State::Withdrawn => "đã rút hồ sơ",
            State::Stopped => "đã dừng xử lý",
        }
    }

    /// The status code of the national public service portal. Several of our states map to the
    /// same portal status because the portal does not distinguish appraisal from approval
    /// (4, in progress) nor a decision from its signature (9, decided).
    pub fn national_status(self) -> u8 {
        match self {
            State::Received => 2,
            State::Appraised => 4,
            State::Approved | State::Signed => 9,
            State::Returned => 10,
            State::SupplementRequested => 5,
            State::Refused => 3,
            State::Withdrawn => 7,
            State::Stopped => 8,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Returned | State::Refused | State::Withdrawn | State::Stopped
        )
    }

    /// The steps the machine accepts from this state, in `Step::ALL` order.
    pub fn allowed_steps(self) -> Vec<Step> {
        allowed_steps(Some(self))
    }
}

const RECEIVER: &[Role] = &[Role::Receiver];
const APPRAISER: &[Role] = &[Role::Appraiser];
const APPROVER: &[Role] = &[Role::Approver];
const DESK_OR_APPRAISER: &[Role] = &[Role::Receiver, Role::Appraiser];

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
        (Some(Received | SupplementRequested | Appraised | Approved), Withdraw) => {
            (Withdrawn, RECEIVER)
        }
        (Some(Received | SupplementRequested | Appraised | Approved), Stop) => (Stopped, APPROVER),
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

/// The official asking to perform a step, as authenticated by the API layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    pub role: Role,
    pub department: &'a str,
}

/// An actor who may not perform a step that the machine would otherwise accept. The service
/// maps it to `PermissionDenied`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    #[error(
        "{} may not perform step {step}; it needs: {}",
        role.with_article(),
        join(allowed, " or ")
    )]
    WrongRole {
        step: Step,
        role: Role,
        allowed: Vec<Role>,
    },
    #[error(
        "officials of department {actor_department:?} may not act on a dossier handled by \
         department {handling_department:?}"
    )]
    WrongDepartment {
        step: Step,
        actor_department: String,
        handling_department: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Permission(#[from] PermissionError),
}

/// The one check the service calls before every step. The order matters: a step out of order is
/// reported as such (`FailedPrecondition`) whoever asks, so an unauthorised caller learns nothing
/// more than an authorised one would; then the role, then the department (`PermissionDenied`).
///
/// Departments are compared exactly. An empty department never matches, not even another empty
/// one, so a misconfigured caller or dossier cannot slip through.
pub fn check_step(
    from: Option<State>,
    step: Step,
    actor: &Actor<'_>,
    handling_department: &str,
) -> Result<State, FlowError> {
    let to = transition(from, step)?;
    let roles = roles_for(step, from);
    if !roles.contains(&actor.role) {
        return Err(PermissionError::WrongRole {
            step,
            role: actor.role,
            allowed: roles.to_vec(),
        }
        .into());
    }
    if actor.department.is_empty() || actor.department != handling_department {
        return Err(PermissionError::WrongDepartment {
            step,
            actor_department: actor.department.chars().take(64).collect(),
            handling_department: handling_department.chars().take(64).collect(),
        }
        .into());
    }
    Ok(to)
}

/// May `actor` revoke (or supersede) the result of a dossier in state `from`? Only once the
/// result is issued (`Returned`), only the leader (approver) of the handling department — the
/// one who decided it. The dossier stays `Returned`; the result's status changes.
pub fn check_revoke(
    from: State,
    actor: &Actor<'_>,
    handling_department: &str,
) -> Result<State, FlowError> {
    let step = Step::Revoke;
    if from != State::Returned {
        return Err(TransitionError {
            from: Some(from),
            step,
            allowed: allowed_steps(Some(from)),
        }
        .into());
    }
    if actor.role != Role::Approver {
        return Err(PermissionError::WrongRole {
            step,
            role: actor.role,
            allowed: vec![Role::Approver],
        }
        .into());
    }
    if actor.department.is_empty() || actor.department != handling_department {
        return Err(PermissionError::WrongDepartment {
            step,
            actor_department: actor.department.chars().take(64).collect(),
            handling_department: handling_department.chars().take(64).collect(),
        }
        .into());
    }
    Ok(State::Returned)
}

#[cfg(test)]
mod revoke_tests {
    use super::*;

    #[test]
    fn only_the_handling_approver_revokes_and_only_a_returned_dossier() {
        let approver = Actor {
            role: Role::Approver,
            department: "stp",
        };
        for state in State::ALL {
            let outcome = check_revoke(state, &approver, "stp");
            if state == State::Returned {
                assert_eq!(outcome, Ok(State::Returned));
            } else {
                assert!(
                    matches!(outcome, Err(FlowError::Transition(_))),
                    "{state}: {outcome:?}"
                );
            }
        }
        for role in [Role::Receiver, Role::Appraiser, Role::Seal] {
            let actor = Actor {
                role,
                department: "stp",
            };
            assert!(matches!(
                check_revoke(State::Returned, &actor, "stp"),
                Err(FlowError::Permission(PermissionError::WrongRole { .. }))
            ));
        }
        for department in ["skhdt", ""] {
            let actor = Actor {
                role: Role::Approver,
                department,
            };
            assert!(
                matches!(
                    check_revoke(State::Returned, &actor, department),
                    Err(FlowError::Permission(
                        PermissionError::WrongDepartment { .. }
                    ))
                ) || department == "skhdt"
            );
            assert!(matches!(
                check_revoke(State::Returned, &actor, "stp"),
                Err(FlowError::Permission(
                    PermissionError::WrongDepartment { .. }
                ))
            ));
        }
        // Revoke is never offered by the processing machine, nor accepted by check_step.
        for from in std::iter::once(None).chain(State::ALL.into_iter().map(Some)) {
            assert!(!allowed_steps(from).contains(&Step::Revoke));
            assert!(check_step(from, Step::Revoke, &approver, "stp").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Written independently of `rule`, straight from the specification, as
    /// (from, step, to, roles).
    fn expected_table() -> Vec<(Option<State>, Step, State, Vec<Role>)> {
        use Role::*;
        use State::*;
        use Step::*;
        let mut t = vec![
            (None, Receive, Received, vec![Receiver]),
            (Some(SupplementRequested), Receive, Received, vec![Receiver]),
            (Some(Received), Appraise, Appraised, vec![Appraiser]),
            (
                Some(Received),
                RequestSupplement,
                SupplementRequested,
                vec![Receiver, Appraiser],
            ),
            (Some(Received), Refuse, Refused, vec![Receiver, Appraiser]),
            (Some(Appraised), Refuse, Refused, vec![Approver]),
            (Some(Appraised), Approve, Approved, vec![Approver]),
            (Some(Approved), Sign, Signed, vec![Approver]),
            (Some(Signed), Return, Returned, vec![Receiver]),
        ];
        for s in [Received, SupplementRequested, Appraised, Approved] {
            t.push((Some(s), Withdraw, Withdrawn, vec![Receiver]));
            t.push((Some(s), Stop, Stopped, vec![Approver]));
        }
        t
    }

    fn expected(from: Option<State>, step: Step) -> Option<(State, Vec<Role>)> {
        expected_table()
            .into_iter()
            .find(|(f, s, _, _)| *f == from && *s == step)
            .map(|(_, _, to, roles)| (to, roles))
    }

    fn all_froms() -> Vec<Option<State>> {
        std::iter::once(None)
            .chain(State::ALL.into_iter().map(Some))
            .collect()
    }

    fn reachable() -> BTreeSet<State> {
        let mut seen = BTreeSet::new();
        let mut frontier = vec![None];
        while let Some(from) = frontier.pop() {
            for step in Step::ALL {
                if let Some((to, _)) = expected(from, step) {
                    if seen.insert(to) {
                        frontier.push(Some(to));
                    }
                }
            }
        }
        seen
    }

    #[test]
    fn every_pair_matches_the_expected_table() {
        for from in all_froms() {
            for step in Step::ALL {
                match expected(from, step) {
                    Some((to, roles)) => {
                        assert_eq!(transition(from, step), Ok(to), "{from:?} {step}");
                        assert_eq!(roles_for(step, from), roles.as_slice(), "{from:?} {step}");
                    }
                    None => {
                        let e = transition(from, step).unwrap_err();
                        assert_eq!(e.allowed, allowed_steps(from), "{from:?} {step}");
                        assert!(roles_for(step, from).is_empty(), "{from:?} {step}");
                    }
                }
            }
        }
        assert_eq!(reachable(), State::ALL.into_iter().collect());
    }

    #[test]
    fn terminal_states_accept_nothing_and_others_something() {
        for s in State::ALL {
            assert_eq!(s.is_terminal(), s.allowed_steps().is_empty(), "{s}");
        }
        assert_eq!(allowed_steps(None), vec![Step::Receive]);
    }

    #[test]
    fn seal_performs_no_step() {
        for from in all_froms() {
            for step in Step::ALL {
                assert!(!roles_for(step, from).contains(&Role::Seal));
            }
        }
    }

    #[test]
    fn national_statuses() {
        let got: Vec<u8> = State::ALL.iter().map(|s| s.national_status()).collect();
        assert_eq!(got, vec![2, 4, 9, 9, 10, 5, 3, 7, 8]);
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(toml_value(&r), format!("{r}"));
            assert!(!r.vietnamese().is_empty());
        }
        for s in Step::ALL {
            assert_eq!(s.as_str().parse::<Step>(), Ok(s));
            assert_eq!(toml_value(&s), format!("{s}"));
        }
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>(), Ok(s));
            assert_eq!(toml_value(&s), format!("{s}"));
        }
        assert_eq!(Step::RequestSupplement.as_str(), "request_supplement");
        assert_eq!(Step::Sign.vietnamese(), "ký số");
        let e = "Approve".parse::<Step>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown step \"Approve\": expected one of receive, appraise, approve, sign, \
             return, request_supplement, refuse, withdraw, stop, revoke"
        );
    }

    fn toml_value<T: serde::Serialize>(v: &T) -> String {
        #[derive(serde::Serialize)]
        struct W<'a, T> {
            v: &'a T,
        }
        let text = toml::to_string(&W { v }).unwrap();
        text.trim()
            .trim_start_matches("v = ")
            .trim_matches('"')
            .to_owned()
    }

    #[test]
    fn transition_messages() {
        assert_eq!(
            transition(Some(State::SupplementRequested), Step::Appraise)
                .unwrap_err()
                .to_string(),
            "step appraise is not allowed: dossier is in state supplement_requested; allowed \
             steps: receive, withdraw, stop"
        );
        assert_eq!(
            transition(None, Step::Appraise).unwrap_err().to_string(),
            "step appraise needs an existing dossier; the only step allowed on a new dossier is \
             receive"
        );
        assert_eq!(
            transition(Some(State::Returned), Step::Sign)
                .unwrap_err()
                .to_string(),
            "step sign is not allowed: dossier is in final state returned; no further step is \
             allowed"
        );
    }

    #[test]
    fn permissions() {
        let leader = Actor {
            role: Role::Approver,
            department: "stp",
        };
        let desk = Actor {
            role: Role::Receiver,
            department: "stp",
        };
        let e = check_step(Some(State::Appraised), Step::Approve, &desk, "stp").unwrap_err();
        assert_eq!(
            e,
            FlowError::Permission(PermissionError::WrongRole {
                step: Step::Approve,
                role: Role::Receiver,
                allowed: vec![Role::Approver],
            })
        );
        assert_eq!(
            e.to_string(),
            "a receiver may not perform step approve; it needs: approver"
        );
        let e = check_step(
            Some(State::Received),
            Step::Refuse,
            &Actor {
                role: Role::Approver,
                department: "stp",
            },
            "stp",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "an approver may not perform step refuse; it needs: receiver or appraiser"
        );

        let e = check_step(Some(State::Appraised), Step::Approve, &leader, "skhdt").unwrap_err();
        assert_eq!(
            e,
            FlowError::Permission(PermissionError::WrongDepartment {
                step: Step::Approve,
                actor_department: "stp".into(),
                handling_department: "skhdt".into(),
            })
        );
        assert_eq!(
            e.to_string(),
            "officials of department \"stp\" may not act on a dossier handled by department \
             \"skhdt\""
        );
        let nobody = Actor {
            role: Role::Receiver,
            department: "",
        };
        assert!(matches!(
            check_step(None, Step::Receive, &nobody, ""),
            Err(FlowError::Permission(
                PermissionError::WrongDepartment { .. }
            ))
        ));
        assert_eq!(
            check_step(Some(State::Appraised), Step::Approve, &leader, "stp"),
            Ok(State::Approved)
        );
    }

    #[test]
    fn transition_errors_come_before_permission_errors() {
        let seal_elsewhere = Actor {
            role: Role::Seal,
            department: "other",
        };
        for from in all_froms() {
            for step in Step::ALL {
                let got = check_step(from, step, &seal_elsewhere, "stp");
                match transition(from, step) {
                    Err(e) => assert_eq!(got, Err(FlowError::Transition(e))),
                    Ok(_) => assert!(matches!(
                        got,
                        Err(FlowError::Permission(PermissionError::WrongRole {
                            role: Role::Seal,
                            ..
                        }))
                    )),
                }
            }
        }
    }

    fn role_strategy() -> impl Strategy<Value = Role> {
        proptest::sample::select(Role::ALL.to_vec())
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        proptest::sample::select(Step::ALL.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_walks_follow_the_table(
            moves in proptest::collection::vec(
                (
                    step_strategy(),
                    role_strategy(),
                    proptest::bool::weighted(0.9),
                    proptest::bool::weighted(0.5),
                    0usize..12,
                ),
                0..60,
            )
        ) {
            let reachable = reachable();
            let mut state: Option<State> = None;
            for (step, role, same_department, guided, k) in moves {
                // Purely random moves rarely get past the first steps; half of them are
                // steered towards an allowed step by an allowed role so deep states are visited.
                let allowed = allowed_steps(state);
                let (step, role) = if guided && !allowed.is_empty() {
                    let step = allowed[k % allowed.len()];
                    let roles = roles_for(step, state);
                    (step, roles.get(k % roles.len().max(1)).copied().unwrap_or(role))
                } else {
                    (step, role)
                };
                let actor = Actor {
                    role,
                    department: if same_department { "stp" } else { "skhdt" },
                };
                let got = check_step(state, step, &actor, "stp");
                match expected(state, step) {
                    None => {
                        let allowed = state.map_or(vec![Step::Receive], State::allowed_steps);
                        prop_assert_eq!(
                            got,
                            Err(FlowError::Transition(TransitionError {
                                from: state,
                                step,
                                allowed,
                            }))
                        );
                        if let Some(s) = state {
                            if s.is_terminal() {
                                prop_assert!(s.allowed_steps().is_empty());
                            }
                        }
                    }
                    Some((_, roles)) if !roles.contains(&role) => {
                        prop_assert_eq!(
                            got,
                            Err(FlowError::Permission(PermissionError::WrongRole {
                                step,
                                role,
                                allowed: roles,
                            }))
                        );
                    }
                    Some(_) if !same_department => {
                        let is_department_error = matches!(
                            got,
                            Err(FlowError::Permission(PermissionError::WrongDepartment { .. }))
                        );
                        prop_assert!(is_department_error);
                    }
                    Some((to, _)) => {
                        prop_assert_eq!(got, Ok(to));
                        prop_assert!(state.is_none_or(|s| !s.is_terminal()));
                        state = Some(to);
                        prop_assert!(reachable.contains(&to));
                    }
                }
            }
        }
    }
}
