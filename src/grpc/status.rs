//! Errors and sizes at the gRPC boundary: a domain [`service::Error`] becomes the status code the
//! API documents, and a single message is bounded by the configured document limit.

use std::any::Any;

use tonic::{codegen::http, Response, Status};

use crate::service;

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
        E::Unauthenticated(m) => Status::unauthenticated(m),
        E::AlreadyExists(m) => Status::already_exists(m),
        E::ResourceExhausted(m) | E::Busy(m) => Status::resource_exhausted(m),
        E::Aborted(m) => Status::aborted(m),
        E::OutOfRange(m) => Status::out_of_range(m),
        E::Unavailable(m) => Status::unavailable(m),
        E::DataLoss(m) => Status::data_loss(m),
        E::Internal(m) => Status::internal(m),
    }
}

/// The answer of a unary call: the use case's result in its wire form, or its error as a status.
pub(super) fn reply<T, U>(
    result: Result<T, service::Error>,
    to_wire: impl FnOnce(T) -> U,
) -> Result<Response<U>, Status> {
    result
        .map(|value| Response::new(to_wire(value)))
        .map_err(to_status)
}

/// The last line of defence: a panic that escaped a use case (in decoding, mapping or a
/// handler) is answered `INTERNAL` on that call alone, logged under an incident number, and the
/// server keeps serving. Used with `tower_http::catch_panic::CatchPanicLayer`.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> http::Response<tonic::body::Body> {
    let incident = service::incident_number();
    tracing::error!(
        incident,
        panic = service::panic_text(panic.as_ref()),
        "a gRPC call panicked; answered INTERNAL"
    );
    let message = format!("internal error (incident {incident})");
    let mut response = http::Response::new(tonic::body::Body::empty());
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", http::HeaderValue::from_static("13"));
    if let Ok(value) = http::HeaderValue::from_str(&message) {
        headers.insert("grpc-message", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_answered_internal_in_grpc_terms() {
        let response = panic_response(Box::new("index out of bounds"));
        assert_eq!(response.status(), http::StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "application/grpc");
        assert_eq!(headers["grpc-status"], "13");
        let message = headers["grpc-message"].to_str().unwrap();
        assert!(
            message.starts_with("internal error (incident "),
            "{message}"
        );
        assert!(!message.contains("index"), "{message}");
    }
}
