//! Deadlines in working days, in Vietnam time.
//!
//! Processing times of administrative procedures are set in working days (ngày làm việc):
//! Monday to Friday, minus the public holidays and compensatory days off that the government
//! announces each year. Weekend make-up working days (ngày làm bù) are not modelled: they are
//! rare, and the cost is a deadline one working day later than the official count across one.

use std::collections::BTreeSet;
use std::ops::Bound;

use time::{Date, OffsetDateTime, UtcOffset, Weekday};

/// Vietnam has used UTC+7 without daylight saving time since 1975.
pub const VIETNAM: UtcOffset = time::macros::offset!(+7);

/// The longest processing time accepted, ten years of working days. Real procedures take from a
/// day to a few months; the cap keeps a typo or a hostile request from costing real work.
pub const MAX_PROCESSING_DAYS: u32 = 3650;

/// How far past the receipt date a due date is searched for. 3650 working days span about 14
/// calendar years, so 20 years leaves room for every plausible holiday list; a calendar with
/// (almost) every day a holiday fails here instead of searching to the end of time.
const MAX_SCAN_DAYS: u32 = 20 * 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "processing time of {days} working days is too long: at most {MAX_PROCESSING_DAYS} \
         working days are supported"
    )]
    TooManyDays { days: u32 },
    #[error(
        "no due date for a dossier received on {received} with a processing time of {days} \
         working days: the calendar has fewer working days than that in the following 20 years"
    )]
    NoDueDate { received: Date, days: u32 },
}

/// Working days: Monday to Friday except the configured holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    holidays: BTreeSet<Date>,
}

impl WorkingCalendar {
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        WorkingCalendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        is_weekday(d) && !self.holidays.contains(&d)
    }

    /// The due date of a dossier received on `received` with a processing time of `days`
    /// working days: the `days`-th working day after the receipt day (the receipt day itself
    /// does not count, whether or not it is a working day). `days = 0` gives the receipt day.
    ///
    /// Fails rather than loops or panics for more than `MAX_PROCESSING_DAYS`, for a calendar
    /// without enough working days in the next 20 years, and at the end of the supported dates.
    pub fn due_date(&self, received: Date, days: u32) -> Result<Date, CalendarError> {
        if days > MAX_PROCESSING_DAYS {
            return Err(CalendarError::TooManyDays { days });
        }
        let mut day = received;
        let mut remaining = days;
        let mut scanned = 0;
        while remaining > 0 {
            if scanned == MAX_SCAN_DAYS {
                return Err(CalendarError::NoDueDate { received, days });
            }
            day = day
                .next_day()
                .ok_or(CalendarError::NoDueDate { received, days })?;
            scanned += 1;
            if self.is_working_day(day) {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    /// The number of working days `d` with `from < d <= to`, negated when `to` is before
    /// `from`. So `working_days_between(received, due_date(received, n)) == n`, and
    /// `working_days_between(due, finished)` is how many working days a dossier was late
    /// (positive) or early (negative).
    ///
    /// Counted arithmetically rather than day by day, so any pair of dates costs the same.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let holidays_on_weekdays = self
            .holidays
            .range((Bound::Excluded(from), Bound::Included(to)))
            .filter(|d| is_weekday(**d))
            .count();
        // A set of dates within the supported range has far fewer than i64::MAX elements.
        let holidays_on_weekdays = i64::try_from(holidays_on_weekdays).unwrap_or(i64::MAX);
        weekdays_up_to(to) - weekdays_up_to(from) - holidays_on_weekdays
    }
}

fn is_weekday(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A running count of weekdays: the difference between two dates' values is the number of
/// weekdays after the first up to and including the second. Anchored on a Monday.
fn weekdays_up_to(d: Date) -> i64 {
    // 2000-01-03 was a Monday; its Julian day number is 2 451 547.
    const MONDAY: i64 = 2_451_547;
    let offset = i64::from(d.to_julian_day()) - MONDAY;
    5 * offset.div_euclid(7) + (offset.rem_euclid(7) + 1).min(5)
}

/// Whether a dossier met its deadline. The due date is the last day that counts as on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Still being processed, due date not yet passed.
    OnTime,
    /// Still being processed, due date passed: an apology slip with a new date is owed.
    Overdue,
    FinishedOnTime,
    FinishedLate,
    /// A supplement is requested: the clock is stopped until the re-receipt, which sets a new
    /// due date, so the dossier is neither on time nor overdue meanwhile.
    AwaitingApplicant,
}

impl Timeliness {
    pub fn as_str(self) -> &'static str {
        match self {
            Timeliness::OnTime => "on_time",
            Timeliness::Overdue => "overdue",
            Timeliness::FinishedOnTime => "finished_on_time",
            Timeliness::FinishedLate => "finished_late",
            Timeliness::AwaitingApplicant => "awaiting_applicant",
        }
    }

    pub fn vietnamese(self) -> &'static str {
        match self {
            Timeliness::OnTime => "trong hạn",
            Timeliness::Overdue => "quá hạn",
            Timeliness::FinishedOnTime => "hoàn thành đúng hạn",
            Timeliness::FinishedLate => "hoàn thành trễ hạn",
            Timeliness::AwaitingApplicant => "tạm dừng, chờ bổ sung hồ sơ",
        }
    }
}

/// `finished_on` is the Vietnam date on which the dossier reached a terminal state; when it is
/// set, `today` does not matter. `awaiting_applicant`: a supplement is requested (the clock is
/// stopped).
pub fn timeliness(
    due: Date,
    today: Date,
    finished_on: Option<Date>,
    awaiting_applicant: bool,
) -> Timeliness {
    match finished_on {
        Some(f) if f <= due => Timeliness::FinishedOnTime,
        Some(_) => Timeliness::FinishedLate,
        None if awaiting_applicant => Timeliness::AwaitingApplicant,
        None if today <= due => Timeliness::OnTime,
        None => Timeliness::Overdue,
    }
}

/// The calendar date in Vietnam at instant `t`, whatever offset `t` carries. At the very ends of
/// the supported time range, where the Vietnam date is not representable, it saturates.
pub fn vietnam_date(t: OffsetDateTime) -> Date {
    match t.checked_to_offset(VIETNAM) {
        Some(local) => local.date(),
        None if t.year() > 0 => Date::MAX,
        None => Date::MIN,
    }
}

/// Unix milliseconds as RFC 3339 in UTC, as machines read times (APIs, packages, events);
/// empty outside the representable range.
pub fn rfc3339_millis(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Instant `t` on Vietnam's wall clock, `dd/mm/yyyy hh:mm:ss`: how signing times are shown on
/// signature stamps and on the verification page (each names the offset in its own words). At
/// the very ends of the supported time range, where Vietnam time is not representable, `t` is
/// shown in its own offset.
pub fn vietnam_time(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(VIETNAM).unwrap_or(t);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    #[test]
    fn vietnam_time_is_utc_plus_seven() {
        assert_eq!(
            vietnam_time(datetime!(2026-05-04 20:02:01 UTC)),
            "05/05/2026 03:02:01"
        );
        assert_eq!(
            vietnam_time(datetime!(2026-05-04 10:02:01 +07:00)),
            "04/05/2026 10:02:01"
        );
        // The end of the range cannot be shown in Vietnam time, and is not a panic.
        assert_eq!(
            vietnam_time(datetime!(9999-12-31 23:00:00 UTC)),
            "31/12/9999 23:00:00"
        );
    }

    #[test]
    fn anchor_is_a_monday() {
        assert_eq!(
            date!(2000 - 01 - 03).to_julian_day(),
            2_451_547,
            "anchor of weekdays_up_to"
        );
        assert_eq!(date!(2000 - 01 - 03).weekday(), Weekday::Monday);
    }

    #[test]
    fn friday_plus_one_is_monday() {
        let cal = WorkingCalendar::default();
        let friday = date!(2026 - 01 - 09);
        assert_eq!(friday.weekday(), Weekday::Friday);
        assert_eq!(cal.due_date(friday, 1), Ok(date!(2026 - 01 - 12)));
        assert_eq!(cal.due_date(friday, 0), Ok(friday));
        // Received on a Saturday: Monday is the first working day after it.
        assert_eq!(
            cal.due_date(date!(2026 - 01 - 10), 1),
            Ok(date!(2026 - 01 - 12))
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let cal = WorkingCalendar::new([date!(2026 - 04 - 30), date!(2026 - 05 - 01)]);
        // Wednesday 29 April + 1 working day: Thursday and Friday are holidays.
        assert_eq!(
            cal.due_date(date!(2026 - 04 - 29), 1),
            Ok(date!(2026 - 05 - 04))
        );
        assert!(!cal.is_working_day(date!(2026 - 04 - 30)));
        assert!(!cal.is_working_day(date!(2026 - 05 - 02)));
        assert!(cal.is_working_day(date!(2026 - 05 - 04)));
        assert_eq!(
            cal.working_days_between(date!(2026 - 04 - 29), date!(2026 - 05 - 04)),
            1
        );
        assert_eq!(
            cal.working_days_between(date!(2026 - 05 - 04), date!(2026 - 04 - 29)),
            -1
        );
    }

    #[test]
    fn absurd_inputs_fail_instead_of_looping() {
        let cal = WorkingCalendar::default();
        assert_eq!(
            cal.due_date(date!(2026 - 01 - 01), MAX_PROCESSING_DAYS + 1),
            Err(CalendarError::TooManyDays {
                days: MAX_PROCESSING_DAYS + 1
            })
        );
        assert_eq!(
            cal.due_date(date!(2026 - 01 - 01), u32::MAX),
            Err(CalendarError::TooManyDays { days: u32::MAX })
        );
        assert!(cal
            .due_date(date!(2026 - 01 - 01), MAX_PROCESSING_DAYS)
            .is_ok());
        assert!(matches!(
            cal.due_date(Date::MAX, 1),
            Err(CalendarError::NoDueDate { .. })
        ));

        let start = date!(2026 - 01 - 01);
        let every_day = (0..25 * 366).filter_map(|i| start.checked_add(time::Duration::days(i)));
        let closed = WorkingCalendar::new(every_day);
        assert_eq!(
            closed.due_date(start, 1),
            Err(CalendarError::NoDueDate {
                received: start,
                days: 1
            })
        );
        assert_eq!(closed.due_date(start, 0), Ok(start));
    }

    #[test]
    fn timeliness_boundaries() {
        let due = date!(2026 - 03 - 05);
        let next = date!(2026 - 03 - 06);
        assert_eq!(timeliness(due, due, None, false), Timeliness::OnTime);
        assert_eq!(timeliness(due, next, None, false), Timeliness::Overdue);
        assert_eq!(
            timeliness(due, next, None, true),
            Timeliness::AwaitingApplicant,
            "a dossier waiting for papers is not overdue"
        );
        assert_eq!(
            timeliness(due, next, Some(due), false),
            Timeliness::FinishedOnTime
        );
        assert_eq!(
            timeliness(due, due, Some(next), false),
            Timeliness::FinishedLate
        );
        assert_eq!(Timeliness::FinishedLate.as_str(), "finished_late");
    }

    #[test]
    fn vietnam_dates() {
        // 17:30 UTC is already the next day in Vietnam.
        assert_eq!(
            vietnam_date(datetime!(2026-02-16 17:30 UTC)),
            date!(2026 - 02 - 17)
        );
        assert_eq!(
            vietnam_date(datetime!(2026-02-16 16:59:59 UTC)),
            date!(2026 - 02 - 16)
        );
        assert_eq!(
            vietnam_date(datetime!(2026-02-16 20:00 -05:00)),
            date!(2026 - 02 - 17)
        );
        let end = Date::MAX.with_hms(23, 0, 0).unwrap().assume_utc();
        assert_eq!(vietnam_date(end), Date::MAX);
        let start = Date::MIN.midnight().assume_offset(VIETNAM);
        assert_eq!(vietnam_date(start), Date::MIN);
    }

    fn date_in(first: Date, last: Date) -> impl Strategy<Value = Date> {
        (first.to_julian_day()..=last.to_julian_day())
            .prop_map(|j| Date::from_julian_day(j).unwrap())
    }

    fn calendar_near(received: Date) -> impl Strategy<Value = WorkingCalendar> {
        proptest::collection::vec(0i64..400, 0..60).prop_map(move |offsets| {
            WorkingCalendar::new(
                offsets
                    .into_iter()
                    .filter_map(|o| received.checked_add(time::Duration::days(o - 30))),
            )
        })
    }

    fn case() -> impl Strategy<Value = (Date, WorkingCalendar, u32)> {
        let days = prop_oneof![8 => 0u32..=60, 1 => 0u32..=MAX_PROCESSING_DAYS];
        date_in(date!(2000 - 01 - 01), date!(2099 - 12 - 31))
            .prop_flat_map(move |received| (Just(received), calendar_near(received), days.clone()))
    }

    proptest! {
        #[test]
        fn due_date_properties((received, cal, days) in case()) {
            let due = cal.due_date(received, days).unwrap();
            prop_assert!(due >= received);
            if days >= 1 {
                prop_assert!(cal.is_working_day(due));
                prop_assert!(due > received);
            } else {
                prop_assert_eq!(due, received);
            }
            prop_assert_eq!(cal.working_days_between(received, due), i64::from(days));
            prop_assert_eq!(cal.working_days_between(due, received), -i64::from(days));
        }

        #[test]
        fn counting_matches_a_day_by_day_walk(
            from in date_in(date!(2025 - 01 - 01), date!(2027 - 12 - 31)),
            span in -200i64..200,
            holidays in proptest::collection::vec(0i64..500, 0..40),
        ) {
            let base = date!(2025 - 06 - 01);
            let cal = WorkingCalendar::new(
                holidays.into_iter().map(|o| base + time::Duration::days(o)),
            );
            let to = from + time::Duration::days(span);
            let (lo, hi, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
            let mut walked = 0i64;
            let mut d = lo;
            while d < hi {
                d = d.next_day().unwrap();
                if cal.is_working_day(d) {
                    walked += 1;
                }
            }
            prop_assert_eq!(cal.working_days_between(from, to), sign * walked);
        }
    }
}
