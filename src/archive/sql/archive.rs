//! The SQL archive: a connection pool, the log key that signs checkpoints, and where document
//! bytes go. One type for both databases, `SqlArchive<Sqlite>` and `SqlArchive<Postgres>`;
//! the contracts are implemented for it once, in the sibling files.

use std::sync::Arc;

use sqlx::{pool::PoolConnection, Database, Pool};

use super::writer::GroupCommit;
use crate::{
    archive::{
        blobs::{BlobStore, BlobStores},
        error::{ArchiveError, Result},
    },
    ledger::LogKey,
};

pub struct SqlArchive<D: Database> {
    pub(crate) pool: Pool<D>,
    log: Option<Arc<LogKey>>,
    /// Where document bytes go: the `blobs` rows unless a store is set (`with_blob_store`).
    pub(super) blobs: BlobStores,
    /// The flow's writer, shared by the clones of this archive; a new one when the log key or
    /// the blob placement changes.
    pub(super) writer: Arc<GroupCommit>,
    /// The newest event number this process committed: watchers wait on it instead of
    /// polling (other replicas' events are found by polling, `EventStore`).
    pub(super) events: Arc<tokio::sync::watch::Sender<i64>>,
}

impl<D: Database> SqlArchive<D> {
    /// An archive on `pool`, whose migrations have run; no log key, blobs in the database.
    pub(crate) fn new(pool: Pool<D>) -> Self {
        Self {
            pool,
            log: None,
            blobs: BlobStores::default(),
            writer: Arc::default(),
            events: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Signs checkpoints with `key`: needed by every call that appends to the log.
    pub fn with_log(mut self, key: Arc<LogKey>) -> Self {
        self.log = Some(key);
        self.writer = Arc::default();
        self
    }

    /// Keeps new document bytes in `store` instead of the `blobs` rows (which then hold the
    /// hash, size and store name only). Rows naming `store` become readable.
    pub fn with_blob_store(mut self, store: Arc<dyn BlobStore>) -> Self {
        self.blobs.place_in(store);
        self.writer = Arc::default();
        self
    }

    /// Lets rows naming `store` be read (and checked by fsck) without putting new blobs
    /// there: blobs written under an earlier placement stay readable.
    pub fn with_readable_blob_store(mut self, store: Arc<dyn BlobStore>) -> Self {
        self.blobs.add_readable(store);
        self
    }

    /// The log key, for a write that appends to the log.
    pub(super) fn log_key(&self) -> Result<Arc<LogKey>> {
        self.log.clone().ok_or(ArchiveError::NoLogKey)
    }

    /// A pooled connection, for statements that need no transaction (reads, and the one
    /// idempotent update of `note_timestamp_expiry`).
    pub(super) async fn connection(&self) -> Result<PoolConnection<D>> {
        Ok(self.pool.acquire().await?)
    }
}

impl<D: Database> Clone for SqlArchive<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            log: self.log.clone(),
            blobs: self.blobs.clone(),
            writer: self.writer.clone(),
            events: self.events.clone(),
        }
    }
}

impl<D: Database> std::fmt::Debug for SqlArchive<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlArchive")
            .field("database", &D::NAME)
            .field("pool", &self.pool)
            .field("log", &self.log)
            .field("blobs", &self.blobs)
            .finish()
    }
}
