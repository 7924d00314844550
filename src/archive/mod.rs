//! The archive: everything the service keeps, behind one trait.
//!
//! The service decides *what* to store (it has already checked the flow, signed the record and
//! hashed the documents); the archive decides *how*, and guarantees that each state change is
//! one transaction guarded by the dossier's version, so two writers never both win. SQLite is
//! the embedded default; a PostgreSQL backend implements the same trait.
//!
//! The archive knows the domain's identifiers (`flow::codes`) and nothing of gRPC. Only
//! `fsck`, which re-checks everything stored, decodes records and verifies their signatures
//! (through `record` and `cms`); storing and reading never interpret a record's bytes.

pub mod blobs;
mod fsck;
mod postgres;
mod sql;
mod sqlite;

use std::future::Future;

use crate::{
    flow::codes::{AgencyCode, DossierCode},
    ledger,
};

pub use blobs::{BlobStore, BlobStores, FileBlobStore};
pub use fsck::{Finding, FsckReport};
pub use postgres::PgArchive;
pub use sqlite::SqliteArchive;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Someone else changed the dossier between our read and our write.
    #[error("dossier {code} was changed by another request while this step was being performed (expected version {expected}); read it again and retry")]
    Conflict { code: String, expected: i64 },
    /// Another call with the same request id committed first.
    #[error("request id {0:?} was committed by a concurrent call")]
    RequestRace(String),
    /// The receiving agency used up its 9,999 numbers for the day.
    #[error("agency {agency} has used every dossier number for {day}")]
    NumbersExhausted { agency: String, day: String },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A blob row names a store that does not have the bytes, or a store this archive was
    /// not given. The row says the document was stored: this is data loss, never "not found".
    #[error("blob {sha256} is missing from {location}")]
    BlobMissing { sha256: String, location: String },
    /// A store returned bytes that are not the blob's (wrong size or hash).
    #[error("blob {sha256} in {location} is damaged: {problem}")]
    BlobDamaged {
        sha256: String,
        location: String,
        problem: String,
    },
    /// Blob rows name a store this archive was not given, so they cannot be checked.
    #[error("{blobs} blobs are kept in the {store:?} store, which this archive was not given")]
    BlobStoreNotConfigured { store: String, blobs: i64 },
    #[error("transparency log: {0}")]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("the archive has no log key: it cannot append to the transparency log")]
    NoLogKey,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

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
}

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
    pub result: Option<NewResult>,
    /// Set by `Return`: the result is issued under this code.
    pub issue_result: Option<IssuedResult>,
    /// Set by `RevokeResult`: the issued result's new status.
    pub revoke_result: Option<ResultRevocation>,
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
    pub request_id: Option<String>,
    pub credential_id: Option<String>,
    pub dossier_code: Option<String>,
    /// "ok" or the error's kind, e.g. "permission_denied".
    pub outcome: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub sequence: i64,
    pub step: String,
    pub record: Vec<u8>,
    pub signature: Vec<u8>,
    pub record_sha256: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub record_sequence: i64,
    pub name: String,
    pub media_type: String,
    pub sha256: Vec<u8>,
    pub size: i64,
}

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

/// An issued result a renewal sweep has to examine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalCandidate {
    pub result_code: String,
    pub dossier_code: String,
    pub current_sha256: Vec<u8>,
    pub timestamp_expires_at_ms: Option<i64>,
}

/// A new version of an issued result: the current version with a fresh document timestamp
/// appended (PAdES B-LTA).
#[derive(Debug, Clone)]
pub struct NewRenewal {
    pub result_code: String,
    pub dossier_code: String,
    /// The version this one extends; the renewal is refused if it is no longer current.
    pub previous_sha256: Vec<u8>,
    pub document: NewDocument,
    pub level: String,
    pub renewed_at_ms: i64,
    pub timestamp_expires_at_ms: i64,
}

/// A stored renewal, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRenewal {
    pub renewal: i64,
    pub sha256: Vec<u8>,
    pub previous_sha256: Vec<u8>,
    pub size: i64,
    pub renewed_at_ms: i64,
    pub timestamp_expires_at_ms: i64,
}

/// The storage the service needs. Every method that changes anything is one transaction.
pub trait Archive: Send + Sync + 'static {
    /// The first answer recorded under `request_id`, if any.
    fn find_request(
        &self,
        request_id: &str,
    ) -> impl Future<Output = Result<Option<StoredRequest>>> + Send;

    /// Creates a dossier: allocates its running number, then asks `build` for the signed first
    /// record (which must contain the code, so it can only be signed once the number is known),
    /// and stores dossier, record, documents, request mark and audit line in one transaction.
    /// If `build` fails nothing is stored and the number is not used up.
    fn create_dossier<F, E>(
        &self,
        new: NewDossier,
        request: RequestMark,
        audit: AuditEntry,
        build: F,
    ) -> impl Future<Output = Result<(DossierCode, NewRecord, LogReceipt), E>> + Send
    where
        F: FnOnce(&DossierCode) -> Result<NewRecord, E> + Send,
        E: From<ArchiveError> + Send;

    /// Appends a signed record to an existing dossier, if and only if the dossier is still at
    /// `expected_version`; otherwise `ArchiveError::Conflict` and nothing is written. The
    /// record (and an issued result) become leaves of the transparency log in the same
    /// transaction; the receipt proves the record's inclusion.
    fn append_step(
        &self,
        code: &DossierCode,
        expected_version: i64,
        change: DossierChange,
        record: &NewRecord,
        request: &RequestMark,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<LogReceipt>> + Send;

    /// The log receipt of a stored step record, as it was when the record was appended.
    fn log_receipt(
        &self,
        record_sha256: &[u8],
    ) -> impl Future<Output = Result<Option<LogReceipt>>> + Send;

    /// The newest signed checkpoint; `None` while the log is empty.
    fn latest_checkpoint(&self) -> impl Future<Output = Result<Option<StoredCheckpoint>>> + Send;

    /// The signed checkpoint of one tree size.
    fn checkpoint(
        &self,
        size: u64,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>>> + Send;

    /// The leaf index of a step record in the log.
    fn leaf_of_record(
        &self,
        record_sha256: &[u8],
    ) -> impl Future<Output = Result<Option<u64>>> + Send;

    /// The leaf hash and audit path of a leaf in the tree of `tree_size` leaves.
    fn inclusion_proof(
        &self,
        leaf_index: u64,
        tree_size: u64,
    ) -> impl Future<Output = Result<(ledger::Hash, Vec<ledger::Hash>)>> + Send;

    /// The RFC 9162 consistency proof between two tree sizes.
    fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> impl Future<Output = Result<Vec<ledger::Hash>>> + Send;

    fn dossier(
        &self,
        code: &DossierCode,
    ) -> impl Future<Output = Result<Option<DossierRow>>> + Send;

    fn records(&self, code: &DossierCode)
        -> impl Future<Output = Result<Vec<StoredRecord>>> + Send;

    fn record(
        &self,
        code: &DossierCode,
        sequence: i64,
    ) -> impl Future<Output = Result<Option<StoredRecord>>> + Send;

    fn documents(
        &self,
        code: &DossierCode,
    ) -> impl Future<Output = Result<Vec<StoredDocument>>> + Send;

    fn result(
        &self,
        code: &DossierCode,
    ) -> impl Future<Output = Result<Option<StoredResult>>> + Send;

    /// A blob's bytes, wherever they are stored; `None` if no row has this hash. A row whose
    /// store lacks the bytes (or is not configured) is `BlobMissing`, never `None`.
    fn blob(&self, sha256: &[u8]) -> impl Future<Output = Result<Option<Vec<u8>>>> + Send;

    /// Writes one audit line on its own (for calls that changed nothing).
    fn record_audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send;

    /// Rows per table, for operators and for tests that prove bad input changed nothing.
    fn row_counts(&self) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;

    /// A result by its code.
    fn result_by_code(
        &self,
        result_code: &str,
    ) -> impl Future<Output = Result<Option<StoredResult>>> + Send;

    /// The dossier code of the dossier a step record (by its SHA-256) belongs to.
    fn dossier_of_record(
        &self,
        record_sha256: &[u8],
    ) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Dossiers matching `query`, in (received_at_ms, code) order after its cursor.
    fn search(
        &self,
        query: &SearchQuery,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<(DossierRow, Option<StoredResult>)>>> + Send;

    /// Stores a prepared external signature.
    fn put_signing_session(
        &self,
        session: &SigningSession,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Takes (reads and deletes) a signing session, so that it completes at most once.
    fn take_signing_session(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<Option<SigningSession>>> + Send;

    /// The issued, still valid results of an applicant, newest first.
    fn reusable_results(
        &self,
        applicant_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredResult>>> + Send;

    /// How many issued results a renewal sweep with this horizon examines: those whose newest
    /// timestamp's TSA certificate expires at or before `horizon_ms`, or is not known yet.
    fn count_renewal_candidates(&self, horizon_ms: i64)
        -> impl Future<Output = Result<u64>> + Send;

    /// The next page of those results, in result-code order after `after`.
    fn renewal_candidates(
        &self,
        horizon_ms: i64,
        after: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<RenewalCandidate>>> + Send;

    /// Remembers when the newest timestamp of a result's current version expires, so later
    /// sweeps skip it until it is due. Ignored if the version is no longer current.
    fn note_timestamp_expiry(
        &self,
        result_code: &str,
        current_sha256: &[u8],
        expires_at_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Stores a renewed version, makes it current, and logs it as a leaf of the transparency
    /// log, in one transaction. `ArchiveError::Conflict` if `previous_sha256` is no longer the
    /// current version (another sweep renewed it first).
    fn renew_result(
        &self,
        renewal: &NewRenewal,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<LogReceipt>> + Send;

    /// Every renewal of a result, oldest first.
    fn renewals(
        &self,
        result_code: &str,
    ) -> impl Future<Output = Result<Vec<StoredRenewal>>> + Send;

    /// The log receipt of a result version's leaf (issued or renewed), as appended.
    fn result_log_receipt(
        &self,
        kind: LogKind,
        sha256: &[u8],
    ) -> impl Future<Output = Result<Option<LogReceipt>>> + Send;
}

/// What a log leaf stands for. The kind byte is part of the leaf data, so a step record and a
/// result can never be confused from the leaf alone; it is fixed forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// Leaf data `0x00 || SHA-256(step record bytes)`.
    StepRecord,
    /// Leaf data `0x01 || SHA-256(issued result PDF)`.
    IssuedResult,
    /// Leaf data `0x02 || SHA-256(renewed result PDF)`: a version with a fresh document
    /// timestamp appended by `archive renew`.
    RenewedResult,
}

impl LogKind {
    pub fn leaf_data(self, hash: &[u8]) -> Vec<u8> {
        let mut data = Vec::with_capacity(33);
        data.push(match self {
            LogKind::StepRecord => 0x00,
            LogKind::IssuedResult => 0x01,
            LogKind::RenewedResult => 0x02,
        });
        data.extend_from_slice(hash);
        data
    }

    pub fn name(self) -> &'static str {
        match self {
            LogKind::StepRecord => "step_record",
            LogKind::IssuedResult => "issued_result",
            LogKind::RenewedResult => "renewed_result",
        }
    }

    /// The kind a leaf's first byte names.
    pub fn of_leaf_data(data: &[u8]) -> Option<LogKind> {
        match data.first() {
            Some(0x00) => Some(LogKind::StepRecord),
            Some(0x01) => Some(LogKind::IssuedResult),
            Some(0x02) => Some(LogKind::RenewedResult),
            _ => None,
        }
    }
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Vec<u8>,
    pub note: String,
}

/// Where a record is in the log, with its audit path to a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReceipt {
    pub leaf_index: u64,
    pub leaf_hash: ledger::Hash,
    pub path: Vec<ledger::Hash>,
    pub checkpoint: StoredCheckpoint,
}

/// An external signature waiting for its value (CSC-style two-step signing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningSession {
    pub session_id: String,
    pub input_sha256: Vec<u8>,
    /// The prepared revision, JSON.
    pub prepared: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
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
