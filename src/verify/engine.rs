//! The engine's entry point: open the PDF, check each signature in file order, raise the PAdES
//! level where a later document timestamp covers a signature, consult the archive's view, and
//! conclude with one verdict and the reason for it.

use time::OffsetDateTime;

use super::archive::{check_archive, ArchiveView};
use super::longterm::check_long_term;
use super::report::{too_costly, verdict_of, Finding, Report, Severity, Verdict};
use super::revisions::Revisions;
use super::revocation::RevocationSource;
use super::signature::{check_signature, Env};
use super::signed_by::reset_cache;
use super::trust::TrustConfig;
use crate::crypto::sha256;
use crate::pdf::{self, Document, Object, ReadLimits, SyntaxError};

/// Verifies a PDF. `now` is the verification time (used when no timestamp proves when a
/// signature was made). The reading is bounded by the default [`ReadLimits`] and has no
/// deadline: for files of one's own; a service verifying strangers' files uses
/// [`verify_within`].
pub fn verify(
    pdf: &[u8],
    trust: &TrustConfig,
    archive: Option<&ArchiveView>,
    now: OffsetDateTime,
) -> Report {
    verify_within(pdf, trust, archive, now, ReadLimits::default())
}

/// Verifies a PDF within `limits`: what the file may make the reader inflate and list, and when
/// the work must stop. A file that needs more is INDETERMINATE, with the reason.
pub fn verify_within(
    pdf: &[u8],
    trust: &TrustConfig,
    archive: Option<&ArchiveView>,
    now: OffsetDateTime,
    limits: ReadLimits,
) -> Report {
    // Signature checks are memoised within one call (the two signatures of a result share
    // their CA, root, TSA and CRLs), never across calls.
    reset_cache();
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
    check_document(pdf, trust, now, limits, &mut report);
    if let Some(view) = archive {
        report.archive = Some(check_archive(view, pdf));
    }
    conclude(&mut report);
    report
}

fn check_document(
    pdf: &[u8],
    trust: &TrustConfig,
    now: OffsetDateTime,
    limits: ReadLimits,
    report: &mut Report,
) {
    let doc = match Document::open_within(pdf, &[], limits) {
        Ok(d) => d,
        Err(SyntaxError::Limit(why)) => {
            report.findings.push(too_costly(&why));
            return;
        }
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
    let signatures = match pdf::signatures(&doc) {
        Ok(s) => s,
        Err(SyntaxError::Limit(why)) => {
            report.findings.push(too_costly(&why));
            return;
        }
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
    let dss = dss_contents(&doc);
    let docmdp = pdf::docmdp_permission(&doc).ok().flatten();
    let revocation: Vec<RevocationSource<'_>> = dss
        .crls
        .iter()
        .map(|c| RevocationSource::crl(c, true))
        .chain(dss.ocsps.iter().map(|o| RevocationSource::ocsp(o, true)))
        .chain(
            trust
                .crls_der
                .iter()
                .map(|c| RevocationSource::crl(c, false)),
        )
        .collect();
    let env = Env {
        pdf,
        trust,
        now,
        dss_certs: &dss.certs,
        revocation: &revocation,
        docmdp,
        limits,
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
    let gaps: Vec<(usize, usize)> = signatures
        .iter()
        .filter_map(|s| match s.byte_range.as_slice() {
            [a, b, c, _] => {
                let start = usize::try_from(a.checked_add(*b)?).ok()?;
                let end = usize::try_from(*c).ok()?;
                (start < end && end <= pdf.len()).then_some((start, end))
            }
            _ => None,
        })
        .collect();
    let revisions = Revisions::new(&doc, pdf, &kinds, &gaps);
    for sig in &signatures {
        if let Err(SyntaxError::Limit(why)) = doc.check_time() {
            report.findings.push(too_costly(&why));
            return;
        }
        report
            .signatures
            .push(check_signature(&doc, &env, &revisions, sig));
    }
    check_long_term(&mut report.signatures, now);
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

/// What the document security store holds (ISO 32000-2 §12.8.4.3).
#[derive(Default)]
struct DssContents {
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    ocsps: Vec<Vec<u8>>,
}

fn dss_contents(doc: &Document<'_>) -> DssContents {
    let mut contents = DssContents::default();
    let Ok(catalog) = doc.catalog() else {
        return contents;
    };
    let Ok(Some(dss)) = doc.get_dict(&catalog, "DSS") else {
        return contents;
    };
    for (key, out) in [
        ("Certs", &mut contents.certs),
        ("CRLs", &mut contents.crls),
        ("OCSPs", &mut contents.ocsps),
    ] {
        for item in doc.get_array(&dss, key).ok().flatten().unwrap_or_default() {
            if let Ok(Object::Stream(d, raw)) = doc.get(&item) {
                if let Ok(data) = doc.decode(&d, &raw) {
                    out.push(data);
                }
            }
        }
    }
    contents
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
    report.verdict = verdict_of(all.iter().copied());
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

/// The finding for a file that needs more than the verifier allows: not a sign of forgery,
/// but nothing can be said of its signatures.
#[cfg(test)]
mod tests {
    use super::*;

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
    fn each_verification_starts_with_no_remembered_checks() {
        assert!(super::super::signed_by::remembered_checks(true) > 0);
        verify(
            b"not a pdf",
            &TrustConfig::default(),
            None,
            OffsetDateTime::now_utc(),
        );
        assert_eq!(super::super::signed_by::remembered_checks(false), 0);
    }
}
