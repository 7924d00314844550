//! The RFC 3161 wire messages: `TimeStampReq` parsed (the authority's side) and built (a
//! client's), `TimeStampResp` parsed (a client's side), and the `PKIFailureInfo` a refusal
//! carries. Requests come from anyone who can reach `POST /tsa`, so this is parser code, held
//! to the parser lints; every refusal says which rule the request broke.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::failure::{refuse, FailureInfo, Refusal};
use crate::cms::error::{malformed, CmsError};
use crate::crypto::der::{self, context_constructed, parse_single, Reader, Writer};
use crate::crypto::{DigestAlgorithm, TIMESTAMP_IMPRINT_DIGESTS};

/// The largest nonce we echo. Clients use 64 bits (openssl) to 160 bits; anything far larger
/// only makes the response a vehicle for the attacker's bytes.
const MAX_NONCE_LEN: usize = 64;

/// DER `MessageImprint { sha256, digest }`.
pub(super) fn sha256_message_imprint(digest: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::with_capacity(64);
    w.sequence(|w| {
        w.raw(DigestAlgorithm::Sha256.algorithm_identifier_der());
        w.octet_string(digest);
    });
    w.into_vec()
}

/// A DER `TimeStampReq` for a SHA-256 digest: what a client sends (tests, a remote TSA).
pub fn request(digest: &[u8; 32], nonce: Option<&[u8]>, cert_req: bool) -> Vec<u8> {
    let mut w = Writer::with_capacity(96);
    w.sequence(|w| {
        w.small_uint(1);
        w.raw(&sha256_message_imprint(digest));
        if let Some(n) = nonce {
            w.unsigned_integer(n);
        }
        if cert_req {
            w.element(der::BOOLEAN, &[0xff]);
        }
    });
    w.into_vec()
}

/// The token of a DER `TimeStampResp`, or `CmsError::Timestamp` saying why the TSA refused.
pub fn token_from_response(response_der: &[u8]) -> Result<Vec<u8>, CmsError> {
    const AT: &str = "TimeStampResp";
    let resp = parse_single(response_der, der::SEQUENCE).map_err(malformed(AT))?;
    let mut r = Reader::new(resp.content);
    let mut status_info = r.nested(der::SEQUENCE).map_err(malformed(AT))?;
    let status = status_info.read_small_uint().map_err(malformed(AT))?;
    let mut text = String::new();
    if let Some(free) = status_info
        .read_optional(der::SEQUENCE)
        .map_err(malformed(AT))?
    {
        let mut f = Reader::new(free.content);
        while !f.is_empty() {
            let s = f.read(der::UTF8_STRING).map_err(malformed(AT))?;
            text.push_str(&String::from_utf8_lossy(s));
        }
    }
    let fail_info = status_info
        .read_optional(der::BIT_STRING)
        .map_err(malformed(AT))?;
    status_info.finish().map_err(malformed(AT))?;
    let token = r.read_optional(der::SEQUENCE).map_err(malformed(AT))?;
    r.finish().map_err(malformed(AT))?;
    match (status, token) {
        // granted, grantedWithMods
        (0 | 1, Some(token)) => Ok(token.raw.to_vec()),
        (0 | 1, None) => Err(CmsError::Timestamp(
            "the TSA granted the request but sent no token".into(),
        )),
        _ => Err(CmsError::Timestamp(format!(
            "the TSA refused (status {status}{}{}{})",
            fail_info
                .map(|f| format!(", failInfo {}", hex::encode(f.content)))
                .unwrap_or_default(),
            if text.is_empty() { "" } else { ": " },
            text
        ))),
    }
}

/// What the authority needs of a request.
pub(super) struct ParsedRequest<'a> {
    /// The complete DER MessageImprint, to echo in the TSTInfo.
    pub(super) message_imprint: &'a [u8],
    pub(super) policy: Option<&'a [u8]>,
    /// INTEGER content bytes.
    pub(super) nonce: Option<&'a [u8]>,
    pub(super) cert_req: bool,
}

pub(super) fn parse_request(input: &[u8]) -> Result<ParsedRequest<'_>, Refusal> {
    let bad = |what: &str| {
        let what = what.to_owned();
        move |e: der::DerError| {
            refuse(
                FailureInfo::BadDataFormat,
                format!("not a DER TimeStampReq ({what}: {e})"),
            )
        }
    };
    let req = parse_single(input, der::SEQUENCE).map_err(bad("TimeStampReq"))?;
    let mut r = Reader::new(req.content);
    let version = r.read_small_uint().map_err(bad("version"))?;
    if version != 1 {
        return Err(refuse(
            FailureInfo::BadRequest,
            format!("TimeStampReq version {version}; only version 1 exists"),
        ));
    }
    let imprint = r.read_tlv(der::SEQUENCE).map_err(bad("messageImprint"))?;
    let mut mi = Reader::new(imprint.content);
    let alg = mi
        .read_tlv(der::SEQUENCE)
        .map_err(bad("messageImprint.hashAlgorithm"))?;
    let hashed = mi
        .read(der::OCTET_STRING)
        .map_err(bad("messageImprint.hashedMessage"))?;
    mi.finish().map_err(bad("messageImprint"))?;
    let expected_len = imprint_digest_len(alg.content)?;
    if hashed.len() != expected_len {
        return Err(refuse(
            FailureInfo::BadDataFormat,
            format!(
                "hashedMessage is {} bytes; the algorithm's digest is {expected_len}",
                hashed.len()
            ),
        ));
    }
    let policy = match r.read_optional(der::OID).map_err(bad("reqPolicy"))? {
        Some(p) => {
            der::oid_to_string(p.content).map_err(bad("reqPolicy"))?;
            Some(p.content)
        }
        None => None,
    };
    let nonce = match r.peek_tag() {
        Some(der::INTEGER) => Some(r.read_integer_bytes().map_err(bad("nonce"))?),
        _ => None,
    };
    if nonce.is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        return Err(refuse(
            FailureInfo::BadDataFormat,
            format!("the nonce is longer than {MAX_NONCE_LEN} bytes"),
        ));
    }
    // DER omits a FALSE certReq (its DEFAULT), but some clients send it anyway: accept both
    // canonical values rather than refuse a harmless encoding.
    let cert_req = match r.read_optional(der::BOOLEAN).map_err(bad("certReq"))? {
        Some(b) => match b.content {
            [0xff] => true,
            [0x00] => false,
            _ => {
                return Err(refuse(
                    FailureInfo::BadDataFormat,
                    "certReq is not a DER BOOLEAN",
                ))
            }
        },
        None => false,
    };
    if r.peek_tag() == Some(context_constructed(0)) {
        return Err(refuse(
            FailureInfo::UnacceptedExtension,
            "request extensions are not supported; send the request without them",
        ));
    }
    r.finish().map_err(bad("TimeStampReq"))?;
    Ok(ParsedRequest {
        message_imprint: imprint.raw,
        policy,
        nonce,
        cert_req,
    })
}

/// Digest length for a MessageImprint hash AlgorithmIdentifier (content bytes); SHA-256/384/512
/// with absent or NULL parameters.
pub(super) fn imprint_digest_len(alg_content: &[u8]) -> Result<usize, Refusal> {
    DigestAlgorithm::from_identifier(
        alg_content,
        "messageImprint.hashAlgorithm",
        TIMESTAMP_IMPRINT_DIGESTS,
    )
    .map(DigestAlgorithm::output_len)
    .map_err(|_| {
        refuse(
            FailureInfo::BadAlg,
            "unsupported hash algorithm; use SHA-256, SHA-384 or SHA-512",
        )
    })
}
