//! What a step takes beyond a note and documents, from its own use case: the new due date of
//! an extension, the payment of a fee. `steps::plan_step` checks each against the dossier.

use time::Date;

use super::{commands::ExtendCommand, error::Error};
use crate::{
    flow::{WorkingCalendar, MAX_PROCESSING_DAYS},
    proto::v1 as pb,
};

/// What a step takes beyond a note and documents, from its own use case.
pub(super) enum StepDetails {
    None,
    /// `Extend`: the new due date.
    Extension(NewDueDate),
    /// `RecordPayment`: the payment, checked against the procedure's fee.
    Payment(pb::Payment),
}

/// How far ahead a new due date may be set: a year of working days is far beyond any
/// procedure's processing time, and keeps a typo (2062 for 2026) from being signed.
const MAX_EXTENSION_WORKING_DAYS: u32 = 260;

/// The new due date as the caller gives it: a date, or working days from today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NewDueDate {
    On(Date),
    WorkingDaysFromToday(u32),
}

impl NewDueDate {
    /// Exactly one of the two fields of the request.
    pub(super) fn of(command: &ExtendCommand) -> Result<NewDueDate, Error> {
        let date = command.new_due_date.trim();
        match (date.is_empty(), command.working_days) {
            (true, 0) => Err(Error::InvalidArgument(
                "give the new due date: new_due_date (YYYY-MM-DD) or working_days (from today)"
                    .to_owned(),
            )),
            (false, days) if days > 0 => Err(Error::InvalidArgument(
                "give new_due_date or working_days, not both".to_owned(),
            )),
            (false, _) => {
                time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE)
                    .map(NewDueDate::On)
                    .map_err(|_| {
                        Error::InvalidArgument(format!(
                            "new_due_date {:?} is not a date like 2026-12-24",
                            date.chars().take(32).collect::<String>()
                        ))
                    })
            }
            (true, days) if days > MAX_EXTENSION_WORKING_DAYS.min(MAX_PROCESSING_DAYS) => {
                Err(Error::InvalidArgument(format!(
                    "working_days {days} is too many: an extension is at most \
                     {MAX_EXTENSION_WORKING_DAYS} working days"
                )))
            }
            (true, days) => Ok(NewDueDate::WorkingDaysFromToday(days)),
        }
    }

    /// The date this names, checked against the dossier's current due date and today
    /// (Vietnam dates): later than the current one, not in the past, at most
    /// `MAX_EXTENSION_WORKING_DAYS` working days ahead.
    pub(super) fn resolve(
        self,
        calendar: &WorkingCalendar,
        today: Date,
        current: Date,
    ) -> Result<Date, Error> {
        let new = match self {
            NewDueDate::On(date) => date,
            NewDueDate::WorkingDaysFromToday(days) => calendar
                .due_date(today, days)
                .map_err(|e| Error::InvalidArgument(e.to_string()))?,
        };
        if new <= current {
            return Err(Error::InvalidArgument(format!(
                "the new due date {new} is not later than the current due date {current}"
            )));
        }
        if new < today {
            return Err(Error::InvalidArgument(format!(
                "the new due date {new} is in the past (today is {today} in Vietnam)"
            )));
        }
        if calendar.working_days_between(today, new) > i64::from(MAX_EXTENSION_WORKING_DAYS) {
            return Err(Error::InvalidArgument(format!(
                "the new due date {new} is more than {MAX_EXTENSION_WORKING_DAYS} working days \
                 from today ({today})"
            )));
        }
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn command(date: &str, days: u32) -> ExtendCommand {
        ExtendCommand {
            new_due_date: date.to_owned(),
            working_days: days,
            ..ExtendCommand::default()
        }
    }

    #[test]
    fn exactly_one_way_to_say_the_date() {
        assert!(matches!(
            NewDueDate::of(&command("", 0)),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            NewDueDate::of(&command("2026-12-24", 3)),
            Err(Error::InvalidArgument(m)) if m.contains("not both")
        ));
        assert!(matches!(
            NewDueDate::of(&command("24/12/2026", 0)),
            Err(Error::InvalidArgument(m)) if m.contains("not a date")
        ));
        assert!(matches!(
            NewDueDate::of(&command("", MAX_EXTENSION_WORKING_DAYS + 1)),
            Err(Error::InvalidArgument(m)) if m.contains("too many")
        ));
        assert_eq!(
            NewDueDate::of(&command(" 2026-12-24 ", 0)).unwrap(),
            NewDueDate::On(date!(2026 - 12 - 24))
        );
        assert_eq!(
            NewDueDate::of(&command("", 5)).unwrap(),
            NewDueDate::WorkingDaysFromToday(5)
        );
    }

    #[test]
    fn the_new_date_is_later_not_past_and_not_far() {
        let calendar = WorkingCalendar::new([date!(2026 - 12 - 25)]);
        let today = date!(2026 - 12 - 22); // a Tuesday
        let current = date!(2026 - 12 - 23);
        let later = NewDueDate::On(date!(2026 - 12 - 28));
        assert_eq!(
            later.resolve(&calendar, today, current).unwrap(),
            date!(2026 - 12 - 28)
        );
        let same = NewDueDate::On(current);
        assert!(matches!(
            same.resolve(&calendar, today, current),
            Err(Error::InvalidArgument(m)) if m.contains("not later")
        ));
        // An overdue dossier: a date after the old one but before today is still refused.
        let overdue = date!(2026 - 12 - 01);
        assert!(matches!(
            NewDueDate::On(date!(2026 - 12 - 10)).resolve(&calendar, today, overdue),
            Err(Error::InvalidArgument(m)) if m.contains("in the past")
        ));
        assert!(matches!(
            NewDueDate::On(date!(2028 - 12 - 10)).resolve(&calendar, today, current),
            Err(Error::InvalidArgument(m)) if m.contains("working days")
        ));
        // 3 working days from Tuesday 22nd, skipping the 25th holiday and the weekend: Monday 28th.
        assert_eq!(
            NewDueDate::WorkingDaysFromToday(3)
                .resolve(&calendar, today, current)
                .unwrap(),
            date!(2026 - 12 - 28)
        );
        assert!(NewDueDate::WorkingDaysFromToday(1)
            .resolve(&calendar, today, current)
            .is_err());
    }
}
