//! What can be wrong with a CMS signature or timestamp token, or with building one: each
//! variant says what to fix, and `Malformed` names the structure where strict DER failed.

use time::OffsetDateTime;

use crate::crypto::{der::DerError, SignatureAlgorithm};
use crate::pki::PkiError;

#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("CMS signature is {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    #[error("malformed CMS signature at {at}: {source}")]
    Malformed {
        at: &'static str,
        #[source]
        source: DerError,
    },
    #[error("not a CMS SignedData: content type is {0}, expected 1.2.840.113549.1.7.2")]
    NotSignedData(String),
    #[error("unsupported {what} version {version}; version {expected} is expected here (RFC 5652 §5.1: 1 for detached id-data signatures with issuerAndSerialNumber, 3 for other content types such as timestamp tokens)")]
    UnsupportedVersion {
        what: &'static str,
        version: u64,
        expected: u64,
    },
    #[error("the signature covers content of type {0}; expected id-data (1.2.840.113549.1.7.1)")]
    UnexpectedContentType(String),
    #[error("the signature embeds its content; a detached signature (no eContent) is expected")]
    NotDetached,
    #[error("the signature covers content of type {found}; expected {expected}")]
    EncapsulatedContentType { found: String, expected: String },
    #[error("the signature does not embed its content (no eContent), but it is required here")]
    MissingContent,
    #[error("expected exactly one SignerInfo, found {0}")]
    SignerCount(usize),
    #[error("unsupported digest algorithm {0}; only SHA-256 is accepted")]
    UnsupportedDigestAlgorithm(String),
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedSignatureAlgorithm(String),
    #[error("the signer has no signed attributes; CAdES requires them")]
    MissingSignedAttributes,
    #[error("signed attribute {0} is missing; CAdES requires it")]
    MissingAttribute(&'static str),
    #[error("attribute {0} appears more than once or with more than one value")]
    DuplicateAttribute(String),
    #[error("the content does not match the signature: its SHA-256 differs from the signed message-digest (changed after signing, or the wrong content was given)")]
    DigestMismatch,
    #[error("the signer's certificate is not included in the signature")]
    SignerCertificateNotFound,
    #[error("the ESS signing-certificate-v2 attribute does not name the included signer certificate (substituted certificate?)")]
    SigningCertificateMismatch,
    #[error("the signed attributes were prepared for a different certificate than the one given; prepare them again with this certificate")]
    AttributesForOtherCertificate,
    #[error("certificate cannot be used: {0}")]
    InvalidCertificate(String),
    #[error("the signer's {key} key cannot produce a {algorithm} signature")]
    KeyAlgorithmMismatch {
        key: &'static str,
        algorithm: SignatureAlgorithm,
    },
    #[error("the signature value does not verify with the signer certificate's public key")]
    BadSignature,
    #[error("the signature value is empty")]
    EmptySignature,
    #[error("timestamp: {0}")]
    Timestamp(String),
    #[error("signing time {0} cannot be encoded; use a year between 1 and 9999")]
    InvalidSigningTime(OffsetDateTime),
    #[error(
        "unsigned attribute #{index} is not a DER Attribute (SEQUENCE {{ OID, SET }}): {source}"
    )]
    InvalidUnsignedAttribute {
        index: usize,
        #[source]
        source: DerError,
    },
    #[error("chain certificate #{index} is not a DER certificate: {source}")]
    InvalidChainCertificate {
        index: usize,
        #[source]
        source: DerError,
    },
    #[error(transparent)]
    Signing(#[from] PkiError),
}

/// Maps a DER error to `Malformed` at the structure `at`.
pub(super) fn malformed(at: &'static str) -> impl Fn(DerError) -> CmsError {
    move |source| CmsError::Malformed { at, source }
}
