//! Use cases: the steps of the flow, signing any PDF, verification, retrieval and the
//! archivist's work.
//!
//! Each use case validates its input, asks `flow` whether the step is allowed for this actor,
//! signs the step record with the actor's credential (`record`, `cms`, `pki`), and commits
//! everything through the `archive` in one transaction. Nothing here knows gRPC or HTTP: the
//! interfaces map [`Error`] to their status codes.

mod activation;
mod admission;
mod answers;
mod archivist;
mod audit;
mod checks;
mod citations;
mod commands;
mod commit;
mod core;
mod details;
mod error;
mod events;
mod extension;
mod external_step;
mod fingerprint;
mod forms;
mod fsck;
mod input;
mod payment;
mod progress;
mod receive;
mod register;
mod renewal;
mod replay;
mod result;
mod retrieval;
mod revocation;
mod sessions;
mod signing;
mod statistics;
mod steps;
mod validation_data;
mod verification;

pub use activation::{ACTIVATION_FAILURE_LIMIT, ACTIVATION_METADATA, ACTIVATION_WINDOW};
pub use admission::QUEUE_PATIENCE;
pub use answers::{DossierView, Receipt};
pub use archivist::{ExportChunk, ExportSelection, MAX_EXPORT_DOSSIERS};
pub use audit::{incident_number, panic_text};
pub use commands::{
    ExtendCommand, PaymentCommand, PaymentMethod, ReceiveCommand, ResultContent, ResultItem,
    ResultMetadata, SignCommand, StepCommand,
};
pub use core::{system_clock, Clock, Service, DEFAULT_PUBLIC_URL};
pub use error::Error;
pub use events::{EventFilter, WatchInput, EVENT_PAGE, EVENT_POLL};
pub use external_step::PreparedStep;
pub use forms::{IssuedForm, FORM_LEVEL};
pub use fsck::fsck;
pub use input::{ApplicantInput, DocumentInput, Limits};
pub use progress::{
    DeadlineHistory, Extension, FeeStatus, IssuedResultRef, ProgressStep, ProgressView,
    SupplementWait,
};
pub use register::MAX_REGISTER_ROWS;
pub use renewal::{
    RenewalAction, RenewalOptions, RenewalOutcome, RenewalPlan, RenewalProgress,
    DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS,
};
pub use result::RESULT_LEVEL;
pub use retrieval::{
    Consistency, Inclusion, LeafKey, RecordKey, SearchInput, SearchPage, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
};
pub use revocation::RevokeCommand;
pub use sessions::SESSION_LIFETIME;
pub use signing::{ExternalSigner, PreparedSession, SignOptions, SignedDocument};
pub use statistics::{StatisticsInput, StatisticsView, MAX_STATISTICS_DAYS};
pub use validation_data::RevocationData;
pub use verification::ResultStatus;
