//! Revocation and supersession of issued results.

use super::{Error, Receipt, Service};
use crate::archive::Archive;

/// Revoke an issued result, or mark it superseded by `replacement_code`.
#[derive(Debug, Clone, Default)]
pub struct RevokeCommand {
    pub request_id: String,
    pub credential_id: String,
    pub result_code: String,
    pub reason: String,
    pub replacement_code: String,
}

impl<A: Archive> Service<A> {
    pub async fn revoke_result(&self, _command: RevokeCommand) -> Result<Receipt, Error> {
        Err(Error::FailedPrecondition("not implemented yet".to_owned()))
    }
}
