//! UTCTime and GeneralizedTime as DER allows them (RFC 5280 §4.1.2.5): UTC with `Z`, whole
//! seconds or a fraction without trailing zeros. Signing times and timestamp tokens come from
//! outside, so every field is checked before it becomes a date.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::error::DerError;
use super::reader::Tlv;
use super::tag::{GENERALIZED_TIME, UTC_TIME};

/// A UTCTime or GeneralizedTime in its DER form (UTC, `Z`, whole seconds or a fraction with
/// no trailing zero).
pub fn parse_time(tlv: &Tlv<'_>) -> Result<OffsetDateTime, DerError> {
    let text =
        std::str::from_utf8(tlv.content).map_err(|_| DerError::BadTime("not ASCII".into()))?;
    let bad = || DerError::BadTime(text.chars().take(32).collect());
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (year, rest, fraction) = match tlv.tag {
        UTC_TIME => {
            if body.len() != 12 {
                return Err(bad());
            }
            let yy = digits(body, 0, 2).ok_or_else(bad)?;
            // Two digits: 50–99 are 1950–1999, 00–49 are 2000–2049 (RFC 5280).
            let century = if yy < 50 { 2000 } else { 1900 };
            let year = yy.checked_add(century).ok_or_else(bad)?;
            (year, body.get(2..).ok_or_else(bad)?, None)
        }
        GENERALIZED_TIME => {
            let (main, fraction) = match body.split_once('.') {
                Some((m, f)) => (m, Some(f)),
                None => (body, None),
            };
            if main.len() != 14 {
                return Err(bad());
            }
            if let Some(f) = fraction {
                let ok = !f.is_empty()
                    && f.len() <= 9
                    && f.bytes().all(|b| b.is_ascii_digit())
                    && !f.ends_with('0');
                if !ok {
                    return Err(bad());
                }
            }
            (
                digits(main, 0, 4).ok_or_else(bad)?,
                main.get(4..).ok_or_else(bad)?,
                fraction,
            )
        }
        found => {
            return Err(DerError::UnexpectedTag {
                expected: UTC_TIME,
                found,
            })
        }
    };
    let field = |at: usize| digits(rest, at, 2).ok_or_else(bad);
    let month = Month::try_from(u8::try_from(field(0)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(
        i32::try_from(year).map_err(|_| bad())?,
        month,
        u8::try_from(field(2)?).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let nanos = match fraction {
        Some(f) => fraction_nanos(f).ok_or_else(bad)?,
        None => 0,
    };
    let time = Time::from_hms_nano(
        u8::try_from(field(4)?).map_err(|_| bad())?,
        u8::try_from(field(6)?).map_err(|_| bad())?,
        u8::try_from(field(8)?).map_err(|_| bad())?,
        nanos,
    )
    .map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Nanoseconds of a fraction of a second given as 1–9 decimal digits (`25` is 0.25 s).
fn fraction_nanos(digits: &str) -> Option<u32> {
    let n: u32 = digits.parse().ok()?;
    let missing = 9u32.checked_sub(u32::try_from(digits.len()).ok()?)?;
    n.checked_mul(10u32.checked_pow(missing)?)
}

fn digits(s: &str, at: usize, len: usize) -> Option<u32> {
    let part = s.get(at..at.checked_add(len)?)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}
