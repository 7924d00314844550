//! The HTTP side of `ketqua serve`: a landing page for citizens (Vietnamese first), a health
//! check, the trust anchor for anyone who wants to check signatures themselves, and the rooms
//! of the timestamp authority and the verification page.

use std::sync::Arc;

use axum::{
    extract::State as Extract,
    http::{header, StatusCode},
    response::{Html, IntoResponse},
    routing::get,
    Router,
};

use super::{tsa, verifier::Verifier, verify_page};
use crate::cms::tsp::LocalTsa;

/// What the HTTP side serves.
#[derive(Clone)]
pub struct State {
    root_pem: Arc<str>,
    tsa: Option<LocalTsa>,
    verifier: Option<Verifier>,
}

impl State {
    pub fn new(root_pem: String) -> Self {
        Self {
            root_pem: root_pem.into(),
            tsa: None,
            verifier: None,
        }
    }

    /// Serves `POST /tsa` with this timestamp authority; without one the route answers 503.
    pub fn with_tsa(mut self, tsa: Option<LocalTsa>) -> Self {
        self.tsa = tsa;
        self
    }

    /// Serves the verification page (`/verify`, `/v/{result code}`) with this verifier.
    pub fn with_verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }
}

pub fn router(state: State) -> Router {
    let verify = match state.verifier {
        Some(v) => verify_page::routes(v),
        None => Router::new(),
    };
    Router::new()
        .merge(verify)
        .merge(tsa::routes(state.tsa))
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/pki/root.pem", get(root_pem))
        .fallback(not_found)
        .with_state(state.root_pem)
}

async fn index() -> Html<&'static str> {
    Html(INDEX)
}

async fn root_pem(Extract(root_pem): Extract<Arc<str>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        root_pem.to_string(),
    )
}

async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Html(NOT_FOUND))
}

const INDEX: &str = r#"<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ketqua — Kết quả giải quyết thủ tục hành chính điện tử</title></head>
<body>
<main>
<h1>Kết quả giải quyết thủ tục hành chính điện tử</h1>
<p>Dịch vụ này ký số từng bước xử lý hồ sơ (tiếp nhận, thẩm định, phê duyệt, ký số, trả kết quả)
và lưu trữ các bản ghi đã ký.</p>
<p lang="en">This service signs every step of an administrative procedure and archives the signed
records.</p>
<ul>
<li><a href="/verify">Kiểm tra kết quả điện tử (verify a result)</a></li>
<li><a href="/pki/root.pem">Chứng thư số gốc (root certificate)</a></li>
<li><a href="/healthz">Tình trạng dịch vụ (health)</a></li>
<li>Dịch vụ cấp dấu thời gian RFC 3161 (timestamp authority): <code>POST /tsa</code></li>
</ul>
</main>
</body>
</html>
"#;

const NOT_FOUND: &str = r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Không tìm thấy</title></head>
<body><h1>Không tìm thấy trang (404)</h1><p><a href="/">Trang chủ</a></p></body></html>
"#;
