//! Why a use case refused or failed, in domain words; each interface maps it to its own status codes.

use crate::{
    access::AccessError, archive::ArchiveError, cms::CmsError, flow::FlowError, pdf::PdfError,
    pki::PkiError,
};

/// Why a use case refused or failed. Each variant maps to one gRPC status code; the message
/// tells the caller what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    NotFound(String),
    /// The dossier is not in a state that allows the step, or a credential is not usable.
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    /// No client certificate where the call needs one.
    #[error("{0}")]
    Unauthenticated(String),
    /// A request id reused for a different request.
    #[error("{0}")]
    AlreadyExists(String),
    /// A configured limit: document size, count, note length, numbers of the day.
    #[error("{0}")]
    ResourceExhausted(String),
    /// Too much work from others is running or waiting; retrying in a few seconds is safe.
    /// gRPC `RESOURCE_EXHAUSTED`; HTTP 503 with `Retry-After`.
    #[error("{0}")]
    Busy(String),
    /// A concurrent change won; reading again and retrying is safe.
    #[error("{0}")]
    Aborted(String),
    /// A position past the end, e.g. a proof for a tree size the log has not reached.
    #[error("{0}")]
    OutOfRange(String),
    /// The storage is unreachable; retrying later is safe.
    #[error("{0}")]
    Unavailable(String),
    /// Stored data is lost or damaged, e.g. a document's file is missing from the blob store.
    #[error("{0}")]
    DataLoss(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The outcome word written to the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidArgument(_) => "invalid_argument",
            Error::NotFound(_) => "not_found",
            Error::FailedPrecondition(_) => "failed_precondition",
            Error::PermissionDenied(_) => "permission_denied",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::AlreadyExists(_) => "already_exists",
            Error::ResourceExhausted(_) => "resource_exhausted",
            Error::Busy(_) => "busy",
            Error::Aborted(_) => "aborted",
            Error::OutOfRange(_) => "out_of_range",
            Error::Unavailable(_) => "unavailable",
            Error::DataLoss(_) => "data_loss",
            Error::Internal(_) => "internal",
        }
    }
}

/// A signature that could not be made: with a key on a PKCS#11 token that is unavailable,
/// `Unavailable` (nothing is written; the next call reconnects, so retrying once the token is
/// back works); with a key the service does not hold, a precondition; a signature from the
/// official's own token that does not verify, their mistake. Anything else is a defect,
/// `Internal`, described in `context`.
/// PDF problems are the caller's document's problems, except a missing TSA.
pub(super) fn pdf_error(error: PdfError) -> Error {
    match error {
        PdfError::NoTimestamper(_) => Error::FailedPrecondition(error.to_string()),
        PdfError::Cms(e) => signing_error("signing", &e),
        PdfError::Appearance(e) => Error::Internal(format!("signature appearance: {e}")),
        other => Error::InvalidArgument(other.to_string()),
    }
}

pub(super) fn signing_error(context: &str, error: &CmsError) -> Error {
    match error {
        CmsError::Signing(pki) if pki.is_token_unavailable() => Error::Unavailable(pki.to_string()),
        CmsError::Signing(problem @ PkiError::KeyHeldByOfficial { .. }) => {
            Error::FailedPrecondition(format!(
                "{problem}: only the steps Dossiers.PrepareStep offers can be signed with the official's own token"
            ))
        }
        CmsError::BadSignature
        | CmsError::AttributesForOtherCertificate
        | CmsError::EmptySignature => Error::InvalidArgument(format!(
            "the signature does not verify over the prepared bytes with the certificate ({error}); prepare again"
        )),
        other => Error::Internal(format!("{context}: {other}")),
    }
}

impl From<FlowError> for Error {
    fn from(error: FlowError) -> Self {
        match error {
            FlowError::Transition(e) => Error::FailedPrecondition(e.to_string()),
            FlowError::Permission(e) => Error::PermissionDenied(e.to_string()),
        }
    }
}

impl From<AccessError> for Error {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Unauthenticated(m) => Error::Unauthenticated(m),
            AccessError::Denied(m) => Error::PermissionDenied(m),
        }
    }
}

impl From<ArchiveError> for Error {
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::Conflict { .. } | ArchiveError::RequestRace(_) => {
                Error::Aborted(error.to_string())
            }
            error if error.is_contention() => Error::Aborted(format!(
                "the step was undone because of concurrent writers; retry it: {error}"
            )),
            ArchiveError::NumbersExhausted { .. } => Error::ResourceExhausted(error.to_string()),
            ArchiveError::Ledger(crate::ledger::LedgerError::OutOfRange { .. }) => {
                Error::OutOfRange(error.to_string())
            }
            error if error.is_unavailable() => {
                Error::Unavailable(format!("the archive is unavailable: {error}"))
            }
            ArchiveError::BlobMissing { .. } | ArchiveError::BlobDamaged { .. } => {
                tracing::error!(error = %error, "archive data loss");
                Error::DataLoss(format!("the archive lost data: {error}"))
            }
            other => {
                tracing::error!(error = %other, "archive failure");
                Error::Internal(format!("the archive failed: {other}"))
            }
        }
    }
}
