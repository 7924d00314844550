//! The commands the flow's use cases take, in domain words: what an interface fills in from
//! its wire format before calling the service.

use super::input::{ApplicantInput, DocumentInput};
use crate::flow::{Channel, Step};

/// Receive a new dossier, or re-receive one after a supplement.
#[derive(Debug, Clone, Default)]
pub struct ReceiveCommand {
    pub request_id: String,
    pub credential_id: String,
    pub procedure_code: String,
    pub applicant: ApplicantInput,
    pub documents: Vec<DocumentInput>,
    pub note: String,
    /// The dossier code of a dossier in `SupplementRequested`, for a re-receipt.
    pub supplement_of: String,
    /// Result codes cited instead of uploaded copies.
    pub cited_results: Vec<String>,
    /// How the dossier arrived; `None`: a value the interface did not know (refused, with the
    /// audit line every call gets).
    pub channel: Option<Channel>,
    /// The applicant's phone for notifications, if they agreed (checked by `Contact::new`).
    pub contact_phone: String,
    pub contact_email: String,
}

/// Any step on an existing dossier except sign.
#[derive(Debug, Clone)]
pub struct StepCommand {
    pub step: Step,
    pub request_id: String,
    pub credential_id: String,
    pub dossier_code: String,
    pub note: String,
    pub documents: Vec<DocumentInput>,
}

/// A later due date for a dossier in progress, with the reason (the apology's words).
#[derive(Debug, Clone, Default)]
pub struct ExtendCommand {
    pub request_id: String,
    pub credential_id: String,
    pub dossier_code: String,
    pub reason: String,
    /// YYYY-MM-DD, or empty when `working_days` says it.
    pub new_due_date: String,
    /// Working days from today, or 0 when `new_due_date` says it.
    pub working_days: u32,
    pub documents: Vec<DocumentInput>,
}

/// A fee paid, as the receiving officer records it.
#[derive(Debug, Clone, Default)]
pub struct PaymentCommand {
    pub request_id: String,
    pub credential_id: String,
    pub dossier_code: String,
    pub amount_vnd: u64,
    pub method: Option<PaymentMethod>,
    pub reference: String,
    pub note: String,
}

/// How a fee was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMethod {
    Cash,
    BankTransfer,
    QrPayment,
}

impl PaymentMethod {
    pub fn vietnamese(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "tiền mặt",
            PaymentMethod::BankTransfer => "chuyển khoản",
            PaymentMethod::QrPayment => "thanh toán qua mã QR",
        }
    }
}

/// Step 4: the result document, signed by the competent signer and then the seal.
#[derive(Debug, Clone)]
pub struct SignCommand {
    pub request_id: String,
    pub credential_id: String,
    pub dossier_code: String,
    pub note: String,
    /// A PDF made by the department system…
    pub result: Option<DocumentInput>,
    /// …or the content for the service to render.
    pub content: Option<ResultContent>,
    pub metadata: ResultMetadata,
    /// Further result documents of the same decision (`-KQ2`, `-KQ3`…).
    pub more_results: Vec<ResultItem>,
}

/// A further result document of a Sign: a PDF or content to render, and its metadata.
#[derive(Debug, Clone, Default)]
pub struct ResultItem {
    pub result: Option<DocumentInput>,
    pub content: Option<ResultContent>,
    pub metadata: ResultMetadata,
}

/// One result document of a Sign, the first or a further one, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct ResultItemRef<'a> {
    pub result: Option<&'a DocumentInput>,
    pub content: Option<&'a ResultContent>,
    pub metadata: &'a ResultMetadata,
}

impl SignCommand {
    /// Every result document, `-KQ1` first.
    pub fn items(&self) -> Vec<ResultItemRef<'_>> {
        std::iter::once(ResultItemRef {
            result: self.result.as_ref(),
            content: self.content.as_ref(),
            metadata: &self.metadata,
        })
        .chain(self.more_results.iter().map(|r| ResultItemRef {
            result: r.result.as_ref(),
            content: r.content.as_ref(),
            metadata: &r.metadata,
        }))
        .collect()
    }
}

/// A result document's content, for the service to render (Decree 30/2020 layout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultContent {
    pub issuing_body: String,
    pub number_notation: String,
    pub place_and_date: String,
    pub title: String,
    pub subtitle: String,
    pub body: Vec<String>,
    pub signer_position: String,
}

/// Archival metadata of a result (Decree 30/2020, appendix VI), kept as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ResultMetadata {
    pub document_type: String,
    pub number_notation: String,
    pub issue_date: String,
    pub issuing_body: String,
    pub subject: String,
    pub language: String,
    pub retention: String,
}

impl ResultMetadata {
    /// Stored metadata; a row that does not parse shows as empty rather than failing a read.
    pub fn from_json(text: &str) -> ResultMetadata {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
