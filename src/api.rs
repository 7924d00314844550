//! The gRPC surface: maps wire messages to use cases and errors to status codes. No business
//! rule lives here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::{
    archive::Archive,
    archive::{LogReceipt, StoredCheckpoint, StoredResult},
    flow::{calendar::Timeliness, Step},
    pdf::PadesLevel,
    pki::CredentialInfo,
    proto::v1::{
        self as pb,
        archive_server::{Archive as ArchiveRpc, ArchiveServer},
        dossiers_server::{Dossiers, DossiersServer},
        signing_server::{Signing, SigningServer},
    },
    record,
    service::{
        self,
        signing::{ExternalSigner, SignOptions, SignedDocument},
        ApplicantInput, DocumentInput, DossierView, ExportSelection, LeafKey, Receipt,
        ReceiveCommand, RecordKey, RenewalAction, RenewalOptions, RenewalProgress, ResultContent,
        ResultMetadata, RevokeCommand, SearchInput, Service, SignCommand, StepCommand,
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
        E::OutOfRange(m) => Status::out_of_range(m),
        E::Unavailable(m) => Status::unavailable(m),
        E::DataLoss(m) => Status::data_loss(m),
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

pub struct ArchiveApi<A> {
    service: Arc<Service<A>>,
}

pub fn archive_server<A: Archive>(service: Arc<Service<A>>) -> ArchiveServer<ArchiveApi<A>> {
    let max = max_message_bytes(service.limits());
    ArchiveServer::new(ArchiveApi { service }).max_encoding_message_size(max)
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
        log: Some(log_receipt(r.log)),
    }
}

fn checkpoint(c: StoredCheckpoint) -> pb::Checkpoint {
    pb::Checkpoint {
        note: c.note,
        size: c.size,
        root_hash: c.root,
    }
}

fn log_receipt(r: LogReceipt) -> pb::LogReceipt {
    pb::LogReceipt {
        leaf_index: r.leaf_index,
        leaf_hash: r.leaf_hash.to_vec(),
        path: r.path.iter().map(|h| h.to_vec()).collect(),
        checkpoint: Some(checkpoint(r.checkpoint)),
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
    let content = view.result_content.unwrap_or_default();
    let result = view.result.map(|r| result_document(r, content));
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

fn metadata(m: ResultMetadata) -> pb::ResultMetadata {
    pb::ResultMetadata {
        document_type: m.document_type,
        number_notation: m.number_notation,
        issue_date: m.issue_date,
        issuing_body: m.issuing_body,
        subject: m.subject,
        language: m.language,
        retention: m.retention,
    }
}

fn metadata_input(m: Option<pb::ResultMetadata>) -> ResultMetadata {
    let m = m.unwrap_or_default();
    ResultMetadata {
        document_type: m.document_type,
        number_notation: m.number_notation,
        issue_date: m.issue_date,
        issuing_body: m.issuing_body,
        subject: m.subject,
        language: m.language,
        retention: m.retention,
    }
}

fn result_document(r: StoredResult, content: Vec<u8>) -> pb::ResultDocument {
    pb::ResultDocument {
        metadata: Some(metadata(ResultMetadata::from_json(&r.metadata))),
        issued: r.issued_at_ms.is_some(),
        page_count: u32::try_from(r.page_count).unwrap_or(0),
        digest: Some(pb::DocumentDigest {
            name: r.name,
            media_type: r.media_type,
            sha256: r.current_sha256,
            size: r.current_size as u64,
        }),
        issued_sha256: r.sha256,
        pades_level: r.level,
        result_code: r.result_code,
        status: r.status,
        signer: r.signer,
        content,
    }
}

fn renewal_progress(p: RenewalProgress, tsa_expires_at: &str) -> pb::RenewalProgress {
    use pb::renewal_outcome::Action;
    let o = p.outcome;
    let action = match o.action {
        RenewalAction::Renewed => Action::Renewed,
        RenewalAction::NotDue => Action::NotDue,
        RenewalAction::WouldRenew => Action::WouldRenew,
        RenewalAction::Skipped => Action::Skipped,
        RenewalAction::Failed => Action::Failed,
    };
    pb::RenewalProgress {
        candidates: p.candidates,
        done: p.done,
        tsa_expires_at: tsa_expires_at.to_owned(),
        outcome: Some(pb::RenewalOutcome {
            result_code: o.result_code,
            action: action as i32,
            detail: o.detail,
            previous_sha256: o.previous_sha256,
            sha256: o.sha256,
            timestamp_expires_at: o.timestamp_expires_at.map(rfc3339).unwrap_or_default(),
            leaf_index: o.leaf_index.unwrap_or_default(),
        }),
    }
}

fn millis_rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(rfc3339)
        .unwrap_or_default()
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
            cited_results: request.cited_results,
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
            result: request.result.map(document),
            content: request.content.map(|c| ResultContent {
                issuing_body: c.issuing_body,
                number_notation: c.number_notation,
                place_and_date: c.place_and_date,
                title: c.title,
                subtitle: c.subtitle,
                body: c.body,
                signer_position: c.signer_position,
            }),
            metadata: metadata_input(request.metadata),
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

/// The parts of a client-streamed upload: parameters first, then the document in chunks.
enum UploadPart<P> {
    Parameters(P),
    Chunk(Vec<u8>),
}

trait Upload {
    type Parameters;
    fn into_part(self) -> Option<UploadPart<Self::Parameters>>;
}

/// The three upload messages share one shape: `oneof part { parameters; chunk }`.
macro_rules! impl_upload {
    ($message:ty, $parameters:ty, $part:path) => {
        impl Upload for $message {
            type Parameters = $parameters;
            fn into_part(self) -> Option<UploadPart<Self::Parameters>> {
                use $part as Part;
                match self.part? {
                    Part::Parameters(p) => Some(UploadPart::Parameters(p)),
                    Part::Chunk(c) => Some(UploadPart::Chunk(c)),
                }
            }
        }
    };
}

impl_upload!(
    pb::SignDocumentRequest,
    pb::SignatureParameters,
    pb::sign_document_request::Part
);
impl_upload!(
    pb::PrepareSignatureRequest,
    pb::PrepareParameters,
    pb::prepare_signature_request::Part
);
impl_upload!(
    pb::CompleteSignatureRequest,
    pb::CompleteParameters,
    pb::complete_signature_request::Part
);

/// Reads an upload into one buffer (the only copy of the document the service holds).
async fn receive_upload<R: Upload>(
    mut stream: tonic::Streaming<R>,
    limit: u64,
) -> Result<(R::Parameters, Vec<u8>), Status> {
    let parameters = match stream.message().await?.and_then(Upload::into_part) {
        Some(UploadPart::Parameters(p)) => p,
        _ => {
            return Err(Status::invalid_argument(
                "the first message must carry the parameters, then the document in chunks",
            ))
        }
    };
    let mut document = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.into_part() {
            Some(UploadPart::Chunk(chunk)) => {
                if (document.len() + chunk.len()) as u64 > limit {
                    return Err(Status::resource_exhausted(format!(
                        "the document is larger than the limit of {limit} bytes"
                    )));
                }
                document.extend_from_slice(&chunk);
            }
            Some(UploadPart::Parameters(_)) => {
                return Err(Status::invalid_argument(
                    "parameters may be sent only once, first",
                ))
            }
            None => return Err(Status::invalid_argument("an empty message in the upload")),
        }
    }
    if document.is_empty() {
        return Err(Status::invalid_argument(
            "no document was sent after the parameters",
        ));
    }
    Ok((parameters, document))
}

/// Chunk size of streamed answers: large enough to be cheap, small enough to bound memory.
const CHUNK: usize = 1024 * 1024;

type PartStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::SignedDocumentPart, Status>> + Send>,
>;

/// Streams `input ‖ appendix` back after a summary, without joining them in memory.
fn signed_document_stream(input: Vec<u8>, signed: SignedDocument) -> PartStream {
    use pb::signed_document_part::Part;
    let summary = pb::SignedDocumentPart {
        part: Some(Part::Summary(pb::SignedDocumentSummary {
            size: (input.len() + signed.appendix.len()) as u64,
            level: level_to_proto(signed.level) as i32,
            signer: signed.signer,
            appended: signed.appendix.len() as u64,
        })),
    };
    let input = Arc::new(input);
    let appendix = Arc::new(signed.appendix);
    let chunks = |bytes: Arc<Vec<u8>>| {
        let count = bytes.len().div_ceil(CHUNK);
        (0..count).map(move |i| {
            let end = ((i + 1) * CHUNK).min(bytes.len());
            Ok(pb::SignedDocumentPart {
                part: Some(Part::Chunk(bytes[i * CHUNK..end].to_vec())),
            })
        })
    };
    let parts = std::iter::once(Ok(summary))
        .chain(chunks(input))
        .chain(chunks(appendix));
    Box::pin(tokio_stream::iter(parts))
}

fn level_from_proto(level: i32) -> Result<PadesLevel, Status> {
    match pb::PadesLevel::try_from(level) {
        Ok(pb::PadesLevel::Unspecified) | Ok(pb::PadesLevel::BT) => Ok(PadesLevel::BT),
        Ok(pb::PadesLevel::BB) => Ok(PadesLevel::BB),
        Ok(pb::PadesLevel::BLt) => Ok(PadesLevel::BLT),
        Ok(pb::PadesLevel::BLta) => Ok(PadesLevel::BLTA),
        Err(_) => Err(Status::invalid_argument(format!(
            "level {level} is not a PAdES level"
        ))),
    }
}

fn level_to_proto(level: PadesLevel) -> pb::PadesLevel {
    match level {
        PadesLevel::BB => pb::PadesLevel::BB,
        PadesLevel::BT => pb::PadesLevel::BT,
        PadesLevel::BLT => pb::PadesLevel::BLt,
        PadesLevel::BLTA => pb::PadesLevel::BLta,
    }
}

fn sign_options(
    level: i32,
    visible: bool,
    field_name: String,
    reason: String,
    location: String,
    certify: bool,
) -> Result<SignOptions, Status> {
    Ok(SignOptions {
        level: level_from_proto(level)?,
        visible,
        field_name,
        reason,
        location,
        certify,
    })
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

    type SignDocumentStream = PartStream;

    async fn sign_document(
        &self,
        request: Request<tonic::Streaming<pb::SignDocumentRequest>>,
    ) -> Result<Response<Self::SignDocumentStream>, Status> {
        let limit = self.service.limits().max_document_bytes;
        let (p, input) = receive_upload(request.into_inner(), limit).await?;
        if p.size != 0 && p.size != input.len() as u64 {
            return Err(Status::invalid_argument(format!(
                "the document is {} bytes but the parameters announced {}",
                input.len(),
                p.size
            )));
        }
        let options = sign_options(
            p.level,
            p.visible,
            p.field_name,
            p.reason,
            p.location,
            p.certify,
        )?;
        let signed = self
            .service
            .sign_document(&p.credential_id, &options, &input)
            .await
            .map_err(to_status)?;
        Ok(Response::new(signed_document_stream(input, signed)))
    }

    async fn prepare_signature(
        &self,
        request: Request<tonic::Streaming<pb::PrepareSignatureRequest>>,
    ) -> Result<Response<pb::PrepareSignatureResponse>, Status> {
        let limit = self.service.limits().max_document_bytes;
        let (p, input) = receive_upload(request.into_inner(), limit).await?;
        let signer = p.signer.unwrap_or_default();
        let options = sign_options(
            p.level,
            p.visible,
            p.field_name,
            p.reason,
            p.location,
            p.certify,
        )?;
        let external = ExternalSigner {
            certificate_der: signer.certificate,
            chain_der: signer.chain,
            signer_name: p.signer_name,
            position: p.position,
            organisation: p.organisation,
        };
        let prepared = self
            .service
            .prepare_signature(&external, &options, &input)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::PrepareSignatureResponse {
            session_id: prepared.session_id,
            data_to_sign: prepared.data_to_sign,
            data_to_sign_sha256: prepared.data_to_sign_sha256.to_vec(),
            signature_algorithm: prepared.signature_algorithm,
            expires_at: rfc3339(prepared.expires_at),
        }))
    }

    type CompleteSignatureStream = PartStream;

    async fn complete_signature(
        &self,
        request: Request<tonic::Streaming<pb::CompleteSignatureRequest>>,
    ) -> Result<Response<Self::CompleteSignatureStream>, Status> {
        let limit = self.service.limits().max_document_bytes;
        let (p, input) = receive_upload(request.into_inner(), limit).await?;
        let signed = self
            .service
            .complete_signature(&p.session_id, &p.signature_value, &input)
            .await
            .map_err(to_status)?;
        Ok(Response::new(signed_document_stream(input, signed)))
    }

    async fn timestamp(
        &self,
        request: Request<pb::TimestampRequest>,
    ) -> Result<Response<pb::TimestampResponse>, Status> {
        let token = self
            .service
            .timestamp(&request.into_inner().sha256)
            .map_err(to_status)?;
        Ok(Response::new(pb::TimestampResponse { token }))
    }
}

fn search_input(request: pb::SearchRequest) -> Result<SearchInput, Status> {
    let state = match pb::DossierState::try_from(request.state) {
        Ok(pb::DossierState::Unspecified) => None,
        Ok(state) => record::state_from_proto(state),
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "state {} is not a dossier state",
                request.state
            )))
        }
    };
    Ok(SearchInput {
        applicant_id: request.applicant_id,
        procedure_code: request.procedure_code,
        department: request.department,
        state,
        received_from: request.received_from,
        received_to: request.received_to,
        page_size: request.page_size,
        cursor: request.cursor,
    })
}

#[tonic::async_trait]
impl<A: Archive> ArchiveRpc for ArchiveApi<A> {
    async fn get_record(
        &self,
        request: Request<pb::GetRecordRequest>,
    ) -> Result<Response<pb::ArchivedDossier>, Status> {
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
            .get_record(key, request.include_result_content)
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
        let input = search_input(request.into_inner())?;
        let page = self.service.search(&input).await.map_err(to_status)?;
        let count = page.hits.len();
        let hits: Vec<Result<pb::SearchHit, Status>> = page
            .hits
            .into_iter()
            .enumerate()
            .map(|(index, (row, result))| {
                let state = row
                    .state
                    .parse::<crate::flow::State>()
                    .map(|s| record::state_to_proto(s) as i32)
                    .unwrap_or_default();
                Ok(pb::SearchHit {
                    dossier_code: row.code,
                    state,
                    procedure_code: row.procedure_code,
                    department: row.department,
                    applicant_id: row.applicant_id,
                    received_on: row.received_on,
                    due_date: row.due_date,
                    metadata: result
                        .as_ref()
                        .map(|r| metadata(ResultMetadata::from_json(&r.metadata))),
                    result_code: result.map(|r| r.result_code).unwrap_or_default(),
                    next_cursor: if index + 1 == count {
                        page.next_cursor.clone().unwrap_or_default()
                    } else {
                        String::new()
                    },
                })
            })
            .collect();
        Ok(Response::new(tokio_stream::iter(hits)))
    }

    async fn find_reusable(
        &self,
        request: Request<pb::FindReusableRequest>,
    ) -> Result<Response<pb::FindReusableResponse>, Status> {
        let results = self
            .service
            .find_reusable(&request.into_inner().applicant_id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::FindReusableResponse {
            results: results
                .into_iter()
                .map(|r| pb::ReusableResult {
                    issued_at: r.issued_at_ms.map(millis_rfc3339).unwrap_or_default(),
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
            .export_codes(&selection)
            .await
            .map_err(to_status)?;
        let (service_tx, mut service_rx) = tokio::sync::mpsc::channel(4);
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let service = self.service.clone();
        tokio::spawn(async move { service.export_package(codes, service_tx).await });
        tokio::spawn(async move {
            while let Some(item) = service_rx.recv().await {
                let item = item
                    .map(|chunk| pb::PackageChunk {
                        data: chunk.data,
                        dossier_count: chunk.dossier_count,
                        dossiers_done: chunk.dossiers_done,
                    })
                    .map_err(to_status);
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(
            rx,
        )))
    }

    type RenewTimestampsStream =
        tokio_stream::wrappers::ReceiverStream<Result<pb::RenewalProgress, Status>>;

    async fn renew_timestamps(
        &self,
        request: Request<pb::RenewTimestampsRequest>,
    ) -> Result<Response<Self::RenewTimestampsStream>, Status> {
        let request = request.into_inner();
        // Resolved before the stream starts: a bad window or a missing TSA is a precise status.
        let plan = self
            .service
            .renewal_plan(RenewalOptions {
                window_days: request.window_days,
                dry_run: request.dry_run,
            })
            .await
            .map_err(to_status)?;
        let tsa_expires_at = rfc3339(plan.tsa_expires_at);
        let (service_tx, mut service_rx) = tokio::sync::mpsc::channel(4);
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let service = self.service.clone();
        tokio::spawn(async move { service.renew_timestamps(plan, service_tx).await });
        tokio::spawn(async move {
            while let Some(item) = service_rx.recv().await {
                let item = item
                    .map(|progress| renewal_progress(progress, &tsa_expires_at))
                    .map_err(to_status);
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(
            rx,
        )))
    }

    async fn revoke_result(
        &self,
        request: Request<pb::RevokeResultRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let request = request.into_inner();
        self.service
            .revoke_result(RevokeCommand {
                request_id: request.request_id,
                credential_id: request.credential_id,
                result_code: request.result_code,
                reason: request.reason,
                replacement_code: request.replacement_code,
            })
            .await
            .map(|r| Response::new(receipt(r)))
            .map_err(to_status)
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
}
