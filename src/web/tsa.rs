//! The built-in RFC 3161 timestamp authority over HTTP (`POST /tsa`, RFC 3161 §3.4), so that
//! `openssl ts`, pyHanko or any standard client can use it.

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};

use crate::cms::tsp::LocalTsa;

/// Largest timestamp query accepted. A real one is under 200 bytes; the limit keeps the TSA
/// from reading (and parsing) whatever an attacker sends.
pub const MAX_TSA_QUERY: usize = 64 * 1024;

/// `POST /tsa`, answered by `tsa`; without one the route answers 503.
pub(super) fn routes<S: Clone + Send + Sync + 'static>(tsa: Option<LocalTsa>) -> Router<S> {
    Router::new()
        .route(
            "/tsa",
            post(timestamp).layer(DefaultBodyLimit::max(MAX_TSA_QUERY)),
        )
        .with_state(tsa)
}

/// RFC 3161 §3.4: a DER TimeStampReq in, a DER TimeStampResp out. A malformed query still gets
/// a 200 with a `rejection` TimeStampResp, which is how the protocol reports it; HTTP errors
/// are only for what is not a timestamp query at all.
async fn timestamp(
    State(tsa): State<Option<LocalTsa>>,
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
    let Some(tsa) = tsa else {
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
