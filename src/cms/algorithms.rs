//! CMS's reading of AlgorithmIdentifiers: the `crypto` policy decides what is accepted, this
//! file only words the refusals as CMS errors (which structure was malformed, which algorithm
//! to use instead).

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::error::CmsError;
use crate::crypto::{
    der::oid_text, AlgorithmError, DigestAlgorithm, SignatureAlgorithm, CMS_DIGESTS,
};

/// `Ok(Ok(()))` for SHA-256 (parameters absent or NULL), `Ok(Err(oid))` for another digest
/// (dotted), `Err` when the identifier is malformed.
pub(super) fn digest_algorithm(
    alg_content: &[u8],
    at: &'static str,
) -> Result<Result<(), String>, CmsError> {
    match DigestAlgorithm::from_identifier(alg_content, at, CMS_DIGESTS) {
        Ok(_) => Ok(Ok(())),
        Err(AlgorithmError::NotAccepted { oid }) => Ok(Err(oid_text(&oid))),
        Err(e) => Err(algorithm_error(e)),
    }
}

/// The signature algorithm of a SignerInfo.
pub(super) fn signature_algorithm(alg_content: &[u8]) -> Result<SignatureAlgorithm, CmsError> {
    SignatureAlgorithm::from_identifier(alg_content, "SignerInfo.signatureAlgorithm")
        .map_err(algorithm_error)
}

fn algorithm_error(e: AlgorithmError) -> CmsError {
    match e {
        AlgorithmError::Malformed { at, source } => CmsError::Malformed { at, source },
        AlgorithmError::NotAccepted { oid } => CmsError::UnsupportedSignatureAlgorithm(format!(
            "{}; use ECDSA with SHA-256, RSA PKCS#1 v1.5 with SHA-256 or RSASSA-PSS with SHA-256",
            oid_text(&oid)
        )),
        AlgorithmError::PssParameters => CmsError::UnsupportedSignatureAlgorithm(
            "RSASSA-PSS is accepted only with SHA-256, MGF1-SHA-256 and a 32-byte salt".into(),
        ),
    }
}
