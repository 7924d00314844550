//! Parsing and verifying CMS SignedData: detached CAdES signatures and, for `tsp`, timestamp
//! tokens. One verifier behind both, strict DER throughout, and no chain validation: a success
//! proves only "this certificate's key signed this content" (the `verify` module decides whether
//! the certificate is trustworthy). Its input comes from anyone, so this file is held to the
//! parser lints.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use time::OffsetDateTime;

use super::algorithms::{digest_algorithm, signature_algorithm};
use super::attributes::{optional_single_value, parse_attributes, parse_ess, single_value};
use super::certificate::{verify_with_certificate, CertFields};
use super::error::{malformed, CmsError};
use super::revocation_info::RevocationInfo;
use crate::crypto::der::{self, context_constructed, oid_text, parse_single, DerError, Reader};
use crate::crypto::{oid, sha256, SignatureAlgorithm};

/// Upper bound on a CMS signature we agree to parse. Real ones (certificates, a timestamp
/// token, perhaps CRLs) stay far below; the bound keeps hostile input cheap to reject.
pub const MAX_CMS_LEN: usize = 4 * 1024 * 1024;

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
    /// CRLs and OCSP responses the SignedData carries (unverified; the path check decides).
    pub revocation: RevocationInfo,
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
pub(super) enum Expected<'a> {
    /// A detached id-data signature over content with this SHA-256.
    Detached(&'a [u8; 32]),
    /// Encapsulated content of this type (OID content bytes), e.g. a timestamp token's TSTInfo.
    Encapsulated(&'a [u8]),
}

/// The one SignedData verifier behind detached signatures and timestamp tokens; returns the
/// eContent when `expected` asks for encapsulated content. Same caveat: no chain validation.
pub(super) fn verify_signed_data<'c>(
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
    let mut revocation = RevocationInfo::default();
    if let Some(crls) = sd
        .read_optional(context_constructed(1))
        .map_err(malformed("SignedData.crls"))?
    {
        revocation.add_choices(crls.content);
    }
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
    if let Ok(Some(archival)) = optional_single_value(&attrs, oid::ADBE_REVOCATION_INFO_ARCHIVAL) {
        revocation.add_archival(archival);
    }
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
            revocation,
        },
        econtent,
    ))
}
