//! The state machine against a table written independently from the specification, and the
//! permission checks over every state, step, role and department.

use crate::flow::{
    fee::{Fee, FeeDue},
    machine::{allowed_steps, roles_for, transition, TransitionError},
    permission::{check_step, Actor, FlowError, PermissionError},
    vocabulary::{Role, State, Step},
};
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
    for s in [
        Received,
        SupplementRequested,
        Appraised,
        Approved,
        FeesDue,
        FeesDueAfterApproval,
    ] {
        t.push((Some(s), Withdraw, Withdrawn, vec![Receiver]));
        t.push((Some(s), Stop, Stopped, vec![Approver]));
    }
    // A fee paid at the desk moves the dossier on; unpaid, it may still be refused.
    t.push((Some(FeesDue), RecordPayment, Received, vec![Receiver]));
    t.push((
        Some(FeesDueAfterApproval),
        RecordPayment,
        Approved,
        vec![Receiver],
    ));
    t.push((Some(FeesDue), Refuse, Refused, vec![Receiver, Appraiser]));
    t.push((Some(FeesDueAfterApproval), Refuse, Refused, vec![Approver]));
    // An extension keeps the state; not while the applicant owes papers.
    for s in [Received, Appraised, Approved, Signed] {
        t.push((Some(s), Extend, s, vec![Appraiser, Approver]));
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
                // A procedure's fee may hold the dossier after its receipt or its approval.
                let gated = [FeeDue::AtReceipt, FeeDue::AfterApproval].map(|due| {
                    let fee = Fee {
                        name: "Lệ phí".to_owned(),
                        amount_vnd: 1,
                        due,
                    };
                    Fee::gate(Some(&fee), from, to)
                });
                for to in std::iter::once(to).chain(gated) {
                    if seen.insert(to) {
                        frontier.push(Some(to));
                    }
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
fn a_fee_holds_the_first_receipt_or_the_approval_only() {
    use State::*;
    let at_receipt = Fee {
        name: "Lệ phí".to_owned(),
        amount_vnd: 50_000,
        due: FeeDue::AtReceipt,
    };
    let after_approval = Fee {
        due: FeeDue::AfterApproval,
        ..at_receipt.clone()
    };
    assert_eq!(Fee::gate(Some(&at_receipt), None, Received), FeesDue);
    assert_eq!(
        Fee::gate(Some(&at_receipt), Some(SupplementRequested), Received),
        Received,
        "a re-receipt comes after the fee was paid"
    );
    assert_eq!(
        Fee::gate(Some(&at_receipt), Some(Appraised), Approved),
        Approved
    );
    assert_eq!(
        Fee::gate(Some(&after_approval), Some(Appraised), Approved),
        FeesDueAfterApproval
    );
    assert_eq!(Fee::gate(Some(&after_approval), None, Received), Received);
    assert_eq!(Fee::gate(None, None, Received), Received);
    assert!(FeesDue.awaits_applicant() && FeesDueAfterApproval.awaits_applicant());
    assert_eq!(crate::flow::format_vnd(1_250_000), "1.250.000 đồng");
    assert_eq!(crate::flow::format_vnd(50_000), "50.000 đồng");
    assert_eq!(crate::flow::format_vnd(999), "999 đồng");
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
    assert_eq!(got, vec![2, 4, 9, 9, 10, 5, 3, 7, 8, 6, 6]);
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
         return, request_supplement, refuse, withdraw, stop, revoke, extend, record_payment"
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

#[test]
fn machine_times_are_rfc3339_in_utc() {
    assert_eq!(super::rfc3339_millis(0), "1970-01-01T00:00:00Z");
    assert_eq!(
        super::rfc3339_millis(1_796_526_765_123),
        "2026-12-06T03:12:45.123Z"
    );
    assert_eq!(super::rfc3339_millis(i64::MAX), "");
}
