//! Whether an official may perform a step: the one check the service calls before every step,
//! and the rule for revoking an issued result.

use super::{
    machine::{allowed_steps, roles_for, transition, TransitionError},
    vocabulary::{join, Role, State, Step},
};

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
    check_actor(step, roles_for(step, from), actor, handling_department)?;
    Ok(to)
}

/// The role, then the department: the actor must hold one of `roles` and belong to the
/// handling department (an empty department never matches).
fn check_actor(
    step: Step,
    roles: &[Role],
    actor: &Actor<'_>,
    handling_department: &str,
) -> Result<(), PermissionError> {
    if !roles.contains(&actor.role) {
        return Err(PermissionError::WrongRole {
            step,
            role: actor.role,
            allowed: roles.to_vec(),
        });
    }
    if actor.department.is_empty() || actor.department != handling_department {
        return Err(PermissionError::WrongDepartment {
            step,
            actor_department: actor.department.chars().take(64).collect(),
            handling_department: handling_department.chars().take(64).collect(),
        });
    }
    Ok(())
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
    check_actor(step, &[Role::Approver], actor, handling_department)?;
    Ok(State::Returned)
}

#[cfg(test)]
mod tests {
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
