//! The signed attributes of a CAdES signature: built (content-type, message-digest, ESS
//! signing-certificate-v2, optional signing-time) as the DER SET that is signed, and parsed
//! back from a signature to verify, or from the bytes an external signer was handed. Parsing
//! reads signatures from anyone, so this file is held to the parser lints.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use time::OffsetDateTime;

use super::algorithms::digest_algorithm;
use super::certificate::{verify_with_certificate, CertFields};
use super::error::{malformed, CmsError};
use crate::crypto::der::{
    self, context_constructed, oid_text, parse_single, DerError, Reader, Tlv, Writer,
};
use crate::crypto::{oid, sha256, SignatureAlgorithm};

/// `[4]` directoryName, the GeneralName form of an issuer in ESS IssuerSerial.
const TAG_DIRECTORY_NAME: u8 = context_constructed(4);

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
    /// The DER SET OF, exactly as signed.
    pub(super) der: Vec<u8>,
    /// SHA-256 of the certificate the ESS attribute names.
    pub(super) signer_cert_hash: [u8; 32],
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
    pub(super) fn for_content_type(
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
        let capacity = cert
            .issuer
            .len()
            .saturating_add(cert.serial.len())
            .saturating_add(192);
        let mut w = Writer::with_capacity(capacity);
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

pub(super) struct Attribute<'a> {
    oid: &'a [u8],
    values: Vec<Tlv<'a>>,
}

pub(super) fn parse_attributes<'a>(
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

pub(super) fn optional_single_value<'a>(
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

pub(super) fn single_value<'a>(
    attrs: &[Attribute<'a>],
    id: &[u8],
    name: &'static str,
) -> Result<Tlv<'a>, CmsError> {
    optional_single_value(attrs, id)?.ok_or(CmsError::MissingAttribute(name))
}

pub(super) struct EssCertId<'a> {
    pub(super) cert_hash: [u8; 32],
    /// Issuer Names (complete DER) from the GeneralNames, and the serial INTEGER content.
    pub(super) issuer_serial: Option<(Vec<&'a [u8]>, &'a [u8])>,
}

/// The first ESSCertIDv2 of a SigningCertificateV2: by RFC 5035 it names the signer's cert.
pub(super) fn parse_ess<'a>(value: Tlv<'a>) -> Result<EssCertId<'a>, CmsError> {
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

/// Checks that `der_attr` is a DER `Attribute { OID, SET }`: unsigned attributes come from the
/// caller as complete DER.
pub(super) fn check_attribute(der_attr: &[u8]) -> Result<(), DerError> {
    let attr = parse_single(der_attr, der::SEQUENCE)?;
    let mut r = Reader::new(attr.content);
    r.read_oid()?;
    r.read(der::SET)?;
    r.finish()
}
