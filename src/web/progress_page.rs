//! The citizens' progress page: `/d/<dossier code>` (where the receipt's QR code leads) shows
//! where the dossier stands, its dates, each step's date and department, extensions with their
//! reasons, waits for missing papers and the results issued — never officials' names,
//! documents or notes. With the applicant's identifier (a POST, so that it stays out of URLs
//! and logs) it also shows the applicant's name and the reasons addressed to them. Plain HTML:
//! no JavaScript needed.

use axum::{
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};

use super::{
    html::{error_status, esc, page, retry_later, vn_time, Lang, LangQuery},
    tracker::Tracker,
};
use crate::{
    flow::{format_vnd, State as DossierState, Step, Timeliness},
    service::{Error, ProgressView},
};

/// The routes of the page: `GET /d` (enter a code), `GET /d/{code}`, `POST /d/{code}` (with the
/// applicant's identifier).
pub fn routes<S: Clone + Send + Sync + 'static>(tracker: Tracker) -> Router<S> {
    Router::new()
        .route("/d", get(lookup))
        .route(
            "/d/{code}",
            get(show)
                .post(show_to_applicant)
                // An identifier and a language: nothing a citizen sends is larger.
                .layer(DefaultBodyLimit::max(4096)),
        )
        .with_state(tracker)
}

#[derive(serde::Deserialize, Default)]
struct LookupQuery {
    code: Option<String>,
    lang: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct ApplicantForm {
    #[serde(default)]
    applicant_id: String,
}

fn lang_of(lang: Option<&str>) -> Lang {
    if lang == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    }
}

fn code_form(lang: Lang) -> String {
    format!(
        "<form method=\"get\" action=\"/d\"><input type=\"hidden\" name=\"lang\" value=\"{l}\">\
<label for=\"code\">{label}</label>\
<input id=\"code\" name=\"code\" type=\"text\" autocomplete=\"off\" size=\"32\" required \
aria-describedby=\"code-help\"><p id=\"code-help\">{help}</p>\
<button type=\"submit\">{submit}</button></form>",
        l = lang.code(),
        label = lang.t("Mã hồ sơ", "Dossier code"),
        help = lang.t(
            "In trên giấy tiếp nhận và hẹn trả kết quả, ví dụ 000.00.12.H22-261122-0042.",
            "Printed on the receipt and appointment slip, e.g. 000.00.12.H22-261122-0042."
        ),
        submit = lang.t("Tra cứu", "Look up"),
    )
}

async fn lookup(Query(q): Query<LookupQuery>) -> Response {
    let lang = lang_of(q.lang.as_deref());
    match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        // Only characters a dossier code can hold reach the path; the page checks the rest.
        Some(code)
            if code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') =>
        {
            Redirect::to(&format!("/d/{code}?lang={}", lang.code())).into_response()
        }
        Some(_) => error_page(
            lang,
            StatusCode::BAD_REQUEST,
            lang.t(
                "Mã hồ sơ chỉ gồm chữ, số, dấu chấm và dấu gạch ngang.",
                "A dossier code holds only letters, digits, dots and hyphens.",
            )
            .to_owned(),
        ),
        None => {
            let title = lang.t("Tra cứu tiến độ hồ sơ", "Follow a dossier");
            page(
                lang,
                "/d",
                title,
                &format!("<h1>{title}</h1>{}", code_form(lang)),
            )
            .into_response()
        }
    }
}

async fn show(
    State(tracker): State<Tracker>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    respond(&tracker, Lang::of(&q), code, String::new()).await
}

async fn show_to_applicant(
    State(tracker): State<Tracker>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    Form(form): Form<ApplicantForm>,
) -> Response {
    respond(&tracker, Lang::of(&q), code, form.applicant_id).await
}

async fn respond(tracker: &Tracker, lang: Lang, code: String, applicant_id: String) -> Response {
    let factor_given = !applicant_id.trim().is_empty();
    match tracker.track(code.clone(), applicant_id).await {
        Ok(view) => {
            let mut response = progress_html(lang, &view, factor_given).into_response();
            // The page changes with every step and may carry the applicant's name.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(e) => {
            let message = match (&e, lang) {
                (Error::NotFound(_), Lang::Vi) => {
                    format!("Không có hồ sơ nào với mã {code}.")
                }
                (Error::NotFound(_), Lang::En) => format!("There is no dossier {code}."),
                (Error::InvalidArgument(m), Lang::Vi) => {
                    format!("Mã hồ sơ không hợp lệ: {code} ({m}).")
                }
                _ => e.to_string(),
            };
            error_page(lang, error_status(&e), message)
        }
    }
}

fn error_page(lang: Lang, status: StatusCode, message: String) -> Response {
    let title = lang.t("Không tra cứu được hồ sơ", "Cannot show the dossier");
    let body = format!(
        "<h1>{title}</h1><p role=\"alert\" id=\"error\">{}</p>{}",
        esc(&message),
        code_form(lang)
    );
    let mut response = (status, page(lang, "/d", title, &body)).into_response();
    retry_later(&mut response);
    response
}

fn state_words(lang: Lang, state: DossierState) -> &'static str {
    match lang {
        Lang::Vi => state.vietnamese(),
        Lang::En => match state {
            DossierState::Received => "received",
            DossierState::Appraised => "appraised",
            DossierState::Approved => "approved",
            DossierState::Signed => "signed, awaiting return",
            DossierState::Returned => "result returned",
            DossierState::SupplementRequested => "waiting for the applicant's papers",
            DossierState::Refused => "refused",
            DossierState::Withdrawn => "withdrawn",
            DossierState::Stopped => "processing stopped",
            DossierState::FeesDue | DossierState::FeesDueAfterApproval => "waiting for the fee",
        },
    }
}

fn step_words(lang: Lang, step: Step) -> &'static str {
    match lang {
        Lang::Vi => step.vietnamese(),
        Lang::En => match step {
            Step::Receive => "received",
            Step::Appraise => "appraised",
            Step::Approve => "approved",
            Step::Sign => "signed",
            Step::Return => "result returned",
            Step::RequestSupplement => "supplement requested",
            Step::Refuse => "refused",
            Step::Withdraw => "withdrawn",
            Step::Stop => "stopped",
            Step::Revoke => "result revoked",
            Step::Extend => "due date extended",
            Step::RecordPayment => "fee paid",
        },
    }
}

fn timeliness_words(lang: Lang, t: Timeliness) -> (&'static str, &'static str) {
    let class = match t {
        Timeliness::OnTime | Timeliness::FinishedOnTime => "valid",
        Timeliness::Overdue | Timeliness::FinishedLate => "invalid",
        Timeliness::AwaitingApplicant => "indeterminate",
    };
    let words = match lang {
        Lang::Vi => t.vietnamese(),
        Lang::En => match t {
            Timeliness::OnTime => "on time",
            Timeliness::Overdue => "overdue",
            Timeliness::FinishedOnTime => "finished on time",
            Timeliness::FinishedLate => "finished late",
            Timeliness::AwaitingApplicant => "paused, waiting for the applicant's papers",
        },
    };
    (class, words)
}

fn result_status_words(lang: Lang, status: &str) -> String {
    match status {
        "valid" => lang.t("còn hiệu lực", "in force").into(),
        "revoked" => lang.t("đã bị thu hồi", "revoked").into(),
        "superseded" => lang.t("đã được thay thế", "superseded").into(),
        other => other.to_owned(),
    }
}

/// YYYY-MM-DD as people read dates in Vietnam, dd/mm/yyyy; anything else as it is.
fn vn_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

fn progress_html(
    lang: Lang,
    view: &ProgressView,
    factor_given: bool,
) -> axum::response::Html<String> {
    let path = format!("/d/{}", view.dossier_code);
    let (class, timeliness) = timeliness_words(lang, view.timeliness);
    let extended = !view.history.extensions.is_empty();
    let mut body = format!(
        "<h1>{title}</h1>\n<section class=\"verdict {class}\" role=\"status\" aria-labelledby=\"state\">\
<h2 id=\"state\">{state}</h2><p id=\"timeliness\">{timeliness}{ext}</p></section>\n\
<dl id=\"summary\"><dt>{l_code}</dt><dd><code>{code}</code></dd>{applicant}\
<dt>{l_proc}</dt><dd>{procedure}</dd><dt>{l_dept}</dt><dd>{department}</dd>\
<dt>{l_received}</dt><dd>{received}</dd><dt>{l_due}</dt><dd id=\"due\">{due}</dd></dl>\n",
        title = lang.t("Tiến độ giải quyết hồ sơ", "Dossier progress"),
        state = esc(state_words(lang, view.state)),
        timeliness = esc(timeliness),
        ext = if extended {
            lang.t(" — đã gia hạn", " — extended")
        } else {
            ""
        },
        l_code = lang.t("Mã hồ sơ", "Dossier code"),
        code = esc(&view.dossier_code),
        applicant = match &view.applicant_name {
            Some(name) => format!(
                "<dt>{}</dt><dd id=\"applicant\">{}</dd>",
                lang.t("Người nộp", "Applicant"),
                esc(name)
            ),
            None => String::new(),
        },
        l_proc = lang.t("Thủ tục", "Procedure"),
        procedure = esc(if view.procedure_name.is_empty() {
            &view.procedure_code
        } else {
            &view.procedure_name
        }),
        l_dept = lang.t("Cơ quan giải quyết", "Handled by"),
        department = esc(&view.department_name),
        l_received = lang.t("Ngày tiếp nhận", "Received on"),
        received = esc(&vn_date(&view.received_on)),
        l_due = lang.t("Hẹn trả kết quả", "Result due on"),
        due = esc(&vn_date(&view.due_date)),
    );
    if let Some(fee) = &view.fee {
        body.push_str(&format!(
            "<h2>{}</h2><p id=\"fee\">{}: {} — {}</p>\n",
            lang.t("Phí, lệ phí", "Fee"),
            esc(&fee.fee.name),
            esc(&format_vnd(fee.fee.amount_vnd)),
            if fee.payment.is_some() {
                lang.t("đã nộp", "paid")
            } else {
                lang.t("chưa nộp", "not yet paid")
            },
        ));
    }
    if extended {
        body.push_str(&format!(
            "<h2>{}</h2><ul id=\"extensions\">",
            lang.t("Gia hạn và xin lỗi", "Extensions, with apologies")
        ));
        for e in &view.history.extensions {
            body.push_str(&format!(
                "<li>{on}: {from} → {to}. {l_reason}: {reason}</li>",
                on = esc(&vn_date(&e.extended_on.to_string())),
                from = esc(&vn_date(&e.previous_due_date)),
                to = esc(&vn_date(&e.new_due_date)),
                l_reason = lang.t("Lý do", "Reason"),
                reason = esc(&e.reason),
            ));
        }
        body.push_str("</ul>\n");
    }
    if !view.history.supplement_waits.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2><ul id=\"waits\">",
            lang.t(
                "Thời gian chờ bổ sung hồ sơ (không tính vào thời hạn giải quyết)",
                "Waiting for missing papers (not counted as processing time)"
            )
        ));
        for w in &view.history.supplement_waits {
            let until = match w.received_on {
                Some(d) => vn_date(&d.to_string()),
                None => lang.t("nay", "now").to_owned(),
            };
            body.push_str(&format!(
                "<li>{from} – {until}: {days} {l_days}</li>",
                from = esc(&vn_date(&w.requested_on.to_string())),
                until = esc(&until),
                days = w.days,
                l_days = lang.t("ngày", "days"),
            ));
        }
        body.push_str("</ul>\n");
    }
    let with_notes = view.applicant_verified;
    body.push_str(&format!(
        "<h2>{}</h2><table id=\"steps\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>{}</tr></thead><tbody>",
        lang.t("Các bước xử lý", "Steps"),
        lang.t("Thời gian", "When"),
        lang.t("Bước", "Step"),
        lang.t("Đơn vị", "Department"),
        if with_notes {
            format!("<th scope=\"col\">{}</th>", lang.t("Ghi chú", "Note"))
        } else {
            String::new()
        },
    ));
    for s in &view.steps {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
            esc(&vn_time(s.at)),
            esc(step_words(lang, s.step)),
            esc(&s.department),
            if with_notes {
                format!("<td>{}</td>", esc(s.note.as_deref().unwrap_or("")))
            } else {
                String::new()
            }
        ));
    }
    body.push_str("</tbody></table>\n");
    if !view.results.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2><ul id=\"results\">",
            lang.t("Kết quả đã trả", "Results issued")
        ));
        for r in &view.results {
            body.push_str(&format!(
                "<li><a href=\"/v/{code}?lang={l}\">{code}</a> — {status}, {issued} {on}</li>",
                code = esc(&r.result_code),
                l = lang.code(),
                status = esc(&result_status_words(lang, &r.status)),
                issued = lang.t("trả ngày", "issued on"),
                on = esc(&vn_date(&r.issued_on.to_string())),
            ));
        }
        body.push_str("</ul>\n");
    }
    if !view.applicant_verified {
        body.push_str(&format!(
            "<h2>{heading}</h2>{mismatch}<form id=\"applicant-form\" method=\"post\" action=\"{path}?lang={l}\">\
<label for=\"applicant_id\">{label}</label>\
<input id=\"applicant_id\" name=\"applicant_id\" type=\"password\" autocomplete=\"off\" size=\"24\" \
aria-describedby=\"applicant-help\" required><p id=\"applicant-help\">{help}</p>\
<button type=\"submit\">{submit}</button></form>",
            heading = lang.t("Bạn là người nộp hồ sơ?", "Are you the applicant?"),
            mismatch = if factor_given {
                format!(
                    "<p role=\"alert\" id=\"mismatch\">{}</p>",
                    lang.t(
                        "Số định danh không khớp với hồ sơ này.",
                        "That identifier does not match this dossier."
                    )
                )
            } else {
                String::new()
            },
            path = esc(&path),
            l = lang.code(),
            label = lang.t(
                "Số định danh cá nhân (CCCD), mã số thuế hoặc số hộ chiếu",
                "Identity number, tax code or passport number"
            ),
            help = lang.t(
                "Để xem tên người nộp và lý do yêu cầu bổ sung, từ chối.",
                "To see the applicant's name and the reasons given to the applicant."
            ),
            submit = lang.t("Xem", "Show"),
        ));
    }
    page(
        lang,
        &path,
        lang.t("Tiến độ giải quyết hồ sơ", "Dossier progress"),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_in_vietnam() {
        assert_eq!(vn_date("2026-12-04"), "04/12/2026");
        assert_eq!(vn_date("garbage"), "garbage");
    }
}
