//! The procedure catalog: departments, the procedures they handle, and public holidays.
//!
//! Parsed from TOML text handed in by the caller (the module does no I/O); the shape is that of
//! `default_catalog.toml`. Everything is validated at load time so that the rest of the service
//! can trust a `Catalog`: ids and codes are unique, every procedure's department exists, and
//! every processing time is one the calendar can compute a deadline for.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;

use super::calendar::{WorkingCalendar, MAX_PROCESSING_DAYS};
use super::codes::{AgencyCode, CodeError, ProcedureCode};
use super::vocabulary::State;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    /// A short slug used in credentials and API calls, `^[a-z][a-z0-9-]{1,31}$`.
    pub id: String,
    pub name: String,
    pub agency_code: AgencyCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Procedure {
    pub code: ProcedureCode,
    pub name: String,
    /// The id of the handling department.
    pub department: String,
    /// Working days from receipt to the due date.
    pub processing_days: u32,
    pub required_documents: Vec<String>,
    /// The name of the result document, e.g. "Phiếu lý lịch tư pháp số 1".
    pub result_document: String,
    /// The fee or charge the applicant pays (phí, lệ phí), if the procedure has one.
    pub fee: Option<Fee>,
}

/// A procedure's fee: what it is called, how much, and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fee {
    /// e.g. "Lệ phí đăng ký doanh nghiệp".
    pub name: String,
    /// In đồng; Vietnam's currency has no minor unit.
    pub amount_vnd: u64,
    pub due: FeeDue,
}

/// When the fee must be paid before the dossier moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeDue {
    /// Before processing starts: the dossier waits after receipt.
    AtReceipt,
    /// Before the result is signed: the dossier waits after approval.
    AfterApproval,
}

impl Fee {
    /// The state a step leads to once the fee is taken into account: a dossier that owes its
    /// fee at this point waits for the payment. Only the first receipt and the approval can
    /// owe it; a re-receipt after a supplement comes after a fee due at receipt was paid.
    pub fn gate(fee: Option<&Fee>, from: Option<State>, to: State) -> State {
        match (fee.map(|f| f.due), from, to) {
            (Some(FeeDue::AtReceipt), None, State::Received) => State::FeesDue,
            (Some(FeeDue::AfterApproval), Some(State::Appraised), State::Approved) => {
                State::FeesDueAfterApproval
            }
            _ => to,
        }
    }
}

/// "200.000 đồng": amounts as Vietnamese write them, dots between thousands.
pub fn format_vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 5);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" đồng");
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    departments: Vec<Department>,
    procedures: Vec<Procedure>,
    /// Index into `procedures`; provinces run close to two thousand procedures.
    procedure_index: BTreeMap<ProcedureCode, usize>,
    /// Sorted, without duplicates.
    holidays: Vec<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Not TOML, or TOML of another shape (unknown or missing keys, wrong types). The message
    /// from the TOML parser gives the line and column.
    #[error("catalog is not valid: {message}")]
    Syntax { message: String },
    #[error("holiday {value:?} is not a date: expected YYYY-MM-DD such as \"2026-09-02\"")]
    InvalidHoliday { value: String },
    /// Most likely a typo for another date, so it is refused rather than merged.
    #[error("holiday {date} is listed twice")]
    DuplicateHoliday { date: Date },
    #[error(
        "department id {id:?} is invalid: expected 2 to 32 lowercase ASCII letters, digits or \
         dashes, starting with a letter, such as \"stp\""
    )]
    InvalidDepartmentId { id: String },
    #[error("department {id:?} is listed twice")]
    DuplicateDepartment { id: String },
    #[error("department {department:?} has an invalid agency_code: {source}")]
    InvalidAgencyCode {
        department: String,
        source: CodeError,
    },
    #[error("departments {first:?} and {second:?} have the same agency_code {agency_code}")]
    DuplicateAgencyCode {
        agency_code: AgencyCode,
        first: String,
        second: String,
    },
    /// `entry` names the department or procedure, `field` the key that is empty.
    #[error("{entry} has an empty {field}")]
    EmptyField { entry: String, field: &'static str },
    /// `position` counts procedures from 1 in the order of the file, since the code that would
    /// name the entry is the broken part.
    #[error("procedure number {position} in the catalog has an invalid code: {source}")]
    InvalidProcedureCode { position: usize, source: CodeError },
    #[error("procedure {code} is listed twice")]
    DuplicateProcedure { code: ProcedureCode },
    #[error(
        "procedure {procedure} names department {department:?}, which is not in the catalog; \
         known departments: {known}"
    )]
    UnknownDepartment {
        procedure: ProcedureCode,
        department: String,
        known: String,
    },
    #[error(
        "procedure {procedure} has processing_days = {days}: expected 1 to \
         {MAX_PROCESSING_DAYS} working days"
    )]
    InvalidProcessingDays { procedure: ProcedureCode, days: i64 },
    #[error("procedure {procedure}: the fee's amount {amount} is not a whole number of đồng from 1 to 1,000,000,000")]
    InvalidFee {
        procedure: ProcedureCode,
        amount: i64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    department: Vec<RawDepartment>,
    #[serde(default)]
    procedure: Vec<RawProcedure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDepartment {
    id: String,
    name: String,
    agency_code: String,
}

/// Codes and numbers are read as plain strings and integers and checked by hand, so errors
/// name the entry instead of pointing only at a line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    code: String,
    name: String,
    department: String,
    processing_days: i64,
    #[serde(default)]
    required_documents: Vec<String>,
    result_document: String,
    fee: Option<RawFee>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFee {
    name: String,
    amount_vnd: i64,
    due: FeeDue,
}

/// Larger fees exist nowhere in the catalogue of procedures; a typo should not become one.
const MAX_FEE_VND: i64 = 1_000_000_000;

fn valid_department_id(id: &str) -> bool {
    let b = id.as_bytes();
    (2..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn non_empty(
    value: &str,
    entry: impl FnOnce() -> String,
    field: &'static str,
) -> Result<(), CatalogError> {
    if value.trim().is_empty() {
        return Err(CatalogError::EmptyField {
            entry: entry(),
            field,
        });
    }
    Ok(())
}

fn parse_holiday(value: &str) -> Result<Date, CatalogError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    // The shape check refuses signed or short years that the parser would otherwise take.
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shaped {
        return Err(CatalogError::InvalidHoliday {
            value: value.chars().take(64).collect(),
        });
    }
    Date::parse(value, format).map_err(|_| CatalogError::InvalidHoliday {
        value: value.to_owned(),
    })
}

impl Catalog {
    pub fn from_toml(text: &str) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = toml::from_str(text).map_err(|e| CatalogError::Syntax {
            message: e.to_string().trim_end().to_owned(),
        })?;

        let mut holidays = BTreeSet::new();
        for value in &raw.holidays {
            let date = parse_holiday(value)?;
            if !holidays.insert(date) {
                return Err(CatalogError::DuplicateHoliday { date });
            }
        }

        let mut departments: Vec<Department> = Vec::with_capacity(raw.department.len());
        for d in raw.department {
            if !valid_department_id(&d.id) {
                return Err(CatalogError::InvalidDepartmentId {
                    id: d.id.chars().take(64).collect(),
                });
            }
            if departments.iter().any(|known| known.id == d.id) {
                return Err(CatalogError::DuplicateDepartment { id: d.id });
            }
            non_empty(&d.name, || format!("department {:?}", d.id), "name")?;
            let agency_code: AgencyCode =
                d.agency_code
                    .parse()
                    .map_err(|source| CatalogError::InvalidAgencyCode {
                        department: d.id.clone(),
                        source,
                    })?;
            if let Some(first) = departments.iter().find(|k| k.agency_code == agency_code) {
                return Err(CatalogError::DuplicateAgencyCode {
                    agency_code,
                    first: first.id.clone(),
                    second: d.id,
                });
            }
            departments.push(Department {
                id: d.id,
                name: d.name,
                agency_code,
            });
        }

        let mut procedures = Vec::with_capacity(raw.procedure.len());
        let mut procedure_index = BTreeMap::new();
        for (i, p) in raw.procedure.into_iter().enumerate() {
            let code: ProcedureCode =
                p.code
                    .parse()
                    .map_err(|source| CatalogError::InvalidProcedureCode {
                        position: i + 1,
                        source,
                    })?;
            if procedure_index.contains_key(&code) {
                return Err(CatalogError::DuplicateProcedure { code });
            }
            let entry = || format!("procedure {code}");
            non_empty(&p.name, entry, "name")?;
            if !departments.iter().any(|d| d.id == p.department) {
                return Err(CatalogError::UnknownDepartment {
                    procedure: code,
                    department: p.department.chars().take(64).collect(),
                    known: departments
                        .iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            let processing_days = match u32::try_from(p.processing_days) {
                Ok(days) if (1..=MAX_PROCESSING_DAYS).contains(&days) => days,
                _ => {
                    return Err(CatalogError::InvalidProcessingDays {
                        procedure: code,
                        days: p.processing_days,
                    })
                }
            };
            for document in &p.required_documents {
                non_empty(document, entry, "entry in required_documents")?;
            }
            non_empty(&p.result_document, entry, "result_document")?;
            let fee = match p.fee {
                None => None,
                Some(f) => {
                    non_empty(&f.name, entry, "fee.name")?;
                    if !(1..=MAX_FEE_VND).contains(&f.amount_vnd) {
                        return Err(CatalogError::InvalidFee {
                            procedure: code,
                            amount: f.amount_vnd,
                        });
                    }
                    Some(Fee {
                        name: f.name,
                        amount_vnd: f.amount_vnd as u64,
                        due: f.due,
                    })
                }
            };
            procedure_index.insert(code.clone(), procedures.len());
            procedures.push(Procedure {
                code,
                name: p.name,
                department: p.department,
                processing_days,
                required_documents: p.required_documents,
                result_document: p.result_document,
                fee,
            });
        }

        Ok(Catalog {
            departments,
            procedures,
            procedure_index,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// The catalog shipped with the binary, for development and demos.
    pub fn embedded_default() -> Catalog {
        // A constant compiled into the binary, not input: the test `default_catalog_parses`
        // guarantees this cannot fail in a released build.
        Catalog::from_toml(include_str!("default_catalog.toml"))
            .expect("default_catalog.toml is valid (checked by a unit test)")
    }

    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn procedures(&self) -> &[Procedure] {
        &self.procedures
    }

    pub fn procedure(&self, code: &ProcedureCode) -> Option<&Procedure> {
        self.procedure_index
            .get(code)
            .and_then(|&i| self.procedures.get(i))
    }

    /// The procedures handled by one department, in catalog order.
    pub fn procedures_of<'a>(
        &'a self,
        department: &'a str,
    ) -> impl Iterator<Item = &'a Procedure> + 'a {
        self.procedures
            .iter()
            .filter(move |p| p.department == department)
    }

    /// Sorted, without duplicates.
    pub fn holidays(&self) -> &[Date] {
        &self.holidays
    }

    pub fn calendar(&self) -> WorkingCalendar {
        WorkingCalendar::new(self.holidays.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::calendar::{timeliness, Timeliness};
    use crate::flow::codes::CodeKind;
    use time::macros::date;

    #[test]
    fn default_catalog_parses() {
        let c = Catalog::from_toml(include_str!("default_catalog.toml")).unwrap();
        assert_eq!(c, Catalog::embedded_default());
        let stp = c.department("stp").unwrap();
        assert_eq!(stp.name, "Sở Tư pháp tỉnh Quảng Ninh");
        assert!(c.department("skhdt").is_some());
        assert!(c.procedures().len() >= 4);

        let judicial = c
            .procedures()
            .iter()
            .find(|p| p.result_document == "Phiếu lý lịch tư pháp số 1")
            .unwrap();
        assert_eq!(judicial.processing_days, 10);
        assert_eq!(judicial.department, "stp");
        assert_eq!(c.procedure(&judicial.code), Some(judicial));

        let private = c
            .procedures()
            .iter()
            .find(|p| p.name == "Đăng ký thành lập doanh nghiệp tư nhân")
            .unwrap();
        assert_eq!(private.processing_days, 3);
        assert_eq!(private.department, "skhdt");
        assert!(c.procedures_of("skhdt").all(|p| p.department == "skhdt"));

        for p in c.procedures() {
            assert!(c.department(&p.department).is_some());
            assert!(!p.required_documents.is_empty(), "{}", p.code);
        }
        assert!(c.holidays().contains(&date!(2026 - 09 - 02)));
        assert!(!c.calendar().is_working_day(date!(2026 - 02 - 17)));
        assert!(c.holidays().windows(2).all(|w| w[0] < w[1]));
    }

    const GOOD: &str = r#"
holidays = ["2026-01-01"]

[[department]]
id = "stp"
name = "Sở Tư pháp"
agency_code = "000.00.12.H47"

[[department]]
id = "skhdt"
name = "Sở Kế hoạch và Đầu tư"
agency_code = "000.00.21.H47"

[[procedure]]
code = "2.000488"
name = "Cấp Phiếu lý lịch tư pháp"
department = "stp"
processing_days = 10
required_documents = ["Tờ khai"]
result_document = "Phiếu lý lịch tư pháp số 1"
"#;

    fn with(from: &str, to: &str) -> Result<Catalog, CatalogError> {
        assert!(GOOD.contains(from), "{from}");
        Catalog::from_toml(&GOOD.replacen(from, to, 1))
    }

    #[test]
    fn good_and_empty_catalogs() {
        let c = Catalog::from_toml(GOOD).unwrap();
        assert_eq!(c.departments().len(), 2);
        assert_eq!(c.holidays(), &[date!(2026 - 01 - 01)]);
        assert!(c.procedure(&"1.000001".parse().unwrap()).is_none());
        let empty = Catalog::from_toml("").unwrap();
        assert!(empty.departments().is_empty() && empty.procedures().is_empty());
    }

    #[test]
    fn syntax_and_shape_errors() {
        for bad in [
            "holidays = [",
            "[[department]]\nid = \"stp\"\nname = \"x\"\n",
            "unknown = 1",
        ] {
            let e = Catalog::from_toml(bad).unwrap_err();
            assert!(matches!(e, CatalogError::Syntax { .. }), "{bad}: {e}");
        }
        let e = with("processing_days = 10", "processing_days = \"ten\"").unwrap_err();
        assert!(matches!(e, CatalogError::Syntax { .. }), "{e}");
        let e = with(
            "agency_code = \"000.00.12.H47\"\n",
            "agency_code = \"000.00.12.H47\"\ncolour = \"red\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn holiday_errors() {
        for bad in [
            "2026-02-30",
            "2026-1-1",
            "01/01/2026",
            "",
            "+2026-01-01",
            "2026-01-01 ",
        ] {
            assert_eq!(
                with("\"2026-01-01\"]", &format!("{bad:?}]")),
                Err(CatalogError::InvalidHoliday { value: bad.into() }),
                "{bad:?}"
            );
        }
        assert_eq!(
            with("\"2026-01-01\"]", "\"2026-01-01\", \"2026-01-01\"]"),
            Err(CatalogError::DuplicateHoliday {
                date: date!(2026 - 01 - 01)
            })
        );
    }

    #[test]
    fn department_errors() {
        for bad in ["Stp", "s", "1stp", "s_tp", "sở", "-stp", &"s".repeat(33)] {
            assert_eq!(
                with("id = \"stp\"", &format!("id = {bad:?}")),
                Err(CatalogError::InvalidDepartmentId { id: bad.into() }),
                "{bad}"
            );
        }
        assert_eq!(
            with("id = \"skhdt\"", "id = \"stp\""),
            Err(CatalogError::DuplicateDepartment { id: "stp".into() })
        );
        let e = with("name = \"Sở Tư pháp\"", "name = \"  \"").unwrap_err();
        assert_eq!(
            e,
            CatalogError::EmptyField {
                entry: "department \"stp\"".into(),
                field: "name"
            }
        );
        assert_eq!(e.to_string(), "department \"stp\" has an empty name");
        let e = with("\"000.00.12.H47\"", "\"000.00.12.h47\"").unwrap_err();
        assert!(matches!(
            &e,
            CatalogError::InvalidAgencyCode {
                department,
                source: CodeError::Malformed { kind: CodeKind::Agency, .. },
            } if department == "stp"
        ));
        assert!(e.to_string().starts_with("department \"stp\" has an invalid agency_code: agency code \"000.00.12.h47\" is malformed"), "{e}");
        assert_eq!(
            with("\"000.00.21.H47\"", "\"000.00.12.H47\""),
            Err(CatalogError::DuplicateAgencyCode {
                agency_code: "000.00.12.H47".parse().unwrap(),
                first: "stp".into(),
                second: "skhdt".into(),
            })
        );
    }

    #[test]
    fn procedure_errors() {
        let code: ProcedureCode = "2.000488".parse().unwrap();
        let e = with("code = \"2.000488\"", "code = \"2.488\"").unwrap_err();
        assert!(matches!(
            e,
            CatalogError::InvalidProcedureCode {
                position: 1,
                source: CodeError::Malformed { .. }
            }
        ));
        let twice = format!("{GOOD}{}", &GOOD[GOOD.find("[[procedure]]").unwrap()..]);
        assert_eq!(
            Catalog::from_toml(&twice),
            Err(CatalogError::DuplicateProcedure { code: code.clone() })
        );
        let e = with("department = \"stp\"", "department = \"sotp\"").unwrap_err();
        assert_eq!(
            e,
            CatalogError::UnknownDepartment {
                procedure: code.clone(),
                department: "sotp".into(),
                known: "stp, skhdt".into(),
            }
        );
        assert_eq!(
            e.to_string(),
            "procedure 2.000488 names department \"sotp\", which is not in the catalog; known \
             departments: stp, skhdt"
        );
        for days in [0i64, -1, 3651, 1 << 40] {
            assert_eq!(
                with("processing_days = 10", &format!("processing_days = {days}")),
                Err(CatalogError::InvalidProcessingDays {
                    procedure: code.clone(),
                    days
                })
            );
        }
        let empty = |field: &'static str| CatalogError::EmptyField {
            entry: "procedure 2.000488".into(),
            field,
        };
        assert_eq!(
            with("name = \"Cấp Phiếu lý lịch tư pháp\"", "name = \"\""),
            Err(empty("name"))
        );
        assert_eq!(
            with("[\"Tờ khai\"]", "[\"Tờ khai\", \" \"]"),
            Err(empty("entry in required_documents"))
        );
        assert_eq!(
            with(
                "result_document = \"Phiếu lý lịch tư pháp số 1\"",
                "result_document = \"\""
            ),
            Err(empty("result_document"))
        );
    }

    #[test]
    fn judicial_record_across_tet() {
        let cal = Catalog::embedded_default().calendar();
        // Received Thursday 12 February 2026; Tết closes offices Monday 16 to Friday 20 February.
        let received = date!(2026 - 02 - 12);
        let due = cal.due_date(received, 10).unwrap();
        assert_eq!(due, date!(2026 - 03 - 05));
        assert_eq!(cal.working_days_between(received, due), 10);
        assert_eq!(
            timeliness(
                due,
                date!(2026 - 03 - 06),
                Some(date!(2026 - 03 - 05)),
                false
            ),
            Timeliness::FinishedOnTime
        );
        assert_eq!(
            timeliness(due, date!(2026 - 03 - 06), None, false),
            Timeliness::Overdue
        );
        assert_eq!(
            cal.working_days_between(due, date!(2026 - 03 - 09)),
            2,
            "finished two working days late"
        );
    }
}
