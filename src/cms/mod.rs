//! CAdES detached signatures: CMS SignedData (RFC 5652) with the ESS signing-certificate-v2
//! attribute (RFC 5035), as used for step records and inside PAdES PDFs.
//!
//! Signing is split in two so an official's own token can sign: [`SignedAttributes::new`]
//! gives the bytes to sign, [`assemble`] wraps the returned signature. [`sign_detached`] does
//! both with a key from the key store.

pub mod tsp;

use ring::signature::UnparsedPublicKey;
use time::OffsetDateTime;

use crate::crypto::der::{self, context_constructed, parse_single, DerError, Reader, Tlv, Writer};
use crate::crypto::{sha256, SignatureAlgorithm};
use crate::pki::{Credential, PkiError};

/// Upper bound on a CMS signature we agree to parse. Real ones (certificates, a timestamp
/// token, perhaps CRLs) stay far below; the bound keeps hostile input cheap to reject.
pub const MAX_CMS_LEN: usize = 4 * 1024 * 1024;

/// OID contents (value bytes only).
mod oid {
    pub const ID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    pub const ID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    pub const CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
    pub const MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
    pub const SIGNING_TIME: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];
    pub const SIGNING_CERTIFICATE_V2: &[u8] = &[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f,
    ];
    pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    pub const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
}

/// `AlgorithmIdentifier { sha256 }` with absent parameters, as RFC 5754 §2 says to generate.
const SHA256_ALG_ID: &[u8] = &[
    0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const TAG_DIRECTORY_NAME: u8 = context_constructed(4);

/// A source of RFC 3161 timestamp tokens: the built-in timestamp authority, or a remote one.
/// Signers (PAdES B-T and B-LTA, step records) depend on this trait only.
pub trait Timestamper: Send + Sync {
    /// A TimeStampToken — DER `ContentInfo` of a `SignedData` over a `TSTInfo` — whose
    /// message imprint is the SHA-256 `digest`.
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, CmsError>;
}

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

fn malformed(at: &'static str) -> impl Fn(DerError) -> CmsError {
    move |source| CmsError::Malformed { at, source }
}

/// Options for one signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOptions {
    /// The claimed signing time. PAdES forbids the signing-time attribute (the time is in the
    /// signature dictionary's /M), so leave it `None` there; step records set it.
    pub signing_time: Option<OffsetDateTime>,
}

/// The signed attributes of one signature (content-type id-data, message-digest, ESS
/// signing-certificate-v2, optional signing-time), DER-encoded as the SET OF that is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAttributes {
    der: Vec<u8>,
    signer_cert_hash: [u8; 32],
}

impl SignedAttributes {
    pub fn new(
        content_digest: &[u8; 32],
        signer_cert_der: &[u8],
        opts: &SignOptions,
    ) -> Result<Self, CmsError> {
        Self::for_content_type(oid::ID_DATA, content_digest, signer_cert_der, opts)
    }

    /// As [`SignedAttributes::new`] with another content-type attribute (OID content bytes),
    /// e.g. id-ct-TSTInfo for a timestamp token: CMS requires it to equal the eContentType.
    pub(crate) fn for_content_type(
        content_type: &[u8],
        content_digest: &[u8; 32],
        signer_cert_der: &[u8],
        opts: &SignOptions,
    ) -> Result<Self, CmsError> {
        let cert = CertFields::parse(signer_cert_der)?;
        if let Some(t) = opts.signing_time {
            if !(1..=9999).contains(&t.to_offset(time::UtcOffset::UTC).year()) {
                return Err(CmsError::InvalidSigningTime(t));
            }
        }
        let signer_cert_hash = sha256(signer_cert_der);
        let mut w = Writer::with_capacity(192 + cert.issuer.len() + cert.serial.len());
        w.set_of(der::SET, |w| {
            w.sequence(|w| {
                w.oid(oid::CONTENT_TYPE);
                w.constructed(der::SET, |w| w.oid(content_type));
            });
            w.sequence(|w| {
                w.oid(oid::MESSAGE_DIGEST);
                w.constructed(der::SET, |w| w.octet_string(content_digest));
            });
            if let Some(t) = opts.signing_time {
                w.sequence(|w| {
                    w.oid(oid::SIGNING_TIME);
                    w.constructed(der::SET, |w| w.time(t));
                });
            }
            w.sequence(|w| {
                w.oid(oid::SIGNING_CERTIFICATE_V2);
                w.constructed(der::SET, |w| {
                    // SigningCertificateV2 { certs: [ ESSCertIDv2 { certHash, issuerSerial } ] };
                    // hashAlgorithm is omitted because sha256 is its DEFAULT.
                    w.sequence(|w| {
                        w.sequence(|w| {
                            w.sequence(|w| {
                                w.octet_string(&signer_cert_hash);
                                w.sequence(|w| {
                                    w.sequence(|w| {
                                        w.constructed(TAG_DIRECTORY_NAME, |w| w.raw(cert.issuer))
                                    });
                                    w.element(der::INTEGER, cert.serial);
                                });
                            });
                        });
                    });
                });
            });
        });
        Ok(SignedAttributes {
            der: w.into_vec(),
            signer_cert_hash,
        })
    }

    /// Restores attributes from `bytes_to_sign()` kept between the two steps of an external
    /// signature, so a replica other than the one that prepared them can complete it.
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let set = parse_single(der, der::SET).map_err(malformed("signed attributes"))?;
        let attrs = parse_attributes(set.content, "signed attributes")?;
        let ess = single_value(&attrs, oid::SIGNING_CERTIFICATE_V2, "signingCertificateV2")?;
        let ess = parse_ess(ess)?;
        Ok(SignedAttributes {
            der: der.to_vec(),
            signer_cert_hash: ess.cert_hash,
        })
    }

    /// DER of the SET OF attributes (tag 0x31): exactly what the signer signs.
    pub fn bytes_to_sign(&self) -> &[u8] {
        &self.der
    }

    /// Checks a signature returned by an external signer before it is assembled, so a wrong
    /// PIN, token or key is reported at once rather than by a verifier later.
    pub fn check_signature(
        &self,
        signature: &[u8],
        algorithm: SignatureAlgorithm,
        signer_cert_der: &[u8],
    ) -> Result<(), CmsError> {
        if sha256(signer_cert_der) != self.signer_cert_hash {
            return Err(CmsError::AttributesForOtherCertificate);
        }
        let cert = CertFields::parse(signer_cert_der)?;
        verify_with_certificate(&cert, algorithm, &self.der, signature)
    }
}

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
pub(crate) struct Encapsulated<'a> {
    /// eContentType, OID content bytes.
    pub content_type: &'a [u8],
    /// eContent, or `None` for a detached signature.
    pub content: Option<&'a [u8]>,
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
pub(crate) fn assemble_signed_data(
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
                w.constructed(der::SET, |w| w.raw(SHA256_ALG_ID));
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
                        w.raw(SHA256_ALG_ID);
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

/// What a valid detached signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub signer_certificate_der: Vec<u8>,
    /// Every certificate in the SignedData, in order, the signer's included.
    pub certificates_der: Vec<Vec<u8>>,
    pub signing_time: Option<OffsetDateTime>,
    pub algorithm: SignatureAlgorithm,
    /// `(dotted OID, values)` per unsigned attribute, where values is the content of the
    /// attribute's SET: the concatenated DER of its values, which for a single-valued attribute
    /// such as a signature timestamp is exactly the token's DER.
    pub unsigned_attributes: Vec<(String, Vec<u8>)>,
    /// The SignerInfo's signature value: what a signature timestamp's imprint digests.
    pub signature_value: Vec<u8>,
}

/// Verifies a detached CMS signature over `content`.
///
/// Checks the structure (strict DER), the content type, the message digest, the ESS
/// signing-certificate-v2 binding and the signature value against the included signer
/// certificate. It does **not** validate the certificate chain, validity period, key usage or
/// revocation: a successful result only proves "this certificate's key signed this content";
/// the `verify` module decides whether that certificate is trustworthy.
pub fn verify_detached(cms_der: &[u8], content: &[u8]) -> Result<VerifiedSignature, CmsError> {
    verify_detached_digest(cms_der, &sha256(content))
}

/// As [`verify_detached`], given the content's SHA-256. Same caveat: no chain validation.
pub fn verify_detached_digest(
    cms_der: &[u8],
    digest: &[u8; 32],
) -> Result<VerifiedSignature, CmsError> {
    verify_signed_data(cms_der, Expected::Detached(digest)).map(|(verified, _)| verified)
}

/// What the caller of [`verify_signed_data`] expects the SignedData to sign.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expected<'a> {
    /// A detached id-data signature over content with this SHA-256.
    Detached(&'a [u8; 32]),
    /// Encapsulated content of this type (OID content bytes), e.g. a timestamp token's TSTInfo.
    Encapsulated(&'a [u8]),
}

/// The one SignedData verifier behind detached signatures and timestamp tokens; returns the
/// eContent when `expected` asks for encapsulated content. Same caveat: no chain validation.
pub(crate) fn verify_signed_data<'c>(
    cms_der: &'c [u8],
    expected: Expected<'_>,
) -> Result<(VerifiedSignature, Option<&'c [u8]>), CmsError> {
    let (expected_version, expected_type) = match expected {
        Expected::Detached(_) => (1, oid::ID_DATA),
        Expected::Encapsulated(content_type) => (3, content_type),
    };
    if cms_der.len() > MAX_CMS_LEN {
        return Err(CmsError::TooLarge {
            len: cms_der.len(),
            max: MAX_CMS_LEN,
        });
    }
    let content_info = parse_single(cms_der, der::SEQUENCE).map_err(malformed("ContentInfo"))?;
    let mut ci = Reader::new(content_info.content);
    let content_type = ci
        .read_oid()
        .map_err(malformed("ContentInfo.contentType"))?;
    if content_type != oid::ID_SIGNED_DATA {
        return Err(CmsError::NotSignedData(oid_text(content_type)));
    }
    let explicit = ci
        .read(context_constructed(0))
        .map_err(malformed("ContentInfo.content"))?;
    ci.finish().map_err(malformed("ContentInfo"))?;

    let signed_data = parse_single(explicit, der::SEQUENCE).map_err(malformed("SignedData"))?;
    let mut sd = Reader::new(signed_data.content);
    let version = sd
        .read_small_uint()
        .map_err(malformed("SignedData.version"))?;
    if version != expected_version {
        return Err(CmsError::UnsupportedVersion {
            what: "SignedData",
            version,
            expected: expected_version,
        });
    }
    let mut digest_algs = sd
        .nested(der::SET)
        .map_err(malformed("SignedData.digestAlgorithms"))?;
    let mut has_sha256 = false;
    let mut first_other = None;
    while !digest_algs.is_empty() {
        let alg = digest_algs
            .read_tlv(der::SEQUENCE)
            .map_err(malformed("SignedData.digestAlgorithms"))?;
        match digest_algorithm(alg.content, "SignedData.digestAlgorithms")? {
            Ok(()) => has_sha256 = true,
            Err(other) => first_other = first_other.or(Some(other)),
        }
    }
    if !has_sha256 {
        return Err(CmsError::UnsupportedDigestAlgorithm(
            first_other.unwrap_or_else(|| "(none)".into()),
        ));
    }
    let mut encap = sd
        .nested(der::SEQUENCE)
        .map_err(malformed("SignedData.encapContentInfo"))?;
    let econtent_type = encap
        .read_oid()
        .map_err(malformed("SignedData.encapContentInfo"))?;
    if econtent_type != expected_type {
        return Err(match expected {
            Expected::Detached(_) => CmsError::UnexpectedContentType(oid_text(econtent_type)),
            Expected::Encapsulated(_) => CmsError::EncapsulatedContentType {
                found: oid_text(econtent_type),
                expected: oid_text(expected_type),
            },
        });
    }
    let econtent = match expected {
        Expected::Detached(_) => {
            if !encap.is_empty() {
                return Err(CmsError::NotDetached);
            }
            None
        }
        Expected::Encapsulated(_) => {
            let explicit = encap
                .read_optional(context_constructed(0))
                .map_err(malformed("SignedData.encapContentInfo.eContent"))?
                .ok_or(CmsError::MissingContent)?;
            encap
                .finish()
                .map_err(malformed("SignedData.encapContentInfo"))?;
            Some(
                parse_single(explicit.content, der::OCTET_STRING)
                    .map_err(malformed("SignedData.encapContentInfo.eContent"))?
                    .content,
            )
        }
    };
    let digest: [u8; 32] = match (expected, econtent) {
        (Expected::Detached(d), _) => *d,
        (Expected::Encapsulated(_), Some(c)) => sha256(c),
        (Expected::Encapsulated(_), None) => return Err(CmsError::MissingContent),
    };
    let mut certificates: Vec<&[u8]> = Vec::new();
    if let Some(certs) = sd
        .read_optional(context_constructed(0))
        .map_err(malformed("SignedData.certificates"))?
    {
        let mut r = Reader::new(certs.content);
        while !r.is_empty() {
            let c = r.read_any().map_err(malformed("SignedData.certificates"))?;
            // Other CertificateChoices (attribute certificates) play no part here.
            if c.tag == der::SEQUENCE {
                certificates.push(c.raw);
            }
        }
    }
    // CRLs in the SignedData are revocation data for the `verify` module, not for this check.
    sd.read_optional(context_constructed(1))
        .map_err(malformed("SignedData.crls"))?;
    let mut signer_infos = sd
        .nested(der::SET)
        .map_err(malformed("SignedData.signerInfos"))?;
    sd.finish().map_err(malformed("SignedData"))?;
    let mut infos = Vec::new();
    while !signer_infos.is_empty() {
        infos.push(
            signer_infos
                .read_tlv(der::SEQUENCE)
                .map_err(malformed("SignerInfo"))?,
        );
    }
    let [signer_info] = infos.as_slice() else {
        return Err(CmsError::SignerCount(infos.len()));
    };

    let mut si = Reader::new(signer_info.content);
    let si_version = si
        .read_small_uint()
        .map_err(malformed("SignerInfo.version"))?;
    if si_version != 1 {
        return Err(CmsError::UnsupportedVersion {
            what: "SignerInfo",
            version: si_version,
            expected: 1,
        });
    }
    let mut sid = si
        .nested(der::SEQUENCE)
        .map_err(malformed("SignerInfo.sid"))?;
    let sid_issuer = sid
        .read_tlv(der::SEQUENCE)
        .map_err(malformed("SignerInfo.sid"))?
        .raw;
    let sid_serial = sid
        .read_integer_bytes()
        .map_err(malformed("SignerInfo.sid"))?;
    sid.finish().map_err(malformed("SignerInfo.sid"))?;
    let digest_alg = si
        .read_tlv(der::SEQUENCE)
        .map_err(malformed("SignerInfo.digestAlgorithm"))?;
    if let Err(other) = digest_algorithm(digest_alg.content, "SignerInfo.digestAlgorithm")? {
        return Err(CmsError::UnsupportedDigestAlgorithm(other));
    }
    let signed = si
        .read_optional(context_constructed(0))
        .map_err(malformed("SignerInfo.signedAttrs"))?
        .ok_or(CmsError::MissingSignedAttributes)?;
    let sig_alg = si
        .read_tlv(der::SEQUENCE)
        .map_err(malformed("SignerInfo.signatureAlgorithm"))?;
    let algorithm = signature_algorithm(sig_alg.content)?;
    let signature = si
        .read(der::OCTET_STRING)
        .map_err(malformed("SignerInfo.signature"))?;
    let unsigned = si
        .read_optional(context_constructed(1))
        .map_err(malformed("SignerInfo.unsignedAttrs"))?;
    si.finish().map_err(malformed("SignerInfo"))?;

    let attrs = parse_attributes(signed.content, "SignerInfo.signedAttrs")?;
    let content_type = single_value(&attrs, oid::CONTENT_TYPE, "content-type")?;
    if content_type.tag != der::OID {
        return Err(malformed("content-type attribute")(
            DerError::UnexpectedTag {
                expected: der::OID,
                found: content_type.tag,
            },
        ));
    }
    if content_type.content != expected_type {
        return Err(match expected {
            Expected::Detached(_) => {
                CmsError::UnexpectedContentType(oid_text(content_type.content))
            }
            Expected::Encapsulated(_) => CmsError::EncapsulatedContentType {
                found: oid_text(content_type.content),
                expected: oid_text(expected_type),
            },
        });
    }
    let message_digest = single_value(&attrs, oid::MESSAGE_DIGEST, "message-digest")?;
    if message_digest.tag != der::OCTET_STRING {
        return Err(malformed("message-digest attribute")(
            DerError::UnexpectedTag {
                expected: der::OCTET_STRING,
                found: message_digest.tag,
            },
        ));
    }
    if message_digest.content != digest.as_slice() {
        return Err(CmsError::DigestMismatch);
    }
    let signing_time = match optional_single_value(&attrs, oid::SIGNING_TIME)? {
        Some(t) => Some(der::parse_time(&t).map_err(malformed("signing-time attribute"))?),
        None => None,
    };
    let ess = parse_ess(single_value(
        &attrs,
        oid::SIGNING_CERTIFICATE_V2,
        "signingCertificateV2 (1.2.840.113549.1.9.16.2.47)",
    )?)?;

    let (signer_der, signer) = certificates
        .iter()
        .find_map(|c| {
            let fields = CertFields::parse(c).ok()?;
            (fields.issuer == sid_issuer && fields.serial == sid_serial).then_some((*c, fields))
        })
        .ok_or(CmsError::SignerCertificateNotFound)?;
    if sha256(signer_der) != ess.cert_hash {
        return Err(CmsError::SigningCertificateMismatch);
    }
    if let Some((names, serial)) = ess.issuer_serial {
        if serial != signer.serial || !names.contains(&signer.issuer) {
            return Err(CmsError::SigningCertificateMismatch);
        }
    }

    // RFC 5652 §5.4: the signature covers the attributes with their universal SET tag, not
    // the [0] IMPLICIT tag they carry inside SignerInfo.
    let mut to_verify = signed.raw.to_vec();
    if let Some(first) = to_verify.first_mut() {
        *first = der::SET;
    }
    verify_with_certificate(&signer, algorithm, &to_verify, signature)?;

    let mut unsigned_attributes = Vec::new();
    if let Some(u) = unsigned {
        let mut r = Reader::new(u.content);
        while !r.is_empty() {
            let mut a = r
                .nested(der::SEQUENCE)
                .map_err(malformed("unsignedAttrs"))?;
            let attr_type = a.read_oid().map_err(malformed("unsignedAttrs"))?;
            let values = a.read(der::SET).map_err(malformed("unsignedAttrs"))?;
            a.finish().map_err(malformed("unsignedAttrs"))?;
            unsigned_attributes.push((oid_text(attr_type), values.to_vec()));
        }
    }

    Ok((
        VerifiedSignature {
            signer_certificate_der: signer_der.to_vec(),
            certificates_der: certificates.iter().map(|c| c.to_vec()).collect(),
            signing_time,
            algorithm,
            unsigned_attributes,
            signature_value: signature.to_vec(),
        },
        econtent,
    ))
}

fn oid_text(content: &[u8]) -> String {
    der::oid_to_string(content)
        .unwrap_or_else(|_| format!("(invalid OID {})", hex::encode(content)))
}

/// The fields of a certificate CMS needs, found without a full X.509 parse: signing must stay
/// cheap, and verification must not trust more of the certificate than it checks.
struct CertFields<'a> {
    /// Issuer Name, complete DER.
    issuer: &'a [u8],
    /// Serial number INTEGER content.
    serial: &'a [u8],
    key_algorithm: &'a [u8],
    key_parameters: Option<Tlv<'a>>,
    public_key: &'a [u8],
}

impl<'a> CertFields<'a> {
    fn parse(cert_der: &'a [u8]) -> Result<Self, CmsError> {
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

fn verify_with_certificate(
    cert: &CertFields<'_>,
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CmsError> {
    let key_fits = if cert.key_algorithm == oid::EC_PUBLIC_KEY {
        let p256 = cert
            .key_parameters
            .is_some_and(|p| p.tag == der::OID && p.content == oid::PRIME256V1);
        if !p256 {
            return Err(CmsError::InvalidCertificate(
                "the signer's EC key is not on P-256, the only curve accepted".into(),
            ));
        }
        (algorithm == SignatureAlgorithm::EcdsaP256Sha256)
            .then_some(())
            .ok_or(CmsError::KeyAlgorithmMismatch {
                key: "ECDSA",
                algorithm,
            })
    } else if cert.key_algorithm == oid::RSA_ENCRYPTION {
        algorithm
            .is_rsa()
            .then_some(())
            .ok_or(CmsError::KeyAlgorithmMismatch {
                key: "RSA",
                algorithm,
            })
    } else {
        Err(CmsError::InvalidCertificate(format!(
            "unsupported public key algorithm {}",
            oid_text(cert.key_algorithm)
        )))
    };
    key_fits?;
    UnparsedPublicKey::new(algorithm.verification_algorithm(), cert.public_key)
        .verify(message, signature)
        .map_err(|_| CmsError::BadSignature)
}

/// `Ok(Ok(()))` for SHA-256 (parameters absent or NULL), `Ok(Err(oid))` for another digest.
fn digest_algorithm(alg_content: &[u8], at: &'static str) -> Result<Result<(), String>, CmsError> {
    let mut r = Reader::new(alg_content);
    let id = r.read_oid().map_err(malformed(at))?;
    if id != oid::SHA256 {
        return Ok(Err(oid_text(id)));
    }
    absent_or_null(&mut r, at)?;
    Ok(Ok(()))
}

fn absent_or_null(r: &mut Reader<'_>, at: &'static str) -> Result<(), CmsError> {
    if let Some(null) = r.read_optional(der::NULL).map_err(malformed(at))? {
        if !null.content.is_empty() {
            return Err(malformed(at)(DerError::BadNull));
        }
    }
    r.finish().map_err(malformed(at))
}

fn signature_algorithm(alg_content: &[u8]) -> Result<SignatureAlgorithm, CmsError> {
    const AT: &str = "SignerInfo.signatureAlgorithm";
    let mut r = Reader::new(alg_content);
    let id = r.read_oid().map_err(malformed(AT))?;
    if id == oid::ECDSA_WITH_SHA256 {
        absent_or_null(&mut r, AT)?;
        Ok(SignatureAlgorithm::EcdsaP256Sha256)
    } else if id == oid::SHA256_WITH_RSA || id == oid::RSA_ENCRYPTION {
        absent_or_null(&mut r, AT)?;
        Ok(SignatureAlgorithm::RsaPkcs1Sha256)
    } else if id == oid::RSASSA_PSS {
        let mut params = r.nested(der::SEQUENCE).map_err(malformed(AT))?;
        r.finish().map_err(malformed(AT))?;
        check_pss_params(&mut params)?;
        Ok(SignatureAlgorithm::RsaPssSha256)
    } else {
        Err(CmsError::UnsupportedSignatureAlgorithm(format!(
            "{}; use ECDSA with SHA-256, RSA PKCS#1 v1.5 with SHA-256 or RSASSA-PSS with SHA-256",
            oid_text(id)
        )))
    }
}

/// Only the PSS profile ring verifies: SHA-256, MGF1 with SHA-256, 32-byte salt, trailer 1.
fn check_pss_params(params: &mut Reader<'_>) -> Result<(), CmsError> {
    const AT: &str = "RSASSA-PSS parameters";
    let unsupported = || {
        CmsError::UnsupportedSignatureAlgorithm(
            "RSASSA-PSS is accepted only with SHA-256, MGF1-SHA-256 and a 32-byte salt".into(),
        )
    };
    let hash = params
        .read_optional(context_constructed(0))
        .map_err(malformed(AT))?
        .ok_or_else(unsupported)?;
    let hash = parse_single(hash.content, der::SEQUENCE).map_err(malformed(AT))?;
    if digest_algorithm(hash.content, AT)?.is_err() {
        return Err(unsupported());
    }
    let mgf = params
        .read_optional(context_constructed(1))
        .map_err(malformed(AT))?
        .ok_or_else(unsupported)?;
    let mgf = parse_single(mgf.content, der::SEQUENCE).map_err(malformed(AT))?;
    let mut mgf = Reader::new(mgf.content);
    if mgf.read_oid().map_err(malformed(AT))? != oid::MGF1 {
        return Err(unsupported());
    }
    let mgf_hash = mgf.read_tlv(der::SEQUENCE).map_err(malformed(AT))?;
    mgf.finish().map_err(malformed(AT))?;
    if digest_algorithm(mgf_hash.content, AT)?.is_err() {
        return Err(unsupported());
    }
    let salt = params
        .read_optional(context_constructed(2))
        .map_err(malformed(AT))?
        .ok_or_else(unsupported)?;
    if Reader::new(salt.content)
        .read_small_uint()
        .map_err(malformed(AT))?
        != 32
    {
        return Err(unsupported());
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
            return Err(unsupported());
        }
    }
    params.finish().map_err(malformed(AT))
}

struct Attribute<'a> {
    oid: &'a [u8],
    values: Vec<Tlv<'a>>,
}

fn parse_attributes<'a>(
    content: &'a [u8],
    at: &'static str,
) -> Result<Vec<Attribute<'a>>, CmsError> {
    let mut out: Vec<Attribute<'a>> = Vec::new();
    let mut r = Reader::new(content);
    while !r.is_empty() {
        let mut a = r.nested(der::SEQUENCE).map_err(malformed(at))?;
        let attr_oid = a.read_oid().map_err(malformed(at))?;
        let mut set = a.nested(der::SET).map_err(malformed(at))?;
        a.finish().map_err(malformed(at))?;
        let mut values = Vec::new();
        while !set.is_empty() {
            values.push(set.read_any().map_err(malformed(at))?);
        }
        if out.iter().any(|o| o.oid == attr_oid) {
            return Err(CmsError::DuplicateAttribute(oid_text(attr_oid)));
        }
        out.push(Attribute {
            oid: attr_oid,
            values,
        });
    }
    Ok(out)
}

fn optional_single_value<'a>(
    attrs: &[Attribute<'a>],
    id: &[u8],
) -> Result<Option<Tlv<'a>>, CmsError> {
    match attrs.iter().find(|a| a.oid == id) {
        None => Ok(None),
        Some(a) => match a.values.as_slice() {
            [v] => Ok(Some(*v)),
            _ => Err(CmsError::DuplicateAttribute(oid_text(id))),
        },
    }
}

fn single_value<'a>(
    attrs: &[Attribute<'a>],
    id: &[u8],
    name: &'static str,
) -> Result<Tlv<'a>, CmsError> {
    optional_single_value(attrs, id)?.ok_or(CmsError::MissingAttribute(name))
}

struct EssCertId<'a> {
    cert_hash: [u8; 32],
    /// Issuer Names (complete DER) from the GeneralNames, and the serial INTEGER content.
    issuer_serial: Option<(Vec<&'a [u8]>, &'a [u8])>,
}

/// The first ESSCertIDv2 of a SigningCertificateV2: by RFC 5035 it names the signer's cert.
fn parse_ess<'a>(value: Tlv<'a>) -> Result<EssCertId<'a>, CmsError> {
    const AT: &str = "signingCertificateV2 attribute";
    if value.tag != der::SEQUENCE {
        return Err(malformed(AT)(DerError::UnexpectedTag {
            expected: der::SEQUENCE,
            found: value.tag,
        }));
    }
    let mut signing_certificate = Reader::new(value.content);
    let mut certs = signing_certificate
        .nested(der::SEQUENCE)
        .map_err(malformed(AT))?;
    let mut id = certs.nested(der::SEQUENCE).map_err(malformed(AT))?;
    if let Some(alg) = id.read_optional(der::SEQUENCE).map_err(malformed(AT))? {
        if let Err(other) = digest_algorithm(alg.content, AT)? {
            return Err(CmsError::UnsupportedDigestAlgorithm(format!(
                "{other} in signingCertificateV2"
            )));
        }
    }
    let hash = id.read(der::OCTET_STRING).map_err(malformed(AT))?;
    let cert_hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| CmsError::SigningCertificateMismatch)?;
    let issuer_serial = match id.read_optional(der::SEQUENCE).map_err(malformed(AT))? {
        Some(is) => {
            let mut is = Reader::new(is.content);
            let mut general_names = is.nested(der::SEQUENCE).map_err(malformed(AT))?;
            let mut names = Vec::new();
            while !general_names.is_empty() {
                let gn = general_names.read_any().map_err(malformed(AT))?;
                if gn.tag == TAG_DIRECTORY_NAME {
                    names.push(
                        parse_single(gn.content, der::SEQUENCE)
                            .map_err(malformed(AT))?
                            .raw,
                    );
                }
            }
            let serial = is.read_integer_bytes().map_err(malformed(AT))?;
            is.finish().map_err(malformed(AT))?;
            Some((names, serial))
        }
        None => None,
    };
    id.finish().map_err(malformed(AT))?;
    Ok(EssCertId {
        cert_hash,
        issuer_serial,
    })
}

fn check_attribute(der_attr: &[u8]) -> Result<(), DerError> {
    let attr = parse_single(der_attr, der::SEQUENCE)?;
    let mut r = Reader::new(attr.content);
    r.read_oid()?;
    r.read(der::SET)?;
    r.finish()
}

#[cfg(test)]
mod tests;
