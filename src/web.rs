//! The HTTP side of `ketqua serve`: a landing page for citizens (Vietnamese first), a health
//! check, the trust anchor for anyone who wants to check signatures themselves, and the
//! built-in RFC 3161 timestamp authority (`POST /tsa`, RFC 3161 §3.4 over HTTP).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::DefaultBodyLimit,
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
    Router,
};

use crate::cms::tsp::LocalTsa;

/// Largest timestamp query accepted. A real one is under 200 bytes; the limit keeps the TSA
/// from reading (and parsing) whatever an attacker sends.
pub const MAX_TSA_QUERY: usize = 64 * 1024;

#[derive(Clone)]
pub struct State {
    root_pem: Arc<str>,
    tsa: Option<LocalTsa>,
    verifier: Option<crate::web_verify::Verifier>,
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
    pub fn with_verifier(mut self, verifier: crate::web_verify::Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }
}

pub fn router(state: State) -> Router {
    let verify = match state.verifier.clone() {
        Some(v) => crate::web_verify::routes(v),
        None => Router::new(),
    };
    Router::new()
        .merge(verify)
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/pki/root.pem", get(root_pem))
        .route(
            "/tsa",
            post(timestamp).layer(DefaultBodyLimit::max(MAX_TSA_QUERY)),
        )
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

/// RFC 3161 §3.4: a DER TimeStampReq in, a DER TimeStampResp out. A malformed query still gets
/// a 200 with a `rejection` TimeStampResp, which is how the protocol reports it; HTTP errors
/// are only for what is not a timestamp query at all.
async fn timestamp(
    axum::extract::State(state): axum::extract::State<State>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/timestamp-query") {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Chỉ nhận Content-Type: application/timestamp-query (RFC 3161).\n\
             Only Content-Type: application/timestamp-query (RFC 3161) is accepted.\n",
        )
            .into_response();
    }
    let Some(tsa) = state.tsa else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Máy chủ chưa cấu hình dịch vụ cấp dấu thời gian.\n\
             No timestamp authority is configured: add a [tsa] entry (cert, key) to \
             credentials.toml in the PKI directory.\n",
        )
            .into_response();
    };
    // Signing is a few microseconds of ECDSA: not worth a blocking-pool hop.
    (
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        tsa.respond(&body),
    )
        .into_response()
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
