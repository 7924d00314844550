//! The seam between signers and timestamp authorities: signers (PAdES B-T and B-LTA, step
//! records) ask this trait for a token and never know whether the built-in TSA or a remote one
//! answers.

use super::error::CmsError;

/// A source of RFC 3161 timestamp tokens: the built-in timestamp authority, or a remote one.
/// Signers (PAdES B-T and B-LTA, step records) depend on this trait only.
pub trait Timestamper: Send + Sync {
    /// A TimeStampToken — DER `ContentInfo` of a `SignedData` over a `TSTInfo` — whose
    /// message imprint is the SHA-256 `digest`.
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, CmsError>;
}
