//! Reading OCSPResponses (RFC 6960 §4.2.1): the structure only — which certificates it speaks
//! for, with what status and until when, who signed it and the bytes that signature covers.
//! Whether the signature holds and the responder may answer for the CA is the verifier's
//! question (`verify`), asked with the same algorithm table as certificate signatures.
//!
//! Responses come from documents (the DSS, CMS revocation data): a stranger's bytes, so this
//! file denies the parser lints and bounds every list.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use time::OffsetDateTime;

use crate::crypto::der::{
    context_constructed, context_primitive, magnitude, parse_time, DerError, Reader, BIT_STRING,
    GENERALIZED_TIME, OCTET_STRING, SEQUENCE,
};
use crate::crypto::oid;

/// The ENUMERATED tag (X.690), which only OCSP among our formats uses.
pub(super) const ENUMERATED: u8 = 0x0a;

/// OCSPResponseStatus successful (RFC 6960 §4.2.1); the others are the responder's.
pub(super) const SUCCESSFUL: u8 = 0;

/// Most single responses read from one response (ours carry one; CAs batch a few).
const MAX_SINGLE_RESPONSES: usize = 64;
/// Most certificates a response may carry (the responder's, perhaps its chain).
const MAX_CERTIFICATES: usize = 8;

/// Why bytes are not a usable OCSP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseProblem {
    #[error("malformed OCSP response: {0}")]
    Der(#[from] DerError),
    #[error("the OCSP responder answered with error status {0}, not a response")]
    Status(u8),
    #[error("the OCSP response is not a BasicOCSPResponse")]
    NotBasic,
    #[error("the OCSP response lists more than {0} entries")]
    TooMany(usize),
}

/// Who signed the response (RFC 6960 §4.2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponderId<'a> {
    /// The DER of the responder's subject Name.
    ByName(&'a [u8]),
    /// SHA-1 of the responder's public key (the BIT STRING value).
    ByKey(&'a [u8]),
}

/// A certificate's status in one single response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked(OffsetDateTime),
    Unknown,
}

/// One certificate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleResponse<'a> {
    hash: &'a [u8],
    name_hash: &'a [u8],
    key_hash: &'a [u8],
    serial: &'a [u8],
    pub status: CertStatus,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
}

impl SingleResponse<'_> {
    /// Whether this answer is about the certificate with `serial` (INTEGER content bytes)
    /// issued by the CA with subject `issuer_name` (DER) and key `issuer_key` (the BIT STRING
    /// value), by the CertID's own hash algorithm; other hash algorithms match nothing.
    pub fn is_about(&self, serial: &[u8], issuer_name: &[u8], issuer_key: &[u8]) -> bool {
        let algorithm = if self.hash == oid::SHA1 {
            &SHA1_FOR_LEGACY_USE_ONLY
        } else if self.hash == oid::SHA256 {
            &SHA256
        } else {
            return false;
        };
        magnitude(self.serial) == magnitude(serial)
            && digest(algorithm, issuer_name).as_ref() == self.name_hash
            && digest(algorithm, issuer_key).as_ref() == self.key_hash
    }
}

/// A successful BasicOCSPResponse, borrowed from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspResponse<'a> {
    /// The DER of ResponseData: what the signature covers.
    pub signed: &'a [u8],
    /// The signature algorithm's OID (content bytes).
    pub signature_algorithm: &'a [u8],
    pub signature: &'a [u8],
    pub responder: ResponderId<'a>,
    pub produced_at: OffsetDateTime,
    pub responses: Vec<SingleResponse<'a>>,
    /// Certificates the responder sent along (its own, to prove a delegation).
    pub certificates: Vec<&'a [u8]>,
}

/// Reads a DER OCSPResponse; anything but a well-formed successful basic response is refused.
pub fn parse_response(der: &[u8]) -> Result<OcspResponse<'_>, ResponseProblem> {
    let mut top = Reader::new(der);
    let mut response = top.nested(SEQUENCE)?;
    top.finish()?;
    let status = response.read(ENUMERATED)?;
    match status {
        [SUCCESSFUL] => {}
        [other] => return Err(ResponseProblem::Status(*other)),
        _ => return Err(DerError::IntegerRange.into()),
    }
    let mut explicit = response.nested(context_constructed(0))?;
    response.finish()?;
    let mut bytes = explicit.nested(SEQUENCE)?;
    explicit.finish()?;
    if bytes.read_oid()? != oid::OCSP_BASIC {
        return Err(ResponseProblem::NotBasic);
    }
    let basic = bytes.read(OCTET_STRING)?;
    bytes.finish()?;
    parse_basic(basic)
}

fn parse_basic(der: &[u8]) -> Result<OcspResponse<'_>, ResponseProblem> {
    let mut top = Reader::new(der);
    let mut basic = top.nested(SEQUENCE)?;
    top.finish()?;
    let data = basic.read_tlv(SEQUENCE)?;
    let mut algorithm = basic.nested(SEQUENCE)?;
    let signature_algorithm = algorithm.read_oid()?;
    let bits = basic.read(BIT_STRING)?;
    let signature = match bits.split_first() {
        Some((0, rest)) => rest,
        _ => return Err(DerError::BadBitString.into()),
    };
    let mut certificates = Vec::new();
    if let Some(certs) = basic.read_optional(context_constructed(0))? {
        let mut outer = Reader::new(certs.content);
        let mut list = outer.nested(SEQUENCE)?;
        outer.finish()?;
        while !list.is_empty() {
            if certificates.len() >= MAX_CERTIFICATES {
                return Err(ResponseProblem::TooMany(MAX_CERTIFICATES));
            }
            certificates.push(list.read_tlv(SEQUENCE)?.raw);
        }
    }
    basic.finish()?;

    let mut fields = Reader::new(data.content);
    let _version = fields.read_optional(context_constructed(0))?;
    let responder = match fields.read_any()? {
        id if id.tag == context_constructed(1) => {
            let mut name = Reader::new(id.content);
            let raw = name.read_tlv(SEQUENCE)?.raw;
            name.finish()?;
            ResponderId::ByName(raw)
        }
        id if id.tag == context_constructed(2) => {
            let mut key = Reader::new(id.content);
            let hash = key.read(OCTET_STRING)?;
            key.finish()?;
            ResponderId::ByKey(hash)
        }
        other => {
            return Err(DerError::UnexpectedTag {
                expected: context_constructed(1),
                found: other.tag,
            }
            .into())
        }
    };
    let produced_at = parse_time(&fields.read_tlv(GENERALIZED_TIME)?)?;
    let mut list = fields.nested(SEQUENCE)?;
    let mut responses = Vec::new();
    while !list.is_empty() {
        if responses.len() >= MAX_SINGLE_RESPONSES {
            return Err(ResponseProblem::TooMany(MAX_SINGLE_RESPONSES));
        }
        responses.push(single_response(&mut list)?);
    }
    let _extensions = fields.read_optional(context_constructed(1))?;
    fields.finish()?;
    Ok(OcspResponse {
        signed: data.raw,
        signature_algorithm,
        signature,
        responder,
        produced_at,
        responses,
        certificates,
    })
}

fn single_response<'a>(list: &mut Reader<'a>) -> Result<SingleResponse<'a>, DerError> {
    let mut one = list.nested(SEQUENCE)?;
    let mut id = one.nested(SEQUENCE)?;
    let mut algorithm = id.nested(SEQUENCE)?;
    let hash = algorithm.read_oid()?;
    let name_hash = id.read(OCTET_STRING)?;
    let key_hash = id.read(OCTET_STRING)?;
    let serial = id.read_integer_bytes()?;
    id.finish()?;
    let status_tlv = one.read_any()?;
    let status = if status_tlv.tag == context_primitive(0) {
        CertStatus::Good
    } else if status_tlv.tag == context_constructed(1) {
        let mut info = Reader::new(status_tlv.content);
        let at = parse_time(&info.read_tlv(GENERALIZED_TIME)?)?;
        let _reason = info.read_optional(context_constructed(0))?;
        info.finish()?;
        CertStatus::Revoked(at)
    } else if status_tlv.tag == context_primitive(2) {
        CertStatus::Unknown
    } else {
        return Err(DerError::UnexpectedTag {
            expected: context_primitive(0),
            found: status_tlv.tag,
        });
    };
    let this_update = parse_time(&one.read_tlv(GENERALIZED_TIME)?)?;
    let next_update = match one.read_optional(context_constructed(0))? {
        Some(explicit) => {
            let mut inner = Reader::new(explicit.content);
            let t = parse_time(&inner.read_tlv(GENERALIZED_TIME)?)?;
            inner.finish()?;
            Some(t)
        }
        None => None,
    };
    let _extensions = one.read_optional(context_constructed(1))?;
    one.finish()?;
    Ok(SingleResponse {
        hash,
        name_hash,
        key_hash,
        serial,
        status,
        this_update,
        next_update,
    })
}
