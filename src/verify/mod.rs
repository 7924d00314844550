//! The one verification engine behind gRPC, the web page and the CLI.
//!
//! [`verify`] is pure: PDF bytes, a [`TrustConfig`] (anchors and CRLs from configuration), an
//! optional [`ArchiveView`] that the caller fetched, and the time of verification in; a
//! [`Report`] out. It does no I/O and never panics on input. [`check_path`] is the same path
//! check for other signed things (archive packages). Which algorithms are acceptable is the
//! `crypto` policy's decision. See docs/verification.md.

mod archive;
mod chain;
mod crl;
mod engine;
mod longterm;
mod names;
mod path;
mod report;
mod revisions;
mod revocation;
mod signature;
mod signed_by;
mod trust;

/// The budgets [`verify_within`] reads under.
pub use crate::pdf::ReadLimits;
pub use archive::{ArchiveView, ArchivedResult};
pub use chain::{certificate_summary, check_path, check_path_with, Purpose};
pub use engine::{verify, verify_within};
pub use path::{PathRequest, PolicySettings};
pub use report::{
    ArchiveReport, CertSummary, ChainReport, Coverage, Finding, Report, RevocationStatus, Severity,
    SignatureReport, TimestampReport, Verdict,
};
pub use revocation::{RevocationFormat, RevocationSource};
pub use signed_by::reset_cache;
pub use trust::TrustConfig;
