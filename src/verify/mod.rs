//! The one verification engine behind gRPC, the web page and the CLI.
//!
//! [`verify`] is pure: PDF bytes, a [`TrustConfig`] (anchors and CRLs from configuration), an
//! optional [`ArchiveView`] that the caller fetched, and the time of verification in; a
//! [`Report`] out. It does no I/O and never panics on input. See docs/verification.md.

pub mod chain;
pub mod changes;
pub mod report;

use ring::digest::{Context, SHA256};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::{
    cms::{self, tsp, CmsError},
    crypto::sha256,
    pdf::{
        object::Object,
        parse::{decode_stream, Document, SignatureInfo},
    },
};
use chain::{CrlSource, Purpose};
pub use report::{
    ArchiveReport, Coverage, Finding, Report, Severity, SignatureReport, TimestampReport, Verdict,
};

/// id-aa-signatureTimeStampToken.
const OID_SIGNATURE_TIMESTAMP: &str = "1.2.840.113549.1.9.16.2.14";

/// Trust anchors and CRLs: configuration, never taken from the document.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    pub anchors_der: Vec<Vec<u8>>,
    pub crls_der: Vec<Vec<u8>>,
}

impl TrustConfig {
    /// Reads PEM or DER certificates (several per PEM file allowed).
    pub fn add_anchor_file_bytes(&mut self, data: &[u8]) -> Result<usize, String> {
        let mut n = 0;
        if data.starts_with(b"-----BEGIN") || data.iter().take(64).any(|b| *b == b'-') {
            for pem in x509_parser::pem::Pem::iter_from_buffer(data) {
                let pem = pem.map_err(|e| format!("invalid PEM: {e}"))?;
                if pem.label == "CERTIFICATE" {
                    chain::parse(&pem.contents)
                        .ok_or_else(|| "a PEM certificate cannot be parsed".to_string())?;
                    self.anchors_der.push(pem.contents);
                    n += 1;
                }
            }
        } else {
            chain::parse(data).ok_or_else(|| "not a DER or PEM certificate".to_string())?;
            self.anchors_der.push(data.to_vec());
            n = 1;
        }
        if n == 0 {
            return Err("no CERTIFICATE block found".into());
        }
        Ok(n)
    }
}

/// What the archive says about a result code: fetched by the caller (the service), so the
/// engine stays free of I/O.
#[derive(Debug, Clone)]
pub struct ArchiveView {
    pub result_code: String,
    /// `None`: the archive has no result under this code.
    pub result: Option<ArchivedResult>,
}

#[derive(Debug, Clone)]
pub struct ArchivedResult {
    /// "valid", "revoked" or "superseded".
    pub status: String,
    pub status_reason: Option<String>,
    pub superseded_by: Option<String>,
    /// SHA-256 of the issued PDF.
    pub sha256: Vec<u8>,
    /// SHA-256 of each renewed version (the issued PDF with document timestamps appended).
    pub renewed_sha256: Vec<Vec<u8>>,
    /// The competent signer / issuing organisation as archived.
    pub issuer: String,
    pub issued_at: Option<OffsetDateTime>,
}

/// Verifies a PDF. `now` is the verification time (used when no timestamp proves when a
/// signature was made).
pub fn verify(
    pdf: &[u8],
    trust: &TrustConfig,
    archive: Option<&ArchiveView>,
    now: OffsetDateTime,
) -> Report {
    let mut report = Report {
        verdict: Verdict::Valid,
        reason: String::new(),
        reason_vi: String::new(),
        sha256: hex::encode(sha256(pdf)),
        size: pdf.len() as u64,
        signatures: Vec::new(),
        archive: None,
        findings: Vec::new(),
        verified_at: now,
    };
    check_document(pdf, trust, now, &mut report);
    if let Some(view) = archive {
        report.archive = Some(check_archive(view, pdf));
    }
    conclude(&mut report);
    report
}

fn check_document(pdf: &[u8], trust: &TrustConfig, now: OffsetDateTime, report: &mut Report) {
    let doc = match Document::open(pdf) {
        Ok(d) => d,
        Err(e) => {
            report.findings.push(Finding::new(
                Severity::Invalid,
                "unreadable",
                format!("the file is not a readable PDF (truncated or damaged): {e}"),
                "tệp không phải là PDF đọc được (bị cắt cụt hoặc hư hỏng)",
            ));
            return;
        }
    };
    let signatures = match doc.signatures() {
        Ok(s) => s,
        Err(e) => {
            report.findings.push(Finding::new(
                Severity::Invalid,
                "unreadable",
                format!("the PDF's signature fields cannot be read: {e}"),
                "không đọc được các trường chữ ký của tệp PDF",
            ));
            return;
        }
    };
    if signatures.is_empty() {
        report.findings.push(Finding::new(
            Severity::Invalid,
            "unsigned",
            "the document carries no digital signature",
            "văn bản không có chữ ký số",
        ));
        return;
    }
    let (dss_certs, dss_crls) = dss_contents(&doc);
    let docmdp = doc.docmdp_permission().ok().flatten();
    let mut crls: Vec<CrlSource<'_>> = dss_crls
        .iter()
        .map(|c| CrlSource {
            der: c,
            from_document: true,
        })
        .collect();
    crls.extend(trust.crls_der.iter().map(|c| CrlSource {
        der: c,
        from_document: false,
    }));
    let env = Env {
        pdf,
        trust,
        now,
        dss_certs: &dss_certs,
        crls: &crls,
        docmdp,
    };
    let kinds: Vec<_> = signatures
        .iter()
        .map(|s| {
            (
                s.field,
                s.kind.as_deref() == Some("DocTimeStamp")
                    || s.sub_filter.as_deref() == Some("ETSI.RFC3161"),
            )
        })
        .collect();
    let changes = changes::context(&doc, &kinds);
    for sig in &signatures {
        report
            .signatures
            .push(check_signature(&doc, &env, &changes, sig));
    }
    // B-LTA: a valid document timestamp after the signature, over a file with a DSS.
    let dts_ends: Vec<u64> = report
        .signatures
        .iter()
        .filter(|s| s.kind == "document timestamp" && s.verdict == Verdict::Valid)
        .map(|s| s.coverage.signed_bytes)
        .collect();
    for s in report.signatures.iter_mut() {
        if s.pades_level == "B-LT" && dts_ends.iter().any(|end| *end > s.coverage.signed_bytes) {
            s.pades_level = "B-LTA".into();
        }
    }
}

struct Env<'a> {
    pdf: &'a [u8],
    trust: &'a TrustConfig,
    now: OffsetDateTime,
    dss_certs: &'a [Vec<u8>],
    crls: &'a [CrlSource<'a>],
    docmdp: Option<i64>,
}

/// Certificates and CRLs of the document security store.
fn dss_contents(doc: &Document<'_>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut certs = Vec::new();
    let mut crls = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return (certs, crls);
    };
    let Ok(Some(dss)) = doc.get_dict(&catalog, "DSS") else {
        return (certs, crls);
    };
    for (key, out) in [("Certs", &mut certs), ("CRLs", &mut crls)] {
        for item in doc.get_array(&dss, key).ok().flatten().unwrap_or_default() {
            if let Ok(Object::Stream(d, raw)) = doc.get(&item) {
                if let Ok(data) = decode_stream(&d, &raw) {
                    out.push(data);
                }
            }
        }
    }
    (certs, crls)
}

/// The length of the DER element at the start of `b` (header included).
fn der_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some(2 + first as usize);
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(2 + i)? as usize;
    }
    let total = 2 + n + len;
    (total <= b.len()).then_some(total)
}

/// A PDF date `D:YYYYMMDDHHmmSSOHH'mm'`, lenient about missing parts.
pub fn parse_pdf_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from + len) {
            Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0, 4, 0)? as i32;
    if s.len() < 4 {
        return None;
    }
    let month = Month::try_from(digits(4, 2, 1)? as u8).ok()?;
    let date = Date::from_calendar_date(year, month, digits(6, 2, 1)? as u8).ok()?;
    let time = Time::from_hms(
        digits(8, 2, 0)? as u8,
        digits(10, 2, 0)? as u8,
        digits(12, 2, 0)? as u8,
    )
    .ok()?;
    let rest = s.get(14..).unwrap_or("");
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let t: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = t.get(0..2).and_then(|v| v.parse().ok()).unwrap_or(0);
            let m: i8 = t.get(2..4).and_then(|v| v.parse().ok()).unwrap_or(0);
            let k = if sign == '-' { -1 } else { 1 };
            UtcOffset::from_hms(k * h, k * m, 0).ok()?
        }
        _ => UtcOffset::UTC,
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
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

fn check_signature(
    doc: &Document<'_>,
    env: &Env<'_>,
    changes: &changes::Context,
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
        claimed_time: sig.signing_time.as_deref().and_then(parse_pdf_date),
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
    // The byte range: [0 a b c], the gap exactly the /Contents hex string.
    let br = &sig.byte_range;
    let range = match br.as_slice() {
        [0, a, b, c] if *a >= 0 && *b >= *a && *c >= 0 => {
            let (a, b, c) = (*a as usize, *b as usize, *c as usize);
            let end = b.checked_add(c);
            match end {
                Some(end)
                    if end <= pdf.len()
                        && pdf.get(a) == Some(&b'<')
                        && b > a
                        && pdf.get(b - 1) == Some(&b'>') =>
                {
                    Some((a, b, end))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let Some((a, b, end)) = range else {
        r.findings.push(Finding::new(
            Severity::Invalid,
            "byte_range",
            "the signature's /ByteRange is malformed or points outside the file",
            "phạm vi ký (/ByteRange) của chữ ký không hợp lệ",
        ));
        r.verdict = Verdict::Invalid;
        return r;
    };
    let mut ctx = Context::new(&SHA256);
    ctx.update(&pdf[..a]);
    ctx.update(&pdf[b..end]);
    let mut digest = [0u8; 32];
    digest.copy_from_slice(ctx.finish().as_ref());
    let cms_der = match der_len(&sig.contents) {
        Some(n) => &sig.contents[..n],
        None => &sig.contents[..],
    };
    r.coverage = changes::analyse(changes, doc, pdf, end);
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
                let ts = timestamp_report(&info, &pool, env);
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
        r.verdict = report::verdict_of(&r.findings);
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
            r.verdict = report::verdict_of(&r.findings);
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
    if let Some(s) = chain::summary(&verified.signer_certificate_der) {
        r.signer = s.common_name.clone();
        r.organisation = s.organisation.clone();
    }
    if let Some(cert) = chain::parse(&verified.signer_certificate_der) {
        r.position = cert
            .subject()
            .iter_by_oid(&x509_parser::oid_registry::OID_X509_TITLE)
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_owned();
    }
    pool.extend(verified.certificates_der.iter().cloned());

    // The signature timestamp (B-T).
    let mut proven = false;
    if let Some((_, token)) = verified
        .unsigned_attributes
        .iter()
        .find(|(oid, _)| oid == OID_SIGNATURE_TIMESTAMP)
    {
        match tsp::verify_token(token, &sha256(&verified.signature_value)) {
            Ok(info) => {
                let ts = timestamp_report(&info, &pool, env);
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
        env.crls,
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
    r.verdict = report::verdict_of(&r.findings);
    r
}

fn timestamp_report(info: &tsp::TimestampInfo, pool: &[Vec<u8>], env: &Env<'_>) -> TimestampReport {
    let mut tsa_pool = pool.to_vec();
    tsa_pool.extend(info.certificates_der.iter().cloned());
    let chain = chain::check_path(
        &info.tsa_certificate_der,
        &tsa_pool,
        &env.trust.anchors_der,
        env.crls,
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
        verdict: report::verdict_of(&chain.findings),
        chain,
    }
}

fn check_archive(view: &ArchiveView, pdf: &[u8]) -> ArchiveReport {
    let mut a = ArchiveReport {
        result_code: view.result_code.clone(),
        found: view.result.is_some(),
        status: String::new(),
        status_reason: None,
        superseded_by: None,
        issuer: String::new(),
        issued_at: None,
        hash_matches: false,
        issued_sha256: String::new(),
        findings: Vec::new(),
    };
    let Some(result) = &view.result else {
        a.findings.push(Finding::new(
            Severity::Invalid,
            "archive_unknown",
            format!("the archive has no result with code {}", view.result_code),
            format!("hệ thống lưu trữ không có kết quả mã {}", view.result_code),
        ));
        return a;
    };
    a.status = result.status.clone();
    a.status_reason = result.status_reason.clone();
    a.superseded_by = result.superseded_by.clone();
    a.issuer = result.issuer.clone();
    a.issued_at = result.issued_at;
    a.issued_sha256 = hex::encode(&result.sha256);
    let digest = sha256(pdf);
    a.hash_matches = result.sha256 == digest || result.renewed_sha256.iter().any(|r| *r == digest);
    match result.status.as_str() {
        "valid" => {}
        "revoked" => a.findings.push(Finding::new(
            Severity::Invalid,
            "archive_revoked",
            format!(
                "the issuing agency revoked result {}{}",
                view.result_code,
                result
                    .status_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            format!("kết quả {} đã bị cơ quan cấp thu hồi", view.result_code),
        )),
        "superseded" => a.findings.push(Finding::new(
            Severity::Invalid,
            "archive_superseded",
            format!(
                "result {} was replaced by a newer result{}",
                view.result_code,
                result
                    .superseded_by
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            format!(
                "kết quả {} đã được thay thế bằng kết quả mới",
                view.result_code
            ),
        )),
        other => a.findings.push(Finding::new(
            Severity::Indeterminate,
            "archive_status",
            format!("the archive marks result {} as `{other}`", view.result_code),
            format!(
                "trạng thái lưu trữ của kết quả {}: {other}",
                view.result_code
            ),
        )),
    }
    if !a.hash_matches {
        a.findings.push(Finding::new(
            Severity::Invalid,
            "archive_hash",
            format!(
                "this file is not the document the archive issued under {}",
                view.result_code
            ),
            format!(
                "tệp này không phải là văn bản đã được cấp với mã {}",
                view.result_code
            ),
        ));
    }
    a
}

fn conclude(report: &mut Report) {
    let sig_findings = report.signatures.iter().flat_map(|s| s.findings.iter());
    let archive_findings = report.archive.iter().flat_map(|a| a.findings.iter());
    let all: Vec<&Finding> = report
        .findings
        .iter()
        .chain(sig_findings)
        .chain(archive_findings)
        .collect();
    report.verdict = report::verdict_of(all.iter().copied());
    let worst = all.iter().find(|f| {
        matches!(
            (f.severity, report.verdict),
            (Severity::Invalid, Verdict::Invalid)
                | (Severity::Indeterminate, Verdict::Indeterminate)
        )
    });
    match worst {
        Some(f) => {
            report.reason = f.message.clone();
            report.reason_vi = f.message_vi.clone();
        }
        None => {
            let n = report
                .signatures
                .iter()
                .filter(|s| s.kind != "document timestamp")
                .count();
            let archived = match &report.archive {
                Some(a) => format!(
                    "; the archive confirms result {} is in force",
                    a.result_code
                ),
                None => String::new(),
            };
            let archived_vi = match &report.archive {
                Some(a) => format!(
                    "; hệ thống lưu trữ xác nhận kết quả {} còn hiệu lực",
                    a.result_code
                ),
                None => String::new(),
            };
            report.reason = format!(
                "{n} signature(s), all valid, trusted and covering the document; nothing but validation data was added after them{archived}"
            );
            report.reason_vi = format!(
                "{n} chữ ký số hợp lệ, được tin cậy, văn bản không bị sửa đổi sau khi ký{archived_vi}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let t = parse_pdf_date("D:20261122103000+07'00'").unwrap();
        assert_eq!(t.unix_timestamp(), 1795318200);
        assert!(parse_pdf_date("D:2026").is_some());
        assert!(parse_pdf_date("garbage").is_none());
        assert!(parse_pdf_date("D:20261340").is_none());
    }

    #[test]
    fn garbage_is_invalid_never_a_panic() {
        let trust = TrustConfig::default();
        let now = OffsetDateTime::now_utc();
        for input in [
            &b""[..],
            b"%PDF-1.7\n",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nstartxref\n9\n%%EOF",
            b"not a pdf",
        ] {
            let r = verify(input, &trust, None, now);
            assert_eq!(r.verdict, Verdict::Invalid, "{}", r.reason);
        }
        let text = crate::pdf::text_document("x", &["y"]);
        let r = verify(&text, &trust, None, now);
        assert_eq!(r.verdict, Verdict::Invalid);
        assert!(r.reason.contains("no digital signature"));
    }

    #[test]
    fn der_lengths() {
        assert_eq!(der_len(&[0x30, 0x03, 1, 2, 3, 0, 0]), Some(5));
        assert_eq!(der_len(&[0x30, 0x82, 0x00, 0x01, 9, 0]), Some(5));
        assert_eq!(der_len(&[0x30, 0x82, 0xff, 0xff]), None);
        assert_eq!(der_len(&[0x30]), None);
    }
}
