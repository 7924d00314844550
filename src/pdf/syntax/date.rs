//! PDF dates (ISO 32000-1 §7.9.4), `D:YYYYMMDDHHmmSS+HH'mm'`: the one formatter, for the
//! signing time in /M and the document information dates, and the one parser, for the times a
//! verifier reads from signature dictionaries (untrusted: lenient about missing parts, never a
//! panic).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::object::Object;

/// `D:YYYYMMDDHHmmSS+HH'mm'`, in the time's own offset.
pub fn format_date(t: OffsetDateTime) -> String {
    let offset = t.offset();
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}'{:02}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// [`format_date`] as a PDF string object.
pub fn date(t: OffsetDateTime) -> Object {
    Object::String(format_date(t).into_bytes())
}

/// A PDF date `D:YYYYMMDDHHmmSSOHH'mm'`, lenient about missing parts (a missing month or day
/// is 1, a missing time 0, a missing offset UTC); `None` when what is there is not a date.
pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from.checked_add(len)?) {
            Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = i32::try_from(digits(0, 4, 0)?).ok()?;
    if s.len() < 4 {
        return None;
    }
    let two =
        |from: usize, default: u32| -> Option<u8> { u8::try_from(digits(from, 2, default)?).ok() };
    let month = Month::try_from(two(4, 1)?).ok()?;
    let date = Date::from_calendar_date(year, month, two(6, 1)?).ok()?;
    let time = Time::from_hms(two(8, 0)?, two(10, 0)?, two(12, 0)?).ok()?;
    let rest = s.get(14..).unwrap_or("");
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let t: String = rest
                .get(1..)
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let h: i8 = t.get(0..2).and_then(|v| v.parse().ok()).unwrap_or(0);
            let m: i8 = t.get(2..4).and_then(|v| v.parse().ok()).unwrap_or(0);
            // Two digits parse to 0..=99: negating cannot overflow.
            let (h, m) = if sign == '-' {
                (h.checked_neg()?, m.checked_neg()?)
            } else {
                (h, m)
            };
            UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => UtcOffset::UTC,
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn formats_in_the_time_s_own_offset() {
        let t = time::macros::datetime!(2026-05-04 10:02:01 +07:00);
        assert_eq!(format_date(t), "D:20260504100201+07'00'");
        assert_eq!(date(t).to_bytes(), b"(D:20260504100201+07'00')".to_vec());
        let t = time::macros::datetime!(2026-05-04 10:02:01 -03:30);
        assert_eq!(format_date(t), "D:20260504100201-03'30'");
    }

    #[test]
    fn pdf_dates() {
        let t = parse_date("D:20261122103000+07'00'").unwrap();
        assert_eq!(t.unix_timestamp(), 1795318200);
        assert!(parse_date("D:2026").is_some());
        assert!(parse_date("garbage").is_none());
        assert!(parse_date("D:20261340").is_none());
    }

    #[test]
    fn parse_reads_what_format_writes() {
        for t in [
            time::macros::datetime!(2026-05-04 10:02:01 +07:00),
            time::macros::datetime!(1999-12-31 23:59:59 -03:30),
            time::macros::datetime!(2026-01-01 00:00:00 UTC),
        ] {
            assert_eq!(parse_date(&format_date(t)), Some(t));
        }
        for hostile in [
            "D:",
            "D:2026+",
            "D:20260101000000-",
            "D:2026é",
            "D:99999999999999+99'99'",
        ] {
            let _ = parse_date(hostile);
        }
    }
}
