//! `GET /pki/<file>`: the CRLs and CA certificates the certificates' CRL distribution points
//! and caIssuers pointers name (`pki::published_url`), so a validator that fetches revocation
//! data (pyHanko, Adobe, `openssl crl`) finds it where the certificate says.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

/// The published files by their path under `/pki/`.
pub type Published = Arc<BTreeMap<String, Vec<u8>>>;

pub(super) fn routes<S: Clone + Send + Sync + 'static>(files: Published) -> Router<S> {
    Router::new()
        .route("/pki/{*file}", get(file))
        .with_state(files)
}

async fn file(State(files): State<Published>, Path(name): Path<String>) -> Response {
    let Some(der) = files.get(&name) else {
        return (StatusCode::NOT_FOUND, "Không có tệp này. / No such file.\n").into_response();
    };
    // RFC 2585 §4: the media types of a DER CRL and a DER certificate.
    let content_type = if name.ends_with(".crl") {
        "application/pkix-crl"
    } else {
        "application/pkix-cert"
    };
    ([(header::CONTENT_TYPE, content_type)], der.clone()).into_response()
}
