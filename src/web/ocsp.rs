//! The OCSP responder over HTTP (RFC 6960 appendix A): `POST /ocsp` with an
//! `application/ocsp-request` body, and `GET /ocsp/<base64 of the DER request>`, both answered
//! `application/ocsp-response`. The answer itself is the key store's (`KeyStore::ocsp_response`).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use base64::Engine as _;

/// Answers a DER OCSPRequest with a DER OCSPResponse.
pub type Responder = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// Largest request accepted: a real one is about 100 bytes.
const MAX_OCSP_REQUEST: usize = 16 * 1024;

pub(super) fn routes<S: Clone + Send + Sync + 'static>(responder: Option<Responder>) -> Router<S> {
    Router::new()
        .route(
            "/ocsp",
            post(by_post).layer(DefaultBodyLimit::max(MAX_OCSP_REQUEST)),
        )
        .route("/ocsp/{*request}", get(by_get))
        .with_state(responder)
}

async fn by_post(State(responder): State<Option<Responder>>, body: Bytes) -> Response {
    answer(responder, &body)
}

/// The GET form: the path is the base64 (standard alphabet, then URL-encoded) of the request.
async fn by_get(
    State(responder): State<Option<Responder>>,
    Path(encoded): Path<String>,
) -> Response {
    let text = encoded
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    if text.len() > MAX_OCSP_REQUEST {
        return (StatusCode::URI_TOO_LONG, "").into_response();
    }
    match base64::engine::general_purpose::STANDARD.decode(text.trim_end_matches('/')) {
        Ok(der) => answer(responder, &der),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "Yêu cầu OCSP không hợp lệ (base64). / Malformed OCSP request (base64).\n",
        )
            .into_response(),
    }
}

fn answer(responder: Option<Responder>, request: &[u8]) -> Response {
    let Some(responder) = responder else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Máy chủ chưa cấu hình dịch vụ OCSP. / No OCSP responder is configured.\n",
        )
            .into_response();
    };
    (
        [(header::CONTENT_TYPE, "application/ocsp-response")],
        responder(request),
    )
        .into_response()
}
