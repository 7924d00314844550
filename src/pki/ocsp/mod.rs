//! The OCSP responder (RFC 6960) of the CAs the key store knows: a DER OCSPRequest in, a DER
//! OCSPResponse out, signed by the CA's delegated responder (a certificate the CA issued with
//! id-kp-OCSPSigning and id-pkix-ocsp-nocheck). The status comes from the same revocation list
//! the CRLs give (`crl::Revoked`), so CRL and OCSP never disagree. A serial the CA never issued
//! is answered "good", as a CRL-backed responder must (RFC 6960 §2.2 allows it; there is no
//! issuance register to say otherwise).
//!
//! The request is a stranger's bytes: this file denies the parser lints.
//!
//! [`response`] reads OCSPResponses back (the verifier's side): one module per format, both
//! directions.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use time::{Duration, OffsetDateTime};

use super::credential::Credential;
use super::crl::Revoked;
use crate::crypto::der::INTEGER;
use crate::crypto::der::{
    context_constructed, context_primitive, magnitude, DerError, Reader, Tlv, Writer, BIT_STRING,
    GENERALIZED_TIME, OCTET_STRING, SEQUENCE,
};
use crate::crypto::oid;

mod response;

use response::{ENUMERATED, SUCCESSFUL};

pub use response::{
    parse_response, CertStatus, OcspResponse, ResponderId, ResponseProblem, SingleResponse,
};

/// Most certificates asked about in one request (openssl and validators ask for one).
const MAX_REQUESTS: usize = 16;

/// How long an answer may be relied on: validators refetch after `nextUpdate`.
const VALIDITY: Duration = Duration::days(1);

/// The OCSPResponseStatus values the responder sends besides successful (RFC 6960 §4.2.1).
const MALFORMED_REQUEST: u8 = 1;
const INTERNAL_ERROR: u8 = 2;
const UNAUTHORIZED: u8 = 6;

/// One CA the responder answers for, with its delegated responder credential.
pub(super) struct Authority {
    pub subject_raw: Vec<u8>,
    /// SHA-1 and SHA-256 of the CA's subject DN and of its public key (the BIT STRING value),
    /// as CertIDs carry them.
    pub name_sha1: Vec<u8>,
    pub key_sha1: Vec<u8>,
    pub name_sha256: Vec<u8>,
    pub key_sha256: Vec<u8>,
    pub responder: Credential,
}

impl Authority {
    /// An authority for the CA certificate `ca_der`, answered by `responder`.
    pub(super) fn new(ca_der: &[u8], responder: Credential) -> Option<Authority> {
        let (_, ca) = x509_parser::parse_x509_certificate(ca_der).ok()?;
        let subject = ca.subject().as_raw();
        let key = ca.public_key().subject_public_key.data.as_ref();
        Some(Authority {
            subject_raw: subject.to_vec(),
            name_sha1: digest(&SHA1_FOR_LEGACY_USE_ONLY, subject).as_ref().to_vec(),
            key_sha1: digest(&SHA1_FOR_LEGACY_USE_ONLY, key).as_ref().to_vec(),
            name_sha256: digest(&SHA256, subject).as_ref().to_vec(),
            key_sha256: digest(&SHA256, key).as_ref().to_vec(),
            responder,
        })
    }

    fn matches(&self, id: &CertId<'_>) -> bool {
        if id.hash == oid::SHA1 {
            id.name_hash == self.name_sha1 && id.key_hash == self.key_sha1
        } else if id.hash == oid::SHA256 {
            id.name_hash == self.name_sha256 && id.key_hash == self.key_sha256
        } else {
            false
        }
    }
}

/// A request's CertIDs and its nonce extension.
type Parsed<'a> = (Vec<CertId<'a>>, Option<&'a [u8]>);

/// CertID (RFC 6960 §4.1.1), borrowed from the request; `raw` is echoed in the answer.
struct CertId<'a> {
    raw: &'a [u8],
    hash: &'a [u8],
    name_hash: &'a [u8],
    key_hash: &'a [u8],
    serial: &'a [u8],
}

/// The answer to `request` at `now`: always a DER OCSPResponse, an error status when the
/// request is malformed, names a CA this responder does not serve, or signing fails.
pub(super) fn respond(
    authorities: &[Authority],
    revoked: &[Revoked],
    request: &[u8],
    now: OffsetDateTime,
) -> Vec<u8> {
    let Some((ids, nonce)) = parse_request(request) else {
        return status_only(MALFORMED_REQUEST);
    };
    // One signer per response: every CertID must name the same CA.
    let Some(authority) = ids
        .first()
        .and_then(|first| authorities.iter().find(|a| a.matches(first)))
    else {
        return status_only(UNAUTHORIZED);
    };
    if !ids.iter().all(|id| authority.matches(id)) {
        return status_only(UNAUTHORIZED);
    }
    answer(authority, revoked, &ids, nonce, now)
}

/// The responder's own answers for `certificates` at `now`, one OCSPResponse each, for a
/// document security store (B-LT): every certificate a CA of `authorities` issued; the others
/// (the anchor, foreign certificates) are left out. CertIDs are hashed with SHA-1, as RFC 6960
/// clients (openssl, Acrobat) still expect; the response's signature is what protects them.
pub(super) fn answers_for(
    authorities: &[Authority],
    revoked: &[Revoked],
    certificates: &[&[u8]],
    now: OffsetDateTime,
) -> Vec<Vec<u8>> {
    let mut answers = Vec::new();
    for (i, der) in certificates.iter().enumerate() {
        // Paths share their CAs: one answer per certificate.
        if certificates.iter().take(i).any(|earlier| earlier == der) {
            continue;
        }
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
            continue;
        };
        let issuer = cert.issuer().as_raw();
        // A self-signed anchor is trusted as configured, not by a status.
        if cert.subject().as_raw() == issuer {
            continue;
        }
        let Some(authority) = authorities.iter().find(|a| a.subject_raw == issuer) else {
            continue;
        };
        let mut w = Writer::with_capacity(96);
        w.sequence(|w| {
            w.sequence(|w| {
                w.oid(oid::SHA1);
                w.null();
            });
            w.octet_string(&authority.name_sha1);
            w.octet_string(&authority.key_sha1);
            w.element(INTEGER, cert.raw_serial());
        });
        let id_der = w.into_vec();
        let Ok(id) = crate::crypto::der::parse_single(&id_der, SEQUENCE).and_then(cert_id) else {
            continue;
        };
        answers.push(answer(authority, revoked, &[id], None, now));
    }
    answers
}

/// A signed BasicOCSPResponse from `authority`'s responder for `ids` (all of that CA).
fn answer(
    authority: &Authority,
    revoked: &[Revoked],
    ids: &[CertId<'_>],
    nonce: Option<&[u8]>,
    now: OffsetDateTime,
) -> Vec<u8> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let next = now.checked_add(VALIDITY).unwrap_or(now);
    let responder = &authority.responder;
    let Ok((_, responder_cert)) = x509_parser::parse_x509_certificate(responder.certificate_der())
    else {
        return status_only(INTERNAL_ERROR);
    };
    let responder_key = responder_cert.public_key().subject_public_key.data.as_ref();
    let key_hash = digest(&SHA1_FOR_LEGACY_USE_ONLY, responder_key);

    let mut tbs = Writer::with_capacity(512);
    tbs.sequence(|w| {
        // ResponderID byKey: [2] EXPLICIT KeyHash.
        w.constructed(context_constructed(2), |w| {
            w.octet_string(key_hash.as_ref())
        });
        generalized_time(w, now);
        w.sequence(|w| {
            for id in ids {
                w.sequence(|w| {
                    w.raw(id.raw);
                    match status_of(&authority.subject_raw, id.serial, revoked) {
                        None => w.element(context_primitive(0), &[]),
                        Some(at) => {
                            w.constructed(context_constructed(1), |w| generalized_time(w, at))
                        }
                    }
                    generalized_time(w, now);
                    w.constructed(context_constructed(0), |w| generalized_time(w, next));
                });
            }
        });
        if let Some(nonce) = nonce {
            w.constructed(context_constructed(1), |w| w.sequence(|w| w.raw(nonce)));
        }
    });
    let tbs = tbs.into_vec();
    let Ok(signature) = responder.sign(&tbs) else {
        return status_only(INTERNAL_ERROR);
    };
    let mut basic = Writer::with_capacity(tbs.len().saturating_add(1024));
    basic.sequence(|w| {
        w.raw(&tbs);
        w.raw(responder.signature_algorithm().algorithm_identifier_der());
        let mut bits = Vec::with_capacity(signature.len().saturating_add(1));
        bits.push(0);
        bits.extend_from_slice(&signature);
        w.element(BIT_STRING, &bits);
        // The responder's certificate, so a client can check the delegation (§4.2.2.2).
        w.constructed(context_constructed(0), |w| {
            w.sequence(|w| w.raw(responder.certificate_der()))
        });
    });
    let basic = basic.into_vec();
    let mut out = Writer::with_capacity(basic.len().saturating_add(32));
    out.sequence(|w| {
        w.element(ENUMERATED, &[SUCCESSFUL]);
        w.constructed(context_constructed(0), |w| {
            w.sequence(|w| {
                w.oid(oid::OCSP_BASIC);
                w.octet_string(&basic);
            })
        });
    });
    out.into_vec()
}

/// When the CA revoked the certificate with `serial`, if it did.
fn status_of(issuer: &[u8], serial: &[u8], revoked: &[Revoked]) -> Option<OffsetDateTime> {
    let serial = magnitude(serial);
    revoked
        .iter()
        .filter(|r| r.issuer == issuer && r.serial == serial)
        .map(|r| r.at)
        .min()
}

/// An OCSPResponse with no responseBytes: the error statuses of §4.2.1.
fn status_only(status: u8) -> Vec<u8> {
    let mut w = Writer::with_capacity(8);
    w.sequence(|w| w.element(ENUMERATED, &[status]));
    w.into_vec()
}

/// GeneralizedTime, whole seconds, UTC, as RFC 6960 §4.2.2.1 requires (never UTCTime).
fn generalized_time(w: &mut Writer, t: OffsetDateTime) {
    let t = t.to_offset(time::UtcOffset::UTC);
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    w.element(GENERALIZED_TIME, text.as_bytes());
}

/// OCSPRequest → its CertIDs and the nonce extension (the whole Extension, echoed back);
/// None when it is not a well-formed request of at most `MAX_REQUESTS` certificates.
fn parse_request(der: &[u8]) -> Option<Parsed<'_>> {
    parse_request_der(der).ok().flatten()
}

fn parse_request_der(der: &[u8]) -> Result<Option<Parsed<'_>>, DerError> {
    let mut top = Reader::new(der);
    let mut request = top.nested(SEQUENCE)?;
    top.finish()?;
    let mut tbs = request.nested(SEQUENCE)?;
    // optionalSignature [0] may follow; requests are not required to be signed.
    let _version = tbs.read_optional(context_constructed(0))?;
    let _requestor = tbs.read_optional(context_constructed(1))?;
    let mut list = tbs.nested(SEQUENCE)?;
    let mut ids = Vec::new();
    while !list.is_empty() {
        if ids.len() >= MAX_REQUESTS {
            return Ok(None);
        }
        let mut one = list.nested(SEQUENCE)?;
        let id = one.read_tlv(SEQUENCE)?;
        ids.push(cert_id(id)?);
        let _extensions = one.read_optional(context_constructed(0))?;
        one.finish()?;
    }
    if ids.is_empty() {
        return Ok(None);
    }
    let mut nonce = None;
    if let Some(extensions) = tbs.read_optional(context_constructed(2))? {
        let mut outer = Reader::new(extensions.content);
        let mut list = outer.nested(SEQUENCE)?;
        outer.finish()?;
        while !list.is_empty() {
            let ext = list.read_tlv(SEQUENCE)?;
            let mut fields = Reader::new(ext.content);
            if fields.read_oid()? == oid::OCSP_NONCE {
                nonce = Some(ext.raw);
            }
        }
    }
    tbs.finish()?;
    Ok(Some((ids, nonce)))
}

fn cert_id(tlv: Tlv<'_>) -> Result<CertId<'_>, DerError> {
    let mut r = Reader::new(tlv.content);
    let mut algorithm = r.nested(SEQUENCE)?;
    let hash = algorithm.read_oid()?;
    let name_hash = r.read(OCTET_STRING)?;
    let key_hash = r.read(OCTET_STRING)?;
    let serial = r.read_integer_bytes()?;
    r.finish()?;
    Ok(CertId {
        raw: tlv.raw,
        hash,
        name_hash,
        key_hash,
        serial,
    })
}

#[cfg(test)]
mod tests;
