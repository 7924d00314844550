//! Forms on demand. Form 06, the tracking register (sổ theo dõi hồ sơ): every dossier a
//! department received in a period — code, applicant, procedure, received and due dates, where
//! it stands or when it was returned and whether on time — signed by the department's seal.
//! And a dossier's forms fetched again (`GetForm`): the archived one, or for the control
//! sheet of a dossier not yet returned, one made now under the seal.

use time::Date;

use super::{
    audit::Call,
    checks::parse_dossier_code,
    core::Service,
    error::Error,
    forms::{dd_mm_yyyy, FormFacts, IssuedForm},
};
use crate::{
    access::{Caller, Permission},
    archive::{Archive, DossierRow, SearchQuery},
    flow::{timeliness, vietnam_date, Form, FormValues, State, Timeliness},
    pdf,
};

/// Dossiers one register lists at most: a month of a busy department is a few thousand.
pub const MAX_REGISTER_ROWS: usize = 5000;
/// The longest period one register covers.
const MAX_REGISTER_DAYS: i64 = 366;
const PAGE: i64 = 1000;

fn date(name: &str, text: &str) -> Result<Date, Error> {
    Date::parse(
        text.trim(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .map_err(|_| Error::InvalidArgument(format!("{name} {text:?} is not a date like 2026-12-01")))
}

/// One line of the register.
fn row_line(n: usize, row: &DossierRow, procedure: &str, today: Date) -> String {
    let state: &str = match row.state.parse::<State>() {
        Ok(state) => state.vietnamese(),
        Err(_) => &row.state,
    };
    let due = Date::parse(
        &row.due_date,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .ok();
    let finished = row
        .finished_on
        .as_deref()
        .and_then(|f| Date::parse(f, &time::format_description::well_known::Iso8601::DATE).ok());
    let awaiting = row
        .state
        .parse::<State>()
        .is_ok_and(State::awaits_applicant);
    let on_time = due.map(|due| timeliness(due, today, finished, awaiting));
    let outcome = match (finished, on_time) {
        (Some(f), Some(t @ (Timeliness::FinishedOnTime | Timeliness::FinishedLate))) => {
            format!(
                "; kết thúc ngày {}, {}",
                dd_mm_yyyy(&f.to_string()),
                t.vietnamese()
            )
        }
        (_, Some(t)) => format!("; {}", t.vietnamese()),
        (_, None) => String::new(),
    };
    format!(
        "{n}. {} — ông/bà {} — {procedure} — tiếp nhận {}, hẹn trả {} — {state}{outcome}.",
        row.code,
        row.applicant_name,
        dd_mm_yyyy(&row.received_on),
        dd_mm_yyyy(&row.due_date),
    )
}

impl<A: Archive> Service<A> {
    /// The register of `department` for dossiers received from `from` to `to` (inclusive,
    /// YYYY-MM-DD, Vietnam dates), sealed; for callers who may read the department's dossiers.
    pub async fn tracking_log(
        &self,
        caller: &Caller,
        department: &str,
        from: &str,
        to: &str,
    ) -> Result<IssuedForm, Error> {
        let call = self.call(caller, "GetTrackingLog");
        self.audited_read(&call, async {
            call.caller.require_some(Permission::Read)?;
            let name = self
                .catalog
                .department(department)
                .map(|d| d.name.clone())
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "department {:?} is not in the catalog",
                        department.chars().take(40).collect::<String>()
                    ))
                })?;
            call.caller.require(Permission::Read, department)?;
            let (start, end) = (date("from", from)?, date("to", to)?);
            if end < start || (end - start).whole_days() >= MAX_REGISTER_DAYS {
                return Err(Error::InvalidArgument(format!(
                    "the period {start} to {end} must run forwards and cover at most \
                     {MAX_REGISTER_DAYS} days"
                )));
            }
            let mut query = SearchQuery {
                department: Some(department.to_owned()),
                received_from: Some(start.to_string()),
                received_to: Some(end.to_string()),
                ..SearchQuery::default()
            };
            let mut rows = Vec::new();
            loop {
                let page = self.archive.search(&query, PAGE).await?;
                let last = page
                    .last()
                    .map(|(row, _)| (row.received_at_ms, row.code.clone()));
                let full = page.len() as i64 == PAGE;
                rows.extend(page.into_iter().map(|(row, _)| row));
                if rows.len() > MAX_REGISTER_ROWS {
                    return Err(Error::ResourceExhausted(format!(
                        "more than {MAX_REGISTER_ROWS} dossiers were received in the period: ask \
                         for a shorter one"
                    )));
                }
                match last {
                    Some(after) if full => query.after = Some(after),
                    _ => break,
                }
            }
            let seal = self.seal_of(department, call.at)?;
            let today = vietnam_date(call.at);
            let lines = rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    row_line(i + 1, row, &self.procedure_name(&row.procedure_code), today)
                })
                .collect::<Vec<_>>();
            let mut values = FormValues::default();
            values
                .set("department", name.clone())
                .set(
                    "period",
                    format!(
                        "từ ngày {} đến ngày {}",
                        dd_mm_yyyy(&start.to_string()),
                        dd_mm_yyyy(&end.to_string())
                    ),
                )
                .set("count", rows.len().to_string())
                .set_list("rows", lines);
            let form = Form::TrackingLog;
            let template = self.catalog.form_template(None, form).ok_or_else(|| {
                Error::Internal("the catalog has no words for form 06".to_owned())
            })?;
            let content = pdf::ResultDocument {
                issuing_body: name.to_uppercase(),
                number_notation: format!("Kỳ: {start} – {end}"),
                place_and_date: format!(
                    "Ngày {:02} tháng {:02} năm {}",
                    today.day(),
                    u8::from(today.month()),
                    today.year()
                ),
                title: template.title.clone(),
                subtitle: None,
                body: template.fill(&values),
                signer_position: "THỦ TRƯỞNG CƠ QUAN".to_owned(),
                signer_name: seal.info().common_name.clone(),
                qr: None,
                archival: Some(pdf::ArchivalMetadata {
                    document_type: "Sổ".to_owned(),
                    number_notation: format!("{department}/{start}/{end}"),
                    issue_date: today.to_string(),
                    issuing_body: name.clone(),
                    subject: format!("Sổ theo dõi hồ sơ từ {start} đến {end}"),
                    language: "vi".to_owned(),
                    ..pdf::ArchivalMetadata::default()
                }),
            };
            let document = self.sign_form(form, &content, None, Some(seal), &name, call.at)?;
            Ok(IssuedForm::of(form, 0, &document))
        })
        .await
    }

    /// A dossier's form by its number: the newest one archived with its steps, or — for the
    /// control sheet (05) of a dossier not yet returned — one made now and sealed, not
    /// archived. For callers who may read the dossier.
    pub async fn get_form(
        &self,
        caller: &Caller,
        dossier_code: &str,
        number: &str,
    ) -> Result<IssuedForm, Error> {
        let call = Call {
            dossier_code,
            ..self.call(caller, "GetForm")
        };
        self.audited_read(&call, async {
            call.caller.require_some(Permission::Read)?;
            let code = parse_dossier_code(dossier_code)?;
            let form = Form::parse_number(number).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "form {:?} is not one of 01, 02, 03, 04, 05 or BL",
                    number.chars().take(8).collect::<String>()
                ))
            })?;
            if form == Form::TrackingLog {
                return Err(Error::InvalidArgument(
                    "form 06 is a department's register, not a dossier's: Archive.GetTrackingLog"
                        .to_owned(),
                ));
            }
            let row = self.load(&code).await?;
            call.caller.require(Permission::Read, &row.department)?;
            let newest = self
                .archive
                .documents(&code)
                .await?
                .into_iter()
                .filter(|d| d.name == form.document_name())
                .max_by_key(|d| d.record_sequence);
            if let Some(document) = newest {
                let mut forms = self.forms_of(&code, document.record_sequence).await?;
                if let Some(i) = forms.iter().position(|f| f.form == form) {
                    return Ok(forms.swap_remove(i));
                }
            }
            if form != Form::ControlSheet {
                return Err(Error::NotFound(format!(
                    "dossier {code} has no form {}: the step that issues it has not happened",
                    form.number()
                )));
            }
            // The control sheet so far, under the seal: where the dossier stands now.
            let seal = self.seal_of(&row.department, call.at)?;
            let history: Vec<_> = self
                .decoded_records(&code)
                .await?
                .into_iter()
                .map(|(_, decoded)| decoded)
                .collect();
            let facts = FormFacts {
                due_date: &row.due_date,
                history: &history,
                ..FormFacts::default()
            };
            let document = self.issue_form(form, &code, &row, seal, &facts, call.at)?;
            Ok(IssuedForm::of(form, 0, &document))
        })
        .await
    }
}
