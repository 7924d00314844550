//! The audit trail of calls: every call, successful or refused, leaves one line. A success
//! writes its line inside its own transaction (so the trail never claims a change that did not
//! commit); a refusal, or a read, writes it here afterwards.

use std::{any::Any, future::Future, panic::AssertUnwindSafe};

use futures_util::FutureExt as _;
use time::OffsetDateTime;
use tracing::Instrument as _;

use super::{core::Service, error::Error};
use crate::{
    access::Caller,
    archive::{Archive, AuditEntry},
    flow::Step,
};

/// Context of one call, for the audit trail.
pub(super) struct Call<'a> {
    /// Who asked: every audit line names the caller.
    pub(super) caller: &'a Caller,
    pub(super) method: &'static str,
    pub(super) request_id: &'a str,
    pub(super) credential_id: &'a str,
    pub(super) dossier_code: &'a str,
    pub(super) at: OffsetDateTime,
}

impl Call<'_> {
    /// The span every log line of this call is written in: method, request id, caller and,
    /// as soon as it is known, the dossier code (a new dossier's is recorded when it commits).
    pub(super) fn span(&self) -> tracing::Span {
        let span = tracing::info_span!(
            "call",
            method = self.method,
            request_id = tracing::field::Empty,
            dossier_code = tracing::field::Empty,
            caller = %self.caller.audit_name(),
        );
        if !self.request_id.is_empty() {
            span.record("request_id", self.request_id);
        }
        if !self.dossier_code.is_empty() {
            span.record("dossier_code", self.dossier_code);
        }
        span
    }

    pub(super) fn audit(&self, outcome: &str, message: String) -> AuditEntry {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        AuditEntry {
            at_ms: unix_millis(self.at),
            method: self.method.to_owned(),
            caller: Some(self.caller.audit_name()),
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
        Step::Extend => "Extend",
        Step::RecordPayment => "RecordPayment",
    }
}

impl<A: Archive> Service<A> {
    /// A call of `method` by `caller` now, with no request id, credential or dossier yet: use
    /// cases fill in what they have with struct update syntax.
    pub(super) fn call<'a>(&self, caller: &'a Caller, method: &'static str) -> Call<'a> {
        Call {
            caller,
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
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let started = std::time::Instant::now();
        let span = call.span();
        let result = contain_panic(call, work).instrument(span.clone()).await;
        measure(call.method, &result, started);
        span.in_scope(|| log_outcome(&result, started));
        if let Err(error) = &result {
            let entry = call.audit(error.kind(), error.to_string());
            if let Err(audit_error) = self.archive.record_audit(&entry).await {
                tracing::error!(%audit_error, method = call.method, "could not write the audit line of a failed call");
            }
        }
        result
    }

    /// Runs a call that stores nothing of its own (reads, signing without a dossier) and
    /// audits it: one line whatever the outcome.
    pub(super) async fn audited_read<T>(
        &self,
        call: &Call<'_>,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let started = std::time::Instant::now();
        let span = call.span();
        let result = contain_panic(call, work).instrument(span.clone()).await;
        measure(call.method, &result, started);
        span.in_scope(|| log_outcome(&result, started));
        let entry = match &result {
            Ok(_) => call.audit("ok", String::new()),
            Err(error) => call.audit(error.kind(), error.to_string()),
        };
        if let Err(audit_error) = self.archive.record_audit(&entry).await {
            tracing::error!(%audit_error, method = call.method, "could not write an audit line");
        }
        result
    }
}

/// One line per call, in its span: the outcome and how long it took (errors that are the
/// caller's, like a refused step, at info; the service's own at warn).
fn log_outcome<T>(result: &Result<T, Error>, started: std::time::Instant) {
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(_) => tracing::info!(outcome = "ok", duration_ms, "call answered"),
        Err(error @ (Error::Internal(_) | Error::Unavailable(_))) => {
            tracing::warn!(outcome = error.kind(), duration_ms, %error, "call failed")
        }
        Err(error) => tracing::info!(outcome = error.kind(), duration_ms, %error, "call refused"),
    }
}

/// The call's outcome and duration, for `/metrics`.
fn measure<T>(method: &'static str, result: &Result<T, Error>, started: std::time::Instant) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(error) => error.kind(),
    };
    metrics::counter!("ketqua_calls_total", "method" => method, "outcome" => outcome).increment(1);
    metrics::histogram!("ketqua_call_duration_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
}

/// A panic inside one use case is a bug, not an outage: it is logged with the call's method,
/// request id and dossier under an incident number, answered `Internal`, and the server keeps
/// serving. A transaction open when it happened rolls back when it is dropped.
pub(super) async fn contain_panic<T>(
    call: &Call<'_>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let incident = incident_number();
            tracing::error!(
                method = call.method,
                request_id = call.request_id,
                dossier = call.dossier_code,
                incident,
                panic = panic_text(panic.as_ref()),
                "a use case panicked; it was stopped and answered INTERNAL"
            );
            Err(Error::Internal(format!(
                "internal error (incident {incident}): the call was stopped; it may be retried with the same request id"
            )))
        }
    }
}

/// What a panic said, when it said it with a string.
pub fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// A short random number that ties an answer to its log line.
pub fn incident_number() -> String {
    let mut bytes = [0u8; 6];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    static NOBODY: std::sync::LazyLock<Caller> = std::sync::LazyLock::new(Caller::anonymous);

    fn call() -> Call<'static> {
        Call {
            caller: &NOBODY,
            method: "Test",
            request_id: "r-1",
            credential_id: "",
            dossier_code: "",
            at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_panicking_use_case_is_answered_internal() {
        let answer: Result<(), Error> =
            contain_panic(&call(), async { panic!("index out of bounds") }).await;
        match answer {
            Err(Error::Internal(message)) => {
                assert!(message.contains("incident"), "{message}");
                assert!(!message.contains("index out of bounds"), "{message}");
            }
            other => panic!("expected Internal, got {other:?}"),
        }
        let fine = contain_panic(&call(), async { Ok::<_, Error>(7) }).await;
        assert_eq!(fine.ok(), Some(7));
    }
}
