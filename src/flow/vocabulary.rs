//! The flow's vocabulary: who acts (`Role`), what they do (`Step`, one signed record each) and
//! where a dossier stands (`State`, with its national portal status), each with one list of
//! names shared by the wire, serde and messages.

use std::{fmt, str::FromStr};

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

pub(super) fn join<T: fmt::Display>(items: &[T], sep: &str) -> String {
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
    pub(super) fn with_article(self) -> &'static str {
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
    /// The applicant paid the fee the dossier waits for (phí, lệ phí): cash at the desk, a bank
    /// transfer or a QR payment, recorded by the receiving officer.
    RecordPayment,
    /// Revocation (or supersession) of an issued result. Not a processing step: it is absent
    /// from the transition table (a returned dossier's processing is over, and `Returned` stays
    /// final); `check_revoke` decides it. It is still a signed record in the dossier's chain.
    Revoke,
    /// A new due date for a dossier in progress, with the apology owed for the delay
    /// (Circular 01/2018/TT-VPCP, form 04). The dossier stays in its state.
    Extend,
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
    Extend => "extend",
    RecordPayment => "record_payment",
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
            Step::Extend => "gia hạn, hẹn lại ngày trả kết quả",
            Step::RecordPayment => "thu phí, lệ phí",
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
    /// The fee is due before processing starts (after the receipt).
    FeesDue,
    /// The fee is due before the result is signed (after the approval).
    FeesDueAfterApproval,
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
    FeesDue => "fees_due",
    FeesDueAfterApproval => "fees_due_after_approval",
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
            State::FeesDue | State::FeesDueAfterApproval => "chờ thanh toán phí, lệ phí",
        }
    }

    /// The status code of the national public service portal. Several of our states map to the
    /// same portal status because the portal does not distinguish appraisal from approval
    /// (4, in progress) nor a decision from its signature (9, decided), nor when a fee is
    /// due (6).
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
            State::FeesDue | State::FeesDueAfterApproval => 6,
        }
    }

    /// Waiting for the applicant (papers or a fee): the processing clock does not run.
    pub fn awaits_applicant(self) -> bool {
        matches!(
            self,
            State::SupplementRequested | State::FeesDue | State::FeesDueAfterApproval
        )
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Returned | State::Refused | State::Withdrawn | State::Stopped
        )
    }
}
