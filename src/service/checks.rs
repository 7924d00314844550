//! The checks every use case shares: codes, procedures, credentials usable now, whether the
//! flow allows this actor this step, documents within the limits, deadlines, and rows read back.

use time::OffsetDateTime;

use super::{
    audit::Call,
    core::Service,
    error::Error,
    input::{self, DocumentInput},
};
use crate::{
    access::Permission,
    archive::{Archive, DossierRow, NewDocument},
    flow::{self, Actor, DossierCode, Procedure, ProcedureCode, Role, State, Step},
    pki::Credential,
};

/// Steps whose record must say why.
pub(super) fn needs_reason(step: Step) -> bool {
    matches!(
        step,
        Step::RequestSupplement
            | Step::Refuse
            | Step::Withdraw
            | Step::Stop
            | Step::Revoke
            | Step::Extend
    )
}

impl<A: Archive> Service<A> {
    pub(super) fn procedure(&self, code: &str) -> Result<&Procedure, Error> {
        if code.is_empty() {
            return Err(Error::InvalidArgument("procedure_code is empty".to_owned()));
        }
        let parsed: ProcedureCode = code
            .parse()
            .map_err(|e: flow::CodeError| Error::InvalidArgument(e.to_string()))?;
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

    /// The caller's grant of `permission` for the department of the credential it names,
    /// checked before anything else, so that a refused call writes nothing but its audit line
    /// (and replays nobody else's receipt). An unknown credential is left to the use case to
    /// report once the caller is known to hold the permission somewhere.
    ///
    /// Then the official's activation factor, if the credential requires one.
    pub(super) async fn authorize(
        &self,
        call: &Call<'_>,
        permission: Permission,
        credential_id: &str,
    ) -> Result<(), Error> {
        call.caller.require_some(permission)?;
        if let Some(credential) = self.keys.get(credential_id) {
            call.caller.require(permission, credential.department())?;
            self.activate(call, credential).await?;
        }
        Ok(())
    }

    pub(super) fn credential(&self, id: &str, at: OffsetDateTime) -> Result<&Credential, Error> {
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

    pub(super) fn seal_of(
        &self,
        department: &str,
        at: OffsetDateTime,
    ) -> Result<&Credential, Error> {
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

    pub(super) fn check(
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

    pub(super) fn documents(&self, inputs: &[DocumentInput]) -> Result<Vec<NewDocument>, Error> {
        input::documents(inputs, &self.limits)
    }

    pub(super) fn due_date(&self, received_on: time::Date, days: u32) -> Result<String, Error> {
        self.calendar
            .due_date(received_on, days)
            .map(|d| d.to_string())
            .map_err(|e| Error::Internal(format!("due date: {e}")))
    }

    pub(super) async fn load(&self, code: &DossierCode) -> Result<DossierRow, Error> {
        self.archive
            .dossier(code)
            .await?
            .ok_or_else(|| Error::NotFound(format!("dossier {code} does not exist")))
    }
}

pub(super) fn parse_dossier_code(text: &str) -> Result<DossierCode, Error> {
    if text.is_empty() {
        return Err(Error::InvalidArgument("dossier_code is empty".to_owned()));
    }
    text.parse()
        .map_err(|e: flow::CodeError| Error::InvalidArgument(e.to_string()))
}

pub(super) fn parse_date(text: &str) -> Result<time::Date, Error> {
    time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|e| Error::Internal(format!("stored date {text:?}: {e}")))
}

pub(super) fn stored_state(row: &DossierRow) -> Result<State, Error> {
    row.state.parse().map_err(|_| {
        Error::Internal(format!(
            "dossier {} has unknown state {:?}",
            row.code, row.state
        ))
    })
}
