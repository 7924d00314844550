//! Long-term validity: before the newest timestamp of an issued result loses its proof (its
//! TSA certificate expires), a sweep appends validation data and a fresh document timestamp
//! (PAdES B-LTA). The issued file is never replaced: the renewed version begins with the
//! previous version's exact bytes, is stored beside it and logged as its own leaf, and every
//! version stays recognised by verification. See docs/archive.md, "Renewal".
//!
//! The sweep reads only the results that are due: the archive caches, per result, when its
//! newest timestamp's TSA certificate expires, filled in the first time a sweep examines it.

use time::{Duration, OffsetDateTime};
use tokio::sync::mpsc;

use super::{
    audit::{unix_millis, Call},
    core::Service,
    error::Error,
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, ArchiveError, NewDocument, NewRenewal, RenewalCandidate},
    cms::tsp,
    crypto, pdf,
    verify::{self, TrustConfig, Verdict},
};

/// The renewal window when a request names none: a year leaves time to notice a failing sweep.
pub const DEFAULT_WINDOW_DAYS: u32 = 365;
/// A hundred years: beyond that a window is a typing error.
pub const MAX_WINDOW_DAYS: u32 = 36_500;
/// Results read per page of the sweep.
const PAGE: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalOptions {
    /// Renew results whose newest timestamp's TSA certificate expires within this many days
    /// (0: [`DEFAULT_WINDOW_DAYS`]).
    pub window_days: u32,
    /// Report what is due without writing anything.
    pub dry_run: bool,
}

/// A sweep resolved before anything is streamed: bad options and a missing or stale TSA are
/// precise errors, not a broken stream.
#[derive(Debug, Clone)]
pub struct RenewalPlan {
    /// Who asked for the sweep; its audit lines name them.
    pub caller: Caller,
    pub dry_run: bool,
    pub now: OffsetDateTime,
    pub horizon: OffsetDateTime,
    /// When the certificate of the TSA that would sign new timestamps expires.
    pub tsa_expires_at: OffsetDateTime,
    /// Results the sweep examines.
    pub candidates: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalAction {
    /// A new version with a fresh document timestamp is stored and logged.
    Renewed,
    /// The newest timestamp lasts beyond the window.
    NotDue,
    /// Due, and `dry_run` was asked.
    WouldRenew,
    /// Due, but renewing would not help: the TSA's own certificate expires no later.
    Skipped,
    /// The current version does not verify, or storing failed: nothing was changed.
    Failed,
}

impl RenewalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RenewalAction::Renewed => "renewed",
            RenewalAction::NotDue => "not due",
            RenewalAction::WouldRenew => "would renew",
            RenewalAction::Skipped => "skipped",
            RenewalAction::Failed => "failed",
        }
    }
}

/// What the sweep did with one result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalOutcome {
    pub result_code: String,
    pub action: RenewalAction,
    pub detail: String,
    /// The version examined.
    pub previous_sha256: Vec<u8>,
    /// The new version (renewed only).
    pub sha256: Vec<u8>,
    /// When the newest timestamp's TSA certificate expires after the sweep.
    pub timestamp_expires_at: Option<OffsetDateTime>,
    /// The new version's leaf in the transparency log (renewed only).
    pub leaf_index: Option<u64>,
}

/// One step of the sweep's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalProgress {
    pub candidates: u64,
    pub done: u64,
    pub outcome: RenewalOutcome,
}

fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// When the newest valid timestamp of a verified document stops being provable: its TSA
/// certificate's expiry. `None` when the document has no valid timestamp at all.
fn newest_timestamp_expiry(report: &verify::Report) -> Option<OffsetDateTime> {
    report
        .signatures
        .iter()
        .filter_map(|s| s.timestamp.as_ref())
        .filter(|t| t.verdict == Verdict::Valid)
        .max_by_key(|t| t.time)
        .and_then(|t| t.chain.path.first())
        .map(|tsa| tsa.not_after)
}

impl<A: Archive> Service<A> {
    /// Checks the options and the TSA, and counts what the sweep will examine.
    pub async fn renewal_plan(
        &self,
        caller: &Caller,
        options: RenewalOptions,
    ) -> Result<RenewalPlan, Error> {
        let call = self.call(caller, "RenewTimestamps");
        self.audited(&call, self.plan_renewal(caller, options))
            .await
    }

    async fn plan_renewal(
        &self,
        caller: &Caller,
        options: RenewalOptions,
    ) -> Result<RenewalPlan, Error> {
        // A sweep examines every department's results.
        caller.require_everywhere(Permission::Admin)?;
        let window_days = match options.window_days {
            0 => DEFAULT_WINDOW_DAYS,
            days if days > MAX_WINDOW_DAYS => {
                return Err(Error::InvalidArgument(format!(
                    "window_days {days} is more than {MAX_WINDOW_DAYS} (a hundred years)"
                )))
            }
            days => days,
        };
        let now = (self.clock)();
        let horizon = now + Duration::days(i64::from(window_days));
        let tsa_expires_at = self.tsa_certificate_expiry()?;
        let candidates = self
            .archive
            .count_renewal_candidates(unix_millis(horizon))
            .await?;
        Ok(RenewalPlan {
            caller: caller.clone(),
            dry_run: options.dry_run,
            now,
            horizon,
            tsa_expires_at,
            candidates,
        })
    }

    /// Asks the TSA for one token and reads its certificate: whatever the TSA is, this is the
    /// certificate new timestamps will carry.
    fn tsa_certificate_expiry(&self) -> Result<OffsetDateTime, Error> {
        let tsa = self.timestamper.as_deref().ok_or_else(|| {
            Error::FailedPrecondition(
                "no timestamp authority is configured: renewal adds a document timestamp".into(),
            )
        })?;
        let digest = crypto::sha256(b"ketqua renewal: timestamp authority probe");
        let token = tsa
            .timestamp(&digest)
            .map_err(|e| Error::Unavailable(format!("the timestamp authority failed: {e}")))?;
        let info = tsp::verify_token(&token, &digest).map_err(|e| {
            Error::Internal(format!(
                "the timestamp authority's token does not verify: {e}"
            ))
        })?;
        verify::certificate_summary(&info.tsa_certificate_der)
            .map(|c| c.not_after)
            .ok_or_else(|| {
                Error::Internal("the timestamp authority's certificate does not parse".into())
            })
    }

    /// Runs the sweep of `plan`, sending one progress message per result examined. A failure
    /// on one result is reported and the sweep goes on; a failing archive ends it.
    pub async fn renew_timestamps(
        &self,
        plan: RenewalPlan,
        tx: mpsc::Sender<Result<RenewalProgress, Error>>,
    ) {
        // One trust configuration for the whole sweep, as one verification run would use.
        let trust = self.trust_config();
        let mut after: Option<String> = None;
        let mut done = 0u64;
        loop {
            let page = match self
                .archive
                .renewal_candidates(unix_millis(plan.horizon), after.as_deref(), PAGE)
                .await
            {
                Ok(page) => page,
                Err(error) => {
                    let _ = tx.send(Err(error.into())).await;
                    return;
                }
            };
            let Some(last) = page.last() else {
                return;
            };
            after = Some(last.result_code.clone());
            for candidate in page {
                let outcome = self.renew_one(&plan, &trust, &candidate).await;
                done += 1;
                let progress = RenewalProgress {
                    // Results issued during the sweep can make it examine more than counted.
                    candidates: plan.candidates.max(done),
                    done,
                    outcome,
                };
                if tx.send(Ok(progress)).await.is_err() {
                    // The client went away: stop between results, never inside one.
                    return;
                }
            }
        }
    }

    async fn renew_one(
        &self,
        plan: &RenewalPlan,
        trust: &TrustConfig,
        candidate: &RenewalCandidate,
    ) -> RenewalOutcome {
        let mut outcome = RenewalOutcome {
            result_code: candidate.result_code.clone(),
            action: RenewalAction::Failed,
            detail: String::new(),
            previous_sha256: candidate.current_sha256.clone(),
            sha256: Vec::new(),
            timestamp_expires_at: candidate.timestamp_expires_at_ms.and_then(from_millis),
            leaf_index: None,
        };
        if let Err(error) = self.try_renew(plan, trust, candidate, &mut outcome).await {
            outcome.action = RenewalAction::Failed;
            outcome.detail = error.to_string();
        }
        if outcome.action == RenewalAction::Failed {
            tracing::warn!(result = %outcome.result_code, detail = %outcome.detail, "renewal failed");
            // Renewals audit themselves in their transaction; failures get their own line.
            let call = Call {
                caller: &plan.caller,
                method: "RenewTimestamps",
                request_id: "",
                credential_id: "",
                dossier_code: &candidate.dossier_code,
                at: plan.now,
            };
            let entry = call.audit(
                "failed",
                format!("result {}: {}", outcome.result_code, outcome.detail),
            );
            if let Err(audit_error) = self.archive.record_audit(&entry).await {
                tracing::error!(%audit_error, "could not audit a failed renewal");
            }
        }
        outcome
    }

    async fn try_renew(
        &self,
        plan: &RenewalPlan,
        trust: &TrustConfig,
        candidate: &RenewalCandidate,
        outcome: &mut RenewalOutcome,
    ) -> Result<(), Error> {
        let pdf = self
            .archive
            .blob(&candidate.current_sha256)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "the current version {} is missing from the archive",
                    hex::encode(&candidate.current_sha256)
                ))
            })?;
        let report = tokio::task::block_in_place(|| {
            verify::verify_within(&pdf, trust, None, plan.now, self.read_limits())
        });
        if report.verdict != Verdict::Valid {
            // A timestamp over a broken document would only preserve the breakage; the
            // archivist must look at it.
            outcome.detail = format!(
                "the current version does not verify ({}): {}",
                report.verdict.as_str(),
                report.reason
            );
            return Ok(());
        }
        // No valid timestamp at all (a B-B result): nothing proves when it existed, so it is
        // due now.
        let expires = newest_timestamp_expiry(&report).unwrap_or(plan.now);
        outcome.timestamp_expires_at = Some(expires);
        if expires > plan.horizon {
            outcome.action = RenewalAction::NotDue;
            outcome.detail = format!(
                "the newest timestamp's certificate expires {}, after the window",
                rfc3339(expires)
            );
            if !plan.dry_run {
                self.archive
                    .note_timestamp_expiry(
                        &candidate.result_code,
                        &candidate.current_sha256,
                        unix_millis(expires),
                    )
                    .await?;
            }
            return Ok(());
        }
        if plan.tsa_expires_at <= expires {
            outcome.action = RenewalAction::Skipped;
            outcome.detail = format!(
                "due (the newest timestamp's certificate expires {}), but the timestamp authority's certificate expires {}, no later: renew the TSA certificate first",
                rfc3339(expires),
                rfc3339(plan.tsa_expires_at)
            );
            return Ok(());
        }
        if plan.dry_run {
            outcome.action = RenewalAction::WouldRenew;
            outcome.detail = format!(
                "the newest timestamp's certificate expires {}",
                rfc3339(expires)
            );
            return Ok(());
        }
        let renewed = self.validated(&[], |validation| {
            let appendix = pdf::add_document_timestamp(&pdf, validation)?;
            let mut renewed = Vec::with_capacity(pdf.len() + appendix.len());
            renewed.extend_from_slice(&pdf);
            renewed.extend_from_slice(&appendix);
            Ok(renewed)
        })?;
        // The new version must be at least as good as the old one before it is kept.
        let check = tokio::task::block_in_place(|| {
            verify::verify_within(&renewed, trust, None, plan.now, self.read_limits())
        });
        let new_expiry = newest_timestamp_expiry(&check);
        if check.verdict != Verdict::Valid || new_expiry.is_none_or(|t| t <= expires) {
            return Err(Error::Internal(format!(
                "the renewed version does not verify as an improvement ({}): {}",
                check.verdict.as_str(),
                check.reason
            )));
        }
        let new_expiry = new_expiry.unwrap_or(plan.tsa_expires_at);
        let sha256 = crypto::sha256(&renewed);
        let at = (self.clock)();
        let call = Call {
            caller: &plan.caller,
            method: "RenewTimestamps",
            request_id: "",
            credential_id: "",
            dossier_code: &candidate.dossier_code,
            at,
        };
        let audit = call.audit(
            "ok",
            format!(
                "result {} renewed: {} -> {}; newest timestamp valid until {}",
                candidate.result_code,
                hex::encode(&candidate.current_sha256),
                hex::encode(sha256),
                rfc3339(new_expiry)
            ),
        );
        let renewal = NewRenewal {
            result_code: candidate.result_code.clone(),
            dossier_code: candidate.dossier_code.clone(),
            previous_sha256: candidate.current_sha256.clone(),
            document: NewDocument {
                name: format!("{}.pdf", candidate.result_code),
                media_type: "application/pdf".to_owned(),
                sha256,
                content: renewed,
            },
            level: "B-LTA".to_owned(),
            renewed_at_ms: unix_millis(at),
            timestamp_expires_at_ms: unix_millis(new_expiry),
        };
        let receipt = match self.archive.renew_result(&renewal, &audit).await {
            Ok(receipt) => receipt,
            Err(ArchiveError::Conflict { .. }) => {
                outcome.action = RenewalAction::NotDue;
                outcome.detail =
                    "renewed by a concurrent sweep while this one was working on it".to_owned();
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(
            result = %candidate.result_code,
            previous = %hex::encode(&candidate.current_sha256),
            renewed = %hex::encode(sha256),
            leaf = receipt.leaf_index,
            "result renewed with a document timestamp"
        );
        outcome.action = RenewalAction::Renewed;
        outcome.detail = format!(
            "document timestamp added; the newest timestamp's certificate now expires {}",
            rfc3339(new_expiry)
        );
        outcome.sha256 = sha256.to_vec();
        outcome.timestamp_expires_at = Some(new_expiry);
        outcome.leaf_index = Some(receipt.leaf_index);
        Ok(())
    }
}
