//! The `Verification` service: `VerifyDocument` (client streaming) and `LookupResult`. Mapping
//! only; the engine is [`crate::verify`], the use cases those of [`crate::service`].

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    status::{max_message_bytes, to_status},
    streams::receive_verification_upload,
};
use crate::{
    archive::Archive,
    pki::rfc3339,
    proto::v1::{
        self as pb,
        verification_server::{Verification, VerificationServer},
    },
    service::Service,
    verify::{self, Report},
};

pub struct VerificationApi<A> {
    service: Arc<Service<A>>,
}

pub fn verification_server<A: Archive>(
    service: Arc<Service<A>>,
) -> VerificationServer<VerificationApi<A>> {
    let max = max_message_bytes(service.limits());
    VerificationServer::new(VerificationApi { service }).max_decoding_message_size(max)
}

fn verdict(v: verify::Verdict) -> i32 {
    (match v {
        verify::Verdict::Valid => pb::Verdict::Valid,
        verify::Verdict::Invalid => pb::Verdict::Invalid,
        verify::Verdict::Indeterminate => pb::Verdict::Indeterminate,
    }) as i32
}

/// The wire form of a report.
pub fn report_to_proto(r: &Report) -> pb::VerificationReport {
    pb::VerificationReport {
        verdict: verdict(r.verdict),
        reason: r.reason.clone(),
        reason_vi: r.reason_vi.clone(),
        sha256: hex::decode(&r.sha256).unwrap_or_default(),
        signatures: r
            .signatures
            .iter()
            .map(|s| {
                let (time, from_ts) = match (&s.timestamp, s.claimed_time) {
                    (Some(t), _) => (rfc3339(t.time), true),
                    (None, Some(t)) => (rfc3339(t), false),
                    (None, None) => (String::new(), false),
                };
                pb::SignatureCheck {
                    field: s.field.clone(),
                    kind: s.kind.clone(),
                    signer: s.signer.clone(),
                    organisation: s.organisation.clone(),
                    position: s.position.clone(),
                    time,
                    time_from_timestamp: from_ts,
                    pades_level: s.pades_level.clone(),
                    verdict: verdict(s.verdict),
                    trusted: s.chain.trusted,
                    whole_file: s.coverage.whole_file,
                    appended_bytes: s.coverage.appended_bytes,
                    allowed_updates: s.coverage.allowed_updates.clone(),
                    content_changes: s.coverage.content_changes.clone(),
                    flagged: s.coverage.flagged.clone(),
                    findings: s.findings.iter().map(|f| f.message.clone()).collect(),
                }
            })
            .collect(),
        archive: r.archive.as_ref().map(|a| pb::ArchiveCheck {
            result_code: a.result_code.clone(),
            found: a.found,
            status: a.status.clone(),
            hash_matches: a.hash_matches,
            issuer: a.issuer.clone(),
            issued_at: a.issued_at.map(rfc3339).unwrap_or_default(),
        }),
        report_json: serde_json::to_string(r).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl<A: Archive> Verification for VerificationApi<A> {
    async fn verify_document(
        &self,
        request: Request<tonic::Streaming<pb::VerifyDocumentRequest>>,
    ) -> Result<Response<pb::VerificationReport>, Status> {
        let limit = self.service.limits().max_document_bytes;
        let (code, pdf) = receive_verification_upload(request.into_inner(), limit).await?;
        let report = self
            .service
            .verify_document(&pdf, code.as_deref())
            .await
            .map_err(to_status)?;
        Ok(Response::new(report_to_proto(&report)))
    }

    async fn lookup_result(
        &self,
        request: Request<pb::LookupResultRequest>,
    ) -> Result<Response<pb::LookupResultResponse>, Status> {
        let s = self
            .service
            .lookup_result(&request.into_inner().result_code)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::LookupResultResponse {
            result_code: s.result_code,
            status: s.status,
            status_reason: s.status_reason.unwrap_or_default(),
            superseded_by: s.superseded_by.unwrap_or_default(),
            sha256: s.sha256,
            issuer: s.issuer,
            issued_at: s.issued_at.map(rfc3339).unwrap_or_default(),
            signed_at: s.signed_at.map(rfc3339).unwrap_or_default(),
            pades_level: s.level,
            procedure_code: s.procedure_code,
            renewed_sha256: s.renewed_sha256,
        }))
    }
}
