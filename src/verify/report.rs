//! The verification report: what every interface (gRPC, web page, CLI) shows, down to the
//! certificate paths and revocation status of each signature.

use serde::Serialize;
use time::OffsetDateTime;

/// The top-line answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Valid,
    Indeterminate,
    Invalid,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::Indeterminate => "INDETERMINATE",
            Verdict::Invalid => "INVALID",
        }
    }
    /// The verdict in Vietnamese, for citizens.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Verdict::Valid => "HỢP LỆ",
            Verdict::Indeterminate => "CHƯA XÁC ĐỊNH",
            Verdict::Invalid => "KHÔNG HỢP LỆ",
        }
    }
}

/// How bad a finding is: it lowers the verdict to at most this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Indeterminate,
    Invalid,
}

/// One reason, in English and Vietnamese, with a stable code for machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub message_vi: String,
}

impl Finding {
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        message_vi: impl Into<String>,
    ) -> Self {
        Finding {
            severity,
            code,
            message: message.into(),
            message_vi: message_vi.into(),
        }
    }
}

/// The verdict implied by `findings`: the worst severity, VALID when there is none.
pub fn verdict_of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Verdict {
    findings
        .into_iter()
        .map(|f| match f.severity {
            Severity::Invalid => Verdict::Invalid,
            Severity::Indeterminate => Verdict::Indeterminate,
        })
        .max()
        .unwrap_or(Verdict::Valid)
}

/// A timestamp (signature timestamp or document timestamp) and its TSA's path.
#[derive(Debug, Clone, Serialize)]
pub struct TimestampReport {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub policy: String,
    pub serial: String,
    pub tsa: String,
    pub chain: ChainReport,
    pub verdict: Verdict,
}

/// What bytes follow the signed range, and whether they are allowed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Coverage {
    /// The signed range ends at the end of the file.
    pub whole_file: bool,
    pub signed_bytes: u64,
    pub appended_bytes: u64,
    /// Allowed updates after this signature: "later signature", "DSS", "document timestamp".
    pub allowed_updates: Vec<String>,
    /// Changes to content: page content, annotations, form values, other objects.
    pub content_changes: Vec<String>,
    /// Why the comparison could not be finished within the limits, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    /// Where our reader and lopdf read the file differently (then nothing is VALID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readers_disagree: Option<String>,
    /// Allowed additions that deserve a look: an annotation or widget added after signing
    /// over one that was there (as DSS flags annotation overlap).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flagged: Vec<String>,
}

/// One signature or document timestamp of the document, in file order.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    pub field: String,
    /// "signature", "certification" or "document timestamp".
    pub kind: String,
    pub signer: String,
    pub organisation: String,
    pub position: String,
    /// The claimed time in /M, if any (not proof).
    #[serde(with = "time::serde::rfc3339::option")]
    pub claimed_time: Option<OffsetDateTime>,
    /// The time the chain was validated at: the timestamp's, or the verification time.
    #[serde(with = "time::serde::rfc3339")]
    pub validation_time: OffsetDateTime,
    pub algorithm: String,
    pub key_usage_ok: bool,
    pub chain: ChainReport,
    pub timestamp: Option<TimestampReport>,
    /// "B-B", "B-T", "B-LT", "B-LTA" or "" when not even B-B.
    pub pades_level: String,
    pub docmdp: Option<i64>,
    pub coverage: Coverage,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
}

/// The archive's view of the result.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    pub result_code: String,
    pub found: bool,
    /// "valid", "revoked", "superseded" (empty when not found).
    pub status: String,
    pub status_reason: Option<String>,
    pub superseded_by: Option<String>,
    pub issuer: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub issued_at: Option<OffsetDateTime>,
    /// The SHA-256 of this file equals the one the archive issued.
    pub hash_matches: bool,
    pub issued_sha256: String,
    pub findings: Vec<Finding>,
}

/// The whole answer.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    /// The main reason in plain words (English), and in Vietnamese.
    pub reason: String,
    pub reason_vi: String,
    pub sha256: String,
    pub size: u64,
    pub signatures: Vec<SignatureReport>,
    pub archive: Option<ArchiveReport>,
    /// Findings about the document as a whole (unreadable, no signature…).
    pub findings: Vec<Finding>,
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
}

impl Report {
    /// The first regular signature (the competent signer's).
    pub fn main_signature(&self) -> Option<&SignatureReport> {
        self.signatures
            .iter()
            .find(|s| s.kind != "document timestamp")
    }

    /// A few readable lines for a terminal.
    pub fn human(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} — {}\n  {}",
            self.verdict.as_str(),
            self.verdict.vietnamese(),
            self.reason
        );
        for s in &self.signatures {
            let time = s
                .timestamp
                .as_ref()
                .map(|t| format!("{} (timestamp)", crate::pki::rfc3339(t.time)))
                .or_else(|| {
                    s.claimed_time
                        .map(|t| format!("{} (claimed)", crate::pki::rfc3339(t)))
                })
                .unwrap_or_default();
            let who = if s.organisation.is_empty() || s.organisation == s.signer {
                s.signer.clone()
            } else {
                format!("{}, {}", s.signer, s.organisation)
            };
            let _ = writeln!(
                out,
                "  [{}] {} {}: {} — {} {}",
                s.verdict.as_str(),
                s.kind,
                s.field,
                who,
                if s.pades_level.is_empty() {
                    "-"
                } else {
                    &s.pades_level
                },
                time
            );
            if s.coverage.whole_file {
                let _ = writeln!(out, "      covers the whole file");
            } else {
                let _ = writeln!(
                    out,
                    "      {} bytes appended after it{}",
                    s.coverage.appended_bytes,
                    if s.coverage.content_changes.is_empty() {
                        format!(": allowed ({})", s.coverage.allowed_updates.join(", "))
                    } else {
                        format!(": CHANGES {}", s.coverage.content_changes.join("; "))
                    }
                );
            }
            for flag in &s.coverage.flagged {
                let _ = writeln!(out, "      ! flagged: {flag}");
            }
            for f in &s.findings {
                let _ = writeln!(out, "      - {}", f.message);
            }
        }
        if let Some(a) = &self.archive {
            let _ = writeln!(
                out,
                "  archive: {} {}{}",
                a.result_code,
                if a.found {
                    a.status.as_str()
                } else {
                    "not found"
                },
                if a.found && !a.hash_matches {
                    ", but this file is not the one issued"
                } else {
                    ""
                }
            );
        }
        for f in &self.findings {
            let _ = writeln!(out, "  - {}", f.message);
        }
        out
    }
}

/// One certificate as a report shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub common_name: String,
    pub organisation: String,
    pub issuer: String,
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    pub sha256: String,
}

/// The revocation status of one certificate of a path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RevocationStatus {
    pub subject: String,
    /// "good", "revoked", "stale" (only information whose nextUpdate had passed at the
    /// validation time) or "unknown" (none).
    pub status: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// "document" (DSS or CMS) or "configuration".
    pub source: Option<String>,
    /// "CRL" or "OCSP": what the status rests on.
    pub method: Option<String>,
    /// Until when that information was current (its nextUpdate), when it says.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_update: Option<OffsetDateTime>,
}

/// What checking one certificate path found.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ChainReport {
    /// Signer (or TSA) first, the trust anchor last when one was reached.
    pub path: Vec<CertSummary>,
    pub trusted: bool,
    pub revocation: Vec<RevocationStatus>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
    /// The DER of every certificate in `path`, same order (for the PAdES level check).
    #[serde(skip)]
    pub path_der: Vec<Vec<u8>>,
}

impl ChainReport {
    /// The worst of the findings: VALID when there is none.
    pub fn verdict(&self) -> Verdict {
        verdict_of(&self.findings)
    }
}

/// The finding for a file that needs more than the verifier's budgets allow.
pub(super) fn too_costly(why: &str) -> Finding {
    Finding::new(
        Severity::Indeterminate,
        "too_costly",
        format!("the file cannot be verified within this verifier's limits: {why}"),
        "không kiểm tra được tệp trong giới hạn tài nguyên của hệ thống (tệp quá lớn, quá phức tạp hoặc bất thường)",
    )
}

/// The summary of a DER certificate, if it parses.
pub fn certificate_summary(der: &[u8]) -> Option<CertSummary> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(CertSummary {
        subject: cert.subject().to_string(),
        common_name: first_str(cert.subject().iter_common_name()),
        organisation: first_str(cert.subject().iter_organization()),
        issuer: cert.issuer().to_string(),
        serial: hex::encode(cert.raw_serial()),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        sha256: hex::encode(crate::crypto::sha256(der)),
    })
}

fn first_str<'a>(
    mut it: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>,
) -> String {
    it.next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_owned()
}
