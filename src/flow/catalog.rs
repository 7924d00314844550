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
use super::fee::{Fee, FeeDue};
use super::form::Form;
use super::form_template::{FormTemplate, TemplateError};

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
    /// This procedure's own words for some forms; the catalog's for the others.
    #[serde(skip)]
    pub forms: BTreeMap<Form, FormTemplate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    departments: Vec<Department>,
    procedures: Vec<Procedure>,
    /// Index into `procedures`; provinces run close to two thousand procedures.
    procedure_index: BTreeMap<ProcedureCode, usize>,
    /// Sorted, without duplicates.
    holidays: Vec<Date>,
    /// Every form's words: the embedded defaults, or the catalog's `[form."NN"]`.
    forms: BTreeMap<Form, FormTemplate>,
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
    #[error("{entry}: there is no form {form:?}; forms are 01 to 06 and BL")]
    UnknownForm { entry: String, form: String },
    #[error("{entry}: {problem}")]
    FormTemplate {
        entry: String,
        problem: TemplateError,
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
    /// The words of forms for every procedure, replacing the embedded ones.
    #[serde(default)]
    form: BTreeMap<String, RawForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    /// The form's own title when absent.
    title: Option<String>,
    body: Vec<String>,
}

/// The embedded words of every form.
const DEFAULT_FORMS: &str = include_str!("default_forms.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForms {
    form: BTreeMap<String, RawForm>,
}

/// Checks raw templates (`entry` names where they come from in messages) over `base`.
fn templates(
    raw: BTreeMap<String, RawForm>,
    entry: impl Fn() -> String,
    mut base: BTreeMap<Form, FormTemplate>,
) -> Result<BTreeMap<Form, FormTemplate>, CatalogError> {
    for (number, raw) in raw {
        let form = Form::parse_number(&number).ok_or_else(|| CatalogError::UnknownForm {
            entry: entry(),
            form: number.chars().take(8).collect(),
        })?;
        let title = raw.title.as_deref().unwrap_or(form.title());
        let template = FormTemplate::new(form, title, &raw.body).map_err(|problem| {
            CatalogError::FormTemplate {
                entry: entry(),
                problem,
            }
        })?;
        base.insert(form, template);
    }
    Ok(base)
}

/// The embedded templates, every form present (a unit test keeps it so).
fn default_templates() -> Result<BTreeMap<Form, FormTemplate>, CatalogError> {
    let raw: RawForms = toml::from_str(DEFAULT_FORMS).map_err(|e| CatalogError::Syntax {
        message: format!("default_forms.toml: {e}"),
    })?;
    templates(
        raw.form,
        || "the embedded forms".to_owned(),
        BTreeMap::new(),
    )
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
    #[serde(default)]
    forms: BTreeMap<String, RawForm>,
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
            let forms = templates(p.forms, entry, BTreeMap::new())?;
            procedure_index.insert(code.clone(), procedures.len());
            procedures.push(Procedure {
                code,
                name: p.name,
                department: p.department,
                processing_days,
                required_documents: p.required_documents,
                result_document: p.result_document,
                fee,
                forms,
            });
        }

        let forms = templates(raw.form, || "[form]".to_owned(), default_templates()?)?;
        Ok(Catalog {
            departments,
            procedures,
            procedure_index,
            holidays: holidays.into_iter().collect(),
            forms,
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

    /// The words of `form` for a dossier of `procedure`: the procedure's own, or the
    /// catalog's (which has every form: the embedded ones unless replaced).
    pub fn form_template<'a>(
        &'a self,
        procedure: Option<&'a Procedure>,
        form: Form,
    ) -> Option<&'a FormTemplate> {
        procedure
            .and_then(|p| p.forms.get(&form))
            .or_else(|| self.forms.get(&form))
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
mod tests;
