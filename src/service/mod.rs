//! Use cases: receive, the later steps, and reading a dossier back.
//!
//! Each use case validates its input, asks `flow` whether the step is allowed for this actor,
//! signs the step record with the actor's credential (`record`, `cms`, `pki`), and commits
//! everything through the `archive` in one transaction. Nothing here knows gRPC: the `api`
//! layer maps [`Error`] to status codes.

pub mod archivist;
mod error;
mod fsck;
mod input;
pub mod renewal;
mod result;
mod retrieval;
mod revocation;
pub mod signing;
pub mod verification;

use std::sync::Arc;

use time::OffsetDateTime;

pub use archivist::{ExportChunk, ExportSelection};
pub use error::Error;
pub use fsck::fsck;
pub use input::{ApplicantInput, DocumentInput, Limits};
pub use renewal::{RenewalAction, RenewalOptions, RenewalOutcome, RenewalPlan, RenewalProgress};
pub use retrieval::{Consistency, Inclusion, LeafKey, RecordKey, SearchInput, SearchPage};
pub use revocation::RevokeCommand;

use crate::{
    archive::{
        Archive, ArchiveError, AuditEntry, DossierChange, DossierRow, IssuedResult, LogReceipt,
        NewDocument, NewDossier, NewRecord, RequestMark, StoredDocument, StoredRecord,
        StoredResult,
    },
    cms,
    flow::{
        self,
        calendar::{self, Timeliness, WorkingCalendar},
        catalog::{Catalog, Procedure},
        codes::{DossierCode, ProcedureCode, ResultCode},
        Actor, Role, State, Step,
    },
    pki::{self, Credential, KeyStore},
    proto::v1 as pb,
    record,
};

/// Where "now" comes from; tests of deadlines substitute a fixed clock.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

/// Receive a new dossier, or re-receive one after a supplement.
#[derive(Debug, Clone, Default)]
pub struct ReceiveCommand {
    pub request_id: String,
    pub credential_id: String,
    pub procedure_code: String,
    pub applicant: ApplicantInput,
    pub documents: Vec<DocumentInput>,
    pub note: String,
    /// The dossier code of a dossier in `SupplementRequested`, for a re-receipt.
    pub supplement_of: String,
    /// Result codes cited instead of uploaded copies.
    pub cited_results: Vec<String>,
}

/// Any step on an existing dossier except sign.
#[derive(Debug, Clone)]
pub struct StepCommand {
    pub step: Step,
    pub request_id: String,
    pub credential_id: String,
    pub dossier_code: String,
    pub note: String,
    pub documents: Vec<DocumentInput>,
}

/// Step 4: the result document, signed by the competent signer and then the seal.
#[derive(Debug, Clone)]
pub struct SignCommand {
    pub request_id: String,
    pub credential_id: String,
    pub dossier_code: String,
    pub note: String,
    /// A PDF made by the department system…
    pub result: Option<DocumentInput>,
    /// …or the content for the service to render.
    pub content: Option<ResultContent>,
    pub metadata: ResultMetadata,
}

/// A result document's content, for the service to render (Decree 30/2020 layout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultContent {
    pub issuing_body: String,
    pub number_notation: String,
    pub place_and_date: String,
    pub title: String,
    pub subtitle: String,
    pub body: Vec<String>,
    pub signer_position: String,
}

/// Archival metadata of a result (Decree 30/2020, appendix VI), kept as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ResultMetadata {
    pub document_type: String,
    pub number_notation: String,
    pub issue_date: String,
    pub issuing_body: String,
    pub subject: String,
    pub language: String,
    pub retention: String,
}

impl ResultMetadata {
    /// Stored metadata; a row that does not parse shows as empty rather than failing a read.
    pub fn from_json(text: &str) -> ResultMetadata {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// What a step answers: the new state and the signed record.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub dossier_code: DossierCode,
    pub state: State,
    pub record: StoredRecord,
    pub decoded: pb::StepRecord,
    pub due_date: String,
    pub result_code: Option<String>,
    /// The record's inclusion in the transparency log.
    pub log: LogReceipt,
}

/// A dossier as `Get` shows it.
#[derive(Debug, Clone)]
pub struct DossierView {
    pub row: DossierRow,
    pub state: State,
    pub procedure_name: String,
    pub timeliness: Timeliness,
    pub allowed_steps: Vec<Step>,
    pub documents: Vec<StoredDocument>,
    pub records: Vec<(StoredRecord, pb::StepRecord)>,
    pub result: Option<StoredResult>,
    pub result_content: Option<Vec<u8>>,
}

pub struct Service<A> {
    archive: A,
    keys: KeyStore,
    catalog: Catalog,
    calendar: WorkingCalendar,
    limits: Limits,
    clock: Clock,
    timestamper: Option<Arc<dyn cms::Timestamper>>,
    /// What verification trusts; `None`: the PKI's own root and CRLs.
    trust: Option<crate::verify::TrustConfig>,
    /// Where citizens verify results; the QR code links to `<public_url>/v/<result code>`.
    public_url: String,
}

/// The public address of the verification page when none is configured.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Context of one call, for the audit trail.
struct Call<'a> {
    method: &'static str,
    request_id: &'a str,
    credential_id: &'a str,
    dossier_code: &'a str,
    at: OffsetDateTime,
}

impl Call<'_> {
    fn audit(&self, outcome: &str, message: String) -> AuditEntry {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        AuditEntry {
            at_ms: unix_millis(self.at),
            method: self.method.to_owned(),
            request_id: non_empty(self.request_id),
            credential_id: non_empty(self.credential_id),
            dossier_code: non_empty(self.dossier_code),
            outcome: outcome.to_owned(),
            message,
        }
    }
}

fn unix_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn method_name(step: Step) -> &'static str {
    match step {
        Step::Receive => "Receive",
        Step::Appraise => "Appraise",
        Step::Approve => "Approve",
        Step::Sign => "Sign",
        Step::Return => "Return",
        Step::RequestSupplement => "RequestSupplement",
        Step::Refuse => "Refuse",
        Step::Withdraw => "Withdraw",
        Step::Stop => "Stop",
        Step::Revoke => "RevokeResult",
    }
}

/// Steps whose record must say why.
fn needs_reason(step: Step) -> bool {
    matches!(
        step,
        Step::RequestSupplement | Step::Refuse | Step::Withdraw | Step::Stop | Step::Revoke
    )
}

impl<A: Archive> Service<A> {
    pub fn new(archive: A, keys: KeyStore, catalog: Catalog, limits: Limits, clock: Clock) -> Self {
        let calendar = catalog.calendar();
        Self {
            archive,
            keys,
            catalog,
            calendar,
            limits,
            clock,
            timestamper: None,
            trust: None,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
        }
    }

    /// The timestamp authority for PAdES B-T and above (the built-in one in `serve`).
    pub fn with_timestamper(mut self, timestamper: Arc<dyn cms::Timestamper>) -> Self {
        self.timestamper = Some(timestamper);
        self
    }

    /// The trust anchors and CRLs every verification uses.
    pub fn with_trust(mut self, trust: crate::verify::TrustConfig) -> Self {
        self.trust = Some(trust);
        self
    }

    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_owned();
        self
    }

    pub fn timestamper(&self) -> Option<&dyn cms::Timestamper> {
        self.timestamper.as_deref()
    }

    pub fn archive(&self) -> &A {
        &self.archive
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs a use case and writes the audit line of a failure (a success writes its own line
    /// inside its transaction, so the audit trail never claims a change that did not commit).
    async fn audited<T>(&self, call: &Call<'_>, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(error) = &result {
            let entry = call.audit(error.kind(), error.to_string());
            if let Err(audit_error) = self.archive.record_audit(&entry).await {
                tracing::error!(%audit_error, method = call.method, "could not write the audit line of a failed call");
            }
        }
        result
    }

    pub async fn receive(&self, command: ReceiveCommand) -> Result<Receipt, Error> {
        let call = Call {
            method: "Receive",
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.supplement_of,
            at: (self.clock)(),
        };
        let result = self.receive_inner(&call, &command).await;
        self.audited(&call, result).await
    }

    pub async fn step(&self, command: StepCommand) -> Result<Receipt, Error> {
        let call = Call {
            method: method_name(command.step),
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            at: (self.clock)(),
        };
        let result = self.step_inner(&call, &command).await;
        self.audited(&call, result).await
    }

    pub async fn sign(&self, command: SignCommand) -> Result<Receipt, Error> {
        let call = Call {
            method: "Sign",
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            at: (self.clock)(),
        };
        let result = self.sign_inner(&call, &command).await;
        self.audited(&call, result).await
    }

    pub async fn get(
        &self,
        dossier_code: &str,
        include_result_content: bool,
    ) -> Result<DossierView, Error> {
        let call = Call {
            method: "Get",
            request_id: "",
            credential_id: "",
            dossier_code,
            at: (self.clock)(),
        };
        let result = self
            .get_inner(&call, dossier_code, include_result_content)
            .await;
        // Reads of personal data are audited too, successful or not.
        self.audited_read(&call, &result).await;
        result
    }

    /// Audits a call that stores nothing of its own (reads, signing without a dossier):
    /// one line whatever the outcome.
    async fn audited_read<T>(&self, call: &Call<'_>, result: &Result<T, Error>) {
        let entry = match result {
            Ok(_) => call.audit("ok", String::new()),
            Err(error) => call.audit(error.kind(), error.to_string()),
        };
        if let Err(audit_error) = self.archive.record_audit(&entry).await {
            tracing::error!(%audit_error, method = call.method, "could not write an audit line");
        }
    }

    /// The credentials the service can sign with, optionally of one department.
    pub fn credentials(&self, department: &str) -> Vec<&pki::CredentialInfo> {
        self.keys
            .credentials()
            .map(Credential::info)
            .filter(|info| department.is_empty() || info.department == department)
            .collect()
    }

    // ---- use cases ----

    async fn receive_inner(
        &self,
        call: &Call<'_>,
        command: &ReceiveCommand,
    ) -> Result<Receipt, Error> {
        input::check_request_id(&command.request_id)?;
        let fingerprint = input::fingerprint_receive(command);
        if let Some(receipt) = self
            .replay(call.method, &command.request_id, &fingerprint)
            .await?
        {
            return Ok(receipt);
        }
        if !command.supplement_of.is_empty() {
            return self.re_receive(call, command, fingerprint).await;
        }
        let procedure = self.procedure(&command.procedure_code)?;
        let applicant = command.applicant.validate()?;
        let documents = self.documents(&command.documents)?;
        let cited = self
            .check_citations(&command.cited_results, &applicant.id)
            .await?;
        if documents.is_empty() && cited.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "a dossier needs at least one document or cited result; procedure {} requires: {}",
                procedure.code,
                procedure.required_documents.join("; ")
            )));
        }
        input::check_note(&command.note, &self.limits)?;
        let credential = self.credential(&command.credential_id, call.at)?;
        let state = self.check(None, Step::Receive, credential, &procedure.department)?;
        let department = self
            .catalog
            .department(&procedure.department)
            .ok_or_else(|| {
                Error::Internal(format!(
                    "procedure {} names department {} which the catalog lacks",
                    procedure.code, procedure.department
                ))
            })?;
        let received_on = calendar::vietnam_date(call.at);
        let due_date = self.due_date(received_on, procedure.processing_days)?;
        let new = NewDossier {
            agency: department.agency_code.clone(),
            received_on,
            procedure_code: procedure.code.to_string(),
            department: procedure.department.clone(),
            applicant_id: applicant.id.clone(),
            applicant_name: applicant.name.clone(),
            state: state.as_str().to_owned(),
            received_at_ms: unix_millis(call.at),
            due_date: due_date.clone(),
        };
        let request = RequestMark {
            request_id: command.request_id.clone(),
            method: call.method.to_owned(),
            fingerprint,
            at_ms: unix_millis(call.at),
        };
        let audit = call.audit("ok", format!("received for procedure {}", procedure.code));
        let outcome = self
            .archive
            .create_dossier(new, request, audit, |code: &DossierCode| {
                let draft = record::Draft {
                    dossier_code: code.to_string(),
                    sequence: 1,
                    step: Step::Receive,
                    state_after: state,
                    note: &command.note,
                    actor: credential,
                    documents: documents.iter().map(digest_of).collect(),
                    time_unix_millis: unix_millis(call.at),
                    previous_record_sha256: Vec::new(),
                    procedure_code: procedure.code.to_string(),
                    applicant_id: applicant.id.clone(),
                    due_date: due_date.clone(),
                    result_code: String::new(),
                    cited_results: cited.clone(),
                };
                new_record(&draft, 1, documents.clone())
            })
            .await;
        match outcome {
            Ok((code, record, log)) => receipt_from_new(code, state, &record, due_date, None, log),
            // A concurrent call under the same request id may have committed first.
            Err(Error::Aborted(message)) => {
                match self
                    .replay(call.method, &command.request_id, &fingerprint)
                    .await?
                {
                    Some(receipt) => Ok(receipt),
                    None => Err(Error::Aborted(message)),
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn re_receive(
        &self,
        call: &Call<'_>,
        command: &ReceiveCommand,
        fingerprint: [u8; 32],
    ) -> Result<Receipt, Error> {
        let code = parse_dossier_code(&command.supplement_of)?;
        if !command.cited_results.is_empty() {
            return Err(Error::InvalidArgument(
                "results can be cited when a dossier is first received, not in a re-receipt"
                    .to_owned(),
            ));
        }
        let row = self.load(&code).await?;
        if !command.procedure_code.is_empty() && command.procedure_code != row.procedure_code {
            return Err(Error::InvalidArgument(format!(
                "dossier {code} is for procedure {}, not {}",
                row.procedure_code, command.procedure_code
            )));
        }
        let procedure = self.procedure(&row.procedure_code)?;
        let documents = self.documents(&command.documents)?;
        if documents.is_empty() {
            return Err(Error::InvalidArgument(
                "a re-receipt after a supplement request needs the supplemented documents"
                    .to_owned(),
            ));
        }
        input::check_note(&command.note, &self.limits)?;
        let credential = self.credential(&command.credential_id, call.at)?;
        let from = stored_state(&row)?;
        let state = self.check(Some(from), Step::Receive, credential, &row.department)?;
        // The processing time starts again from the day the complete dossier is received.
        let due_date = self.due_date(calendar::vietnam_date(call.at), procedure.processing_days)?;
        let change = DossierChange {
            state: state.as_str().to_owned(),
            due_date: Some(due_date.clone()),
            ..DossierChange::default()
        };
        self.commit_step(
            call,
            &code,
            &row,
            Step::Receive,
            state,
            credential,
            &command.note,
            documents,
            change,
            fingerprint,
            due_date,
            String::new(),
        )
        .await
    }

    async fn step_inner(&self, call: &Call<'_>, command: &StepCommand) -> Result<Receipt, Error> {
        if matches!(command.step, Step::Receive | Step::Sign | Step::Revoke) {
            return Err(Error::Internal(format!(
                "step {} has its own use case",
                command.step
            )));
        }
        input::check_request_id(&command.request_id)?;
        let fingerprint = input::fingerprint_step(command);
        if let Some(receipt) = self
            .replay(call.method, &command.request_id, &fingerprint)
            .await?
        {
            return Ok(receipt);
        }
        let code = parse_dossier_code(&command.dossier_code)?;
        let documents = self.documents(&command.documents)?;
        input::check_note(&command.note, &self.limits)?;
        if needs_reason(command.step) && command.note.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "step {} needs the reason in `note`",
                command.step
            )));
        }
        let credential = self.credential(&command.credential_id, call.at)?;
        let row = self.load(&code).await?;
        let from = stored_state(&row)?;
        let state = self.check(Some(from), command.step, credential, &row.department)?;
        let today = calendar::vietnam_date(call.at);
        let mut change = DossierChange {
            state: state.as_str().to_owned(),
            finished_on: state.is_terminal().then(|| today.to_string()),
            ..DossierChange::default()
        };
        let mut result_code = String::new();
        if command.step == Step::Return {
            let result = self.archive.result(&code).await?.ok_or_else(|| {
                Error::Internal(format!(
                    "dossier {code} is signed but has no result document"
                ))
            })?;
            let sha256: [u8; 32] = result.sha256.as_slice().try_into().map_err(|_| {
                Error::Internal(format!("the result of {code} has a malformed hash"))
            })?;
            result_code = result.result_code.clone();
            change.issue_result = Some(IssuedResult {
                result_code: result_code.clone(),
                issued_at_ms: unix_millis(call.at),
                sha256,
            });
        }
        self.commit_step(
            call,
            &code,
            &row,
            command.step,
            state,
            credential,
            &command.note,
            documents,
            change,
            fingerprint,
            row.due_date.clone(),
            result_code,
        )
        .await
    }

    async fn get_inner(
        &self,
        _call: &Call<'_>,
        dossier_code: &str,
        include_result_content: bool,
    ) -> Result<DossierView, Error> {
        let code = parse_dossier_code(dossier_code)?;
        let row = self.load(&code).await?;
        let state = stored_state(&row)?;
        let procedure_name = row
            .procedure_code
            .parse::<ProcedureCode>()
            .ok()
            .and_then(|c| self.catalog.procedure(&c))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let due = parse_date(&row.due_date)?;
        let finished = row.finished_on.as_deref().map(parse_date).transpose()?;
        let today = calendar::vietnam_date((self.clock)());
        let records = self
            .archive
            .records(&code)
            .await?
            .into_iter()
            .map(|stored| {
                let decoded = record::decode(&stored.record).map_err(|e| {
                    Error::Internal(format!(
                        "record {} of dossier {code} cannot be decoded: {e}",
                        stored.sequence
                    ))
                })?;
                Ok((stored, decoded))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let result = self.archive.result(&code).await?;
        let result_content = match (&result, include_result_content) {
            (Some(result), true) => {
                // The newest version: after a renewal, the one with the longest-lived proof.
                Some(
                    self.archive
                        .blob(&result.current_sha256)
                        .await?
                        .ok_or_else(|| {
                            Error::Internal(format!(
                                "the result document of {code} is missing from the archive"
                            ))
                        })?,
                )
            }
            _ => None,
        };
        Ok(DossierView {
            timeliness: calendar::timeliness(due, today, finished),
            allowed_steps: state.allowed_steps(),
            documents: self.archive.documents(&code).await?,
            procedure_name,
            state,
            row,
            records,
            result,
            result_content,
        })
    }

    // ---- shared steps ----

    #[allow(clippy::too_many_arguments)]
    async fn commit_step(
        &self,
        call: &Call<'_>,
        code: &DossierCode,
        row: &DossierRow,
        step: Step,
        state: State,
        credential: &Credential,
        note: &str,
        documents: Vec<NewDocument>,
        change: DossierChange,
        fingerprint: [u8; 32],
        due_date: String,
        result_code: String,
    ) -> Result<Receipt, Error> {
        let digests = documents.iter().map(digest_of).collect();
        self.commit_step_with_digests(
            call,
            code,
            row,
            step,
            state,
            credential,
            note,
            digests,
            documents,
            change,
            fingerprint,
            due_date,
            result_code,
            Vec::new(),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn commit_step_with_digests(
        &self,
        call: &Call<'_>,
        code: &DossierCode,
        row: &DossierRow,
        step: Step,
        state: State,
        credential: &Credential,
        note: &str,
        digests: Vec<pb::DocumentDigest>,
        documents: Vec<NewDocument>,
        change: DossierChange,
        fingerprint: [u8; 32],
        due_date: String,
        result_code: String,
        cited_results: Vec<pb::CitedResult>,
    ) -> Result<Receipt, Error> {
        let sequence = row.record_count + 1;
        let draft = record::Draft {
            dossier_code: code.to_string(),
            sequence: u32::try_from(sequence)
                .map_err(|_| Error::Internal(format!("dossier {code} has too many records")))?,
            step,
            state_after: state,
            note,
            actor: credential,
            documents: digests,
            time_unix_millis: unix_millis(call.at),
            previous_record_sha256: row.last_record_sha256.clone(),
            procedure_code: row.procedure_code.clone(),
            applicant_id: row.applicant_id.clone(),
            due_date: due_date.clone(),
            result_code: result_code.clone(),
            cited_results,
        };
        let new = new_record(&draft, sequence, documents)?;
        let request = RequestMark {
            request_id: call.request_id.to_owned(),
            method: call.method.to_owned(),
            fingerprint,
            at_ms: unix_millis(call.at),
        };
        let audit = call.audit("ok", format!("{} -> {}", row.state, state));
        match self
            .archive
            .append_step(code, row.version, change, &new, &request, &audit)
            .await
        {
            Ok(log) => receipt_from_new(
                code.clone(),
                state,
                &new,
                due_date,
                (!result_code.is_empty()).then_some(result_code),
                log,
            ),
            Err(ArchiveError::RequestRace(_)) => {
                self.replay_after_race(call, call.request_id, &fingerprint)
                    .await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The first answer to a request id, if it was already used for the same call.
    async fn replay(
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
        Ok(Some(Receipt {
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
    async fn replay_after_race(
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

    /// Checks each cited result: well-formed, archived, issued to this applicant, still valid.
    async fn check_citations(
        &self,
        codes: &[String],
        applicant_id: &str,
    ) -> Result<Vec<pb::CitedResult>, Error> {
        if codes.len() > self.limits.max_documents {
            return Err(Error::ResourceExhausted(format!(
                "{} results cited; at most {} are allowed per call",
                codes.len(),
                self.limits.max_documents
            )));
        }
        let mut cited = Vec::with_capacity(codes.len());
        for text in codes {
            let code: ResultCode = text
                .parse()
                .map_err(|e: flow::codes::CodeError| Error::InvalidArgument(e.to_string()))?;
            let result = self
                .archive
                .result_by_code(&code.to_string())
                .await?
                .ok_or_else(|| Error::NotFound(format!("cited result {code} does not exist")))?;
            if result.applicant_id != applicant_id {
                return Err(Error::FailedPrecondition(format!(
                    "cited result {code} was issued to another applicant, not {applicant_id}"
                )));
            }
            if result.issued_at_ms.is_none() {
                return Err(Error::FailedPrecondition(format!(
                    "cited result {code} has not been issued yet"
                )));
            }
            match result.status.as_str() {
                "valid" => {}
                "superseded" => {
                    return Err(Error::FailedPrecondition(format!(
                        "cited result {code} was superseded by {}{}; cite that one instead",
                        result.superseded_by.as_deref().unwrap_or("another result"),
                        result
                            .status_reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    )))
                }
                other => {
                    return Err(Error::FailedPrecondition(format!(
                        "cited result {code} is {other}{}",
                        result
                            .status_reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )))
                }
            }
            if cited
                .iter()
                .any(|c: &pb::CitedResult| c.result_code == result.result_code)
            {
                return Err(Error::InvalidArgument(format!(
                    "result {code} is cited twice"
                )));
            }
            cited.push(pb::CitedResult {
                result_code: result.result_code,
                sha256: result.sha256,
                document_name: result.name,
            });
        }
        Ok(cited)
    }

    fn procedure(&self, code: &str) -> Result<&Procedure, Error> {
        if code.is_empty() {
            return Err(Error::InvalidArgument("procedure_code is empty".to_owned()));
        }
        let parsed: ProcedureCode = code
            .parse()
            .map_err(|e: flow::codes::CodeError| Error::InvalidArgument(e.to_string()))?;
        self.catalog.procedure(&parsed).ok_or_else(|| {
            Error::NotFound(format!(
                "procedure {parsed} is not in the catalog; known procedures: {}",
                self.catalog
                    .procedures()
                    .iter()
                    .map(|p| p.code.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    fn credential(&self, id: &str, at: OffsetDateTime) -> Result<&Credential, Error> {
        if id.is_empty() {
            return Err(Error::InvalidArgument(
                "credential_id is empty: name the credential of the official performing the step"
                    .to_owned(),
            ));
        }
        let credential = self.keys.get(id).ok_or_else(|| {
            Error::NotFound(format!(
                "credential {id:?} does not exist (Signing.ListCredentials lists them)"
            ))
        })?;
        credential
            .check_usable(at)
            .map_err(|problem| Error::FailedPrecondition(problem.to_string()))?;
        Ok(credential)
    }

    fn seal_of(&self, department: &str, at: OffsetDateTime) -> Result<&Credential, Error> {
        let seal = self
            .keys
            .credentials()
            .find(|c| c.role() == Role::Seal && c.department() == department)
            .ok_or_else(|| {
                Error::FailedPrecondition(format!(
                    "department {department} has no organisation seal credential"
                ))
            })?;
        seal.check_usable(at).map_err(|problem| {
            Error::FailedPrecondition(format!("the seal credential: {problem}"))
        })?;
        Ok(seal)
    }

    fn check(
        &self,
        from: Option<State>,
        step: Step,
        credential: &Credential,
        handling_department: &str,
    ) -> Result<State, Error> {
        let actor = Actor {
            role: credential.role(),
            department: credential.department(),
        };
        flow::check_step(from, step, &actor, handling_department).map_err(Error::from)
    }

    fn documents(&self, inputs: &[DocumentInput]) -> Result<Vec<NewDocument>, Error> {
        input::documents(inputs, &self.limits)
    }

    fn due_date(&self, received_on: time::Date, days: u32) -> Result<String, Error> {
        self.calendar
            .due_date(received_on, days)
            .map(|d| d.to_string())
            .map_err(|e| Error::Internal(format!("due date: {e}")))
    }

    async fn load(&self, code: &DossierCode) -> Result<DossierRow, Error> {
        self.archive
            .dossier(code)
            .await?
            .ok_or_else(|| Error::NotFound(format!("dossier {code} does not exist")))
    }
}

fn parse_dossier_code(text: &str) -> Result<DossierCode, Error> {
    if text.is_empty() {
        return Err(Error::InvalidArgument("dossier_code is empty".to_owned()));
    }
    text.parse()
        .map_err(|e: flow::codes::CodeError| Error::InvalidArgument(e.to_string()))
}

fn parse_date(text: &str) -> Result<time::Date, Error> {
    time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|e| Error::Internal(format!("stored date {text:?}: {e}")))
}

fn stored_state(row: &DossierRow) -> Result<State, Error> {
    row.state.parse().map_err(|_| {
        Error::Internal(format!(
            "dossier {} has unknown state {:?}",
            row.code, row.state
        ))
    })
}

fn digest_of(document: &NewDocument) -> pb::DocumentDigest {
    digest_of_sized(document, document.content.len())
}

fn digest_of_sized(document: &NewDocument, size: usize) -> pb::DocumentDigest {
    pb::DocumentDigest {
        name: document.name.clone(),
        media_type: document.media_type.clone(),
        sha256: document.sha256.to_vec(),
        size: size as u64,
    }
}

fn new_record(
    draft: &record::Draft<'_>,
    sequence: i64,
    documents: Vec<NewDocument>,
) -> Result<NewRecord, Error> {
    let signed = record::sign(draft)
        .map_err(|e| Error::Internal(format!("signing the step record: {e}")))?;
    Ok(NewRecord {
        sequence,
        step: draft.step.as_str().to_owned(),
        record: signed.bytes,
        signature: signed.signature,
        record_sha256: signed.sha256,
        credential_id: draft.actor.id().to_owned(),
        time_ms: draft.time_unix_millis,
        documents,
    })
}

fn receipt_from_new(
    code: DossierCode,
    state: State,
    new: &NewRecord,
    due_date: String,
    result_code: Option<String>,
    log: LogReceipt,
) -> Result<Receipt, Error> {
    let decoded = record::decode(&new.record)
        .map_err(|e| Error::Internal(format!("the record just signed does not decode: {e}")))?;
    Ok(Receipt {
        dossier_code: code,
        state,
        record: StoredRecord {
            sequence: new.sequence,
            step: new.step.clone(),
            record: new.record.clone(),
            signature: new.signature.clone(),
            record_sha256: new.record_sha256.to_vec(),
        },
        decoded,
        due_date,
        result_code,
        log,
    })
}
