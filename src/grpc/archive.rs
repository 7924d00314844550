//! The `Archive` service: retrieval, search and reuse for archivists, the transparency log's
//! checkpoints and proofs, export packages, revocation and the renewal sweep.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    callers::caller_of,
    convert::{
        checkpoint, dossier, form_document, metadata, receipt, renewal_progress, rfc3339,
        search_hits, search_input, statistics,
    },
    status::{max_message_bytes, reply, to_status},
    streams::forward,
};
use crate::{
    archive::Archive,
    flow::rfc3339_millis,
    proto::v1::{
        self as pb,
        archive_server::{Archive as ArchiveRpc, ArchiveServer},
    },
    service::{
        ExportSelection, LeafKey, RecordKey, RenewalOptions, ResultMetadata, RevokeCommand,
        Service, StatisticsInput,
    },
};

pub struct ArchiveApi<A> {
    service: Arc<Service<A>>,
}

pub fn archive_server<A: Archive>(service: Arc<Service<A>>) -> ArchiveServer<ArchiveApi<A>> {
    let max = max_message_bytes(service.limits());
    ArchiveServer::new(ArchiveApi { service }).max_encoding_message_size(max)
}

#[tonic::async_trait]
impl<A: Archive> ArchiveRpc for ArchiveApi<A> {
    async fn get_record(
        &self,
        request: Request<pb::GetRecordRequest>,
    ) -> Result<Response<pb::ArchivedDossier>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let key = match request.key {
            Some(pb::get_record_request::Key::DossierCode(code)) => RecordKey::DossierCode(code),
            Some(pb::get_record_request::Key::ResultCode(code)) => RecordKey::ResultCode(code),
            Some(pb::get_record_request::Key::RecordSha256(hash)) => RecordKey::RecordSha256(hash),
            None => {
                return Err(Status::invalid_argument(
                    "name the dossier: dossier_code, result_code or record_sha256",
                ))
            }
        };
        self.service
            .get_record(&caller, key, request.include_result_content)
            .await
            .map(|view| {
                Response::new(pb::ArchivedDossier {
                    dossier: Some(dossier(view)),
                })
            })
            .map_err(to_status)
    }

    type SearchStream = tokio_stream::Iter<std::vec::IntoIter<Result<pb::SearchHit, Status>>>;

    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<Self::SearchStream>, Status> {
        let caller = caller_of(&self.service, &request);
        let input = search_input(request.into_inner())?;
        let page = self
            .service
            .search(&caller, &input)
            .await
            .map_err(to_status)?;
        let hits = search_hits(page).into_iter().map(Ok).collect::<Vec<_>>();
        Ok(Response::new(tokio_stream::iter(hits)))
    }

    async fn find_reusable(
        &self,
        request: Request<pb::FindReusableRequest>,
    ) -> Result<Response<pb::FindReusableResponse>, Status> {
        let caller = caller_of(&self.service, &request);
        let results = self
            .service
            .find_reusable(&caller, &request.into_inner().applicant_id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::FindReusableResponse {
            results: results
                .into_iter()
                .map(|r| pb::ReusableResult {
                    issued_at: r.issued_at_ms.map(rfc3339_millis).unwrap_or_default(),
                    metadata: Some(metadata(ResultMetadata::from_json(&r.metadata))),
                    result_code: r.result_code,
                    dossier_code: r.dossier_code,
                    procedure_code: r.procedure_code,
                    document_name: r.name,
                    sha256: r.sha256,
                })
                .collect(),
        }))
    }

    async fn get_checkpoint(
        &self,
        _request: Request<pb::GetCheckpointRequest>,
    ) -> Result<Response<pb::Checkpoint>, Status> {
        let latest = self.service.checkpoint().await.map_err(to_status)?;
        Ok(Response::new(checkpoint(latest)))
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::InclusionProof>, Status> {
        let request = request.into_inner();
        let leaf = match request.leaf {
            Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(index)) => LeafKey::Index(index),
            Some(pb::get_inclusion_proof_request::Leaf::RecordSha256(hash)) => {
                LeafKey::Record(hash)
            }
            None => {
                return Err(Status::invalid_argument(
                    "name the leaf: leaf_index or record_sha256",
                ))
            }
        };
        let proof = self
            .service
            .inclusion_proof(leaf, request.tree_size)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::InclusionProof {
            leaf_index: proof.leaf_index,
            tree_size: proof.tree_size,
            leaf_hash: proof.leaf_hash.to_vec(),
            path: proof.path.iter().map(|h| h.to_vec()).collect(),
            checkpoint: proof.checkpoint.map(checkpoint),
        }))
    }

    type ExportPackageStream =
        tokio_stream::wrappers::ReceiverStream<Result<pb::PackageChunk, Status>>;

    async fn export_package(
        &self,
        request: Request<pb::ExportPackageRequest>,
    ) -> Result<Response<Self::ExportPackageStream>, Status> {
        let caller = caller_of(&self.service, &request);
        let selection = match request.into_inner().selection {
            Some(pb::export_package_request::Selection::DossierCode(code)) => {
                ExportSelection::Dossier(code)
            }
            Some(pb::export_package_request::Selection::Query(query)) => {
                ExportSelection::Query(search_input(query)?)
            }
            None => {
                return Err(Status::invalid_argument(
                    "name what to export: dossier_code or query",
                ))
            }
        };
        // Resolved before the stream starts: an unknown dossier is NOT_FOUND, not a broken stream.
        let codes = self
            .service
            .export_codes(&caller, &selection)
            .await
            .map_err(to_status)?;
        let service = self.service.clone();
        let export = |tx| async move { service.export_package(&caller, codes, tx).await };
        Ok(Response::new(forward(export, |chunk| pb::PackageChunk {
            data: chunk.data,
            dossier_count: chunk.dossier_count,
            dossiers_done: chunk.dossiers_done,
        })))
    }

    type RenewTimestampsStream =
        tokio_stream::wrappers::ReceiverStream<Result<pb::RenewalProgress, Status>>;

    async fn renew_timestamps(
        &self,
        request: Request<pb::RenewTimestampsRequest>,
    ) -> Result<Response<Self::RenewTimestampsStream>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        // Resolved before the stream starts: a bad window or a missing TSA is a precise status.
        let plan = self
            .service
            .renewal_plan(
                &caller,
                RenewalOptions {
                    window_days: request.window_days,
                    dry_run: request.dry_run,
                },
            )
            .await
            .map_err(to_status)?;
        let tsa_expires_at = rfc3339(plan.tsa_expires_at);
        let service = self.service.clone();
        let sweep = |tx| async move { service.renew_timestamps(plan, tx).await };
        Ok(Response::new(forward(sweep, move |progress| {
            renewal_progress(progress, &tsa_expires_at)
        })))
    }

    async fn get_tracking_log(
        &self,
        request: Request<pb::GetTrackingLogRequest>,
    ) -> Result<Response<pb::FormDocument>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        reply(
            self.service
                .tracking_log(&caller, &request.department, &request.from, &request.to)
                .await,
            form_document,
        )
    }

    async fn revoke_result(
        &self,
        request: Request<pb::RevokeResultRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        reply(
            self.service
                .revoke_result(
                    &caller,
                    RevokeCommand {
                        request_id: request.request_id,
                        credential_id: request.credential_id,
                        result_code: request.result_code,
                        reason: request.reason,
                        replacement_code: request.replacement_code,
                    },
                )
                .await,
            receipt,
        )
    }

    async fn get_consistency_proof(
        &self,
        request: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::ConsistencyProof>, Status> {
        let request = request.into_inner();
        let proof = self
            .service
            .consistency_proof(request.old_size, request.new_size)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ConsistencyProof {
            old_size: proof.old_size,
            new_size: proof.new_size,
            path: proof.path.iter().map(|h| h.to_vec()).collect(),
            old_checkpoint: proof.old_checkpoint.map(checkpoint),
            new_checkpoint: proof.new_checkpoint.map(checkpoint),
        }))
    }

    async fn statistics(
        &self,
        request: Request<pb::StatisticsRequest>,
    ) -> Result<Response<pb::StatisticsReport>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let input = StatisticsInput {
            from: request.from,
            to: request.to,
            department: request.department,
            procedure_code: request.procedure_code,
        };
        reply(self.service.statistics(&caller, &input).await, statistics)
    }
}
