//! Idempotency: a request id answers its first answer again, rebuilt from the stored record;
//! the same id with another payload is refused.

use super::{
    answers::Receipt, audit::Call, checks::parse_dossier_code, core::Service, error::Error,
};
use crate::{archive::Archive, proto::v1 as pb, record};

impl<A: Archive> Service<A> {
    /// The first answer to a request id, if it was already used for the same call.
    pub(super) async fn replay(
        &self,
        method: &str,
        request_id: &str,
        fingerprint: &[u8; 32],
    ) -> Result<Option<Receipt>, Error> {
        let Some(stored) = self.archive.find_request(request_id).await? else {
            return Ok(None);
        };
        if stored.method != method || stored.fingerprint != fingerprint {
            return Err(Error::AlreadyExists(format!(
                "request id {request_id:?} was already used for a different {} call; use a new request id for a new request",
                if stored.method == method { "payload of this".to_owned() } else { stored.method.clone() }
            )));
        }
        let code = parse_dossier_code(&stored.dossier_code)
            .map_err(|e| Error::Internal(format!("stored request: {e}")))?;
        let record = self
            .archive
            .record(&code, stored.sequence)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "request {request_id:?} points at a missing record {} of {code}",
                    stored.sequence
                ))
            })?;
        let decoded = record::decode(&record.record)
            .map_err(|e| Error::Internal(format!("stored record cannot be decoded: {e}")))?;
        let state = pb::DossierState::try_from(decoded.state_after)
            .ok()
            .and_then(record::state_from_proto)
            .ok_or_else(|| Error::Internal("stored record has no state".to_owned()))?;
        let log = self
            .archive
            .log_receipt(&record.record_sha256)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "record {} of {code} is not in the log",
                    stored.sequence
                ))
            })?;
        let forms = self.forms_of(&code, record.sequence).await?;
        let result_codes = if decoded.result_codes.is_empty() {
            (!decoded.result_code.is_empty())
                .then(|| decoded.result_code.clone())
                .into_iter()
                .collect()
        } else {
            decoded.result_codes.clone()
        };
        Ok(Some(Receipt {
            forms,
            result_codes,
            log,
            dossier_code: code,
            state,
            due_date: decoded.due_date.clone(),
            result_code: (!decoded.result_code.is_empty()).then(|| decoded.result_code.clone()),
            record,
            decoded,
        }))
    }

    /// A concurrent call with the same request id committed first: answer as it did.
    pub(super) async fn replay_after_race(
        &self,
        call: &Call<'_>,
        request_id: &str,
        fingerprint: &[u8; 32],
    ) -> Result<Receipt, Error> {
        self.replay(call.method, request_id, fingerprint)
            .await?
            .ok_or_else(|| {
                Error::Aborted(format!(
                    "request id {request_id:?} is being processed concurrently; retry"
                ))
            })
    }
}
