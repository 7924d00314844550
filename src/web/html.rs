//! The frame every page shares: the language switch (Vietnamese first, English with
//! `?lang=en`), HTML escaping, Vietnam time as citizens read it, the style sheet and the page
//! skeleton.

use axum::{
    http::{header, StatusCode},
    response::{Html, Response},
};
use time::OffsetDateTime;

use crate::service::Error;

#[derive(serde::Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Vi,
    En,
}

impl Lang {
    pub(super) fn of(q: &LangQuery) -> Lang {
        match q.lang.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }
    pub(super) fn t(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
    pub(super) fn code(self) -> &'static str {
        self.t("vi", "en")
    }
}

pub(super) fn esc(s: &str) -> String {
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
pub(super) fn vn_time(t: OffsetDateTime) -> String {
    format!("{} (UTC+07:00)", crate::flow::vietnam_time(t))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111}\
.verdict{border:3px solid;border-radius:.5rem;padding:1rem;margin:1rem 0}\
.valid{border-color:#0a6b2b;background:#e8f6ec}.invalid{border-color:#a40e0e;background:#fdeaea}\
.indeterminate{border-color:#8a5a00;background:#fff5e0}\
.verdict h2{margin:.2rem 0;font-size:1.6rem}.verdict h2::first-letter,.verdict p::first-letter{text-transform:uppercase}dt{font-weight:bold}dd{margin:0 0 .5rem 0}\
label{display:block;font-weight:bold;margin-top:.8rem}input,button{font-size:1rem;padding:.4rem}\
button{margin-top:1rem}code{word-break:break-all}nav{text-align:right}\
a:focus,button:focus,input:focus,summary:focus{outline:3px solid #1a56db;outline-offset:2px}";

pub(super) fn page(lang: Lang, path: &str, title: &str, body: &str) -> Html<String> {
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

/// The HTTP status of a use case's error, as the pages answer it.
pub(super) fn error_status(e: &Error) -> StatusCode {
    match e {
        Error::InvalidArgument(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::ResourceExhausted(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unavailable(_) | Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// When a busy page tells the client to come back.
const RETRY_AFTER_SECONDS: &str = "5";

/// The service is busy (or the archive away): a browser or script may come back.
pub(super) fn retry_later(response: &mut Response) {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
