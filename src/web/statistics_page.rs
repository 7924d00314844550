//! `/thong-ke`: a period's figures for leaders, as `Archive.Statistics` counts them. Served only
//! when the deployment publishes it (`--statistics-page`): the HTTP side knows no callers
//! (citizens are anonymous), so the page is either public — aggregate counts, which the
//! centres publish on their portals anyway, nothing about any dossier or person — or absent,
//! and leaders with a client certificate use `ketqua client stats`. Plain HTML, no JavaScript.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{
    html::{error_status, esc, page, retry_later, Lang},
    verifier::BoxFuture,
};
use crate::{
    access::Caller,
    archive::Archive,
    service::{Error, Service, StatisticsInput, StatisticsView},
};

/// What the page needs from the service, object-safe like the other pages' traits.
pub trait WebStatistics: Send + Sync + 'static {
    fn statistics(&self, input: StatisticsInput) -> BoxFuture<'_, Result<StatisticsView, Error>>;
    /// The catalog's departments: (id, name).
    fn departments(&self) -> Vec<(String, String)>;
}

impl<A: Archive> WebStatistics for Service<A> {
    fn statistics(&self, input: StatisticsInput) -> BoxFuture<'_, Result<StatisticsView, Error>> {
        Box::pin(async move {
            // Only reached when the operator published the page: its reader may see the
            // aggregate of every department.
            let caller = Caller::unrestricted("published statistics page");
            Service::statistics(self, &caller, &input).await
        })
    }

    fn departments(&self) -> Vec<(String, String)> {
        self.catalog()
            .departments()
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect()
    }
}

pub type Statistician = Arc<dyn WebStatistics>;

pub fn routes<S: Clone + Send + Sync + 'static>(statistician: Statistician) -> Router<S> {
    Router::new()
        .route("/thong-ke", get(show))
        .with_state(statistician)
}

#[derive(serde::Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    department: String,
    lang: Option<String>,
}

async fn show(State(statistician): State<Statistician>, Query(q): Query<PeriodQuery>) -> Response {
    let lang = if q.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    };
    let departments = statistician.departments();
    let input = StatisticsInput {
        from: q.from.clone(),
        to: q.to.clone(),
        department: q.department.clone(),
        procedure_code: String::new(),
    };
    let title = lang.t(
        "Tình hình giải quyết thủ tục hành chính",
        "Handling of administrative procedures",
    );
    let form = period_form(lang, &q, &departments);
    let (status, figures) = match statistician.statistics(input).await {
        Ok(view) => (StatusCode::OK, figures_html(lang, &view, &departments)),
        Err(e) => (
            error_status(&e),
            format!("<p role=\"alert\">{}</p>", esc(&e.to_string())),
        ),
    };
    let body = format!("<h1>{title}</h1>{form}{figures}");
    let mut response = (status, page(lang, "/thong-ke", title, &body)).into_response();
    retry_later(&mut response);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn period_form(lang: Lang, q: &PeriodQuery, departments: &[(String, String)]) -> String {
    let mut options = format!(
        "<option value=\"\">{}</option>",
        lang.t("Tất cả các sở, ngành", "Every department")
    );
    for (id, name) in departments {
        let selected = if *id == q.department { " selected" } else { "" };
        options.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            esc(id),
            esc(name)
        ));
    }
    format!(
        "<form method=\"get\" action=\"/thong-ke\"><input type=\"hidden\" name=\"lang\" value=\"{l}\">\
<label for=\"from\">{from_label}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{from}\">\
<label for=\"to\">{to_label}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{to}\">\
<label for=\"department\">{dept_label}</label><select id=\"department\" name=\"department\">{options}</select>\
<button type=\"submit\">{submit}</button></form>",
        l = lang.code(),
        from_label = lang.t("Từ ngày", "From"),
        to_label = lang.t("Đến ngày", "To"),
        dept_label = lang.t("Cơ quan", "Department"),
        submit = lang.t("Xem số liệu", "Show the figures"),
        from = esc(&q.from),
        to = esc(&q.to),
    )
}

fn figures_html(lang: Lang, v: &StatisticsView, departments: &[(String, String)]) -> String {
    let c = &v.counts;
    let rate = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"));
    let scope = match &v.department {
        None => lang
            .t("Tất cả các sở, ngành", "Every department")
            .to_owned(),
        Some(id) => departments
            .iter()
            .find(|(d, _)| d == id)
            .map_or_else(|| id.clone(), |(_, name)| name.clone()),
    };
    let rows = [
        (
            lang.t("Tổng số hồ sơ tiếp nhận", "Received in all"),
            v.received().to_string(),
        ),
        (
            lang.t("Từ kỳ trước chuyển qua", "Carried over"),
            c.carried_over.to_string(),
        ),
        (
            lang.t("Tiếp nhận mới trong kỳ", "Received in the period"),
            c.received_new.to_string(),
        ),
        (
            lang.t("trong đó trực tuyến", "of them online"),
            c.received_online.to_string(),
        ),
        (
            lang.t("trong đó qua bưu chính", "of them by post"),
            c.received_by_post.to_string(),
        ),
        (
            lang.t("trong đó trực tiếp", "of them at the desk"),
            v.received_at_desk().to_string(),
        ),
        (
            lang.t("Đã giải quyết", "Resolved"),
            v.resolved().to_string(),
        ),
        (lang.t("trước hạn", "early"), c.resolved_early.to_string()),
        (
            lang.t("đúng hạn", "on time"),
            c.resolved_on_time.to_string(),
        ),
        (lang.t("quá hạn", "late"), c.resolved_late.to_string()),
        (
            lang.t("Đang giải quyết", "In progress"),
            v.in_progress().to_string(),
        ),
        (
            lang.t("trong hạn", "on time"),
            c.in_progress_on_time.to_string(),
        ),
        (
            lang.t("quá hạn", "overdue"),
            c.in_progress_overdue.to_string(),
        ),
        (lang.t("Gia hạn", "Extended"), c.extended.to_string()),
        (lang.t("Từ chối", "Refused"), c.refused.to_string()),
        (lang.t("Rút hồ sơ", "Withdrawn"), c.withdrawn.to_string()),
        (lang.t("Dừng xử lý", "Stopped"), c.stopped.to_string()),
        (
            lang.t("Tỷ lệ đúng hạn", "On-time rate"),
            rate(v.on_time_rate()),
        ),
        (
            lang.t("Tỷ lệ trực tuyến", "Online share"),
            rate(v.online_share()),
        ),
        (
            lang.t("Tỷ lệ trả kết quả điện tử", "Electronic-result share"),
            rate(v.electronic_result_share()),
        ),
    ];
    let mut table = String::new();
    for (label, value) in rows {
        table.push_str(&format!(
            "<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>"
        ));
    }
    format!(
        "<h2>{scope}: {from} – {to}</h2><p>{as_of_label} {as_of}</p>\
<table><caption>{caption}</caption><tbody>{table}</tbody></table>",
        scope = esc(&scope),
        from = v.from,
        to = v.to,
        as_of_label = lang.t("Hồ sơ đang giải quyết tính đến ngày", "In progress as of"),
        as_of = v.as_of,
        caption = lang.t("Số hồ sơ", "Dossiers"),
    )
}
