//! Errors and sizes at the gRPC boundary: a domain [`service::Error`] becomes the status code the
//! API documents, and a single message is bounded by the configured document limit.

use tonic::{Response, Status};

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
        E::AlreadyExists(m) => Status::already_exists(m),
        E::ResourceExhausted(m) => Status::resource_exhausted(m),
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
