//! The `Dossiers` service: the five steps and the other outcomes of a dossier, and `Get`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    callers::caller_of,
    convert::{document, documents, dossier, metadata_input, receipt},
    status::{max_message_bytes, reply},
};
use crate::{
    archive::Archive,
    flow::Step,
    proto::v1::{
        self as pb,
        dossiers_server::{Dossiers, DossiersServer},
    },
    service::{ApplicantInput, ReceiveCommand, ResultContent, Service, SignCommand, StepCommand},
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
        reply(self.service.sign(&caller, command).await, receipt)
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
}
