//! Verifying RFC 3161 timestamp tokens: the CMS signature over the encapsulated TSTInfo, the
//! message imprint, and the signer's timeStamping key purpose. Tokens come inside documents
//! from anyone, so this is parser code, held to the parser lints.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use time::OffsetDateTime;

use super::messages::imprint_digest_len;
use crate::cms::error::{malformed, CmsError};
use crate::cms::verify::{verify_signed_data, Expected};
use crate::cms::RevocationInfo;
use crate::crypto::der::{self, context_constructed, oid_text, parse_single, Reader};
use crate::crypto::oid;

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
    /// CRLs and OCSP responses the token carries (unverified; the path check decides).
    pub revocation: RevocationInfo,
}

/// Verifies an RFC 3161 token: the CMS structure and signature (SHA-256), the message-digest
/// over the encapsulated TSTInfo, that the imprint equals `expected_digest`, and that the
/// signer's certificate carries the timeStamping extended key usage, critical (RFC 3161
/// §2.3). Like the rest of this module it does not validate the chain: `verify` does.
pub fn verify_token(token_der: &[u8], expected_digest: &[u8]) -> Result<TimestampInfo, CmsError> {
    let (verified, tst_info) =
        verify_signed_data(token_der, Expected::Encapsulated(oid::ID_CT_TST_INFO))?;
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
        revocation: verified.revocation,
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
    r.read_optional(der::BOOLEAN)
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
