//! The `Dossiers` service: the five steps and the other outcomes of a dossier, extensions,
//! `Get`, and the public `Track`.

use std::sync::Arc;

use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{
    callers::caller_of,
    convert::{
        channel_from_proto, document, documents, dossier, event, form_document, metadata_input,
        progress, receipt, rfc3339,
    },
    status::{max_message_bytes, reply, to_status},
};
use crate::{
    archive::Archive,
    flow::Step,
    proto::v1::{
        self as pb,
        dossiers_server::{Dossiers, DossiersServer},
    },
    record::step_from_proto,
    service::{
        ApplicantInput, ExtendCommand, PaymentCommand, PaymentMethod, ReceiveCommand,
        ResultContent, ResultItem, Service, SignCommand, StepCommand, WatchInput,
    },
};

pub struct DossiersApi<A> {
    service: Arc<Service<A>>,
}
pub fn dossiers_server<A: Archive>(service: Arc<Service<A>>) -> DossiersServer<DossiersApi<A>> {
    let max = max_message_bytes(service.limits());
    DossiersServer::new(DossiersApi { service })
        .max_decoding_message_size(max)
        .max_encoding_message_size(max)
}
impl<A: Archive> DossiersApi<A> {
    async fn step(
        &self,
        step: Step,
        request: Request<pb::StepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let command = StepCommand {
            step,
            request_id: request.request_id,
            credential_id: request.credential_id,
            dossier_code: request.dossier_code,
            note: request.note,
            documents: documents(request.documents),
        };
        reply(self.service.step(&caller, command).await, receipt)
    }
}

fn result_content(c: pb::ResultContent) -> ResultContent {
    ResultContent {
        issuing_body: c.issuing_body,
        number_notation: c.number_notation,
        place_and_date: c.place_and_date,
        title: c.title,
        subtitle: c.subtitle,
        body: c.body,
        signer_position: c.signer_position,
    }
}

/// The step command of `PrepareStep`/`CompleteStep`: the step they name and its request.
fn external_step_command(
    step: i32,
    request: Option<pb::StepRequest>,
) -> Result<StepCommand, Status> {
    let step = pb::Step::try_from(step)
        .ok()
        .and_then(step_from_proto)
        .ok_or_else(|| Status::invalid_argument("step is missing or unknown"))?;
    let request = request.ok_or_else(|| Status::invalid_argument("request is missing"))?;
    Ok(StepCommand {
        step,
        request_id: request.request_id,
        credential_id: request.credential_id,
        dossier_code: request.dossier_code,
        note: request.note,
        documents: documents(request.documents),
    })
}

/// Every `Dossiers` call that takes a plain `StepRequest` differs from the others only in the
/// step it names; the macro writes those handlers, the rest are written out below it.
macro_rules! impl_dossiers {
    (steps { $($method:ident => $step:ident),* $(,)? } $($other:tt)*) => {
        #[tonic::async_trait]
        impl<A: Archive> Dossiers for DossiersApi<A> {
            $(
                async fn $method(
                    &self,
                    request: Request<pb::StepRequest>,
                ) -> Result<Response<pb::StepReceipt>, Status> {
                    self.step(Step::$step, request).await
                }
            )*
            $($other)*
        }
    };
}

impl_dossiers! {
    steps {
        appraise => Appraise,
        approve => Approve,
        r#return => Return,
        request_supplement => RequestSupplement,
        refuse => Refuse,
        withdraw => Withdraw,
        stop => Stop,
    }

    async fn receive(
        &self,
        request: Request<pb::ReceiveRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
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
            channel: channel_from_proto(request.channel),
            contact_phone: request.contact.as_ref().map(|c| c.phone.clone()).unwrap_or_default(),
            contact_email: request.contact.map(|c| c.email).unwrap_or_default(),
        };
        reply(self.service.receive(&caller, command).await, receipt)
    }


    async fn sign(
        &self,
        request: Request<pb::SignRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let command = SignCommand {
            request_id: request.request_id,
            credential_id: request.credential_id,
            dossier_code: request.dossier_code,
            note: request.note,
            result: request.result.map(document),
            content: request.content.map(result_content),
            metadata: metadata_input(request.metadata),
            more_results: request
                .more_results
                .into_iter()
                .map(|item| ResultItem {
                    result: item.result.map(document),
                    content: item.content.map(result_content),
                    metadata: metadata_input(item.metadata),
                })
                .collect(),
        };
        reply(self.service.sign(&caller, command).await, receipt)
    }

    async fn prepare_step(
        &self,
        request: Request<pb::PrepareStepRequest>,
    ) -> Result<Response<pb::PreparedStep>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let command = external_step_command(request.step, request.request)?;
        reply(
            self.service.prepare_step(&caller, command).await,
            |prepared| pb::PreparedStep {
                session_id: prepared.session_id,
                record: prepared.record,
                record_sha256: prepared.record_sha256.to_vec(),
                data_to_sign: prepared.data_to_sign,
                data_to_sign_sha256: prepared.data_to_sign_sha256.to_vec(),
                signature_algorithm: prepared.signature_algorithm,
                expires_at: rfc3339(prepared.expires_at),
            },
        )
    }

    async fn complete_step(
        &self,
        request: Request<pb::CompleteStepRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let command = external_step_command(request.step, request.request)?;
        let receipt_of = self
            .service
            .complete_step(&caller, &request.session_id, &request.signature_value, command)
            .await;
        reply(receipt_of, receipt)
    }

    async fn get(&self, request: Request<pb::GetRequest>) -> Result<Response<pb::Dossier>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let view = self
            .service
            .get(&caller, &request.dossier_code, request.include_result_content)
            .await;
        reply(view, dossier)
    }

    async fn get_form(
        &self,
        request: Request<pb::GetFormRequest>,
    ) -> Result<Response<pb::FormDocument>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let form = self
            .service
            .get_form(&caller, &request.dossier_code, &request.form)
            .await;
        reply(form, form_document)
    }

    async fn get_document(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let document = self
            .service
            .get_document(&caller, &request.dossier_code, &request.sha256)
            .await;
        reply(document, |(stored, content)| pb::Document {
            name: stored.name,
            media_type: stored.media_type,
            content,
        })
    }

    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let method = match pb::PaymentMethod::try_from(request.method) {
            Ok(pb::PaymentMethod::Cash) => Some(PaymentMethod::Cash),
            Ok(pb::PaymentMethod::BankTransfer) => Some(PaymentMethod::BankTransfer),
            Ok(pb::PaymentMethod::QrPayment) => Some(PaymentMethod::QrPayment),
            Ok(pb::PaymentMethod::Unspecified) | Err(_) => None,
        };
        let command = PaymentCommand {
            request_id: request.request_id,
            credential_id: request.credential_id,
            dossier_code: request.dossier_code,
            amount_vnd: request.amount_vnd,
            method,
            reference: request.reference,
            note: request.note,
        };
        reply(self.service.record_payment(&caller, command).await, receipt)
    }

    async fn extend(
        &self,
        request: Request<pb::ExtendRequest>,
    ) -> Result<Response<pb::StepReceipt>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let command = ExtendCommand {
            request_id: request.request_id,
            credential_id: request.credential_id,
            dossier_code: request.dossier_code,
            reason: request.reason,
            new_due_date: request.new_due_date,
            working_days: request.working_days,
            documents: documents(request.documents),
        };
        reply(self.service.extend(&caller, command).await, receipt)
    }

    async fn track(
        &self,
        request: Request<pb::TrackRequest>,
    ) -> Result<Response<pb::Progress>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let view = self
            .service
            .track(&caller, &request.dossier_code, &request.applicant_id)
            .await;
        reply(view, progress)
    }

    type WatchStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::Event, Status>> + Send + 'static>,
    >;

    async fn watch(
        &self,
        request: Request<pb::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let caller = caller_of(&self.service, &request);
        let request = request.into_inner();
        let mut steps = Vec::with_capacity(request.steps.len());
        for step in &request.steps {
            steps.push(
                pb::Step::try_from(*step)
                    .ok()
                    .and_then(step_from_proto)
                    .ok_or_else(|| Status::invalid_argument(format!("unknown step {step}")))?,
            );
        }
        let input = WatchInput {
            after: request.after_sequence,
            departments: request.departments,
            steps,
            stop_at_end: request.stop_at_end,
        };
        let events = self
            .service
            .watch(&caller, input)
            .await
            .map_err(to_status)?;
        let stream = tokio_stream::StreamExt::map(ReceiverStream::new(events), |item| {
            item.map(event).map_err(to_status)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
