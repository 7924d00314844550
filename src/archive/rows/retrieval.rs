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

/// What statistics count: the dossiers handled in a period (received in it, or received
/// before and not finished when it began), of a department and/or procedure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatisticsQuery {
    /// First and last day of the period, YYYY-MM-DD (Vietnam dates), inclusive.
    pub from: String,
    pub to: String,
    /// The day dossiers still in progress are judged on (the period's end, or today if the
    /// period has not ended), YYYY-MM-DD.
    pub as_of: String,
    /// The end of the period's last day, Unix milliseconds: extensions up to it count.
    pub end_ms: i64,
    pub department: Option<String>,
    pub procedure_code: Option<String>,
}

/// The counts of a period, as the centres report them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DossierCounts {
    /// Received before the period, not finished when it began.
    pub carried_over: i64,
    pub received_new: i64,
    /// Of the new ones, by channel (the rest came to the desk).
    pub received_online: i64,
    pub received_by_post: i64,
    /// Returned in the period, by the due date in force: before it, on it, after it.
    pub resolved_early: i64,
    pub resolved_on_time: i64,
    pub resolved_late: i64,
    /// Of the returned ones, those with an electronic result issued.
    pub electronic_results: i64,
    pub refused: i64,
    pub withdrawn: i64,
    pub stopped: i64,
    /// Not finished at the period's end, judged on `as_of` by the due date in force now.
    pub in_progress_on_time: i64,
    pub in_progress_overdue: i64,
    /// Handled in the period and extended (a new due date with an apology) by its end.
    pub extended: i64,
}
