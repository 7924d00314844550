//! The archive's side of a verification: what the archive says about a result code, fetched by
//! the caller so the engine stays free of I/O, and how that view is judged against the file.

use time::OffsetDateTime;

use super::report::{ArchiveReport, Finding, Severity};
use crate::crypto::sha256;

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

/// Judges `view` against `pdf`: found, in force, and the very file that was issued.
pub(super) fn check_archive(view: &ArchiveView, pdf: &[u8]) -> ArchiveReport {
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
