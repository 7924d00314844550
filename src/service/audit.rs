//! The audit trail of calls: every call, successful or refused, leaves one line. A success
//! writes its line inside its own transaction (so the trail never claims a change that did not
//! commit); a refusal, or a read, writes it here afterwards.

use time::OffsetDateTime;

use super::{core::Service, error::Error};
use crate::{
    archive::{Archive, AuditEntry},
    flow::Step,
};

/// Context of one call, for the audit trail.
pub(super) struct Call<'a> {
    pub(super) method: &'static str,
    pub(super) request_id: &'a str,
    pub(super) credential_id: &'a str,
    pub(super) dossier_code: &'a str,
    pub(super) at: OffsetDateTime,
}

impl Call<'_> {
    pub(super) fn audit(&self, outcome: &str, message: String) -> AuditEntry {
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

pub(super) fn unix_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(super) fn method_name(step: Step) -> &'static str {
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

impl<A: Archive> Service<A> {
    /// A call of `method` now, with no request id, credential or dossier yet: callers fill in
    /// what they have with struct update syntax.
    pub(super) fn call(&self, method: &'static str) -> Call<'static> {
        Call {
            method,
            request_id: "",
            credential_id: "",
            dossier_code: "",
            at: (self.clock)(),
        }
    }

    /// Runs a use case and writes the audit line of a failure (a success writes its own line
    /// inside its transaction, so the audit trail never claims a change that did not commit).
    pub(super) async fn audited<T>(
        &self,
        call: &Call<'_>,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        if let Err(error) = &result {
            let entry = call.audit(error.kind(), error.to_string());
            if let Err(audit_error) = self.archive.record_audit(&entry).await {
                tracing::error!(%audit_error, method = call.method, "could not write the audit line of a failed call");
            }
        }
        result
    }

    /// Audits a call that stores nothing of its own (reads, signing without a dossier):
    /// one line whatever the outcome.
    pub(super) async fn audited_read<T>(&self, call: &Call<'_>, result: &Result<T, Error>) {
        let entry = match result {
            Ok(_) => call.audit("ok", String::new()),
            Err(error) => call.audit(error.kind(), error.to_string()),
        };
        if let Err(audit_error) = self.archive.record_audit(&entry).await {
            tracing::error!(%audit_error, method = call.method, "could not write an audit line");
        }
    }
}
