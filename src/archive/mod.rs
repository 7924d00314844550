//! The archive: everything the service keeps, behind the contracts its callers need.
//!
//! The service decides *what* to store (it has already checked the flow, signed the record and
//! hashed the documents); the archive decides *how*, and guarantees that each state change is
//! one transaction guarded by the dossier's version, so two writers never both win. SQLite is
//! the embedded default; PostgreSQL runs the same SQL (`sql`).
//!
//! The archive knows the domain's identifiers (`flow::codes`) and the log (`ledger`), nothing
//! of gRPC, and never interprets a record's bytes: fsck's record and signature checks live in
//! `service::fsck`, which reads each dossier's chain through `IntegrityStore`.
//!
//! - `contracts`: the traits, one per kind of caller, and `Archive`, all of them together;
//! - `rows`: the values they take and return, grouped the same way;
//! - `sql`: their implementation for both databases; `sqlite`, `postgres`: opening each;
//! - `blobs`: where document bytes live (the database row or a `BlobStore`);
//! - `error`: `ArchiveError`.

mod blobs;
mod contracts;
mod error;
mod postgres;
mod rows;
mod sql;
mod sqlite;

pub use blobs::{BlobStore, FileBlobStore, FILES};
pub use contracts::{
    ActivationStore, Archive, DeliveryStore, EventStore, FlowStore, IntegrityStore, LogStore,
    RenewalStore, RetrievalStore, SessionStore,
};
pub use error::{ArchiveError, Result};
pub use postgres::PgArchive;
pub use rows::{
    AuditEntry, Delivery, DeliveryBacklog, DeliveryOutcome, DeliveryRound, DeliveryState,
    DossierChange, DossierCounts, DossierRow, Finding, FsckReport, IssuedResult, LogKind,
    LogReceipt, NewDocument, NewDossier, NewEvent, NewRecord, NewRenewal, NewResult,
    RenewalCandidate, RequestMark, ResultRevocation, ResultVersions, SearchQuery, SigningSession,
    StatisticsQuery, StoredChain, StoredCheckpoint, StoredDocument, StoredEvent, StoredRecord,
    StoredRenewal, StoredRequest, StoredResult,
};
pub use sql::SqlArchive;
pub use sqlite::{Durability, SqliteArchive};
