//! The HTTP side of `ketqua serve`: a landing page for citizens (Vietnamese first), a health
//! check, and the trust anchor for anyone who wants to check signatures themselves.

use std::sync::Arc;

use axum::{
    http::{header, StatusCode},
    response::{Html, IntoResponse},
    routing::get,
    Router,
};

#[derive(Clone)]
pub struct State {
    root_pem: Arc<str>,
}

impl State {
    pub fn new(root_pem: String) -> Self {
        Self {
            root_pem: root_pem.into(),
        }
    }
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/pki/root.pem", get(root_pem))
        .fallback(not_found)
        .with_state(state)
}

async fn index() -> Html<&'static str> {
    Html(INDEX)
}

async fn root_pem(axum::extract::State(state): axum::extract::State<State>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        state.root_pem.to_string(),
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
<li><a href="/pki/root.pem">Chứng thư số gốc (root certificate)</a></li>
<li><a href="/healthz">Tình trạng dịch vụ (health)</a></li>
</ul>
</main>
</body>
</html>
"#;

const NOT_FOUND: &str = r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Không tìm thấy</title></head>
<body><h1>Không tìm thấy trang (404)</h1><p><a href="/">Trang chủ</a></p></body></html>
"#;
