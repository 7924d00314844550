//! The steps on an existing dossier that carry no document of the service's making: appraise,
//! approve, return (which issues the result), and the other outcomes (supplement, refusal,
//! withdrawal, stop), each with its reason where the flow requires one.

use super::{
    answers::Receipt,
    audit::{method_name, unix_millis, Call},
    checks::{needs_reason, parse_date, parse_dossier_code, stored_state},
    commands::StepCommand,
    commit::StepWrite,
    core::Service,
    details::StepDetails,
    error::Error,
    fingerprint,
    forms::FormFacts,
    input,
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, DossierChange, DossierRow, IssuedResult, NewDocument},
    flow::{format_vnd, vietnam_date, DossierCode, Fee, Form, State, Step},
    pki::Credential,
    proto::v1 as pb,
    record,
};

impl<A: Archive> Service<A> {
    pub async fn step(&self, caller: &Caller, command: StepCommand) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            ..self.call(caller, method_name(command.step))
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            input::check_request_id(&command.request_id)?;
            self.step_inner(
                &call,
                &command,
                fingerprint::step(&command),
                &StepDetails::None,
            )
            .await
        })
        .await
    }

    /// A step the service signs with the credential's key, with what its own use case adds
    /// (`details`).
    pub(super) async fn step_inner(
        &self,
        call: &Call<'_>,
        command: &StepCommand,
        fingerprint: [u8; 32],
        details: &StepDetails,
    ) -> Result<Receipt, Error> {
        if let Some(receipt) = self
            .replay(call.method, &command.request_id, &fingerprint)
            .await?
        {
            return Ok(receipt);
        }
        let code = parse_dossier_code(&command.dossier_code)?;
        let row = self.load(&code).await?;
        let plan = self.plan_step(call, command, &code, &row, details).await?;
        if !plan.credential.holds_key() {
            return Err(Error::FailedPrecondition(format!(
                "the key of credential {:?} is held by its official, not by the service: sign the step with Dossiers.PrepareStep and CompleteStep",
                command.credential_id
            )));
        }
        let mut write = plan.write(command, &code, &row, fingerprint, None);
        // The form the step issues is signed before the record, which names it.
        if let Some(form) = Form::issued_by(command.step) {
            // The control sheet lists every step, this one included (as of now).
            let history = if form == Form::ControlSheet {
                let mut history: Vec<_> = self
                    .decoded_records(&code)
                    .await?
                    .into_iter()
                    .map(|(_, decoded)| decoded)
                    .collect();
                history.push(
                    record::decode(&record::encode(&write.draft(call.at)?))
                        .map_err(|e| Error::Internal(format!("the record being written: {e}")))?,
                );
                history
            } else {
                Vec::new()
            };
            let facts = FormFacts {
                note: &command.note,
                documents: Vec::new(),
                due_date: &write.due_date,
                previous_due_date: &write.previous_due_date,
                history: &history,
                payment: write.payment.as_ref(),
            };
            let document = self.issue_form(form, &code, &row, write.credential, &facts, call.at)?;
            write.forms.push((form, document));
        }
        self.commit_step(call, write).await
    }

    /// Checks a step on the dossier `row` against the input limits, the flow and the stored
    /// state, and works out the dossier's change: everything but the record's signature. The
    /// step takes effect at `call.at`. `details` are the new due date of an `Extend` and the
    /// payment of a `RecordPayment`, given for those steps and only for them.
    pub(super) async fn plan_step(
        &self,
        call: &Call<'_>,
        command: &StepCommand,
        code: &DossierCode,
        row: &DossierRow,
        details: &StepDetails,
    ) -> Result<StepPlan<'_>, Error> {
        let own_use_case = match (command.step, details) {
            (Step::Receive | Step::Sign | Step::Revoke, _) => true,
            (Step::Extend, StepDetails::Extension(_)) => false,
            (Step::RecordPayment, StepDetails::Payment(_)) => false,
            (Step::Extend | Step::RecordPayment, _) => true,
            (_, details) => !matches!(details, StepDetails::None),
        };
        if own_use_case {
            return Err(Error::InvalidArgument(format!(
                "step {} has its own use case",
                command.step
            )));
        }
        let documents = self.documents(&command.documents)?;
        input::check_note(&command.note, &self.limits)?;
        if needs_reason(command.step) && command.note.trim().is_empty() {
            return Err(Error::InvalidArgument(format!(
                "step {} needs the reason in `note`",
                command.step
            )));
        }
        let credential = self.credential(&command.credential_id, call.at)?;
        let from = stored_state(row)?;
        let fee = self.fee_of(&row.procedure_code);
        if command.step == Step::RecordPayment && fee.is_none() {
            return Err(Error::FailedPrecondition(format!(
                "procedure {} has no fee: dossier {code} owes nothing",
                row.procedure_code
            )));
        }
        let state = self.check(Some(from), command.step, credential, &row.department)?;
        // An approval of a procedure whose fee falls due then waits for the payment.
        let state = Fee::gate(fee, Some(from), state);
        let payment = match (details, fee) {
            (StepDetails::Payment(payment), Some(fee)) => {
                if payment.amount_vnd != fee.amount_vnd {
                    return Err(Error::InvalidArgument(format!(
                        "the fee of dossier {code} ({}) is {}, not {}",
                        fee.name,
                        format_vnd(fee.amount_vnd),
                        format_vnd(payment.amount_vnd)
                    )));
                }
                Some(pb::Payment {
                    fee_name: fee.name.clone(),
                    ..payment.clone()
                })
            }
            _ => None,
        };
        let today = vietnam_date(call.at);
        let mut change = DossierChange {
            state: state.as_str().to_owned(),
            finished_on: state.is_terminal().then(|| today.to_string()),
            ..DossierChange::default()
        };
        let mut result_code = String::new();
        let mut due_date = row.due_date.clone();
        let mut previous_due_date = String::new();
        if let StepDetails::Extension(extension) = details {
            let current = parse_date(&row.due_date)?;
            let new = extension.resolve(&self.calendar, today, current)?;
            previous_due_date = std::mem::replace(&mut due_date, new.to_string());
            change.due_date = Some(due_date.clone());
        }
        let mut result_codes = Vec::new();
        if command.step == Step::Return {
            // Every result of the decision is issued together.
            let results = self.archive.results(code).await?;
            if results.is_empty() {
                return Err(Error::Internal(format!(
                    "dossier {code} is signed but has no result document"
                )));
            }
            for result in results {
                let sha256: [u8; 32] = result.sha256.as_slice().try_into().map_err(|_| {
                    Error::Internal(format!(
                        "result {} has a malformed hash",
                        result.result_code
                    ))
                })?;
                result_codes.push(result.result_code.clone());
                change.issue_results.push(IssuedResult {
                    result_code: result.result_code,
                    issued_at_ms: unix_millis(call.at),
                    sha256,
                });
            }
            result_code = result_codes[0].clone();
        }
        Ok(StepPlan {
            state,
            credential,
            documents,
            change,
            result_code,
            result_codes,
            due_date,
            previous_due_date,
            payment,
        })
    }
}

/// A step checked by [`Service::plan_step`], waiting for its record's signature.
pub(super) struct StepPlan<'k> {
    pub state: State,
    pub credential: &'k Credential,
    pub documents: Vec<NewDocument>,
    pub change: DossierChange,
    pub result_code: String,
    /// Every result code a `Return` issues, `-KQ1` first.
    pub result_codes: Vec<String>,
    /// The record's due date: the dossier's, or the new one of an extension.
    pub due_date: String,
    /// The due date an extension replaces; empty for other steps.
    pub previous_due_date: String,
    /// The fee paid by a `RecordPayment`.
    pub payment: Option<pb::Payment>,
}

impl<'k> StepPlan<'k> {
    /// The write of this step; `external_signature` is the official's token's signature over
    /// the record's signed attributes, `None` when the service signs with the credential.
    pub(super) fn write<'a>(
        self,
        command: &'a StepCommand,
        code: &'a DossierCode,
        row: &'a DossierRow,
        fingerprint: [u8; 32],
        external_signature: Option<&'a [u8]>,
    ) -> StepWrite<'a>
    where
        'k: 'a,
    {
        StepWrite {
            code,
            row,
            step: command.step,
            state: self.state,
            credential: self.credential,
            note: &command.note,
            documents: self.documents,
            named_only: Vec::new(),
            cited_results: Vec::new(),
            change: self.change,
            fingerprint,
            due_date: self.due_date,
            previous_due_date: self.previous_due_date,
            payment: self.payment,
            result_code: self.result_code,
            result_codes: self.result_codes,
            external_signature,
            forms: Vec::new(),
        }
    }
}
