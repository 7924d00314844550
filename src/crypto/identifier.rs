//! Reading an AlgorithmIdentifier against the policy in `algorithms.rs`: the digest or
//! signature algorithm it names, with its parameters checked to be the ones that algorithm
//! allows. Identifiers come from signatures and requests anyone can send, so this is parser
//! code, held to the parser lints.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::algorithms::{DigestAlgorithm, SignatureAlgorithm};
use super::der::{self, context_constructed, oid_text, parse_single, DerError, Reader};
use super::oid;

/// Why an AlgorithmIdentifier was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgorithmError {
    /// Not DER, or parameters its algorithm does not define; `at` names the structure.
    #[error("malformed {at}: {source}")]
    Malformed {
        at: &'static str,
        #[source]
        source: DerError,
    },
    /// A well-formed identifier of an algorithm not accepted here (its OID content bytes).
    #[error("algorithm {} is not accepted here", oid_text(.oid))]
    NotAccepted { oid: Vec<u8> },
    /// RSASSA-PSS with parameters other than the one profile ring verifies.
    #[error("RSASSA-PSS is accepted only with SHA-256, MGF1-SHA-256 and a 32-byte salt")]
    PssParameters,
}

fn malformed(at: &'static str) -> impl Fn(DerError) -> AlgorithmError {
    move |source| AlgorithmError::Malformed { at, source }
}

impl DigestAlgorithm {
    /// The digest named by an AlgorithmIdentifier's content (OID, then parameters absent or
    /// NULL, as RFC 5754 allows), if it is among `accepted`. An OID outside `accepted` is
    /// reported without looking at its parameters.
    pub fn from_identifier(
        content: &[u8],
        at: &'static str,
        accepted: &[DigestAlgorithm],
    ) -> Result<DigestAlgorithm, AlgorithmError> {
        let mut r = Reader::new(content);
        let id = r.read_oid().map_err(malformed(at))?;
        let digest = accepted
            .iter()
            .copied()
            .find(|d| d.oid() == id)
            .ok_or_else(|| AlgorithmError::NotAccepted { oid: id.to_vec() })?;
        absent_or_null(&mut r, at)?;
        Ok(digest)
    }
}

impl SignatureAlgorithm {
    /// The signature algorithm named by a SignerInfo's signatureAlgorithm (content bytes).
    /// rsaEncryption is read as PKCS#1 v1.5 with SHA-256, since RFC 3370 §3.2 lets signers
    /// write it there; RSASSA-PSS must carry exactly the profile ring verifies.
    pub fn from_identifier(
        content: &[u8],
        at: &'static str,
    ) -> Result<SignatureAlgorithm, AlgorithmError> {
        let mut r = Reader::new(content);
        let id = r.read_oid().map_err(malformed(at))?;
        let algorithm = if id == oid::RSA_ENCRYPTION {
            SignatureAlgorithm::RsaPkcs1Sha256
        } else {
            SignatureAlgorithm::ALL
                .into_iter()
                .find(|a| a.oid() == id)
                .ok_or_else(|| AlgorithmError::NotAccepted { oid: id.to_vec() })?
        };
        match algorithm {
            SignatureAlgorithm::EcdsaP256Sha256 | SignatureAlgorithm::RsaPkcs1Sha256 => {
                absent_or_null(&mut r, at)?;
            }
            SignatureAlgorithm::RsaPssSha256 => {
                let mut params = r.nested(der::SEQUENCE).map_err(malformed(at))?;
                r.finish().map_err(malformed(at))?;
                check_pss_params(&mut params)?;
            }
        }
        Ok(algorithm)
    }
}

fn absent_or_null(r: &mut Reader<'_>, at: &'static str) -> Result<(), AlgorithmError> {
    if let Some(null) = r.read_optional(der::NULL).map_err(malformed(at))? {
        if !null.content.is_empty() {
            return Err(malformed(at)(DerError::BadNull));
        }
    }
    r.finish().map_err(malformed(at))
}

/// Only the PSS profile ring verifies: SHA-256, MGF1 with SHA-256, 32-byte salt, trailer 1.
fn check_pss_params(params: &mut Reader<'_>) -> Result<(), AlgorithmError> {
    const AT: &str = "RSASSA-PSS parameters";
    const SHA256_ONLY: &[DigestAlgorithm] = &[DigestAlgorithm::Sha256];
    let sha256 = |content: &[u8]| match DigestAlgorithm::from_identifier(content, AT, SHA256_ONLY) {
        Ok(_) => Ok(()),
        Err(AlgorithmError::NotAccepted { .. }) => Err(AlgorithmError::PssParameters),
        Err(e) => Err(e),
    };
    let hash = params
        .read_optional(context_constructed(0))
        .map_err(malformed(AT))?
        .ok_or(AlgorithmError::PssParameters)?;
    let hash = parse_single(hash.content, der::SEQUENCE).map_err(malformed(AT))?;
    sha256(hash.content)?;
    let mgf = params
        .read_optional(context_constructed(1))
        .map_err(malformed(AT))?
        .ok_or(AlgorithmError::PssParameters)?;
    let mgf = parse_single(mgf.content, der::SEQUENCE).map_err(malformed(AT))?;
    let mut mgf = Reader::new(mgf.content);
    if mgf.read_oid().map_err(malformed(AT))? != oid::MGF1 {
        return Err(AlgorithmError::PssParameters);
    }
    let mgf_hash = mgf.read_tlv(der::SEQUENCE).map_err(malformed(AT))?;
    mgf.finish().map_err(malformed(AT))?;
    sha256(mgf_hash.content)?;
    let salt = params
        .read_optional(context_constructed(2))
        .map_err(malformed(AT))?
        .ok_or(AlgorithmError::PssParameters)?;
    if Reader::new(salt.content)
        .read_small_uint()
        .map_err(malformed(AT))?
        != 32
    {
        return Err(AlgorithmError::PssParameters);
    }
    if let Some(trailer) = params
        .read_optional(context_constructed(3))
        .map_err(malformed(AT))?
    {
        if Reader::new(trailer.content)
            .read_small_uint()
            .map_err(malformed(AT))?
            != 1
        {
            return Err(AlgorithmError::PssParameters);
        }
    }
    params.finish().map_err(malformed(AT))
}
