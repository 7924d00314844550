//! The values the archive takes in and hands out, grouped by the contract that uses them
//! (`contracts.rs`): the flow's writes, the events, the log, retrieval, signing
//! sessions, renewals and fsck.

mod events;
mod flow;
mod integrity;
mod log;
mod renewals;
mod retrieval;
mod sessions;

pub use events::{
    Delivery, DeliveryBacklog, DeliveryOutcome, DeliveryRound, DeliveryState, NewEvent, StoredEvent,
};
pub use flow::{
    AuditEntry, DossierChange, IssuedResult, NewDocument, NewDossier, NewRecord, NewResult,
    RequestMark, ResultRevocation, StoredRequest,
};
pub use integrity::{Finding, FsckReport, ResultVersions, StoredChain};
pub use log::{LogKind, LogReceipt, StoredCheckpoint};
pub use renewals::{NewRenewal, RenewalCandidate, StoredRenewal};
pub use retrieval::{
    DossierCounts, DossierRow, SearchQuery, StatisticsQuery, StoredDocument, StoredRecord,
    StoredResult,
};
pub use sessions::SigningSession;
