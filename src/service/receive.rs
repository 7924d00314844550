//! Step 1: receiving a new dossier (the code, with its running number, is allocated inside the
//! transaction that stores its first signed record), and re-receiving one after a supplement.

use super::{
    answers::Receipt,
    audit::{unix_millis, Call},
    checks::{parse_dossier_code, stored_state},
    commands::ReceiveCommand,
    commit::{digest_of, new_record, receipt_from_new, StepWrite},
    core::Service,
    error::Error,
    fingerprint, input,
    progress::record_time,
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, DossierChange, NewDossier, NewEvent, RequestMark},
    flow::{vietnam_date, Contact, DossierCode, Fee, Form, Step},
    record,
};

impl<A: Archive> Service<A> {
    pub async fn receive(
        &self,
        caller: &Caller,
        command: ReceiveCommand,
    ) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.supplement_of,
            ..self.call(caller, "Receive")
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            let receipt = self.receive_inner(&call, &command).await?;
            self.with_receipt_slip(receipt).await
        })
        .await
    }

    /// The receipt with its receipt and appointment slip (form 01), issued now if the step's
    /// record has none yet: right after the commit, or on a retry after a crash in between.
    async fn with_receipt_slip(&self, mut receipt: Receipt) -> Result<Receipt, Error> {
        // A retry answers the slip it already has (replay read the step's forms).
        if receipt.forms.iter().any(|f| f.form == Form::Receipt) {
            return Ok(receipt);
        }
        let record = &receipt.decoded;
        let actor = record.actor.clone().unwrap_or_default();
        let received_at = record_time(record)
            .ok_or_else(|| Error::Internal("the record's time is out of range".to_owned()))?;
        // An official no longer able to sign (a certificate expired since) leaves the slip as
        // it is: what was issued is answered again.
        let Ok(official) = self.credential(&actor.credential_id, (self.clock)()) else {
            return Ok(receipt);
        };
        let papers = record
            .documents
            .iter()
            .map(|d| d.name.clone())
            .chain(record.cited_results.iter().map(|c| {
                format!(
                    "{} (kết quả đã cấp {}, không nộp lại bản sao)",
                    c.document_name, c.result_code
                )
            }))
            .collect();
        let code = receipt.dossier_code.clone();
        let sequence = receipt.record.sequence;
        match self
            .issue_receipt_slip(&code, sequence, official, papers, received_at)
            .await
        {
            Ok(forms) => {
                receipt.forms = forms;
                Ok(receipt)
            }
            Err(e) => Err(Error::Unavailable(format!(
                "dossier {code} was received, but its receipt slip could not be issued ({e}); \
                 retry with the same request_id to issue it"
            ))),
        }
    }

    pub(super) async fn receive_inner(
        &self,
        call: &Call<'_>,
        command: &ReceiveCommand,
    ) -> Result<Receipt, Error> {
        input::check_request_id(&command.request_id)?;
        let fingerprint = fingerprint::receive(command);
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
        // A fee due at receipt: the dossier waits for it before processing starts.
        let state = Fee::gate(procedure.fee.as_ref(), None, state);
        let department = self
            .catalog
            .department(&procedure.department)
            .ok_or_else(|| {
                Error::Internal(format!(
                    "procedure {} names department {} which the catalog lacks",
                    procedure.code, procedure.department
                ))
            })?;
        let channel = command.channel.ok_or_else(|| {
            Error::InvalidArgument(
                "unknown channel: CHANNEL_DESK, CHANNEL_ONLINE or CHANNEL_POST".to_owned(),
            )
        })?;
        let contact = Contact::new(&command.contact_phone, &command.contact_email)
            .map_err(|e| Error::InvalidArgument(e.to_string()))?
            .unwrap_or_default();
        let received_on = vietnam_date(call.at);
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
            channel: channel.as_str().to_owned(),
            contact_phone: contact.phone().map(str::to_owned),
            contact_email: contact.email().map(str::to_owned),
            event: NewEvent {
                department: procedure.department.clone(),
                procedure_code: procedure.code.to_string(),
                national_status: i64::from(state.national_status()),
            },
        };
        let request = RequestMark {
            request_id: command.request_id.clone(),
            method: call.method.to_owned(),
            fingerprint,
            at_ms: unix_millis(call.at),
        };
        let audit = call.audit("ok", format!("received for procedure {}", procedure.code));
        // The record is signed inside the archive's write, once the dossier is numbered: what
        // it needs is owned by the closure.
        let signer = self.keys.shared(credential.id()).ok_or_else(|| {
            Error::Internal(format!("credential {} left the key store", credential.id()))
        })?;
        let note = command.note.clone();
        let digests = documents.iter().map(digest_of).collect::<Vec<_>>();
        let at_ms = unix_millis(call.at);
        let procedure_code = procedure.code.to_string();
        let applicant_id = applicant.id.clone();
        let record_due_date = due_date.clone();
        let cited = cited.clone();
        let outcome = self
            .archive
            .create_dossier(new, documents, request, audit, move |code: &DossierCode| {
                let draft = record::Draft {
                    dossier_code: code.to_string(),
                    sequence: 1,
                    step: Step::Receive,
                    state_after: state,
                    note: &note,
                    actor: &signer,
                    documents: digests,
                    time_unix_millis: at_ms,
                    previous_record_sha256: Vec::new(),
                    procedure_code,
                    applicant_id,
                    due_date: record_due_date,
                    result_code: String::new(),
                    cited_results: cited,
                    previous_due_date: String::new(),
                    payment: None,
                    result_codes: Vec::new(),
                };
                new_record(&draft, 1, Vec::new())
            })
            .await;
        match outcome {
            Ok((code, record, log)) => {
                tracing::Span::current().record("dossier_code", code.to_string().as_str());
                receipt_from_new(code, state, &record, due_date, None, log)
            }
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

    pub(super) async fn re_receive(
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
        if !command.contact_phone.is_empty() || !command.contact_email.is_empty() {
            return Err(Error::InvalidArgument(
                "the applicant's contact is given when a dossier is first received, not in a \
                 re-receipt"
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
        let due_date = self.due_date(vietnam_date(call.at), procedure.processing_days)?;
        let change = DossierChange {
            state: state.as_str().to_owned(),
            due_date: Some(due_date.clone()),
            ..DossierChange::default()
        };
        let write = StepWrite {
            code: &code,
            row: &row,
            step: Step::Receive,
            state,
            credential,
            note: &command.note,
            documents,
            named_only: Vec::new(),
            cited_results: Vec::new(),
            change,
            fingerprint,
            due_date,
            previous_due_date: String::new(),
            payment: None,
            result_code: String::new(),
            external_signature: None,
            forms: Vec::new(),
            result_codes: Vec::new(),
        };
        self.commit_step(call, write).await
    }
}
