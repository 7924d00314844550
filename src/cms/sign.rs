//! Building CMS SignedData: signed attributes and a signature wrapped as `ContentInfo`, either a
//! detached CAdES signature over id-data or, for the timestamp authority, a token encapsulating
//! its TSTInfo. [`sign_detached`] does both halves with a key from the key store.

use super::attributes::{check_attribute, SignOptions, SignedAttributes};
use super::certificate::CertFields;
use super::error::{malformed, CmsError};
use crate::crypto::der::{self, context_constructed, parse_single, Writer};
use crate::crypto::{oid, sha256, DigestAlgorithm, SignatureAlgorithm};
use crate::pki::Credential;

/// Wraps signed attributes and their signature into `ContentInfo { SignedData }`: detached,
/// version 1, digestAlgorithms {sha256}, certificates = signer then `chain_der`, one SignerInfo
/// identified by issuerAndSerialNumber. `unsigned_attributes` are complete DER `Attribute`s
/// (e.g. an RFC 3161 signature timestamp) placed in unsignedAttrs as given.
pub fn assemble(
    attrs: &SignedAttributes,
    signature: &[u8],
    algorithm: SignatureAlgorithm,
    signer_cert_der: &[u8],
    chain_der: &[Vec<u8>],
    unsigned_attributes: &[Vec<u8>],
) -> Result<Vec<u8>, CmsError> {
    assemble_signed_data(
        attrs,
        signature,
        algorithm,
        signer_cert_der,
        Some(chain_der),
        unsigned_attributes,
        Encapsulated::DETACHED_DATA,
    )
}

/// What a SignedData carries in its encapContentInfo.
#[derive(Debug, Clone, Copy)]
pub(super) struct Encapsulated<'a> {
    /// eContentType, OID content bytes.
    pub(super) content_type: &'a [u8],
    /// eContent, or `None` for a detached signature.
    pub(super) content: Option<&'a [u8]>,
}

impl Encapsulated<'_> {
    const DETACHED_DATA: Encapsulated<'static> = Encapsulated {
        content_type: oid::ID_DATA,
        content: None,
    };

    /// RFC 5652 §5.1: version 3 when the eContentType is not id-data (our certificates are
    /// always plain X.509 and our SignerInfos version 1, so no other rule applies).
    fn version(&self) -> u64 {
        if self.content_type == oid::ID_DATA {
            1
        } else {
            3
        }
    }
}

/// [`assemble`] for any encapsulated content: a detached id-data signature or, for
/// timestamp tokens, an encapsulated TSTInfo. `chain_der` `None` leaves out the certificates
/// field entirely, the signer's included (RFC 3161 §2.4.1 when certReq is false).
pub(super) fn assemble_signed_data(
    attrs: &SignedAttributes,
    signature: &[u8],
    algorithm: SignatureAlgorithm,
    signer_cert_der: &[u8],
    chain_der: Option<&[Vec<u8>]>,
    unsigned_attributes: &[Vec<u8>],
    encapsulated: Encapsulated<'_>,
) -> Result<Vec<u8>, CmsError> {
    if signature.is_empty() {
        return Err(CmsError::EmptySignature);
    }
    if sha256(signer_cert_der) != attrs.signer_cert_hash {
        return Err(CmsError::AttributesForOtherCertificate);
    }
    let cert = CertFields::parse(signer_cert_der)?;
    for (index, c) in chain_der.unwrap_or_default().iter().enumerate() {
        parse_single(c, der::SEQUENCE)
            .map_err(|source| CmsError::InvalidChainCertificate { index, source })?;
    }
    for (index, a) in unsigned_attributes.iter().enumerate() {
        check_attribute(a)
            .map_err(|source| CmsError::InvalidUnsignedAttribute { index, source })?;
    }
    let attrs_content = parse_single(&attrs.der, der::SET)
        .map_err(malformed("signed attributes"))?
        .content;

    let capacity = 128
        + encapsulated.content.map_or(0, |c| c.len() + 8)
        + attrs.der.len()
        + signature.len()
        + signer_cert_der.len()
        + 2 * cert.issuer.len()
        + chain_der
            .unwrap_or_default()
            .iter()
            .map(|c| c.len())
            .sum::<usize>()
        + unsigned_attributes
            .iter()
            .map(|a| a.len() + 4)
            .sum::<usize>();
    let mut w = Writer::with_capacity(capacity);
    w.sequence(|w| {
        w.oid(oid::ID_SIGNED_DATA);
        w.constructed(context_constructed(0), |w| {
            w.sequence(|w| {
                w.small_uint(encapsulated.version());
                w.constructed(der::SET, |w| {
                    w.raw(DigestAlgorithm::Sha256.algorithm_identifier_der())
                });
                w.sequence(|w| {
                    w.oid(encapsulated.content_type);
                    if let Some(content) = encapsulated.content {
                        w.constructed(context_constructed(0), |w| w.octet_string(content));
                    }
                });
                // Not sorted as a DER SET OF would be: CMS only needs signed attributes in DER,
                // and verifiers (and our callers) expect the signer's certificate first.
                if let Some(chain_der) = chain_der {
                    w.constructed(context_constructed(0), |w| {
                        w.raw(signer_cert_der);
                        for c in chain_der {
                            w.raw(c);
                        }
                    });
                }
                w.constructed(der::SET, |w| {
                    w.sequence(|w| {
                        w.small_uint(1);
                        w.sequence(|w| {
                            w.raw(cert.issuer);
                            w.element(der::INTEGER, cert.serial);
                        });
                        w.raw(DigestAlgorithm::Sha256.algorithm_identifier_der());
                        w.element(context_constructed(0), attrs_content);
                        w.raw(algorithm.algorithm_identifier_der());
                        w.octet_string(signature);
                        if !unsigned_attributes.is_empty() {
                            w.constructed(context_constructed(1), |w| {
                                for a in unsigned_attributes {
                                    w.raw(a);
                                }
                            });
                        }
                    });
                });
            });
        });
    });
    Ok(w.into_vec())
}

/// Hashes `content` with SHA-256 and signs it with `credential`. The caller checks
/// `credential.check_usable` first: signing here does not refuse an expired key, so that
/// tests and re-signing tools can produce such signatures on purpose.
pub fn sign_detached(
    content: &[u8],
    credential: &Credential,
    opts: &SignOptions,
) -> Result<Vec<u8>, CmsError> {
    sign_detached_digest(&sha256(content), credential, opts)
}

/// As [`sign_detached`], for a caller that already hashed the content (e.g. a PDF's byte
/// ranges, hashed while they were written).
pub fn sign_detached_digest(
    digest: &[u8; 32],
    credential: &Credential,
    opts: &SignOptions,
) -> Result<Vec<u8>, CmsError> {
    let attrs = SignedAttributes::new(digest, credential.certificate_der(), opts)?;
    let signature = credential.sign(attrs.bytes_to_sign())?;
    assemble(
        &attrs,
        &signature,
        credential.signature_algorithm(),
        credential.certificate_der(),
        credential.chain_der(),
        &[],
    )
}
