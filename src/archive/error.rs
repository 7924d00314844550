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
}

pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;
