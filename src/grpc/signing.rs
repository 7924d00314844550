//! The `Signing` service: credentials, signing any PDF (streamed), external signing in two
//! steps, and RFC 3161 timestamps.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    callers::caller_of,
    convert::{credential, level_from_proto, rfc3339},
    status::to_status,
    streams::{receive_upload, signed_document_stream, PartStream, Upload},
};
use crate::{
    access::{Caller, Permission},
    archive::Archive,
    proto::v1::{
        self as pb,
        signing_server::{Signing, SigningServer},
    },
    service::{ExternalSigner, Service, SignOptions},
};

pub struct SigningApi<A> {
    service: Arc<Service<A>>,
}
pub fn signing_server<A: Archive>(service: Arc<Service<A>>) -> SigningServer<SigningApi<A>> {
    SigningServer::new(SigningApi { service })
}
/// `SignatureParameters` and `PrepareParameters` share the signature's options field for
/// field; they are read in one place.
macro_rules! sign_options {
    ($p:expr) => {
        SignOptions {
            level: level_from_proto($p.level)?,
            visible: $p.visible,
            field_name: $p.field_name,
            reason: $p.reason,
            location: $p.location,
            certify: $p.certify,
        }
    };
}

impl<A: Archive> SigningApi<A> {
    /// Reads a streamed upload, bounded by the configured document limit.
    /// Reads a streamed upload, bounded by the configured document limit, once the caller
    /// is known to hold the signing grant: nobody else gets to make the server buffer bytes.
    async fn upload<R: Upload>(
        &self,
        request: Request<tonic::Streaming<R>>,
    ) -> Result<(Caller, R::Parameters, Vec<u8>), Status> {
        let caller = caller_of(&self.service, &request);
        caller
            .require_some(Permission::Sign)
            .map_err(|e| to_status(e.into()))?;
        let (parameters, input) = receive_upload(
            request.into_inner(),
            self.service.limits().max_document_bytes,
        )
        .await?;
        Ok((caller, parameters, input))
    }
}

#[tonic::async_trait]
impl<A: Archive> Signing for SigningApi<A> {
    async fn list_credentials(
        &self,
        request: Request<pb::ListCredentialsRequest>,
    ) -> Result<Response<pb::ListCredentialsResponse>, Status> {
        let caller = caller_of(&self.service, &request);
        let department = request.into_inner().department;
        let keys = self.service.keys();
        let credentials = self
            .service
            .credentials_for(&caller, &department)
            .map_err(to_status)?
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
        let (caller, p, input) = self.upload(request).await?;
        if p.size != 0 && p.size != input.len() as u64 {
            return Err(Status::invalid_argument(format!(
                "the document is {} bytes but the parameters announced {}",
                input.len(),
                p.size
            )));
        }
        let options = sign_options!(p);
        let signed = self
            .service
            .sign_document(&caller, &p.credential_id, &options, &input)
            .await
            .map_err(to_status)?;
        Ok(Response::new(signed_document_stream(input, signed)))
    }

    async fn prepare_signature(
        &self,
        request: Request<tonic::Streaming<pb::PrepareSignatureRequest>>,
    ) -> Result<Response<pb::PrepareSignatureResponse>, Status> {
        let (caller, p, input) = self.upload(request).await?;
        let signer = p.signer.unwrap_or_default();
        let options = sign_options!(p);
        let external = ExternalSigner {
            certificate_der: signer.certificate,
            chain_der: signer.chain,
            signer_name: p.signer_name,
            position: p.position,
            organisation: p.organisation,
        };
        let prepared = self
            .service
            .prepare_signature(&caller, &external, &options, &input)
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
        let (caller, p, input) = self.upload(request).await?;
        let signed = self
            .service
            .complete_signature(&caller, &p.session_id, &p.signature_value, &input)
            .await
            .map_err(to_status)?;
        Ok(Response::new(signed_document_stream(input, signed)))
    }

    async fn timestamp(
        &self,
        request: Request<pb::TimestampRequest>,
    ) -> Result<Response<pb::TimestampResponse>, Status> {
        let caller = caller_of(&self.service, &request);
        let token = self
            .service
            .timestamp(&caller, &request.into_inner().sha256)
            .map_err(to_status)?;
        Ok(Response::new(pb::TimestampResponse { token }))
    }
}
