//! The HTTP side of `ketqua serve`: a landing page for citizens (Vietnamese first), a health
//! check, the trust anchor for anyone who wants to check signatures themselves, and the rooms
//! of the timestamp authority and the verification page.

use std::{any::Any, sync::Arc};

use axum::{
    extract::State as Extract,
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::catch_panic::CatchPanicLayer;

use super::{
    ocsp::{self, Responder},
    progress_page,
    published::{self, Published},
    statistics_page::{self, Statistician},
    tracker::Tracker,
    tsa,
    verifier::Verifier,
    verify_page,
};
use crate::{cms::tsp::LocalTsa, service};

/// What the HTTP side serves.
#[derive(Clone)]
pub struct State {
    root_pem: Arc<str>,
    tsa: Option<LocalTsa>,
    verifier: Option<Verifier>,
    tracker: Option<Tracker>,
    statistician: Option<Statistician>,
    metrics: Option<PrometheusHandle>,
    published: Published,
    ocsp: Option<Responder>,
}

impl State {
    pub fn new(root_pem: String) -> Self {
        Self {
            root_pem: root_pem.into(),
            tsa: None,
            verifier: None,
            tracker: None,
            statistician: None,
            metrics: None,
            published: Published::default(),
            ocsp: None,
        }
    }

    /// Serves `POST /ocsp` and `GET /ocsp/<base64>` with this responder (503 without one).
    pub fn with_ocsp(mut self, responder: Responder) -> Self {
        self.ocsp = Some(responder);
        self
    }

    /// Serves `GET /pki/<file>` with these files (CRLs, CA certificates as DER), by their path
    /// under `/pki/`.
    pub fn with_published(mut self, files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        self.published = std::sync::Arc::new(files.into_iter().collect());
        self
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

    /// Serves `GET /metrics` (Prometheus text format) from this recorder's handle.
    pub fn with_metrics(mut self, handle: Option<PrometheusHandle>) -> Self {
        self.metrics = handle;
        self
    }

    /// Publishes the statistics page (`/thong-ke`) from this statistician, if `publish`.
    pub fn with_statistics_if(mut self, publish: bool, statistician: Statistician) -> Self {
        self.statistician = publish.then_some(statistician);
        self
    }

    /// Serves the progress page (`/d`, `/d/{dossier code}`) with this tracker.
    pub fn with_tracker(mut self, tracker: Tracker) -> Self {
        self.tracker = Some(tracker);
        self
    }
}

pub fn router(state: State) -> Router {
    let verify = match state.verifier {
        Some(v) => verify_page::routes(v),
        None => Router::new(),
    };
    let progress = match state.tracker {
        Some(t) => progress_page::routes(t),
        None => Router::new(),
    };
    let statistics = match state.statistician {
        Some(s) => statistics_page::routes(s),
        None => Router::new(),
    };
    let metrics = match state.metrics {
        Some(handle) => Router::new().route(
            "/metrics",
            get(move || {
                let handle = handle.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        handle.render(),
                    )
                }
            }),
        ),
        None => Router::new(),
    };
    Router::new()
        .merge(verify)
        .merge(progress)
        .merge(statistics)
        .merge(metrics)
        .merge(tsa::routes(state.tsa))
        .merge(published::routes(state.published))
        .merge(ocsp::routes(state.ocsp))
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/pki/root.pem", get(root_pem))
        .fallback(not_found)
        .with_state(state.root_pem)
        .layer(CatchPanicLayer::custom(panic_page))
}

/// A panic in a handler is answered with an error page on that request alone, logged under an
/// incident number; the server keeps serving.
fn panic_page(panic: Box<dyn Any + Send + 'static>) -> Response {
    let incident = service::incident_number();
    tracing::error!(
        incident,
        panic = service::panic_text(panic.as_ref()),
        "an HTTP request panicked; answered 500"
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(format!(
            "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Lỗi hệ thống</title></head>\n\
<body><h1>Lỗi hệ thống (500)</h1><p>Yêu cầu không thực hiện được; xin thử lại sau. Mã sự cố: {incident}.</p>\n\
<p lang=\"en\">Internal error; please try again later. Incident {incident}.</p><p><a href=\"/\">Trang chủ</a></p></body></html>\n"
        )),
    )
        .into_response()
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
<li><a href="/d">Tra cứu tiến độ giải quyết hồ sơ (follow a dossier)</a></li>
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt as _;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_gets_an_error_page_and_the_router_keeps_serving() {
        let router: Router = Router::new()
            .route(
                "/boom",
                get(|| async { panic!("index out of bounds") as &'static str }),
            )
            .route("/fine", get(|| async { "ok" }))
            .layer(CatchPanicLayer::custom(panic_page));
        let request = |path: &str| axum::http::Request::get(path).body(Body::empty()).unwrap();
        let boom = router.clone().oneshot(request("/boom")).await.unwrap();
        assert_eq!(boom.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let page = axum::body::to_bytes(boom.into_body(), 64 * 1024)
            .await
            .unwrap();
        let page = String::from_utf8_lossy(&page);
        assert!(page.contains("Mã sự cố"), "{page}");
        assert!(!page.contains("index out of bounds"), "{page}");
        let fine = router.oneshot(request("/fine")).await.unwrap();
        assert_eq!(fine.status(), StatusCode::OK);
    }
}
