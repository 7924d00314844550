//! Why a PDF cannot be signed: the syntax layer's errors, wrapped, and the signer's own.
//! Messages are for an operator who will tell a citizen or a department what to fix.

use crate::cms::CmsError;
use crate::pdf::syntax::SyntaxError;

use super::request::PadesLevel;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bytes are not a PDF that can be read and extended: damaged, encrypted, no pages.
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    #[error(
        "the PDF is certified with \"no changes allowed\" (DocMDP P=1); it cannot be signed again"
    )]
    CertifiedNoChanges,
    #[error(
        "a certification signature must be the first signature, but the PDF is already signed"
    )]
    CertifyAfterSignature,
    #[error("the signature needs {needed} bytes but only {reserved} were reserved in /Contents")]
    ContentsTooSmall { needed: usize, reserved: usize },
    #[error("a form field named `{0}` already exists and is not an empty signature field")]
    FieldExists(String),
    #[error("the signature field `{0}` is already signed")]
    FieldSigned(String),
    #[error("the document changed since the signature was prepared ({0}); prepare it again")]
    InputChanged(&'static str),
    #[error("level {0} needs a timestamp authority, and none is configured")]
    NoTimestamper(PadesLevel),
    #[error("invalid prepared signature: {0}")]
    BadPrepared(String),
    #[error("signature: {0}")]
    Cms(#[from] CmsError),
    #[error("the signature appearance cannot be drawn: {0}")]
    Appearance(String),
}

impl PdfError {
    /// A document that cannot be used as it is, found above the syntax layer (it is already
    /// signed where it must not be, a mark cannot be drawn on it, …): reported like damage.
    pub fn malformed(reason: impl Into<String>) -> Self {
        PdfError::Syntax(SyntaxError::Malformed(reason.into()))
    }
}
