//! What reading hands out: a dossier row, its step records and documents, its result, and the
//! archivist's search criteria. Nothing here is ever interpreted by the archive.

/// A dossier as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRow {
    pub code: String,
    pub agency_code: String,
    pub procedure_code: String,
    pub department: String,
    pub applicant_id: String,
    pub applicant_name: String,
    pub state: String,
    pub version: i64,
    pub received_at_ms: i64,
    pub received_on: String,
    pub due_date: String,
    pub finished_on: Option<String>,
    pub result_code: Option<String>,
    pub last_record_sha256: Vec<u8>,
    pub record_count: i64,
    /// "desk", "online" or "post".
    pub channel: String,
    /// The applicant's contact for notifications, if they agreed; never shown in public.
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

/// A step record and its detached signature, exactly as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub sequence: i64,
    pub step: String,
    pub record: Vec<u8>,
    pub signature: Vec<u8>,
    pub record_sha256: Vec<u8>,
}

/// A document attached by a step record; its bytes are the blob of `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub record_sequence: i64,
    pub name: String,
    pub media_type: String,
    pub sha256: Vec<u8>,
    pub size: i64,
}

/// A dossier's result: the signed PDF's description, its status and its newest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub dossier_code: String,
    pub result_code: String,
    pub name: String,
    pub media_type: String,
    pub sha256: Vec<u8>,
    pub size: i64,
    pub level: String,
    pub page_count: i64,
    pub signer: String,
    pub applicant_id: String,
    pub procedure_code: String,
    pub metadata: String,
    pub signed_at_ms: i64,
    pub issued_at_ms: Option<i64>,
    /// "valid", "revoked" or "superseded".
    pub status: String,
    pub status_reason: Option<String>,
    pub superseded_by: Option<String>,
    /// The newest version: `sha256` until the first renewal, then the last renewed file.
    pub current_sha256: Vec<u8>,
    pub current_size: i64,
    pub renewed_at_ms: Option<i64>,
    /// When the newest timestamp's TSA certificate expires, once a renewal sweep examined it.
    pub timestamp_expires_at_ms: Option<i64>,
}

/// Archivist search criteria; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub applicant_id: Option<String>,
    pub procedure_code: Option<String>,
    pub department: Option<String>,
    pub state: Option<String>,
    /// Inclusive bounds on the receipt date, YYYY-MM-DD.
    pub received_from: Option<String>,
    pub received_to: Option<String>,
    /// Continue after this (received_at_ms, dossier code).
    pub after: Option<(i64, String)>,
}
