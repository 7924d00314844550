//! What can go wrong in the archive, in words an operator can act on: conflicts and races the
//! service turns into retries, data loss it must never report as "not found", and the
//! database's own errors.

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
    /// The group commit this write was part of failed as a whole (its transaction could not
    /// begin, append to the log or commit): nothing of it was written.
    #[error("the group commit failed, nothing of it was written: {message}")]
    BatchFailed { message: String, unavailable: bool },
    /// The archive's writer stopped (its runtime is shutting down) before answering.
    #[error("the archive's writer stopped before the write was committed")]
    WriterStopped,
    /// The first record of a dossier could not be built; the builder's own error says why.
    #[error("the dossier's first record could not be built")]
    RecordNotBuilt,
}

impl ArchiveError {
    /// Whether the database gave up on this write because of other writers — PostgreSQL's
    /// deadlock (40P01) or serialization failure (40001), e.g. two replicas' group commits
    /// taking the same dossiers in opposite orders: the write was undone and may be retried.
    pub fn is_contention(&self) -> bool {
        match self {
            ArchiveError::Database(sqlx::Error::Database(error)) => {
                matches!(error.code().as_deref(), Some("40P01" | "40001"))
            }
            _ => false,
        }
    }

    /// Whether the database could not be reached (a retry may succeed), rather than refused.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            ArchiveError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            ) | ArchiveError::BatchFailed {
                unavailable: true,
                ..
            } | ArchiveError::WriterStopped
        )
    }
}

pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;
