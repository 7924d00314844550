//! The citizens' verification page: upload a result PDF (a plain multipart form, no
//! JavaScript needed) or arrive from the QR link `/v/<result code>`; the verdict, who signed,
//! for which organisation, when, the archive's status, and the details folded below.

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};

use super::{
    html::{error_status, esc, page, retry_later, vn_time, Lang, LangQuery},
    multipart::multipart,
    verifier::Verifier,
};
use crate::{
    service::Error,
    verify::{Report, Verdict},
};

/// The routes of the page: `GET /verify` (the form), `POST /verify` (the upload), `GET /v/{code}`.
pub fn routes<S: Clone + Send + Sync + 'static>(verifier: Verifier) -> Router<S> {
    let limit = verifier.max_upload();
    Router::new()
        .route(
            "/verify",
            get(form_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .route("/v/{code}", get(by_code))
        .with_state(verifier)
}

fn form(lang: Lang, code: Option<&str>) -> String {
    let code_field = match code {
        Some(c) => format!(
            "<input type=\"hidden\" name=\"result_code\" value=\"{}\">",
            esc(c)
        ),
        None => format!(
            "<label for=\"result_code\">{}</label>\
<input id=\"result_code\" name=\"result_code\" type=\"text\" inputmode=\"text\" autocomplete=\"off\" \
aria-describedby=\"code-help\" size=\"32\"><p id=\"code-help\">{}</p>",
            lang.t("Mã kết quả (không bắt buộc)", "Result code (optional)"),
            lang.t(
                "Ví dụ: 000.00.12.H22-261122-0042-KQ1. Nếu nhập, tệp được đối chiếu với bản đã cấp.",
                "E.g. 000.00.12.H22-261122-0042-KQ1. If given, the file is compared with the issued one."
            )
        ),
    };
    format!(
        "<form method=\"post\" action=\"/verify?lang={l}\" enctype=\"multipart/form-data\">\
<label for=\"file\">{file}</label>\
<input id=\"file\" name=\"file\" type=\"file\" accept=\"application/pdf,.pdf\" required>\
{code_field}<br><button type=\"submit\">{submit}</button></form>",
        l = lang.code(),
        file = lang.t("Tệp PDF kết quả cần kiểm tra", "The result PDF to check"),
        submit = lang.t("Kiểm tra", "Verify"),
    )
}

async fn form_page(Query(q): Query<LangQuery>) -> Html<String> {
    let lang = Lang::of(&q);
    let title = lang.t("Kiểm tra kết quả điện tử", "Verify an electronic result");
    let body = format!(
        "<h1>{title}</h1><p>{intro}</p>{}",
        form(lang, None),
        intro = lang.t(
            "Tải lên tệp PDF kết quả giải quyết thủ tục hành chính để kiểm tra chữ ký số và tình trạng của kết quả.",
            "Upload the PDF result of an administrative procedure to check its digital signatures and its status."
        )
    );
    page(lang, "/verify", title, &body)
}

fn verdict_words(lang: Lang, v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Valid => ("valid", lang.t("HỢP LỆ", "VALID")),
        Verdict::Invalid => ("invalid", lang.t("KHÔNG HỢP LỆ", "INVALID")),
        Verdict::Indeterminate => (
            "indeterminate",
            lang.t("CHƯA XÁC ĐỊNH ĐƯỢC", "INDETERMINATE"),
        ),
    }
}

fn status_words(lang: Lang, status: &str) -> String {
    match status {
        "valid" => lang.t("Còn hiệu lực", "In force").into(),
        "revoked" => lang.t("Đã bị thu hồi", "Revoked").into(),
        "superseded" => lang.t("Đã được thay thế", "Superseded").into(),
        other => other.to_owned(),
    }
}

/// The result page.
fn report_html(lang: Lang, path: &str, report: &Report, code: Option<&str>) -> Html<String> {
    let (class, word) = verdict_words(lang, report.verdict);
    let reason = match lang {
        Lang::Vi => &report.reason_vi,
        Lang::En => &report.reason,
    };
    let main = report.main_signature();
    let dash = "—".to_string();
    let signer = main.map(|s| s.signer.clone()).filter(|s| !s.is_empty());
    let position = main.map(|s| s.position.clone()).filter(|s| !s.is_empty());
    let organisation = report
        .signatures
        .iter()
        .filter(|s| s.kind != "document timestamp")
        .map(|s| s.organisation.clone())
        .find(|o| !o.is_empty());
    let time = main.and_then(|s| {
        s.timestamp
            .as_ref()
            .map(|t| (t.time, true))
            .or(s.claimed_time.map(|t| (t, false)))
    });
    let time_text = match time {
        Some((t, true)) => format!(
            "{} <small>({})</small>",
            vn_time(t),
            lang.t("theo dấu thời gian", "from the timestamp")
        ),
        Some((t, false)) => format!(
            "{} <small>({})</small>",
            vn_time(t),
            lang.t("thời điểm người ký khai", "claimed by the signer")
        ),
        None => dash.clone(),
    };
    let status = match &report.archive {
        Some(a) if a.found => {
            let mut s = status_words(lang, &a.status);
            if !a.hash_matches {
                s.push_str(lang.t(
                    " — tệp này KHÁC bản đã cấp",
                    " — this file DIFFERS from the issued one",
                ));
            }
            s
        }
        Some(_) => lang
            .t("Không có trong hệ thống lưu trữ", "Not in the archive")
            .into(),
        None => lang
            .t(
                "Chưa đối chiếu (nhập mã kết quả để đối chiếu)",
                "Not checked (give the result code to check it)",
            )
            .into(),
    };
    let mut details = String::new();
    for s in &report.signatures {
        let (_, w) = verdict_words(lang, s.verdict);
        details.push_str(&format!(
            "<h3>{kind}: {field}</h3><dl><dt>{vlabel}</dt><dd>{w}</dd><dt>{who}</dt><dd>{signer}</dd>\
<dt>PAdES</dt><dd>{level}</dd><dt>{cov}</dt><dd>{coverage}</dd><dt>{chain}</dt><dd><ol>{path}</ol></dd></dl>",
            kind = esc(&s.kind),
            field = esc(&s.field),
            vlabel = lang.t("Kết quả", "Verdict"),
            who = lang.t("Người ký / đơn vị", "Signer / authority"),
            signer = esc(&[s.signer.as_str(), s.organisation.as_str()].iter().filter(|x| !x.is_empty()).cloned().collect::<Vec<_>>().join(", ")),
            level = esc(if s.pades_level.is_empty() { "—" } else { &s.pades_level }),
            cov = lang.t("Phạm vi ký", "Coverage"),
            coverage = if s.coverage.whole_file {
                lang.t("Toàn bộ tệp", "The whole file").to_string()
            } else if s.coverage.content_changes.is_empty() {
                format!(
                    "{} {} ({}){}",
                    s.coverage.appended_bytes,
                    lang.t("byte bổ sung được phép:", "bytes appended, allowed:"),
                    esc(&s.coverage.allowed_updates.join(", ")),
                    if s.coverage.flagged.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; {} {}",
                            lang.t(
                                "cần xem lại (chú thích thêm sau khi ký chồng lên nội dung):",
                                "worth a look (added after signing, overlapping):"
                            ),
                            esc(&s.coverage.flagged.join("; "))
                        )
                    }
                )
            } else {
                format!(
                    "{} {}",
                    lang.t("Bị sửa đổi sau khi ký:", "Changed after signing:"),
                    esc(&s.coverage.content_changes.join("; "))
                )
            },
            chain = lang.t("Chuỗi chứng thư số", "Certificate path"),
            path = s
                .chain
                .path
                .iter()
                .map(|c| format!("<li>{}</li>", esc(&c.subject)))
                .collect::<String>(),
        ));
        if !s.findings.is_empty() {
            details.push_str("<ul>");
            for f in &s.findings {
                let m = match lang {
                    Lang::Vi => &f.message_vi,
                    Lang::En => &f.message,
                };
                details.push_str(&format!("<li>{}</li>", esc(m)));
            }
            details.push_str("</ul>");
        }
    }
    details.push_str(&format!(
        "<p>SHA-256: <code>{}</code></p>",
        esc(&report.sha256)
    ));
    let title = lang.t("Kết quả kiểm tra", "Verification result");
    let body = format!(
        "<h1>{title}</h1>\n<section class=\"verdict {class}\" role=\"status\" aria-live=\"polite\" aria-labelledby=\"verdict\">\
<h2 id=\"verdict\">{word}</h2><p id=\"reason\">{reason}</p></section>\n\
<dl id=\"summary\"><dt>{l_signer}</dt><dd>{signer}</dd><dt>{l_pos}</dt><dd>{position}</dd>\
<dt>{l_org}</dt><dd>{organisation}</dd><dt>{l_time}</dt><dd>{time_text}</dd>\
<dt>{l_status}</dt><dd id=\"status\">{status}</dd>{code_row}</dl>\n\
<details><summary>{l_details}</summary>{details}</details>\n\
<h2>{l_again}</h2>{form}",
        reason = esc(reason),
        l_signer = lang.t("Người ký", "Signer"),
        signer = esc(signer.as_ref().unwrap_or(&dash)),
        l_pos = lang.t("Chức vụ", "Position"),
        position = esc(position.as_ref().unwrap_or(&dash)),
        l_org = lang.t("Cơ quan, tổ chức", "Organisation"),
        organisation = esc(organisation.as_ref().unwrap_or(&dash)),
        l_time = lang.t("Thời điểm ký", "Signed at"),
        l_status = lang.t("Tình trạng kết quả", "Result status"),
        status = esc(&status),
        code_row = match code {
            Some(c) => format!(
                "<dt>{}</dt><dd><code>{}</code></dd>",
                lang.t("Mã kết quả", "Result code"),
                esc(c)
            ),
            None => String::new(),
        },
        l_details = lang.t("Chi tiết kỹ thuật", "Technical details"),
        l_again = match code {
            Some(_) => lang.t(
                "Đối chiếu tệp bạn đang giữ với kết quả này",
                "Compare the file you hold with this result",
            ),
            None => lang.t("Kiểm tra tệp khác", "Check another file"),
        },
        form = form(lang, code),
    );
    page(lang, path, title, &body)
}

fn error_page(lang: Lang, status: StatusCode, message: &str) -> Response {
    let title = lang.t("Không kiểm tra được", "Cannot verify");
    let body = format!(
        "<h1>{title}</h1><p role=\"alert\">{}</p>{}",
        esc(message),
        form(lang, None)
    );
    let mut response = (status, page(lang, "/verify", title, &body)).into_response();
    retry_later(&mut response);
    response
}

async fn by_code(
    State(v): State<Verifier>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = Lang::of(&q);
    match v.verify_code(code.clone()).await {
        Ok(report) => {
            report_html(lang, &format!("/v/{code}"), &report, Some(&code)).into_response()
        }
        Err(e) => {
            let msg = match (&e, lang) {
                (Error::NotFound(_), Lang::Vi) => {
                    format!("Không có kết quả nào đã cấp với mã {code}.")
                }
                (Error::InvalidArgument(_), Lang::Vi) => {
                    format!("Mã kết quả không hợp lệ: {code}.")
                }
                _ => e.to_string(),
            };
            error_page(lang, error_status(&e), &msg)
        }
    }
}

async fn upload(
    State(v): State<Verifier>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = Lang::of(&q);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some(parts) = multipart(content_type, &body) else {
        return error_page(
            lang,
            StatusCode::BAD_REQUEST,
            lang.t(
                "Biểu mẫu gửi lên không hợp lệ; hãy chọn một tệp PDF.",
                "The form sent is not valid; choose a PDF file.",
            ),
        );
    };
    let mut file = None;
    let mut code = None;
    for (name, data) in parts {
        match name.as_str() {
            "file" => file = Some(data.to_vec()),
            "result_code" => {
                code =
                    Some(String::from_utf8_lossy(data).trim().to_owned()).filter(|c| !c.is_empty())
            }
            _ => {}
        }
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return error_page(
            lang,
            StatusCode::BAD_REQUEST,
            lang.t("Chưa chọn tệp PDF.", "No PDF file was chosen."),
        );
    };
    match v.verify_upload(file, code.clone()).await {
        Ok(report) => report_html(lang, "/verify", &report, code.as_deref()).into_response(),
        Err(e) => error_page(lang, error_status(&e), &e.to_string()),
    }
}
