//! The gRPC surface: maps wire messages to use cases and errors to status codes. No business
//! rule lives here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::{
    archive::Archive,
    flow::{calendar::Timeliness, Step},
    pki::CredentialInfo,
    proto::v1::{
        self as pb,
        dossiers_server::{Dossiers, DossiersServer},
        signing_server::{Signing, SigningServer},
    },
    record,
    service::{
        self, ApplicantInput, DocumentInput, DossierView, Receipt, ReceiveCommand, Service,
        SignCommand, StepCommand,
    },
};

/// gRPC messages may carry whole documents; the per-document limit is enforced by the
/// service with a precise message, this only bounds a single message.
pub fn max_message_bytes(limits: &service::Limits) -> usize {
    let documents = limits.max_document_bytes.saturating_mul(2);
    usize::try_from(documents.saturating_add(1024 * 1024)).unwrap_or(usize::MAX)
}

pub fn to_status(error: service::Error) -> Status {
    use service::Error as E;
    match error {
        E::InvalidArgument(m) => Status::invalid_argument(m),
        E::NotFound(m) => Status::not_found(m),
        E::FailedPrecondition(m) => Status::failed_precondition(m),
        E::PermissionDenied(m) => Status::permission_denied(m),
        E::AlreadyExists(m) => Status::already_exists(m),
        E::ResourceExhausted(m) => Status::resource_exhausted(m),
        E::Aborted(m) => Status::aborted(m),
        E::Unavailable(m) => Status::unavailable(m),
        E::Internal(m) => Status::internal(m),
    }
}

pub struct DossiersApi<A> {
    service: Arc<Service<A>>,
}

pub struct SigningApi<A> {
    service: Arc<Service<A>>,
}

pub fn dossiers_server<A: Archive>(service: Arc<Service<A>>) -> DossiersServer<DossiersApi<A>> {
    let max = max_message_bytes(service.limits());
    DossiersServer::new(DossiersApi { service })
        .max_decoding_message_size(max)
        .max_encoding_message_size(max)
}

pub fn signing_server<A: Archive>(service: Arc<Service<A>>) -> SigningServer<SigningApi<A>> {
    SigningServer::new(SigningApi { service })
}

fn documents(documents: Vec<pb::Document>) -> Vec<DocumentInput> {
    documents.into_iter().map(document).collect()
}

fn document(d: pb::Document) -> DocumentInput {
    DocumentInput {
        name: d.name,
        media_type: d.media_type,
        content: d.content,
    }
}

fn receipt(r: Receipt) -> pb::StepReceipt {
    pb::StepReceipt {
        dossier_code: r.dossier_code.to_string(),
        state: record::state_to_proto(r.state) as i32,
        record: Some(pb::SignedStepRecord {
            record: r.record.record,
            signature: r.record.signature,
            record_sha256: r.record.record_sha256,
            decoded: Some(r.decoded),
        }),
        due_date: r.due_date,
        result_code: r.result_code.unwrap_or_default(),
    }
}

fn timeliness(t: Timeliness) -> pb::Timeliness {
    match t {
        Timeliness::OnTime => pb::Timeliness::OnTime,
        Timeliness::Overdue => pb::Timeliness::Overdue,
        Timeliness::FinishedOnTime => pb::Timeliness::FinishedOnTime,
        Timeliness::FinishedLate => pb::Timeliness::FinishedLate,
    }
}

fn dossier(view: DossierView) -> pb::Dossier {
    let row = view.row;
    let result = view.result.map(|r| pb::ResultDocument {
        result_code: r.result_code.unwrap_or_default(),
        digest: Some(pb::DocumentDigest {
            name: r.name,
            media_type: r.media_type,
            sha256: r.sha256,
            size: r.size as u64,
        }),
        signer_signature: r.signer_signature,
        seal_signature: r.seal_signature,
        content: view.result_content.unwrap_or_default(),
    });
    pb::Dossier {
        code: row.code,
        state: record::state_to_proto(view.state) as i32,
        national_status: u32::from(view.state.national_status()),
        procedure_code: row.procedure_code,
        procedure_name: view.procedure_name,
        department: row.department,
        applicant: Some(pb::Applicant {
            id: row.applicant_id,
            name: row.applicant_name,
        }),
        received_on: row.received_on,
        due_date: row.due_date,
        timeliness: timeliness(view.timeliness) as i32,
        allowed_steps: view
            .allowed_steps
            .into_iter()
            .map(|s| record::step_to_proto(s) as i32)
            .collect(),
        documents: view
            .documents
            .into_iter()
            .map(|d| pb::StoredDocument {
                record_sequence: d.record_sequence as u32,
                digest: Some(pb::DocumentDigest {
                    name: d.name,
                    media_type: d.media_type,
                    sha256: d.sha256,
                    size: d.size as u64,
                }),
            })
            .collect(),
        records: view
            .records
            .into_iter()
            .map(|(stored, decoded)| pb::SignedStepRecord {
                record: stored.record,
                signature: stored.signature,
                record_sha256: stored.record_sha256,
                decoded: Some(decoded),
            })
            .collect(),
        result,
        version: row.version as u64,
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn credential(info: &CredentialInfo, certificate: &[u8]) -> pb::Credential {
    pb::Credential {
        id: info.id.clone(),
        role: record::role_to_proto(info.role) as i32,
        department: info.department.clone(),
        subject: info.subject.clone(),
        common_name: info.common_name.clone(),
        position: info.position.clone(),
        organisation: info.organisation.clone(),
        not_before: rfc3339(info.not_before),
        not_after: rfc3339(info.not_after),
        certificate_sha256: info.fingerprint.to_vec(),
        certificate: certificate.to_vec(),
    }
}

impl<A: Archive> DossiersApi<A> {
    async fn step(
        &self,
        step: Step,
        request: pb::StepRequest,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let command = StepCommand {
            step,
            request_id: request.request_id,
            credential_id: request.credential_id,
            dossier_code: request.dossier_code,
            note: request.note,
            documents: documents(request.documents),
        };
        self.service
            .step(command)
            .await
            .map(|r| Response::new(receipt(r)))
            .map_err(to_status)
    }
}

#[tonic::async_trait]
impl<A: Archive> Dossiers for DossiersApi<A> {
    async fn receive(
        &self,
        request: Request<pb::ReceiveRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let request = request.into_inner();
        let applicant = request.applicant.unwrap_or_default();
        let command = ReceiveCommand {
            request_id: request.request_id,
            credential_id: request.credential_id,
            procedure_code: request.procedure_code,
            applicant: ApplicantInput {
                id: applicant.id,
                name: applicant.name,
            },
            documents: documents(request.documents),
            note: request.note,
            supplement_of: request.supplement_of,
        };
        self.service
            .receive(command)
            .await
            .map(|r| Response::new(receipt(r)))
            .map_err(to_status)
    }

    async fn appraise(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::Appraise, request.into_inner()).await
    }

    async fn approve(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::Approve, request.into_inner()).await
    }

    async fn sign(
        &self,
        request: Request<pb::SignRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let request = request.into_inner();
        let command = SignCommand {
            request_id: request.request_id,
            credential_id: request.credential_id,
            dossier_code: request.dossier_code,
            note: request.note,
            result: request.result.map(document).unwrap_or_default(),
        };
        self.service
            .sign(command)
            .await
            .map(|r| Response::new(receipt(r)))
            .map_err(to_status)
    }

    async fn r#return(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::Return, request.into_inner()).await
    }

    async fn request_supplement(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::RequestSupplement, request.into_inner())
            .await
    }

    async fn refuse(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::Refuse, request.into_inner()).await
    }

    async fn withdraw(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::Withdraw, request.into_inner()).await
    }

    async fn stop(
        &self,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        self.step(Step::Stop, request.into_inner()).await
    }

    async fn get(&self, request: Request<pb::GetRequest>) -> Result<Response<pb::Dossier>, Status> {
        let request = request.into_inner();
        self.service
            .get(&request.dossier_code, request.include_result_content)
            .await
            .map(|view| Response::new(dossier(view)))
            .map_err(to_status)
    }
}

#[tonic::async_trait]
impl<A: Archive> Signing for SigningApi<A> {
    async fn list_credentials(
        &self,
        request: Request<pb::ListCredentialsRequest>,
    ) -> Result<Response<pb::ListCredentialsResponse>, Status> {
        let department = request.into_inner().department;
        let keys = self.service.keys();
        let credentials = self
            .service
            .credentials(&department)
            .into_iter()
            .filter_map(|info| {
                keys.get(&info.id)
                    .map(|c| credential(info, c.certificate_der()))
            })
            .collect();
        Ok(Response::new(pb::ListCredentialsResponse { credentials }))
    }
}
