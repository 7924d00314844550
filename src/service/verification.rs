//! The Verification use cases: verify a PDF (with the archive's view when a result code is
//! known) and look a result up by its code. The engine is [`crate::verify`]; this layer only
//! fetches what the engine needs and never holds more than the caller sent.

use std::time::Instant;

use time::OffsetDateTime;

use super::{admission::QUEUE_PATIENCE, audit::contain_panic, core::Service, error::Error};
use crate::{
    access::Caller,
    archive::{Archive, StoredResult},
    flow::ResultCode,
    pdf::ReadLimits,
    verify::{self, ArchiveView, ArchivedResult, Report, TrustConfig},
};

/// What anyone may learn about a result from its code: no personal content.
#[derive(Debug, Clone)]
pub struct ResultStatus {
    pub result_code: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub superseded_by: Option<String>,
    pub sha256: Vec<u8>,
    /// The competent signer as archived.
    pub issuer: String,
    pub issued_at: Option<OffsetDateTime>,
    pub signed_at: Option<OffsetDateTime>,
    pub level: String,
    pub procedure_code: String,
    /// Each renewed version, oldest first (see `renewal`).
    pub renewed_sha256: Vec<Vec<u8>>,
}

fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

fn status_of(r: &StoredResult, renewed_sha256: Vec<Vec<u8>>) -> ResultStatus {
    ResultStatus {
        result_code: r.result_code.clone(),
        status: r.status.clone(),
        status_reason: r.status_reason.clone(),
        superseded_by: r.superseded_by.clone(),
        sha256: r.sha256.clone(),
        issuer: r.signer.clone(),
        issued_at: r.issued_at_ms.and_then(from_millis),
        signed_at: from_millis(r.signed_at_ms),
        level: r.level.clone(),
        procedure_code: r.procedure_code.clone(),
        renewed_sha256,
    }
}

/// Verification is public: no certificate, no grant.
static ANONYMOUS: std::sync::LazyLock<Caller> = std::sync::LazyLock::new(Caller::anonymous);

impl<A: Archive> Service<A> {
    /// The trust anchors and CRLs verification uses: those configured with
    /// [`Service::with_trust`], or else the PKI's own root and CRLs (the development profile).
    pub fn trust_config(&self) -> TrustConfig {
        match &self.trust {
            Some(trust) => trust.clone(),
            None => TrustConfig {
                anchors_der: vec![self.keys.root_der().to_vec()],
                crls_der: self.keys.crls_der(),
            },
        }
    }

    /// The limits of one verification starting now.
    pub(super) fn read_limits(&self) -> ReadLimits {
        ReadLimits {
            deadline: Instant::now().checked_add(self.limits.verify_timeout),
            ..self.limits.read
        }
    }

    fn parse_code(code: &str) -> Result<String, Error> {
        let code = code.trim();
        code.parse::<ResultCode>()
            .map(|c| c.to_string())
            .map_err(|e| Error::InvalidArgument(format!("invalid result code `{code}`: {e}")))
    }

    /// The issued result under `code` with its renewed versions; `None` if none was issued.
    async fn issued_status(
        &self,
        code: &str,
    ) -> Result<Option<(StoredResult, ResultStatus)>, Error> {
        let Some(stored) = self
            .archive
            .result_by_code(code)
            .await?
            .filter(|r| r.issued_at_ms.is_some())
        else {
            return Ok(None);
        };
        let renewed = if stored.renewed_at_ms.is_some() {
            self.archive
                .renewals(code)
                .await?
                .into_iter()
                .map(|r| r.sha256)
                .collect()
        } else {
            Vec::new()
        };
        let status = status_of(&stored, renewed);
        Ok(Some((stored, status)))
    }

    async fn archive_view(&self, code: &str) -> Result<ArchiveView, Error> {
        let code = Self::parse_code(code)?;
        let issued = self.issued_status(&code).await?;
        Ok(ArchiveView {
            result_code: code,
            result: issued.map(|(_, s)| ArchivedResult {
                status: s.status,
                status_reason: s.status_reason,
                superseded_by: s.superseded_by,
                sha256: s.sha256,
                renewed_sha256: s.renewed_sha256,
                issuer: s.issuer,
                issued_at: s.issued_at,
            }),
        })
    }

    /// Verifies `pdf`; with a result code, also against what the archive issued under it.
    pub async fn verify_document(
        &self,
        pdf: &[u8],
        result_code: Option<&str>,
    ) -> Result<Report, Error> {
        if pdf.len() as u64 > self.limits.max_document_bytes {
            return Err(Error::ResourceExhausted(format!(
                "the document is {} bytes; the limit is {} bytes",
                pdf.len(),
                self.limits.max_document_bytes
            )));
        }
        let view = match result_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => Some(self.archive_view(code).await?),
            None => None,
        };
        let _permit = self.gates.verifications.enter(QUEUE_PATIENCE).await?;
        let trust = self.trust_config();
        let call = self.call(&ANONYMOUS, "VerifyDocument");
        let report = contain_panic(&call, async {
            Ok(tokio::task::block_in_place(|| {
                verify::verify_within(pdf, &trust, view.as_ref(), call.at, self.read_limits())
            }))
        })
        .await?;
        metrics::counter!("ketqua_verifications_total", "verdict" => report.verdict.as_str())
            .increment(1);
        Ok(report)
    }

    /// Verifies the document the archive issued under `result_code` (the QR link), in its
    /// newest version.
    pub async fn verify_issued(&self, result_code: &str) -> Result<Report, Error> {
        let code = Self::parse_code(result_code)?;
        let (stored, _) = self
            .issued_status(&code)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no issued result with code {code}")))?;
        let pdf = self
            .archive
            .blob(&stored.current_sha256)
            .await?
            .ok_or_else(|| Error::Internal(format!("the document of {code} is missing")))?;
        self.verify_document(&pdf, Some(&code)).await
    }

    /// A result's status by its code, without personal content.
    pub async fn lookup_result(&self, result_code: &str) -> Result<ResultStatus, Error> {
        let code = Self::parse_code(result_code)?;
        self.issued_status(&code)
            .await?
            .map(|(_, status)| status)
            .ok_or_else(|| Error::NotFound(format!("no issued result with code {code}")))
    }
}
