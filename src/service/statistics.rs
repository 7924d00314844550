//! `Statistics`: the counts the one-stop centres report for a period (Circular 01/2018/TT-VPCP
//! reporting: received — carried over and new —, resolved early, on time and late, in progress
//! on time and overdue, extended, refused, withdrawn; and the headline rates). One aggregate
//! query over the dossiers the period handled (`archive::StatisticsQuery`); docs/events.md
//! defines each figure and the query's cost at a million dossiers.

use time::Date;

use super::{audit::Call, core::Service, error::Error};
use crate::{
    access::{Caller, Departments, Permission},
    archive::{Archive, DossierCounts, StatisticsQuery},
    flow::{vietnam_date, ProcedureCode, VIETNAM},
};

/// The longest period one call may count (five years and a day).
pub const MAX_STATISTICS_DAYS: i64 = 5 * 366;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatisticsInput {
    /// YYYY-MM-DD; empty: the first day of the current month.
    pub from: String,
    /// YYYY-MM-DD; empty: today.
    pub to: String,
    pub department: String,
    pub procedure_code: String,
}

/// A period's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsView {
    pub from: Date,
    pub to: Date,
    pub as_of: Date,
    pub department: Option<String>,
    pub procedure_code: Option<String>,
    pub counts: DossierCounts,
}

impl StatisticsView {
    pub fn received(&self) -> i64 {
        self.counts.carried_over + self.counts.received_new
    }

    pub fn received_at_desk(&self) -> i64 {
        self.counts.received_new - self.counts.received_online - self.counts.received_by_post
    }

    pub fn resolved(&self) -> i64 {
        self.counts.resolved_early + self.counts.resolved_on_time + self.counts.resolved_late
    }

    pub fn in_progress(&self) -> i64 {
        self.counts.in_progress_on_time + self.counts.in_progress_overdue
    }

    /// Resolved early or on time, of the resolved, in percent.
    pub fn on_time_rate(&self) -> Option<f64> {
        percent(
            self.counts.resolved_early + self.counts.resolved_on_time,
            self.resolved(),
        )
    }

    pub fn online_share(&self) -> Option<f64> {
        percent(self.counts.received_online, self.counts.received_new)
    }

    pub fn electronic_result_share(&self) -> Option<f64> {
        percent(self.counts.electronic_results, self.resolved())
    }
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

impl<A: Archive> Service<A> {
    pub async fn statistics(
        &self,
        caller: &Caller,
        input: &StatisticsInput,
    ) -> Result<StatisticsView, Error> {
        let call = self.call(caller, "Statistics");
        self.audited_read(&call, self.statistics_inner(&call, input))
            .await
    }

    async fn statistics_inner(
        &self,
        call: &Call<'_>,
        input: &StatisticsInput,
    ) -> Result<StatisticsView, Error> {
        let caller = call.caller;
        caller.require_some(Permission::Read)?;
        let department = match input.department.trim() {
            "" => match caller.departments_for(Permission::Read) {
                Departments::All => None,
                Departments::Only(only) if only.len() == 1 => only.into_iter().next(),
                Departments::Only(_) => {
                    return Err(Error::InvalidArgument(
                        "name the department: this caller may read several".to_owned(),
                    ))
                }
            },
            asked => {
                caller.require(Permission::Read, asked)?;
                if self.catalog.department(asked).is_none() {
                    return Err(Error::NotFound(format!(
                        "no department {asked:?} in the catalog"
                    )));
                }
                Some(asked.to_owned())
            }
        };
        let procedure_code = match input.procedure_code.trim() {
            "" => None,
            code => {
                let parsed: ProcedureCode = code
                    .parse()
                    .map_err(|e: crate::flow::CodeError| Error::InvalidArgument(e.to_string()))?;
                Some(parsed.to_string())
            }
        };
        let today = vietnam_date(call.at);
        let to = match input.to.trim() {
            "" => today,
            text => day("to", text)?,
        };
        let from = match input.from.trim() {
            "" => Date::from_calendar_date(to.year(), to.month(), 1)
                .map_err(|e| Error::Internal(e.to_string()))?,
            text => day("from", text)?,
        };
        if from > to {
            return Err(Error::InvalidArgument(format!(
                "the period is empty: from {from} is after to {to}"
            )));
        }
        if (to - from).whole_days() >= MAX_STATISTICS_DAYS {
            return Err(Error::InvalidArgument(format!(
                "a period of at most {MAX_STATISTICS_DAYS} days is counted at a time"
            )));
        }
        let as_of = to.min(today);
        let end_ms = to
            .next_day()
            .map(|next| next.midnight().assume_offset(VIETNAM))
            .map_or(i64::MAX, |end| {
                (end.unix_timestamp_nanos() / 1_000_000) as i64 - 1
            });
        let query = StatisticsQuery {
            from: from.to_string(),
            to: to.to_string(),
            as_of: as_of.to_string(),
            end_ms,
            department: department.clone(),
            procedure_code: procedure_code.clone(),
        };
        let counts = self.archive.count_dossiers(&query).await?;
        Ok(StatisticsView {
            from,
            to,
            as_of,
            department,
            procedure_code,
            counts,
        })
    }
}

fn day(name: &str, text: &str) -> Result<Date, Error> {
    Date::parse(text, &time::format_description::well_known::Iso8601::DATE).map_err(|_| {
        Error::InvalidArgument(format!("{name} {text:?} is not a date like 2026-11-22"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    #[test]
    fn rates_are_absent_without_a_denominator() {
        let mut view = StatisticsView {
            from: Date::from_calendar_date(2026, Month::October, 1).unwrap(),
            to: Date::from_calendar_date(2026, Month::October, 31).unwrap(),
            as_of: Date::from_calendar_date(2026, Month::October, 31).unwrap(),
            department: None,
            procedure_code: None,
            counts: DossierCounts::default(),
        };
        assert_eq!(view.on_time_rate(), None);
        view.counts.resolved_early = 1;
        view.counts.resolved_late = 1;
        view.counts.received_new = 4;
        view.counts.received_online = 1;
        assert_eq!(view.on_time_rate(), Some(50.0));
        assert_eq!(view.online_share(), Some(25.0));
        assert_eq!(view.received_at_desk(), 3);
    }
}
