//! The built-in RFC 3161 timestamp authority, and verification of timestamp tokens.
//!
//! [`LocalTsa`] issues tokens with the key store's TSA credential: in-process through the
//! [`Timestamper`] trait (PAdES B-T/B-LTA, step records) and over HTTP through
//! [`LocalTsa::respond`], which speaks the RFC 3161 `TimeStampReq`/`TimeStampResp` wire format
//! so that `openssl ts`, pyHanko or any other standard client can use it.
//!
//! A token is a CMS SignedData (version 3) whose encapsulated content is the DER `TSTInfo`
//! (eContentType id-ct-TSTInfo), with signed attributes content-type, message-digest and ESS
//! signing-certificate-v2 (RFC 5816), signed with SHA-256. No network is needed at signing time.

use std::sync::{
    atomic::{AtomicU32, Ordering},
    Arc,
};

use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;

use super::{
    assemble_signed_data, malformed, oid, verify_signed_data, CmsError, Encapsulated, Expected,
    SignOptions, SignedAttributes, Timestamper,
};
use crate::crypto::der::{self, context_constructed, parse_single, Reader, Writer};
use crate::crypto::sha256;
use crate::pki::{Credential, KeyStore};

/// The default TSA policy: `1.3.6.1.4.1.32473.3161.1`. Arc 32473 is the IANA enterprise number
/// reserved for documentation and examples (RFC 5612), so this default squats on nobody's
/// arc; a production deployment configures the policy OID its CA registered, with
/// [`LocalTsa::with_policy`].
pub const DEFAULT_POLICY: &str = "1.3.6.1.4.1.32473.3161.1";
const DEFAULT_POLICY_DER: &[u8] = &[
    0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xfd, 0x59, 0x98, 0x59, 0x01,
];

/// The largest nonce we echo. Clients use 64 bits (openssl) to 160 bits; anything far larger
/// only makes the response a vehicle for the attacker's bytes.
const MAX_NONCE_LEN: usize = 64;

/// id-ct-TSTInfo, 1.2.840.113549.1.9.16.1.4.
const ID_CT_TSTINFO: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
];
const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
const BOOLEAN: u8 = 0x01;
const UTF8_STRING: u8 = 0x0c;

/// `PKIFailureInfo` bits (RFC 3161 §2.4.2) that this TSA reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureInfo {
    /// Unrecognized or unsupported algorithm identifier.
    BadAlg = 0,
    /// Transaction not permitted or supported.
    BadRequest = 2,
    /// The data submitted has the wrong format.
    BadDataFormat = 5,
    /// The requested TSA policy is not supported by the TSA.
    UnacceptedPolicy = 15,
    /// The requested extension is not supported by the TSA.
    UnacceptedExtension = 16,
    /// The request cannot be handled due to system failure.
    SystemFailure = 25,
}

impl FailureInfo {
    /// DER of the BIT STRING with just this named bit set (trailing zero bits removed, as
    /// X.690 §11.2.2 requires for named bit lists).
    fn bit_string(self) -> [u8; 2 + 1 + 4] {
        let bit = self as usize;
        let byte = bit / 8;
        let mut out = [0u8; 7];
        out[0] = der::BIT_STRING;
        out[1] = (byte + 2) as u8;
        out[2] = (7 - bit % 8) as u8;
        out[3 + byte] = 0x80 >> (bit % 8);
        out
    }

    fn encoded_len(self) -> usize {
        self as usize / 8 + 4
    }
}

/// Why a request was refused: the failure bit and a human-readable reason for statusString.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    info: FailureInfo,
    reason: String,
}

fn refuse(info: FailureInfo, reason: impl Into<String>) -> Refusal {
    Refusal {
        info,
        reason: reason.into(),
    }
}

/// An RFC 3161 timestamp authority backed by the key store's TSA credential. Cloning is cheap
/// (one `Arc`): clone it into every handler and signer that needs it.
#[derive(Clone)]
pub struct LocalTsa {
    inner: Arc<Inner>,
}

struct Inner {
    credential: Arc<Credential>,
    policy_der: Vec<u8>,
    policy: String,
    counter: AtomicU32,
    rng: SystemRandom,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa")
            .field("credential", &self.inner.credential.id())
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl LocalTsa {
    /// A TSA signing with `credential` (normally `KeyStore::tsa_shared()`), under
    /// [`DEFAULT_POLICY`].
    pub fn new(credential: Arc<Credential>) -> Self {
        LocalTsa {
            inner: Arc::new(Inner {
                credential,
                policy_der: DEFAULT_POLICY_DER.to_vec(),
                policy: DEFAULT_POLICY.to_owned(),
                counter: AtomicU32::new(0),
                rng: SystemRandom::new(),
            }),
        }
    }

    /// The key store's TSA, or `None` when the store has no `[tsa]` entry.
    pub fn from_key_store(keys: &KeyStore) -> Option<Self> {
        keys.tsa_shared().map(Self::new)
    }

    /// The same TSA under another policy OID (dotted text), e.g. one registered by the CA.
    pub fn with_policy(self, policy: &str) -> Result<Self, CmsError> {
        let der = der::oid_from_string(policy)
            .ok_or_else(|| CmsError::Timestamp(format!("`{policy}` is not a dotted OID")))?;
        Ok(LocalTsa {
            inner: Arc::new(Inner {
                credential: self.inner.credential.clone(),
                policy_der: der,
                policy: policy.to_owned(),
                counter: AtomicU32::new(0),
                rng: SystemRandom::new(),
            }),
        })
    }

    /// The TSA policy OID, dotted.
    pub fn policy(&self) -> &str {
        &self.inner.policy
    }

    /// The TSA's certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        self.inner.credential.certificate_der()
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp`: `granted` with a token, or
    /// `rejection` with a failure bit and a reason. Never panics, whatever the input.
    pub fn respond(&self, request_der: &[u8]) -> Vec<u8> {
        let outcome = parse_request(request_der)
            .and_then(|req| {
                if let Some(policy) = req.policy {
                    if policy != self.inner.policy_der.as_slice() {
                        return Err(refuse(
                            FailureInfo::UnacceptedPolicy,
                            format!(
                                "policy {} is not offered; this TSA issues under {}",
                                oid_text(policy),
                                self.inner.policy
                            ),
                        ));
                    }
                }
                Ok(req)
            })
            .and_then(|req| {
                self.token(req.message_imprint, req.nonce, req.cert_req)
                    .map_err(|e| {
                        tracing::error!(error = %e, "timestamp authority failed to sign");
                        refuse(FailureInfo::SystemFailure, "the TSA could not sign")
                    })
            });
        match outcome {
            Ok(token) => {
                let mut w = Writer::with_capacity(token.len() + 16);
                w.sequence(|w| {
                    w.sequence(|w| w.small_uint(0)); // granted
                    w.raw(&token);
                });
                w.into_vec()
            }
            Err(refusal) => {
                let mut w = Writer::with_capacity(refusal.reason.len() + 32);
                w.sequence(|w| {
                    w.sequence(|w| {
                        w.small_uint(2); // rejection
                        w.sequence(|w| w.element(UTF8_STRING, refusal.reason.as_bytes()));
                        w.raw(&refusal.info.bit_string()[..refusal.info.encoded_len()]);
                    });
                });
                w.into_vec()
            }
        }
    }

    /// A token over `message_imprint` (a complete DER MessageImprint, echoed as RFC 3161
    /// requires), with the TSA certificate and its chain when `include_certificates`.
    fn token(
        &self,
        message_imprint: &[u8],
        nonce: Option<&[u8]>,
        include_certificates: bool,
    ) -> Result<Vec<u8>, CmsError> {
        let credential = &self.inner.credential;
        let gen_time = OffsetDateTime::now_utc();
        let tst_info = self.tst_info(message_imprint, nonce, gen_time)?;
        let attrs = SignedAttributes::for_content_type(
            ID_CT_TSTINFO,
            &sha256(&tst_info),
            credential.certificate_der(),
            &SignOptions::default(),
        )?;
        let signature = credential.sign(attrs.bytes_to_sign())?;
        assemble_signed_data(
            &attrs,
            &signature,
            credential.signature_algorithm(),
            credential.certificate_der(),
            include_certificates.then_some(credential.chain_der()),
            &[],
            Encapsulated {
                content_type: ID_CT_TSTINFO,
                content: Some(&tst_info),
            },
        )
    }

    fn tst_info(
        &self,
        message_imprint: &[u8],
        nonce: Option<&[u8]>,
        gen_time: OffsetDateTime,
    ) -> Result<Vec<u8>, CmsError> {
        let gen_time = generalized_time_millis(gen_time)?;
        let serial = self.serial(&gen_time)?;
        let mut w = Writer::with_capacity(128 + message_imprint.len());
        w.sequence(|w| {
            w.small_uint(1);
            w.oid(&self.inner.policy_der);
            w.raw(message_imprint);
            w.unsigned_integer(&serial);
            w.element(der::GENERALIZED_TIME, gen_time.text.as_bytes());
            // Accuracy { millis 1 }: genTime is the clock read, truncated to the millisecond.
            w.sequence(|w| w.element(der::context_primitive(0), &[1]));
            // ordering is FALSE, its DEFAULT, so DER omits it.
            if let Some(nonce) = nonce {
                w.element(der::INTEGER, nonce);
            }
        });
        Ok(w.into_vec())
    }

    /// A unique serial that grows with time: 16 bytes of milliseconds since 1970 (6 bytes:
    /// its first byte is 0x01..0x7f from 2004 until the year 6429, so the INTEGER always has
    /// 16 content bytes and byte order is numeric order), a per-process counter (unique within
    /// a millisecond) and 6 random bytes (unique across replicas sharing the key).
    fn serial(&self, gen_time: &GenTime) -> Result<[u8; 16], CmsError> {
        let mut serial = [0u8; 16];
        serial[..6].copy_from_slice(&gen_time.unix_millis.to_be_bytes()[2..]);
        let count = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        serial[6..10].copy_from_slice(&count.to_be_bytes());
        self.inner
            .rng
            .fill(&mut serial[10..])
            .map_err(|_| CmsError::Timestamp("no randomness for the serial number".into()))?;
        Ok(serial)
    }
}

impl Timestamper for LocalTsa {
    /// Always includes the TSA certificate and chain: a token inside a signature must be
    /// verifiable on its own, years later.
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, CmsError> {
        self.token(&sha256_message_imprint(digest), None, true)
    }
}

/// DER `MessageImprint { sha256, digest }`.
fn sha256_message_imprint(digest: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::with_capacity(64);
    w.sequence(|w| {
        w.raw(super::SHA256_ALG_ID);
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
            w.element(BOOLEAN, &[0xff]);
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
            let s = f.read(UTF8_STRING).map_err(malformed(AT))?;
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

struct ParsedRequest<'a> {
    /// The complete DER MessageImprint, to echo in the TSTInfo.
    message_imprint: &'a [u8],
    policy: Option<&'a [u8]>,
    /// INTEGER content bytes.
    nonce: Option<&'a [u8]>,
    cert_req: bool,
}

fn parse_request(input: &[u8]) -> Result<ParsedRequest<'_>, Refusal> {
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
    let cert_req = match r.read_optional(BOOLEAN).map_err(bad("certReq"))? {
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
fn imprint_digest_len(alg_content: &[u8]) -> Result<usize, Refusal> {
    let bad_alg = || {
        refuse(
            FailureInfo::BadAlg,
            "unsupported hash algorithm; use SHA-256, SHA-384 or SHA-512",
        )
    };
    let mut r = Reader::new(alg_content);
    let id = r.read_oid().map_err(|_| bad_alg())?;
    if let Some(null) = r.read_optional(der::NULL).map_err(|_| bad_alg())? {
        if !null.content.is_empty() {
            return Err(bad_alg());
        }
    }
    r.finish().map_err(|_| bad_alg())?;
    match id {
        oid::SHA256 => Ok(32),
        SHA384 => Ok(48),
        SHA512 => Ok(64),
        _ => Err(bad_alg()),
    }
}

struct GenTime {
    /// GeneralizedTime text, `YYYYMMDDHHMMSS[.fff]Z`, trailing zeros of the fraction removed.
    text: String,
    unix_millis: u64,
}

/// genTime to the millisecond, in the DER form RFC 3161 §2.4.2 prescribes.
fn generalized_time_millis(t: OffsetDateTime) -> Result<GenTime, CmsError> {
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(1..=9999).contains(&t.year()) {
        return Err(CmsError::Timestamp(format!("clock reads {t}")));
    }
    let millis = t.millisecond();
    let mut text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if millis != 0 {
        let fraction = format!("{millis:03}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    let unix_millis = u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| CmsError::Timestamp(format!("clock reads {t}, before 1970")))?;
    Ok(GenTime { text, unix_millis })
}

fn oid_text(content: &[u8]) -> String {
    super::oid_text(content)
}

/// What a valid timestamp token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampInfo {
    pub gen_time: OffsetDateTime,
    /// serialNumber INTEGER content bytes.
    pub serial: Vec<u8>,
    /// TSA policy OID, dotted.
    pub policy: String,
    /// The certificate whose key signed the token.
    pub tsa_certificate_der: Vec<u8>,
    /// Every certificate in the token, the TSA's included.
    pub certificates_der: Vec<Vec<u8>>,
}

/// Verifies an RFC 3161 token: the CMS structure and signature (SHA-256), the message-digest
/// over the encapsulated TSTInfo, that the imprint equals `expected_digest`, and that the
/// signer's certificate carries the timeStamping extended key usage, critical (RFC 3161
/// §2.3). Like the rest of this module it does not validate the chain: `verify` does.
pub fn verify_token(token_der: &[u8], expected_digest: &[u8]) -> Result<TimestampInfo, CmsError> {
    let (verified, tst_info) =
        verify_signed_data(token_der, Expected::Encapsulated(ID_CT_TSTINFO))?;
    let tst_info = tst_info.ok_or(CmsError::MissingContent)?;
    let tst = parse_tst_info(tst_info)?;
    if tst.hashed_message != expected_digest {
        return Err(CmsError::Timestamp(
            "the token's message imprint is not the digest of the timestamped data".into(),
        ));
    }
    check_timestamping_eku(&verified.signer_certificate_der)?;
    Ok(TimestampInfo {
        gen_time: tst.gen_time,
        serial: tst.serial.to_vec(),
        policy: oid_text(tst.policy),
        tsa_certificate_der: verified.signer_certificate_der,
        certificates_der: verified.certificates_der,
    })
}

struct TstFields<'a> {
    policy: &'a [u8],
    hashed_message: &'a [u8],
    serial: &'a [u8],
    gen_time: OffsetDateTime,
}

fn parse_tst_info(der_bytes: &[u8]) -> Result<TstFields<'_>, CmsError> {
    const AT: &str = "TSTInfo";
    let tst = parse_single(der_bytes, der::SEQUENCE).map_err(malformed(AT))?;
    let mut r = Reader::new(tst.content);
    let version = r.read_small_uint().map_err(malformed("TSTInfo.version"))?;
    if version != 1 {
        return Err(CmsError::UnsupportedVersion {
            what: "TSTInfo",
            version,
            expected: 1,
        });
    }
    let policy = r.read_oid().map_err(malformed("TSTInfo.policy"))?;
    let imprint = r
        .read_tlv(der::SEQUENCE)
        .map_err(malformed("TSTInfo.messageImprint"))?;
    let mut mi = Reader::new(imprint.content);
    let alg = mi
        .read_tlv(der::SEQUENCE)
        .map_err(malformed("TSTInfo.messageImprint"))?;
    let hashed_message = mi
        .read(der::OCTET_STRING)
        .map_err(malformed("TSTInfo.messageImprint"))?;
    mi.finish().map_err(malformed("TSTInfo.messageImprint"))?;
    match imprint_digest_len(alg.content) {
        Ok(len) if len == hashed_message.len() => {}
        Ok(_) => {
            return Err(CmsError::Timestamp(
                "the token's message imprint has the wrong length for its algorithm".into(),
            ))
        }
        Err(r) => return Err(CmsError::Timestamp(r.reason)),
    }
    let serial = r
        .read_integer_bytes()
        .map_err(malformed("TSTInfo.serialNumber"))?;
    let time = r
        .read_tlv(der::GENERALIZED_TIME)
        .map_err(malformed("TSTInfo.genTime"))?;
    let gen_time = der::parse_time(&time).map_err(malformed("TSTInfo.genTime"))?;
    // accuracy, ordering, nonce, tsa and extensions do not change what the token proves here;
    // they are only checked to be well-formed and in order.
    r.read_optional(der::SEQUENCE)
        .map_err(malformed("TSTInfo.accuracy"))?;
    r.read_optional(BOOLEAN)
        .map_err(malformed("TSTInfo.ordering"))?;
    if r.peek_tag() == Some(der::INTEGER) {
        r.read_integer_bytes().map_err(malformed("TSTInfo.nonce"))?;
    }
    r.read_optional(context_constructed(0))
        .map_err(malformed("TSTInfo.tsa"))?;
    r.read_optional(context_constructed(1))
        .map_err(malformed("TSTInfo.extensions"))?;
    r.finish().map_err(malformed(AT))?;
    Ok(TstFields {
        policy,
        hashed_message,
        serial,
        gen_time,
    })
}

fn check_timestamping_eku(cert_der: &[u8]) -> Result<(), CmsError> {
    use x509_parser::prelude::FromDer;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(cert_der)
        .map_err(|e| CmsError::InvalidCertificate(format!("TSA certificate: {e}")))?;
    match cert.extended_key_usage() {
        Ok(Some(eku)) if eku.value.time_stamping && eku.critical => Ok(()),
        Ok(Some(eku)) if eku.value.time_stamping => Err(CmsError::Timestamp(
            "the TSA certificate's extended key usage is not critical (RFC 3161 §2.3)".into(),
        )),
        Ok(_) => Err(CmsError::Timestamp(
            "the token's signer is not a timestamp authority: its certificate lacks the timeStamping extended key usage".into(),
        )),
        Err(e) => Err(CmsError::InvalidCertificate(format!(
            "TSA certificate extensions: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests;
