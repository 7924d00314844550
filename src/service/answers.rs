//! What the flow's use cases answer: a step's receipt and a dossier as `Get` shows it.

use super::{
    forms::IssuedForm,
    progress::{DeadlineHistory, FeeStatus},
};
use crate::{
    archive::{DossierRow, LogReceipt, StoredDocument, StoredRecord, StoredResult},
    flow::{DossierCode, State, Step, Timeliness},
    proto::v1 as pb,
};

/// What a step answers: the new state and the signed record.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub dossier_code: DossierCode,
    pub state: State,
    pub record: StoredRecord,
    pub decoded: pb::StepRecord,
    pub due_date: String,
    pub result_code: Option<String>,
    /// The record's inclusion in the transparency log.
    pub log: LogReceipt,
    /// The forms the step issued (Circular 01/2018): signed PDFs archived with the record.
    pub forms: Vec<IssuedForm>,
    /// Every result a `Return` issued, `-KQ1` first (`result_code` is the first).
    pub result_codes: Vec<String>,
}

/// A dossier as `Get` shows it.
#[derive(Debug, Clone)]
pub struct DossierView {
    pub row: DossierRow,
    pub state: State,
    pub procedure_name: String,
    pub timeliness: Timeliness,
    /// Extensions and waits for the applicant, read from the records.
    pub history: DeadlineHistory,
    /// The procedure's fee and its payment, if it has one.
    pub fee: Option<FeeStatus>,
    pub allowed_steps: Vec<Step>,
    pub documents: Vec<StoredDocument>,
    pub records: Vec<(StoredRecord, pb::StepRecord)>,
    pub result: Option<StoredResult>,
    pub result_content: Option<Vec<u8>>,
    /// Every result, `-KQ1` first, each with its newest version's bytes when asked for
    /// (empty otherwise).
    pub results: Vec<(StoredResult, Vec<u8>)>,
}
