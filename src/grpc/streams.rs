//! Streams to buffers and back: client-streamed uploads (parameters first, then the document in
//! chunks) read into one bounded buffer, and signed documents streamed out in chunks without
//! joining the input and the appended bytes in memory.

use std::{future::Future, panic::AssertUnwindSafe, sync::Arc};

use futures_util::FutureExt as _;

use tonic::Status;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{convert::level_to_proto, status::to_status};
use crate::{
    proto::v1 as pb,
    service::{self, SignedDocument},
};

/// The parts of a client-streamed upload: parameters first, then the document in chunks.
pub(super) enum UploadPart<P> {
    Parameters(P),
    Chunk(Vec<u8>),
}

pub(super) trait Upload {
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
pub(super) async fn receive_upload<R: Upload>(
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

pub(super) type PartStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::SignedDocumentPart, Status>> + Send>,
>;

/// Streams `input ‖ appendix` back after a summary, without joining them in memory.
pub(super) fn signed_document_stream(input: Vec<u8>, signed: SignedDocument) -> PartStream {
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

/// Runs a streaming use case on a task of its own and forwards what it sends to a gRPC response
/// stream, mapping each item to its wire form. It stops as soon as the client goes away; a
/// panic in the use case ends the stream with `INTERNAL`, never with a silently short stream.
pub(super) fn forward<T, U, F>(
    use_case: impl FnOnce(mpsc::Sender<Result<T, service::Error>>) -> F,
    to_wire: impl Fn(T) -> U + Send + 'static,
) -> ReceiverStream<Result<U, Status>>
where
    T: Send + 'static,
    U: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let (service_tx, mut from) = mpsc::channel(4);
    let on_panic = service_tx.clone();
    let work = use_case(service_tx);
    tokio::spawn(async move {
        if let Err(panic) = AssertUnwindSafe(work).catch_unwind().await {
            let incident = service::incident_number();
            tracing::error!(
                incident,
                panic = service::panic_text(panic.as_ref()),
                "a streaming use case panicked; its stream ends with INTERNAL"
            );
            let error = service::Error::Internal(format!("internal error (incident {incident})"));
            let _ = on_panic.send(Err(error)).await;
        }
    });
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        while let Some(item) = from.recv().await {
            if tx
                .send(item.map(&to_wire).map_err(to_status))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Reads a `VerifyDocument` upload: an optional result code in the first message only, and the
/// PDF in chunks, bounded by `limit`.
pub(super) async fn receive_verification_upload(
    mut stream: tonic::Streaming<pb::VerifyDocumentRequest>,
    limit: u64,
) -> Result<(Option<String>, Vec<u8>), Status> {
    let mut code = None;
    let mut pdf = Vec::new();
    let mut first = true;
    while let Some(message) = stream.message().await? {
        if first {
            code = Some(message.result_code.clone()).filter(|c| !c.trim().is_empty());
            first = false;
        } else if !message.result_code.is_empty() {
            return Err(Status::invalid_argument(
                "the result code may be sent only in the first message",
            ));
        }
        if (pdf.len() + message.chunk.len()) as u64 > limit {
            return Err(Status::resource_exhausted(format!(
                "the document is larger than the limit of {limit} bytes"
            )));
        }
        pdf.extend_from_slice(&message.chunk);
    }
    if pdf.is_empty() {
        return Err(Status::invalid_argument("no document was sent"));
    }
    Ok((code, pdf))
}
