//! Rows to values: one plain function per row shape, over any row with the archive's
//! [`Columns`]. Statements that select a subset name the columns these functions read.

use super::backend::Columns;
use crate::archive::{
    error::{ArchiveError, Result},
    rows::{
        Delivery, DeliveryState, DossierRow, RenewalCandidate, SigningSession, StoredCheckpoint,
        StoredDocument, StoredEvent, StoredRecord, StoredRenewal, StoredRequest, StoredResult,
    },
};

/// `SELECT * FROM dossiers`.
pub fn dossier(row: &impl Columns) -> Result<DossierRow> {
    Ok(DossierRow {
        code: row.get("code")?,
        agency_code: row.get("agency_code")?,
        procedure_code: row.get("procedure_code")?,
        department: row.get("department")?,
        applicant_id: row.get("applicant_id")?,
        applicant_name: row.get("applicant_name")?,
        state: row.get("state")?,
        version: row.get("version")?,
        received_at_ms: row.get("received_at_ms")?,
        received_on: row.get("received_on")?,
        due_date: row.get("due_date")?,
        finished_on: row.get("finished_on")?,
        result_code: row.get("result_code")?,
        last_record_sha256: row.get("last_record_sha256")?,
        record_count: row.get("record_count")?,
        channel: row.get("channel")?,
        contact_phone: row.get("contact_phone")?,
        contact_email: row.get("contact_email")?,
    })
}

/// `SELECT * FROM results`. The current version is the one as issued until a renewal.
pub fn result(row: &impl Columns) -> Result<StoredResult> {
    let current_sha256: Option<Vec<u8>> = row.get("current_sha256")?;
    let current_size: Option<i64> = row.get("current_size")?;
    let sha256: Vec<u8> = row.get("sha256")?;
    let size: i64 = row.get("size")?;
    Ok(StoredResult {
        dossier_code: row.get("dossier_code")?,
        result_code: row.get("result_code")?,
        name: row.get("name")?,
        media_type: row.get("media_type")?,
        current_sha256: current_sha256.unwrap_or_else(|| sha256.clone()),
        current_size: current_size.unwrap_or(size),
        sha256,
        size,
        level: row.get("level")?,
        page_count: row.get("page_count")?,
        signer: row.get("signer")?,
        applicant_id: row.get("applicant_id")?,
        procedure_code: row.get("procedure_code")?,
        metadata: row.get("metadata")?,
        signed_at_ms: row.get("signed_at_ms")?,
        issued_at_ms: row.get("issued_at_ms")?,
        status: row.get("status")?,
        status_reason: row.get("status_reason")?,
        superseded_by: row.get("superseded_by")?,
        renewed_at_ms: row.get("renewed_at_ms")?,
        timestamp_expires_at_ms: row.get("timestamp_expires_at_ms")?,
    })
}

/// `queries::RECORDS`, `queries::RECORD`.
pub fn record(row: &impl Columns) -> Result<StoredRecord> {
    Ok(StoredRecord {
        sequence: row.get("sequence")?,
        step: row.get("step")?,
        record: row.get("record")?,
        signature: row.get("signature")?,
        record_sha256: row.get("record_sha256")?,
    })
}

/// `queries::DOCUMENTS`.
pub fn document(row: &impl Columns) -> Result<StoredDocument> {
    Ok(StoredDocument {
        record_sequence: row.get("record_sequence")?,
        name: row.get("name")?,
        media_type: row.get("media_type")?,
        sha256: row.get("sha256")?,
        size: row.get("size")?,
    })
}

/// `queries::FIND_REQUEST`.
pub fn request(row: &impl Columns) -> Result<StoredRequest> {
    Ok(StoredRequest {
        method: row.get("method")?,
        fingerprint: row.get("fingerprint")?,
        dossier_code: row.get("dossier_code")?,
        sequence: row.get("sequence")?,
    })
}

/// `SELECT size, root, note FROM ledger_checkpoints`.
pub fn checkpoint(row: &impl Columns) -> Result<StoredCheckpoint> {
    let size: i64 = row.get("size")?;
    Ok(StoredCheckpoint {
        size: u64::try_from(size)
            .map_err(|_| ArchiveError::Corrupt(format!("checkpoint size {size}")))?,
        root: row.get("root")?,
        note: row.get("note")?,
    })
}

/// `SELECT * FROM signing_sessions`.
pub fn session(row: &impl Columns) -> Result<SigningSession> {
    Ok(SigningSession {
        session_id: row.get("session_id")?,
        input_sha256: row.get("input_sha256")?,
        prepared: row.get("prepared")?,
        created_at_ms: row.get("created_at_ms")?,
        expires_at_ms: row.get("expires_at_ms")?,
    })
}

/// `queries::RENEWAL_CANDIDATES`.
pub fn renewal_candidate(row: &impl Columns) -> Result<RenewalCandidate> {
    Ok(RenewalCandidate {
        result_code: row.get("result_code")?,
        dossier_code: row.get("dossier_code")?,
        current_sha256: row.get("current_sha256")?,
        timestamp_expires_at_ms: row.get("timestamp_expires_at_ms")?,
    })
}

/// `SELECT * FROM result_renewals`.
pub fn renewal(row: &impl Columns) -> Result<StoredRenewal> {
    Ok(StoredRenewal {
        renewal: row.get("renewal")?,
        sha256: row.get("sha256")?,
        previous_sha256: row.get("previous_sha256")?,
        size: row.get("size")?,
        renewed_at_ms: row.get("renewed_at_ms")?,
        timestamp_expires_at_ms: row.get("timestamp_expires_at_ms")?,
    })
}

/// A leaf index as stored: never negative.
pub fn leaf_index(index: i64) -> Result<u64> {
    u64::try_from(index).map_err(|_| ArchiveError::Corrupt(format!("leaf index {index}")))
}

/// A log index or size as stored.
pub fn as_i64(value: u64) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| ArchiveError::Corrupt(format!("log index {value} is too large")))
}

/// `event_columns!()`: an event and what its dossier row adds.
pub fn event(row: &impl Columns) -> Result<StoredEvent> {
    let result_codes: String = row.get("result_codes")?;
    Ok(StoredEvent {
        sequence: row.get("sequence")?,
        dossier_code: row.get("dossier_code")?,
        record_sequence: row.get("record_sequence")?,
        step: row.get("step")?,
        state: row.get("state")?,
        national_status: row.get("national_status")?,
        department: row.get("department")?,
        procedure_code: row.get("procedure_code")?,
        at_ms: row.get("at_ms")?,
        record_sha256: row.get("record_sha256")?,
        result_codes: result_codes
            .split(',')
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect(),
        channel: row.get("channel")?,
        contact_phone: row.get("contact_phone")?,
        contact_email: row.get("contact_email")?,
    })
}

/// `delivery_columns!()`: a delivery with its event.
pub fn delivery(row: &impl Columns) -> Result<Delivery> {
    let state: String = row.get("delivery_state")?;
    Ok(Delivery {
        subscriber: row.get("subscriber")?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| ArchiveError::Corrupt(format!("unknown delivery state {state:?}")))?,
        attempts: row.get("attempts")?,
        next_attempt_ms: row.get("next_attempt_ms")?,
        last_error: row.get("last_error")?,
        delivered_at_ms: row.get("delivered_at_ms")?,
        event: event(row)?,
    })
}
