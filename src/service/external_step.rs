//! Steps whose record the official signs with their own token: the service never sees the key.
//! Preparing checks the step exactly as the step's own call would, and stores a session (in
//! the database, so any replica completes it) holding only what binds the completion: the
//! request's fingerprint, the dossier's version and the time the record carries. Completing
//! takes the session, rebuilds the same record from the same request and the same stored
//! dossier, checks the token's signature over it and commits like any step. The request's
//! documents are sent again rather than kept, as `CompleteSignature` resends its PDF.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    answers::Receipt,
    audit::{method_name, unix_millis, Call},
    checks::parse_dossier_code,
    commands::StepCommand,
    core::Service,
    details::StepDetails,
    error::Error,
    fingerprint, input,
    sessions::{random_bytes, SESSION_LIFETIME, STEP_SESSION_PREFIX},
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, SigningSession},
    crypto, record,
};

/// What [`Service::prepare_step`] hands the official's token.
#[derive(Debug, Clone)]
pub struct PreparedStep {
    pub session_id: String,
    /// The encoded `StepRecord` that will be committed.
    pub record: Vec<u8>,
    pub record_sha256: [u8; 32],
    /// DER signed attributes over the record: the bytes the token signs.
    pub data_to_sign: Vec<u8>,
    pub data_to_sign_sha256: [u8; 32],
    pub signature_algorithm: String,
    pub expires_at: OffsetDateTime,
}

/// The session's stored half, JSON in `signing_sessions.prepared`.
#[derive(Debug, Serialize, Deserialize)]
struct StepSession {
    dossier_code: String,
    step: String,
    credential_id: String,
    /// The dossier's version the record was built on: completion is refused once it changed.
    dossier_version: i64,
    /// The time the record carries (and the step takes effect at).
    prepared_at_ms: i64,
    record_sha256: String,
}

impl<A: Archive> Service<A> {
    /// External signing of a step, step 1: the record and the bytes the official's token signs.
    pub async fn prepare_step(
        &self,
        caller: &Caller,
        command: StepCommand,
    ) -> Result<PreparedStep, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            ..self.call(caller, "PrepareStep")
        };
        self.audited_read(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            self.prepare_step_inner(&call, &command).await
        })
        .await
    }

    async fn prepare_step_inner(
        &self,
        call: &Call<'_>,
        command: &StepCommand,
    ) -> Result<PreparedStep, Error> {
        input::check_request_id(&command.request_id)?;
        let fingerprint = fingerprint::step(command);
        if self
            .replay(method_name(command.step), &command.request_id, &fingerprint)
            .await?
            .is_some()
        {
            return Err(Error::FailedPrecondition(format!(
                "request {:?} was already performed; Dossiers.{} with the same request returns its receipt",
                command.request_id,
                method_name(command.step)
            )));
        }
        let code = parse_dossier_code(&command.dossier_code)?;
        let row = self.load(&code).await?;
        let plan = self
            .plan_step(call, command, &code, &row, &StepDetails::None)
            .await?;
        let credential = plan.credential;
        let write = plan.write(command, &code, &row, fingerprint, None);
        let draft = write.draft(call.at)?;
        let record_bytes = record::encode(&draft);
        let record_sha256 = crypto::sha256(&record_bytes);
        let attributes = record::signed_attributes(&draft, &record_bytes)
            .map_err(|e| Error::Internal(format!("the record's signed attributes: {e}")))?;
        let data_to_sign = attributes.bytes_to_sign().to_vec();

        let session_id = format!("{STEP_SESSION_PREFIX}{}", hex::encode(random_bytes()?));
        let expires_at = call.at + SESSION_LIFETIME;
        let stored = StepSession {
            dossier_code: code.to_string(),
            step: command.step.as_str().to_owned(),
            credential_id: credential.id().to_owned(),
            dossier_version: row.version,
            prepared_at_ms: unix_millis(call.at),
            record_sha256: hex::encode(record_sha256),
        };
        let session = SigningSession {
            session_id: session_id.clone(),
            input_sha256: fingerprint.to_vec(),
            prepared: serde_json::to_string(&stored)
                .map_err(|e| Error::Internal(format!("storing the step session: {e}")))?,
            created_at_ms: unix_millis(call.at),
            expires_at_ms: unix_millis(expires_at),
        };
        self.archive.put_signing_session(&session).await?;
        Ok(PreparedStep {
            session_id,
            record: record_bytes,
            record_sha256,
            data_to_sign_sha256: crypto::sha256(&data_to_sign),
            data_to_sign,
            signature_algorithm: credential.signature_algorithm().to_string(),
            expires_at,
        })
    }

    /// External signing of a step, step 2: the same request and the token's signature value.
    pub async fn complete_step(
        &self,
        caller: &Caller,
        session_id: &str,
        signature_value: &[u8],
        command: StepCommand,
    ) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            ..self.call(caller, method_name(command.step))
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            self.complete_step_inner(&call, session_id, signature_value, &command)
                .await
        })
        .await
    }

    async fn complete_step_inner(
        &self,
        call: &Call<'_>,
        session_id: &str,
        signature_value: &[u8],
        command: &StepCommand,
    ) -> Result<Receipt, Error> {
        if !session_id.starts_with(STEP_SESSION_PREFIX) {
            return Err(Error::InvalidArgument(format!(
                "session_id {session_id:?} is not a step session (PrepareStep returns one)"
            )));
        }
        if signature_value.is_empty() {
            return Err(Error::InvalidArgument(
                "signature_value is empty".to_owned(),
            ));
        }
        input::check_request_id(&command.request_id)?;
        let fingerprint = fingerprint::step(command);
        // A completion retried after it committed answers like the step's own retry.
        if let Some(receipt) = self
            .replay(call.method, &command.request_id, &fingerprint)
            .await?
        {
            return Ok(receipt);
        }
        let session = self
            .archive
            .take_signing_session(session_id)
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "step session {session_id:?} does not exist, was already completed, or expired; prepare the step again"
                ))
            })?;
        if session.expires_at_ms < unix_millis(call.at) {
            return Err(Error::FailedPrecondition(format!(
                "step session {session_id:?} expired; prepare the step again"
            )));
        }
        if session.input_sha256 != fingerprint {
            return Err(Error::InvalidArgument(
                "the request differs from the one the step was prepared for; send the same request (documents included) or prepare again".to_owned(),
            ));
        }
        let stored: StepSession = serde_json::from_str(&session.prepared)
            .map_err(|e| Error::Internal(format!("stored step session: {e}")))?;
        // The credential must still be usable now, not only when the step was prepared.
        self.credential(&command.credential_id, call.at)?;

        let code = parse_dossier_code(&command.dossier_code)?;
        let row = self.load(&code).await?;
        if row.version != stored.dossier_version {
            return Err(Error::FailedPrecondition(format!(
                "dossier {code} changed since the step was prepared (another step was committed); prepare the step again"
            )));
        }
        let prepared_at = OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(stored.prepared_at_ms) * 1_000_000,
        )
        .map_err(|e| Error::Internal(format!("stored step session time: {e}")))?;
        // The step is rebuilt as of its preparation: the record the token signed.
        let as_prepared = Call {
            at: prepared_at,
            ..*call
        };
        let plan = self
            .plan_step(&as_prepared, command, &code, &row, &StepDetails::None)
            .await?;
        let write = plan.write(command, &code, &row, fingerprint, Some(signature_value));
        if hex::encode(crypto::sha256(&record::encode(&write.draft(prepared_at)?)))
            != stored.record_sha256
        {
            return Err(Error::FailedPrecondition(format!(
                "the record of dossier {code} no longer matches the one prepared; prepare the step again"
            )));
        }
        self.commit_step(&as_prepared, write).await
    }
}
