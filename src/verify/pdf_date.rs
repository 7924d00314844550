//! PDF dates (`D:YYYYMMDDHHmmSSOHH'mm'`), as the claimed signing time in a signature's /M.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A PDF date `D:YYYYMMDDHHmmSSOHH'mm'`, lenient about missing parts.
pub fn parse_pdf_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from + len) {
            Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0, 4, 0)? as i32;
    if s.len() < 4 {
        return None;
    }
    let month = Month::try_from(digits(4, 2, 1)? as u8).ok()?;
    let date = Date::from_calendar_date(year, month, digits(6, 2, 1)? as u8).ok()?;
    let time = Time::from_hms(
        digits(8, 2, 0)? as u8,
        digits(10, 2, 0)? as u8,
        digits(12, 2, 0)? as u8,
    )
    .ok()?;
    let rest = s.get(14..).unwrap_or("");
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let t: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = t.get(0..2).and_then(|v| v.parse().ok()).unwrap_or(0);
            let m: i8 = t.get(2..4).and_then(|v| v.parse().ok()).unwrap_or(0);
            let k = if sign == '-' { -1 } else { 1 };
            UtcOffset::from_hms(k * h, k * m, 0).ok()?
        }
        _ => UtcOffset::UTC,
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let t = parse_pdf_date("D:20261122103000+07'00'").unwrap();
        assert_eq!(t.unix_timestamp(), 1795318200);
        assert!(parse_pdf_date("D:2026").is_some());
        assert!(parse_pdf_date("garbage").is_none());
        assert!(parse_pdf_date("D:20261340").is_none());
    }
}
