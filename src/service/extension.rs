//! `Extend`: the handling department moves the due date of a dossier in progress, with the
//! reason — the apology and new appointment owed to the applicant (Circular 01/2018/TT-VPCP,
//! form 04). The dossier keeps its state; the record holds the old date and the new one.

use super::{
    answers::Receipt,
    audit::Call,
    commands::{ExtendCommand, StepCommand},
    core::Service,
    details::{NewDueDate, StepDetails},
    error::Error,
    fingerprint, input,
};
use crate::{
    access::{Caller, Permission},
    archive::Archive,
    flow::Step,
};

impl ExtendCommand {
    /// The step this command performs, as every step on an existing dossier is planned.
    fn as_step(&self) -> StepCommand {
        StepCommand {
            step: Step::Extend,
            request_id: self.request_id.clone(),
            credential_id: self.credential_id.clone(),
            dossier_code: self.dossier_code.clone(),
            note: self.reason.clone(),
            documents: self.documents.clone(),
        }
    }
}

impl<A: Archive> Service<A> {
    pub async fn extend(&self, caller: &Caller, command: ExtendCommand) -> Result<Receipt, Error> {
        let call = Call {
            request_id: &command.request_id,
            credential_id: &command.credential_id,
            dossier_code: &command.dossier_code,
            ..self.call(caller, "Extend")
        };
        self.audited(&call, async {
            self.authorize(&call, Permission::Flow, &command.credential_id)
                .await?;
            input::check_request_id(&command.request_id)?;
            let fingerprint = fingerprint::extend(&command);
            // A retry is answered before the date is checked again: "later than the current
            // due date" is false once the first call moved it.
            if let Some(receipt) = self
                .replay(call.method, &command.request_id, &fingerprint)
                .await?
            {
                return Ok(receipt);
            }
            let new_due = NewDueDate::of(&command)?;
            let details = StepDetails::Extension(new_due);
            self.step_inner(&call, &command.as_step(), fingerprint, &details)
                .await
        })
        .await
    }
}
