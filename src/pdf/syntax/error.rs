//! What can be wrong with a file at the level of PDF syntax. The messages are for an operator
//! who will tell a citizen or a department what to fix; the signer's own errors wrap these.

/// Why the bytes cannot be read (or written back) as a PDF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("the PDF is encrypted or password-protected; send an unprotected PDF")]
    Encrypted,
    #[error("the PDF is damaged or not a PDF: {0}")]
    Malformed(String),
    #[error("the PDF has no pages (or the requested page does not exist)")]
    NoPages,
    /// Reading it would take more than the budget allows (`budget::ReadLimits`): not a sign
    /// of forgery, but nothing more can be said of the file.
    #[error("the PDF is too costly to read: {0}")]
    Limit(String),
}

/// A [`SyntaxError::Malformed`] with `reason`.
pub(crate) fn malformed(reason: impl Into<String>) -> SyntaxError {
    SyntaxError::Malformed(reason.into())
}
