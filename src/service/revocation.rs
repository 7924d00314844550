//! Revocation and supersession of issued results: a signed record appended to the dossier's
//! chain (and its log) by the leader of the handling department, and the result's status
//! changed in the same transaction, so reuse (`FindReusable`, citations in `Receive`) refuses
//! it from then on while the record of why stays in the archive forever.

use super::{
    answers::Receipt,
    audit::Call,
    checks::{parse_dossier_code, stored_state},
    commit::StepWrite,
    core::Service,
    error::Error,
    input,
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, DossierChange, ResultRevocation},
    crypto,
    flow::{self, Actor, ResultCode, Step},
    proto::v1 as pb,
};

/// Revoke an issued result, or mark it superseded by `replacement_code`.
#[derive(Debug, Clone, Default)]
pub struct RevokeCommand {
    pub request_id: String,
    pub credential_id: String,
    pub result_code: String,
    pub reason: String,
    /// Empty: revoked; otherwise the (issued, valid) result of the same applicant replacing it.
    pub replacement_code: String,
}

/// Every field, length-prefixed: a retry with another reason is another request.
fn fingerprint(c: &RevokeCommand) -> [u8; 32] {
    let mut data = Vec::new();
    for field in [
        "RevokeResult",
        &c.credential_id,
        &c.result_code,
        &c.reason,
        &c.replacement_code,
    ] {
        data.extend_from_slice(&(field.len() as u64).to_be_bytes());
        data.extend_from_slice(field.as_bytes());
    }
    crypto::sha256(&data)
}

fn parse_result_code(name: &str, text: &str) -> Result<ResultCode, Error> {
    if text.trim().is_empty() {
        return Err(Error::InvalidArgument(format!("{name} is empty")));
    }
    text.parse()
        .map_err(|e: flow::CodeError| Error::InvalidArgument(format!("{name}: {e}")))
}

impl<A: Archive> Service<A> {
    pub async fn revoke_result(
        &self,
        caller: &Caller,
        command: RevokeCommand,
    ) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            ..self.call(caller, "RevokeResult")
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Admin, &command.credential_id)
                .await?;
            self.revoke_inner(&call, &command).await
        })
        .await
    }

    async fn revoke_inner(
        &self,
        call: &Call<'_>,
        command: &RevokeCommand,
    ) -> Result<Receipt, Error> {
        input::check_request_id(&command.request_id)?;
        let fingerprint = fingerprint(command);
        if let Some(receipt) = self
            .replay(call.method, &command.request_id, &fingerprint)
            .await?
        {
            return Ok(receipt);
        }
        let code = parse_result_code("result_code", &command.result_code)?;
        if command.reason.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "reason is empty: say why the result is revoked or superseded".to_owned(),
            ));
        }
        input::check_note(&command.reason, &self.limits)?;
        let replacement = if command.replacement_code.trim().is_empty() {
            None
        } else {
            let replacement = parse_result_code("replacement_code", &command.replacement_code)?;
            if replacement == code {
                return Err(Error::InvalidArgument(format!(
                    "result {code} cannot supersede itself"
                )));
            }
            Some(replacement)
        };
        let result = self
            .archive
            .result_by_code(&code.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("result {code} does not exist")))?;
        if result.issued_at_ms.is_none() {
            return Err(Error::FailedPrecondition(format!(
                "result {code} has not been issued yet; a dossier that is not returned is refused or stopped instead"
            )));
        }
        if result.status != "valid" {
            return Err(Error::FailedPrecondition(format!(
                "result {code} is already {}{}",
                result.status,
                result
                    .status_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )));
        }
        let mut cited = Vec::new();
        if let Some(replacement) = &replacement {
            let new = self
                .archive
                .result_by_code(&replacement.to_string())
                .await?
                .ok_or_else(|| {
                    Error::NotFound(format!("replacement result {replacement} does not exist"))
                })?;
            if new.applicant_id != result.applicant_id {
                return Err(Error::FailedPrecondition(format!(
                    "replacement result {replacement} was issued to another applicant"
                )));
            }
            if new.issued_at_ms.is_none() || new.status != "valid" {
                return Err(Error::FailedPrecondition(format!(
                    "replacement result {replacement} is not an issued, valid result"
                )));
            }
            // The signed record names the replacement by code and hash.
            cited.push(pb::CitedResult {
                result_code: new.result_code,
                sha256: new.sha256,
                document_name: new.name,
            });
        }
        let credential = self.credential(&command.credential_id, call.at)?;
        let dossier = parse_dossier_code(&result.dossier_code)
            .map_err(|e| Error::Internal(format!("stored result {code}: {e}")))?;
        let row = self.load(&dossier).await?;
        let state = flow::check_revoke(
            stored_state(&row)?,
            &Actor {
                role: credential.role(),
                department: credential.department(),
            },
            &row.department,
        )?;
        let change = DossierChange {
            state: state.as_str().to_owned(),
            revoke_result: Some(ResultRevocation {
                result_code: code.to_string(),
                status: if replacement.is_some() {
                    "superseded"
                } else {
                    "revoked"
                }
                .to_owned(),
                reason: command.reason.trim().to_owned(),
                superseded_by: replacement.as_ref().map(ToString::to_string),
            }),
            ..DossierChange::default()
        };
        let call = Call {
            dossier_code: &result.dossier_code,
            ..*call
        };
        let write = StepWrite {
            code: &dossier,
            row: &row,
            step: Step::Revoke,
            state,
            credential,
            note: command.reason.trim(),
            documents: Vec::new(),
            named_only: Vec::new(),
            cited_results: cited,
            change,
            fingerprint,
            due_date: row.due_date.clone(),
            previous_due_date: String::new(),
            payment: None,
            result_code: code.to_string(),
            external_signature: None,
            forms: Vec::new(),
            result_codes: Vec::new(),
        };
        self.commit_step(&call, write).await
    }
}
