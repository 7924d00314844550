//! What the flow's writes hand the archive: a new dossier, a signed step record with its
//! documents, how the step changes the dossier row (a result signed, issued or revoked), and
//! the request mark and audit line stored in the same transaction.

use super::events::NewEvent;
use crate::flow::AgencyCode;

/// What `Receive` knows before the dossier has a code.
#[derive(Debug, Clone)]
pub struct NewDossier {
    pub agency: AgencyCode,
    pub received_on: time::Date,
    pub procedure_code: String,
    pub department: String,
    pub applicant_id: String,
    pub applicant_name: String,
    pub state: String,
    pub received_at_ms: i64,
    pub due_date: String,
    /// "desk", "online" or "post".
    pub channel: String,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// What the dossier's first event announces.
    pub event: NewEvent,
}

/// A signed step record ready to be stored, with the documents it attaches.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub sequence: i64,
    pub step: String,
    pub record: Vec<u8>,
    pub signature: Vec<u8>,
    pub record_sha256: [u8; 32],
    pub credential_id: String,
    pub time_ms: i64,
    pub documents: Vec<NewDocument>,
}

#[derive(Clone)]
pub struct NewDocument {
    pub name: String,
    pub media_type: String,
    pub sha256: [u8; 32],
    pub content: Vec<u8>,
}

impl std::fmt::Debug for NewDocument {
    // Documents can be large and hold personal data: never dump their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDocument")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("sha256", &hex::encode(self.sha256))
            .field("size", &self.content.len())
            .finish()
    }
}

/// The signed result document of step 4, under the result code it will be issued with.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// 1 for `-KQ1`, 2 for `-KQ2`…
    pub index: i64,
    pub result_code: String,
    pub document: NewDocument,
    /// The PAdES level reached, e.g. "B-LT".
    pub level: String,
    pub page_count: i64,
    /// The competent signer's name.
    pub signer: String,
    pub applicant_id: String,
    pub procedure_code: String,
    /// Decree 30/2020 archival metadata, JSON.
    pub metadata: String,
    pub signed_at_ms: i64,
}

/// How a step changes the dossier row.
#[derive(Debug, Clone, Default)]
pub struct DossierChange {
    pub state: String,
    /// A re-receipt after a supplement starts the processing time again.
    pub due_date: Option<String>,
    pub finished_on: Option<String>,
    /// Set by `Sign`: the dossier's results, `-KQ1` first.
    pub results: Vec<NewResult>,
    /// Set by `Return`: every result is issued under its code.
    pub issue_results: Vec<IssuedResult>,
    /// Set by `RevokeResult`: the issued result's new status.
    pub revoke_result: Option<ResultRevocation>,
    /// What the step's event announces (set where every step commits, `service::commit`).
    pub event: NewEvent,
}

/// A valid, issued result becomes revoked or superseded.
#[derive(Debug, Clone)]
pub struct ResultRevocation {
    pub result_code: String,
    /// "revoked" or "superseded".
    pub status: String,
    pub reason: String,
    pub superseded_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IssuedResult {
    pub result_code: String,
    pub issued_at_ms: i64,
    /// SHA-256 of the issued PDF: logged as its own leaf.
    pub sha256: [u8; 32],
}

/// The idempotency key of a mutating call and a fingerprint of its payload.
#[derive(Debug, Clone)]
pub struct RequestMark {
    pub request_id: String,
    pub method: String,
    pub fingerprint: [u8; 32],
    pub at_ms: i64,
}

/// The first answer recorded under a request id: where that call's record went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub method: String,
    pub fingerprint: Vec<u8>,
    pub dossier_code: String,
    pub sequence: i64,
}

/// One line of the audit trail: every call, whatever its outcome.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub method: String,
    /// Who called: the client certificate's subject and SHA-256, "anonymous", or "insecure"
    /// on a plaintext development server.
    pub caller: Option<String>,
    pub request_id: Option<String>,
    pub credential_id: Option<String>,
    pub dossier_code: Option<String>,
    /// "ok" or the error's kind, e.g. "permission_denied".
    pub outcome: String,
    pub message: String,
}
