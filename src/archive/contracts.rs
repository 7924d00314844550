//! The contracts the archive offers, one per kind of caller: the flow's writes, the
//! transparency log, retrieval, signing sessions, renewals and fsck. `Archive` is all of them
//! together, which is what `Service<A: Archive>` asks for; a use case that needs less can say
//! so with a narrower bound.
//!
//! Every method that changes anything is one transaction. Methods return `impl Future + Send`
//! (no boxing), so the service stays generic over the archive rather than `dyn`.

use std::future::Future;

use super::{
    error::{ArchiveError, Result},
    rows::{
        AuditEntry, Delivery, DeliveryBacklog, DeliveryRound, DeliveryState, DossierChange,
        DossierCounts, DossierRow, FsckReport, LogKind, LogReceipt, NewDocument, NewDossier,
        NewRecord, NewRenewal, RenewalCandidate, RequestMark, SearchQuery, SigningSession,
        StatisticsQuery, StoredChain, StoredCheckpoint, StoredDocument, StoredEvent, StoredRecord,
        StoredRenewal, StoredRequest, StoredResult,
    },
};
use crate::{
    flow::DossierCode,
    ledger::{self, LogVerifier},
};

/// The flow's writes: a dossier is created or moves one step, each time with its signed
/// record, its request mark and its audit line in the same transaction, guarded by the
/// dossier's version so two writers never both win. Writes waiting at the same moment may
/// share one transaction (a group commit); each still succeeds or fails alone, and none is
/// answered before it is committed.
pub trait FlowStore: Send + Sync {
    /// The first answer recorded under `request_id`, if any.
    fn find_request(
        &self,
        request_id: &str,
    ) -> impl Future<Output = Result<Option<StoredRequest>>> + Send;

    /// Creates a dossier: allocates its running number, then asks `build` for the signed first
    /// record (which must contain the code, so it can only be signed once the number is known),
    /// and stores dossier, record, `documents` (attached to the record), request mark and
    /// audit line in one transaction. If `build` fails nothing is stored and the number is
    /// not used up. `build` runs while the archive's writes wait for it: it should only sign.
    fn create_dossier<F, E>(
        &self,
        new: NewDossier,
        documents: Vec<NewDocument>,
        request: RequestMark,
        audit: AuditEntry,
        build: F,
    ) -> impl Future<Output = Result<(DossierCode, NewRecord, LogReceipt), E>> + Send
    where
        F: FnOnce(&DossierCode) -> Result<NewRecord, E> + Send + 'static,
        E: From<ArchiveError> + Send + 'static;

    /// Appends a signed record to an existing dossier, if and only if the dossier is still at
    /// `expected_version`; otherwise `ArchiveError::Conflict` and nothing is written. The
    /// record (and an issued result) become leaves of the transparency log in the same
    /// transaction; the receipt proves the record's inclusion. The record comes back with it.
    fn append_step(
        &self,
        code: &DossierCode,
        expected_version: i64,
        change: DossierChange,
        record: NewRecord,
        request: RequestMark,
        audit: AuditEntry,
    ) -> impl Future<Output = Result<(NewRecord, LogReceipt)>> + Send;

    /// Attaches a signed form to record `sequence` of an existing dossier, after that record
    /// committed, as the record's next document; the form's hash becomes its own leaf of the
    /// log (`LogKind::Form`), whose receipt is returned.
    fn attach_form(
        &self,
        code: &DossierCode,
        sequence: i64,
        document: NewDocument,
        at_ms: i64,
    ) -> impl Future<Output = Result<LogReceipt>> + Send;

    /// Writes one audit line on its own (for calls that changed nothing).
    fn record_audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send;
}

/// The transparency log: receipts, checkpoints and proofs. Appending happens inside the
/// writes of `FlowStore` and `RenewalStore`, never on its own.
pub trait LogStore: Send + Sync {
    /// The log receipt of a stored step record, as it was when the record was appended.
    fn log_receipt(
        &self,
        record_sha256: &[u8],
    ) -> impl Future<Output = Result<Option<LogReceipt>>> + Send;

    /// The log receipt of a result version's leaf (issued or renewed), as appended.
    fn result_log_receipt(
        &self,
        kind: LogKind,
        sha256: &[u8],
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
}

/// Reading what the flow stored: dossiers, records, documents and results, blobs, the
/// archivist's search and the reuse of an applicant's results.
pub trait RetrievalStore: Send + Sync {
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

    /// A result by its code.
    /// All the results of a dossier, `-KQ1` first; empty before Sign.
    fn results(&self, code: &DossierCode)
        -> impl Future<Output = Result<Vec<StoredResult>>> + Send;

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

    /// The counts of a period (`DossierCounts`): one pass over the dossiers it handled.
    fn count_dossiers(
        &self,
        query: &StatisticsQuery,
    ) -> impl Future<Output = Result<DossierCounts>> + Send;

    /// The issued, still valid results of an applicant, newest first.
    fn reusable_results(
        &self,
        applicant_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredResult>>> + Send;
}

/// The events every state change wrote with its step (the outbox), in commit order.
pub trait EventStore: Send + Sync {
    /// Up to `limit` events numbered after `after`, in order.
    fn events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    /// The newest event's number; 0 before the first.
    fn last_event(&self) -> impl Future<Output = Result<i64>> + Send;

    /// The newest number this process has committed, changing as it commits more: a waiter
    /// wakes at once for this replica's events (and polls for other replicas').
    fn committed_events(&self) -> tokio::sync::watch::Receiver<i64>;
}

/// Delivery of events to webhook subscribers and the message bus, in the database so that
/// replicas share the work and none sends an event twice in the normal case.
pub trait DeliveryStore: Send + Sync {
    /// Creates the subscriber's cursor at `start` if it has none (a new subscriber starts
    /// there; an existing one keeps its place).
    fn register_subscriber(
        &self,
        subscriber: &str,
        start: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// One round of a subscriber's deliveries, in one transaction (so a replica's delivery
    /// work takes the database's write lock once per round, not once per step of it):
    /// records how the attempts of the previous round ended (`finished`); plans the next
    /// events after the cursor, up to `plan_limit` read, those `wanted` owed from `now_ms`, the
    /// cursor moved past them only from the value read (so one replica plans each event);
    /// then claims up to `claim_limit` deliveries that may be attempted now — the oldest open
    /// one of each dossier only, so a dossier's events go in order — each until
    /// `lease_until_ms`, and returns them with their events.
    fn deliveries_round(
        &self,
        round: DeliveryRound<'_>,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;

    /// Deliveries for an operator, in event order after `after`.
    fn deliveries(
        &self,
        subscriber: Option<&str>,
        state: Option<DeliveryState>,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;

    /// Makes deliveries owed again from their first attempt: one (`sequence`), or every dead
    /// one of the subscriber. Returns how many.
    fn replay_deliveries(
        &self,
        subscriber: &str,
        sequence: Option<i64>,
        now_ms: i64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Every subscriber's backlog.
    fn delivery_backlog(&self) -> impl Future<Output = Result<Vec<DeliveryBacklog>>> + Send;

    /// Creates a bus publisher's cursor at `start` if it has none (see `register_subscriber`).
    fn register_publisher(
        &self,
        publisher: &str,
        start: i64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// How far a bus publisher has published; `None` if it was never registered. A read: the
    /// publisher asks every round.
    fn bus_cursor(&self, publisher: &str) -> impl Future<Output = Result<Option<i64>>> + Send;

    /// Moves a publisher's cursor from `from` to `to`; false if another replica moved it.
    fn advance_bus_cursor(
        &self,
        publisher: &str,
        from: i64,
        to: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// External signing sessions between `PrepareSignature` and `CompleteSignature`.
pub trait SessionStore: Send + Sync {
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
}

/// Activation factors of officials' credentials: failed attempts and locks, in the database so
/// that every replica counts the same failures and honours the same lock.
pub trait ActivationStore: Send + Sync {
    /// When the credential was locked, if it is.
    fn credential_lock(
        &self,
        credential_id: &str,
    ) -> impl Future<Output = Result<Option<i64>>> + Send;

    /// Records a failed activation at `at_ms` and, when `limit` failures fall within the
    /// `window_ms` before it, locks the credential. Returns whether it is locked now.
    fn record_activation_failure(
        &self,
        credential_id: &str,
        at_ms: i64,
        window_ms: i64,
        limit: u32,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Marks the TOTP `time_step` of a code as used by the credential, if it is newer than
    /// every step used before; whether it was (a code is good once, RFC 6238 §5.2).
    fn use_totp_step(
        &self,
        credential_id: &str,
        time_step: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Unlocks the credential and forgets its failures; whether it was locked.
    fn unlock_credential(&self, credential_id: &str) -> impl Future<Output = Result<bool>> + Send;
}

/// The long-term renewal sweep: which issued results are due, their new versions, and the
/// versions stored so far.
pub trait RenewalStore: Send + Sync {
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
}

/// What fsck and operators read: the storage checks the archive can make on its own, and each
/// dossier's chain as stored for the checks that need records understood (`service::fsck`).
/// Read-only.
pub trait IntegrityStore: Send + Sync {
    /// Rows per table, for operators and for tests that prove bad input changed nothing.
    fn row_counts(&self) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;

    /// Re-reads every blob wherever its bytes are kept and checks its hash and size, then
    /// counts the blobs of each readable store that no row names. Every store a row names must
    /// be readable (`ArchiveError::BlobStoreNotConfigured`), or nothing about those blobs is
    /// known.
    fn check_blobs(&self, report: &mut FsckReport) -> impl Future<Output = Result<()>> + Send;

    /// The next `limit` dossiers in code order after `after`, each with its stored records and
    /// result versions.
    fn chains(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<StoredChain>>> + Send;

    /// Recomputes the Merkle tree from the leaves and compares it with the stored nodes, the
    /// head and every checkpoint's root; opens every checkpoint with `log`; and checks that
    /// each leaf logs the hash of a stored record or result version.
    fn check_log(
        &self,
        log: &LogVerifier,
        report: &mut FsckReport,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Everything the service keeps: the sum of the contracts above.
pub trait Archive:
    FlowStore
    + EventStore
    + DeliveryStore
    + LogStore
    + RetrievalStore
    + SessionStore
    + ActivationStore
    + RenewalStore
    + IntegrityStore
    + 'static
{
}

impl<T> Archive for T where
    T: FlowStore
        + EventStore
        + DeliveryStore
        + LogStore
        + RetrievalStore
        + SessionStore
        + ActivationStore
        + RenewalStore
        + IntegrityStore
        + 'static
{
}
