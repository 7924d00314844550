//! The few fields of a certificate CMS needs (issuer and serial to name the signer, the public
//! key to check the signature), found without a full X.509 parse: signing must stay cheap, and
//! verification must not trust more of the certificate than it checks. Certificates arrive
//! inside signatures from anyone, so this is parser code, held to the parser lints.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use ring::signature::UnparsedPublicKey;

use super::error::CmsError;
use crate::crypto::der::{
    self, context_constructed, oid_text, parse_single, DerError, Reader, Tlv,
};
use crate::crypto::{KeyAlgorithm, SignatureAlgorithm};

/// The fields of a certificate CMS needs.
pub(super) struct CertFields<'a> {
    /// Issuer Name, complete DER.
    pub(super) issuer: &'a [u8],
    /// Serial number INTEGER content.
    pub(super) serial: &'a [u8],
    key_algorithm: &'a [u8],
    key_parameters: Option<Tlv<'a>>,
    public_key: &'a [u8],
}

impl<'a> CertFields<'a> {
    pub(super) fn parse(cert_der: &'a [u8]) -> Result<Self, CmsError> {
        Self::parse_der(cert_der)
            .map_err(|e| CmsError::InvalidCertificate(format!("not a DER X.509 certificate ({e})")))
    }

    fn parse_der(cert_der: &'a [u8]) -> Result<Self, DerError> {
        let cert = parse_single(cert_der, der::SEQUENCE)?;
        let mut c = Reader::new(cert.content);
        let mut tbs = c.nested(der::SEQUENCE)?;
        tbs.read_optional(context_constructed(0))?;
        let serial = tbs.read_integer_bytes()?;
        tbs.read(der::SEQUENCE)?;
        let issuer = tbs.read_tlv(der::SEQUENCE)?.raw;
        tbs.read(der::SEQUENCE)?;
        tbs.read(der::SEQUENCE)?;
        let mut spki = tbs.nested(der::SEQUENCE)?;
        let mut alg = spki.nested(der::SEQUENCE)?;
        let key_algorithm = alg.read_oid()?;
        let key_parameters = if alg.is_empty() {
            None
        } else {
            Some(alg.read_any()?)
        };
        alg.finish()?;
        let bits = spki.read(der::BIT_STRING)?;
        spki.finish()?;
        let public_key = match bits {
            [0, key @ ..] => key,
            _ => return Err(DerError::BadBitString),
        };
        Ok(CertFields {
            issuer,
            serial,
            key_algorithm,
            key_parameters,
            public_key,
        })
    }
}

/// Checks that `cert`'s key is one the policy accepts and fits `algorithm`, and that
/// `signature` over `message` verifies with it.
pub(super) fn verify_with_certificate(
    cert: &CertFields<'_>,
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CmsError> {
    match KeyAlgorithm::from_oid(cert.key_algorithm) {
        Some(KeyAlgorithm::Ec) => {
            let p256 = cert
                .key_parameters
                .is_some_and(|p| p.tag == der::OID && KeyAlgorithm::accepts_curve(p.content));
            if !p256 {
                return Err(CmsError::InvalidCertificate(
                    "the signer's EC key is not on P-256, the only curve accepted".into(),
                ));
            }
            if !KeyAlgorithm::Ec.signs_with(algorithm) {
                return Err(CmsError::KeyAlgorithmMismatch {
                    key: "ECDSA",
                    algorithm,
                });
            }
        }
        Some(KeyAlgorithm::Rsa) => {
            if !KeyAlgorithm::Rsa.signs_with(algorithm) {
                return Err(CmsError::KeyAlgorithmMismatch {
                    key: "RSA",
                    algorithm,
                });
            }
        }
        None => {
            return Err(CmsError::InvalidCertificate(format!(
                "unsupported public key algorithm {}",
                oid_text(cert.key_algorithm)
            )))
        }
    }
    UnparsedPublicKey::new(algorithm.verification_algorithm(), cert.public_key)
        .verify(message, signature)
        .map_err(|_| CmsError::BadSignature)
}
