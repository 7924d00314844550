//! Identifiers of agencies, dossiers, results and procedures.
//!
//! Each type can only hold a well-formed value: fields are private and every way in (`FromStr`,
//! the validated constructors, serde) checks the form. Parsing never trims or normalises, so a
//! code has exactly one textual form and `parse(display(x)) == x`; callers that accept sloppy
//! input should trim before parsing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Which identifier an error is about, so that one error type can serve all of them and still
/// tell the user which field to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    Agency,
    Dossier,
    Result,
    Procedure,
}

impl CodeKind {
    /// The expected form with an example, quoted in every error about this kind.
    pub fn expected(self) -> &'static str {
        match self {
            CodeKind::Agency => "NNN.NN.NN.XNN (QCVN 102:2016) such as 000.00.12.H22",
            CodeKind::Dossier => "<agency code>-YYMMDD-NNNN such as 000.00.12.H22-261122-0042",
            CodeKind::Result => "<dossier code>-KQ<n> such as 000.00.12.H22-261122-0042-KQ1",
            CodeKind::Procedure => "D.DDDDDD such as 1.001233",
        }
    }
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeKind::Agency => "agency code",
            CodeKind::Dossier => "dossier code",
            CodeKind::Result => "result code",
            CodeKind::Procedure => "procedure code",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CodeError {
    #[error("{kind} is empty: expected {}", kind.expected())]
    Empty { kind: CodeKind },
    /// The text does not have the shape of the code at all (wrong length, separators, letters,
    /// spaces, non-ASCII characters).
    #[error("{kind} {input:?} is malformed: expected {}", kind.expected())]
    Malformed { kind: CodeKind, input: String },
    #[error(
        "{kind} {input:?} has date {yymmdd}, which is not a real calendar date: \
         expected YYMMDD such as 261122"
    )]
    InvalidDate {
        kind: CodeKind,
        input: String,
        yymmdd: String,
    },
    #[error("{kind} {input:?} has running number 0000: expected a number from 0001 to 9999")]
    ZeroNumber { kind: CodeKind, input: String },
    #[error(
        "result code {input:?} has result number {found:?}: expected KQ followed by a number \
         from 1 without leading zeros, such as 000.00.12.H22-261122-0042-KQ1"
    )]
    InvalidResultIndex { input: String, found: String },
    #[error("dossier number {number} is out of range: expected a number from 1 to 9999")]
    NumberOutOfRange { number: u32 },
    #[error("dossier date {date} is out of range: expected a date from 2000-01-01 to 2099-12-31")]
    DateOutOfRange { date: Date },
    #[error("result index 0 is out of range: expected a number from 1")]
    ZeroResultIndex,
}

/// Errors quote the input so the user sees what was wrong, but a hostile or mistaken caller may
/// send megabytes; only a prefix is kept.
fn shown(input: &str) -> String {
    const MAX_CHARS: usize = 64;
    match input.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    }
}

fn malformed(kind: CodeKind, input: &str) -> CodeError {
    CodeError::Malformed {
        kind,
        input: shown(input),
    }
}

fn all_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// Callers check `all_digits` first; the fold cannot overflow for the short fields used here.
fn digits_value(b: &[u8]) -> u32 {
    b.iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

/// The string-based traits shared by all code types: `FromStr` through `parse_text`, conversions
/// to and from `String`, and serde as the canonical text, so deserialisation validates too.
macro_rules! text_code {
    ($ty:ident) => {
        impl FromStr for $ty {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                Self::parse_text(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, CodeError> {
                s.parse()
            }
        }

        impl From<$ty> for String {
            fn from(c: $ty) -> String {
                c.to_string()
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(de)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An agency identifier per QCVN 102:2016, e.g. `000.00.12.H22`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyCode(String);

impl AgencyCode {
    const LEN: usize = 13;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn well_formed(b: &[u8]) -> bool {
        b.len() == Self::LEN
            && all_digits(&b[0..3])
            && b[3] == b'.'
            && all_digits(&b[4..6])
            && b[6] == b'.'
            && all_digits(&b[7..9])
            && b[9] == b'.'
            && b[10].is_ascii_uppercase()
            && all_digits(&b[11..13])
    }

    fn parse_text(s: &str) -> Result<Self, CodeError> {
        if s.is_empty() {
            return Err(CodeError::Empty {
                kind: CodeKind::Agency,
            });
        }
        if !Self::well_formed(s.as_bytes()) {
            return Err(malformed(CodeKind::Agency, s));
        }
        Ok(AgencyCode(s.to_owned()))
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_code!(AgencyCode);

/// A dossier code `<agency code>-YYMMDD-NNNN`: receiving agency, date of receipt, and that
/// agency's running number for the day.
///
/// The derived ordering (agency, date, number) equals the ordering of the canonical text,
/// because every part has a fixed width.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierCode {
    agency: AgencyCode,
    date: Date,
    number: u16,
}

impl DossierCode {
    const LEN: usize = AgencyCode::LEN + 1 + 6 + 1 + 4;
    pub const MAX_NUMBER: u16 = 9999;

    /// The two-digit year in the code can only express 2000–2099; any other date would print a
    /// code that parses back to a different dossier.
    pub fn new(agency: AgencyCode, date: Date, number: u32) -> Result<Self, CodeError> {
        let number = match u16::try_from(number) {
            Ok(n) if (1..=Self::MAX_NUMBER).contains(&n) => n,
            _ => return Err(CodeError::NumberOutOfRange { number }),
        };
        if !(2000..=2099).contains(&date.year()) {
            return Err(CodeError::DateOutOfRange { date });
        }
        Ok(DossierCode {
            agency,
            date,
            number,
        })
    }

    pub fn agency(&self) -> &AgencyCode {
        &self.agency
    }

    pub fn date(&self) -> Date {
        self.date
    }

    pub fn number(&self) -> u16 {
        self.number
    }

    fn parse_text(s: &str) -> Result<Self, CodeError> {
        Self::parse_part(s, CodeKind::Dossier, s)
    }

    /// `whole` is the text the user gave: a result code embeds a dossier code, and its errors
    /// should quote the result code rather than a slice of it.
    fn parse_part(s: &str, kind: CodeKind, whole: &str) -> Result<Self, CodeError> {
        if whole.is_empty() {
            return Err(CodeError::Empty { kind });
        }
        let b = s.as_bytes();
        if b.len() != Self::LEN
            || !AgencyCode::well_formed(&b[..AgencyCode::LEN])
            || b[13] != b'-'
            || !all_digits(&b[14..20])
            || b[20] != b'-'
            || !all_digits(&b[21..25])
        {
            return Err(malformed(kind, whole));
        }
        // All bytes were checked to be ASCII above, so these slices are on char boundaries.
        let agency = AgencyCode(s[..AgencyCode::LEN].to_owned());
        let yymmdd = &s[14..20];
        let year = 2000 + digits_value(&b[14..16]) as i32;
        let date = u8::try_from(digits_value(&b[16..18]))
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .and_then(|m| {
                let day = u8::try_from(digits_value(&b[18..20])).ok()?;
                Date::from_calendar_date(year, m, day).ok()
            })
            .ok_or_else(|| CodeError::InvalidDate {
                kind,
                input: shown(whole),
                yymmdd: yymmdd.to_owned(),
            })?;
        let number = digits_value(&b[21..25]);
        if number == 0 {
            return Err(CodeError::ZeroNumber {
                kind,
                input: shown(whole),
            });
        }
        DossierCode::new(agency, date, number)
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:02}{:02}{:02}-{:04}",
            self.agency,
            self.date.year().rem_euclid(100),
            u8::from(self.date.month()),
            self.date.day(),
            self.number
        )
    }
}

text_code!(DossierCode);

/// A result code `<dossier code>-KQ<n>` (Decree 45/2020, art. 14), numbering the results of one
/// dossier from 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResultCode {
    dossier: DossierCode,
    index: u32,
}

impl ResultCode {
    pub fn new(dossier: DossierCode, index: u32) -> Result<Self, CodeError> {
        if index == 0 {
            return Err(CodeError::ZeroResultIndex);
        }
        Ok(ResultCode { dossier, index })
    }

    pub fn dossier(&self) -> &DossierCode {
        &self.dossier
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    fn parse_text(s: &str) -> Result<Self, CodeError> {
        if s.is_empty() {
            return Err(CodeError::Empty {
                kind: CodeKind::Result,
            });
        }
        // `get` rather than indexing: the input may hold multi-byte characters at any offset.
        let (Some(dossier_part), Some(rest)) =
            (s.get(..DossierCode::LEN), s.get(DossierCode::LEN..))
        else {
            return Err(malformed(CodeKind::Result, s));
        };
        let Some(found) = rest.strip_prefix("-KQ") else {
            return Err(malformed(CodeKind::Result, s));
        };
        let dossier = DossierCode::parse_part(dossier_part, CodeKind::Result, s)?;
        let index = if found.starts_with('0') || !all_digits(found.as_bytes()) {
            None
        } else {
            found.parse::<u32>().ok()
        };
        match index {
            Some(index) => ResultCode::new(dossier, index),
            None => Err(CodeError::InvalidResultIndex {
                input: shown(s),
                found: shown(found),
            }),
        }
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-KQ{}", self.dossier, self.index)
    }
}

text_code!(ResultCode);

/// A national administrative procedure code such as `1.001233` (the national procedure
/// database, csdl.dichvucong.gov.vn).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcedureCode(String);

impl ProcedureCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse_text(s: &str) -> Result<Self, CodeError> {
        if s.is_empty() {
            return Err(CodeError::Empty {
                kind: CodeKind::Procedure,
            });
        }
        let b = s.as_bytes();
        if b.len() != 8 || !b[0].is_ascii_digit() || b[1] != b'.' || !all_digits(&b[2..]) {
            return Err(malformed(CodeKind::Procedure, s));
        }
        Ok(ProcedureCode(s.to_owned()))
    }
}

impl fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_code!(ProcedureCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn agency() -> AgencyCode {
        "000.00.12.H22".parse().unwrap()
    }

    fn kind_of(e: &CodeError) -> &'static str {
        match e {
            CodeError::Empty { .. } => "empty",
            CodeError::Malformed { .. } => "malformed",
            CodeError::InvalidDate { .. } => "date",
            CodeError::ZeroNumber { .. } => "zero",
            CodeError::InvalidResultIndex { .. } => "index",
            CodeError::NumberOutOfRange { .. } => "number_range",
            CodeError::DateOutOfRange { .. } => "date_range",
            CodeError::ZeroResultIndex => "zero_index",
        }
    }

    #[test]
    fn agency_codes() {
        for ok in ["000.00.12.H22", "999.99.99.Z99", "000.00.21.H47"] {
            let a: AgencyCode = ok.parse().unwrap();
            assert_eq!(a.as_str(), ok);
            assert_eq!(a.to_string(), ok);
        }
        let cases = [
            ("", "empty"),
            ("000.00.12.h22", "malformed"),
            ("000-00-12-H22", "malformed"),
            ("000.00.12.H22 ", "malformed"),
            (" 000.00.12.H22", "malformed"),
            ("000.00.12.H2", "malformed"),
            ("000.00.12.H222", "malformed"),
            ("00a.00.12.H22", "malformed"),
            ("000.00.12.Đ22", "malformed"),
            ("０00.00.12.H22", "malformed"),
            ("000.00.12.122", "malformed"),
        ];
        for (input, kind) in cases {
            let e = input.parse::<AgencyCode>().unwrap_err();
            assert_eq!(kind_of(&e), kind, "{input:?}: {e}");
        }
    }

    #[test]
    fn dossier_codes() {
        let d: DossierCode = "000.00.12.H22-261122-0042".parse().unwrap();
        assert_eq!(d.agency().as_str(), "000.00.12.H22");
        assert_eq!(d.date(), date!(2026 - 11 - 22));
        assert_eq!(d.number(), 42);
        assert_eq!(d.to_string(), "000.00.12.H22-261122-0042");

        let leap: DossierCode = "000.00.12.H22-240229-9999".parse().unwrap();
        assert_eq!(leap.date(), date!(2024 - 02 - 29));

        let cases = [
            ("", "empty"),
            ("000.00.12.H22_261122_0042", "malformed"),
            ("000.00.12.H22-261122-042", "malformed"),
            ("000.00.12.H22-20261122-0042", "malformed"),
            ("000.00.12.H22-261122-0042 ", "malformed"),
            ("000.00.12.h22-261122-0042", "malformed"),
            ("000.00.12.H22-26112２-0042", "malformed"),
            ("000.00.12.H22-2611-22-0042", "malformed"),
            ("000.00.12.H22-260230-0042", "date"),
            ("000.00.12.H22-250229-0042", "date"),
            ("000.00.12.H22-261322-0042", "date"),
            ("000.00.12.H22-261100-0042", "date"),
            ("000.00.12.H22-261122-0000", "zero"),
        ];
        for (input, kind) in cases {
            let e = input.parse::<DossierCode>().unwrap_err();
            assert_eq!(kind_of(&e), kind, "{input:?}: {e}");
        }
    }

    #[test]
    fn dossier_constructor_limits() {
        let day = date!(2026 - 11 - 22);
        assert_eq!(
            DossierCode::new(agency(), day, 0),
            Err(CodeError::NumberOutOfRange { number: 0 })
        );
        assert_eq!(
            DossierCode::new(agency(), day, 10_000),
            Err(CodeError::NumberOutOfRange { number: 10_000 })
        );
        assert_eq!(
            DossierCode::new(agency(), day, 70_000),
            Err(CodeError::NumberOutOfRange { number: 70_000 })
        );
        let old = date!(1999 - 12 - 31);
        assert_eq!(
            DossierCode::new(agency(), old, 1),
            Err(CodeError::DateOutOfRange { date: old })
        );
        let late = date!(2100 - 01 - 01);
        assert!(DossierCode::new(agency(), late, 1).is_err());
        assert!(DossierCode::new(agency(), date!(2099 - 12 - 31), 9999).is_ok());
        assert!(DossierCode::new(agency(), date!(2000 - 01 - 01), 1).is_ok());
    }

    #[test]
    fn result_codes() {
        let r: ResultCode = "000.00.12.H22-261122-0042-KQ1".parse().unwrap();
        assert_eq!(r.index(), 1);
        assert_eq!(r.dossier().number(), 42);
        assert_eq!(r.to_string(), "000.00.12.H22-261122-0042-KQ1");
        let r: ResultCode = "000.00.12.H22-261122-0042-KQ12".parse().unwrap();
        assert_eq!(r.index(), 12);

        let cases = [
            ("", "empty"),
            ("000.00.12.H22-261122-0042", "malformed"),
            ("000.00.12.H22-261122-0042-KQ", "index"),
            ("000.00.12.H22-261122-0042-KQ0", "index"),
            ("000.00.12.H22-261122-0042-KQ01", "index"),
            ("000.00.12.H22-261122-0042-KQ1 ", "index"),
            ("000.00.12.H22-261122-0042-KQ-1", "index"),
            ("000.00.12.H22-261122-0042-KQ99999999999", "index"),
            ("000.00.12.H22-261122-0042-kq1", "malformed"),
            ("000.00.12.H22-261122-0042_KQ1", "malformed"),
            ("000.00.12.H22-260230-0042-KQ1", "date"),
            ("000.00.12.H22-261122-0000-KQ1", "zero"),
            ("000.00.12.H22-26112ễ-0042-KQ1", "malformed"),
            ("ễ00.00.12.H22-261122-0042-KQ1", "malformed"),
        ];
        for (input, kind) in cases {
            let e = input.parse::<ResultCode>().unwrap_err();
            assert_eq!(kind_of(&e), kind, "{input:?}: {e}");
        }
        let d: DossierCode = "000.00.12.H22-261122-0042".parse().unwrap();
        assert_eq!(ResultCode::new(d, 0), Err(CodeError::ZeroResultIndex));
    }

    #[test]
    fn result_errors_quote_the_whole_result_code() {
        let e = "000.00.12.H22-260230-0042-KQ1"
            .parse::<ResultCode>()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "result code \"000.00.12.H22-260230-0042-KQ1\" has date 260230, which is not a \
             real calendar date: expected YYMMDD such as 261122"
        );
    }

    #[test]
    fn procedure_codes() {
        for ok in ["1.001233", "2.000488"] {
            assert_eq!(ok.parse::<ProcedureCode>().unwrap().as_str(), ok);
        }
        let cases = [
            ("", "empty"),
            ("1.00123", "malformed"),
            ("1,001233", "malformed"),
            ("12.001233", "malformed"),
            ("1.001233 ", "malformed"),
            ("1.00123ễ", "malformed"),
            ("a.001233", "malformed"),
        ];
        for (input, kind) in cases {
            let e = input.parse::<ProcedureCode>().unwrap_err();
            assert_eq!(kind_of(&e), kind, "{input:?}: {e}");
        }
    }

    #[test]
    fn messages() {
        assert_eq!(
            "X".parse::<DossierCode>().unwrap_err().to_string(),
            "dossier code \"X\" is malformed: expected <agency code>-YYMMDD-NNNN such as \
             000.00.12.H22-261122-0042"
        );
        assert_eq!(
            "".parse::<AgencyCode>().unwrap_err().to_string(),
            "agency code is empty: expected NNN.NN.NN.XNN (QCVN 102:2016) such as 000.00.12.H22"
        );
        assert_eq!(
            "000.00.12.H22-261122-0000"
                .parse::<DossierCode>()
                .unwrap_err()
                .to_string(),
            "dossier code \"000.00.12.H22-261122-0000\" has running number 0000: expected a \
             number from 0001 to 9999"
        );
    }

    #[test]
    fn huge_inputs_are_quoted_only_in_part() {
        let input = "ễ".repeat(100_000);
        let e = input.parse::<DossierCode>().unwrap_err();
        assert!(e.to_string().chars().count() < 200, "{e}");
    }

    #[test]
    fn serde_uses_the_text_form_and_validates() {
        #[derive(Debug, Serialize, Deserialize, PartialEq)]
        struct Doc {
            agency: AgencyCode,
            dossier: DossierCode,
            result: ResultCode,
            procedure: ProcedureCode,
        }
        let text = r#"
            agency = "000.00.12.H22"
            dossier = "000.00.12.H22-261122-0042"
            result = "000.00.12.H22-261122-0042-KQ3"
            procedure = "1.001233"
        "#;
        let doc: Doc = toml::from_str(text).unwrap();
        assert_eq!(doc.result.index(), 3);
        let back: Doc = toml::from_str(&toml::to_string(&doc).unwrap()).unwrap();
        assert_eq!(back, doc);

        for bad in [
            text.replace("H22\"", "h22\""),
            text.replace("261122-0042\"", "260230-0042\""),
            text.replace("KQ3", "KQ03"),
            text.replace("1.001233", "1.0012"),
        ] {
            let e = toml::from_str::<Doc>(&bad).unwrap_err();
            assert!(e.to_string().contains("expected"), "{e}");
        }
    }

    fn agency_strategy() -> impl Strategy<Value = AgencyCode> {
        "[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}".prop_map(|s| s.parse().unwrap())
    }

    fn date_strategy() -> impl Strategy<Value = Date> {
        let first = date!(2000 - 01 - 01).to_julian_day();
        let last = date!(2099 - 12 - 31).to_julian_day();
        (first..=last).prop_map(|j| Date::from_julian_day(j).unwrap())
    }

    fn dossier_strategy() -> impl Strategy<Value = DossierCode> {
        (agency_strategy(), date_strategy(), 1u32..=9999)
            .prop_map(|(a, d, n)| DossierCode::new(a, d, n).unwrap())
    }

    proptest! {
        #[test]
        fn dossier_round_trip(d in dossier_strategy()) {
            let text = d.to_string();
            prop_assert_eq!(text.len(), 25);
            prop_assert_eq!(text.parse::<DossierCode>(), Ok(d));
        }

        #[test]
        fn result_round_trip(d in dossier_strategy(), n in 1u32..) {
            let r = ResultCode::new(d, n).unwrap();
            prop_assert_eq!(r.to_string().parse::<ResultCode>(), Ok(r));
        }

        #[test]
        fn ordering_follows_text(a in dossier_strategy(), b in dossier_strategy()) {
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = s.parse::<AgencyCode>();
            let _ = s.parse::<DossierCode>();
            let _ = s.parse::<ResultCode>();
            let _ = s.parse::<ProcedureCode>();
        }

        #[test]
        fn near_misses_never_panic(d in dossier_strategy(), pos in 0usize..30, c in any::<char>()) {
            let mut text: Vec<char> = format!("{d}-KQ7").chars().collect();
            let pos = pos.min(text.len() - 1);
            text[pos] = c;
            let s: String = text.into_iter().collect();
            let _ = s.parse::<DossierCode>();
            if let Ok(r) = s.parse::<ResultCode>() {
                prop_assert_eq!(r.to_string(), s);
            }
        }
    }
}
