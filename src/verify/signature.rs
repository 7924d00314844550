//! Checking one signature or document timestamp: the byte range and what was appended after
//! it, the CMS signature (by `cms`), its timestamp (by `cms::tsp`), the certificate paths of the
//! signer and the TSA (by `chain`), and the PAdES level reached.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use time::OffsetDateTime;

use super::chain::{self, Purpose};
use super::report::{
    too_costly, verdict_of, Coverage, Finding, Severity, SignatureReport, TimestampReport, Verdict,
};
use super::revisions::{Level, Revisions};
use super::revocation::RevocationSource;
use super::trust::TrustConfig;
use crate::cms::{self, tsp, CmsError};
use crate::crypto::{der, oid, sha256, Sha256};
use crate::pdf::{self, Document, Object, ReadLimits, SignatureInfo};

/// What every signature of one document is checked against.
pub(super) struct Env<'a> {
    pub(super) pdf: &'a [u8],
    pub(super) trust: &'a TrustConfig,
    pub(super) now: OffsetDateTime,
    /// Certificates of the document security store.
    pub(super) dss_certs: &'a [Vec<u8>],
    /// The revocation data of the DSS, then the configured CRLs.
    pub(super) revocation: &'a [RevocationSource<'a>],
    pub(super) docmdp: Option<i64>,
    /// What reading each signed revision may cost.
    pub(super) limits: ReadLimits,
}

/// The length of the DER element at the start of `b` (header included), if `b` holds all of
/// it: the zero padding after a signature in /Contents is cut off this way.
fn der_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    let total = if first < 0x80 {
        usize::from(first).checked_add(2)?
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for byte in b.get(2..n.checked_add(2)?)? {
            len = len.checked_mul(256)?.checked_add(usize::from(*byte))?;
        }
        len.checked_add(n)?.checked_add(2)?
    };
    (total <= b.len()).then_some(total)
}

/// The two signed parts of the file, `[0, a)` and `[b, b + c)`, and where the second ends, if
/// the byte range `[0 a b c]` lies inside the file with exactly the /Contents hex string
/// (`<` at `a`, `>` at `b - 1`) between them.
fn signed_parts<'p>(pdf: &'p [u8], byte_range: &[i64]) -> Option<(&'p [u8], &'p [u8], usize)> {
    let &[0, a, b, c] = byte_range else {
        return None;
    };
    let (a, b, c) = (
        usize::try_from(a).ok()?,
        usize::try_from(b).ok()?,
        usize::try_from(c).ok()?,
    );
    let end = b.checked_add(c)?;
    let opens = pdf.get(a) == Some(&b'<');
    let closes = pdf.get(b.checked_sub(1)?) == Some(&b'>');
    if b <= a || !opens || !closes {
        return None;
    }
    // The gap must be exactly the /Contents hex string: anything else in it — keys, a second
    // string — is unsigned content a reader may take for the signature's (wrapping).
    let inside = pdf.get(a.checked_add(1)?..b.checked_sub(1)?)?;
    if !inside
        .iter()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0))
    {
        return None;
    }
    Some((pdf.get(..a)?, pdf.get(b..end)?, end))
}

fn cms_message(e: &CmsError) -> (String, String) {
    match e {
        CmsError::DigestMismatch => (
            "the document was changed after signing: the signed bytes do not match the signature"
                .into(),
            "văn bản đã bị thay đổi sau khi ký: nội dung không khớp với chữ ký số".into(),
        ),
        other => (
            format!("the signature value is invalid: {other}"),
            "giá trị chữ ký số không hợp lệ".into(),
        ),
    }
}

/// Checks one signature or document timestamp of `doc`.
pub(super) fn check_signature(
    doc: &Document<'_>,
    env: &Env<'_>,
    revisions: &Revisions,
    sig: &SignatureInfo,
) -> SignatureReport {
    let is_dts = sig.kind.as_deref() == Some("DocTimeStamp")
        || sig.sub_filter.as_deref() == Some("ETSI.RFC3161");
    let certification = sig
        .dictionary
        .get("Reference")
        .and_then(Object::as_array)
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                matches!(doc.get(r), Ok(Object::Dict(d)) if d.name("TransformMethod") == Some(b"DocMDP"))
            })
        });
    let mut r = SignatureReport {
        field: sig.field_name.clone(),
        kind: if is_dts {
            "document timestamp"
        } else if certification {
            "certification"
        } else {
            "signature"
        }
        .into(),
        signer: String::new(),
        organisation: String::new(),
        position: String::new(),
        claimed_time: sig.signing_time.as_deref().and_then(pdf::parse_date),
        validation_time: env.now,
        algorithm: String::new(),
        key_usage_ok: false,
        chain: Default::default(),
        timestamp: None,
        pades_level: String::new(),
        docmdp: if certification { env.docmdp } else { None },
        coverage: Coverage::default(),
        findings: Vec::new(),
        verdict: Verdict::Valid,
    };
    let pdf = env.pdf;
    let Some((first, second, end)) = signed_parts(pdf, &sig.byte_range) else {
        r.findings.push(Finding::new(
            Severity::Invalid,
            "byte_range",
            "the signature's /ByteRange is malformed or points outside the file, or its gap is not exactly the /Contents string",
            "phạm vi ký (/ByteRange) của chữ ký không hợp lệ",
        ));
        r.verdict = Verdict::Invalid;
        return r;
    };
    let mut hasher = Sha256::new();
    hasher.update(first);
    hasher.update(second);
    let digest = hasher.finish();
    let cms_der = der_len(&sig.contents)
        .and_then(|n| sig.contents.get(..n))
        .unwrap_or(&sig.contents);
    r.coverage = revisions.analyse(pdf, end, Level::of(env.docmdp), env.limits);
    if let Some(why) = &r.coverage.incomplete {
        r.findings.push(too_costly(why));
    }
    if let Some(why) = &r.coverage.readers_disagree {
        r.findings.push(Finding::new(
            Severity::Indeterminate,
            "readers_disagree",
            format!("{why}; a file that reads two ways cannot be vouched for"),
            "hai bộ đọc PDF đọc văn bản khác nhau; không thể xác nhận văn bản này",
        ));
    }
    if !r.coverage.content_changes.is_empty() {
        r.findings.push(Finding::new(
            Severity::Invalid,
            "modified",
            format!(
                "the document was changed after this signature: {}",
                r.coverage.content_changes.join("; ")
            ),
            "văn bản đã bị sửa đổi sau khi ký (nội dung trang, chú thích hoặc biểu mẫu)",
        ));
    }

    let mut pool: Vec<Vec<u8>> = env.dss_certs.to_vec();
    if is_dts {
        match tsp::verify_token(cms_der, &digest) {
            Ok(info) => {
                let ts = timestamp_report(&info, &pool, env.revocation, env);
                r.signer = ts.tsa.clone();
                r.validation_time = info.gen_time;
                r.algorithm = "RFC 3161".into();
                r.key_usage_ok = true;
                r.findings.extend(ts.chain.findings.iter().cloned());
                r.chain = ts.chain.clone();
                r.timestamp = Some(ts);
            }
            Err(e) => {
                let (en, vi) = match e {
                    CmsError::Timestamp(_) => (
                        "the document was changed after the document timestamp".to_string(),
                        "văn bản đã bị thay đổi sau dấu thời gian".to_string(),
                    ),
                    other => (
                        format!("the document timestamp is invalid: {other}"),
                        "dấu thời gian của văn bản không hợp lệ".to_string(),
                    ),
                };
                r.findings
                    .push(Finding::new(Severity::Invalid, "timestamp_invalid", en, vi));
            }
        }
        r.verdict = verdict_of(&r.findings);
        return r;
    }

    match sig.sub_filter.as_deref() {
        Some("ETSI.CAdES.detached") | Some("adbe.pkcs7.detached") => {}
        other => {
            r.findings.push(Finding::new(
                Severity::Indeterminate,
                "sub_filter",
                format!(
                    "unsupported signature format /SubFilter {}",
                    other.unwrap_or("(none)")
                ),
                "định dạng chữ ký không được hỗ trợ",
            ));
            r.verdict = verdict_of(&r.findings);
            return r;
        }
    }
    let verified = match cms::verify_detached_digest(cms_der, &digest) {
        Ok(v) => v,
        Err(e) => {
            let (en, vi) = cms_message(&e);
            r.findings
                .push(Finding::new(Severity::Invalid, "signature_invalid", en, vi));
            r.verdict = Verdict::Invalid;
            return r;
        }
    };
    r.algorithm = format!("{:?}", verified.algorithm);
    if let Some(s) = chain::certificate_summary(&verified.signer_certificate_der) {
        r.signer = s.common_name.clone();
        r.organisation = s.organisation.clone();
    }
    if let Some(cert) = chain::parse(&verified.signer_certificate_der) {
        r.position = cert
            .subject()
            .iter_attributes()
            .find(|a| a.attr_type().as_bytes() == oid::TITLE)
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_owned();
    }
    pool.extend(verified.certificates_der.iter().cloned());
    let mut revocation = env.revocation.to_vec();
    revocation.extend(with_revocation_of(&verified.revocation));

    // The signature timestamp (B-T).
    let mut proven = false;
    let timestamp_attribute = der::oid_text(oid::SIGNATURE_TIME_STAMP_TOKEN);
    if let Some((_, token)) = verified
        .unsigned_attributes
        .iter()
        .find(|(attribute, _)| *attribute == timestamp_attribute)
    {
        match tsp::verify_token(token, &sha256(&verified.signature_value)) {
            Ok(info) => {
                let ts = timestamp_report(&info, &pool, &revocation, env);
                if ts.verdict == Verdict::Valid {
                    r.validation_time = info.gen_time;
                    proven = true;
                } else {
                    for f in &ts.chain.findings {
                        r.findings.push(Finding::new(
                            f.severity,
                            "timestamp_untrusted",
                            format!("signature timestamp: {}", f.message),
                            format!("dấu thời gian của chữ ký: {}", f.message_vi),
                        ));
                    }
                }
                pool.extend(info.certificates_der.iter().cloned());
                r.timestamp = Some(ts);
            }
            Err(e) => r.findings.push(Finding::new(
                Severity::Invalid,
                "timestamp_invalid",
                format!("the signature timestamp is invalid: {e}"),
                "dấu thời gian của chữ ký không hợp lệ",
            )),
        }
    }
    let chain = chain::check_path(
        &verified.signer_certificate_der,
        &pool,
        &env.trust.anchors_der,
        &revocation,
        r.validation_time,
        proven,
        Purpose::DocumentSigning,
    );
    r.key_usage_ok = !chain
        .findings
        .iter()
        .any(|f| f.code == "key_usage" || f.code == "extended_key_usage");
    r.findings.extend(chain.findings.iter().cloned());
    // Level reached.
    r.pades_level = "B-B".into();
    if proven {
        r.pades_level = "B-T".into();
        let in_document =
            |der: &Vec<u8>| env.dss_certs.contains(der) || verified.certificates_der.contains(der);
        let certs_embedded = chain.path_der.iter().all(in_document);
        let revocation_embedded = !chain.revocation.is_empty()
            && chain
                .revocation
                .iter()
                .all(|s| s.source.as_deref() == Some("document"));
        if certs_embedded && revocation_embedded && !env.dss_certs.is_empty() {
            r.pades_level = "B-LT".into();
        }
    }
    r.chain = chain;
    r.verdict = verdict_of(&r.findings);
    r
}

/// The revocation data a CMS carries, as sources from the document.
fn with_revocation_of(info: &cms::RevocationInfo) -> impl Iterator<Item = RevocationSource<'_>> {
    let crls = info.crls.iter().map(|c| RevocationSource::crl(c, true));
    crls.chain(info.ocsps.iter().map(|o| RevocationSource::ocsp(o, true)))
}

fn timestamp_report(
    info: &tsp::TimestampInfo,
    pool: &[Vec<u8>],
    revocation: &[RevocationSource<'_>],
    env: &Env<'_>,
) -> TimestampReport {
    let mut tsa_pool = pool.to_vec();
    tsa_pool.extend(info.certificates_der.iter().cloned());
    let mut revocation = revocation.to_vec();
    revocation.extend(with_revocation_of(&info.revocation));
    let chain = chain::check_path(
        &info.tsa_certificate_der,
        &tsa_pool,
        &env.trust.anchors_der,
        &revocation,
        info.gen_time,
        false,
        Purpose::Timestamping,
    );
    TimestampReport {
        time: info.gen_time,
        policy: info.policy.clone(),
        serial: hex::encode(&info.serial),
        tsa: chain
            .path
            .first()
            .map(|c| c.common_name.clone())
            .unwrap_or_default(),
        verdict: verdict_of(&chain.findings),
        chain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        assert_eq!(der_len(&[0x30, 0x03, 1, 2, 3, 0, 0]), Some(5));
        assert_eq!(der_len(&[0x30, 0x82, 0x00, 0x01, 9, 0]), Some(5));
        assert_eq!(der_len(&[0x30, 0x82, 0xff, 0xff]), None);
        assert_eq!(der_len(&[0x30]), None);
        // A short-form length beyond the /Contents string must not be trusted either.
        assert_eq!(der_len(&[0x30, 0x7f, 0, 0]), None);
    }
}
