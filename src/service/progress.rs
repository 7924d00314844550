//! What a dossier's history says beyond its state — the due dates extensions moved, the time
//! spent waiting for the applicant's papers — and `Track`, the public view of a dossier for the
//! citizen who holds its code: dates and departments, never officials, documents or notes, and
//! the applicant's own details only with the applicant's identifier as a second factor.

use time::{Date, OffsetDateTime};

use super::{
    audit::Call,
    checks::{parse_date, parse_dossier_code, stored_state},
    core::Service,
    error::Error,
};
use crate::{
    access::Caller,
    archive::{Archive, StoredRecord},
    crypto,
    flow::{timeliness, vietnam_date, Fee, State, Step, Timeliness},
    proto::v1 as pb,
    record,
};

/// A due date moved by `Extend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub extended_on: Date,
    pub previous_due_date: String,
    pub new_due_date: String,
    pub reason: String,
    pub record_sequence: i64,
}

/// A time the dossier waited for the applicant's missing papers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementWait {
    pub requested_on: Date,
    /// The re-receipt; `None` while still waiting.
    pub received_on: Option<Date>,
    /// Calendar days waited, up to the re-receipt or today.
    pub days: u32,
}

/// A procedure's fee and, once recorded, its payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeStatus {
    pub fee: Fee,
    pub payment: Option<pb::Payment>,
}

impl FeeStatus {
    pub(super) fn of(fee: &Fee, records: &[(StoredRecord, pb::StepRecord)]) -> FeeStatus {
        FeeStatus {
            fee: fee.clone(),
            payment: records
                .iter()
                .rev()
                .find(|(_, r)| step_of(r) == Some(Step::RecordPayment))
                .and_then(|(_, r)| r.payment.clone()),
        }
    }
}

/// What a dossier's records say about its deadlines, read in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineHistory {
    pub extensions: Vec<Extension>,
    pub supplement_waits: Vec<SupplementWait>,
}

impl DeadlineHistory {
    pub(super) fn of(records: &[(StoredRecord, pb::StepRecord)], today: Date) -> DeadlineHistory {
        let mut history = DeadlineHistory::default();
        let mut waiting_since: Option<Date> = None;
        for (stored, decoded) in records {
            let on = record_time(decoded).map(vietnam_date);
            match step_of(decoded) {
                Some(Step::Extend) => history.extensions.push(Extension {
                    extended_on: on.unwrap_or(today),
                    previous_due_date: decoded.previous_due_date.clone(),
                    new_due_date: decoded.due_date.clone(),
                    reason: decoded.note.clone(),
                    record_sequence: stored.sequence,
                }),
                Some(Step::RequestSupplement) => waiting_since = on,
                Some(Step::Receive) => {
                    if let Some(requested_on) = waiting_since.take() {
                        let received_on = on.unwrap_or(today);
                        history.supplement_waits.push(SupplementWait {
                            requested_on,
                            received_on: Some(received_on),
                            days: days_between(requested_on, received_on),
                        });
                    }
                }
                // A dossier withdrawn or refused while waiting stops waiting there.
                Some(step) if step != Step::Revoke && waiting_since.is_some() => {
                    if let Some(requested_on) = waiting_since.take() {
                        let ended = on.unwrap_or(today);
                        history.supplement_waits.push(SupplementWait {
                            requested_on,
                            received_on: None,
                            days: days_between(requested_on, ended),
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(requested_on) = waiting_since {
            history.supplement_waits.push(SupplementWait {
                requested_on,
                received_on: None,
                days: days_between(requested_on, today),
            });
        }
        history
    }
}

fn days_between(from: Date, to: Date) -> u32 {
    u32::try_from((to - from).whole_days()).unwrap_or(0)
}

fn step_of(decoded: &pb::StepRecord) -> Option<Step> {
    pb::Step::try_from(decoded.step)
        .ok()
        .and_then(record::step_from_proto)
}

pub(super) fn record_time(decoded: &pb::StepRecord) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(decoded.time_unix_millis) * 1_000_000).ok()
}

/// Steps whose reasons are addressed to the applicant (what is missing, why refused…), shown
/// to someone who proves they are the applicant. The others' notes are the department's own.
fn addresses_the_applicant(step: Step) -> bool {
    matches!(
        step,
        Step::RequestSupplement | Step::Refuse | Step::Withdraw | Step::Stop | Step::Extend
    )
}

/// A step as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressStep {
    pub step: Step,
    pub at: OffsetDateTime,
    /// The name of the acting official's department.
    pub department: String,
    pub state_after: Option<State>,
    /// Only for the verified applicant, and only for steps addressed to them.
    pub note: Option<String>,
}

/// A result issued to the applicant, by its code (its page is `/v/<code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedResultRef {
    pub result_code: String,
    pub status: String,
    pub issued_on: Date,
}

/// A dossier as `Track` and the progress page show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressView {
    pub dossier_code: String,
    pub state: State,
    pub procedure_code: String,
    pub procedure_name: String,
    /// The handling department's id and its name in the catalog.
    pub department: String,
    pub department_name: String,
    pub received_on: String,
    pub due_date: String,
    pub timeliness: Timeliness,
    pub history: DeadlineHistory,
    /// The fee and whether it is paid; the payment's reference is not shown.
    pub fee: Option<FeeStatus>,
    pub steps: Vec<ProgressStep>,
    pub results: Vec<IssuedResultRef>,
    /// `applicant_id` was given and is the dossier's.
    pub applicant_verified: bool,
    pub applicant_name: Option<String>,
}

/// Identifiers as people type them: spaces around, lower-case letters of a passport number.
fn same_identifier(given: &str, stored: &str) -> bool {
    let normal = |s: &str| s.trim().to_uppercase();
    // Compared by digest, so the time taken says nothing about how much of it was right.
    crypto::sha256(normal(given).as_bytes()) == crypto::sha256(normal(stored).as_bytes())
}

impl<A: Archive> Service<A> {
    /// A department's name in the catalog, its id when the catalog no longer has it.
    fn department_name(&self, id: &str) -> String {
        self.catalog
            .department(id)
            .map_or_else(|| id.to_owned(), |d| d.name.clone())
    }

    /// The public view of a dossier: anyone holding its code may ask, and every asking is
    /// audited.
    pub async fn track(
        &self,
        caller: &Caller,
        dossier_code: &str,
        applicant_id: &str,
    ) -> Result<ProgressView, Error> {
        let call = Call {
            dossier_code,
            ..self.call(caller, "Track")
        };
        self.audited_read(&call, self.track_inner(dossier_code, applicant_id))
            .await
    }

    async fn track_inner(
        &self,
        dossier_code: &str,
        applicant_id: &str,
    ) -> Result<ProgressView, Error> {
        if applicant_id.len() > 64 {
            return Err(Error::InvalidArgument(
                "applicant_id is longer than any identity number (64 bytes at most)".to_owned(),
            ));
        }
        let code = parse_dossier_code(dossier_code)?;
        let row = self.load(&code).await?;
        let state = stored_state(&row)?;
        let today = vietnam_date((self.clock)());
        let due = parse_date(&row.due_date)?;
        let finished = row.finished_on.as_deref().map(parse_date).transpose()?;
        let applicant_verified =
            !applicant_id.trim().is_empty() && same_identifier(applicant_id, &row.applicant_id);
        let records = self.decoded_records(&code).await?;
        let steps = records
            .iter()
            .filter_map(|(_, decoded)| {
                let step = step_of(decoded)?;
                let note = (applicant_verified
                    && addresses_the_applicant(step)
                    && !decoded.note.is_empty())
                .then(|| decoded.note.clone());
                Some(ProgressStep {
                    step,
                    at: record_time(decoded)?,
                    department: decoded
                        .actor
                        .as_ref()
                        .map(|a| self.department_name(&a.department))
                        .unwrap_or_default(),
                    state_after: pb::DossierState::try_from(decoded.state_after)
                        .ok()
                        .and_then(record::state_from_proto),
                    note,
                })
            })
            .collect();
        let results = self
            .archive
            .results(&code)
            .await?
            .into_iter()
            .filter_map(|result| {
                let issued = OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(result.issued_at_ms?) * 1_000_000,
                )
                .ok()?;
                Some(IssuedResultRef {
                    result_code: result.result_code,
                    status: result.status,
                    issued_on: vietnam_date(issued),
                })
            })
            .collect();
        let procedure_name = self.procedure_name(&row.procedure_code);
        Ok(ProgressView {
            dossier_code: row.code.clone(),
            state,
            timeliness: timeliness(due, today, finished, state.awaits_applicant()),
            history: DeadlineHistory::of(&records, today),
            fee: self.fee_of(&row.procedure_code).map(|fee| {
                let status = FeeStatus::of(fee, &records);
                FeeStatus {
                    payment: status.payment.map(|p| pb::Payment {
                        reference: String::new(),
                        ..p
                    }),
                    ..status
                }
            }),
            procedure_code: row.procedure_code.clone(),
            procedure_name,
            department_name: self.department_name(&row.department),
            department: row.department.clone(),
            received_on: row.received_on.clone(),
            due_date: row.due_date.clone(),
            steps,
            results,
            applicant_verified,
            applicant_name: applicant_verified.then(|| row.applicant_name.clone()),
        })
    }
}
