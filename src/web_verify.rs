//! The citizens' verification page: upload a result PDF (a plain multipart form, no
//! JavaScript needed) or arrive from the QR link `/v/<result code>`; the verdict, who signed,
//! for which organisation, when, the archive's status, and the details folded below.
//! Vietnamese first, English with `?lang=en`.

use std::{future::Future, pin::Pin, sync::Arc};

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use time::OffsetDateTime;

use crate::{
    archive::Archive,
    service::{Error, Service},
    verify::{Report, Verdict},
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the page needs from the service, without naming the archive type.
pub trait WebVerifier: Send + Sync + 'static {
    fn verify_upload(
        &self,
        pdf: Vec<u8>,
        code: Option<String>,
    ) -> BoxFuture<'_, Result<Report, Error>>;
    fn verify_code(&self, code: String) -> BoxFuture<'_, Result<Report, Error>>;
    fn max_upload(&self) -> usize;
}

impl<A: Archive> WebVerifier for Service<A> {
    fn verify_upload(
        &self,
        pdf: Vec<u8>,
        code: Option<String>,
    ) -> BoxFuture<'_, Result<Report, Error>> {
        Box::pin(async move { self.verify_document(&pdf, code.as_deref()).await })
    }
    fn verify_code(&self, code: String) -> BoxFuture<'_, Result<Report, Error>> {
        Box::pin(async move { self.verify_issued(&code).await })
    }
    fn max_upload(&self) -> usize {
        usize::try_from(self.limits().max_document_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024)
    }
}

pub type Verifier = Arc<dyn WebVerifier>;

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

#[derive(serde::Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Vi,
    En,
}

impl Lang {
    fn of(q: &LangQuery) -> Lang {
        match q.lang.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }
    fn t(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
    fn code(self) -> &'static str {
        self.t("vi", "en")
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Vietnam time, as the stamp shows it: dd/mm/yyyy hh:mm:ss (UTC+07:00).
fn vn_time(t: OffsetDateTime) -> String {
    format!("{} (UTC+07:00)", crate::flow::calendar::vietnam_time(t))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111}\
.verdict{border:3px solid;border-radius:.5rem;padding:1rem;margin:1rem 0}\
.valid{border-color:#0a6b2b;background:#e8f6ec}.invalid{border-color:#a40e0e;background:#fdeaea}\
.indeterminate{border-color:#8a5a00;background:#fff5e0}\
.verdict h2{margin:.2rem 0;font-size:1.6rem}dt{font-weight:bold}dd{margin:0 0 .5rem 0}\
label{display:block;font-weight:bold;margin-top:.8rem}input,button{font-size:1rem;padding:.4rem}\
button{margin-top:1rem}code{word-break:break-all}nav{text-align:right}\
a:focus,button:focus,input:focus,summary:focus{outline:3px solid #1a56db;outline-offset:2px}";

fn page(lang: Lang, path: &str, title: &str, body: &str) -> Html<String> {
    let (other, other_label) = match lang {
        Lang::Vi => ("en", "English"),
        Lang::En => ("vi", "Tiếng Việt"),
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"{code}\">\n<head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head>\n<body>\n\
<a href=\"#main\" class=\"skip\">{skip}</a>\n\
<nav aria-label=\"{langnav}\"><a href=\"{path}?lang={other}\" lang=\"{other}\" hreflang=\"{other}\">{other_label}</a></nav>\n\
<main id=\"main\">\n{body}\n</main>\n</body>\n</html>\n",
        code = lang.code(),
        title = esc(title),
        skip = lang.t("Bỏ qua đến nội dung chính", "Skip to main content"),
        langnav = lang.t("Ngôn ngữ", "Language"),
        path = esc(path),
    ))
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
                    "{} {} ({})",
                    s.coverage.appended_bytes,
                    lang.t("byte bổ sung được phép:", "bytes appended, allowed:"),
                    esc(&s.coverage.allowed_updates.join(", "))
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
    (status, page(lang, "/verify", title, &body)).into_response()
}

fn error_status(e: &Error) -> StatusCode {
    match e {
        Error::InvalidArgument(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::ResourceExhausted(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
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

/// A minimal multipart/form-data reader: `(field name, content)` of every part.
fn multipart<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<(String, &'a [u8])>> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
    })?;
    if boundary.is_empty() || boundary.len() > 200 {
        return None;
    }
    let delimiter = format!("--{boundary}");
    let delim = delimiter.as_bytes();
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut out = Vec::new();
    let mut pos = find(body, delim, 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        // Skip CRLF after the delimiter.
        pos = find(body, b"\r\n", pos)? + 2;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(body.get(pos..headers_end)?).ok()?;
        let content_start = headers_end + 4;
        let mut next_delim = Vec::with_capacity(delim.len() + 2);
        next_delim.extend_from_slice(b"\r\n");
        next_delim.extend_from_slice(delim);
        let content_end = find(body, &next_delim, content_start)?;
        let name = headers.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                return None;
            }
            v.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k == "name").then(|| v.trim_matches('"').to_owned())
            })
        })?;
        out.push((name, body.get(content_start..content_end)?));
        pos = content_end + next_delim.len();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_forms() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"result_code\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--X\r\n--XyZ--\r\n";
        let parts = multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], ("result_code".to_string(), &b"abc"[..]));
        assert_eq!(parts[1].1, b"%PDF-1.7\r\n--X");
        assert!(multipart("text/plain", body).is_none());
        assert!(multipart("multipart/form-data; boundary=XyZ", b"garbage").is_none());
        assert!(multipart("multipart/form-data; boundary=XyZ", b"--XyZ\r\nno end").is_none());
    }

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
