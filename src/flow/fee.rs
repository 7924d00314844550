//! A procedure's fee (phí, lệ phí): what it is, how much, when it falls due, and the state a
//! dossier waits in until it is paid (national status 6).

use serde::{Deserialize, Serialize};

use super::vocabulary::State;

/// A procedure's fee: what it is called, how much, and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fee {
    /// e.g. "Lệ phí đăng ký doanh nghiệp".
    pub name: String,
    /// In đồng; Vietnam's currency has no minor unit.
    pub amount_vnd: u64,
    pub due: FeeDue,
}

/// When the fee must be paid before the dossier moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeDue {
    /// Before processing starts: the dossier waits after receipt.
    AtReceipt,
    /// Before the result is signed: the dossier waits after approval.
    AfterApproval,
}

impl Fee {
    /// The state a step leads to once the fee is taken into account: a dossier that owes its
    /// fee at this point waits for the payment. Only the first receipt and the approval can
    /// owe it; a re-receipt after a supplement comes after a fee due at receipt was paid.
    pub fn gate(fee: Option<&Fee>, from: Option<State>, to: State) -> State {
        match (fee.map(|f| f.due), from, to) {
            (Some(FeeDue::AtReceipt), None, State::Received) => State::FeesDue,
            (Some(FeeDue::AfterApproval), Some(State::Appraised), State::Approved) => {
                State::FeesDueAfterApproval
            }
            _ => to,
        }
    }
}

/// "200.000 đồng": amounts as Vietnamese write them, dots between thousands.
pub fn format_vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 5);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" đồng");
    out
}
