//! `ketqua serve`: wires configuration, PKI, catalog, archive and service to the gRPC and
//! HTTP listeners, and shuts both down cleanly on Ctrl-C or SIGTERM.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use super::{
    config::{redact, BlobStoreKind, Profile, Settings},
    metrics,
    startup::{
        dev_departments, init_dev_tls, key_access, load_catalog, load_or_create_log_key,
        trust_config,
    },
    transport,
};
use crate::{
    archive::{Archive, BlobStore, FileBlobStore, PgArchive, SqliteArchive},
    flow::Catalog,
    grpc, notify,
    pki::{self, KeyStore},
    proto,
    service::{self, Service},
    web,
};

pub async fn serve(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let catalog = load_catalog(&settings)?;
    if !pki::dev_pki_exists(&settings.pki_dir) && settings.profile == Profile::Production {
        anyhow::bail!(
            "no PKI in {}: the production profile never generates a development hierarchy; install the credentials (certs/README.md)",
            settings.pki_dir.display()
        );
    }
    if !pki::dev_pki_exists(&settings.pki_dir) {
        let summary = pki::init_dev_pki_with(
            &settings.pki_dir,
            &dev_departments(&catalog),
            true,
            &settings.public_url,
        )
        .with_context(|| {
            format!(
                "generating a development PKI in {}",
                settings.pki_dir.display()
            )
        })?;
        tracing::warn!(
            dir = %settings.pki_dir.display(),
            credentials = summary.credentials.len(),
            "no PKI found: generated a DEVELOPMENT hierarchy (not for production; see certs/README.md)"
        );
    }
    let wants_dev_tls = settings.profile == Profile::Development
        && !settings.transport.insecure
        && settings.transport.tls_cert.is_none();
    if wants_dev_tls && !pki::dev_tls_exists(&settings.pki_dir) {
        init_dev_tls(&settings.pki_dir, &dev_departments(&catalog))?;
        tracing::warn!(
            dir = %settings.pki_dir.display(),
            "generated DEVELOPMENT TLS material: server.pem, client-ca.pem, clients/*.pem and callers.toml"
        );
    }
    let access = key_access(&settings)?;
    let keys = KeyStore::load_with(&settings.pki_dir, &access)
        .with_context(|| format!("loading the PKI in {}", settings.pki_dir.display()))?;
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "creating the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let log_key = load_or_create_log_key(&settings.pki_dir, &access)?;
    let files = blob_files(&settings)?;
    match Backend::of(&settings.database_url)? {
        Backend::Sqlite => {
            let archive = SqliteArchive::open_with(&settings.database_url, settings.durability)
                .await
                .map(|a| a.with_log(log_key.clone()))
                .with_context(|| format!("opening the archive {}", settings.database_url))?;
            let archive = match settings.blob_store {
                BlobStoreKind::Files => archive.with_blob_store(files),
                BlobStoreKind::Database => archive.with_readable_blob_store(files),
            };
            run(settings, archive, keys, catalog, shutdown).await
        }
        Backend::Postgres => {
            let archive = PgArchive::open(&settings.database_url)
                .await
                .map(|a| a.with_log(log_key.clone()))
                .with_context(|| {
                    format!("opening the archive {}", redact(&settings.database_url))
                })?;
            let archive = match settings.blob_store {
                BlobStoreKind::Files => archive.with_blob_store(files),
                BlobStoreKind::Database => archive.with_readable_blob_store(files),
            };
            run(settings, archive, keys, catalog, shutdown).await
        }
    }
}

/// The files blob store at the configured directory. It is where new documents go with
/// `--blob-store files` (the directory is created now, so a wrong path fails at start rather
/// than at the first upload); with `--blob-store database` it stays readable for documents
/// stored before the switch.
fn blob_files(settings: &Settings) -> anyhow::Result<Arc<dyn BlobStore>> {
    if settings.blob_store == BlobStoreKind::Files {
        std::fs::create_dir_all(&settings.blob_dir).with_context(|| {
            format!(
                "creating the blob directory {}",
                settings.blob_dir.display()
            )
        })?;
    }
    Ok(Arc::new(FileBlobStore::new(&settings.blob_dir)))
}

/// The archive backends, chosen by the database URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> anyhow::Result<Backend> {
        match url.split_once(':').map(|(scheme, _)| scheme) {
            Some("sqlite") => Ok(Backend::Sqlite),
            Some("postgres" | "postgresql") => Ok(Backend::Postgres),
            _ => anyhow::bail!(
                "database URL {:?} has an unknown scheme: use sqlite://PATH or postgres://HOST/DB",
                redact(url)
            ),
        }
    }
}

async fn run<A: Archive + Clone>(
    settings: Settings,
    archive: A,
    keys: KeyStore,
    catalog: Catalog,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let root_pem = std::fs::read_to_string(settings.pki_dir.join("root.pem"))
        .with_context(|| format!("reading {}", settings.pki_dir.join("root.pem").display()))?;
    let outbox = archive.clone();
    for hook in &settings.webhooks {
        if let Some(unknown) = hook
            .departments
            .iter()
            .find(|d| catalog.department(d).is_none())
        {
            anyhow::bail!(
                "webhook {:?}: department {unknown:?} is not in the catalog",
                hook.name
            );
        }
    }
    let webhooks = settings
        .webhooks
        .iter()
        .cloned()
        .map(notify::Webhook::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let bus = settings
        .bus
        .clone()
        .map(notify::BusPublisher::new)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // Before any step is accepted: a new subscriber that starts "now" misses nothing after it.
    for hook in &webhooks {
        hook.register(&outbox).await.map_err(anyhow::Error::msg)?;
    }
    if let Some(bus) = &bus {
        bus.register(&outbox).await.map_err(anyhow::Error::msg)?;
    }
    let tsa = crate::cms::tsp::LocalTsa::from_key_store(&keys);
    if tsa.is_none() {
        tracing::warn!("the key store has no [tsa] entry: POST /tsa will answer 503");
    }
    let mut service = Service::new(
        archive,
        keys,
        catalog,
        settings.limits.clone(),
        service::system_clock(),
    )
    .with_public_url(&settings.public_url)
    .with_revocation_data(settings.revocation_data);
    if let Some(tsa) = &tsa {
        service = service.with_timestamper(Arc::new(tsa.clone()));
    }
    let trust = trust_config(&settings, service.keys())?;
    service = service.with_trust(trust);
    let transport = transport::resolve(&settings)?;
    service = service.with_access(transport.policy.clone());
    let service = Arc::new(service);

    let grpc_listener = TcpListener::bind(settings.grpc_addr)
        .await
        .with_context(|| format!("binding the gRPC address {}", settings.grpc_addr))?;
    let http_listener = TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("binding the HTTP address {}", settings.http_addr))?;
    let grpc_addr = grpc_listener.local_addr()?;
    let http_addr = http_listener.local_addr()?;

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<proto::v1::dossiers_server::DossiersServer<grpc::DossiersApi<A>>>()
        .await;
    health_reporter
        .set_serving::<proto::v1::archive_server::ArchiveServer<grpc::ArchiveApi<A>>>()
        .await;
    health_reporter
        .set_serving::<proto::v1::signing_server::SigningServer<grpc::SigningApi<A>>>()
        .await;
    health_reporter
        .set_serving::<proto::v1::verification_server::VerificationServer<
            crate::grpc::VerificationApi<A>,
        >>()
        .await;
    // Reflection in both versions: grpcurl and current tools speak v1, older grpcurl builds,
    // Postman and Python's reflection client only v1alpha.
    let reflection_builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection = reflection_builder()
        .build_v1()
        .context("building the reflection service")?;
    let reflection_v1alpha = reflection_builder()
        .build_v1alpha()
        .context("building the v1alpha reflection service")?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let subscribers = webhooks.len();
    let webhook_worker = tokio::spawn(notify::deliver_webhooks(
        outbox.clone(),
        webhooks,
        stop_rx.clone(),
    ));
    let bus_worker =
        bus.map(|bus| tokio::spawn(notify::publish_events(outbox, bus, stop_rx.clone())));

    let router = tonic::transport::Server::builder()
        .layer(CatchPanicLayer::custom(grpc::panic_response))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(grpc::dossiers_server(service.clone()))
        .add_service(grpc::signing_server(service.clone()))
        .add_service(grpc::archive_server(service.clone()))
        .add_service(crate::grpc::verification_server(service.clone()));
    let grpc_stopped = stopped(stop_rx.clone());
    let grpc: std::pin::Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
        match transport.tls {
            Some(config) => Box::pin(router.serve_with_incoming_shutdown(
                transport::tls_incoming(grpc_listener, config),
                grpc_stopped,
            )),
            None => Box::pin(router.serve_with_incoming_shutdown(
                transport::plain_incoming(grpc_listener),
                grpc_stopped,
            )),
        };
    // Responses larger than a segment must not wait for the client's delayed ACK (Nagle).
    let http_listener = axum::serve::ListenerExt::tap_io(http_listener, |tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set");
        }
    });
    let http = axum::serve(
        http_listener,
        web::router(
            web::State::new(root_pem)
                .with_published(service.keys().published().to_vec())
                .with_ocsp({
                    let service = service.clone();
                    Arc::new(move |request: &[u8]| {
                        service
                            .keys()
                            .ocsp_response(request, time::OffsetDateTime::now_utc())
                    })
                })
                .with_tsa(tsa)
                .with_verifier(service.clone())
                .with_tracker(service.clone())
                .with_statistics_if(settings.statistics_page, service.clone())
                .with_metrics(metrics::install()),
        ),
    )
    .with_graceful_shutdown(stopped(stop_rx));

    // Scripts and tests read these two lines to find the ports.
    println!("grpc listening on {grpc_addr}");
    println!("http listening on {http_addr}");
    tracing::info!(
        %grpc_addr,
        %http_addr,
        database = %redact(&settings.database_url),
        grpc_transport = %transport.description,
        webhook_subscribers = subscribers,
        bus = settings.bus.as_ref().map(|b| b.url.as_str()).unwrap_or("none"),
        blobs = %match settings.blob_store {
            BlobStoreKind::Files => format!("files in {}", settings.blob_dir.display()),
            BlobStoreKind::Database => "in the database".to_owned(),
        },
        "ketqua serving"
    );

    let (grpc, http) = tokio::join!(grpc, http);
    grpc.context("gRPC server")?;
    http.context("HTTP server")?;
    // The workers stop at the same signal; an attempt cut short is retried after restart.
    let _ = webhook_worker.await;
    if let Some(worker) = bus_worker {
        let _ = worker.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
